/**
 * CheckTx's mempool view (src/tx/pending-pool.ts) and EIP-7702: an account
 * whose code is a delegation may still send, so its transactions queue like
 * any sender's and survive the blocks that include their predecessors; an
 * account with ordinary contract code is refused (EIP-3607).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Account } from '../../src/state/accounts.js';
import { Overlay } from '../../src/store/kv.js';
import { writeCode } from '../../src/evm/state.js';
import { TxCode, TxError } from '../../src/tx/errors.js';
import { PendingPool } from '../../src/tx/pending-pool.js';
import { CMT, EMPTY_STATE, sign, wallet } from '../support/evm.js';

const alice = wallet(21);
const bob = wallet(22);

function transfer(nonce: number) {
  return sign(alice.wallet, { to: bob.address, value: 1n, nonce, gasLimit: 21_000n });
}

describe('pending pool with EIP-7702 delegated senders', () => {
  const state = new Overlay(EMPTY_STATE);
  const delegation = writeCode(state, Buffer.from(`ef0100${'c0de'.padStart(40, '0')}`, 'hex'));
  const contract = writeCode(state, Buffer.from('6000600055', 'hex'));

  it('queues a delegated sender and keeps its later transactions after a block includes the first', async () => {
    const pool = new PendingPool();
    const committed: Account = { nonce: 0n, balance: 10n * CMT, codeHash: delegation };
    const [t0, t1, t2] = await Promise.all([transfer(0), transfer(1), transfer(2)]);
    pool.admit(t0, () => committed, state);
    pool.admit(t1, () => committed, state);
    pool.admit(t2, () => committed, state);
    assert.equal(pool.nextNonce(alice.address, committed, state), 3n);

    // A block included t0: the queue keeps t1 and t2.
    const after: Account = { nonce: 1n, balance: committed.balance - 21_000n * 2_000_000_000n - 1n, codeHash: delegation };
    pool.settle(alice.address, after, state);
    assert.equal(pool.size, 2);
    assert.equal(pool.nextNonce(alice.address, after, state), 3n);
  });

  it('refuses a sender holding ordinary contract code, and drops its queue when such code appears', async () => {
    const pool = new PendingPool();
    const t0 = await transfer(0);
    assert.throws(
      () => pool.admit(t0, () => ({ nonce: 0n, balance: 10n * CMT, codeHash: contract }), state),
      (err: unknown) => err instanceof TxError && err.code === TxCode.Signature && /EIP-3607/.test(err.message),
    );
    assert.equal(pool.size, 0);

    const plain: Account = { nonce: 0n, balance: 10n * CMT, codeHash: new Uint8Array(0) };
    pool.admit(t0, () => plain, state);
    pool.admit(await transfer(1), () => plain, state);
    // A block gave the account contract code (it cannot happen for an EOA today; the rule is what matters).
    pool.settle(alice.address, { ...plain, codeHash: contract }, state);
    assert.equal(pool.size, 0);
  });
});
