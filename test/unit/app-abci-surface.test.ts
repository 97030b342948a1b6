/**
 * The app's ABCI answers field by field (src/app/app.ts), over a real
 * LevelDB store and the real modules, driven in-process: Info at genesis,
 * InitChain's refusals and its use of the consensus params (max_gas,
 * evidence age, CometBFT's validators), PrepareProposal's byte budget (each
 * transaction counted with 8 bytes of framing), ProcessProposal's
 * rejections, the result fields of executed transactions (codespace, log,
 * the `ethereum_tx` event `cmtd query tx` searches by), faults that are not
 * refusals (they propagate, never becoming a result), the metrics hook, the
 * TEST ONLY rule override, and what the app logs (a capturing logger:
 * level, module and fields; message wording only where docs quote it).
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { RequestInitChain, RequestProcessProposal } from '../../src/abci/types.js';
import { CmtdApp, type AppOptions, type TestRuleOverride } from '../../src/app/app.js';
import type { AppMetrics, BlockObservation } from '../../src/app/observer.js';
import { BlockRetention, EVIDENCE_MAX_AGE_KEY } from '../../src/app/retention.js';
import { createModules } from '../../src/app/wiring.js';
import { ChainIndex } from '../../src/index/reader.js';
import { heightKey } from '../../src/index/records.js';
import { SnapshotStore } from '../../src/statesync/snapshots.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { EXTRA_PREFIXES } from '../../src/state/keys.js';
import { STAKING_ADDRESS } from '../../src/system/types.js';
import { SenderCache } from '../../src/tx/sender-cache.js';
import { keccak256 } from '../../src/util/crypto.js';
import type { Logger } from '../../src/util/logger.js';
import { benchAccounts, signLegacyTx, type BenchAccount } from '../../bench/lib/txgen.js';
import { finalizeRequest } from '../../bench/lib/app.js';

const CMT = 10n ** 18n;
const GWEI = 10n ** 9n;
const NOBODY = '0x000000000000000000000000000000000000beef';
const [alice, bob, carol] = benchAccounts(3, 'abci-surface') as [BenchAccount, BenchAccount, BenchAccount];
const GENESIS = { accounts: [alice, bob, carol].map((a) => ({ address: a.address, balance: (100n * CMT).toString() })) };

/** A paid plain transfer (2 gwei, the default min_gas_price). */
const transfer = (from: BenchAccount, nonce = 0n, gasLimit = 21_000n): Uint8Array => signLegacyTx(from, { to: NOBODY, value: 1n, nonce, gasPrice: 2n * GWEI, gasLimit });
/** A zero-price plain transfer: a common operation (SPEC 9). */
const free = (from: BenchAccount, nonce = 0n): Uint8Array => signLegacyTx(from, { to: NOBODY, value: 0n, nonce, gasPrice: 0n, gasLimit: 21_000n });
/** A paid call to the staking address without calldata: it runs and reverts (code 12, README). */
const reverting = (from: BenchAccount, nonce = 0n): Uint8Array => signLegacyTx(from, { to: STAKING_ADDRESS, nonce, gasPrice: 2n * GWEI, gasLimit: 100_000n });
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Entry {
  level: string;
  message: string;
  module?: string;
  [field: string]: unknown;
}

/** A winston logger (the project's Logger) that keeps every entry, at every level. */
function capturingLogger(): { logger: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  const sink = new Writable({
    objectMode: true,
    write(info: Entry, _encoding, done) {
      entries.push(info);
      done();
    },
  });
  return { logger: winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] }), entries };
}

function initRequest(fields: Partial<RequestInitChain> = {}, appState: unknown = GENESIS): RequestInitChain {
  return {
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: 'surface',
    consensusParams: { block: { maxBytes: 1_000_000n, maxGas: -1n } },
    validators: [],
    appStateBytes: Buffer.from(JSON.stringify(appState)),
    initialHeight: 1n,
    ...fields,
  };
}

function proposal(height: bigint, txs: Uint8Array[]): RequestProcessProposal {
  return {
    txs,
    proposedLastCommit: { round: 0, votes: [] },
    misbehavior: [],
    hash: new Uint8Array(32),
    height,
    time: { seconds: 1_700_000_000n + height * 10n, nanos: 0 },
    nextValidatorsHash: new Uint8Array(32),
    proposerAddress: new Uint8Array(20),
  };
}

type NodeOptions = Partial<Omit<AppOptions, 'store' | 'logger'>>;

/** One app over its own store in a temp dir, logging into `entries`. */
class Node {
  readonly dir = mkdtempSync(join(tmpdir(), 'cmtd-abci-surface-'));
  readonly entries: Entry[];
  private readonly logger: Logger;
  store!: CommittedStore;
  app!: CmtdApp;
  height = 0n;

  constructor() {
    ({ logger: this.logger, entries: this.entries } = capturingLogger());
  }

  async open(options: NodeOptions | ((store: CommittedStore) => NodeOptions) = {}): Promise<this> {
    this.store = await CommittedStore.open(join(this.dir, 'state.db'));
    const o = typeof options === 'function' ? options(this.store) : options;
    this.app = new CmtdApp({ store: this.store, modules: createModules(), logger: this.logger, ...o });
    await this.app.open();
    return this;
  }

  /** Executes and commits the next block. */
  async block(txs: Uint8Array[]) {
    this.height += 1n;
    const response = await this.app.finalizeBlock(finalizeRequest(this.height, txs));
    await this.app.commit();
    return response;
  }

  /** The entries logged while `action` ran. */
  async logged(action: () => unknown): Promise<Entry[]> {
    const before = this.entries.length;
    await action();
    return this.entries.slice(before);
  }

  async close(): Promise<void> {
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const nodes: Node[] = [];
async function node(options: NodeOptions | ((store: CommittedStore) => NodeOptions) = {}): Promise<Node> {
  const n = new Node();
  nodes.push(n);
  return n.open(options);
}
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.close();
});

describe('Info', () => {
  it('on an empty store: data "cmtd", height 0 and an empty app hash; logs the versions CometBFT sent, from module app', async () => {
    const n = await node();
    assert.deepEqual(n.app.idleBlockHashes, [], 'open() on an empty store: no idle block hashes');
    const logged = await n.logged(async () => {
      const info = await n.app.info({ version: '0.38.25', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' });
      assert.equal(info.data, 'cmtd');
      assert.equal(info.lastBlockHeight, 0n);
      // CometBFT's handshake compares this with the genesis app hash, empty unless genesis.json sets one.
      assert.equal(info.lastBlockAppHash.length, 0);
    });
    assert.equal(logged.length, 1);
    const [entry] = logged as [Entry];
    assert.equal(entry.level, 'info');
    assert.equal(entry.module, 'app');
    assert.notEqual(entry.message, '');
    assert.deepEqual([entry.cometbft, entry.abci, entry.height], ['0.38.25', '2.0.0', '0']);
  });
});

describe('InitChain', () => {
  it('logs "genesis loaded" with the chain id and what genesis holds (docs/STATE-SYNC.md)', async () => {
    const n = await node();
    const logged = await n.logged(() => n.app.initChain(initRequest()));
    const loaded = logged.filter((e) => e.message === 'genesis loaded');
    assert.equal(loaded.length, 1);
    assert.deepEqual(
      {
        level: loaded[0]!.level,
        module: loaded[0]!.module,
        chainId: loaded[0]!.chainId,
        accounts: loaded[0]!.accounts,
        candidates: loaded[0]!.candidates,
        validators: loaded[0]!.validators,
      },
      { level: 'info', module: 'app', chainId: 'surface', accounts: 3, candidates: 0, validators: 0 },
    );
  });

  it('refuses a store that already has blocks', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    await n.block([]);
    await assert.rejects(n.app.initChain(initRequest()), /InitChain.*height 1\b/);
  });

  it('refuses an empty chain id itself, before the modules see the genesis', async () => {
    const modules = createModules();
    let seen = 0;
    const n = await node({
      modules: {
        ...modules,
        initGenesis: (...args) => {
          seen++;
          return modules.initGenesis(...args);
        },
      },
    });
    await assert.rejects(n.app.initChain(initRequest({ chainId: '' })), /chain id/);
    assert.equal(seen, 0);
    await n.app.initChain(initRequest());
    assert.equal(seen, 1);
  });

  it('without block params (no consensus params, or only evidence ones) the block gas limit is the param alone (max_gas -1)', async () => {
    const genesis = { ...GENESIS, params: { block_gas_limit: '2000000' } };
    const evidenceOnly = { evidence: { maxAgeNumBlocks: 10n, maxAgeDuration: { seconds: 172_800n, nanos: 0 }, maxBytes: 1_048_576n } };
    for (const consensusParams of [undefined, evidenceOnly]) {
      const n = await node();
      const req = initRequest({}, genesis);
      await n.app.initChain({ ...req, consensusParams });
      const at = await n.app.checkTx({ tx: transfer(alice, 0n, 2_000_000n), type: 'new' });
      assert.equal(at.code, 0, at.log);
      const over = await n.app.checkTx({ tx: transfer(bob, 0n, 2_000_001n), type: 'new' });
      assert.equal(over.code, 8, over.log);
    }
  });

  it('records the evidence age of the consensus params for block retention (CometBFT default 100000 without one)', async () => {
    const evidence = { maxAgeNumBlocks: 7n, maxAgeDuration: { seconds: 172_800n, nanos: 0 }, maxBytes: 1_048_576n };
    const cases: Array<[RequestInitChain['consensusParams'], string]> = [
      [{ block: { maxBytes: 1_000_000n, maxGas: -1n }, evidence }, '7'],
      [{ block: { maxBytes: 1_000_000n, maxGas: -1n } }, '100000'],
      [undefined, '100000'],
    ];
    for (const [consensusParams, recorded] of cases) {
      const retention = new BlockRetention({ minRetainBlocks: 5, snapshotInterval: 0, snapshotKeepRecent: 1, stateHistory: 5 });
      const n = await node({ retention });
      await n.app.initChain({ ...initRequest(), consensusParams });
      assert.equal(await n.store.getExtra(EVIDENCE_MAX_AGE_KEY), undefined, 'written with block 1');
      await n.block([]);
      const raw = await n.store.getExtra(EVIDENCE_MAX_AGE_KEY);
      assert.equal(raw === undefined ? undefined : Buffer.from(raw).toString('utf8'), recorded);
    }
    // Without retention nothing is recorded, and block 1 writes no other record in its place:
    // every non-consensus record is under one of EXTRA_PREFIXES (src/state/keys.ts).
    const plain = await node();
    await plain.app.initChain(initRequest({ consensusParams: { block: { maxBytes: 1_000_000n, maxGas: -1n }, evidence } }));
    await plain.block([]);
    assert.equal(await plain.store.getExtra(EVIDENCE_MAX_AGE_KEY), undefined);
    const extras = (await plain.store.scanExtra('')).map(([key]) => key);
    assert.ok(extras.length > 0, 'the block index');
    for (const key of extras)
      assert.ok(
        Object.values(EXTRA_PREFIXES).some((prefix) => key.startsWith(prefix)),
        key,
      );
  });

  it("keeps CometBFT's ed25519 validators when genesis elects none (they are in the state), ignoring a validator without an ed25519 key", async () => {
    const ed25519 = (): Uint8Array => generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const kept = { pubKey: { ed25519: ed25519() }, power: 10n };
    const secp = { pubKey: { secp256k1: Uint8Array.from([2, ...new Uint8Array(32).fill(7)]) }, power: 10n };
    const appHash = async (validators: RequestInitChain['validators']): Promise<string> => {
      const n = await node();
      const r = await n.app.initChain(initRequest({ validators }));
      assert.deepEqual(r.validators, [], 'no candidate elected: CometBFT’s set stands');
      return hex(r.appHash!);
    };
    const none = await appHash([]);
    const one = await appHash([kept]);
    assert.notEqual(one, none, 'the ed25519 validator is recorded');
    assert.equal(await appHash([kept, secp]), one, 'the validator without an ed25519 key is left out');
    assert.equal(await appHash([secp]), none);
  });
});

describe('PrepareProposal counts each transaction with 8 bytes of framing against max_tx_bytes', () => {
  it('takes a transaction exactly at the budget and leaves it out one byte below; the bytes add up over transactions', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    await n.block([]);
    const a = transfer(alice);
    const b = transfer(bob);
    const framed = (raw: Uint8Array): bigint => BigInt(raw.length) + 8n;
    const prepare = async (maxTxBytes: bigint, txs: Uint8Array[]): Promise<string[]> =>
      (await n.app.prepareProposal({ ...proposal(2n, txs), maxTxBytes, localLastCommit: { round: 0, votes: [] } })).txs.map(hex);
    assert.deepEqual(await prepare(framed(a), [a]), [hex(a)]);
    assert.deepEqual(await prepare(framed(a) - 1n, [a]), []);
    assert.deepEqual(await prepare(framed(a) + framed(b), [a, b]), [hex(a), hex(b)]);
    assert.deepEqual(await prepare(framed(a) + framed(b) - 1n, [a, b]), [hex(a)]);
  });
});

describe('ProcessProposal', () => {
  it('rejects a block holding an undecodable transaction, and warns with the height and the decoding error', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    await n.block([]);
    let status: string | undefined;
    const logged = await n.logged(async () => {
      status = (await n.app.processProposal(proposal(2n, [transfer(alice), Uint8Array.from([1, 2, 3])]))).status;
    });
    assert.equal(status, 'reject');
    assert.equal(logged.length, 1);
    const [entry] = logged as [Entry];
    assert.deepEqual([entry.level, entry.module, entry.height], ['warn', 'app', '2']);
    assert.notEqual(entry.message, '');
    assert.equal(typeof entry.error, 'string');
    assert.notEqual(entry.error, '');
  });

  it('warns with the height and the code name when a transaction breaks the block rules', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    await n.block([]);
    let status: string | undefined;
    const logged = await n.logged(async () => {
      status = (await n.app.processProposal(proposal(2n, [free(alice, 0n), free(alice, 1n)]))).status;
    });
    assert.equal(status, 'reject');
    assert.equal(logged.length, 1);
    const [entry] = logged as [Entry];
    // One zero-price transaction per sender per block: the second is FreeTxSlotsFull (README, code 11).
    assert.deepEqual([entry.level, entry.module, entry.height, entry.code], ['warn', 'app', '2', 'FreeTxSlotsFull']);
    assert.notEqual(entry.message, '');
    assert.notEqual(entry.error, '');
  });
});

describe('block execution', () => {
  it('refuses to execute a block that does not follow the last committed one', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    await n.block([]);
    await assert.rejects(n.app.finalizeBlock(finalizeRequest(3n, [])), (err: Error) => /\b3\b/.test(err.message) && /\b1\b/.test(err.message));
    // The next block is still welcome.
    assert.equal((await n.app.finalizeBlock(finalizeRequest(2n, []))).txResults.length, 0);
  });

  it('refuses DeliverTx outside a block (v0.37: no BeginBlock first)', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    await assert.rejects(n.app.deliverTx({ tx: transfer(alice) }), /DeliverTx outside a block/);
  });

  it('answers an executed transaction with codespace and log only when it failed, and the ethereum_tx event `cmtd query tx` searches by', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    const ok = transfer(alice);
    const reverted = reverting(bob);
    const r = await n.block([ok, reverted]);
    const [okResult, revertedResult] = r.txResults as [(typeof r.txResults)[0], (typeof r.txResults)[0]];
    assert.deepEqual([okResult.code, okResult.codespace, okResult.log], [0, '', '']);
    assert.equal(revertedResult.code, 12);
    assert.equal(revertedResult.codespace, 'cmtd', 'README: refusals carry codespace cmtd');
    assert.match(revertedResult.log!, /Reverted/, 'the log names the code');
    for (const [raw, from, result] of [
      [ok, alice, okResult],
      [reverted, bob, revertedResult],
    ] as const) {
      const event = result.events!.find((e) => e.type === 'ethereum_tx');
      assert.ok(event !== undefined, 'an ethereum_tx event');
      const attribute = (key: string) => event.attributes!.find((a) => a.key === key);
      assert.deepEqual(attribute('hash'), { key: 'hash', value: `0x${hex(keccak256(raw))}`, index: true });
      assert.deepEqual(attribute('from'), { key: 'from', value: from.address, index: true });
    }
  });

  it('indexes a refused transaction with the log of its ABCI result', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    const again = transfer(alice, 0n, 21_001n); // nonce 0 again: NonceTooLow
    const r = await n.block([transfer(alice), again]);
    const refused = r.txResults[1]!;
    assert.equal(refused.code, 4);
    assert.notEqual(refused.log, '');
    const record = await new ChainIndex(n.store).rejected(keccak256(again));
    assert.equal(record?.log, refused.log);
  });

  it('logs each committed block with its number of transactions', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    const committed = async (txs: Uint8Array[]) => (await n.logged(() => n.block(txs))).filter((e) => e.height !== undefined && e.txs !== undefined);
    const empty = await committed([]);
    assert.deepEqual(
      empty.map((e) => [e.level, e.module, e.height, e.txs]),
      [['info', 'app', '1', 0]],
    );
    const two = await committed([transfer(alice), transfer(bob)]);
    assert.deepEqual(
      two.map((e) => [e.height, e.txs]),
      [['2', 2]],
    );
  });
});

describe('faults that are not refusals propagate: they never become an ABCI answer', () => {
  it('CheckTx', async (t) => {
    const n = await node();
    await n.app.initChain(initRequest());
    t.mock.method(SenderCache.prototype, 'resolve', () => {
      throw new Error('decoder fault');
    });
    await assert.rejects(n.app.checkTx({ tx: transfer(alice), type: 'new' }), /decoder fault/);
  });

  it('decoding a transaction of a block', async (t) => {
    const n = await node();
    await n.app.initChain(initRequest());
    await n.block([]);
    t.mock.method(SenderCache.prototype, 'resolve', () => {
      throw new Error('decoder fault');
    });
    await assert.rejects(n.app.finalizeBlock(finalizeRequest(2n, [transfer(alice)])), /decoder fault/);
  });

  it('executing a transaction (here a TEST ONLY rule that throws)', async () => {
    const override: TestRuleOverride = {
      name: 'throws',
      afterTx() {
        throw new Error('rule fault');
      },
    };
    const n = await node({ testRuleOverride: override });
    await n.app.initChain(initRequest());
    await assert.rejects(n.app.finalizeBlock(finalizeRequest(1n, [transfer(alice)])), /rule fault/);
  });
});

describe('the TEST ONLY rule override (docs/REPLAY.md)', () => {
  it('is announced by a warning naming the rule, and runs after each successful transaction only', async () => {
    const calls: Array<[string, bigint]> = [];
    const override: TestRuleOverride = {
      name: 'probe',
      afterTx(_state, tx, height) {
        calls.push([hex(tx.hash), height]);
      },
    };
    const n = new Node();
    nodes.push(n);
    await n.open({ testRuleOverride: override });
    const warnings = n.entries.filter((e) => e.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.module, 'app');
    assert.match(warnings[0]!.message, /TEST ONLY/);
    assert.equal(warnings[0]!.rule, 'probe');

    await n.app.initChain(initRequest());
    const ok = transfer(alice);
    const r = await n.block([ok, reverting(bob), transfer(alice) /* nonce 0 again: refused */]);
    assert.deepEqual(
      r.txResults.map((x) => x.code),
      [0, 12, 4],
    );
    assert.deepEqual(calls, [[hex(keccak256(ok)), 1n]]);
  });

  it('an app without one logs no warning', async () => {
    const n = await node();
    assert.deepEqual(
      n.entries.filter((e) => e.level === 'warn'),
      [],
    );
  });
});

describe('the metrics hook (AppOptions.metrics)', () => {
  it("is told each CheckTx's code and its duration, and each block's transactions and the codes of those not Ok", async () => {
    const checks: Array<[number, number]> = [];
    const blocks: BlockObservation[] = [];
    const metrics: AppMetrics = {
      onCheckTx: (code, seconds) => checks.push([code, seconds]),
      onBlock: (b) => blocks.push(b),
    };
    const n = await node({ metrics });
    await n.app.initChain(initRequest());
    const wall: number[] = [];
    for (const tx of [transfer(alice), transfer(alice, 5n)]) {
      const started = performance.now();
      await n.app.checkTx({ tx, type: 'new' });
      wall.push((performance.now() - started) / 1000);
    }
    assert.deepEqual(
      checks.map(([code]) => code),
      [0, 5],
    );
    for (const [i, [, seconds]] of checks.entries()) assert.ok(seconds >= 0 && seconds <= wall[i]!, `CheckTx ${i}: ${seconds} s within the ${wall[i]} s the call took`);

    await n.block([transfer(alice), transfer(alice) /* NonceTooLow */, reverting(bob)]);
    await n.block([]);
    assert.deepEqual(
      blocks.map((b) => [b.height, b.txs, b.rejectedCodes]),
      [
        [1n, 3, [4, 12]],
        [2n, 0, []],
      ],
    );
  });
});

describe('the CheckTx view and the logs of index work', () => {
  it('a new mempool connection is logged with the committed height', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    await n.block([]);
    const logged = await n.logged(() => n.app.mempoolConnected());
    assert.deepEqual(
      logged.map((e) => [e.level, e.module, e.height, e.message !== '']),
      [['info', 'app', '1', true]],
    );
  });

  it('a block listener that throws is logged as an error of the index', async () => {
    const n = await node();
    await n.app.initChain(initRequest());
    n.app.indexer.onBlock(() => {
      throw new Error('listener fault');
    });
    const errors = (await n.logged(() => n.block([]))).filter((e) => e.level === 'error');
    assert.deepEqual(
      errors.map((e) => [e.module, e.height, e.error]),
      [['index', '1', 'listener fault']],
    );
  });

  it('a failure to prepare index pruning is logged as an error of the index', async (t) => {
    // Retain height after block h: min(h (1 block), h (history 1), h - 1 (evidence age 1)) = h - 1, pruning from block 3 on.
    const retention = new BlockRetention({ minRetainBlocks: 1, snapshotInterval: 0, snapshotKeepRecent: 1, stateHistory: 1 });
    const n = await node({ retention });
    const evidence = { maxAgeNumBlocks: 1n, maxAgeDuration: { seconds: 172_800n, nanos: 0 }, maxBytes: 1_048_576n };
    await n.app.initChain(initRequest({ consensusParams: { block: { maxBytes: 1_000_000n, maxGas: -1n }, evidence } }));
    await n.block([]);
    await n.block([]);
    const getExtra = n.store.getExtra.bind(n.store);
    t.mock.method(n.store, 'getExtra', async (key: string) => {
      if (key === heightKey(1n)) throw new Error('disk fault');
      return getExtra(key);
    });
    const { retainHeight } = await (async () => {
      n.height += 1n;
      await n.app.finalizeBlock(finalizeRequest(n.height, []));
      return n.app.commit();
    })();
    assert.equal(retainHeight, 2n);
    await (n.app as unknown as { indexPruner: { idle(): Promise<void> } }).indexPruner.idle();
    const errors = n.entries.filter((e) => e.level === 'error');
    assert.deepEqual(
      errors.map((e) => [e.module, e.error]),
      [['index', 'disk fault']],
    );
  });
});

describe('state sync', () => {
  it("starts every view over from the restored state, even after the InitChain CometBFT's handshake sends a fresh node", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmtd-abci-surface-snapshots-'));
    let snapshots!: SnapshotStore;
    const source = await node((store) => {
      snapshots = new SnapshotStore({ dir, source: store, interval: 2, keepRecent: 1, chunkBytes: 1024 });
      return { snapshots };
    });
    await snapshots.open();
    try {
      await source.app.initChain(initRequest());
      await source.block([transfer(alice)]);
      await source.block([transfer(bob)]);
      await snapshots.idle();
      const [offered] = (await source.app.listSnapshots()).snapshots;
      assert.equal(offered?.height, 2n);

      const target = await node();
      await target.app.initChain(initRequest());
      const appHash = source.store.appHashAt(2n);
      assert.equal((await target.app.offerSnapshot({ snapshot: offered!, appHash })).result, 'accept');
      for (let i = 0; i < offered!.chunks; i++) {
        const { chunk } = await source.app.loadSnapshotChunk({ height: 2n, format: 1, chunk: i });
        assert.equal((await target.app.applySnapshotChunk({ index: i, chunk, sender: 'peer' })).result, 'accept');
      }
      target.height = 2n;
      const txs = [transfer(alice, 1n), transfer(carol)];
      const expected = await source.block(txs);
      const got = await target.block(txs);
      assert.deepEqual(
        got.txResults.map((r) => r.code),
        [0, 0],
      );
      assert.equal(hex(got.appHash), hex(expected.appHash), "block 3 on the restored node gives the source's app hash");
    } finally {
      await snapshots.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
