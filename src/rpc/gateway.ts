/**
 * The Ethereum JSON-RPC gateway, run in-process by `cmtd start`
 * (docs/RPC.md): reads committed state and the index straight from the
 * store, broadcasts transactions through CometBFT's RPC, and feeds filters
 * and subscriptions from the indexer's committed-block events.
 */
import type { ChainModules } from '../app/modules.js';
import type { BlockIndexer, IndexedBlock } from '../index/indexer.js';
import { ChainIndex } from '../index/reader.js';
import { CometRpc } from '../comet/rpc.js';
import type { Address } from '../util/address.js';
import type { Logger } from '../util/logger.js';
import type { CallRunner } from './call-runner.js';
import { EvmCallPool } from './call-pool.js';
import { devOnlyRefusals } from './dev-accounts.js';
import { DEFAULT_RPC_LIMITS, ethMethods, type CometClient, type RpcLimits } from './eth.js';
import type { RpcStore } from './state-at.js';
import { FilterManager, SubscriptionManager } from './filters.js';
import { fixed } from './hex.js';
import { JsonRpcDispatcher } from './jsonrpc.js';
import { PendingPool } from './pending.js';
import { traceMethods } from './trace.js';
import { parseHostPort, startRpcServer } from './server.js';
import type { IdleBlockHashes } from './state-at.js';

export interface RpcGatewayOptions {
  /** host:port to listen on (port 0: any free port). */
  address: string;
  store: RpcStore;
  modules: ChainModules;
  /** The app's indexer: committed-block events. */
  indexer: BlockIndexer;
  /** The app's CheckTx view of a sender's next nonce. */
  pendingNonce?: (address: Address) => bigint;
  /** The app's hashes of idle blocks not in the BLOCKHASH ring yet (src/app/block-hashes.ts): calls read them. */
  idleBlockHashes?: IdleBlockHashes;
  /** CometBFT RPC URL for broadcasting (http://127.0.0.1:26657); undefined: eth_sendRawTransaction is unavailable. */
  cometRpcUrl?: string;
  /** A CometBFT client to use instead of one for cometRpcUrl (tests). */
  comet?: CometClient;
  limits?: Partial<RpcLimits>;
  /** Access-Control-Allow-Origin for browsers; default none. */
  cors?: string;
  /** How eth_call / eth_estimateGas run; default: worker threads (call-pool.ts) running the EVM (src/tx/call.ts). */
  calls?: CallRunner;
  /**
   * URL of an ES module whose `systemResolver()` gives the system contracts
   * the call workers see (tests with stand-in contracts); default: the chain's.
   */
  callResolverModule?: string;
  logger: Logger;
}

export interface RpcGateway {
  /** http://host:port */
  readonly url: string;
  /** ws://host:port */
  readonly wsUrl: string;
  readonly limits: Readonly<RpcLimits>;
  /** WebSocket connections open now. */
  readonly wsConnections: number;
  close(): Promise<void>;
}

export async function startRpcGateway(o: RpcGatewayOptions): Promise<RpcGateway> {
  const log = o.logger.child({ module: 'rpc' });
  const limits: RpcLimits = { ...DEFAULT_RPC_LIMITS, ...o.limits };
  const index = new ChainIndex(o.store);
  const pending = new PendingPool();
  const filters = new FilterManager(index, limits);
  const subscriptions = new SubscriptionManager(limits.maxSubscriptionsPerConnection);
  const calls =
    o.calls ??
    new EvmCallPool({
      workers: limits.evmWorkers,
      queue: limits.evmQueue,
      timeoutMs: limits.evmTimeoutMs,
      ...(o.callResolverModule === undefined ? {} : { resolverModule: o.callResolverModule }),
      logger: log,
    });
  const comet = o.comet ?? (o.cometRpcUrl === undefined || o.cometRpcUrl === '' ? undefined : new CometRpc(o.cometRpcUrl));
  const methods = ethMethods({
    store: o.store,
    modules: o.modules,
    index,
    pending,
    filters,
    subscriptions,
    calls,
    limits,
    ...(comet === undefined ? {} : { comet }),
    ...(o.pendingNonce === undefined ? {} : { pendingNonce: o.pendingNonce }),
    ...(o.idleBlockHashes === undefined ? {} : { idleBlockHashes: o.idleBlockHashes }),
    onBroadcast: (tx) => {
      const hash = fixed(tx.hash, 32);
      filters.onPendingTx(hash);
      subscriptions.onPendingTx(hash);
    },
    logger: log,
  });
  // A node holds no keys: the signing methods get a clear refusal (cmtd dev serves them).
  for (const [name, spec] of devOnlyRefusals()) methods.set(name, spec);
  for (const [name, spec] of traceMethods({ store: o.store, index, calls, limits, ...(o.idleBlockHashes === undefined ? {} : { idleBlockHashes: o.idleBlockHashes }) }))
    methods.set(name, spec);
  const dispatcher = new JsonRpcDispatcher({ methods, maxBatch: limits.maxBatch, logger: log });

  // Committed blocks, in order: caches, pending pool, filters, subscriptions.
  let queue = Promise.resolve();
  const onBlock = (b: IndexedBlock): void => {
    queue = queue
      .then(async () => {
        index.remember(b.block, b.txs);
        pending.onBlock(
          b.block.height,
          b.block.txs.map((t) => t.hash),
        );
        filters.onBlock(b);
        const parent = b.block.height > 1n ? await index.blockIfIndexed(b.block.height - 1n) : undefined;
        subscriptions.onBlock(b, parent?.hash);
      })
      .catch((err: unknown) => {
        log.error('cannot deliver block events', { height: b.block.height.toString(), error: (err as Error).message });
      });
  };
  const unsubscribe = o.indexer.onBlock(onBlock);
  const sweeper = setInterval(() => filters.sweep(), 30_000);
  sweeper.unref();

  const { host, port } = parseHostPort(o.address);
  let server;
  try {
    server = await startRpcServer({
      host,
      port,
      dispatcher,
      maxBodyBytes: limits.maxBodyBytes,
      maxConnections: limits.maxConnections,
      maxWsBufferedBytes: limits.maxWsBufferedBytes,
      ...(o.cors === undefined ? {} : { cors: o.cors }),
      logger: log,
    });
  } catch (err) {
    unsubscribe();
    clearInterval(sweeper);
    await calls.close?.();
    throw new Error(`cannot serve JSON-RPC on ${o.address}: ${(err as Error).message}`);
  }
  log.info('Ethereum JSON-RPC listening', { url: server.url, ws: server.wsUrl, comet: o.cometRpcUrl ?? '(none)' });
  return {
    url: server.url,
    wsUrl: server.wsUrl,
    limits,
    get wsConnections() {
      return server.wsConnections;
    },
    async close() {
      unsubscribe();
      clearInterval(sweeper);
      await server.close();
      await calls.close?.();
      await queue;
    },
  };
}
