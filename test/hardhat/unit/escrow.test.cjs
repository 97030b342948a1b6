/**
 * contracts/Escrow.sol on Hardhat's in-process network: every rule, every
 * refusal, CMT and ERC-20 orders, disputes with deadlines (time travel),
 * partial refunds and deferred payments, balances to the wei.
 */
const assert = require('node:assert/strict');
const { ethers } = require('hardhat');
const { CMT, ZERO, deploy, snapshot, now, mineAt, reason, expectChanges, event } = require('../lib/local.cjs');

const HOUR = 3_600n;
const ref = (text) => ethers.id(text);
const Status = { None: 0n, Funded: 1n, Shipped: 2n, Completed: 3n, Refunded: 4n, Disputed: 5n, Resolved: 6n };

describe('Escrow (unit)', function () {
  let buyer, seller, arbiter, other;
  let escrow, token, rejector;
  const i = (c, fn, args) => c.interface.encodeFunctionData(fn, args);
  let restore;

  before(async function () {
    [buyer, seller, arbiter, other] = await ethers.getSigners();
    escrow = await deploy('Escrow');
    token = await deploy('MockToken');
    rejector = await deploy('TestParty');
    await (await token.mint(buyer.address, 1_000n * CMT)).wait();
    await (await token.connect(buyer).approve(escrow.target, ethers.MaxUint256)).wait();
  });
  beforeEach(async function () {
    restore = await snapshot();
  });
  afterEach(async function () {
    await restore();
  });

  /** A CMT order of `amount` through createOrder; returns its id and ship deadline. */
  async function cmtOrder(amount, { to = seller.address, shipIn = HOUR, confirmWindow = HOUR } = {}) {
    const shipDeadline = (await now()) + shipIn;
    const receipt = await (await escrow.connect(buyer).createOrder(to, arbiter.address, shipDeadline, confirmWindow, ref('o'), { value: amount })).wait();
    return { id: event(escrow, receipt, 'OrderCreated').args.id, shipDeadline };
  }

  /** Terms for createOrderWith. */
  async function terms(overrides = {}) {
    return {
      token: token.target,
      amount: 100n * CMT,
      seller: seller.address,
      arbiter: arbiter.address,
      shipDeadline: (await now()) + HOUR,
      confirmWindow: HOUR,
      disputeWindow: 2n * HOUR,
      orderRef: ref('token-order'),
      ...overrides,
    };
  }

  it('completes a CMT order: paid into escrow, shipped, confirmed, the seller paid', async function () {
    const amount = 3n * CMT;
    const shipDeadline = (await now()) + HOUR;
    const created = await expectChanges(
      ZERO,
      buyer,
      new Map([
        [buyer, -amount],
        [escrow.target, amount],
      ]),
      () => escrow.connect(buyer).createOrder(seller.address, arbiter.address, shipDeadline, HOUR, ref('o1'), { value: amount }),
    );
    const e = event(escrow, created, 'OrderCreated');
    assert.deepEqual(
      [e.args.id, e.args.buyer, e.args.seller, e.args.arbiter, e.args.token, e.args.amount, e.args.shipDeadline, e.args.confirmWindow, e.args.disputeWindow, e.args.orderRef],
      [1n, buyer.address, seller.address, arbiter.address, ZERO, amount, shipDeadline, HOUR, 7n * 24n * HOUR, ref('o1')],
    );
    assert.equal(await escrow.orderCount(), 1n);
    const shipped = await (await escrow.connect(seller).markShipped(1n, 'TRACK')).wait();
    const s = event(escrow, shipped, 'OrderShipped');
    assert.equal(s.args.tracking, 'TRACK');
    assert.equal(s.args.confirmDeadline, (await now()) + HOUR);
    const done = await expectChanges(
      ZERO,
      buyer,
      new Map([
        [seller, amount],
        [escrow.target, -amount],
        [buyer, 0n],
      ]),
      () => escrow.connect(buyer).confirmReceived(1n),
    );
    const c = event(escrow, done, 'OrderCompleted');
    assert.equal(c.args.paidToSeller, amount);
    assert.equal(c.args.confirmedByBuyer, true);
    assert.equal((await escrow.orders(1n)).status, Status.Completed);
  });

  it('refuses bad orders', async function () {
    const t = (await now()) + HOUR;
    const create = (to, arb, deadline, window, value) => escrow.connect(buyer).createOrder(to, arb, deadline, window, ref('x'), { value });
    assert.equal(await reason(create(seller.address, arbiter.address, t, HOUR, 0n), escrow), 'Escrow: payment required');
    assert.equal(await reason(create(ZERO, arbiter.address, t, HOUR, 1n), escrow), 'Escrow: seller is the zero address');
    assert.equal(await reason(create(buyer.address, arbiter.address, t, HOUR, 1n), escrow), 'Escrow: buyer and seller must differ');
    for (const arb of [ZERO, buyer.address, seller.address]) {
      assert.equal(await reason(create(seller.address, arb, t, HOUR, 1n), escrow), 'Escrow: arbiter must be a third party');
    }
    assert.equal(await reason(create(seller.address, arbiter.address, await now(), HOUR, 1n), escrow), 'Escrow: ship deadline must be in the future');
    assert.equal(await reason(create(seller.address, arbiter.address, t, 0n, 1n), escrow), 'Escrow: confirm window must be positive');
    assert.equal(await reason(escrow.connect(buyer).createOrderWith(await terms({ disputeWindow: 0n })), escrow), 'Escrow: dispute window must be positive');
    // Payment rules of Payouts: CMT must match the amount; a token order takes no CMT; fee-on-transfer tokens are refused.
    assert.equal(await reason(escrow.connect(buyer).createOrderWith(await terms({ token: ZERO, amount: 5n }), { value: 4n }), escrow), 'Payouts: CMT sent differs from the amount');
    assert.equal(await reason(escrow.connect(buyer).createOrderWith(await terms(), { value: 1n }), escrow), 'Payouts: CMT sent with a token payment');
    await (await token.setFeeBps(100n)).wait();
    assert.equal(await reason(escrow.connect(buyer).createOrderWith(await terms()), escrow), 'Payouts: token delivered less than sent');
    assert.equal(await escrow.orderCount(), 0n);
  });

  it('takes ERC-20 payments and pays the seller in the token', async function () {
    const amount = 100n * CMT;
    const receipt = await expectChanges(
      token.target,
      buyer,
      new Map([
        [buyer, -amount],
        [escrow.target, amount],
      ]),
      async () => escrow.connect(buyer).createOrderWith(await terms()),
    );
    const e = event(escrow, receipt, 'OrderCreated');
    assert.equal(e.args.token, token.target);
    assert.equal(e.args.disputeWindow, 2n * HOUR);
    await (await escrow.connect(seller).markShipped(1n, 'T')).wait();
    await expectChanges(
      token.target,
      buyer,
      new Map([
        [seller, amount],
        [escrow.target, -amount],
      ]),
      () => escrow.connect(buyer).confirmReceived(1n),
    );
    // A CMT order through createOrderWith, with its own dispute window.
    const cmt = await expectChanges(
      ZERO,
      buyer,
      new Map([
        [buyer, -7n],
        [escrow.target, 7n],
      ]),
      async () => escrow.connect(buyer).createOrderWith(await terms({ token: ZERO, amount: 7n }), { value: 7n }),
    );
    assert.equal(event(escrow, cmt, 'OrderCreated').args.token, ZERO);
  });

  it('lets the seller mark shipped only in time, and only the seller', async function () {
    const { id, shipDeadline } = await cmtOrder(CMT);
    assert.equal(await reason(escrow.connect(buyer).markShipped(id, 'T'), escrow), 'Escrow: only the seller can mark shipped');
    await mineAt(shipDeadline + 1n);
    assert.equal(await reason(escrow.connect(seller).markShipped(id, 'T'), escrow), 'Escrow: ship deadline has passed');
    assert.equal(await reason(escrow.connect(seller).markShipped(99n, 'T'), escrow), 'Escrow: order is not awaiting shipment');
    assert.equal(await reason(escrow.connect(buyer).refundExpired(99n), escrow), 'Escrow: order is not awaiting shipment');
    assert.equal(await reason(escrow.connect(seller).claimPayment(id), escrow), 'Escrow: order is not shipped');
    assert.equal(await reason(escrow.settleExpiredDispute(id), escrow), 'Escrow: order is not disputed');
  });

  it('refunds the buyer of an order not shipped by its deadline', async function () {
    const amount = 2n * CMT;
    const { id, shipDeadline } = await cmtOrder(amount);
    assert.equal(await reason(escrow.connect(buyer).refundExpired(id), escrow), 'Escrow: ship deadline not reached');
    await mineAt(shipDeadline + 1n);
    assert.equal(await reason(escrow.connect(seller).refundExpired(id), escrow), 'Escrow: only the buyer can claim a refund');
    const receipt = await expectChanges(
      ZERO,
      buyer,
      new Map([
        [buyer, amount],
        [escrow.target, -amount],
      ]),
      () => escrow.connect(buyer).refundExpired(id),
    );
    const r = event(escrow, receipt, 'OrderRefunded');
    assert.equal(r.args.refundedToBuyer, amount);
    assert.equal(r.args.bySeller, false);
    assert.equal((await escrow.orders(id)).status, Status.Refunded);
  });

  it('pays the seller once the confirmation window has passed', async function () {
    const { id } = await cmtOrder(CMT);
    assert.equal(await reason(escrow.connect(buyer).confirmReceived(id), escrow), 'Escrow: order is not shipped');
    await (await escrow.connect(seller).markShipped(id, 'T')).wait();
    assert.equal(await reason(escrow.connect(seller).confirmReceived(id), escrow), 'Escrow: only the buyer can confirm');
    const { confirmDeadline } = await escrow.orders(id);
    assert.equal(await reason(escrow.connect(seller).claimPayment(id), escrow), 'Escrow: confirmation window still open');
    await mineAt(confirmDeadline + 1n);
    assert.equal(await reason(escrow.connect(buyer).claimPayment(id), escrow), 'Escrow: only the seller can claim');
    const receipt = await expectChanges(
      ZERO,
      seller,
      new Map([
        [seller, CMT],
        [escrow.target, -CMT],
      ]),
      () => escrow.connect(seller).claimPayment(id),
    );
    assert.equal(event(escrow, receipt, 'OrderCompleted').args.confirmedByBuyer, false);
  });

  it('lets the seller refund in full, before or after shipment', async function () {
    const { id } = await cmtOrder(CMT);
    assert.equal(await reason(escrow.connect(buyer).refundBySeller(id), escrow), 'Escrow: only the seller can refund');
    const receipt = await expectChanges(
      ZERO,
      seller,
      new Map([
        [buyer, CMT],
        [escrow.target, -CMT],
      ]),
      () => escrow.connect(seller).refundBySeller(id),
    );
    assert.equal(event(escrow, receipt, 'OrderRefunded').args.bySeller, true);
    assert.equal(await reason(escrow.connect(seller).refundBySeller(id), escrow), 'Escrow: order is not open');
    const second = await cmtOrder(2n * CMT);
    await (await escrow.connect(seller).markShipped(second.id, 'T')).wait();
    await expectChanges(ZERO, seller, new Map([[buyer, 2n * CMT]]), () => escrow.connect(seller).refundBySeller(second.id));
  });

  it('takes partial refunds, then pays the seller the rest; refunding what is left is a full refund', async function () {
    const { id } = await cmtOrder(10n * CMT);
    assert.equal(await reason(escrow.connect(seller).partialRefund(id, 0n), escrow), 'Escrow: refund must be between 0 and the escrowed amount');
    assert.equal(await reason(escrow.connect(seller).partialRefund(id, 10n * CMT + 1n), escrow), 'Escrow: refund must be between 0 and the escrowed amount');
    assert.equal(await reason(escrow.connect(buyer).partialRefund(id, 1n), escrow), 'Escrow: only the seller can refund');
    const receipt = await expectChanges(
      ZERO,
      seller,
      new Map([
        [buyer, 3n * CMT],
        [escrow.target, -3n * CMT],
      ]),
      () => escrow.connect(seller).partialRefund(id, 3n * CMT),
    );
    const p = event(escrow, receipt, 'OrderPartiallyRefunded');
    assert.equal(p.args.refundedToBuyer, 3n * CMT);
    assert.equal(p.args.remaining, 7n * CMT);
    await (await escrow.connect(seller).markShipped(id, 'T')).wait();
    await expectChanges(
      ZERO,
      buyer,
      new Map([
        [seller, 7n * CMT],
        [escrow.target, -7n * CMT],
      ]),
      () => escrow.connect(buyer).confirmReceived(id),
    );

    const second = await cmtOrder(4n * CMT);
    await (await escrow.connect(seller).partialRefund(second.id, CMT)).wait();
    const full = await expectChanges(
      ZERO,
      seller,
      new Map([
        [buyer, 3n * CMT],
        [escrow.target, -3n * CMT],
      ]),
      () => escrow.connect(seller).partialRefund(second.id, 3n * CMT),
    );
    assert.equal(event(escrow, full, 'OrderRefunded').args.refundedToBuyer, 3n * CMT);
    assert.equal((await escrow.orders(second.id)).status, Status.Refunded);
  });

  it('lets the arbiter split a dispute before its deadline', async function () {
    const { id } = await cmtOrder(5n * CMT);
    assert.equal(await reason(escrow.connect(arbiter).dispute(id, 'r'), escrow), 'Escrow: only buyer or seller can dispute');
    const opened = await (await escrow.connect(seller).dispute(id, 'buyer unreachable')).wait();
    const d = event(escrow, opened, 'OrderDisputed');
    assert.equal(d.args.by, seller.address);
    assert.equal(d.args.reason, 'buyer unreachable');
    assert.equal(d.args.disputeDeadline, (await now()) + 7n * 24n * HOUR);
    assert.equal(await reason(escrow.connect(buyer).dispute(id, 'again'), escrow), 'Escrow: order is not open');
    assert.equal(await reason(escrow.connect(buyer).resolve(id, 0n), escrow), 'Escrow: only the arbiter can resolve');
    assert.equal(await reason(escrow.connect(arbiter).resolve(id, 5n * CMT + 1n), escrow), 'Escrow: refund exceeds the escrowed amount');
    assert.equal(await reason(escrow.connect(arbiter).settleExpiredDispute(id), escrow), 'Escrow: dispute deadline not reached');
    const receipt = await expectChanges(
      ZERO,
      arbiter,
      new Map([
        [buyer, 2n * CMT],
        [seller, 3n * CMT],
        [escrow.target, -5n * CMT],
        [arbiter, 0n],
      ]),
      () => escrow.connect(arbiter).resolve(id, 2n * CMT),
    );
    const r = event(escrow, receipt, 'DisputeResolved');
    assert.deepEqual([r.args.arbiter, r.args.toBuyer, r.args.toSeller], [arbiter.address, 2n * CMT, 3n * CMT]);
    assert.equal((await escrow.orders(id)).status, Status.Resolved);
    assert.equal(await reason(escrow.connect(arbiter).resolve(id, 0n), escrow), 'Escrow: order is not disputed');
    // All to one side: nothing is paid to the other.
    const second = await cmtOrder(CMT);
    await (await escrow.connect(buyer).dispute(second.id, 'r')).wait();
    const all = await expectChanges(ZERO, arbiter, new Map([[seller, CMT]]), () => escrow.connect(arbiter).resolve(second.id, 0n));
    assert.equal(event(escrow, all, 'DisputeResolved').args.toBuyer, 0n);
  });

  it('settles a dispute the arbiter missed as if it had not been opened', async function () {
    // Opened before shipment: the buyer is refunded.
    const { id } = await cmtOrder(2n * CMT);
    await (await escrow.connect(buyer).createOrderWith(await terms())).wait();
    await (await escrow.connect(buyer).dispute(id, 'late')).wait();
    await (await escrow.connect(seller).markShipped(2n, 'T')).wait();
    await (await escrow.connect(buyer).dispute(2n, 'broken')).wait();
    const [d1, d2] = [(await escrow.orders(id)).disputeDeadline, (await escrow.orders(2n)).disputeDeadline];
    assert.ok(d2 < d1, 'the token order has the shorter dispute window');
    await mineAt(d2 + 1n);
    assert.equal(await reason(escrow.connect(arbiter).resolve(2n, 0n), escrow), 'Escrow: dispute deadline has passed');
    assert.equal(await reason(escrow.connect(other).settleExpiredDispute(id), escrow), 'Escrow: dispute deadline not reached');
    await mineAt(d1 + 1n);
    const refunded = await expectChanges(
      ZERO,
      other,
      new Map([
        [buyer, 2n * CMT],
        [escrow.target, -2n * CMT],
      ]),
      () => escrow.connect(other).settleExpiredDispute(id),
    );
    const r = event(escrow, refunded, 'DisputeExpired');
    assert.deepEqual([r.args.toBuyer, r.args.toSeller], [2n * CMT, 0n]);
    // Opened after shipment (a token order): the seller is paid.
    const paid = await expectChanges(
      token.target,
      other,
      new Map([
        [seller, 100n * CMT],
        [buyer, 0n],
      ]),
      () => escrow.connect(other).settleExpiredDispute(2n),
    );
    assert.deepEqual([...event(escrow, paid, 'DisputeExpired').args].slice(1), [0n, 100n * CMT]);
    assert.equal((await escrow.orders(2n)).status, Status.Resolved);
  });

  it('keeps a payment the recipient refuses for it to withdraw', async function () {
    // The seller is a contract that rejects CMT at first.
    const sellerContract = rejector.target;
    const { id } = await cmtOrder(CMT, { to: sellerContract });
    const call = (fn, args) => escrow.interface.encodeFunctionData(fn, args);
    await (await rejector.forward(escrow.target, call('markShipped', [id, 'T']))).wait();
    const receipt = await expectChanges(
      ZERO,
      buyer,
      new Map([
        [sellerContract, 0n],
        [escrow.target, 0n],
      ]),
      () => escrow.connect(buyer).confirmReceived(id),
    );
    const deferred = event(escrow, receipt, 'PaymentDeferred');
    assert.deepEqual([deferred.args.token, deferred.args.recipient, deferred.args.amount], [ZERO, sellerContract, CMT]);
    assert.equal(await escrow.pendingWithdrawal(ZERO, sellerContract), CMT);
    assert.equal(await reason(rejector.forward(escrow.target, call('withdraw', [ZERO])), escrow), 'Payouts: CMT transfer failed');
    await (await rejector.setAccept(true)).wait();
    const w = await expectChanges(
      ZERO,
      buyer,
      new Map([
        [sellerContract, CMT],
        [escrow.target, -CMT],
      ]),
      () => rejector.forward(escrow.target, call('withdraw', [ZERO])),
    );
    assert.deepEqual([...event(escrow, w, 'Withdrawn').args], [ZERO, sellerContract, CMT]);
    assert.equal(await escrow.pendingWithdrawal(ZERO, sellerContract), 0n);
    assert.equal(await reason(escrow.connect(seller).withdraw(ZERO), escrow), 'Payouts: nothing to withdraw');

    // A token that refuses the transfer to the seller: deferred too, withdrawn once it is allowed.
    await (await escrow.connect(buyer).createOrderWith(await terms())).wait();
    await (await escrow.connect(seller).markShipped(2n, 'T')).wait();
    await (await token.setBlocked(seller.address, true)).wait();
    const blocked = await expectChanges(
      token.target,
      buyer,
      new Map([
        [seller, 0n],
        [escrow.target, 0n],
      ]),
      () => escrow.connect(buyer).confirmReceived(2n),
    );
    assert.equal(event(escrow, blocked, 'PaymentDeferred').args.token, token.target);
    await (await token.setBlocked(seller.address, false)).wait();
    await expectChanges(
      token.target,
      seller,
      new Map([
        [seller, 100n * CMT],
        [escrow.target, -100n * CMT],
      ]),
      () => escrow.connect(seller).withdraw(token.target),
    );
  });

  it('refuses every re-entry while it pays out', async function () {
    const party = rejector;
    const { id } = await cmtOrder(CMT, { to: party.target });
    await (await party.forward(escrow.target, i(escrow, 'markShipped', [id, 'T']))).wait();
    const t = await terms();
    const calls = [
      i(escrow, 'createOrder', [seller.address, arbiter.address, t.shipDeadline, 1n, ref('r')]),
      i(escrow, 'createOrderWith', [t]),
      i(escrow, 'confirmReceived', [id]),
      i(escrow, 'claimPayment', [id]),
      i(escrow, 'refundExpired', [id]),
      i(escrow, 'refundBySeller', [id]),
      i(escrow, 'partialRefund', [id, 1n]),
      i(escrow, 'resolve', [id, 0n]),
      i(escrow, 'settleExpiredDispute', [id]),
      i(escrow, 'withdraw', [ZERO]),
    ];
    await (await party.armReentry(escrow.target, calls)).wait();
    await expectChanges(
      ZERO,
      buyer,
      new Map([
        [party.target, CMT],
        [escrow.target, -CMT],
      ]),
      () => escrow.connect(buyer).confirmReceived(id),
    );
    assert.equal(await party.refusedReentries(), BigInt(calls.length));
  });
});
