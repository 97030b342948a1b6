/**
 * Polled filters (eth_newFilter, eth_newBlockFilter,
 * eth_newPendingTransactionFilter, eth_getFilterChanges, eth_getFilterLogs,
 * eth_uninstallFilter) and WebSocket subscriptions (eth_subscribe newHeads,
 * logs, newPendingTransactions), fed by the committed-block events of the
 * indexer. Filters not polled for `filterTimeoutMs` are removed, as geth does.
 */
import { randomBytes } from 'node:crypto';
import type { IndexedBlock } from '../index/indexer.js';
import { blockLogs, LogLimitError, type ChainIndex, type LogFilter } from '../index/reader.js';
import { RpcCode, RpcError } from './errors.js';
import { formatBlock, formatLog, type EthLog } from './format.js';
import { fixed } from './hex.js';
import type { SubscriptionSink } from './jsonrpc.js';

/** Block bounds of a log query: a height, or the chain head at the time of the query. */
export type BlockBound = bigint | 'latest';

export interface LogCriteria {
  from: BlockBound;
  to: BlockBound;
  /** eth_getLogs by block hash (from/to are then ignored). */
  blockHash: Uint8Array | null;
  filter: LogFilter;
}

export interface LogQueryLimits {
  /** Most blocks one query may span. */
  maxLogBlockRange: number;
  /** Most logs one query may return. */
  maxLogResults: number;
}

/** eth_getLogs: the logs matching `criteria`, within the limits. */
export async function queryLogs(index: ChainIndex, criteria: LogCriteria, limits: LogQueryLimits): Promise<EthLog[]> {
  if (criteria.blockHash !== null) {
    const block = await index.blockByHash(criteria.blockHash);
    if (block === undefined) throw new RpcError(RpcCode.ResourceNotFound, `unknown block ${fixed(criteria.blockHash, 32)}`);
    const logs = await index.logsOf(block, criteria.filter);
    if (logs.length > limits.maxLogResults) throw limitError(new LogLimitError(limits.maxLogResults));
    return logs.map(formatLog);
  }
  const head = index.latest;
  const from = criteria.from === 'latest' ? head : criteria.from;
  const to = criteria.to === 'latest' ? head : criteria.to;
  return rangeLogs(index, from, to, criteria.filter, limits);
}

async function rangeLogs(index: ChainIndex, from: bigint, to: bigint, filter: LogFilter, limits: LogQueryLimits): Promise<EthLog[]> {
  if (from > to) {
    if (from > index.latest) return []; // a range entirely in the future is empty, not an error
    throw new RpcError(RpcCode.InvalidParams, `invalid block range: fromBlock ${from} is after toBlock ${to}`);
  }
  const last = to < index.latest ? to : index.latest;
  if (last - from + 1n > BigInt(limits.maxLogBlockRange)) {
    throw new RpcError(RpcCode.LimitExceeded, `block range too large: ${last - from + 1n} blocks (${from}..${last}); the limit is ${limits.maxLogBlockRange} blocks per query`, {
      limit: limits.maxLogBlockRange,
    });
  }
  try {
    return (await index.logs(from, last, filter, limits.maxLogResults)).map(formatLog);
  } catch (err) {
    throw err instanceof LogLimitError ? limitError(err) : err;
  }
}

function limitError(err: LogLimitError): RpcError {
  return new RpcError(RpcCode.LimitExceeded, `${err.message}: narrow the block range or the filter`, { limit: err.limit });
}

export function newId(): string {
  return `0x${randomBytes(16).toString('hex')}`;
}

/** Who installed a filter: their quota counts it. */
interface Owned {
  client: string;
  touched: number;
}

type Filter = (Owned & { kind: 'logs'; criteria: LogCriteria /** last height reported */; last: bigint }) | (Owned & { kind: 'blocks' | 'pending'; queue: string[] });

export interface FilterLimits extends LogQueryLimits {
  /** Most filters of all clients together. */
  maxFilters: number;
  /** Most filters of one client, so that no client can take them all. */
  maxFiltersPerClient: number;
  filterTimeoutMs: number;
}

/** The client of calls made in-process (no remote address). */
const LOCAL_CLIENT = 'local';

/** Most hashes queued in one block or pending-transaction filter between polls (oldest dropped). */
const MAX_QUEUE = 10_000;

export class FilterManager {
  private readonly filters = new Map<string, Filter>();
  private readonly perClient = new Map<string, number>();

  constructor(
    private readonly index: ChainIndex,
    private readonly limits: FilterLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.filters.size;
  }

  newLogFilter(criteria: LogCriteria, client = LOCAL_CLIENT): string {
    return this.install({ kind: 'logs', criteria, last: this.index.latest, client, touched: this.now() });
  }

  newBlockFilter(client = LOCAL_CLIENT): string {
    return this.install({ kind: 'blocks', queue: [], client, touched: this.now() });
  }

  newPendingFilter(client = LOCAL_CLIENT): string {
    return this.install({ kind: 'pending', queue: [], client, touched: this.now() });
  }

  uninstall(id: string): boolean {
    const f = this.filters.get(id);
    if (f === undefined) return false;
    this.remove(id, f);
    return true;
  }

  /** eth_getFilterChanges: what happened since the last poll. */
  async changes(id: string): Promise<EthLog[] | string[]> {
    const f = this.get(id);
    if (f.kind !== 'logs') return f.queue.splice(0);
    const head = this.index.latest;
    if (head <= f.last) return [];
    const c = f.criteria;
    if (c.blockHash !== null) {
      f.last = head;
      return [];
    }
    let from = f.last + 1n;
    if (c.from !== 'latest' && c.from > from) from = c.from;
    let to = head;
    if (c.to !== 'latest' && c.to < to) to = c.to;
    f.last = head;
    if (from > to) return [];
    return rangeLogs(this.index, from, to, c.filter, this.limits);
  }

  /** eth_getFilterLogs: every log of a log filter's criteria. */
  async logs(id: string): Promise<EthLog[]> {
    const f = this.get(id);
    if (f.kind !== 'logs') throw new RpcError(RpcCode.InvalidParams, `filter ${id} is not a log filter`);
    return queryLogs(this.index, f.criteria, this.limits);
  }

  onBlock(block: IndexedBlock): void {
    const hash = fixed(block.block.hash, 32);
    for (const f of this.filters.values()) if (f.kind === 'blocks') push(f.queue, hash);
  }

  onPendingTx(hash: string): void {
    for (const f of this.filters.values()) if (f.kind === 'pending') push(f.queue, hash);
  }

  /** Removes filters not polled within the timeout. */
  sweep(): void {
    const deadline = this.now() - this.limits.filterTimeoutMs;
    for (const [id, f] of this.filters) if (f.touched < deadline) this.remove(id, f);
  }

  private remove(id: string, f: Filter): void {
    this.filters.delete(id);
    const n = (this.perClient.get(f.client) ?? 1) - 1;
    if (n === 0) this.perClient.delete(f.client);
    else this.perClient.set(f.client, n);
  }

  private install(filter: Filter): string {
    this.sweep();
    const mine = this.perClient.get(filter.client) ?? 0;
    if (mine >= this.limits.maxFiltersPerClient) {
      throw new RpcError(RpcCode.LimitExceeded, `too many filters: one client may have at most ${this.limits.maxFiltersPerClient}; uninstall some or let them expire`, {
        limit: this.limits.maxFiltersPerClient,
      });
    }
    if (this.filters.size >= this.limits.maxFilters) {
      throw new RpcError(RpcCode.LimitExceeded, `too many filters: the node keeps at most ${this.limits.maxFilters}; uninstall some or let them expire`, {
        limit: this.limits.maxFilters,
      });
    }
    const id = newId();
    this.filters.set(id, filter);
    this.perClient.set(filter.client, mine + 1);
    return id;
  }

  private get(id: string): Filter {
    const f = this.filters.get(id);
    if (f === undefined) throw new RpcError(RpcCode.ResourceNotFound, 'filter not found');
    f.touched = this.now();
    return f;
  }
}

function push(queue: string[], item: string): void {
  queue.push(item);
  if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
}

type Subscription =
  | { kind: 'newHeads'; sink: SubscriptionSink }
  | { kind: 'logs'; sink: SubscriptionSink; filter: LogFilter }
  | { kind: 'newPendingTransactions'; sink: SubscriptionSink };

export type SubscriptionKind = Subscription['kind'];

/**
 * Most addresses and topic alternatives the log subscriptions of one
 * connection may hold together: each subscription may name 1,000 addresses,
 * and without this bound the criteria of 100 subscriptions on each of 200
 * connections would take gigabytes.
 */
export const MAX_CRITERIA_PER_CONNECTION = 5_000;

function criteriaSize(filter: LogFilter): number {
  let n = filter.addresses.length;
  for (const alternatives of filter.topics) n += alternatives?.length ?? 0;
  return n;
}

export class SubscriptionManager {
  private readonly subs = new Map<string, Subscription>();
  private readonly perSink = new Map<SubscriptionSink, Set<string>>();
  private readonly criteria = new Map<SubscriptionSink, number>();

  constructor(private readonly maxPerConnection: number) {}

  get size(): number {
    return this.subs.size;
  }

  subscribe(sink: SubscriptionSink, sub: { kind: 'newHeads' | 'newPendingTransactions' } | { kind: 'logs'; filter: LogFilter }): string {
    let ids = this.perSink.get(sink);
    if (ids === undefined) {
      ids = new Set();
      this.perSink.set(sink, ids);
      sink.onClose(() => {
        for (const id of this.perSink.get(sink) ?? []) this.subs.delete(id);
        this.perSink.delete(sink);
        this.criteria.delete(sink);
      });
    }
    if (ids.size >= this.maxPerConnection) {
      throw new RpcError(RpcCode.LimitExceeded, `too many subscriptions on this connection (limit ${this.maxPerConnection})`);
    }
    const size = (this.criteria.get(sink) ?? 0) + (sub.kind === 'logs' ? criteriaSize(sub.filter) : 0);
    if (size > MAX_CRITERIA_PER_CONNECTION) {
      throw new RpcError(RpcCode.LimitExceeded, `too many addresses and topics in this connection's log subscriptions (limit ${MAX_CRITERIA_PER_CONNECTION} in all)`);
    }
    const id = newId();
    this.subs.set(id, { ...sub, sink } as Subscription);
    ids.add(id);
    this.criteria.set(sink, size);
    return id;
  }

  unsubscribe(sink: SubscriptionSink, id: string): boolean {
    const sub = this.subs.get(id);
    if (sub === undefined || sub.sink !== sink) return false;
    this.subs.delete(id);
    this.perSink.get(sink)?.delete(id);
    if (sub.kind === 'logs') this.criteria.set(sink, (this.criteria.get(sink) ?? 0) - criteriaSize(sub.filter));
    return true;
  }

  onBlock(indexed: IndexedBlock, parentHash: Uint8Array | undefined): void {
    if (this.subs.size === 0) return;
    let head: Record<string, unknown> | undefined;
    for (const [id, sub] of this.subs) {
      if (sub.kind === 'newHeads') {
        if (head === undefined) {
          const { transactions: _t, uncles: _u, totalDifficulty: _d, size: _s, ...header } = formatBlock(indexed.block, parentHash);
          head = header;
        }
        sub.sink.notify(id, head);
      } else if (sub.kind === 'logs') {
        for (const log of blockLogs(indexed.block, indexed.txs, sub.filter)) sub.sink.notify(id, formatLog(log));
      }
    }
  }

  onPendingTx(hash: string): void {
    for (const [id, sub] of this.subs) if (sub.kind === 'newPendingTransactions') sub.sink.notify(id, hash);
  }
}
