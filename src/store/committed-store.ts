/**
 * The committed state: a versioned, disk-backed authenticated store over
 * LevelDB (classic-level). Values are read synchronously (`getSync`) through
 * a bounded cache; the app hash of height h is the root of version h of the
 * Merkle tree in tree.ts. See docs/STORE.md.
 *
 * LevelDB layout (binary keys; `key` is the state key's UTF-8 bytes, u64 big-endian):
 *
 *   'N' u64 version u8 depth path  a tree node (tree.ts nodeKey / encodeNode)
 *   's' key                      latest value: u64 version || value
 *   'd' key 0x00 u64 version     the key was deleted at that version (empty value; kept while older versions are)
 *   'r' u64 version              root of a version: 0x00 (empty) | 0x01 || u64 node version || u8 leaf || hash[32]
 *   'p' u64 since                stale list: the keys of records (nodes, deletions) only versions < since reach
 *   'm:commit'                   0x05 || height u64 || appHash[32] || key count u64
 *   'm:pruned'                   u64: every version <= it is pruned
 *   'x:' key                     extra, non-consensus records (block / tx indexes ...)
 *
 * Tree nodes, the version-ordered records a block writes in bulk, sort
 * below every key-ordered family ('N' < 'd'): the tables LevelDB writes for
 * recent blocks then start at recent versions, so a read of an older node
 * consults only the table holding it (docs/STORE.md "Why nodes sort first").
 *
 * A commit is ONE LevelDB batch holding all of the above for the new
 * version, so a crash (kill -9) at any instant leaves either the previous or
 * the new version on disk, never a mix. Memory (caches, root) is updated
 * only after the batch is written. Pruning runs after commits, in small
 * batches of its own, and deletes only what no retained version reaches.
 */
import { join } from 'node:path';

import { ClassicLevel, type Iterator as LevelIterator } from 'classic-level';

import { bytesEqual } from '../util/bytes.js';
import { ByteArena } from './byte-arena.js';
import type { Logger } from '../util/logger.js';
import { KeyHashOrder } from './key-hash-order.js';
import { isWellFormedKey } from './keys.js';
import { tableCount, type StateDbStats } from './leveldb-stats.js';
import type { Change, KVReader } from './kv.js';
import { NodeCache } from './node-cache.js';
import { OffHeapCache } from './off-heap-cache.js';
import { PrefetchedRecords } from './prefetched-records.js';
import { MAX_KEPT_BATCH_BYTES, ReusedBatch } from './reused-batch.js';
import {
  EMPTY_HASH,
  HASH_LEN,
  MAX_INTERNAL_RECORD,
  NEW_VERSION,
  MalformedNodeError,
  decodeNodeString,
  describeNode,
  internalHash,
  keyHashOf,
  leafHash,
  lookup,
  childAt,
  nibble,
  nodePlace,
  proveKey,
  StaleList,
  stateRoot,
  u64String,
  updateTree,
  verifyProof as verifyTreeProof,
  type ChildRef,
  type NodeAddress,
  type NodeRecord,
  type NodeSource,
  type StoreProof,
  type TreeChange,
  type TreeNode,
  type TreeUpdateResult,
} from './tree.js';

export const META_KEY = Buffer.from('m:commit', 'latin1');
const PRUNED_KEY = Buffer.from('m:pruned', 'latin1');
/**
 * The on-disk format, the first byte of m:commit. 7: a pair hash is
 * sha256(l ‖ r) (format 6 tagged it 0x01), so that a level of folds hashes
 * in one call (deferred-folds.ts). 6: tree nodes in a
 * LevelDB of their own (format 5 kept them with the values); no history
 * records (a past value is read from its version's leaf; format 4 also
 * wrote every change under 'h'); internal nodes from depth 5 on hash flat
 * (format 3 folded every node binary; format 2 also kept tree nodes under
 * 'n').
 */
export const STORE_FORMAT = 7;
/** What an older format differs in, for the message refusing it. */
const OLDER_FORMATS: ReadonlyMap<number, string> = new Map([
  [2, "tree nodes under 'n', every internal node folded binary"],
  [3, 'every internal node folded binary: another app hash'],
  [4, "every change also kept as a history record under 'h'"],
  [5, 'tree nodes in the same LevelDB as the values'],
  [6, 'pair hashes tagged 0x01: another app hash'],
]);
const META_LEN = 1 + 8 + HASH_LEN + 8;
const U64_MAX = (1n << 64n) - 1n;
const MAX_VERSION = Number.MAX_SAFE_INTEGER;
const LEVELDB_ENCODINGS = { keyEncoding: 'buffer', valueEncoding: 'view' } as const;
/**
 * The values' database writes tables of 4 MiB (LevelDB's default is 2).
 * LevelDB runs every flush and compaction of both databases on one
 * background thread per process, one job at a time. The values' keys land
 * all over the key space, so a job that moves one table down a level
 * rewrites the ≈ 10 tables of the level below that it overlaps: with
 * 32 MiB tables ≈ 350 MB, 5–6 s at 10,000,000 keys, during which the
 * nodes' database could not flush its write buffer, and a commit waited
 * for it 1–2 s (BENCHMARKS.md 2026-12-06 16:50). With 4 MiB a job takes
 * under ≈ 1.5 s and the total work is no larger. A 10,000,000-key state's
 * values are then ≈ 300 tables, which all stay in LevelDB's table cache
 * (1,000 files).
 */
export const VALUES_TABLE_BYTES = 4 * 1024 * 1024;
/**
 * The nodes' database writes tables of up to 32 MiB where it merges: the
 * bulk load's, and once pruning runs, the tables its deletion marks are
 * merged down into, in jobs of up to ≈ 6 s at 10,000,000 keys, which a
 * values' flush would wait for (it comes once in ≈ 15 blocks, and none
 * was held back: BENCHMARKS.md 2026-12-06 17:21). A flushed write buffer is
 * only moved down, so it stays one table of about a block's nodes
 * (DEFAULT_OPEN_FILES says what their number costs).
 */
export const NODES_TABLE_BYTES = 32 * 1024 * 1024;

/** How the values' database is opened, by the store and by the bulk load. */
export function valuesDbOptions(writeBufferBytes: number) {
  return { ...LEVELDB_ENCODINGS, maxFileSize: VALUES_TABLE_BYTES, writeBufferSize: writeBufferBytes };
}

/** How the nodes' database is opened, by the store and by the bulk load. */
export function nodesDbOptions(writeBufferBytes: number, openFiles = DEFAULT_OPEN_FILES) {
  return { ...LEVELDB_ENCODINGS, maxFileSize: NODES_TABLE_BYTES, writeBufferSize: writeBufferBytes, maxOpenFiles: openFiles };
}
/**
 * Files the nodes' database keeps open (`--state-open-files`, LevelDB's
 * `max_open_files`): its table cache holds this many less 10, each with its
 * index and Bloom filter (≈ 230 KiB for a block's ≈ 22 MB of nodes). A read
 * in a table not held reopens it, and the nodes a block reads lie in the
 * tables of every version since their keys last changed: at 10,000,000
 * keys, ≈ 1,900 tables, a block cost 15–25 % more CPU with 1,000 than with
 * all held, and a historical read's p90 2.5× (BENCHMARKS.md 2026-12-07
 * 07:55). LevelDB maps its first 1,000 tables, whose index and filter stay
 * in the page cache; each one past them holds both in the process's own
 * memory, ≈ 230–270 MiB more for ≈ 1,900. LevelDB's default is kept, so the
 * memory a node takes does not grow with its history unless asked to.
 */
export const DEFAULT_OPEN_FILES = 1000;
/** The range LevelDB accepts for `max_open_files` (it would silently clamp a value outside it). */
export const MIN_OPEN_FILES = 74;
export const MAX_OPEN_FILES = 50_000;
/** Of `max_open_files`, what LevelDB keeps for its log, manifest and lock, not for tables. */
const OTHER_OPEN_FILES = 10;
/**
 * Default size of LevelDB's write buffer (`--state-write-buffer-mb`; LevelDB's
 * own default is 4 MiB). A block writes its values, history and index
 * records at random places in the key space; each flushed buffer becomes a
 * table that LevelDB merges into the level below by rewriting every table
 * of that level it overlaps, so a small buffer rewrites the same data many
 * times. At 1,000,000 accounts a 10,000-transfer block cost ≈ 800 ms of
 * compaction CPU with 4 MiB and ≈ 170 ms with 64 MiB (BENCHMARKS.md
 * 2026-12-04 23:38). The cost: up to two buffers of memory (the one filling and
 * the one being flushed), and an open after a crash or a stop replays up to
 * one buffer of log (≈ 0.5 s for 64 MiB).
 */
export const DEFAULT_WRITE_BUFFER_BYTES = 64 * 1024 * 1024;
/**
 * The most the tree nodes' database buffers. Its records are keyed by
 * version, so a flushed buffer becomes a table that LevelDB only moves down
 * its levels, never merges (until pruning deletes nodes, whose deletion
 * marks are merged down whatever the buffer): a larger buffer saves no compaction, and costs
 * memory (two buffers) and the log an open replays. At 10M keys, 20 blocks
 * of 20,000: the nodes' tables cost LevelDB's thread 2–3 s with 16 MiB as
 * with 64, and the process held ≈ 70–290 MiB less (BENCHMARKS.md
 * 2026-12-05 23:54).
 */
export const NODES_WRITE_BUFFER_BYTES = 16 * 1024 * 1024;
/** The range LevelDB accepts (it would silently clamp a value outside it). */
export const MIN_WRITE_BUFFER_BYTES = 64 * 1024;
export const MAX_WRITE_BUFFER_BYTES = 1024 * 1024 * 1024;
/** Default budget of the read caches (values + tree nodes), bytes. */
export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;
/**
 * The share of the cache budget kept for past versions' tree nodes
 * (node-cache.ts): 4 MiB of the default 256. It comes out of the values'
 * half, whose slot tables, not arenas, bound how many accounts it holds
 * (off-heap-cache.ts), so the latest values keep as many entries.
 */
const PAST_NODES_SHARE = 64;
/** Roots of past versions kept after a historical read or proof found them (a few dozen bytes each). */
const PAST_ROOTS = 256;
/** Records deleted per pruning batch. */
const PRUNE_SLICE = 5_000;
/** Tree walks {@link CommittedStore.entries} makes between yields to the event loop. */
const ENTRIES_WALKS_PER_YIELD = 256;
/** Parallel LevelDB reads of one prefetch level (libuv's thread pool has 4 threads by default). */
const PREFETCH_READERS = 4;
/** Default number of versions kept (`--state-history`). */
export const DEFAULT_STATE_HISTORY = 10_000;

/** The on-disk state does not match its recorded app hash, or is unreadable. */
export class StoreCorruptionError extends Error {
  override readonly name = 'StoreCorruptionError';
}

/** The store was used against its contract (stale root, wrong height, ...). */
export class StoreUsageError extends Error {
  override readonly name = 'StoreUsageError';
}

/** A version that is not (or no longer) stored: pruned, never committed, or in the future. */
export class VersionUnavailableError extends Error {
  override readonly name = 'VersionUnavailableError';
  constructor(
    message: string,
    readonly pruned: boolean,
  ) {
    super(message);
  }
}

export interface CommittedStoreOptions {
  logger?: Logger;
  /**
   * fsync each commit batch (LevelDB `sync`). Without it a commit survives a
   * process crash (kill -9) but the last commits may be lost on power loss,
   * which CometBFT's handshake replays. Default false.
   */
  sync?: boolean;
  /** Bytes of values and tree nodes kept in memory (`--state-cache-mb`). Default {@link DEFAULT_CACHE_BYTES}. */
  cacheBytes?: number;
  /** Versions kept for historical reads and proofs (`--state-history`); 0 keeps all. Default {@link DEFAULT_STATE_HISTORY}. */
  stateHistory?: number;
  /** LevelDB's write buffer, bytes (`--state-write-buffer-mb`). Default {@link DEFAULT_WRITE_BUFFER_BYTES}. */
  writeBufferBytes?: number;
  /** Files the tree nodes' database keeps open (`--state-open-files`). Default {@link DEFAULT_OPEN_FILES}. */
  openFiles?: number;
}

/** The latest value of a key (null: absent). */
export type Latest = Uint8Array | null;

/** A change as the tree takes it, with the key's latest value before it. */
interface NormalizedChange extends TreeChange {
  /** The key's latest value before this change. */
  before: Latest;
}

/**
 * The root of (committed state + changes), computed without applying them.
 * Pass it to {@link CommittedStore.commit} so nothing is hashed twice. Only
 * the latest computeRoot of a store can be committed, once.
 */
export class PendingRoot {
  /** The app hash the state will have after the commit. */
  readonly root: Uint8Array;
  /** @internal */
  readonly owner: CommittedStore;
  /** @internal */
  readonly generation: number;
  /** @internal changes that do something (deletes of absent keys dropped), in keyHash order where the read-ahead gave it */
  readonly changes: readonly NormalizedChange[];
  /**
   * @internal The same changes in the caller's order: key order from the
   * app, in which LevelDB applies their latest-value records about twice
   * as fast as in keyHash order (its write buffer's inserts then follow
   * one another; BENCHMARKS.md 2026-12-07 17:58).
   */
  readonly byKey: readonly NormalizedChange[];
  /** @internal */
  readonly tree: TreeUpdateResult;

  /** @internal */
  constructor(owner: CommittedStore, generation: number, changes: NormalizedChange[], byKey: NormalizedChange[], tree: TreeUpdateResult) {
    this.owner = owner;
    this.generation = generation;
    this.changes = changes;
    this.byKey = byKey;
    this.tree = tree;
    this.root = Buffer.from(tree.rootHash, 'latin1');
  }

  /** Number of distinct keys changed. */
  get size(): number {
    return this.changes.length;
  }
}

/** A read-only view of one committed version. */
export interface VersionView extends KVReader {
  readonly height: bigint;
}

export class CommittedStore implements KVReader {
  /** Everything but the tree nodes: latest values, deletions, roots, stale lists, commit record, extras. */
  private readonly db: ClassicLevel<Buffer, Uint8Array>;
  /** The tree nodes ('N' records), in a LevelDB of their own (docs/STORE.md "Two databases"). */
  private readonly nodesDb: ClassicLevel<Buffer, Uint8Array>;
  private readonly logger: Logger | undefined;
  private readonly sync: boolean;
  private readonly stateHistory: number;
  private readonly values: OffHeapCache;
  /** Node records by place, latest tree first (node-cache.ts). */
  private readonly nodes: NodeCache;
  /** Records read by {@link prefetch} for the next computeRoot, by node key; released when it has run. */
  private prefetched = new PrefetchedRecords();
  /** The keys {@link prefetch} was given, in keyHash order, for the next computeRoot. */
  private prefetchedOrder = new KeyHashOrder([]);
  private readonly source: NodeSource;
  /** Roots of retained past versions read so far, at most {@link PAST_ROOTS}, oldest read first (null: the empty tree). */
  private readonly pastRoots = new Map<number, ChildRef | null>();
  private _height: number;
  private _appHash: Uint8Array;
  private root: ChildRef | undefined;
  private keyCount: number;
  /** Every version <= this is pruned (0: none). */
  private prunedThrough: number;
  /** The pruner deleted every stale list of a version below this (0: not known since open). */
  private staleListsClearedBelow = 0;
  private generation = 0;
  private committing = false;
  private closed = false;
  private pruning: Promise<void> | undefined;
  /** While a commit's batch is being written: the changed keys' values before it. */
  private writing: Map<string, Latest> | undefined;
  private _lastCommitPhases: CommitPhases | undefined;
  /** Between deferWrites() and flush(): the records of the commits made since, not yet in LevelDB. */
  private deferred: DeferredRecords | undefined;
  /** A commit's batches, kept from one commit to the next with their native memory (reused-batch.ts): the nodes' two, the moved leaves', the other records'. */
  private readonly nodeBatches: readonly [ReusedBatch, ReusedBatch, ReusedBatch];
  private readonly recordsBatch: ReusedBatch;

  private constructor(
    db: ClassicLevel<Buffer, Uint8Array>,
    nodesDb: ClassicLevel<Buffer, Uint8Array>,
    meta: { height: number; appHash: Uint8Array; root: ChildRef | undefined; keys: number; prunedThrough: number },
    options: CommittedStoreOptions,
  ) {
    this.db = db;
    this.nodesDb = nodesDb;
    this.nodeBatches = [new ReusedBatch(nodesDb, MAX_KEPT_BATCH_BYTES), new ReusedBatch(nodesDb, MAX_KEPT_BATCH_BYTES), new ReusedBatch(nodesDb, MAX_KEPT_BATCH_BYTES)];
    this.recordsBatch = new ReusedBatch(db, MAX_KEPT_BATCH_BYTES);
    this.logger = options.logger;
    this.sync = options.sync ?? false;
    this.stateHistory = options.stateHistory ?? DEFAULT_STATE_HISTORY;
    const cache = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    // Values are what the ledgers read; nodes what a commit walks; past nodes what historical reads walk.
    const past = Math.floor(cache / PAST_NODES_SHARE);
    this.values = new OffHeapCache(Math.floor(cache / 2) - past);
    this.nodes = new NodeCache(cache - Math.floor(cache / 2), past);
    this.source = { load: (address, replaced) => this.loadNode(address, replaced), copyRecord: (address, into, replaced) => this.copyNodeRecord(address, into, replaced) };
    this._height = meta.height;
    this._appHash = meta.appHash;
    this.root = meta.root;
    this.keyCount = meta.keys;
    this.prunedThrough = meta.prunedThrough;
  }

  /**
   * Opens (creating if needed) the store in `dir`. Reads only the commit
   * record, the latest root and the pruning mark, and checks the root node
   * against the recorded app hash: O(1) in the size of the state.
   */
  static async open(dir: string, options: CommittedStoreOptions = {}): Promise<CommittedStore> {
    const started = performance.now();
    if (options.stateHistory !== undefined && (!Number.isSafeInteger(options.stateHistory) || options.stateHistory < 0)) {
      throw new StoreUsageError(`state history must be a whole number of versions (0: keep all), got ${options.stateHistory}`);
    }
    if (options.cacheBytes !== undefined && (!Number.isSafeInteger(options.cacheBytes) || options.cacheBytes < 0)) {
      throw new StoreUsageError(`cache size must be a whole number of bytes, got ${options.cacheBytes}`);
    }
    const writeBufferBytes = options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES;
    if (!Number.isSafeInteger(writeBufferBytes) || writeBufferBytes < MIN_WRITE_BUFFER_BYTES || writeBufferBytes > MAX_WRITE_BUFFER_BYTES) {
      throw new StoreUsageError(`write buffer must be a whole number of bytes from ${MIN_WRITE_BUFFER_BYTES} to ${MAX_WRITE_BUFFER_BYTES}, got ${writeBufferBytes}`);
    }
    const openFiles = options.openFiles ?? DEFAULT_OPEN_FILES;
    if (!Number.isSafeInteger(openFiles) || openFiles < MIN_OPEN_FILES || openFiles > MAX_OPEN_FILES) {
      throw new StoreUsageError(`open files must be a whole number from ${MIN_OPEN_FILES} to ${MAX_OPEN_FILES}, got ${openFiles}`);
    }
    const db = new ClassicLevel<Buffer, Uint8Array>(dir, valuesDbOptions(writeBufferBytes));
    const nodesDb = new ClassicLevel<Buffer, Uint8Array>(nodesDir(dir), nodesDbOptions(Math.min(writeBufferBytes, NODES_WRITE_BUFFER_BYTES), openFiles));
    try {
      await db.open();
      await nodesDb.open();
    } catch (err) {
      await db.close();
      // e.g. the LOCK is held by another process using the same home directory
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new Error(`cannot open the state store ${dir} (is another cmtd using it?)${cause}`, { cause: err });
    }
    try {
      const metaBytes = db.getSync(META_KEY);
      let meta = { height: 0, appHash: Buffer.from(EMPTY_HASH, 'latin1') as Uint8Array, root: undefined as ChildRef | undefined, keys: 0, prunedThrough: 0 };
      if (metaBytes === undefined) {
        const any = await db.keys({ limit: 1 }).all();
        if (any.length > 0) {
          throw new StoreCorruptionError(`state store ${dir}: records exist but no commit record (m:commit); the database is not a cmtd store (of this format) or is damaged`);
        }
      } else {
        const { height, appHash, keys } = decodeMeta(metaBytes, dir);
        const rootBytes = db.getSync(rootKey(height));
        if (rootBytes === undefined) throw new StoreCorruptionError(`state store ${dir} is corrupt: no root record for its height ${height}`);
        const root = decodeRoot(rootBytes);
        const prunedBytes = db.getSync(PRUNED_KEY);
        const prunedThrough = prunedBytes === undefined ? 0 : readU64(prunedBytes, 0);
        meta = { height, appHash, root, keys, prunedThrough };
      }
      // Nodes of a commit that a crash stopped before its commit record: no version reaches them.
      await nodesDb.clear({ gte: latin1('N' + u64String(meta.height + 1)), lt: AFTER_N });
      const store = new CommittedStore(db, nodesDb, meta, options);
      store.checkRoot(dir);
      const nodeTables = tableCount(nodesDb.getProperty('leveldb.stats'));
      options.logger?.info('state store opened', {
        dir,
        height: String(meta.height),
        appHash: hex(meta.appHash),
        keys: meta.keys,
        nodeTables,
        ms: Math.round(performance.now() - started),
      });
      if (nodeTables > openFiles - OTHER_OPEN_FILES) {
        options.logger?.info(
          `the tree nodes' database has ${nodeTables} tables and keeps at most ${openFiles - OTHER_OPEN_FILES} open (--state-open-files ${openFiles}); ` +
            'reads in the others reopen them, which costs CPU; each one kept open past the first 1,000 costs ≈ 230 KiB of memory (docs/STORE.md)',
          { nodeTables, openFiles },
        );
      }
      store.schedulePrune();
      return store;
    } catch (err) {
      await db.close();
      await nodesDb.close();
      throw err;
    }
  }

  /** The root node must hash to the recorded app hash. */
  private checkRoot(dir: string): void {
    let hash = EMPTY_HASH;
    if (this.root !== undefined) {
      let node: TreeNode;
      try {
        node = this.loadNode({ version: this.root.version, depth: 0, path: EMPTY_HASH });
      } catch (err) {
        throw new StoreCorruptionError(`state store ${dir} is corrupt: root node unreadable (${(err as Error).message})`);
      }
      hash = node.kind === 'leaf' ? leafHash(node.keyHash, node.valueHash) : internalHash(node.children, 0);
    }
    const recorded =
      hash !== Buffer.from(this._appHash).toString('latin1')
        ? `the recorded app hash is ${hex(this._appHash)}`
        : this.root !== undefined && this.root.hash !== hash
          ? `the root record names hash ${hex(Buffer.from(this.root.hash, 'latin1'))}`
          : undefined;
    if (recorded !== undefined) {
      throw new StoreCorruptionError(
        `state store ${dir} is corrupt: at height ${this._height} ${recorded} ` +
          `but the root node hashes to ${hex(Buffer.from(hash, 'latin1'))}; restore the data directory from a backup or resync`,
      );
    }
  }

  /** Where the last commit's time went; undefined before the first and while commits are deferred (they write nothing). */
  get lastCommitPhases(): CommitPhases | undefined {
    return this._lastCommitPhases;
  }

  /** Last committed height (0n for an empty store). */
  get height(): bigint {
    return BigInt(this._height);
  }

  /** Last committed app hash (32 zero bytes for an empty store). A copy. */
  get appHash(): Uint8Array {
    return Uint8Array.from(this._appHash);
  }

  /** Number of keys in the latest committed state. */
  get size(): number {
    return this.keyCount;
  }

  /** The oldest version that historical reads and proofs can use. */
  get oldestVersion(): bigint {
    return BigInt(Math.min(this._height, this.prunedThrough + 1));
  }

  /**
   * The committed value of `key` (latest version). Do not mutate the bytes:
   * a read while a commit is being written returns the bytes the commit
   * holds (otherwise a copy from the cache or LevelDB).
   */
  get(key: string): Uint8Array | undefined {
    return this.latest(key) ?? undefined;
  }

  /** The value of `key` as of `version` (a retained committed height). Shared bytes: do not mutate. */
  getAt(key: string, version: bigint): Uint8Array | undefined {
    const root = this.rootAt(version);
    if (version === BigInt(this._height)) return this.get(key);
    return lookup(this.source, root, keyHashOf(key))?.value;
  }

  /** A read-only view of version `height` (throws {@link VersionUnavailableError} if it is not retained). */
  at(height: bigint): VersionView {
    this.rootAt(height);
    return { height, get: (key) => this.getAt(key, height) };
  }

  /** A presence or absence proof of `key` against the app hash of `version` (default: the latest). */
  prove(key: string, version: bigint = BigInt(this._height)): StoreProof {
    return proveKey(this.source, this.rootAt(version), keyHashOf(key));
  }

  /** The app hash of a retained version. */
  appHashAt(version: bigint): Uint8Array {
    return Buffer.from(this.rootAt(version)?.hash ?? EMPTY_HASH, 'latin1');
  }

  /** Verifies a proof (pure; see tree.ts). */
  static verifyProof(root: Uint8Array, key: string, value: Uint8Array | undefined, proof: StoreProof): boolean {
    return verifyTreeProof(root, key, value, proof);
  }

  /**
   * Up to `limit` keys of `version` from `fromKey` (inclusive) in ascending
   * byte order of their UTF-8, and `next`, the key to continue from (absent
   * at the end). Reads LevelDB through one snapshot: commits and pruning
   * running meanwhile do not change the answer (a version pruned meanwhile
   * throws {@link VersionUnavailableError}).
   *
   * The keys of a version are among those present now ('s') and those
   * deleted after it ('d'), merged in key order. A key whose latest value
   * was written after the version, or that was deleted since, is read from
   * the version's tree (one walk, as `getAt` does), so a page costs more the
   * further back its version lies; the walks yield to the event loop every
   * {@link ENTRIES_WALKS_PER_YIELD}.
   */
  async entries(version: bigint, fromKey = '', limit = 1000): Promise<{ entries: Array<[string, Uint8Array]>; next?: string }> {
    this.assertNotDeferred('entries');
    const root = this.rootAt(version);
    const v = Number(version);
    const from = Buffer.from(fromKey, 'utf8');
    const snapshot = this.db.snapshot();
    const present = new PeekableRows(this.db.iterator({ gte: Buffer.concat([S, from]), lt: AFTER_S, snapshot }));
    const deleted = new PeekableRows(this.db.iterator({ gte: Buffer.concat([D, from]), lt: AFTER_D, snapshot }));
    // Collect limit + 1 entries: the last one only tells where to continue.
    const out: Array<[string, Uint8Array]> = [];
    let walks = 0;
    try {
      while (out.length <= limit) {
        const s = await present.peek();
        const d = await deleted.peek();
        if (s === undefined && d === undefined) break;
        const sKey = s?.[0].subarray(1);
        const dKey = d === undefined ? undefined : deletedKeyBytes(d[0]);
        const order = sKey === undefined ? 1 : dKey === undefined ? -1 : Buffer.compare(sKey, dKey);
        const keyBytes = (order <= 0 ? sKey : dKey)!;
        // Every deletion of this key: one after the version means the key may have been present in it.
        let inTree = false;
        if (order >= 0) {
          for (let row = d; row !== undefined && deletedKeyBytes(row[0]).equals(keyBytes); row = await deleted.peek()) {
            inTree ||= readU64(row[0], row[0].length - 8) > v;
            deleted.take();
          }
        }
        let value: Uint8Array | undefined;
        if (order <= 0) {
          present.take();
          if (readU64(s![1], 0) <= v) value = plainCopy(s![1], 8);
          else inTree = true; // written since the version: its value then is in its tree
        }
        const key = keyBytes.toString('utf8');
        if (value === undefined && inTree) {
          if (v <= this.prunedThrough) this.rootAt(version); // pruned meanwhile: throws
          const found = lookup(this.source, root, keyHashOf(key))?.value;
          if (found !== undefined) value = Uint8Array.from(found);
          if (++walks % ENTRIES_WALKS_PER_YIELD === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        }
        if (value !== undefined) out.push([key, value]);
      }
    } finally {
      await Promise.all([present.close(), deleted.close()]);
      await snapshot.close();
    }
    return out.length > limit ? { entries: out.slice(0, limit), next: out[limit]![0] } : { entries: out };
  }

  /**
   * The root of (committed state + `changes`), without applying anything.
   * A Uint8Array sets a key, null deletes it; if a key repeats, the last
   * change wins. Reads and rewrites only the tree nodes on the changed keys'
   * paths. The result is handed to `commit`.
   */
  computeRoot(changes: Iterable<readonly [string, Change]>): PendingRoot {
    this.assertOpen();
    const given: Array<readonly [string, Change]> = [];
    let valueBytes = 0;
    // The app gives its changes sorted by key: then no key repeats, and no map is needed to keep each key's last change.
    let increasing = true;
    let previous = '';
    for (const entry of changes) {
      const [key, change] = entry;
      if (typeof key !== 'string' || !isWellFormedKey(key)) {
        throw new StoreUsageError(`invalid state key ${JSON.stringify(key)}: keys must be well-formed strings without U+0000`);
      }
      if (change !== null && !(change instanceof Uint8Array)) {
        throw new StoreUsageError(`invalid value for state key ${JSON.stringify(key)}: expected Uint8Array or null`);
      }
      if (increasing && given.length > 0 && !(previous < key)) increasing = false;
      previous = key;
      given.push(entry);
      if (change !== null) valueBytes += change.length;
    }
    const last = increasing ? given : [...new Map(given).entries()];
    // The values are copied (the caller may change its arrays) into one buffer, each a plain Uint8Array
    // view of it: a Uint8Array of its own each would be ≈ 20,000 allocations outside V8's heap a block.
    const copies = new Uint8Array(valueBytes);
    let copied = 0;
    const befores = new ByteArena();
    let effective: NormalizedChange[] = [];
    const order = this.prefetchedOrder;
    let ranked = 0;
    for (const [key, change] of last) {
      let value: Uint8Array | null = null;
      if (change !== null) {
        value = copies.subarray(copied, copied + change.length);
        value.set(change);
        copied += change.length;
      }
      const before = this.latest(key, befores);
      if (value === null && before === null) continue; // deleting an absent key changes nothing
      const rank = order.rankOf(key);
      if (rank !== undefined) ranked++;
      effective.push({ key, keyHash: rank === undefined ? keyHashOf(key) : order.hashAt(rank), value, existed: before !== null, before });
    }
    const byKey = effective;
    // Put in keyHash order from the read-ahead's, so that the tree's sort finds them in order.
    if (ranked > 0) effective = order.arrange(effective);
    this.generation++;
    try {
      // Nodes are written as the next height; commit redoes the update if it is another one.
      return new PendingRoot(this, this.generation, effective, byKey, this.updateTree(effective, this._height + 1));
    } finally {
      this.prefetched.release();
      this.prefetched = new PrefetchedRecords();
      this.prefetchedOrder = new KeyHashOrder([]);
    }
  }

  private updateTree(changes: readonly NormalizedChange[], version: number): TreeUpdateResult {
    try {
      return updateTree(this.source, this.root, changes, version);
    } catch (err) {
      if (err instanceof MalformedNodeError) throw new StoreCorruptionError(`state store is corrupt: ${err.message}`);
      throw err;
    }
  }

  /**
   * Reads ahead, on LevelDB's threads, what a block that reads or changes
   * `keys` will read synchronously on the main thread: the keys' latest
   * values that the value cache lacks (one parallel read, into the cache)
   * and the tree nodes that `computeRoot` of changes to `keys` will walk
   * and no cache holds (level by level from the root, each level's missing
   * nodes in one parallel read). Advisory: it changes no result, and
   * whatever it could not read (a node pruned meanwhile, a commit that
   * raced it) is read where it is needed. The nodes are kept for the next
   * computeRoot only. A changed key's own leaf is never needed and not
   * read; another key's leaf that an insert will move down is, once the
   * values show that the keys ending at it are all absent.
   */
  async prefetch(keys: Iterable<string>): Promise<void> {
    this.assertOpen();
    const list: string[] = [];
    for (const key of keys) if (typeof key === 'string' && isWellFormedKey(key)) list.push(key);
    const values = this.prefetchValues(list);
    await Promise.all([values, this.prefetchNodes(list, values)]);
  }

  /** The latest values of `keys` that no cache holds, read in parallel into the value cache. */
  private async prefetchValues(keys: readonly string[]): Promise<void> {
    const height = this._height;
    const wanted: string[] = [];
    const reads: Buffer[] = [];
    for (const key of keys) {
      if (this.values.has(key) || this.writing?.has(key) === true) continue;
      const dbKey = Buffer.concat([S, Buffer.from(key, 'utf8')]);
      if (this.deferred?.records.has(dbKey.toString('latin1')) === true) continue; // in memory already
      wanted.push(key);
      reads.push(dbKey);
    }
    if (reads.length === 0) return;
    const values = await this.readMany(reads);
    // A commit since the reads began may have changed these keys: then they are read again when needed.
    if (values === undefined || this._height !== height || this.committing) return;
    for (let i = 0; i < values.length; i++) {
      const key = wanted[i]!;
      if (this.values.has(key)) continue; // read synchronously meanwhile
      const buf = values[i];
      this.cacheLatest(key, buf === undefined ? null : plainCopy(buf, 8));
    }
  }

  /** LevelDB reads in {@link PREFETCH_READERS} parallel parts; undefined if the store was closed meanwhile. */
  private async readMany(reads: Buffer[], db = this.db): Promise<Array<Uint8Array | undefined> | undefined> {
    const size = Math.ceil(reads.length / PREFETCH_READERS);
    const parts: Array<Promise<Array<Uint8Array | undefined>>> = [];
    for (let i = 0; i < reads.length; i += size) parts.push(db.getMany(reads.slice(i, i + size), { fillCache: false }));
    try {
      const values = (await Promise.all(parts)).flat();
      return this.closed ? undefined : values;
    } catch (err) {
      if (this.closed) return undefined; // closed meanwhile: nothing to read ahead for
      throw err;
    }
  }

  /**
   * The tree nodes computeRoot of changes to `keys` will walk (see
   * {@link prefetch}), kept for the next computeRoot; `valuesRead` settles
   * when the keys' values are cached (or could not be).
   */
  private async prefetchNodes(keys: readonly string[], valuesRead: Promise<void>): Promise<void> {
    this.prefetched.release();
    const prefetched = new PrefetchedRecords();
    this.prefetched = prefetched;
    const order = new KeyHashOrder(keys);
    this.prefetchedOrder = order;
    const hashes = order.hashes;
    const root = this.root;
    if (root === undefined || root.leaf || hashes.length === 0) return;
    // Leaves in the slots the walk ends at, with the keys [lo, hi) that end there.
    const leaves: Array<{ version: number; depth: number; lo: number; hi: number }> = [];
    // Per node to read: the version that wrote it and the changed keys [lo, hi) below it.
    let level: Array<{ version: number; lo: number; hi: number }> = [{ version: root.version, lo: 0, hi: hashes.length }];
    // A cached node's record is copied here and walked at once; the others are read from LevelDB, then walked.
    const scratch = Buffer.allocUnsafe(MAX_INTERNAL_RECORD);
    for (let depth = 0; level.length > 0; depth++) {
      const next: Array<{ version: number; lo: number; hi: number }> = [];
      const unread: Array<{ version: number; lo: number; hi: number }> = [];
      const reads: string[] = [];
      /** Queues the children of `node` (its record in `record`) that the keys [lo, hi) below it go through. */
      const walk = (record: Uint8Array, node: { lo: number; hi: number }): void => {
        let i = node.lo;
        while (i < node.hi) {
          const n = nibble(hashes[i]!, depth);
          let j = i + 1;
          while (j < node.hi && nibble(hashes[j]!, depth) === n) j++;
          const child = childAt(record, n);
          if (child !== undefined) {
            if (child.leaf) leaves.push({ version: child.version, depth: depth + 1, lo: i, hi: j });
            else next.push({ version: child.version, lo: i, hi: j });
          }
          i = j;
        }
      };
      for (const node of level) {
        const place = nodePlace(depth, hashes[node.lo]!);
        const length = this.nodes.copyRecord(node.version, depth, place, scratch);
        if (length >= 0) {
          if (length <= scratch.length) walk(scratch.subarray(0, length), node);
          continue;
        }
        const key = 'N' + u64String(node.version) + place;
        const deferred = this.deferred?.records.get(key);
        if (deferred !== undefined) {
          if (deferred !== null) walk(deferred, node);
        } else {
          unread.push(node);
          reads.push(key);
        }
      }
      if (reads.length > 0) {
        const read = await this.readPrefetched(reads, prefetched);
        if (read === undefined) return;
        for (let i = 0; i < read.length; i++) if (read[i] !== undefined) walk(read[i]!, unread[i]!);
      }
      level = next;
    }
    // An insert into a slot that holds another key's leaf reads that leaf (to
    // move it down): read it too when every key ending there is known absent.
    await valuesRead;
    if (this.closed || this.prefetched !== prefetched) return;
    const reads: string[] = [];
    for (const { version, depth, lo, hi } of leaves) {
      let inserts = true;
      for (let i = lo; i < hi && inserts; i++) inserts = this.values.cachedAbsent(order.keyAt(i));
      const key = 'N' + u64String(version) + nodePlace(depth, hashes[lo]!);
      if (inserts && this.deferred?.records.has(key) !== true) reads.push(key);
    }
    if (reads.length > 0) await this.readPrefetched(reads, prefetched);
  }

  /** Reads the records of node `keys` into `prefetched` and returns them; undefined if closed or a newer prefetch took over meanwhile. */
  private async readPrefetched(keys: string[], prefetched: PrefetchedRecords): Promise<Array<Uint8Array | undefined> | undefined> {
    const values = await this.readMany(keys.map(latin1), this.nodesDb);
    if (values === undefined || this.prefetched !== prefetched) return undefined;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value !== undefined) prefetched.add(keys[i]!, value);
    }
    return values;
  }

  /**
   * Commits a block as version `height`: applies `changes` (or a
   * {@link PendingRoot} from `computeRoot`), writing the new tree nodes to
   * the nodes' database (one batch, two for a large block), then the changes, the stale list,
   * the `extra` records and (height, appHash) in one batch of the other
   * (docs/STORE.md "One commit record per Commit"), then updates memory.
   * `appHash` must equal the computed root (a mismatch is a bug in the
   * caller and writes nothing). `height` must exceed the last committed
   * height.
   */
  async commit(height: bigint, changes: PendingRoot | Iterable<readonly [string, Change]>, appHash: Uint8Array, extra?: Iterable<readonly [string, Change]>): Promise<void> {
    this.assertOpen();
    if (this.committing) throw new StoreUsageError('commit called while another commit is in progress');
    if (typeof height !== 'bigint' || height <= BigInt(this._height) || height > U64_MAX || height > BigInt(MAX_VERSION)) {
      throw new StoreUsageError(`cannot commit height ${String(height)}: last committed height is ${this._height}`);
    }
    const pending = changes instanceof PendingRoot ? changes : this.computeRoot(changes);
    if (pending.owner !== this) throw new StoreUsageError('the PendingRoot belongs to another store');
    if (!bytesEqual(pending.root, appHash)) {
      throw new StoreUsageError(`app hash ${hex(appHash)} given for height ${height} does not match the computed root ${hex(pending.root)}`);
    }
    if (pending.generation !== this.generation) {
      throw new StoreUsageError('stale PendingRoot: another root was computed or committed after it (only the latest computeRoot can be committed)');
    }

    const v = Number(height);
    // A height other than the one computeRoot assumed (not the next one): the node keys and child versions differ.
    const tree = pending.tree.version === v ? pending.tree : this.updateTree(pending.changes, v);
    const extras = checkedExtras(extra); // before anything is written
    const started = performance.now();
    let keys = this.keyCount;
    let phases: CommitPhases | undefined;
    if (this.deferred === undefined) {
      this.committing = true;
      // Read on LevelDB's threads while the nodes are staged and written; they go in a batch of their own after.
      const leaves = this.copyMovedLeaves(tree);
      leaves.catch(() => {}); // reported by the wait for them below
      let movedLeavesRead = 0;
      const movedLeaves = async (): Promise<ReusedBatch | undefined> => {
        const waiting = performance.now();
        await leaves;
        movedLeavesRead = performance.now() - waiting;
        if (tree.moved.length === 0) return undefined;
        const batch = this.nodeBatches[2].begin();
        stageNodes(batch, tree, tree.writes.count);
        return batch;
      };
      const dbBatch = this.recordsBatch.begin();
      // LevelDB may apply the batch before this continuation runs: until memory
      // moves to the new version, reads of the changed keys must not see it.
      const writing = new Map<string, Latest>();
      for (const { key, before } of pending.changes) writing.set(key, before);
      this.writing = writing;
      try {
        // While LevelDB writes the nodes: the other records, and the node
        // cache. No read asks for version v before the root moves to it,
        // below. If the write fails, another block committed at v instead
        // reaches (v, place) only where it writes a node itself, which
        // replaces this one's in the cache.
        const meanwhile = (): void => {
          keys = this.stageRecords(dbBatch, pending, tree, v, extras);
          this.cacheNewNodes(tree, v, keys);
          // The new values too: until the commit is visible, reads of these keys find `writing` first.
          for (const { key, value } of pending.changes) this.cacheLatest(key, value);
        };
        const written = await writeNodesThenRest(stagedNodeBatches([this.nodeBatches[0], this.nodeBatches[1]], tree), dbBatch, this.sync, meanwhile, movedLeaves);
        phases = { ...written, movedLeavesRead };
      } catch (err) {
        // LevelDB kept the values before (a batch is all or nothing): so does the cache.
        for (const { key, before } of pending.changes) this.cacheLatest(key, before);
        throw err;
      } finally {
        this.committing = false;
        this.writing = undefined;
      }
    } else {
      this.committing = true;
      try {
        await this.copyMovedLeaves(tree);
      } finally {
        this.committing = false;
      }
      // Staged apart, so a commit that fails halfway leaves nothing behind.
      const staged = new DeferredRecords();
      stageNodes(staged, tree);
      keys = this.stageRecords(staged, pending, tree, v, extras);
      for (const [key, value] of staged.records) this.deferred.records.set(key, value);
      this.cacheNewNodes(tree, v, keys);
      for (const { key, value } of pending.changes) this.cacheLatest(key, value);
    }
    // Written: now make it visible. Nothing below can fail.
    this.generation++;
    const writes = tree.writes;
    const nodesWritten = writes.count + tree.moved.length;
    writes.release(); // LevelDB's batch, the deferred records and the cache hold copies
    this.root = tree.root;
    this._height = v;
    this._appHash = Uint8Array.from(pending.root);
    this.keyCount = keys;
    this._lastCommitPhases = phases;
    this.logger?.debug('state committed', {
      height: height.toString(),
      appHash: hex(pending.root),
      changes: pending.changes.length,
      nodes: nodesWritten,
      ms: Math.round(performance.now() - started),
      ...(this._lastCommitPhases === undefined ? {} : roundedPhases(this._lastCommitPhases)),
    });
    this.schedulePrune();
  }

  /**
   * Puts a commit's records other than its nodes into `batch`: latest
   * values, deletion records, the stale list, the root record, the extra
   * records and the commit record last. Returns the key count at `version`.
   */
  private stageRecords(batch: RecordSink, pending: PendingRoot, tree: TreeUpdateResult, version: number, extras: ReadonlyArray<readonly [Buffer, Change]>): number {
    const vs = u64String(version);
    let keys = this.keyCount;
    const deletions = new StaleList();
    const bytes = new ByteArena();
    for (const { key, value, before } of pending.byKey) {
      if (value === null) {
        batch.del(latestKey(bytes, key));
        // Tells `entries` of an older version that the key may be in it; no version from this one on needs it.
        const dKey = deletionKey(bytes, key, vs);
        batch.put(dKey, EMPTY_RECORD);
        deletions.add(dKey);
        keys--;
      } else {
        batch.put(latestKey(bytes, key), latestRecord(bytes, vs, value));
        if (before === null) keys++;
      }
    }
    if (deletions.count + tree.stale.count > 0) batch.put(staleKey(version), Buffer.concat([deletions.encoded, tree.stale.encoded]));
    batch.put(rootKey(version), encodeRoot(tree.root));
    for (const [xKey, change] of extras) {
      if (change === null) batch.del(xKey);
      else batch.put(xKey, change);
    }
    batch.put(META_KEY, encodeMeta(version, pending.root, keys));
    return keys;
  }

  /**
   * Caches the internal nodes a block wrote, which the next block walks,
   * but for deep ones the next blocks are not expected to find there
   * (node-cache.ts deepCachingBound; `keyCount`: the keys of the new
   * version); new leaves are read back only by proofs, historical reads and
   * inserts next to them: not cached.
   */
  private cacheNewNodes(tree: TreeUpdateResult, version: number, keyCount: number): void {
    const writes = tree.writes;
    const written: number[] = [];
    const bytes: number[] = [];
    for (let i = 0; i < writes.count; i++) {
      if (!writes.isInternal(i)) continue;
      const depth = writes.depth(i);
      if (depth < this.nodes.upperDepth) continue;
      written[depth] = (written[depth] ?? 0) + 1;
      bytes[depth] = (bytes[depth] ?? 0) + NodeCache.deepEntryBytes(writes.placeBytes(i), writes.recordBytes(i));
    }
    const bound = this.nodes.deepCachingBound(keyCount, written, bytes);
    for (let i = 0; i < writes.count; i++) {
      if (!writes.isInternal(i) || writes.depth(i) >= bound) continue;
      const place = writes.place(i); // depth first
      this.nodes.setNewest(version, place.charCodeAt(0), place, writes.record(i));
    }
  }

  /**
   * Fills in the records of the leaves the update moved without reading
   * them (tree.ts TreeUpdateResult.moved), read in parallel on LevelDB's
   * threads: a block that deletes keys moves their siblings' leaves up, and
   * reading each where computeRoot meets it would hold the event loop for a
   * disk read. The commit reads them while it stages and LevelDB writes
   * the nodes (≈ 90 ms of disk reads a 20,000-key block at 10,000,000
   * keys, BENCHMARKS.md 2026-12-07 21:05).
   */
  private async copyMovedLeaves(tree: TreeUpdateResult): Promise<void> {
    const reads: Buffer[] = [];
    const waiting: Array<{ record: string }> = [];
    for (const moved of tree.moved) {
      if (moved.record !== '') continue; // copied by an earlier attempt to commit this PendingRoot
      const deferred = this.deferred?.records.get(moved.from);
      if (deferred === undefined) {
        reads.push(latin1(moved.from));
        waiting.push(moved);
      } else if (deferred !== null) {
        moved.record = movedLeafRecord(deferred, moved.from);
      }
    }
    if (reads.length === 0) return;
    const records = await this.readMany(reads, this.nodesDb);
    this.assertOpen();
    for (let i = 0; i < reads.length; i++) waiting[i]!.record = movedLeafRecord(records![i], reads[i]!.toString('latin1'));
  }

  /**
   * From now until {@link flush}, commits keep their records in memory
   * instead of writing a LevelDB batch each; every read sees them as if
   * written. For replay (src/replay), which verifies every app hash but need
   * not persist every block: one batch per many blocks. Crash safety holds
   * per flush: a crash loses the unflushed commits, never mixes versions.
   * Pruning waits for the flush. Reads of extra records, `entries` and
   * `verify` are refused meanwhile (they read LevelDB directly).
   */
  deferWrites(): void {
    this.assertOpen();
    this.deferred ??= new DeferredRecords();
  }

  /** Records held by deferred commits (a caller flushes when it grows). */
  get deferredRecords(): number {
    return this.deferred?.records.size ?? 0;
  }

  /** Writes the deferred commits' records in one LevelDB batch and ends deferring (see {@link deferWrites}). */
  async flush(): Promise<void> {
    const deferred = this.deferred;
    if (deferred === undefined) return;
    this.assertOpen();
    const batch = this.db.batch();
    const nodes = this.nodesDb.batch();
    for (const [key, value] of deferred.records) {
      const sink = key.charCodeAt(0) === NODE_TAG ? nodes : batch;
      if (value === null) sink.del(latin1(key));
      else sink.put(latin1(key), value);
    }
    await writeNodesThenRest([nodes], batch, this.sync);
    this.deferred = undefined;
    this.schedulePrune();
  }

  /** A LevelDB record, deferred ones first (see {@link deferWrites}). */
  private readRecord(key: Buffer): Uint8Array | undefined {
    if (this.deferred !== undefined) {
      const record = this.deferred.records.get(key.toString('latin1'));
      if (record !== undefined) return record ?? undefined;
    }
    return (key[0] === NODE_TAG ? this.nodesDb : this.db).getSync(key);
  }

  private assertNotDeferred(what: string): void {
    if (this.deferred !== undefined) throw new StoreUsageError(`${what} reads LevelDB directly: flush() the deferred commits first`);
  }

  /**
   * LevelDB's own table of its levels and of its background work since
   * open (the `leveldb.stats` property: per level, files, size, and the
   * time, MB read and MB written by the flushes and compactions into it;
   * parsed by leveldb-stats.ts), for metrics, benches and diagnostics
   * (docs/STORE.md "Performance").
   */
  levelDbStats(): StateDbStats {
    this.assertOpen();
    return { values: this.db.getProperty('leveldb.stats'), nodes: this.nodesDb.getProperty('leveldb.stats') };
  }

  /** A non-consensus record written through `commit`'s `extra`. */
  async getExtra(key: string): Promise<Uint8Array | undefined> {
    this.assertOpen();
    this.assertNotDeferred('getExtra');
    const buf = await this.db.get(Buffer.from(EXTRA_PREFIX + key, 'utf8'));
    return buf === undefined ? undefined : plainCopy(buf, 0);
  }

  /**
   * Extra records whose key starts with `prefix`, in ascending key byte
   * order (descending with `reverse`), at most `limit` of them.
   */
  async scanExtra(prefix: string, options: { reverse?: boolean; limit?: number } = {}): Promise<Array<[string, Uint8Array]>> {
    this.assertOpen();
    this.assertNotDeferred('scanExtra');
    const start = Buffer.from(EXTRA_PREFIX + prefix, 'utf8');
    const it = this.db.iterator({ gte: start, lt: bytesAfterPrefix(start), reverse: options.reverse ?? false, limit: options.limit ?? -1 });
    const rows = await it.all(); // closes the iterator
    return rows.map(([k, v]): [string, Uint8Array] => [k.toString('utf8', EXTRA_PREFIX.length), plainCopy(v, 0)]);
  }

  /**
   * Reads the whole latest state and checks it against the app hash (and
   * the key count): O(N), for offline tools (export) and tests. Throws
   * {@link StoreCorruptionError} on a mismatch.
   */
  async verify(): Promise<void> {
    this.assertOpen();
    this.assertNotDeferred('verify');
    const entries: Array<[string, Uint8Array]> = [];
    for await (const [k, v] of this.db.iterator({ gte: S, lt: Buffer.from('t') })) entries.push([k.toString('utf8', 1), v.subarray(8)]);
    const root = stateRoot(entries);
    if (!bytesEqual(root, this._appHash) || entries.length !== this.keyCount) {
      throw new StoreCorruptionError(
        `state store is corrupt: at height ${this._height} the recorded app hash is ${hex(this._appHash)} (${this.keyCount} keys) ` +
          `but the ${entries.length} stored values hash to ${hex(root)}; restore the data directory from a backup or resync`,
      );
    }
  }

  /** Resolves once background pruning is idle (for tests, benches and tools). */
  async pruned(): Promise<void> {
    while (this.pruning !== undefined) await this.pruning;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pruning;
    await this.db.close();
    await this.nodesDb.close();
  }

  // ---- internals ----------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new StoreUsageError('the state store is closed');
  }

  /** The key's latest value; a cached one is copied into `into` when given. */
  private latest(key: string, into?: ByteArena): Latest {
    const old = this.writing?.get(key);
    if (old !== undefined) return old;
    const cached = this.values.get(key, into);
    if (cached !== undefined) return cached;
    this.assertOpen();
    const buf = this.readRecord(Buffer.concat([S, Buffer.from(key, 'utf8')]));
    const record: Latest = buf === undefined ? null : plainCopy(buf, 8);
    this.cacheLatest(key, record);
    return record;
  }

  private cacheLatest(key: string, record: Latest): void {
    this.values.set(key, record);
  }

  /** `replaced`: an update reads the node to replace it (see NodeSource); it is not cached then. */
  private loadNode(address: NodeAddress, replaced = false): TreeNode {
    const { record } = this.loadNodeRecord(address, replaced);
    try {
      return decodeNodeString(record);
    } catch (err) {
      throw new StoreCorruptionError(`state store is corrupt: ${describeNode(address)}: ${(err as Error).message}`);
    }
  }

  /** A node's record: from the node cache, the read-ahead or LevelDB. */
  private loadNodeRecord(address: NodeAddress, replaced = false): NodeRecord {
    const place = nodePlace(address.depth, address.path);
    return this.nodes.get(address.version, address.depth, place) ?? { record: this.uncachedRecord(address, place, replaced) };
  }

  /** {@link NodeSource.copyRecord}: as {@link loadNodeRecord}, a cached or read-ahead record copied into `into` rather than made a string. */
  private copyNodeRecord(address: NodeAddress, into: Buffer, replaced = false): number {
    const place = nodePlace(address.depth, address.path);
    // The upper levels stay cached once read. Below them the read-ahead holds what no cache did when it ran: most
    // of a block's nodes at 10,000,000 keys (docs/STORE.md "Caches"), so it is asked first, saving a probe that misses.
    const deep = address.depth >= this.nodes.upperDepth;
    if (deep) {
      const prefetched = this.prefetched.copy(place, address.version, into);
      if (prefetched >= 0) return prefetched;
    }
    const cached = this.nodes.copyRecord(address.version, address.depth, place, into);
    if (cached >= 0) return cached;
    if (!deep) {
      const prefetched = this.prefetched.copy(place, address.version, into);
      if (prefetched >= 0) return prefetched;
    }
    const record = this.readNodeRecord(address, 'N' + u64String(address.version) + place, place, replaced);
    if (record.length <= into.length) into.write(record, 0, 'latin1');
    return record.length;
  }

  /** The record of a node the node cache does not hold: the read-ahead's, or LevelDB's (then cached, unless `replaced`). */
  private uncachedRecord(address: NodeAddress, place: string, replaced: boolean): string {
    return this.prefetched.latin1(place, address.version) ?? this.readNodeRecord(address, 'N' + u64String(address.version) + place, place, replaced);
  }

  /** Node `key`'s record read from LevelDB (cached unless `replaced`). */
  private readNodeRecord(address: NodeAddress, key: string, place: string, replaced: boolean): string {
    this.assertOpen();
    const buf = this.readRecord(latin1(key));
    if (buf === undefined) throw new StoreCorruptionError(`state store is corrupt: ${describeNode(address)} is missing`);
    const record = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
    if (!replaced) this.nodes.set(address.version, address.depth, place, record);
    return record;
  }

  /** The root of a retained version (undefined: the empty tree). */
  private rootAt(version: bigint): ChildRef | undefined {
    this.assertOpen();
    if (typeof version !== 'bigint' || version < 0n || version > BigInt(this._height)) {
      throw new VersionUnavailableError(`no state at height ${String(version)}: the latest committed height is ${this._height}`, false);
    }
    const v = Number(version);
    if (v === this._height) return this.root;
    if (v <= this.prunedThrough) {
      throw new VersionUnavailableError(
        `the state at height ${v} was pruned: this node keeps the last ${this.stateHistory} heights (oldest available: ${this.prunedThrough + 1}; --state-history)`,
        true,
      );
    }
    const known = this.pastRoots.get(v);
    if (known !== undefined) return known ?? undefined;
    const bytes = this.readRecord(rootKey(v));
    if (bytes === undefined) throw new VersionUnavailableError(`no state at height ${v}: nothing was committed at that height`, false);
    const root = decodeRoot(bytes);
    // A committed version's root never changes; pruning is checked above before this is used.
    if (this.pastRoots.size >= PAST_ROOTS) this.pastRoots.delete(this.pastRoots.keys().next().value!);
    this.pastRoots.set(v, root ?? null);
    return root;
  }

  /** Starts the background pruner (after each commit and at open); it stops when there is nothing to do. */
  private schedulePrune(): void {
    if (this.stateHistory === 0 || this.pruning !== undefined || this.closed || this.deferred !== undefined) return;
    this.pruning = this.prune()
      .catch((err: unknown) => {
        this.logger?.error('state pruning failed (retried after the next commit)', { error: (err as Error).message });
      })
      .finally(() => {
        this.pruning = undefined;
      });
  }

  /**
   * Marks the versions that fell out of the history window pruned (reads of
   * them are refused from then on) and deletes their root records in one
   * batch, then deletes what only pruned versions reach, version by version,
   * in batches of {@link PRUNE_SLICE} records, yielding to the event loop
   * between batches. A crash or
   * close midway leaves stale lists that the next run (at the latest, the
   * next open) deletes.
   */
  private async prune(): Promise<void> {
    // A run that began before deferWrites stops here: flush() starts the next.
    while (!this.closed && this.deferred === undefined) {
      const target = this._height - this.stateHistory;
      if (target > this.prunedThrough) {
        const from = this.prunedThrough;
        this.prunedThrough = target;
        const marks = this.db.batch();
        for (const k of await this.db.keys({ gt: rootKey(from), lte: rootKey(target) }).all()) marks.del(k);
        const prunedRecord = Buffer.alloc(8);
        prunedRecord.write(u64String(target), 0, 'latin1');
        marks.put(PRUNED_KEY, prunedRecord);
        await marks.write();
      }
      // A record reached only by versions < since is garbage once since <= prunedThrough + 1.
      const below = this.prunedThrough + 2;
      // Skipped when known done: each look is a LevelDB seek on the thread pool the block's read-ahead uses.
      if (below > this.staleListsClearedBelow && !(await this.deleteStaleLists(below))) return;
      if (this._height - this.stateHistory <= this.prunedThrough) return;
    }
  }

  /**
   * Deletes the stale lists of versions below `below` and the records they
   * name; false if the store closed first.
   */
  private async deleteStaleLists(below: number): Promise<boolean> {
    const end = staleKey(below);
    while (this.staleListsClearedBelow < below) {
      if (this.closed) return false;
      // From the last list deleted on: a seek from the start of the range would step over the deletion marks of every list before it.
      const [entry] = await this.db.iterator({ gte: staleKey(this.staleListsClearedBelow), lt: end, limit: 1 }).all();
      if (entry === undefined) break;
      // In slices, so that no single step holds the event loop for long;
      // the list goes with its last slice (a crash before: it is redone).
      const records = decodeStaleList(entry[1]);
      for (let i = 0; i < records.length || i === 0; i += PRUNE_SLICE) {
        const slice = records.slice(i, i + PRUNE_SLICE);
        // Nodes first: the list that names them goes last, with the other records.
        if (slice.some((record) => record[0] === NODE_TAG)) {
          const nodes = this.nodesDb.batch();
          for (const record of slice) if (record[0] === NODE_TAG) nodes.del(record);
          await nodes.write();
        }
        const batch = this.db.batch();
        for (const record of slice) if (record[0] !== NODE_TAG) batch.del(record);
        if (i + PRUNE_SLICE >= records.length) batch.del(entry[0]);
        await batch.write();
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.closed) return false;
      }
      this.staleListsClearedBelow = readU64(entry[0], 1) + 1;
    }
    // Later commits write their lists at versions >= below (each above prunedThrough + 1 then).
    this.staleListsClearedBelow = below;
    return true;
  }
}

/** Where commit() puts its records: a LevelDB batch, or the deferred records. */
interface RecordSink {
  put(key: Buffer, value: Uint8Array): unknown;
  del(key: Buffer): unknown;
  close(): Promise<void>;
}

/** Deferred commits' records by LevelDB key (latin1); null: deleted. Later commits overwrite earlier ones, as a batch would. */
class DeferredRecords implements RecordSink {
  readonly records = new Map<string, Uint8Array | null>();

  put(key: Buffer, value: Uint8Array): void {
    // A copy: a tree node's record is a view into its block's buffer of writes (tree.ts NodeWrites), which it would keep whole.
    this.records.set(key.toString('latin1'), new Uint8Array(value));
  }

  del(key: Buffer): void {
    this.records.set(key.toString('latin1'), null);
  }

  /** Nothing to release (commit() closes a batch it could not fill). */
  async close(): Promise<void> {}
}

/** Puts the commit's nodes from `start` to `end` (its written nodes, then its moved leaves; all by default) into `nodes`. */
function stageNodes(nodes: RecordSink, tree: TreeUpdateResult, start = 0, end = tree.writes.count + tree.moved.length): void {
  const writes = tree.writes;
  for (let i = start; i < Math.min(end, writes.count); i++) nodes.put(writes.key(i), writes.record(i));
  for (let i = Math.max(start, writes.count); i < end; i++) {
    const { key, record } = tree.moved[i - writes.count]!;
    nodes.put(latin1(key), latin1(record));
  }
}

/** The extra records as LevelDB keys; throws StoreUsageError, before anything is written, for a key that is not a well-formed string. */
function checkedExtras(extra: Iterable<readonly [string, Change]> | undefined): Array<readonly [Buffer, Change]> {
  const checked: Array<readonly [Buffer, Change]> = [];
  if (extra === undefined) return checked;
  for (const [key, change] of extra) {
    if (typeof key !== 'string' || !isWellFormedKey(key)) {
      throw new StoreUsageError(`invalid extra key ${JSON.stringify(key)}: keys must be well-formed strings`);
    }
    checked.push([Buffer.from(EXTRA_PREFIX + key, 'utf8'), change]);
  }
  return checked;
}

/** A moving leaf's record (tree.ts TreeUpdateResult.moved) as read from under `from`, checked to be a leaf's. */
function movedLeafRecord(bytes: Uint8Array | null | undefined, from: string): string {
  const record = bytes === null || bytes === undefined ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let problem = record === undefined ? 'missing' : undefined;
  if (record !== undefined) {
    try {
      if (decodeNodeString(record).kind !== 'leaf') problem = 'not a leaf';
    } catch (err) {
      problem = (err as Error).message;
    }
  }
  if (problem !== undefined) {
    throw new StoreCorruptionError(`state store is corrupt: the leaf a commit moves (version ${readU64(latin1(from), 1)}, depth ${from.charCodeAt(9)}): ${problem}`);
  }
  return record!;
}

const S = Buffer.from('s');
const S_TAG = 0x73; // 's'
/** Tree nodes' keys start with 'N' (tree.ts nodeKey). */
const NODE_TAG = 0x4e;
const AFTER_N = Buffer.from('O');
const AFTER_S = Buffer.from('t');
const D = Buffer.from('d');
const AFTER_D = Buffer.from('e');
const EMPTY_RECORD = Buffer.alloc(0);
const EXTRA_PREFIX = 'x:';

/** Where the tree nodes' database lives: inside the store's directory, so that the two go together. */
export function nodesDir(dir: string): string {
  return join(dir, 'nodes');
}

/**
 * Where a commit's wall time went, in ms ({@link writeNodesThenRest};
 * docs/STORE.md "One commit record per Commit").
 */
export interface CommitPhases {
  /** Staging the nodes' batches and handing each to LevelDB (this thread). */
  nodesStaged: number;
  /** The `meanwhile` work: the other records and the caches, while LevelDB writes the nodes (this thread). */
  restStaged: number;
  /** Waiting, after that, for the reads of the leaves the block moves up (TreeUpdateResult.moved), begun when the commit began. */
  movedLeavesRead: number;
  /** Waiting, after that, for LevelDB to finish writing the nodes (and the moved leaves). */
  nodesWait: number;
  /** Writing the batch that holds the commit record. */
  restWritten: number;
}

/** The parts of a commit {@link writeNodesThenRest} times. */
type WritePhases = Omit<CommitPhases, 'movedLeavesRead'>;

/**
 * A commit's nodes first, on disk before anything names them (synced: a
 * power loss must not keep a commit record whose nodes it lost), then the
 * commit's other records, whose batch holds its commit record. Each batch
 * of `nodes` is handed to LevelDB as soon as the iterable yields it, so
 * LevelDB's threads write the first while this thread stages the next
 * ({@link stagedNodeBatches}); `meanwhile` runs on this thread after the
 * last is handed over, and may fill `rest`; then the batch `late` gives,
 * if any, is written as the nodes are (the moved leaves, once read).
 * Returns how long each part took (`late`'s own wait is the caller's to time).
 */
export async function writeNodesThenRest(
  nodes: Iterable<WritableBatch>,
  rest: WritableBatch,
  sync: boolean,
  meanwhile?: () => void,
  late?: () => Promise<WritableBatch | undefined>,
): Promise<WritePhases> {
  const written: Array<Promise<void>> = [];
  let failure: { reason: unknown } | undefined;
  const started = performance.now();
  let handedOver = started;
  let staged = started;
  try {
    for (const batch of nodes) written.push(batch.write({ sync: true })); // on LevelDB's threads from here
    handedOver = performance.now();
    meanwhile?.();
    staged = performance.now();
    const lateBatch = await late?.();
    if (lateBatch !== undefined) written.push(lateBatch.write({ sync: true }));
  } catch (err) {
    failure = { reason: err };
  }
  const lateDone = performance.now();
  // Every write settled before anything else happens, failed or not.
  const refused = (await Promise.allSettled(written)).find((r) => r.status === 'rejected');
  failure ??= refused === undefined ? undefined : { reason: refused.reason };
  if (failure !== undefined) {
    await rest.close();
    throw failure.reason;
  }
  const nodesWritten = performance.now();
  await rest.write({ sync });
  return { nodesStaged: handedOver - started, restStaged: staged - handedOver, nodesWait: nodesWritten - lateDone, restWritten: performance.now() - nodesWritten };
}

/**
 * A block with at least this many nodes writes them in two batches:
 * LevelDB writes the first (≈ 150 ms for 35,000 nodes at 10,000,000 keys)
 * while the second is staged (≈ 45 ms), instead of after. A smaller block
 * keeps one batch and one fsync (and one more for the leaves it moves up,
 * if it deletes keys: they are written once read, in a batch of their own).
 */
const SPLIT_NODE_BATCHES_FROM = 16_384;

/**
 * A commit's written nodes (not its moved leaves) in `batches` (one, two
 * for a large block), each staged when the iteration asks for it (see
 * {@link writeNodesThenRest}).
 */
function* stagedNodeBatches(batches: readonly [ReusedBatch, ReusedBatch], tree: TreeUpdateResult): Generator<WritableBatch> {
  const total = tree.writes.count;
  const split = total >= SPLIT_NODE_BATCHES_FROM ? Math.ceil(total / 2) : Math.max(total, 1);
  for (let start = 0, i = 0; start === 0 || start < total; start += split, i++) {
    const batch = batches[i]!.begin();
    try {
      stageNodes(batch, tree, start, Math.min(total, start + split));
    } catch (err) {
      void batch.close();
      throw err;
    }
    yield batch;
  }
}

/** {@link CommitPhases} in whole ms, as the commit log line's fields. */
function roundedPhases(phases: CommitPhases): Record<string, number> {
  return {
    nodesStagedMs: Math.round(phases.nodesStaged),
    restStagedMs: Math.round(phases.restStaged),
    movedLeavesReadMs: Math.round(phases.movedLeavesRead),
    nodesWaitMs: Math.round(phases.nodesWait),
    restWrittenMs: Math.round(phases.restWritten),
  };
}

/** A batch {@link writeNodesThenRest} writes: classic-level's chained batch, or a {@link ReusedBatch}. */
interface WritableBatch {
  write(options: { sync: boolean }): Promise<void>;
  close(): Promise<void>;
}

function latin1(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

// Record builders, shared with bulk-load.ts (the layout is in the header comment).

/** 's' key, in `arena`. */
export function latestKey(arena: ByteArena, key: string): Buffer {
  const out = arena.reserve(1 + 3 * key.length); // UTF-8 takes at most 3 bytes per UTF-16 code unit
  const at = arena.at;
  out[at] = S_TAG;
  return arena.claim(1 + out.write(key, at + 1, 'utf8'));
}

/** u64 version || value, in `arena`; `vs` is the version as u64String. */
export function latestRecord(arena: ByteArena, vs: string, value: Uint8Array): Buffer {
  const out = arena.reserve(8 + value.length);
  const at = arena.at;
  out.write(vs, at, 'latin1');
  out.set(value, at + 8);
  return arena.claim(8 + value.length);
}

/** 'd' key 0x00 u64 version, in `arena`. */
export function deletionKey(arena: ByteArena, key: string, vs: string): Buffer {
  const out = arena.reserve(3 * key.length + 10);
  const at = arena.at;
  out[at] = 0x64;
  const end = at + 1 + out.write(key, at + 1, 'utf8');
  out[end] = 0;
  out.write(vs, end + 1, 'latin1');
  return arena.claim(end + 9 - at);
}

/** The state key's bytes in a deletion record's key. */
function deletedKeyBytes(dbKey: Buffer): Buffer {
  return dbKey.subarray(1, dbKey.length - 9);
}

/** An iterator's rows one at a time, with a look at the next before taking it. */
class PeekableRows {
  private rows: Array<[Buffer, Uint8Array]> = [];
  private at = 0;
  private done = false;

  constructor(private readonly iterator: LevelIterator<ClassicLevel<Buffer, Uint8Array>, Buffer, Uint8Array>) {}

  async peek(): Promise<[Buffer, Uint8Array] | undefined> {
    if (this.at === this.rows.length && !this.done) {
      this.rows = await this.iterator.nextv(1024);
      this.at = 0;
      this.done = this.rows.length === 0;
    }
    return this.rows[this.at];
  }

  take(): void {
    this.at++;
  }

  close(): Promise<void> {
    return this.iterator.close();
  }
}

export function rootKey(version: number): Buffer {
  return latin1('r' + u64String(version));
}

function staleKey(since: number): Buffer {
  return latin1('p' + u64String(since));
}

/** A stored stale list's keys (tree.ts StaleList). */
function decodeStaleList(bytes: Uint8Array): Buffer[] {
  try {
    return StaleList.decode(bytes);
  } catch (err) {
    throw new StoreCorruptionError(`state store is corrupt: ${(err as Error).message} (a version's stale list)`);
  }
}

export function resolve(ref: ChildRef | undefined, version: number): ChildRef | undefined {
  return ref === undefined || ref.version !== NEW_VERSION ? ref : { ...ref, version };
}

export function encodeRoot(root: ChildRef | undefined): Buffer {
  if (root === undefined) return Buffer.from([0]);
  const out = Buffer.alloc(1 + 8 + 1 + HASH_LEN);
  out[0] = 1;
  out.write(u64String(root.version), 1, 'latin1');
  out[9] = root.leaf ? 1 : 0;
  out.write(root.hash, 10, 'latin1');
  return out;
}

function decodeRoot(bytes: Uint8Array): ChildRef | undefined {
  if (bytes.length === 1 && bytes[0] === 0) return undefined;
  if (bytes.length !== 1 + 8 + 1 + HASH_LEN || bytes[0] !== 1) throw new StoreCorruptionError(`malformed root record (${bytes.length} bytes)`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { version: readU64(b, 1), leaf: b[9] === 1, hash: b.toString('latin1', 10, 10 + HASH_LEN) };
}

export function encodeMeta(height: number, appHash: Uint8Array, keys: number): Uint8Array {
  const out = Buffer.alloc(META_LEN);
  out[0] = STORE_FORMAT;
  out.write(u64String(height), 1, 'latin1');
  out.set(appHash, 9);
  out.write(u64String(keys), 9 + HASH_LEN, 'latin1');
  return out;
}

function decodeMeta(meta: Uint8Array, dir: string): { height: number; appHash: Uint8Array; keys: number } {
  const older = meta.length === META_LEN ? OLDER_FORMATS.get(meta[0]!) : undefined;
  if (older !== undefined) {
    throw new StoreCorruptionError(
      `state store ${dir} is format ${meta[0]} (${older}), written by an older cmtd; this one reads format ${STORE_FORMAT} and does not convert it: rebuild the state (sync the node again, or cmtd replay)`,
    );
  }
  if (meta.length !== META_LEN || meta[0] !== STORE_FORMAT) {
    throw new StoreCorruptionError(
      `state store ${dir}: unrecognised commit record (m:commit, ${meta.length} bytes, format ${meta[0]}): expected ${META_LEN} bytes, format ${STORE_FORMAT}`,
    );
  }
  return { height: readU64(meta, 1), appHash: plainCopy(meta, 9, 9 + HASH_LEN), keys: readU64(meta, 9 + HASH_LEN) };
}

function readU64(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(offset, false) * 0x1_0000_0000 + view.getUint32(offset + 4, false);
}

/** The smallest byte string greater than every byte string starting with `prefix` (prefix is non-empty, starts with 'x:'). */
function bytesAfterPrefix(prefix: Buffer): Buffer {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1]! += 1;
  return out;
}

/** A plain Uint8Array copy (own ArrayBuffer, byteOffset 0) of bytes [start, end). */
function plainCopy(buf: Uint8Array, start: number, end = buf.length): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(buf.subarray(start, end));
  return out;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
