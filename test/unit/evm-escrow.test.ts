/**
 * contracts/Escrow.sol on the chain's EVM: the happy path (pay, ship,
 * confirm), refund after the ship deadline, seller claim after the
 * confirmation window, dispute settled by the arbiter, revert reasons, and a
 * seller that rejects CMT (payment deferred to withdraw).
 */
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ZeroAddress, type Log } from 'ethers';
import { Accounts } from '../../src/state/accounts.js';
import { readSupply } from '../../src/state/supply.js';
import { Overlay } from '../../src/store/kv.js';
import { TxCode } from '../../src/tx/errors.js';
import { decodeRevertReason } from '../../src/system/revert.js';
import type { TxOutcome } from '../../src/tx/executor.js';
import { CMT, EMPTY_STATE, Sender, deploy, noSystem, rules, send, sumBalances, wallet, type Chain, type Deployed } from '../support/evm.js';

const T0 = 1_700_000_000n;
const DAY = 86_400n;
const buyerW = wallet(11);
const sellerW = wallet(12);
const arbiterW = wallet(13);
const REF = '0x' + '42'.repeat(32);

function events(escrow: Deployed, outcome: TxOutcome): Array<{ name: string; args: Record<string, unknown> }> {
  return outcome.receipt.logs.map((log) => {
    const parsed = escrow.iface.parseLog({ topics: log.topics.map((t) => `0x${Buffer.from(t).toString('hex')}`), data: `0x${Buffer.from(log.data).toString('hex')}` } as Pick<
      Log,
      'topics' | 'data'
    >);
    assert.ok(parsed, 'every log is an Escrow event');
    return { name: parsed.name, args: parsed.args.toObject() };
  });
}

function reverted(outcome: TxOutcome, reason: string): void {
  assert.equal(outcome.code, TxCode.Reverted, `expected a revert with "${reason}"`);
  assert.equal(outcome.receipt.status, 0);
  assert.equal(decodeRevertReason(outcome.receipt.returnData), reason);
  assert.equal(outcome.log, `execution reverted: ${reason}`);
  assert.ok(outcome.fee > 0n, 'a reverted call still pays its gas');
}

describe('Escrow contract', () => {
  let chain: Chain;
  let state: Overlay;
  let accounts: Accounts;
  let buyer: Sender;
  let seller: Sender;
  let arbiter: Sender;
  let escrow: Deployed;

  const at = (time: bigint): void => {
    chain.block = { height: chain.block.height + 1n, time };
  };

  async function openOrder(amount = 5n * CMT): Promise<TxOutcome> {
    return send(chain, buyer, escrow, 'createOrder', [sellerW.address, arbiterW.address, T0 + DAY, 3n * DAY, REF], { value: amount });
  }

  beforeEach(async () => {
    state = new Overlay(EMPTY_STATE);
    accounts = new Accounts(state);
    for (const w of [buyerW, sellerW, arbiterW]) accounts.credit(w.address, 100n * CMT);
    chain = { state, rules: rules(), block: { height: 1n, time: T0 }, resolveSystem: noSystem };
    buyer = new Sender(buyerW.wallet, buyerW.address);
    seller = new Sender(sellerW.wallet, sellerW.address);
    arbiter = new Sender(arbiterW.wallet, arbiterW.address);
    escrow = await deploy(chain, seller, 'Escrow');
    assert.equal(escrow.outcome.code, TxCode.Ok, escrow.outcome.log);
  });

  it('pay → ship → confirm: the seller is paid, every step emits its event', async () => {
    const sellerStart = accounts.balance(sellerW.address);
    const created = await openOrder();
    assert.equal(created.code, TxCode.Ok, created.log);
    const [createdEvent] = events(escrow, created);
    assert.equal(createdEvent!.name, 'OrderCreated');
    assert.equal(createdEvent!.args.id, 1n);
    assert.equal(createdEvent!.args.amount, 5n * CMT);
    assert.equal(createdEvent!.args.orderRef, REF);
    assert.equal(accounts.balance(escrow.address), 5n * CMT);

    at(T0 + 3600n);
    const shipped = await send(chain, seller, escrow, 'markShipped', [1n, 'DHL 123']);
    assert.equal(shipped.code, TxCode.Ok, shipped.log);
    assert.deepEqual(
      events(escrow, shipped).map((e) => [e.name, e.args.tracking, e.args.confirmDeadline]),
      [['OrderShipped', 'DHL 123', T0 + 3600n + 3n * DAY]],
    );

    const confirmed = await send(chain, buyer, escrow, 'confirmReceived', [1n]);
    assert.equal(confirmed.code, TxCode.Ok, confirmed.log);
    assert.deepEqual(
      events(escrow, confirmed).map((e) => [e.name, e.args.paidToSeller, e.args.confirmedByBuyer]),
      [['OrderCompleted', 5n * CMT, true]],
    );
    assert.equal(accounts.balance(escrow.address), 0n);
    assert.equal(accounts.balance(sellerW.address), sellerStart + 5n * CMT - shipped.fee);
    // The order is closed: confirming again is refused with a reason.
    reverted(await send(chain, buyer, escrow, 'confirmReceived', [1n]), 'Escrow: order is not shipped');
  });

  it('refunds the buyer after the ship deadline, not before', async () => {
    const buyerStart = accounts.balance(buyerW.address);
    const created = await openOrder(2n * CMT);
    const early = await send(chain, buyer, escrow, 'refundExpired', [1n]);
    reverted(early, 'Escrow: ship deadline not reached');
    at(T0 + DAY + 1n);
    reverted(await send(chain, seller, escrow, 'markShipped', [1n, 'late']), 'Escrow: ship deadline has passed');
    const refund = await send(chain, buyer, escrow, 'refundExpired', [1n]);
    assert.equal(refund.code, TxCode.Ok, refund.log);
    assert.deepEqual(
      events(escrow, refund).map((e) => [e.name, e.args.refundedToBuyer, e.args.bySeller]),
      [['OrderRefunded', 2n * CMT, false]],
    );
    assert.equal(accounts.balance(buyerW.address), buyerStart - created.fee - early.fee - refund.fee);
  });

  it('lets the seller claim once the confirmation window has passed', async () => {
    await openOrder();
    await send(chain, seller, escrow, 'markShipped', [1n, 'UPS']);
    reverted(await send(chain, seller, escrow, 'claimPayment', [1n]), 'Escrow: confirmation window still open');
    at(T0 + 3n * DAY + 1n);
    const claimed = await send(chain, seller, escrow, 'claimPayment', [1n]);
    assert.equal(claimed.code, TxCode.Ok, claimed.log);
    assert.deepEqual(
      events(escrow, claimed).map((e) => [e.name, e.args.confirmedByBuyer]),
      [['OrderCompleted', false]],
    );
  });

  it('settles a dispute by the arbiter, split between buyer and seller', async () => {
    await openOrder(10n * CMT);
    await send(chain, seller, escrow, 'markShipped', [1n, 'FedEx']);
    const disputed = await send(chain, buyer, escrow, 'dispute', [1n, 'item damaged']);
    assert.deepEqual(
      events(escrow, disputed).map((e) => [e.name, e.args.by, e.args.reason]),
      [['OrderDisputed', buyerW.wallet.address, 'item damaged']],
    );
    reverted(await send(chain, buyer, escrow, 'confirmReceived', [1n]), 'Escrow: order is not shipped');
    reverted(await send(chain, buyer, escrow, 'resolve', [1n, 0n]), 'Escrow: only the arbiter can resolve');
    reverted(await send(chain, arbiter, escrow, 'resolve', [1n, 11n * CMT]), 'Escrow: refund exceeds the escrowed amount');
    const buyerBefore = accounts.balance(buyerW.address);
    const sellerBefore = accounts.balance(sellerW.address);
    const resolved = await send(chain, arbiter, escrow, 'resolve', [1n, 4n * CMT]);
    assert.equal(resolved.code, TxCode.Ok, resolved.log);
    assert.deepEqual(
      events(escrow, resolved).map((e) => [e.name, e.args.toBuyer, e.args.toSeller]),
      [['DisputeResolved', 4n * CMT, 6n * CMT]],
    );
    assert.equal(accounts.balance(buyerW.address), buyerBefore + 4n * CMT);
    assert.equal(accounts.balance(sellerW.address), sellerBefore + 6n * CMT);
    assert.equal(accounts.balance(escrow.address), 0n);
  });

  it('refuses bad orders and wrong callers with readable reasons', async () => {
    reverted(await send(chain, buyer, escrow, 'createOrder', [sellerW.address, arbiterW.address, T0 + DAY, DAY, REF]), 'Escrow: payment required');
    reverted(await send(chain, buyer, escrow, 'createOrder', [buyerW.address, arbiterW.address, T0 + DAY, DAY, REF], { value: 1n }), 'Escrow: buyer and seller must differ');
    reverted(await send(chain, buyer, escrow, 'createOrder', [sellerW.address, sellerW.address, T0 + DAY, DAY, REF], { value: 1n }), 'Escrow: arbiter must be a third party');
    reverted(await send(chain, buyer, escrow, 'createOrder', [sellerW.address, arbiterW.address, T0, DAY, REF], { value: 1n }), 'Escrow: ship deadline must be in the future');
    await openOrder();
    reverted(await send(chain, buyer, escrow, 'markShipped', [1n, 'x']), 'Escrow: only the seller can mark shipped');
    reverted(await send(chain, arbiter, escrow, 'dispute', [1n, 'x']), 'Escrow: only buyer or seller can dispute');
    reverted(await send(chain, buyer, escrow, 'markShipped', [9n, 'x']), 'Escrow: order is not awaiting shipment');
  });

  it('defers a payment the recipient rejects, to be withdrawn; CMT is conserved throughout', async () => {
    const total = (): bigint => sumBalances(state.sortedChanges()) + readSupply(state).feePool;
    const start = total();
    // The seller is a contract without receive(): the LoyaltyToken.
    const token = await deploy(chain, seller, 'LoyaltyToken', ['P', 'P', sellerW.address]);
    const created = await send(chain, buyer, escrow, 'createOrder', [token.address, arbiterW.address, T0 + DAY, DAY, REF], { value: CMT });
    assert.equal(created.code, TxCode.Ok, created.log);
    const refund = await send(chain, buyer, escrow, 'dispute', [1n, 'no shipment']);
    assert.equal(refund.code, TxCode.Ok);
    const resolved = await send(chain, arbiter, escrow, 'resolve', [1n, CMT / 4n]);
    assert.equal(resolved.code, TxCode.Ok, resolved.log);
    assert.deepEqual(
      events(escrow, resolved).map((e) => e.name),
      ['DisputeResolved', 'PaymentDeferred'],
    );
    assert.equal(accounts.balance(escrow.address), (CMT * 3n) / 4n, 'the seller contract share waits in escrow');
    reverted(await send(chain, buyer, escrow, 'withdraw', [ZeroAddress]), 'Payouts: nothing to withdraw');
    assert.equal(total(), start);
  });
});
