/**
 * contracts/Escrow.sol on a cmtd chain, deployed and driven with Hardhat's
 * ethers plugin over the node's JSON-RPC gateway.
 */
const assert = require('node:assert/strict');
const { ethers } = require('hardhat');
const { signers, mined, events, expectRevert, latestTime, waitForBlockTimeAfter, transactionResult } = require('../lib/helpers.cjs');

const CMT = 10n ** 18n;
const ref = (text) => ethers.id(text);

describe('Escrow', function () {
  let buyer, seller, arbiter;
  let escrow;

  before(async function () {
    [buyer, seller, arbiter] = await signers(3);
  });

  /** Opens an order of `amount` paid by the buyer; returns its id and the receipt. */
  async function openOrder(amount, { shipIn = 3_600n, confirmWindow = 3_600n, orderRef = 'order' } = {}) {
    const deadline = (await latestTime()) + shipIn;
    const receipt = await mined(escrow.connect(buyer).createOrder(seller.address, arbiter.address, deadline, confirmWindow, ref(orderRef), { value: amount }));
    const [created] = events(escrow, receipt, 'OrderCreated');
    assert.ok(created !== undefined, 'OrderCreated emitted');
    return { id: created.args.id, receipt, created, deadline };
  }

  it('deploys the escrow contract', async function () {
    const factory = await ethers.getContractFactory('Escrow', buyer);
    escrow = await factory.deploy();
    const receipt = await escrow.deploymentTransaction().wait();
    assert.equal(receipt.status, 1);
    assert.equal(receipt.contractAddress, await escrow.getAddress());
    assert.notEqual(await ethers.provider.getCode(escrow.target), '0x');
    assert.equal(await escrow.orderCount(), 0n);
  });

  it('pays the seller when the buyer confirms a shipped order', async function () {
    const amount = 3n * CMT;
    const escrowBefore = await ethers.provider.getBalance(escrow.target);
    const { id, created, deadline } = await openOrder(amount, { orderRef: 'order-1' });
    assert.equal(id, 1n);
    assert.equal(created.args.buyer, buyer.address);
    assert.equal(created.args.seller, seller.address);
    assert.equal(created.args.arbiter, arbiter.address);
    assert.equal(created.args.amount, amount);
    assert.equal(created.args.shipDeadline, deadline);
    assert.equal(created.args.orderRef, ref('order-1'));
    assert.equal(await ethers.provider.getBalance(escrow.target), escrowBefore + amount);
    const order = await escrow.orders(id);
    assert.equal(order.amount, amount);
    assert.equal(order.status, 1n, 'Funded');

    const shipped = await mined(escrow.connect(seller).markShipped(id, 'TRACK-123'));
    const [shippedEvent] = events(escrow, shipped, 'OrderShipped');
    assert.equal(shippedEvent.args.tracking, 'TRACK-123');
    assert.equal((await escrow.orders(id)).status, 2n, 'Shipped');

    const sellerBefore = await ethers.provider.getBalance(seller.address);
    const confirmed = await mined(escrow.connect(buyer).confirmReceived(id));
    const [completed] = events(escrow, confirmed, 'OrderCompleted');
    assert.equal(completed.args.id, id);
    assert.equal(completed.args.paidToSeller, amount);
    assert.equal(completed.args.confirmedByBuyer, true);
    assert.equal(await ethers.provider.getBalance(seller.address), sellerBefore + amount, 'the seller paid no gas and received the amount');
    assert.equal(await ethers.provider.getBalance(escrow.target), escrowBefore);
    assert.equal((await escrow.orders(id)).status, 3n, 'Completed');
  });

  it('refunds the buyer when the seller cancels', async function () {
    const amount = 2n * CMT;
    const { id } = await openOrder(amount, { orderRef: 'order-2' });
    const buyerBefore = await ethers.provider.getBalance(buyer.address);
    const receipt = await mined(escrow.connect(seller).refundBySeller(id));
    const [refunded] = events(escrow, receipt, 'OrderRefunded');
    assert.equal(refunded.args.refundedToBuyer, amount);
    assert.equal(refunded.args.bySeller, true);
    assert.equal(await ethers.provider.getBalance(buyer.address), buyerBefore + amount);
    assert.equal((await escrow.orders(id)).status, 4n, 'Refunded');
  });

  it('lets the arbiter split a disputed order', async function () {
    const amount = 5n * CMT;
    const { id } = await openOrder(amount, { orderRef: 'order-3' });
    const disputed = await mined(escrow.connect(buyer).dispute(id, 'never arrived'));
    const [opened] = events(escrow, disputed, 'OrderDisputed');
    assert.equal(opened.args.by, buyer.address);
    assert.equal(opened.args.reason, 'never arrived');

    const buyerBefore = await ethers.provider.getBalance(buyer.address);
    const sellerBefore = await ethers.provider.getBalance(seller.address);
    const resolved = await mined(escrow.connect(arbiter).resolve(id, 2n * CMT));
    const [settled] = events(escrow, resolved, 'DisputeResolved');
    assert.equal(settled.args.arbiter, arbiter.address);
    assert.equal(settled.args.toBuyer, 2n * CMT);
    assert.equal(settled.args.toSeller, 3n * CMT);
    assert.equal(await ethers.provider.getBalance(buyer.address), buyerBefore + 2n * CMT);
    assert.equal(await ethers.provider.getBalance(seller.address), sellerBefore + 3n * CMT);
    assert.equal((await escrow.orders(id)).status, 6n, 'Resolved');
  });

  it('lets the seller claim payment once the confirmation window has passed', async function () {
    const amount = CMT;
    const { id } = await openOrder(amount, { confirmWindow: 1n, orderRef: 'order-4' });
    await mined(escrow.connect(seller).markShipped(id, 'TRACK-456'));
    const { confirmDeadline } = await escrow.orders(id);
    // eth_call runs at the latest block's time: refused while the window is open there.
    const early = await escrow
      .connect(seller)
      .claimPayment.staticCall(id)
      .then(
        () => undefined,
        (err) => err,
      );
    if (early === undefined) assert.ok((await latestTime()) > confirmDeadline, 'a claim succeeds only after the window');
    else assert.equal((await expectRevert(Promise.reject(early), escrow)).reason, 'Escrow: confirmation window still open');
    await waitForBlockTimeAfter(confirmDeadline);
    const receipt = await mined(escrow.connect(seller).claimPayment(id));
    const [completed] = events(escrow, receipt, 'OrderCompleted');
    assert.equal(completed.args.paidToSeller, amount);
    assert.equal(completed.args.confirmedByBuyer, false);
  });

  it('reverts refused steps with Escrow reasons', async function () {
    const deadline = (await latestTime()) + 3_600n;
    // Refused while estimating gas (eth_estimateGas answers the revert).
    assert.equal(
      (await expectRevert(escrow.connect(buyer).createOrder(seller.address, arbiter.address, deadline, 60n, ref('x'), { value: 0n }), escrow)).reason,
      'Escrow: payment required',
    );
    assert.equal(
      (await expectRevert(escrow.connect(buyer).createOrder(buyer.address, arbiter.address, deadline, 60n, ref('x'), { value: 1n }), escrow)).reason,
      'Escrow: buyer and seller must differ',
    );
    const { id } = await openOrder(CMT, { orderRef: 'order-5' });
    assert.equal((await expectRevert(escrow.connect(buyer).markShipped(id, 'T'), escrow)).reason, 'Escrow: only the seller can mark shipped');
    assert.equal((await expectRevert(escrow.connect(buyer).confirmReceived(id), escrow)).reason, 'Escrow: order is not shipped');
    assert.equal((await expectRevert(escrow.connect(arbiter).resolve(id, 0n), escrow)).reason, 'Escrow: order is not disputed');
    assert.equal((await expectRevert(escrow.connect(arbiter).withdraw(ethers.ZeroAddress), escrow)).reason, 'Payouts: nothing to withdraw');

    // Refused in a block: with its gas limit given, the transaction is mined and fails (status 0).
    const tx = await escrow.connect(seller).confirmReceived(id, { gasLimit: 200_000n });
    await assert.rejects(tx.wait(), (err) => err.code === 'CALL_EXCEPTION');
    const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
    assert.equal(receipt.status, 0);
    assert.ok(receipt.gasUsed > 21_000n && receipt.gasUsed < 200_000n, 'the failure paid for the gas it used');
    const result = await transactionResult(tx.hash);
    assert.equal(result.status, 'executed');
    assert.match(result.log, /execution reverted: Escrow: order is not shipped/);
    assert.equal((await escrow.orders(id)).status, 1n, 'the order is unchanged');
  });
});
