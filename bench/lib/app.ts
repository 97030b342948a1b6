/** A real app over a real store in a temp dir, driven directly (no CometBFT), for benchmarks. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestFinalizeBlock } from '../../src/abci/types.js';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { silentLogger } from '../../src/util/logger.js';

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
  const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
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

/** Executes and commits one block; returns the elapsed milliseconds of FinalizeBlock + Commit. */
export async function runBlock(b: BenchApp, txs: Uint8Array[]): Promise<{ ms: number; failed: number }> {
  b.height += 1n;
  const started = performance.now();
  const response = await b.app.finalizeBlock(finalizeRequest(b.height, txs));
  await b.app.commit();
  const ms = performance.now() - started;
  return { ms, failed: response.txResults.filter((r) => r.code !== 0).length };
}
