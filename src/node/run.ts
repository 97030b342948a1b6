/**
 * Runs one cmtd node: opens the store, builds the app and serves it to
 * CometBFT over the chosen ABCI transport until SIGINT/SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startAbciServer } from '../abci/server.js';
import { CmtdApp } from '../app/app.js';
import { createModules } from '../app/wiring.js';
import { NodeMetrics, startMetricsServer, type MetricsServer } from '../metrics/index.js';
import { startRpcGateway, type RpcGateway, type RpcLimits } from '../rpc/index.js';
import { CommittedStore, type CommittedStoreOptions } from '../store/committed-store.js';
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
  /** State store tuning (docs/STORE.md); defaults: keep 10,000 heights, 256 MiB of cache. */
  store?: Pick<CommittedStoreOptions, 'stateHistory' | 'cacheBytes'>;
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
  const app = new CmtdApp({ store, modules, logger, ...(metrics === undefined ? {} : { metrics }) });
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
        ...(options.rpc.cometRpcUrl === '' ? {} : { cometRpcUrl: options.rpc.cometRpcUrl }),
        ...(options.rpc.limits === undefined ? {} : { limits: options.rpc.limits }),
        ...(options.rpc.cors === undefined ? {} : { cors: options.rpc.cors }),
        logger,
      });
    } catch (err) {
      await server.close();
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
        await store.close();
        logger.info('stopped', { module: 'node' });
      })();
      return stopping;
    },
  };
}
