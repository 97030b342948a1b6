/**
 * CheckTx's mempool view across blocks (src/tx/pending-pool.ts): a recheck
 * after a block reflects the new nonce and balance exactly, a transaction
 * the block made invalid is evicted, and with CometBFT's `recheck = false`
 * (no rechecks at all) the queued nonces survive the block.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { TxCode } from '../../src/tx/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { benchAccounts, signLegacyTransfer, type BenchAccount } from '../../bench/lib/txgen.js';
import { finalizeRequest } from '../../bench/lib/app.js';

const CMT = 10n ** 18n;
const GAS_COST = 21_000n * 2_000_000_000n; // signLegacyTransfer's gas limit × price

describe('CheckTx view across blocks (recheck on and off)', () => {
  let dir: string;
  let store: CommittedStore;
  let app: CmtdApp;
  let alice: BenchAccount;
  let bob: BenchAccount;
  let height: bigint;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-recheck-'));
    [alice, bob] = benchAccounts(2, 'recheck-test');
    store = await CommittedStore.open(join(dir, 'state.db'));
    app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
    await app.initChain({
      time: { seconds: 1_700_000_000n, nanos: 0 },
      chainId: 'test',
      consensusParams: { block: { maxBytes: 1_000_000n, maxGas: 10_000_000n } },
      validators: [],
      appStateBytes: Buffer.from(JSON.stringify({ accounts: [{ address: alice!.address, balance: (10n * CMT).toString() }] })),
      initialHeight: 1n,
    });
    height = 0n;
    await block([]);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function block(txs: Uint8Array[]): Promise<void> {
    height += 1n;
    const r = await app.finalizeBlock(finalizeRequest(height, txs));
    for (const result of r.txResults) assert.equal(result.code, 0, result.log);
    await app.commit();
  }

  async function check(tx: Uint8Array, type: 'new' | 'recheck'): Promise<{ code: number; log?: string }> {
    return app.checkTx({ tx, type });
  }

  async function balanceOf(address: string): Promise<bigint> {
    const r = await app.query({ path: `/account/${address}`, data: new Uint8Array(0), height: 0n, prove: false });
    return BigInt((JSON.parse(Buffer.from(r.value!).toString('utf8')) as { balance: string }).balance);
  }

  it('rechecks against the new nonce and balance exactly, evicting what the block made invalid', async () => {
    const queued = [
      signLegacyTransfer(alice!, bob!.address, 1n * CMT, 0n),
      signLegacyTransfer(alice!, bob!.address, 2n * CMT, 1n),
      signLegacyTransfer(alice!, bob!.address, 3n * CMT, 2n),
    ];
    for (const tx of queued) assert.equal((await check(tx, 'new')).code, 0);
    // Another node's transaction with nonce 0 spends 6 CMT: our nonce 0 is superseded,
    // nonce 1 (2 CMT) still fits in the 4 CMT left, nonce 2 (3 more) no longer does.
    await block([signLegacyTransfer(alice!, bob!.address, 6n * CMT, 0n)]);
    const committed = await balanceOf(alice!.address);
    assert.equal(committed, 4n * CMT - GAS_COST);

    const first = await check(queued[0]!, 'recheck');
    assert.equal(first.code, TxCode.NonceTooLow, first.log);
    assert.equal((await check(queued[1]!, 'recheck')).code, 0);
    const third = await check(queued[2]!, 'recheck');
    assert.equal(third.code, TxCode.InsufficientFunds, third.log);
    assert.equal(app.pendingNonce(alice!.address), 2n);

    // What is left after nonce 1 is reserved, to the wei.
    const left = committed - (2n * CMT + GAS_COST);
    const tooMuch = await check(signLegacyTransfer(alice!, bob!.address, left - GAS_COST + 1n, 2n), 'new');
    assert.equal(tooMuch.code, TxCode.InsufficientFunds, tooMuch.log);
    assert.equal((await check(signLegacyTransfer(alice!, bob!.address, left - GAS_COST, 2n), 'new')).code, 0);
    assert.equal(app.pendingNonce(alice!.address), 3n);
  });

  it('keeps queued nonces across a block when CometBFT does not recheck (recheck = false)', async () => {
    const queued = [0n, 1n, 2n, 3n].map((nonce) => signLegacyTransfer(alice!, bob!.address, 1n, nonce));
    for (const tx of queued) assert.equal((await check(tx, 'new')).code, 0);
    await block(queued.slice(0, 2));
    // No recheck: the next nonce follows the two still waiting in the mempool.
    assert.equal(app.pendingNonce(alice!.address), 4n);
    const gap = await check(signLegacyTransfer(alice!, bob!.address, 1n, 2n), 'new');
    assert.equal(gap.code, TxCode.NonceTooLow, 'nonce 2 is already queued');
    assert.equal((await check(signLegacyTransfer(alice!, bob!.address, 1n, 4n), 'new')).code, 0);
    await block([...queued.slice(2), signLegacyTransfer(alice!, bob!.address, 1n, 4n)]);
    assert.equal(app.pendingNonce(alice!.address), 5n);
    assert.equal((await check(signLegacyTransfer(alice!, bob!.address, 1n, 5n), 'new')).code, 0);
  });

  it('cuts a queue when a recheck shows an earlier transaction left the mempool', async () => {
    const queued = [0n, 1n, 2n].map((nonce) => signLegacyTransfer(alice!, bob!.address, 1n, nonce));
    for (const tx of queued) assert.equal((await check(tx, 'new')).code, 0);
    await block([]);
    // CometBFT rechecks nonces 1 and 2 only: nonce 0 is gone from its mempool, so neither can be included.
    const orphan = await check(queued[1]!, 'recheck');
    assert.equal(orphan.code, TxCode.NonceTooHigh, orphan.log);
    assert.equal((await check(queued[2]!, 'recheck')).code, TxCode.NonceTooHigh);
    assert.equal(app.pendingNonce(alice!.address), 0n);
    assert.equal((await check(queued[0]!, 'new')).code, 0, 'nonce 0 may be sent again');
  });

  it('checks in full a recheck of a transaction it never queued (a mempool from before a reconnect)', async () => {
    const tx = signLegacyTransfer(alice!, bob!.address, 1n, 0n);
    assert.equal((await check(tx, 'new')).code, 0);
    app.mempoolConnected();
    assert.equal((await check(tx, 'recheck')).code, 0);
    assert.equal(app.pendingNonce(alice!.address), 1n);
    assert.equal((await check(signLegacyTransfer(alice!, bob!.address, 1n, 5n), 'recheck')).code, TxCode.NonceTooHigh);
  });
});
