/**
 * An in-process chain for gateway unit tests: the real app over a real
 * store, blocks produced by the test (no CometBFT), a mempool fed through
 * CheckTx by a stand-in CometBFT client, and the JSON-RPC gateway in front.
 * Integration tests use a real CometBFT instead (rpc-*.test.ts under
 * test/integration).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { CmtdApp } from '../../src/app/app.js';
import type { ChainModules } from '../../src/app/modules.js';
import { createModules } from '../../src/app/wiring.js';
import type { BroadcastResult, StatusResult } from '../../src/comet/rpc.js';
import { startRpcGateway, type RpcGateway, type RpcLimits } from '../../src/rpc/index.js';
import type { CallRunner } from '../../src/rpc/call-runner.js';
import type { CometClient } from '../../src/rpc/eth.js';
import type { Address } from '../../src/util/address.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import type { KV } from '../../src/store/kv.js';
import { SystemCallError, type SystemContract } from '../../src/system/types.js';
import { silentLogger } from '../../src/util/logger.js';

export const CMT = 10n ** 18n;
export const GWEI = 10n ** 9n;

/** A stand-in system contract that emits logs, for log/filter/subscription tests without the EVM. */
export const LOGGER_ADDRESS: Address = '0x000000000000000000000000000000000000beef';
export const LOG_TOPIC = new Uint8Array(32).fill(0xaa);
/** Calldata: 0x01… emits a log (topics [LOG_TOPIC, sender]) and succeeds; 0x02… reverts; 0xff… has no function. */
export function loggerContract(kv: KV): SystemContract {
  return {
    address: LOGGER_ADDRESS,
    gasCost(data) {
      if (data[0] === 0xff) throw new SystemCallError('no such function', 'unknown_function');
      return 5_000n;
    },
    call(ctx, data) {
      if (data[0] === 0x02) throw new SystemCallError('refused by the logger', 'refused');
      const count = (kv.get('test/count')?.[0] ?? 0) + 1;
      kv.set('test/count', Uint8Array.of(count));
      const sender = new Uint8Array(32);
      sender.set(Buffer.from(ctx.sender.slice(2), 'hex'), 12);
      return { returnData: data, logs: [{ address: LOGGER_ADDRESS, topics: [LOG_TOPIC, sender], data: Uint8Array.of(count) }] };
    },
    view(data) {
      if (data[0] === 0x02) throw new SystemCallError('view refused', 'refused');
      const out = new Uint8Array(32);
      out[31] = kv.get('test/count')?.[0] ?? 0;
      return out;
    },
  };
}

function testModules(): ChainModules {
  const base = createModules();
  return { ...base, resolveSystem: (address, kv) => (address === LOGGER_ADDRESS ? loggerContract(kv) : base.resolveSystem(address, kv)) };
}

/** The system contracts of the harness, for the gateway's EVM call workers (RpcGatewayOptions.callResolverModule). */
export function systemResolver(): ChainModules['resolveSystem'] {
  return testModules().resolveSystem;
}

export interface Harness {
  dir: string;
  store: CommittedStore;
  app: CmtdApp;
  gateway: RpcGateway;
  url: string;
  wallets: Wallet[];
  mempool: Uint8Array[];
  height: bigint;
  /** Executes and commits a block of the mempool (plus `extra` transactions that skipped CheckTx). */
  block(extra?: Uint8Array[]): Promise<void>;
  /** JSON-RPC call; returns the whole response object. */
  rpc(method: string, params?: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>;
  /** Stops the gateway and closes the store (the directory stays). */
  stop(): Promise<void>;
  /** Reopens the store, app and gateway on the same directory. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export function blockHash(height: bigint): Uint8Array {
  return createHash('sha256').update(`block ${height}`).digest();
}

export async function startHarness(
  limits: Partial<RpcLimits> = {},
  options: { calls?: CallRunner; maxGas?: bigint; params?: Record<string, string>; stateHistory?: number; appState?: Record<string, unknown> } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-rpc-'));
  const wallets = Array.from({ length: 3 }, (_, i) => new Wallet(`0x${createHash('sha256').update(`rpc-harness-${i}`).digest('hex')}`));
  const h = { dir, wallets, mempool: [] as Uint8Array[], height: 0n } as Harness;

  const comet: CometClient = {
    async broadcastTxSync(tx): Promise<BroadcastResult> {
      const r = await h.app.checkTx({ tx, type: 'new' });
      if (r.code === 0) h.mempool.push(tx);
      return { code: r.code ?? 0, data: '', log: r.log ?? '', codespace: r.codespace ?? '', hash: createHash('sha256').update(tx).digest('hex') };
    },
    async status(): Promise<StatusResult> {
      return { sync_info: { catching_up: false, latest_block_height: h.height.toString() } } as StatusResult;
    },
    async call<T>(): Promise<T> {
      throw new Error('not available in the harness');
    },
  };

  const open = async (): Promise<void> => {
    h.store = await CommittedStore.open(join(dir, 'state.db'), options.stateHistory === undefined ? {} : { stateHistory: options.stateHistory });
    const modules = testModules();
    h.app = new CmtdApp({ store: h.store, modules, logger: silentLogger() });
    h.gateway = await startRpcGateway({
      address: '127.0.0.1:0',
      store: h.store,
      modules,
      indexer: h.app.indexer,
      pendingNonce: (a) => h.app.pendingNonce(a),
      idleBlockHashes: () => h.app.idleBlockHashes,
      comet,
      limits,
      callResolverModule: import.meta.url,
      ...(options.calls === undefined ? {} : { calls: options.calls }),
      logger: silentLogger(),
    });
    h.url = h.gateway.url;
  };
  await open();
  await h.app.initChain({
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: 'rpc-test',
    consensusParams: { block: { maxBytes: 1_000_000n, maxGas: options.maxGas ?? 30_000_000n } },
    validators: [],
    appStateBytes: Buffer.from(
      JSON.stringify({
        params: options.params ?? {},
        accounts: wallets.map((w) => ({ address: w.address.toLowerCase(), balance: (1_000n * CMT).toString() })),
        ...options.appState,
      }),
    ),
    initialHeight: 1n,
  });

  h.block = async (extra = []) => {
    h.height += 1n;
    const txs = [...h.mempool.splice(0), ...extra];
    await h.app.finalizeBlock({
      txs,
      decidedLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      hash: blockHash(h.height),
      height: h.height,
      time: { seconds: 1_700_000_000n + h.height, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20).fill(7),
    });
    await h.app.commit();
  };
  let id = 0;
  h.rpc = async (method, params = []) => {
    const res = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) });
    return (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
  };
  h.stop = async () => {
    await h.gateway.close();
    await h.store.close();
  };
  h.restart = async () => {
    await h.stop();
    await open();
  };
  h.cleanup = async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return h;
}
