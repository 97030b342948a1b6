/**
 * The method table of the gateway: web3_*, net_*, eth_* and cmt_* (docs/RPC.md).
 * Every query reads committed state (the store) and the index; nothing here
 * sees the block being executed.
 */
import { readCode, readStorage } from '../evm/state.js';
import type { ChainModules, ChainReads } from '../app/modules.js';
import { QueryCode, QueryError } from '../app/query-codes.js';
import { routeQuery } from '../app/query-routes.js';
import type { ChainIndex, LogFilter } from '../index/reader.js';
import type { BlockRecord } from '../index/records.js';
import type { BroadcastResult, StatusResult } from '../comet/rpc.js';
import { AccountReader } from '../state/accounts.js';
import type { Address } from '../util/address.js';
import { loadParams, paramsToJson, type Params } from '../state/params.js';
import type { VersionView } from '../store/committed-store.js';
import { decodeSignedTx, hashHex, type SignedTx } from '../tx/decode.js';
import { codeName, TxCode, TxError } from '../tx/errors.js';
import { keccak256 } from '../util/crypto.js';
import type { Logger } from '../util/logger.js';
import { CMTD_VERSION } from '../util/version.js';
import { parseCallRequest, type CallBlock, type CallRequest } from './call.js';
import type { CallRunner } from './call-runner.js';
import { RpcCode, RpcError, invalidParams } from './errors.js';
import { queryLogs, type BlockBound, type FilterManager, type LogCriteria, type SubscriptionManager } from './filters.js';
import { formatBlock, formatReceipt, formatTransaction, formatTxRecord, UNLIMITED_GAS } from './format.js';
import { data, describeValue, fixed, parseAddress, parseBool, parseData, parseHash, parseQuantity, parseSlot, quantity } from './hex.js';
import { methodTable, requiredArg, type MethodSpec } from './jsonrpc.js';
import type { PendingPool } from './pending.js';
import { parseBlockTag, stateResolver, type IdleBlockHashes, type RpcStore } from './state-at.js';

export const CLIENT_VERSION = `cmtd/v${CMTD_VERSION}/node-${process.version}`;

/** The CometBFT RPC calls the gateway makes. */
export interface CometClient {
  broadcastTxSync(tx: Uint8Array): Promise<BroadcastResult>;
  status(): Promise<StatusResult>;
  call<T>(method: string, params?: Record<string, unknown>): Promise<T>;
}

export interface RpcLimits {
  /** Largest HTTP request body / WebSocket message, bytes. */
  maxBodyBytes: number;
  /** Most requests in one batch. */
  maxBatch: number;
  /** Most blocks one eth_getLogs (or filter poll) may span. */
  maxLogBlockRange: number;
  /** Most logs one eth_getLogs may return. */
  maxLogResults: number;
  /** Gas given to eth_call / eth_estimateGas when the request asks for more or none. */
  gasCap: bigint;
  /** Most installed filters (all clients together). */
  maxFilters: number;
  /** A filter not polled for this long is removed. */
  filterTimeoutMs: number;
  /** Most subscriptions on one WebSocket connection. */
  maxSubscriptionsPerConnection: number;
  /** Most WebSocket connections at once. */
  maxConnections: number;
  /** Most blocks one eth_feeHistory may cover. */
  maxFeeHistoryBlocks: number;
  /** Wall-clock limit of one eth_call / eth_estimateGas, ms (queueing included). */
  evmTimeoutMs: number;
  /** Worker threads running eth_call / eth_estimateGas, i.e. calls at once. */
  evmWorkers: number;
  /** Calls that may wait for a worker; more are refused (-32005). */
  evmQueue: number;
  /** Most filters one client (remote IP address) may have installed. */
  maxFiltersPerClient: number;
  /** Bytes a WebSocket connection may have unsent before it is closed as a slow consumer. */
  maxWsBufferedBytes: number;
  /** Wall-clock limit of one debug_trace* request, ms (queueing excluded). */
  traceTimeoutMs: number;
  /** Largest trace (approximate JSON bytes) one debug_trace* request may return. */
  traceMaxBytes: number;
  /** debug_trace* requests one client (remote IP address) may have running or waiting. */
  maxTracesPerClient: number;
}

export const DEFAULT_RPC_LIMITS: Readonly<RpcLimits> = Object.freeze({
  maxBodyBytes: 5 * 1024 * 1024,
  maxBatch: 100,
  maxLogBlockRange: 10_000,
  maxLogResults: 10_000,
  gasCap: 50_000_000n,
  maxFilters: 1_000,
  filterTimeoutMs: 5 * 60_000,
  maxSubscriptionsPerConnection: 100,
  maxConnections: 200,
  maxFeeHistoryBlocks: 1_024,
  evmTimeoutMs: 5_000,
  evmWorkers: 2,
  evmQueue: 256,
  maxFiltersPerClient: 100,
  maxWsBufferedBytes: 1024 * 1024,
  traceTimeoutMs: 10_000,
  traceMaxBytes: 32 * 1024 * 1024,
  maxTracesPerClient: 2,
});

export interface EthApiOptions {
  store: RpcStore;
  /** The app's hashes of idle blocks not in the BLOCKHASH ring yet: calls read them (src/app/block-hashes.ts). */
  idleBlockHashes?: IdleBlockHashes;
  modules: ChainModules;
  index: ChainIndex;
  pending: PendingPool;
  filters: FilterManager;
  subscriptions: SubscriptionManager;
  calls: CallRunner;
  limits: RpcLimits;
  /** Where eth_sendRawTransaction broadcasts; without it the method is unavailable. */
  comet?: CometClient;
  /** The app's CheckTx view of a sender's next nonce (in-process gateway). */
  pendingNonce?: (address: Address) => bigint;
  /** Told about every transaction this gateway broadcast successfully. */
  onBroadcast?: (tx: SignedTx) => void;
  logger?: Logger;
}

/** Geth-style messages for CheckTx refusals, so wallets and libraries recognise them (ethers and viem match on these). */
const REFUSAL_PREFIX: Partial<Record<TxCode, string>> = {
  [TxCode.Encoding]: 'invalid transaction',
  [TxCode.Signature]: 'invalid sender',
  [TxCode.ChainId]: 'invalid chain id',
  [TxCode.NonceTooLow]: 'nonce too low',
  [TxCode.NonceTooHigh]: 'nonce too high',
  [TxCode.InsufficientFunds]: 'insufficient funds for gas * price + value',
  [TxCode.IntrinsicGas]: 'intrinsic gas too low',
  [TxCode.BlockGasLimit]: 'exceeds block gas limit',
  [TxCode.GasPriceTooLow]: 'transaction underpriced',
  [TxCode.FreeTxGasLimit]: 'free transaction gas limit exceeded',
  [TxCode.FreeTxSlotsFull]: 'free transaction slots are full',
  [TxCode.TooLarge]: 'oversized data',
  [TxCode.UnsupportedType]: 'transaction type not supported',
  [TxCode.Duplicate]: 'already known',
};

/** The JSON-RPC error of a transaction CheckTx (or the local decoder) refused. */
export function refusalError(code: number, log: string, codespace = 'cmtd'): RpcError {
  const name = codeName(code);
  const reason = log.startsWith(`${name}: `) ? log.slice(name.length + 2) : log;
  const prefix = codespace === 'cmtd' ? REFUSAL_PREFIX[code as TxCode] : undefined;
  const message = prefix === undefined ? `transaction refused (code ${code}): ${reason}` : `${prefix}: ${reason}`;
  return new RpcError(RpcCode.Server, message, { code, codespace, log });
}

function parseAddresses(value: unknown): Address[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    if (value.length > 1_000) throw invalidParams('address: at most 1000 addresses');
    return value.map((a, i) => parseAddress(a, `address[${i}]`));
  }
  return [parseAddress(value, 'address')];
}

function parseTopics(value: unknown): Array<Uint8Array[] | null> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParams(`topics: expected an array, got ${describeValue(value)}`);
  if (value.length > 4) throw invalidParams(`topics: at most 4 positions, got ${value.length}`);
  return value.map((t: unknown, i) => {
    if (t === null) return null;
    if (Array.isArray(t)) {
      if (t.length > 100) throw invalidParams(`topics[${i}]: at most 100 alternatives`);
      if (t.some((x) => x === null)) return null; // a null alternative matches anything
      return t.map((x, j) => parseHash(x, `topics[${i}][${j}]`));
    }
    return [parseHash(t, `topics[${i}]`)];
  });
}

export function parseLogFilter(value: Record<string, unknown>): LogFilter {
  return { addresses: parseAddresses(value.address), topics: parseTopics(value.topics) };
}

function parseBound(value: unknown, name: string): BlockBound {
  if (value === undefined || value === null) return 'latest';
  const tag = parseBlockTag(value, name);
  if (tag === 'earliest') return 1n;
  return typeof tag === 'bigint' ? tag : 'latest';
}

export function parseLogCriteria(value: unknown): LogCriteria {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidParams(`filter: expected an object like {"fromBlock", "toBlock", "address", "topics"}, got ${describeValue(value)}`);
  }
  const v = value as Record<string, unknown>;
  const blockHash = v.blockHash === undefined || v.blockHash === null ? null : parseHash(v.blockHash, 'blockHash');
  if (blockHash !== null && (v.fromBlock !== undefined || v.toBlock !== undefined)) {
    throw invalidParams('filter: blockHash cannot be combined with fromBlock/toBlock');
  }
  return { from: parseBound(v.fromBlock, 'fromBlock'), to: parseBound(v.toBlock, 'toBlock'), blockHash, filter: parseLogFilter(v) };
}

export function ethMethods(o: EthApiOptions): Map<string, MethodSpec> {
  const { store, index, limits } = o;
  const { methods, def } = methodTable();
  const arg = requiredArg;

  const params = (): Params => {
    if (store.height === 0n) throw new RpcError(RpcCode.ResourceUnavailable, 'the chain has no committed block yet');
    return loadParams(store);
  };

  const { heightOf, stateAt } = stateResolver(store, index, o.idleBlockHashes);

  const parentHashOf = async (block: BlockRecord): Promise<Uint8Array | undefined> => (block.height > 1n ? (await index.blockIfIndexed(block.height - 1n))?.hash : undefined);

  const blockJson = async (block: BlockRecord | undefined, full: boolean): Promise<unknown> => {
    if (block === undefined) return null;
    const parent = await parentHashOf(block);
    return formatBlock(block, parent, full ? await index.blockTxs(block) : undefined);
  };

  const blockByTag = async (value: unknown): Promise<BlockRecord | undefined> => index.block(heightOf(parseBlockTag(value, 'block')));

  /** The block a call at `state` runs in: the one whose state it reads. */
  const callBlock = async (state: VersionView): Promise<CallBlock> => {
    const block = await index.blockIfIndexed(state.height);
    return { height: state.height, time: block?.time ?? 0n };
  };

  const capGas = (req: CallRequest): CallRequest => ({ ...req, gas: req.gas === null || req.gas > limits.gasCap ? limits.gasCap : req.gas });

  /** The modules' typed read API over the latest committed state. */
  const reads = (): ChainReads => {
    if (store.height === 0n) throw new RpcError(RpcCode.ResourceUnavailable, 'the chain has no committed block yet');
    return o.modules.reads(store);
  };

  /** The typed read API at a block parameter (as eth_getBalance takes it); absent: the latest committed state. */
  const readsAt = async (block: unknown): Promise<ChainReads> => (block === undefined || block === null ? reads() : o.modules.reads(await stateAt(block)));

  /** A query path (cmt_query) answered as ABCI Query answers it; not found is null. */
  const pathQuery = (path: string): unknown => {
    const r = reads();
    let answer: { value: unknown } | undefined;
    try {
      answer = routeQuery(r, path);
    } catch (err) {
      if (err instanceof QueryError) {
        if (err.code === QueryCode.NotFound) return null;
        throw new RpcError(err.code === QueryCode.BadRequest ? RpcCode.InvalidParams : RpcCode.Server, err.message, { code: err.code });
      }
      throw err;
    }
    if (answer === undefined) throw new RpcError(RpcCode.MethodNotSupported, `no module of this node answers ${path}`);
    return answer.value;
  };

  // ---- web3 / net ---------------------------------------------------------

  def('web3_clientVersion', 0, () => CLIENT_VERSION);
  def('web3_sha3', 1, (p) => data(keccak256(parseData(arg(p, 0, 'data'), 'data'))));
  def('net_version', 0, () => params().chain_id.toString());
  def('net_listening', 0, () => true);
  def('net_peerCount', 0, async () => {
    if (o.comet === undefined) return '0x0';
    try {
      const info = await o.comet.call<{ n_peers: string }>('net_info');
      return quantity(BigInt(info.n_peers));
    } catch {
      return '0x0';
    }
  });

  // ---- chain --------------------------------------------------------------

  def('eth_chainId', 0, () => quantity(params().chain_id));
  def('eth_blockNumber', 0, () => quantity(store.height));
  def('eth_syncing', 0, async () => {
    if (o.comet === undefined) return false;
    try {
      const status = await o.comet.status();
      if (!status.sync_info.catching_up) return false;
      const head = quantity(store.height);
      return { startingBlock: '0x1', currentBlock: head, highestBlock: quantity(BigInt(status.sync_info.latest_block_height)) };
    } catch {
      return false;
    }
  });
  def('eth_accounts', 0, () => []);
  def('eth_mining', 0, () => false);
  def('eth_hashrate', 0, () => '0x0');
  def('eth_gasPrice', 0, () => quantity(params().min_gas_price));
  // The base fee is constant and every fee goes to the block award: a tip buys nothing.
  def('eth_maxPriorityFeePerGas', 0, () => '0x0');
  def('eth_feeHistory', 3, async (p) => {
    const countRaw = arg(p, 0, 'blockCount');
    const count = typeof countRaw === 'number' && Number.isInteger(countRaw) && countRaw >= 0 ? BigInt(countRaw) : parseQuantity(countRaw, 'blockCount', 64);
    const newest = heightOf(parseBlockTag(arg(p, 1, 'newestBlock'), 'newestBlock'));
    const percentiles = p[2] === undefined || p[2] === null ? null : p[2];
    if (percentiles !== null) {
      if (!Array.isArray(percentiles) || percentiles.length > 100) throw invalidParams('rewardPercentiles: expected an array of at most 100 numbers');
      percentiles.forEach((x, i) => {
        if (typeof x !== 'number' || !(x >= 0 && x <= 100) || (i > 0 && x < (percentiles[i - 1] as number))) {
          throw invalidParams('rewardPercentiles: numbers from 0 to 100 in ascending order');
        }
      });
    }
    const head = store.height;
    const last = newest > head ? head : newest;
    let n = count > BigInt(limits.maxFeeHistoryBlocks) ? BigInt(limits.maxFeeHistoryBlocks) : count;
    if (n > last) n = last;
    const nextBaseFee = params().min_gas_price;
    if (n === 0n) return { oldestBlock: quantity(last + 1n), baseFeePerGas: [quantity(nextBaseFee)], gasUsedRatio: [], ...(percentiles ? { reward: [] } : {}) };
    const baseFeePerGas: string[] = [];
    const gasUsedRatio: number[] = [];
    const reward: string[][] = [];
    for (let h = last - n + 1n; h <= last; h++) {
      const block = await index.block(h);
      if (block === undefined) throw new RpcError(RpcCode.ResourceUnavailable, `block ${h} is not in the index`);
      baseFeePerGas.push(quantity(block.baseFee));
      const limit = block.gasLimit ?? UNLIMITED_GAS;
      gasUsedRatio.push(limit === 0n ? 0 : Number(block.gasUsed) / Number(limit));
      if (percentiles !== null) reward.push(blockRewards(block, percentiles as number[]).map(quantity));
    }
    baseFeePerGas.push(quantity(nextBaseFee));
    return { oldestBlock: quantity(last - n + 1n), baseFeePerGas, gasUsedRatio, ...(percentiles ? { reward } : {}) };
  });

  // ---- state ----------------------------------------------------------------

  def('eth_getBalance', 2, async (p) => {
    const address = parseAddress(arg(p, 0, 'address'), 'address');
    return quantity(new AccountReader(await stateAt(p[1])).balance(address));
  });

  def('eth_getTransactionCount', 2, async (p) => {
    const address = parseAddress(arg(p, 0, 'address'), 'address');
    if (p[1] === 'pending') {
      const committed = new AccountReader(store).nonce(address);
      const checked = o.pendingNonce?.(address) ?? committed;
      return quantity(o.pending.nextNonce(address, checked > committed ? checked : committed));
    }
    return quantity(new AccountReader(await stateAt(p[1])).nonce(address));
  });

  def('eth_getCode', 2, async (p) => {
    const address = parseAddress(arg(p, 0, 'address'), 'address');
    const state = await stateAt(p[1]);
    return data(readCode(state, new AccountReader(state).get(address).codeHash));
  });

  def('eth_getStorageAt', 3, async (p) => {
    const address = parseAddress(arg(p, 0, 'address'), 'address');
    const slot = parseSlot(arg(p, 1, 'slot'), 'slot');
    return fixed(readStorage(await stateAt(p[2]), Buffer.from(address.slice(2), 'hex'), slot), 32);
  });

  def('eth_call', 3, async (p, ctx) => {
    const req = capGas(parseCallRequest(arg(p, 0, 'call object'), limits.maxBodyBytes));
    if (p[2] !== undefined && p[2] !== null) throw invalidParams('state overrides are not supported');
    const state = await stateAt(p[1]);
    return data(await o.calls.call(state, req, await callBlock(state), ctx.client));
  });

  def('eth_estimateGas', 3, async (p, ctx) => {
    const req = capGas(parseCallRequest(arg(p, 0, 'call object'), limits.maxBodyBytes));
    if (p[2] !== undefined && p[2] !== null) throw invalidParams('state overrides are not supported');
    const state = await stateAt(p[1]);
    return quantity(await o.calls.estimateGas(state, req, await callBlock(state), ctx.client));
  });

  // ---- transactions ---------------------------------------------------------

  def('eth_sendRawTransaction', 1, async (p) => {
    const raw = parseData(arg(p, 0, 'data'), 'data', 1024 * 1024);
    let tx: SignedTx;
    try {
      tx = decodeSignedTx(raw);
    } catch (err) {
      if (err instanceof TxError) throw refusalError(err.code, err.message);
      throw err;
    }
    if (o.comet === undefined) throw new RpcError(RpcCode.ResourceUnavailable, 'this node does not broadcast transactions (no --comet-rpc)');
    let result: BroadcastResult;
    try {
      result = await o.comet.broadcastTxSync(raw);
    } catch (err) {
      const message = (err as Error).message;
      if (/already exists in cache/i.test(message)) {
        // CometBFT's cache answers before CheckTx: tell a used nonce (what CheckTx would say) from a transaction still pending.
        const nonce = new AccountReader(store).nonce(tx.sender);
        if (tx.nonce < nonce) throw refusalError(TxCode.NonceTooLow, `nonce ${tx.nonce} is too low: ${tx.sender} is at nonce ${nonce}`);
        throw new RpcError(RpcCode.Server, 'already known', { hash: hashHex(tx.hash) });
      }
      if (/mempool is full/i.test(message)) throw new RpcError(RpcCode.Server, `txpool is full: ${message}`);
      if (/fetch failed|ECONNREFUSED|ECONNRESET|socket/i.test(message)) {
        throw new RpcError(RpcCode.ResourceUnavailable, `CometBFT RPC unreachable: ${message}`);
      }
      throw new RpcError(RpcCode.Server, message);
    }
    if (result.code !== 0) throw refusalError(result.code, result.log, result.codespace);
    o.pending.add(tx, store.height);
    o.onBroadcast?.(tx);
    return hashHex(tx.hash);
  });

  const txByHash = async (hash: Uint8Array): Promise<unknown> => {
    const record = await index.tx(hash);
    if (record !== undefined) {
      const block = await index.block(record.height);
      if (block !== undefined) return formatTxRecord(block, record);
    }
    const pending = o.pending.get(hash);
    return pending === undefined ? null : formatTransaction(pending, pending.sender, undefined);
  };

  def('eth_getTransactionByHash', 1, async (p) => txByHash(parseHash(arg(p, 0, 'hash'), 'hash')));

  def('eth_getTransactionReceipt', 1, async (p) => {
    const record = await index.tx(parseHash(arg(p, 0, 'hash'), 'hash'));
    if (record === undefined) return null;
    const block = await index.block(record.height);
    return block === undefined ? null : formatReceipt(block, record);
  });

  const txAt = async (block: BlockRecord | undefined, rawIndex: unknown): Promise<unknown> => {
    const i = parseQuantity(rawIndex, 'index', 32);
    if (block === undefined || i >= BigInt(block.txs.length)) return null;
    const record = await index.tx(block.txs[Number(i)]!.hash);
    return record === undefined ? null : formatTxRecord(block, record);
  };

  def('eth_getTransactionByBlockNumberAndIndex', 2, async (p) => txAt(await blockByTag(arg(p, 0, 'block')), arg(p, 1, 'index')));
  def('eth_getTransactionByBlockHashAndIndex', 2, async (p) => txAt(await index.blockByHash(parseHash(arg(p, 0, 'blockHash'), 'blockHash')), arg(p, 1, 'index')));

  // ---- blocks ----------------------------------------------------------------

  def('eth_getBlockByNumber', 2, async (p) => blockJson(await blockByTag(arg(p, 0, 'block')), parseBool(p[1] ?? false, 'full')));
  def('eth_getBlockByHash', 2, async (p) => blockJson(await index.blockByHash(parseHash(arg(p, 0, 'blockHash'), 'blockHash')), parseBool(p[1] ?? false, 'full')));
  const countOf = (block: BlockRecord | undefined): string | null => (block === undefined ? null : quantity(block.txs.length));
  def('eth_getBlockTransactionCountByNumber', 1, async (p) => countOf(await blockByTag(arg(p, 0, 'block'))));
  def('eth_getBlockTransactionCountByHash', 1, async (p) => countOf(await index.blockByHash(parseHash(arg(p, 0, 'blockHash'), 'blockHash'))));
  def('eth_getUncleCountByBlockNumber', 1, async (p) => ((await blockByTag(arg(p, 0, 'block'))) === undefined ? null : '0x0'));
  def('eth_getUncleCountByBlockHash', 1, async (p) => ((await index.blockByHash(parseHash(arg(p, 0, 'blockHash'), 'blockHash'))) === undefined ? null : '0x0'));
  def('eth_getUncleByBlockNumberAndIndex', 2, () => null);
  def('eth_getUncleByBlockHashAndIndex', 2, () => null);
  def('eth_getBlockReceipts', 1, async (p) => {
    const value = arg(p, 0, 'block');
    const block = typeof value === 'string' && value.length === 66 ? await index.blockByHash(parseHash(value, 'blockHash')) : await blockByTag(value);
    if (block === undefined) return null;
    return (await index.blockTxs(block)).map((tx) => formatReceipt(block, tx));
  });

  // ---- logs and filters -------------------------------------------------------

  def('eth_getLogs', 1, async (p) => queryLogs(index, parseLogCriteria(arg(p, 0, 'filter')), limits));
  def('eth_newFilter', 1, (p, ctx) => o.filters.newLogFilter(parseLogCriteria(arg(p, 0, 'filter')), ctx.client));
  def('eth_newBlockFilter', 0, (_p, ctx) => o.filters.newBlockFilter(ctx.client));
  def('eth_newPendingTransactionFilter', 1, (_p, ctx) => o.filters.newPendingFilter(ctx.client));
  const filterId = (p: unknown[]): string => {
    const id = arg(p, 0, 'filter id');
    if (typeof id !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(id)) throw invalidParams(`filter id: expected a hex id, got ${describeValue(id)}`);
    return id.toLowerCase();
  };
  def('eth_getFilterChanges', 1, async (p) => o.filters.changes(filterId(p)));
  def('eth_getFilterLogs', 1, async (p) => o.filters.logs(filterId(p)));
  def('eth_uninstallFilter', 1, (p) => o.filters.uninstall(filterId(p)));

  def('eth_subscribe', 2, (p, ctx) => {
    const sink = ctx.subscriptions;
    if (sink === undefined) throw new RpcError(RpcCode.MethodNotFound, 'notifications not supported: eth_subscribe needs a WebSocket connection');
    const kind = arg(p, 0, 'subscription type');
    if (kind === 'newHeads' || kind === 'newPendingTransactions') return o.subscriptions.subscribe(sink, { kind });
    if (kind === 'logs') {
      const criteria = p[1] ?? {};
      if (typeof criteria !== 'object' || criteria === null || Array.isArray(criteria)) throw invalidParams('logs subscription: expected a filter object');
      return o.subscriptions.subscribe(sink, { kind: 'logs', filter: parseLogFilter(criteria as Record<string, unknown>) });
    }
    throw invalidParams(`unsupported subscription type ${describeValue(kind)}: expected "newHeads", "logs" or "newPendingTransactions"`);
  });
  def('eth_unsubscribe', 1, (p, ctx) => {
    const sink = ctx.subscriptions;
    if (sink === undefined) throw new RpcError(RpcCode.MethodNotFound, 'notifications not supported: eth_unsubscribe needs a WebSocket connection');
    const id = arg(p, 0, 'subscription id');
    if (typeof id !== 'string') throw invalidParams('subscription id: expected a string');
    return o.subscriptions.unsubscribe(sink, id.toLowerCase());
  });

  // ---- cmt: staking and chain data ------------------------------------------------

  // Each is the typed read its ABCI query path maps to (src/app/query-routes.ts), with the same
  // JSON answer; a record that is not there is null.
  def('cmt_getCandidates', 0, () => reads().staking.candidates());
  def('cmt_getValidators', 0, () => reads().staking.validators());
  // These two take an optional block parameter: the staking dashboard charts them over the retained history.
  def('cmt_getDelegations', 2, async (p) => {
    const delegator = parseAddress(arg(p, 0, 'address'), 'address');
    return (await readsAt(p[1])).staking.delegations(delegator);
  });
  def('cmt_getCandidate', 2, async (p) => {
    const candidate = parseAddress(arg(p, 0, 'address'), 'address');
    return (await readsAt(p[1])).staking.candidate(candidate) ?? null;
  });
  def('cmt_getUnstakes', 1, (p) => {
    const delegator = parseAddress(arg(p, 0, 'address'), 'address');
    return reads().staking.unstakes(delegator);
  });
  // Awards are kept per block (the `/awards/<height>` query), not per address.
  def('cmt_getAwards', 1, (p) => {
    const height = heightOf(parseBlockTag(p[0] ?? 'latest', 'block'));
    return reads().staking.awards(height) ?? null;
  });
  def('cmt_getProposals', 0, () => reads().gov.proposals());
  def('cmt_getProposal', 1, (p) => {
    const id = arg(p, 0, 'id');
    const parsed = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? BigInt(id) : parseQuantity(id, 'id', 64);
    return reads().gov.proposal(parsed) ?? null;
  });
  def('cmt_getParams', 0, () => paramsToJson(reads().params()));
  def('cmt_getSupply', 0, () => reads().supply());
  def('cmt_query', 1, (p) => {
    const path = arg(p, 0, 'path');
    if (typeof path !== 'string' || !/^\/[A-Za-z0-9_\-/.]{0,200}$/.test(path)) {
      throw invalidParams(`path: expected a module query path like "/candidates", got ${describeValue(path)}`);
    }
    return pathQuery(path);
  });
  def('cmt_getTransactionResult', 1, async (p) => {
    const hash = parseHash(arg(p, 0, 'hash'), 'hash');
    const tx = await index.tx(hash);
    if (tx !== undefined) {
      return {
        status: 'executed',
        blockNumber: quantity(tx.height),
        transactionIndex: quantity(tx.index),
        code: tx.code,
        codeName: codeName(tx.code),
        log: tx.log,
        gasUsed: quantity(tx.gasUsed),
        returnData: data(tx.returnData),
      };
    }
    const rejected = await index.rejected(hash);
    if (rejected !== undefined) {
      return {
        status: 'rejected',
        blockNumber: quantity(rejected.height),
        position: quantity(rejected.position),
        code: rejected.code,
        codeName: codeName(rejected.code),
        log: rejected.log,
      };
    }
    return o.pending.get(hash) === undefined ? null : { status: 'pending' };
  });

  return methods;
}

/**
 * eth_feeHistory rewards: per percentile, the effective tip (price above the
 * base fee) of the transaction at that share of the block's gas, as geth.
 */
function blockRewards(block: BlockRecord, percentiles: number[]): bigint[] {
  if (block.txs.length === 0 || block.gasUsed === 0n) return percentiles.map(() => 0n);
  const tips = block.txs
    .map((t) => ({ gas: t.gasUsed, tip: t.effectiveGasPrice > block.baseFee ? t.effectiveGasPrice - block.baseFee : 0n }))
    .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0));
  const out: bigint[] = [];
  let i = 0;
  let sum = tips[0]!.gas;
  for (const pct of percentiles) {
    const threshold = (Number(block.gasUsed) * pct) / 100;
    while (sum < threshold && i < tips.length - 1) {
      i++;
      sum += tips[i]!.gas;
    }
    out.push(tips[i]!.tip);
  }
  return out;
}
