/**
 * Reads the index (records.ts) back: blocks by number or hash, transactions
 * and receipts by hash, and logs by filter. Only committed records are ever
 * visible: they are written in the batch that commits their block.
 */
import type { Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';
import { bytesEqual } from '../util/bytes.js';
import { bloomMayContain } from './bloom.js';
import {
  blockHashKey,
  decodeBlock,
  decodeHeight,
  decodeOpening,
  decodeRejected,
  decodeTxRecord,
  heightKey,
  INDEX_BASE_KEY,
  openingKey,
  rejectedKey,
  txKey,
  type BlockOpening,
  type BlockRecord,
  type RejectedTxRecord,
  type TxRecord,
} from './records.js';

/** The part of CommittedStore the index needs. */
export interface IndexStore {
  readonly height: bigint;
  getExtra(key: string): Promise<Uint8Array | undefined>;
}

/** A log filter: addresses (any of; empty = all) and per-position topic alternatives (null = any). */
export interface LogFilter {
  addresses: Address[];
  topics: Array<Uint8Array[] | null>;
}

export interface LocatedLog {
  log: EvmLog;
  blockNumber: bigint;
  blockHash: Uint8Array;
  txHash: Uint8Array;
  txIndex: number;
  logIndex: number;
}

/** More logs matched than the caller allows. */
export class LogLimitError extends Error {
  constructor(readonly limit: number) {
    super(`query returned more than ${limit} results`);
    this.name = 'LogLimitError';
  }
}

/**
 * A block below the index base: pruned (--min-retain-blocks) or older than
 * the state-sync snapshot this node started from. Not "no such block".
 */
export class BlockUnavailableError extends Error {
  override readonly name = 'BlockUnavailableError';
  constructor(
    readonly height: bigint,
    readonly oldest: bigint,
  ) {
    super(
      `block ${height} is not on this node: the oldest block it has is ${oldest} ` +
        '(older blocks and their receipts were pruned, or precede the state-sync snapshot this node started from); ask an archive node',
    );
  }
}

class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }
}

/** Whether a log passes `filter` (Ethereum eth_getLogs semantics). */
export function logMatches(log: EvmLog, filter: LogFilter): boolean {
  if (filter.addresses.length > 0 && !filter.addresses.includes(log.address)) return false;
  if (filter.topics.length > log.topics.length) {
    // A position beyond the log's topics matches only a wildcard.
    for (let i = log.topics.length; i < filter.topics.length; i++) if (filter.topics[i] !== null) return false;
  }
  for (let i = 0; i < filter.topics.length; i++) {
    const wanted = filter.topics[i];
    if (wanted === null || wanted === undefined || wanted.length === 0) continue;
    const topic = log.topics[i];
    if (topic === undefined || !wanted.some((w) => bytesEqual(w, topic))) return false;
  }
  return true;
}

/** Whether a block's bloom allows a log matching `filter` (false: certainly none). */
export function bloomAllows(bloom: Uint8Array, filter: LogFilter): boolean {
  if (filter.addresses.length > 0 && !filter.addresses.some((a) => bloomMayContain(bloom, Buffer.from(a.slice(2), 'hex')))) return false;
  for (const wanted of filter.topics) {
    if (wanted === null || wanted.length === 0) continue;
    if (!wanted.some((t) => bloomMayContain(bloom, t))) return false;
  }
  return true;
}

/** The logs of one block's transactions that match `filter`. */
export function blockLogs(block: BlockRecord, txs: TxRecord[], filter: LogFilter): LocatedLog[] {
  const out: LocatedLog[] = [];
  for (const tx of txs) {
    tx.logs.forEach((log, i) => {
      if (!logMatches(log, filter)) return;
      out.push({
        log,
        blockNumber: block.height,
        blockHash: block.hash,
        txHash: block.txs[tx.index]!.hash,
        txIndex: tx.index,
        logIndex: tx.firstLogIndex + i,
      });
    });
  }
  return out;
}

export class ChainIndex {
  private readonly blocks = new Lru<bigint, BlockRecord>(2048);
  private readonly txs = new Lru<string, TxRecord>(8192);

  constructor(private readonly store: IndexStore) {}

  /** Height of the last committed block. */
  get latest(): bigint {
    return this.store.height;
  }

  /** The block at `height`; throws BlockUnavailableError when it is below the index base. */
  async block(height: bigint): Promise<BlockRecord | undefined> {
    await this.assertAvailable(height);
    return this.blockIfIndexed(height);
  }

  /** Throws BlockUnavailableError when `height` (a committed one) is below the index base (checked before the cache, which may still hold it). */
  private async assertAvailable(height: bigint): Promise<void> {
    if (height < 1n || height > this.store.height) return;
    const oldest = await this.oldest();
    if (height < oldest) throw new BlockUnavailableError(height, oldest);
  }

  /** The block at `height` if this node has it (no error for a pruned one: e.g. the parent of the oldest block). */
  async blockIfIndexed(height: bigint): Promise<BlockRecord | undefined> {
    if (height < 1n || height > this.store.height) return undefined;
    const cached = this.blocks.get(height);
    if (cached !== undefined) return cached;
    const raw = await this.store.getExtra(heightKey(height));
    if (raw === undefined) return undefined;
    const block = decodeBlock(raw);
    this.blocks.set(height, block);
    return block;
  }

  /** The oldest block height this node's index has (1 unless pruned or state-synced). */
  async oldest(): Promise<bigint> {
    const raw = await this.store.getExtra(INDEX_BASE_KEY);
    return raw === undefined ? 1n : decodeHeight(raw);
  }

  async blockByHash(hash: Uint8Array): Promise<BlockRecord | undefined> {
    if (hash.length !== 32) return undefined;
    const raw = await this.store.getExtra(blockHashKey(hash));
    if (raw === undefined) return undefined;
    const block = await this.blockIfIndexed(decodeHeight(raw));
    return block !== undefined && bytesEqual(block.hash, hash) ? block : undefined;
  }

  async tx(hash: Uint8Array): Promise<TxRecord | undefined> {
    const key = Buffer.from(hash).toString('hex');
    const cached = this.txs.get(key);
    if (cached !== undefined) return cached;
    const raw = await this.store.getExtra(txKey(hash));
    if (raw === undefined) return undefined;
    const tx = decodeTxRecord(raw);
    // The commit batch lands in LevelDB before the store shows its state: a receipt is
    // visible only with the state it produced, so a client never sees one with stale balances.
    if (tx.height > this.store.height) return undefined;
    this.txs.set(key, tx);
    return tx;
  }

  async rejected(hash: Uint8Array): Promise<RejectedTxRecord | undefined> {
    const raw = await this.store.getExtra(rejectedKey(hash));
    if (raw === undefined) return undefined;
    const rejected = decodeRejected(raw);
    return rejected.height > this.store.height ? undefined : rejected;
  }

  /** The state before the first transaction of block `height` (records.ts BlockOpening); undefined for a block indexed before these were. */
  async opening(height: bigint): Promise<BlockOpening | undefined> {
    const raw = await this.store.getExtra(openingKey(height));
    return raw === undefined ? undefined : decodeOpening(raw);
  }

  /** The executed transactions of `block`, in order. */
  async blockTxs(block: BlockRecord): Promise<TxRecord[]> {
    const txs = await Promise.all(block.txs.map((t) => this.tx(t.hash)));
    return txs.map((tx, i) => {
      if (tx === undefined) throw new Error(`index is missing transaction ${i} of block ${block.height}`);
      return tx;
    });
  }

  /** Seed the caches with a block just committed (saves the listeners a read). */
  remember(block: BlockRecord, txs: TxRecord[]): void {
    this.blocks.set(block.height, block);
    txs.forEach((tx, i) => this.txs.set(Buffer.from(block.txs[i]!.hash).toString('hex'), tx));
  }

  /**
   * Logs matching `filter` in blocks [from, to] (clamped to what exists), in
   * order. Throws LogLimitError when more than `limit` match.
   */
  async logs(from: bigint, to: bigint, filter: LogFilter, limit: number): Promise<LocatedLog[]> {
    const out: LocatedLog[] = [];
    const last = to < this.store.height ? to : this.store.height;
    const first = from < 1n ? 1n : from;
    if (first <= last) await this.assertAvailable(first);
    for (let h = first; h <= last; h++) {
      const block = await this.blockIfIndexed(h);
      if (block === undefined || !bloomAllows(block.logsBloom, filter)) continue;
      out.push(...(await this.logsOf(block, filter)));
      if (out.length > limit) throw new LogLimitError(limit);
    }
    return out;
  }

  /** The matching logs of one block. */
  async logsOf(block: BlockRecord, filter: LogFilter): Promise<LocatedLog[]> {
    const withLogs = block.txs.filter((t) => t.logCount > 0);
    const txs = await Promise.all(withLogs.map((t) => this.tx(t.hash)));
    return blockLogs(
      block,
      txs.filter((t): t is TxRecord => t !== undefined),
      filter,
    );
  }
}
