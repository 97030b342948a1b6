/**
 * State sync through the app's ABCI snapshot methods, with real LevelDB
 * stores and no CometBFT (test/integration/statesync.test.ts runs it with
 * CometBFT):
 * - a node takes snapshots every 3 heights in the background and keeps 2;
 * - a fresh node restores one chunk by chunk, refusing a corrupted chunk
 *   (RETRY, its sender rejected, nothing applied) and lying snapshots;
 *   it then has the same app hash, and the next blocks (with BLOCKHASH
 *   reads reaching back before the snapshot) give the same app hashes on
 *   both nodes;
 * - the format rejects unsorted or truncated chunks;
 * - retain heights respect snapshots, evidence age and state history, and
 *   the index is pruned to them with a clear error for older blocks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Interface } from 'ethers';
import type { Snapshot } from '../../src/abci/types.js';
import { BlockRetention } from '../../src/app/retention.js';
import { compileSolidity } from '../support/contracts.js';
import { BlockUnavailableError, ChainIndex } from '../../src/index/reader.js';
import { heightKey } from '../../src/index/records.js';
import { SnapshotFormatError, chunkHash, decodeChunk, decodeMetadata, encodeChunk, encodeMetadata, snapshotHash } from '../../src/statesync/format.js';
import { SnapshotStore } from '../../src/statesync/snapshots.js';
import { AppNode, Account, CMT } from '../support/app-node.js';

const SOURCE = `
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
contract HashProbe {
    uint256 public total;
    function record(uint256 from, uint256 to) external {
        for (uint256 n = from; n <= to; n++) total += uint256(blockhash(n)) % 1000;
    }
}`;
const probe = compileSolidity(SOURCE, 'HashProbe');
const iface = new Interface(probe.abi);
const PROBE = '0x000000000000000000000000000000000000b10c';
const senders = Array.from({ length: 40 }, (_, i) => Account.fromSeed(`statesync-${i}`));
const appState = {
  accounts: senders.map((a) => ({ address: a.address, balance: (1_000n * CMT).toString() })),
  contracts: [{ address: PROBE, code: probe.deployedBytecode, storage: {}, balance: '0', nonce: '1' }],
};

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** A block of transfers from every sender plus a BLOCKHASH probe reaching 10 blocks back. */
async function busyBlock(node: AppNode, accounts: Account[]): Promise<Uint8Array[]> {
  const h = node.height + 1n;
  const txs: Uint8Array[] = [];
  for (const [i, a] of accounts.entries()) txs.push(await a.sign({ to: senders[(i + 1) % senders.length]!.address, value: BigInt(i + 1) * 1_000n, gasLimit: 21_000n }));
  txs.push(await accounts[0]!.sign({ to: PROBE, data: iface.encodeFunctionData('record', [h > 10n ? h - 10n : 0n, h - 1n]), gasLimit: 3_000_000n }));
  return txs;
}

describe('state sync through the ABCI snapshot methods', () => {
  const source = new AppNode();
  const target = new AppNode();
  let snapshots: SnapshotStore;
  let offered: Snapshot;
  let block7Txs: Uint8Array[] = [];

  before(async () => {
    await source.open(appState, {});
    // Reopen with snapshots: open() ran InitChain; the snapshot store needs the store.
    snapshots = new SnapshotStore({ dir: join(source.dir, 'snapshots'), source: source.store, interval: 3, keepRecent: 2, chunkBytes: 1024 });
    await snapshots.open();
    (source.app as unknown as { snapshots: SnapshotStore }).snapshots = snapshots;
    for (let i = 0; i < 7; i++) {
      const txs = await busyBlock(source, senders);
      block7Txs = txs;
      const block = await source.block(txs);
      for (const r of block.results) assert.equal(r.code, 0, r.log);
      await snapshots.idle();
    }
    await target.openEmpty();
  });
  after(async () => {
    await snapshots.close();
    await source.close();
    await target.close();
  });

  it('takes a snapshot every interval and keeps the latest ones', async () => {
    const { snapshots: list } = await source.app.listSnapshots();
    assert.deepEqual(
      list.map((s) => s.height),
      [6n, 3n],
    );
    assert.deepEqual(readdirSync(join(source.dir, 'snapshots')).sort(), ['3', '6']);
    offered = list[0]!;
    const metadata = decodeMetadata(offered.metadata);
    assert.equal(hex(metadata.appHash), hex(source.store.appHashAt(6n)));
    assert.equal(hex(offered.hash), hex(snapshotHash(offered.metadata)));
    assert.ok(offered.chunks > 3, `1 KiB chunks: several of them (${offered.chunks})`);
    // Deterministic: building the same version again gives the same bytes.
    const again = await new SnapshotStore({ dir: join(source.dir, 'again'), source: source.store, interval: 0, keepRecent: 1, chunkBytes: 1024 }).build(6n);
    assert.equal(hex(again.hash), hex(offered.hash));
    // Reopened (a restart): the complete snapshots are listed again, an unfinished one is removed.
    mkdirSync(join(source.dir, 'snapshots', '9.tmp'));
    const reopened = new SnapshotStore({ dir: join(source.dir, 'snapshots'), source: source.store, interval: 3, keepRecent: 2 });
    await reopened.open();
    assert.deepEqual(
      reopened.list().map((s) => hex(s.hash)),
      list.map((s) => hex(s.hash)),
    );
    assert.ok(!existsSync(join(source.dir, 'snapshots', '9.tmp')));
    // Chunks only of listed snapshots, in range.
    assert.equal((await source.app.loadSnapshotChunk({ height: 6n, format: 1, chunk: offered.chunks })).chunk.length, 0);
    assert.equal((await source.app.loadSnapshotChunk({ height: 5n, format: 1, chunk: 0 })).chunk.length, 0);
    assert.equal((await source.app.loadSnapshotChunk({ height: 6n, format: 2, chunk: 0 })).chunk.length, 0);
    assert.ok((await source.app.loadSnapshotChunk({ height: 3n, format: 1, chunk: 0 })).chunk.length > 0);
  });

  it('refuses offers whose metadata or app hash do not check out', async () => {
    const appHash = source.store.appHashAt(6n);
    assert.equal((await target.app.offerSnapshot({ snapshot: { ...offered, format: 2 }, appHash })).result, 'reject_format');
    assert.equal((await target.app.offerSnapshot({ snapshot: { ...offered, hash: new Uint8Array(32) }, appHash })).result, 'reject');
    assert.equal((await target.app.offerSnapshot({ snapshot: offered, appHash: source.store.appHashAt(5n) })).result, 'reject', 'the app hash is not the verified one');
    assert.equal((await target.app.offerSnapshot({ snapshot: { ...offered, chunks: offered.chunks + 1 }, appHash })).result, 'reject');
    assert.equal(target.store.height, 0n);
  });

  it('rejects a self-consistent snapshot whose state is not the verified app hash, committing nothing', async () => {
    // A liar's snapshot: honest-looking metadata (the true app hash, its own chunk hashes) over other state.
    const chunk = encodeChunk([[Buffer.from('a/liar'), Buffer.from('rich')]]);
    const metadata = encodeMetadata({ height: 6n, appHash: source.store.appHashAt(6n), keyCount: 1n, chunkHashes: [chunkHash(chunk)] });
    const lie: Snapshot = { height: 6n, format: 1, chunks: 1, hash: snapshotHash(metadata), metadata };
    assert.equal((await target.app.offerSnapshot({ snapshot: lie, appHash: source.store.appHashAt(6n) })).result, 'accept');
    assert.equal((await target.app.applySnapshotChunk({ index: 0, chunk, sender: 'liar' })).result, 'reject_snapshot');
    assert.equal(target.store.height, 0n, 'nothing committed');
  });

  it('restores chunk by chunk, refusing a corrupted chunk and its sender, to the same app hash', async () => {
    const appHash = source.store.appHashAt(6n);
    assert.equal((await target.app.offerSnapshot({ snapshot: offered, appHash })).result, 'accept');
    for (let i = 0; i < offered.chunks; i++) {
      const { chunk } = await source.app.loadSnapshotChunk({ height: 6n, format: 1, chunk: i });
      if (i === 1) {
        const bad = Uint8Array.from(chunk);
        bad[bad.length - 1]! ^= 1;
        const refused = await target.app.applySnapshotChunk({ index: i, chunk: bad, sender: 'peer-bad' });
        assert.deepEqual(refused, { result: 'retry', refetchChunks: [1], rejectSenders: ['peer-bad'] });
        assert.equal(target.store.height, 0n);
      }
      const res = await target.app.applySnapshotChunk({ index: i, chunk, sender: 'peer-good' });
      assert.equal(res.result, 'accept', `chunk ${i}`);
    }
    const info = await target.app.info({ version: '', blockVersion: 0n, p2pVersion: 0n, abciVersion: '' });
    assert.equal(info.lastBlockHeight, 6n);
    assert.equal(hex(info.lastBlockAppHash), hex(appHash));
    assert.equal((await target.app.listSnapshots()).snapshots.length, 0, 'the target takes no snapshot of its own here');
  });

  it('acknowledges the same snapshot offered again after a CometBFT crash, and refuses any other once it has state', async () => {
    const appHash = source.store.appHashAt(6n);
    assert.equal((await target.app.offerSnapshot({ snapshot: offered, appHash })).result, 'accept');
    for (let i = 0; i < offered.chunks; i++) assert.equal((await target.app.applySnapshotChunk({ index: i, chunk: new Uint8Array(0), sender: 'p' })).result, 'accept');
    assert.equal(target.store.height, 6n);
    assert.equal(hex(target.store.appHash), hex(appHash));
    const older = (await source.app.listSnapshots()).snapshots[1]!;
    assert.equal((await target.app.offerSnapshot({ snapshot: older, appHash: source.store.appHashAt(3n) })).result, 'reject');
  });

  it('then executes the next blocks exactly as the source did (BLOCKHASH reaches before the snapshot)', async () => {
    // The source is at 7: block 7's transactions on the target must give the source's app hash.
    target.height = 6n;
    const block7 = await target.block(block7Txs);
    for (const r of block7.results) assert.equal(r.code, 0, r.log);
    assert.equal(hex(target.store.appHash), hex(source.store.appHashAt(7n)), "block 7 on the restored node gives the source's app hash");
    const txs8 = await busyBlock(source, senders);
    await source.block(txs8);
    await target.block(txs8);
    assert.equal(hex(target.store.appHash), hex(source.store.appHash), 'block 8 agrees');
    const index = new ChainIndex(target.store);
    assert.ok((await index.block(8n)) !== undefined, 'blocks after the snapshot are indexed');
    await assert.rejects(index.block(5n), (err: unknown) => err instanceof BlockUnavailableError && err.oldest === 7n && /oldest block it has is 7/.test(err.message));
  });
});

describe('snapshot format', () => {
  it('round-trips chunks and refuses unsorted, truncated or trailing bytes', () => {
    const entries: Array<[Uint8Array, Uint8Array]> = [
      [Buffer.from('a/1'), Buffer.from([1])],
      [Buffer.from('a/2'), Buffer.alloc(0)],
    ];
    const chunk = encodeChunk(entries);
    assert.deepEqual(decodeChunk(chunk, undefined), [
      ['a/1', Uint8Array.from([1])],
      ['a/2', new Uint8Array(0)],
    ]);
    assert.throws(() => decodeChunk(chunk, 'a/1'), SnapshotFormatError, 'keys must follow the previous chunk');
    assert.throws(() => decodeChunk(encodeChunk([entries[1]!, entries[0]!]), undefined), SnapshotFormatError);
    assert.throws(() => decodeChunk(chunk.subarray(0, chunk.length - 1), undefined), SnapshotFormatError);
    assert.throws(() => decodeChunk(Buffer.concat([chunk, Buffer.from([0])]), undefined), SnapshotFormatError);
    const metadata = encodeMetadata({ height: 9n, appHash: new Uint8Array(32).fill(7), keyCount: 2n, chunkHashes: [chunkHash(chunk)] });
    assert.equal(metadata.length, 53 + 32);
    assert.equal(decodeMetadata(metadata).height, 9n);
    assert.throws(() => decodeMetadata(metadata.subarray(0, 60)), SnapshotFormatError);
  });
});

describe('block retention and index pruning', () => {
  it('retain height never goes below the snapshots, the evidence age or the state history', () => {
    const r = (o: Partial<ConstructorParameters<typeof BlockRetention>[0]>) =>
      new BlockRetention({ minRetainBlocks: 10, snapshotInterval: 0, snapshotKeepRecent: 2, stateHistory: 5, ...o });
    const evidence = (b: BlockRetention, age: bigint): BlockRetention => {
      b.setEvidenceMaxAge(age);
      return b;
    };
    assert.equal(evidence(r({}), 1n).retainHeight(100n), 91n, 'the last 10 blocks');
    assert.equal(evidence(r({ minRetainBlocks: 0 }), 1n).retainHeight(100n), 0n, '0 keeps all');
    assert.equal(evidence(r({ stateHistory: 0 }), 1n).retainHeight(100n), 0n, 'a full state history keeps all blocks');
    assert.equal(evidence(r({ stateHistory: 50 }), 1n).retainHeight(100n), 51n, 'state history');
    assert.equal(evidence(r({}), 30n).retainHeight(100n), 70n, 'evidence age');
    assert.equal(evidence(r({ snapshotInterval: 20 }), 1n).retainHeight(105n), 80n, 'the older of 2 snapshots (100, 80)');
    assert.equal(r({}).retainHeight(100n), 0n, 'default evidence age (100,000) keeps everything this young');
  });

  it('prunes the index to the retain height and says which block is the oldest', async () => {
    const node = new AppNode();
    const retention = new BlockRetention({ minRetainBlocks: 3, snapshotInterval: 0, snapshotKeepRecent: 1, stateHistory: 2 });
    await node.open({ accounts: [{ address: senders[0]!.address, balance: (1_000n * CMT).toString() }] }, { retention, stateHistory: 2 });
    retention.setEvidenceMaxAge(1n); // as if genesis said so
    const sender = Account.fromSeed('statesync-0');
    const index = new ChainIndex(node.store);
    try {
      const retains: bigint[] = [];
      for (let i = 0; i < 12; i++) {
        retains.push((await node.block([await sender.sign({ to: senders[1]!.address, value: 1n, gasLimit: 21_000n })])).retainHeight);
        if (i === 0) assert.ok((await index.block(1n)) !== undefined, 'block 1 read (and cached) before it is pruned');
        await (node.app as unknown as { indexPruner: { idle(): Promise<void> } }).indexPruner.idle();
      }
      // After block h: min(h - 3 + 1 (3 blocks), h - 2 + 1 (history 2), h - 1 (evidence age 1)) = h - 2; 0 until above block 1.
      assert.deepEqual(retains, [0n, 0n, 0n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n]);
      const oldest = await index.oldest();
      assert.ok(oldest > 1n && oldest <= node.height - 2n, `index base moved up (${oldest})`);
      assert.equal(await node.store.getExtra(heightKey(1n)), undefined, 'block 1 is gone from the index');
      assert.ok((await node.store.getExtra(heightKey(node.height))) !== undefined);
      await assert.rejects(index.block(1n), (err: unknown) => err instanceof BlockUnavailableError && err.oldest === oldest);
      assert.ok((await index.block(oldest)) !== undefined);
    } finally {
      await node.close();
    }
  });
});
