/** The app driven directly over a real LevelDB store (no CometBFT): lifecycle, views, proposals. */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { benchAccounts, signLegacyTransfer, type BenchAccount } from '../../bench/lib/txgen.js';
import { finalizeRequest } from '../../bench/lib/app.js';

const CMT = 10n ** 18n;

describe('CmtdApp', () => {
  let dir: string;
  let store: CommittedStore;
  let app: CmtdApp;
  let alice: BenchAccount;
  let bob: BenchAccount;

  async function open(stateHistory?: number): Promise<void> {
    store = await CommittedStore.open(join(dir, 'state.db'), stateHistory === undefined ? {} : { stateHistory });
    app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
  }

  async function query(address: string): Promise<{ balance: string; nonce: string }> {
    const r = await app.query({ path: `/account/${address}`, data: new Uint8Array(0), height: 0n, prove: false });
    assert.equal(r.code, 0, r.log);
    return JSON.parse(Buffer.from(r.value!).toString('utf8')) as { balance: string; nonce: string };
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-app-'));
    [alice, bob] = benchAccounts(2, 'app-test');
    await open();
    await initChain();
  });

  async function initChain(): Promise<void> {
    await app.initChain({
      time: { seconds: 1_700_000_000n, nanos: 0 },
      chainId: 'test',
      consensusParams: { block: { maxBytes: 1_000_000n, maxGas: 10_000_000n } },
      validators: [],
      appStateBytes: Buffer.from(JSON.stringify({ params: { free_tx_slots: 2 }, accounts: [{ address: alice!.address, balance: (100n * CMT).toString() }] })),
      initialHeight: 1n,
    });
  }

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits blocks and reloads them: Info reports the last height and app hash, state is intact', async () => {
    const r1 = await app.finalizeBlock(finalizeRequest(1n, [signLegacyTransfer(alice!, bob!.address, 5n * CMT, 0n)]));
    assert.equal(r1.txResults[0]!.code, 0, r1.txResults[0]!.log);
    await app.commit();
    const r2 = await app.finalizeBlock(finalizeRequest(2n, [signLegacyTransfer(alice!, bob!.address, 1n, 1n)]));
    await app.commit();
    assert.notDeepEqual(r1.appHash, r2.appHash);

    await store.close();
    await open();
    const info = await app.info({ version: '0.38.25', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' });
    assert.equal(info.lastBlockHeight, 2n);
    assert.deepEqual(Buffer.from(info.lastBlockAppHash), Buffer.from(r2.appHash));
    assert.equal((await query(bob!.address)).balance, (5n * CMT + 1n).toString());
    assert.equal((await query(alice!.address)).nonce, '2');
  });

  it('replays a block that was executed but not committed from a clean slate', async () => {
    const tx = signLegacyTransfer(alice!, bob!.address, 7n, 0n);
    const first = await app.finalizeBlock(finalizeRequest(1n, [tx]));
    // CometBFT crashed before Commit and sends the same block again.
    const again = await app.finalizeBlock(finalizeRequest(1n, [tx]));
    assert.equal(again.txResults[0]!.code, 0, 'the first execution left nothing behind (nonce 0 is still unused)');
    assert.deepEqual(Buffer.from(again.appHash), Buffer.from(first.appHash));
  });

  it('keeps CheckTx on its own view: queued nonces accepted, gaps refused, the block in progress unseen', async () => {
    await app.finalizeBlock(finalizeRequest(1n, []));
    await app.commit();
    for (let nonce = 0n; nonce < 3n; nonce++) {
      const r = await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, nonce), type: 'new' });
      assert.equal(r.code, 0, r.log);
    }
    const gap = await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, 5n), type: 'new' });
    assert.equal(gap.code, 5);
    assert.match(gap.log!, /expects nonce 3 next/);
    // The block being executed does not disturb the mempool's view, and vice versa.
    await app.finalizeBlock(finalizeRequest(2n, [signLegacyTransfer(alice!, bob!.address, 1n, 0n)]));
    const next = await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, 3n), type: 'new' });
    assert.equal(next.code, 0, next.log);
    await app.commit();
    // After Commit nonce 1 is first in line: its recheck finds it queued and valid.
    const recheck = await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, 1n), type: 'recheck' });
    assert.equal(recheck.code, 0, recheck.log);
  });

  it('starts the CheckTx view over when a new mempool connection arrives (CometBFT restarted, its mempool empty)', async () => {
    await app.finalizeBlock(finalizeRequest(1n, []));
    await app.commit();
    for (let nonce = 0n; nonce < 2n; nonce++) {
      assert.equal((await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, nonce), type: 'new' })).code, 0);
    }
    app.mempoolConnected();
    const gapped = await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, 2n), type: 'new' });
    assert.equal(gapped.code, 5, 'nonce 2 needs nonces 0 and 1, which the new mempool does not hold');
    assert.equal((await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, 0n), type: 'new' })).code, 0);
    assert.equal(app.pendingNonce(alice!.address), 1n);
  });

  it('enforces the free-slot rule in PrepareProposal and ProcessProposal', async () => {
    await app.finalizeBlock(finalizeRequest(1n, []));
    await app.commit();
    // Three senders, zero-price transfers to an address without code (bob holds nothing, so none pays).
    const [carol, dave] = benchAccounts(2, 'app-test-free');
    const free = [alice!, carol!, dave!].map((from) => signLegacyTransfer(from, bob!.address, 0n, 0n, 18n, 0n));
    const paid = signLegacyTransfer(alice!, bob!.address, 0n, 1n);
    const prepared = await app.prepareProposal({
      maxTxBytes: 1_000_000n,
      txs: [...free, paid, Uint8Array.from([1, 2, 3])],
      localLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      height: 2n,
      time: { seconds: 1_700_000_002n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    });
    assert.equal(prepared.txs.length, 3, 'two free transactions, the paid one; no third free one, no garbage');
    const processRequest = (txs: Uint8Array[]) => ({
      txs,
      proposedLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      hash: new Uint8Array(32),
      height: 2n,
      time: { seconds: 1_700_000_002n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    });
    assert.equal((await app.processProposal(processRequest(prepared.txs))).status, 'accept');
    assert.equal((await app.processProposal(processRequest(free))).status, 'reject');
  });

  it('answers queries: bad address and unknown path get distinct non-zero codes', async () => {
    await app.finalizeBlock(finalizeRequest(1n, []));
    await app.commit();
    const bad = await app.query({ path: '/account/0x123', data: new Uint8Array(0), height: 0n, prove: false });
    assert.equal(bad.code, 2);
    const unknown = await app.query({ path: '/nothing', data: new Uint8Array(0), height: 0n, prove: false });
    assert.equal(unknown.code, 1);
    const old = await app.query({ path: `/account/${alice!.address}`, data: new Uint8Array(0), height: 99n, prove: false });
    assert.equal(old.code, 4);
  });

  it('answers queries as of an older height (ABCI Query height), and says when that height was pruned', async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    await open(3); // keep the last 3 heights
    await initChain();
    const at = async (height: bigint): Promise<{ code: number; log?: string; height: bigint; balance?: string }> => {
      const r = await app.query({ path: `/account/${bob!.address}`, data: new Uint8Array(0), height, prove: false });
      return {
        code: r.code ?? 0,
        ...(r.log === undefined ? {} : { log: r.log }),
        height: r.height ?? 0n,
        ...(r.code === 0 ? { balance: (JSON.parse(Buffer.from(r.value!).toString('utf8')) as { balance: string }).balance } : {}),
      };
    };
    for (let h = 1n; h <= 6n; h++) {
      const r = await app.finalizeBlock(finalizeRequest(h, [signLegacyTransfer(alice!, bob!.address, h, h - 1n)]));
      assert.equal(r.txResults[0]!.code, 0, r.txResults[0]!.log);
      await app.commit();
    }
    await store.pruned();
    // bob received 1 + 2 + ... + h wei by height h
    for (const h of [4n, 5n, 6n]) assert.deepEqual(await at(h), { code: 0, height: h, balance: String((h * (h + 1n)) / 2n) });
    assert.deepEqual(await at(0n), { code: 0, height: 6n, balance: '21' });
    const pruned = await at(3n);
    assert.equal(pruned.code, 4);
    assert.match(pruned.log!, /height 3 was pruned.*oldest available: 4/);
    const future = await at(7n);
    assert.equal(future.code, 4);
    assert.match(future.log!, /latest committed height is 6/);
  });
});
