/**
 * Runs one cmtd node: opens the store, builds the app and serves it to
 * CometBFT over the chosen ABCI transport until SIGINT/SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startAbciServer } from '../abci/server.js';
import { CmtdApp } from '../app/app.js';
import { BlockRetention } from '../app/retention.js';
import { createModules } from '../app/wiring.js';
import { NodeMetrics, startMetricsServer, type MetricsServer } from '../metrics/index.js';
import { startRpcGateway, type RpcGateway, type RpcLimits } from '../rpc/index.js';
import { SnapshotStore } from '../statesync/snapshots.js';
import { DEFAULT_SENDER_THREADS, SenderRecovery } from '../tx/sender-recovery.js';
import { CommittedStore, DEFAULT_STATE_HISTORY, type CommittedStoreOptions } from '../store/committed-store.js';
import type { Logger } from '../util/logger.js';

export type AbciTransport = 'socket' | 'grpc';

export interface NodeOptions {
  home: string;
  abci: AbciTransport;
  address: string;
  /** ABCI server limits (src/abci/README.md); defaults when absent. */
  abciLimits?: { maxConnections?: number; maxMessageBytes?: number };
  logger: Logger;
  /** The Ethereum JSON-RPC gateway (docs/RPC.md); undefined: not served. */
  rpc?: NodeRpcOptions;
  /** Prometheus endpoint (README "Metrics"); undefined: no metrics are collected. */
  metrics?: NodeMetricsOptions;
  /** State store tuning (docs/STORE.md); defaults: keep 10,000 heights, 256 MiB of cache, a 64 MiB write buffer, 1,000 open node tables. */
  store?: Pick<CommittedStoreOptions, 'stateHistory' | 'cacheBytes' | 'writeBufferBytes' | 'openFiles'>;
  /** Snapshots for state sync and block pruning (docs/STATE-SYNC.md); defaults when absent. */
  snapshots?: NodeSnapshotOptions;
  /** Worker threads recovering transaction senders (`--sender-threads`); default {@link DEFAULT_SENDER_THREADS}. */
  senderThreads?: number;
}

export interface NodeSnapshotOptions {
  /** A snapshot every this many heights (0: none). Default 1,000. */
  interval?: number;
  /** Snapshots kept on disk. Default 2. */
  keepRecent?: number;
  /** Size at which chunks are cut. */
  chunkBytes?: number;
  /** Blocks kept at least (0: all). Default 0. */
  minRetainBlocks?: number;
  /** TEST ONLY: serve corrupted chunks. */
  testCorruptChunks?: boolean;
}

export const DEFAULT_SNAPSHOT_INTERVAL = 1000;
export const DEFAULT_SNAPSHOT_KEEP_RECENT = 2;

export function snapshotDir(home: string): string {
  return join(home, 'data', 'snapshots');
}

export interface NodeMetricsOptions {
  /** host:port of GET /metrics */
  address: string;
}

export interface NodeRpcOptions {
  /** host:port */
  address: string;
  /** CometBFT RPC URL that eth_sendRawTransaction broadcasts through ('' : none). */
  cometRpcUrl: string;
  limits?: Partial<RpcLimits>;
  cors?: string;
}

export interface RunningNode {
  /** The address the ABCI server listens on (port resolved). */
  address: string;
  /** The JSON-RPC gateway's URL (http://host:port), when it is served. */
  rpcUrl?: string;
  /** The metrics URL (http://host:port/metrics), when they are served. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

export function stateDir(home: string): string {
  return join(home, 'data', 'state.db');
}

export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const { logger } = options;
  mkdirSync(join(options.home, 'data'), { recursive: true });
  const store = await CommittedStore.open(stateDir(options.home), { logger, ...options.store });
  // The store logs what it opened (dir, height, app hash): no second line for the same thing.
  const modules = createModules();
  const metrics = options.metrics === undefined ? undefined : new NodeMetrics({ store, modules, logger });
  const s = options.snapshots ?? {};
  const interval = s.interval ?? DEFAULT_SNAPSHOT_INTERVAL;
  const keepRecent = s.keepRecent ?? DEFAULT_SNAPSHOT_KEEP_RECENT;
  const snapshots = new SnapshotStore({
    dir: snapshotDir(options.home),
    source: store,
    interval,
    keepRecent,
    logger,
    ...(s.chunkBytes === undefined ? {} : { chunkBytes: s.chunkBytes }),
    ...(s.testCorruptChunks === true ? { testCorruptChunks: true } : {}),
  });
  await snapshots.open();
  const retention = new BlockRetention({
    minRetainBlocks: s.minRetainBlocks ?? 0,
    snapshotInterval: interval,
    snapshotKeepRecent: keepRecent,
    stateHistory: options.store?.stateHistory ?? DEFAULT_STATE_HISTORY,
  });
  const senderRecovery = new SenderRecovery({ threads: options.senderThreads ?? DEFAULT_SENDER_THREADS, logger });
  const app = new CmtdApp({ store, modules, logger, snapshots, retention, senderRecovery, ...(metrics === undefined ? {} : { metrics }) });
  await app.open();
  const server = await startAbciServer({ transport: options.abci, address: options.address, app, logger, ...options.abciLimits });
  let rpc: RpcGateway | undefined;
  if (options.rpc !== undefined) {
    try {
      rpc = await startRpcGateway({
        address: options.rpc.address,
        store,
        modules,
        indexer: app.indexer,
        pendingNonce: (address) => app.pendingNonce(address),
        idleBlockHashes: () => app.idleBlockHashes,
        ...(options.rpc.cometRpcUrl === '' ? {} : { cometRpcUrl: options.rpc.cometRpcUrl }),
        ...(options.rpc.limits === undefined ? {} : { limits: options.rpc.limits }),
        ...(options.rpc.cors === undefined ? {} : { cors: options.rpc.cors }),
        logger,
      });
    } catch (err) {
      await server.close();
      await senderRecovery.close();
      await store.close();
      throw err;
    }
  }
  let metricsServer: MetricsServer | undefined;
  if (options.metrics !== undefined && metrics !== undefined) {
    try {
      metricsServer = await startMetricsServer({ address: options.metrics.address, registry: metrics.registry, logger });
    } catch (err) {
      await rpc?.close();
      await server.close();
      await senderRecovery.close();
      await store.close();
      throw err;
    }
  }
  let stopping: Promise<void> | undefined;
  return {
    address: server.address,
    ...(rpc === undefined ? {} : { rpcUrl: rpc.url }),
    ...(metricsServer === undefined ? {} : { metricsUrl: metricsServer.url }),
    stop() {
      stopping ??= (async () => {
        await metricsServer?.close();
        await rpc?.close();
        await server.close();
        await senderRecovery.close();
        await snapshots.close();
        await store.close();
        logger.info('stopped', { module: 'node' });
      })();
      return stopping;
    },
  };
}
