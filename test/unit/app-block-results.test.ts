/**
 * What the app answers for a block and what its Commit leaves behind
 * (issue 15, mutation testing of src/app/app.ts): each DeliverTx result's
 * `ethereum_tx` event (CometBFT's tx indexer and `tx_search` read it, e.g.
 * `cmtd tx` searches `ethereum_tx.hash`), a refused transaction's
 * `<CODE_NAME>: <reason>` log and codespace, the idle blocks' hashes kept
 * outside the state (src/app/block-hashes.ts), genesis' extra records,
 * Commit's retain height, the v0.37 flow's checks, misbehaviour of an
 * unknown type, state-sync answers without a snapshot store, the read-ahead
 * of a block's accounts, and what Commit tells the metrics and the log.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { keccak256 } from 'ethers';
import winston from 'winston';
import type { Header, Misbehavior } from '../../src/abci/types.js';
import { CmtdApp } from '../../src/app/app.js';
import { IDLE_BLOCK_HASHES_KEY, decodeIdleHashes } from '../../src/app/block-hashes.js';
import type { BlockObservation } from '../../src/app/observer.js';
import { BlockRetention, EVIDENCE_MAX_AGE_KEY } from '../../src/app/retention.js';
import { createModules } from '../../src/app/wiring.js';
import { EXTRA_PREFIXES } from '../../src/state/keys.js';
import { SnapshotStore } from '../../src/statesync/snapshots.js';
import { TxCode } from '../../src/tx/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { Account, AppNode, CMT, T0 } from '../support/app-node.js';

/** AppNode's block hashes. */
const blockHash = (height: bigint): Uint8Array => createHash('sha256').update(`block-${height}`).digest();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function consensusKey(): { pubKey: string; address: Uint8Array } {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const raw = Buffer.from(der.subarray(-32));
  // CometBFT: a validator's address is the first 20 bytes of sha256(pubkey) (src/abci/types.ts Validator).
  return { pubKey: raw.toString('base64'), address: createHash('sha256').update(raw).digest().subarray(0, 20) };
}

function genesis(operator: Account, sender: Account, pubKey: string): unknown {
  return {
    params: { foundation_address: operator.address, inflation_rate_bp: '0' },
    accounts: [operator, sender].map((a) => ({ address: a.address, balance: (10_000n * CMT).toString() })),
    candidates: [
      {
        address: operator.address,
        pub_key: pubKey,
        max_stake: (100_000n * CMT).toString(),
        self_stake: (10_000n * CMT).toString(),
        comp_rate_bp: 2000,
        description: { name: 'node0' },
        verified: false,
      },
    ],
  };
}

/** The `ethereum_tx` event CometBFT indexes a transaction by: hash, from, to ('' for a creation) indexed; the nonce not. */
function expectedEvent(raw: Uint8Array, from: string, to: string, nonce: number): unknown {
  return {
    type: 'ethereum_tx',
    attributes: [
      { key: 'hash', value: keccak256(raw), index: true },
      { key: 'from', value: from, index: true },
      { key: 'to', value: to, index: true },
      { key: 'nonce', value: String(nonce), index: false },
    ],
  };
}

/** A winston logger at level info that keeps every entry written. */
function capturingLogger(): { logger: winston.Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _enc, done): void {
      entries.push(info);
      done();
    },
  });
  return { logger: winston.createLogger({ level: 'info', transports: [new winston.transports.Stream({ stream })] }), entries };
}

describe('block results and commit records', () => {
  let node: AppNode;
  let operator: Account;
  let sender: Account;
  let validator: { pubKey: string; address: Uint8Array };

  async function open(options: Parameters<AppNode['open']>[1] = {}): Promise<void> {
    node = new AppNode();
    operator = Account.fromSeed('results-operator');
    sender = Account.fromSeed('results-sender');
    validator = consensusKey();
    await node.open(genesis(operator, sender, validator.pubKey), options);
  }

  afterEach(async () => {
    await node.close();
  });

  it('gives every executed or refused transaction one ethereum_tx event (to empty for a creation); a refusal logs <CODE_NAME>: <reason> in codespace cmtd', async () => {
    await open();
    const transfer = await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n });
    const creation = await sender.sign({ data: '0x00', gasLimit: 100_000n }); // init code STOP: an empty contract
    sender.nonce = 7;
    const gapped = await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n }); // nonce 7 after 0 and 1
    const garbage = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    const { results } = await node.block([transfer, creation, gapped, garbage]);
    assert.equal(results[0]!.code, 0, results[0]!.log);
    assert.equal(results[1]!.code, 0, results[1]!.log);
    assert.deepEqual(results[0]!.events, [expectedEvent(transfer, sender.address, operator.address, 0)]);
    assert.deepEqual(results[1]!.events, [expectedEvent(creation, sender.address, '', 1)]);

    const refused = results[2]!;
    assert.equal(refused.code, TxCode.NonceTooHigh);
    assert.equal(refused.codespace, 'cmtd');
    assert.match(refused.log ?? '', /^NonceTooHigh: \S/);
    assert.deepEqual(refused.events, [expectedEvent(gapped, sender.address, operator.address, 7)], 'a refused transaction that decoded is still found by its hash');

    const undecodable = results[3]!;
    assert.notEqual(undecodable.code, TxCode.Ok);
    assert.equal(undecodable.codespace, 'cmtd');
    assert.match(undecodable.log ?? '', new RegExp(`^${TxCode[undecodable.code]}: \\S`));
    assert.deepEqual(undecodable.events, [], 'nothing to index a transaction by that did not decode');
  });

  it("keeps idle blocks' hashes outside the state, for a restarted app too, and deletes them once a block writes the ring", async () => {
    await open();
    const restartedIdle = async (): Promise<string> => {
      const app = new CmtdApp({ store: node.store, modules: createModules(), logger: silentLogger() });
      await app.open();
      return JSON.stringify(app.idleBlockHashes.map(([h, hash]) => [h.toString(), hex(hash)]));
    };
    const asJson = (entries: ReadonlyArray<readonly [bigint, Uint8Array]>): string => JSON.stringify(entries.map(([h, hash]) => [h.toString(), hex(hash)]));
    await node.block([]); // block 1 writes genesis and its ring entry
    assert.deepEqual(node.app.idleBlockHashes, []);
    assert.equal(await node.store.getExtra(IDLE_BLOCK_HASHES_KEY), undefined);
    await node.block([]);
    await node.block([]);
    assert.deepEqual(node.store.appHashAt(3n), node.store.appHashAt(1n), 'idle blocks leave the app hash as it was');
    const idle = asJson([
      [2n, blockHash(2n)],
      [3n, blockHash(3n)],
    ]);
    assert.equal(asJson(node.app.idleBlockHashes), idle);
    const stored = await node.store.getExtra(IDLE_BLOCK_HASHES_KEY);
    assert.ok(stored !== undefined, 'the idle hashes are stored with the commit');
    assert.equal(asJson(decodeIdleHashes(stored)), idle);
    assert.equal(await restartedIdle(), idle);
    assert.deepEqual(await node.store.scanExtra('eo/'), [], 'no block opening for traces without a transaction, block 1 included');

    const paying = await node.block([await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n })]);
    assert.equal(paying.results[0]!.code, 0, paying.results[0]!.log);
    assert.deepEqual(node.app.idleBlockHashes, []);
    assert.equal(await node.store.getExtra(IDLE_BLOCK_HASHES_KEY), undefined, 'deleted once the ring holds them');
    assert.equal(await restartedIdle(), '[]');
    await node.block([]);
    assert.equal(asJson(node.app.idleBlockHashes), asJson([[5n, blockHash(5n)]]));
    // Every record outside the state lies under one of the extras' prefixes (src/state/keys.ts).
    const prefixes = Object.values(EXTRA_PREFIXES);
    for (const [key] of await node.store.scanExtra(''))
      assert.ok(
        prefixes.some((p) => key.startsWith(p)),
        `extra record ${JSON.stringify(key)}`,
      );
  });

  it("writes genesis' evidence age with block 1, and answers retain height 0 until the retention's height is above the oldest indexed block", async () => {
    // retain(h) = min(h - 1 (evidence age 1), h - h mod 5 (latest snapshot)); 1 block, 1 version of history; 0 when not above 1.
    const options = { minRetainBlocks: 1, snapshotInterval: 5, snapshotKeepRecent: 1, stateHistory: 1 };
    const retention = new BlockRetention(options);
    node = new AppNode();
    operator = Account.fromSeed('results-operator');
    sender = Account.fromSeed('results-sender');
    validator = consensusKey();
    await node.openEmpty({ retention });
    await node.app.initChain({
      time: { seconds: T0, nanos: 0 },
      chainId: 'results',
      consensusParams: { block: { maxBytes: 1_000_000n, maxGas: -1n }, evidence: { maxAgeNumBlocks: 1n, maxAgeDuration: { seconds: 3600n, nanos: 0 }, maxBytes: 1000n } },
      validators: [],
      appStateBytes: Buffer.from(JSON.stringify(genesis(operator, sender, validator.pubKey))),
      initialHeight: 1n,
    });
    const retains: bigint[] = [];
    for (let i = 0; i < 10; i++) {
      retains.push((await node.block([await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n })])).retainHeight);
      await (node.app as unknown as { indexPruner: { idle(): Promise<void> } }).indexPruner.idle();
      if (i === 0) {
        const age = await node.store.getExtra(EVIDENCE_MAX_AGE_KEY);
        assert.equal(age === undefined ? undefined : Buffer.from(age).toString('utf8'), '1', "block 1's commit writes genesis' evidence age");
        const reloaded = new BlockRetention(options);
        await reloaded.load(node.store);
        assert.equal(reloaded.retainHeight(7n), 5n, 'a restarted node keeps the evidence age (the default, 100,000 blocks, would keep all)');
      }
    }
    // 5: 4 (index from 1); 6: 5; 7: 5, block 1 still indexed when it is asked; 8, 9: 5 is the oldest indexed block by then; 10: 9.
    assert.deepEqual(retains, [0n, 0n, 0n, 0n, 4n, 5n, 5n, 0n, 0n, 9n]);
  });

  it('refuses Commit without an executed block and EndBlock outside a block or for another height; the v0.37 flow commits', async () => {
    await open();
    await assert.rejects(node.app.commit(), /Commit without an executed block/);
    await assert.rejects(node.app.endBlock({ height: 1n }), /EndBlock outside a block/);
    const header = (height: bigint): Header => ({ height, time: { seconds: T0 + height * 5n, nanos: 0 }, proposerAddress: new Uint8Array(20) }) as unknown as Header;
    const begin = (height: bigint) => node.app.beginBlock({ hash: blockHash(height), header: header(height), lastCommitInfo: { round: 0, votes: [] }, byzantineValidators: [] });
    await begin(1n);
    await assert.rejects(node.app.endBlock({ height: 2n }), /EndBlock for height 2 inside block 1/);
    await begin(1n);
    const tx = await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n });
    const delivered = await node.app.deliverTx({ tx });
    assert.equal(delivered.code, 0, delivered.log);
    assert.deepEqual(delivered.events, [expectedEvent(tx, sender.address, operator.address, 0)]);
    await node.app.endBlock({ height: 1n });
    const committed = await node.app.commitV037();
    assert.equal(committed.retainHeight, 0n);
    assert.equal(hex(committed.data!), hex(node.store.appHash));
    assert.equal(node.store.height, 1n);
  });

  it('ignores misbehaviour of an unknown type; duplicate-vote evidence slashes', async () => {
    const run = async (type: Misbehavior['type']): Promise<bigint> => {
      await open();
      await node.block([]);
      node.height += 1n;
      const misbehavior: Misbehavior[] = [{ type, validator: { address: validator.address, power: 10n }, height: 1n, time: { seconds: T0 + 5n, nanos: 0 }, totalVotingPower: 10n }];
      await node.app.finalizeBlock({
        txs: [],
        decidedLastCommit: { round: 0, votes: [] },
        misbehavior,
        hash: blockHash(node.height),
        height: node.height,
        time: { seconds: T0 + node.height * 5n, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: new Uint8Array(20),
      });
      await node.app.commit();
      const burned = BigInt((await node.json<{ burned: string }>('/supply')).burned);
      await node.close();
      return burned;
    };
    assert.ok((await run('duplicate_vote')) > 0n, 'the evidence slashes (and burns) the validator');
    assert.equal(await run('unknown'), 0n);
    await open(); // for afterEach
  });

  it('answers ListSnapshots and LoadSnapshotChunk with nothing when the node keeps no snapshots', async () => {
    await open();
    await node.block([]);
    assert.deepEqual(await node.app.listSnapshots(), { snapshots: [] });
    assert.deepEqual(await node.app.loadSnapshotChunk({ height: 1n, format: 1, chunk: 0 }), { chunk: new Uint8Array(0) });
  });

  it('starts over from a restored snapshot: its index begins after the snapshot, so the next retain height is 0 while not above it', async () => {
    await open();
    const snapshots = new SnapshotStore({ dir: join(node.dir, 'snapshots'), source: node.store, interval: 4, keepRecent: 1, chunkBytes: 1024 });
    await snapshots.open();
    (node.app as unknown as { snapshots: SnapshotStore }).snapshots = snapshots;
    for (let i = 0; i < 4; i++) {
      await node.block([await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n })]);
      await snapshots.idle();
    }
    const [snapshot] = (await node.app.listSnapshots()).snapshots;
    assert.equal(snapshot?.height, 4n);
    // retain(h) = min(h (1 block, 1 version of history), h - 1 (evidence age 1)) = h - 1.
    const retention = new BlockRetention({ minRetainBlocks: 1, snapshotInterval: 0, snapshotKeepRecent: 0, stateHistory: 1 });
    retention.setEvidenceMaxAge(1n); // as if genesis said so
    const target = new AppNode();
    try {
      await target.openEmpty({ retention });
      assert.equal((await target.app.offerSnapshot({ snapshot: snapshot!, appHash: node.store.appHashAt(4n) })).result, 'accept');
      for (let index = 0; index < snapshot!.chunks; index++) {
        const { chunk } = await node.app.loadSnapshotChunk({ height: 4n, format: snapshot!.format, chunk: index });
        assert.equal((await target.app.applySnapshotChunk({ index, chunk, sender: 'source' })).result, 'accept');
      }
      assert.equal(target.store.height, 4n);
      assert.deepEqual(target.app.idleBlockHashes, []);
      target.height = 4n;
      const retains: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        const next = await target.block([await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n })]);
        assert.equal(next.results[0]!.code, 0, next.results[0]!.log);
        retains.push(next.retainHeight);
      }
      // Block 5 is the oldest on this node: 4 (after block 5) and 5 (after 6) prune nothing; 6 (after 7) does.
      assert.deepEqual(retains, [0n, 0n, 6n]);
    } finally {
      await target.close();
      await snapshots.close();
    }
  });

  it("reads ahead the accounts a block's decoded transactions start from: senders and recipients, nothing for a block without one", async () => {
    await open();
    const prefetched: string[][] = [];
    const store = node.store;
    const original = store.prefetch.bind(store);
    store.prefetch = async (keys: Iterable<string>): Promise<void> => {
      prefetched.push([...keys].sort());
      await original(keys);
    };
    await node.block([]);
    await node.block([new Uint8Array([0xde, 0xad, 0xbe, 0xef])]);
    assert.deepEqual(prefetched, [], 'nothing to read ahead');
    const transfer = await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n });
    const creation = await sender.sign({ data: '0x00', gasLimit: 100_000n });
    const { results } = await node.block([transfer, creation]);
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 0],
    );
    // Account records are `a/<40 hex>` (src/state/keys.ts).
    assert.deepEqual(prefetched, [[`a/${operator.address.slice(2)}`, `a/${sender.address.slice(2)}`].sort()]);
  });

  it('starts the reads at ProcessProposal: FinalizeBlock of the accepted block waits for them, another block reads its own, a failed read only slows it', async () => {
    await open();
    const prefetched: string[][] = [];
    const store = node.store;
    const original = store.prefetch.bind(store);
    let failNext = false;
    store.prefetch = async (keys: Iterable<string>): Promise<void> => {
      prefetched.push([...keys].sort());
      if (failNext) {
        failNext = false;
        throw new Error('disk on fire');
      }
      await original(keys);
    };
    const recipient = Account.fromSeed('read-ahead-recipient').address;
    const accounts = [`a/${recipient.slice(2)}`, `a/${sender.address.slice(2)}`].sort();
    const blockHash = (tag: string): Uint8Array => createHash('sha256').update(tag).digest();
    const propose = async (txs: Uint8Array[], hash: Uint8Array): Promise<string> => {
      const height = node.height + 1n;
      const common = { height, time: { seconds: T0 + height * 5n, nanos: 0 }, nextValidatorsHash: new Uint8Array(32), proposerAddress: new Uint8Array(20) };
      return (await node.app.processProposal({ txs, proposedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash, ...common })).status;
    };
    const finalize = async (txs: Uint8Array[], hash: Uint8Array): Promise<number[]> => {
      node.height += 1n;
      const response = await node.app.finalizeBlock({
        txs,
        decidedLastCommit: { round: 0, votes: [] },
        misbehavior: [],
        hash,
        height: node.height,
        time: { seconds: T0 + node.height * 5n, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: new Uint8Array(20),
      });
      await node.app.commit();
      return response.txResults.map((r) => r.code);
    };

    const first = await sender.sign({ to: recipient, value: 1n, gasLimit: 21_000n });
    assert.equal(await propose([first], blockHash('one')), 'accept');
    assert.deepEqual(prefetched, [], 'the answer does not wait for the reads');
    await new Promise((resolve) => setImmediate(resolve)); // they start once it is sent (the app's setImmediate ran first)
    assert.deepEqual(prefetched, [accounts], 'read after ProcessProposal');
    assert.deepEqual(await finalize([first], blockHash('one')), [0]);
    assert.deepEqual(prefetched, [accounts], 'FinalizeBlock of the same block did not read again');

    // The network decided another block than the one this node accepted last.
    const second = await sender.sign({ to: recipient, value: 2n, gasLimit: 21_000n });
    const third = await sender.sign({ to: recipient, value: 3n, gasLimit: 21_000n });
    assert.equal(await propose([second], blockHash('two, round 0')), 'accept');
    assert.deepEqual(await finalize([second], blockHash('two, round 1')), [0]);
    assert.deepEqual(prefetched, [accounts, accounts, accounts], 'a block of another hash reads its own accounts');

    failNext = true;
    assert.equal(await propose([third], blockHash('three')), 'accept');
    assert.deepEqual(await finalize([third], blockHash('three')), [0], 'a failed read-ahead is advisory');
    // A caller's hash is not trusted: the same hash with other transactions runs the block's own.
    const nonce = sender.nonce;
    const proposed = await sender.sign({ to: recipient, value: 4n, gasLimit: 21_000n });
    sender.nonce = nonce;
    const decided = await sender.sign({ to: recipient, value: 40n, gasLimit: 21_000n });
    assert.equal(await propose([proposed], blockHash('four')), 'accept');
    assert.deepEqual(await finalize([decided], blockHash('four')), [0]);
    assert.equal(prefetched.length, 6, 'read for the proposal, then for the block that ran');
    assert.equal(await node.balance(recipient), 1n + 2n + 3n + 40n, 'the decided transaction ran, not the proposed one');
  });

  it('tells the metrics and the log about each committed block: its transactions, refusals, times and app hash', async () => {
    const observed: BlockObservation[] = [];
    const { logger, entries } = capturingLogger();
    node = new AppNode();
    operator = Account.fromSeed('results-operator');
    sender = Account.fromSeed('results-sender');
    validator = consensusKey();
    await node.openEmpty();
    node.app = new CmtdApp({ store: node.store, modules: createModules(), logger, metrics: { onCheckTx: () => {}, onBlock: (b) => observed.push(b) } });
    await node.app.open();
    await node.app.initChain({
      time: { seconds: T0, nanos: 0 },
      chainId: 'results',
      consensusParams: { block: { maxBytes: 1_000_000n, maxGas: -1n } },
      validators: [],
      appStateBytes: Buffer.from(JSON.stringify(genesis(operator, sender, validator.pubKey))),
      initialHeight: 1n,
    });
    const ok = await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n });
    sender.nonce = 5;
    const gapped = await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n });
    const t0 = performance.now();
    const { response } = await node.block([ok, gapped]);
    const wall = performance.now() - t0;
    assert.equal(observed.length, 1);
    const b = observed[0]!;
    assert.equal(b.height, 1n);
    assert.equal(b.txs, 2);
    assert.deepEqual(b.rejectedCodes, [TxCode.NonceTooHigh]);
    assert.ok(b.seconds > 0 && b.seconds <= wall / 1000, `execution took ${b.seconds} s of ${wall} ms`);
    assert.ok(b.commitSeconds > 0 && b.commitSeconds + b.seconds <= wall / 1000, `commit took ${b.commitSeconds} s of ${wall} ms`);

    const committed = entries.filter((e) => e.message === 'committed block');
    assert.equal(committed.length, 1);
    const e = committed[0]!;
    assert.equal(e.module, 'app');
    assert.equal(e.height, '1');
    assert.equal(e.txs, 2);
    assert.ok(typeof e.keys === 'number' && e.keys > 0);
    assert.equal(e.appHash, hex(response.appHash));
    assert.ok(typeof e.commitMs === 'number' && Number.isInteger(e.commitMs) && e.commitMs >= 0 && e.commitMs <= wall, `commitMs ${e.commitMs} of ${wall}`);
  });
});
