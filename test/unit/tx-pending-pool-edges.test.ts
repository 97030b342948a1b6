/**
 * Edges of CheckTx's mempool view (src/tx/pending-pool.ts), from its
 * documented contract: reservations against the committed balance, the
 * capacity bound, recheck passes in nonce order, re-evaluation after a
 * commit, and clear(). Every transaction is a legacy transfer at 2 gwei
 * with gas limit 21 000, so its worst-case cost (gas limit × price + value)
 * is COST = 21 000 × 2 gwei + value.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Account } from '../../src/state/accounts.js';
import { TxCode, TxError } from '../../src/tx/errors.js';
import { PendingPool } from '../../src/tx/pending-pool.js';
import { CMT, EMPTY_STATE, sign, wallet } from '../support/evm.js';

const alice = wallet(31);
const bob = wallet(32);
const state = EMPTY_STATE;
const GAS_COST = 21_000n * 2_000_000_000n;
/** maxCost of transfer(n) with the default value 1 wei. */
const COST = GAS_COST + 1n;

function transfer(nonce: number, value = 1n) {
  return sign(alice.wallet, { to: bob.address, value, nonce, gasLimit: 21_000n });
}

function eoa(nonce: bigint, balance: bigint): Account {
  return { nonce, balance, codeHash: new Uint8Array(0) };
}

function isTxError(code: TxCode, message?: RegExp) {
  return (err: unknown) => err instanceof TxError && err.code === code && (message === undefined || message.test(err.message));
}

describe('pending pool: admission', () => {
  it('reads the committed account only for a sender without a queue', async () => {
    const pool = new PendingPool();
    const [t0, t1] = await Promise.all([transfer(0), transfer(1)]);
    pool.admit(t0, () => eoa(0n, 10n * CMT), state);
    // The queue holds the committed account now; readCommitted must not be called.
    pool.admit(
      t1,
      () => {
        throw new Error('readCommitted called for a sender that has a queue');
      },
      state,
    );
    assert.equal(pool.size, 2);
    assert.equal(pool.nextNonce(alice.address, eoa(0n, 10n * CMT), state), 2n);
  });

  it('reserves each queued transaction’s worst-case cost against the balance', async () => {
    const pool = new PendingPool();
    const [t0, t1] = await Promise.all([transfer(0), transfer(1)]);
    // Exactly enough for one transfer: the second must find nothing left.
    pool.admit(t0, () => eoa(0n, COST), state);
    assert.throws(() => pool.admit(t1, () => eoa(0n, COST), state), isTxError(TxCode.InsufficientFunds));
    assert.equal(pool.size, 1);
    assert.equal(pool.nextNonce(alice.address, eoa(0n, COST), state), 1n);
  });

  it('refuses a transaction once `capacity` transactions are queued, and changes nothing', async () => {
    const pool = new PendingPool(2);
    const [t0, t1, t2] = await Promise.all([transfer(0), transfer(1), transfer(2)]);
    const account = eoa(0n, 10n * CMT);
    pool.admit(t0, () => account, state);
    pool.admit(t1, () => account, state);
    assert.throws(() => pool.admit(t2, () => account, state), isTxError(TxCode.Internal, /holds 2 transactions/));
    assert.equal(pool.size, 2);
    assert.equal(pool.nextNonce(alice.address, account, state), 2n);
  });
});

describe('pending pool: recheck passes', () => {
  it('accepts a queue rechecked in nonce order, pass after pass', async () => {
    const pool = new PendingPool();
    const txs = await Promise.all([transfer(0), transfer(1), transfer(2)]);
    for (const tx of txs) pool.admit(tx, () => eoa(0n, 10n * CMT), state);
    for (const height of [5n, 6n]) {
      for (const tx of txs) assert.equal(pool.recheck(tx, height), 'ok', `nonce ${tx.nonce} at height ${height}`);
    }
    assert.equal(pool.size, 3);
  });

  it('cuts the queue where a predecessor went unseen, and frees its reservations', async () => {
    const pool = new PendingPool();
    const [t0, t1, t2] = await Promise.all([transfer(0), transfer(1), transfer(2)]);
    // Exactly enough for three transfers.
    const account = eoa(0n, 3n * COST);
    for (const tx of [t0, t1, t2]) pool.admit(tx, () => account, state);
    assert.equal(pool.recheck(t0, 7n), 'ok');
    // t1 was not rechecked before t2: t1 left CometBFT's mempool, so t2 cannot be included.
    const verdict = pool.recheck(t2, 7n);
    assert.ok(verdict instanceof TxError);
    assert.equal(verdict.code, TxCode.NonceTooHigh);
    assert.ok(verdict.message.includes('nonce 2') && verdict.message.includes(alice.address), verdict.message);
    assert.equal(pool.size, 1);
    assert.equal(pool.nextNonce(alice.address, account, state), 1n);
    assert.equal(pool.recheck(t1, 7n), 'unknown');
    // Only t0's cost is still reserved: 2 × COST is free for nonce 1 again.
    pool.admit(t1, () => account, state);
    pool.admit(t2, () => account, state);
    assert.equal(pool.size, 3);
  });

  it('keeps the pass count of the transactions left after a block includes rechecked ones', async () => {
    const pool = new PendingPool();
    const [t0, t1, t2] = await Promise.all([transfer(0), transfer(1), transfer(2)]);
    for (const tx of [t0, t1, t2]) pool.admit(tx, () => eoa(0n, 10n * CMT), state);
    assert.equal(pool.recheck(t0, 9n), 'ok');
    assert.equal(pool.recheck(t1, 9n), 'ok');
    // t0 is included: of the two rechecked at pass 9, only t1 remains, so t2 is next in order.
    pool.settle(alice.address, eoa(1n, 10n * CMT - COST), state);
    assert.equal(pool.size, 2);
    assert.equal(pool.recheck(t2, 9n), 'ok');
  });

  it('lowers the pass count to what is kept when a balance drop cuts rechecked transactions', async () => {
    const pool = new PendingPool();
    const txs = await Promise.all([transfer(0), transfer(1), transfer(2)]);
    for (const tx of txs) pool.admit(tx, () => eoa(0n, 10n * CMT), state);
    for (const tx of txs) assert.equal(pool.recheck(tx, 4n), 'ok');
    // Balance one wei short of two transfers: only t0 stays, COST − 1 wei is free.
    pool.settle(alice.address, eoa(0n, 2n * COST - 1n), state);
    assert.equal(pool.size, 1);
    // A new nonce-1 transfer of value 0 costs exactly GAS_COST = COST − 1.
    const replacement = await transfer(1, 0n);
    pool.admit(replacement, () => eoa(0n, 2n * COST - 1n), state);
    assert.equal(pool.recheck(replacement, 4n), 'ok');
  });
});

describe('pending pool: settling after a commit', () => {
  it('drops included transactions when only the nonce changed', async () => {
    const pool = new PendingPool();
    const txs = await Promise.all([transfer(0), transfer(1), transfer(2)]);
    for (const tx of txs) pool.admit(tx, () => eoa(0n, 10n * CMT), state);
    pool.settle(alice.address, eoa(1n, 10n * CMT), state);
    assert.equal(pool.size, 2);
    assert.equal(pool.recheck(txs[0]!, 1n), 'unknown');
    assert.equal(pool.nextNonce(alice.address, eoa(1n, 10n * CMT), state), 3n);
  });

  it('drops what the balance no longer covers when only the balance changed', async () => {
    const pool = new PendingPool();
    const [t0, t1] = await Promise.all([transfer(0), transfer(1)]);
    pool.admit(t0, () => eoa(0n, 10n * CMT), state);
    pool.admit(t1, () => eoa(0n, 10n * CMT), state);
    pool.settle(alice.address, eoa(0n, COST), state);
    assert.equal(pool.size, 1);
    assert.equal(pool.nextNonce(alice.address, eoa(0n, COST), state), 1n);
  });

  it('keeps transactions whose costs add up to exactly the new balance', async () => {
    const pool = new PendingPool();
    const txs = await Promise.all([transfer(0), transfer(1), transfer(2), transfer(3)]);
    for (const tx of txs.slice(0, 3)) pool.admit(tx, () => eoa(0n, 10n * CMT), state);
    const after = eoa(1n, 2n * COST);
    pool.settle(alice.address, after, state);
    assert.equal(pool.size, 2);
    assert.equal(pool.nextNonce(alice.address, after, state), 3n);
    // Nothing is left to reserve for a fourth.
    assert.throws(() => pool.admit(txs[3]!, () => after, state), isTxError(TxCode.InsufficientFunds));
  });

  it('drops a queue that no longer follows on from the committed nonce', async () => {
    const pool = new PendingPool();
    const [t1, t2] = await Promise.all([transfer(1), transfer(2)]);
    pool.admit(t1, () => eoa(1n, 10n * CMT), state);
    pool.admit(t2, () => eoa(1n, 10n * CMT), state);
    // A committed nonce below the queue's first (never produced by a chain; the contract still holds).
    pool.settle(alice.address, eoa(0n, 10n * CMT), state);
    assert.equal(pool.size, 0);
    assert.equal(pool.has(alice.address), false);
  });

  it('forgets a sender whose queue emptied, and reads its committed account again', async () => {
    const pool = new PendingPool();
    const [t0, t1] = await Promise.all([transfer(0), transfer(1)]);
    pool.admit(t0, () => eoa(0n, 10n * CMT), state);
    pool.settle(alice.address, eoa(1n, 10n * CMT - COST), state);
    assert.equal(pool.has(alice.address), false);
    assert.equal(pool.size, 0);
    let reads = 0;
    pool.admit(
      t1,
      () => {
        reads++;
        return eoa(1n, 10n * CMT - COST);
      },
      state,
    );
    assert.equal(reads, 1);
  });
});

describe('pending pool: clear', () => {
  it('forgets every queue and hash', async () => {
    const pool = new PendingPool();
    const t0 = await transfer(0);
    pool.admit(t0, () => eoa(0n, 10n * CMT), state);
    pool.clear();
    assert.equal(pool.size, 0);
    assert.equal(pool.has(alice.address), false);
    assert.equal(pool.recheck(t0, 1n), 'unknown');
    assert.equal(pool.nextNonce(alice.address, eoa(0n, 10n * CMT), state), 0n);
  });
});
