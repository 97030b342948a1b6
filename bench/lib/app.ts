/** A real app over a real store in a temp dir, driven directly (no CometBFT), for benchmarks. */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestFinalizeBlock, RequestProcessProposal } from '../../src/abci/types.js';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { accountKey, encodeAccount } from '../../src/state/accounts.js';
import { bulkLoad } from '../../src/store/bulk-load.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { DEFAULT_SENDER_THREADS, SenderRecovery } from '../../src/tx/sender-recovery.js';
import { keccak256 } from '../../src/util/crypto.js';
import { silentLogger } from '../../src/util/logger.js';
import { BENCH_CACHE_DIR, cachedStateReady, markCachedState } from './state-cache.js';

export interface BenchApp {
  app: CmtdApp;
  store: CommittedStore;
  height: bigint;
  close(): Promise<void>;
}

/**
 * The app over `appState`. Unless the state sets `block_gas_limit`, blocks
 * may hold 1,000,000,000 gas (the most the param allows): throughput benchmarks run
 * blocks far beyond the default limit (bench/blockgas.ts measures that one).
 */
export async function benchApp(appState: { params?: Record<string, unknown>; [field: string]: unknown }): Promise<BenchApp> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-bench-'));
  const store = await CommittedStore.open(join(dir, 'state.db'));
  const senderRecovery = new SenderRecovery({ threads: BENCH_SENDER_THREADS, logger: silentLogger() });
  const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger(), senderRecovery });
  await app.initChain({
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: 'bench',
    consensusParams: { block: { maxBytes: 22_020_096n, maxGas: -1n } },
    validators: [],
    appStateBytes: Buffer.from(JSON.stringify({ ...appState, params: { block_gas_limit: '1000000000', ...appState.params } })),
    initialHeight: 1n,
  });
  return {
    app,
    store,
    height: 0n,
    async close() {
      await senderRecovery.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sender recovery threads of bench apps: CMTD_SENDER_THREADS, else the node's default (`--sender-threads`). */
export const BENCH_SENDER_THREADS = Number(process.env.CMTD_SENDER_THREADS ?? DEFAULT_SENDER_THREADS);

/** The address of filler account `i` (funded, never sending; benches pick recipients among them). */
export function fillerAddress(i: number): `0x${string}` {
  return `0x${Buffer.from(keccak256(Buffer.from(`filler-${i}`)))
    .toString('hex')
    .slice(0, 40)}`;
}

/**
 * The app over `appState` plus `fillers` funded accounts ({@link fillerAddress}),
 * at height 1. The state is built once under ~/.cache/cmtd/bench/<name>
 * (CMTD_BENCH_CACHE overrides the parent directory): genesis and an empty
 * block 1 through the real app, then its entries and the fillers (encoded
 * by the accounts module) written by the store's bulk load as version 1.
 * Each run works on a copy, so the cached state never changes.
 */
export async function benchAppWithFillers(appState: { params?: Record<string, unknown>; [field: string]: unknown }, fillers: number, name: string): Promise<BenchApp> {
  const cached = join(BENCH_CACHE_DIR, name);
  if (!cachedStateReady(cached)) {
    const started = performance.now();
    const seed = await benchApp(appState);
    await runBlock(seed, []);
    const entries: Array<[string, Uint8Array]> = [];
    for (let from: string | undefined = ''; from !== undefined; ) {
      const page: { entries: Array<[string, Uint8Array]>; next?: string } = await seed.store.entries(1n, from, 10_000);
      entries.push(...page.entries);
      from = page.next;
    }
    await seed.close();
    rmSync(cached, { recursive: true, force: true });
    mkdirSync(cached, { recursive: true });
    const filler = encodeAccount({ nonce: 0n, balance: 10n ** 18n, codeHash: new Uint8Array(0) });
    const n = entries.length;
    await bulkLoad(join(cached, 'state.db'), 1n, n + fillers, (i) => (i < n ? entries[i]! : [accountKey(fillerAddress(i - n)), filler]));
    markCachedState(cached, `${n} genesis keys + ${fillers} filler accounts`);
    console.log(
      `built the bench state ${cached}: ${n} genesis keys + ${fillers.toLocaleString('en-US')} filler accounts in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-bench-'));
  cpSync(join(cached, 'state.db'), join(dir, 'state.db'), { recursive: true });
  const store = await CommittedStore.open(join(dir, 'state.db'));
  const senderRecovery = new SenderRecovery({ threads: BENCH_SENDER_THREADS, logger: silentLogger() });
  const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger(), senderRecovery });
  return {
    app,
    store,
    height: store.height,
    async close() {
      await senderRecovery.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A FinalizeBlock request with no votes or evidence: 10-second blocks, a per-height hash. */
export function finalizeRequest(height: bigint, txs: Uint8Array[]): RequestFinalizeBlock {
  return {
    txs,
    decidedLastCommit: { round: 0, votes: [] },
    misbehavior: [],
    hash: new Uint8Array(32).fill(Number(height % 256n)),
    height,
    time: { seconds: 1_700_000_000n + height * 10n, nanos: 0 },
    nextValidatorsHash: new Uint8Array(32),
    proposerAddress: new Uint8Array(20),
  };
}

/** The ProcessProposal of the block {@link finalizeRequest} gives at `height` (the same hash). */
export function processRequest(height: bigint, txs: Uint8Array[]): RequestProcessProposal {
  const { decidedLastCommit, ...same } = finalizeRequest(height, txs);
  return { ...same, proposedLastCommit: decidedLastCommit };
}

/** Executes and commits one block; returns the elapsed milliseconds of FinalizeBlock + Commit. */
export async function runBlock(b: BenchApp, txs: Uint8Array[]): Promise<{ ms: number; failed: number }> {
  b.height += 1n;
  const started = performance.now();
  const response = await b.app.finalizeBlock(finalizeRequest(b.height, txs));
  await b.app.commit();
  const ms = performance.now() - started;
  return { ms, failed: response.txResults.filter((r) => r.code !== 0).length };
}
