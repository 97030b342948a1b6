/**
 * The committed state: every consensus key held in memory, persisted to
 * LevelDB (classic-level), committed to by a bucketed Merkle tree whose root
 * is the app hash (see merkle.ts and docs/STORE.md).
 *
 * LevelDB layout (keys are UTF-8 strings):
 *
 *   s:<key>     consensus state: the Merkle-committed key/value pairs
 *   m:commit    meta: 0x01 || height (u64 big-endian) || appHash (32 bytes)
 *   x:<key>     extra, non-consensus records (block / tx indexes ...);
 *               never part of the Merkle state
 *
 * A commit is ONE LevelDB batch holding every state change, every extra
 * record and the meta record, so a crash (kill -9) at any instant leaves
 * either the previous or the new commit on disk, never a mix. Memory is
 * updated only after the batch is written.
 *
 * Limits: the whole state must fit in RAM (it is loaded at open). Values
 * handed to the store are copied; values returned by `get` are shared and
 * must not be mutated by the caller. They are always plain Uint8Arrays with
 * their own ArrayBuffer (byteOffset 0), loaded or committed alike.
 */
import { ClassicLevel } from 'classic-level';

import type { Logger } from '../util/logger.js';
import type { Change, KVReader } from './kv.js';
import {
  MerkleTree,
  MerkleTreeBuilder,
  emptyRoot,
  isWellFormedKey,
  verifyProof as verifyMerkleProof,
  type MerkleProof,
  type PendingTree,
} from './merkle.js';

const STATE_PREFIX = 's:';
const STATE_END = 's;'; // ';' is ':' + 1: the range [s:, s;) holds exactly the s: keys
const EXTRA_PREFIX = 'x:';
const META_KEY = 'm:commit';
const META_VERSION = 1;
const META_LEN = 1 + 8 + 32;
const U64_MAX = (1n << 64n) - 1n;

/** The on-disk state does not match its recorded app hash, or is unreadable. */
export class StoreCorruptionError extends Error {
  override readonly name = 'StoreCorruptionError';
}

/** The store was used against its contract (stale root, wrong height, ...). */
export class StoreUsageError extends Error {
  override readonly name = 'StoreUsageError';
}

export interface CommittedStoreOptions {
  logger?: Logger;
  /**
   * fsync each commit batch (LevelDB `sync`). Without it a commit survives a
   * process crash (kill -9) but the last commits may be lost on power loss,
   * which CometBFT's handshake replays. Default false.
   */
  sync?: boolean;
}

/**
 * The root of (committed state + changes), computed without applying them.
 * Pass it to {@link CommittedStore.commit} so nothing is hashed twice. Valid
 * only until the next computeRoot or commit on the same store (the tree
 * reuses its scratch buffers); committing a stale one throws.
 */
export class PendingRoot {
  /** The app hash the state will have after the commit. */
  readonly root: Uint8Array;
  /** @internal */
  readonly owner: CommittedStore;
  /** @internal normalized changes (last write wins; values copied) */
  readonly changes: ReadonlyMap<string, Change>;
  /** @internal */
  readonly tree: PendingTree;

  /** @internal */
  constructor(owner: CommittedStore, changes: ReadonlyMap<string, Change>, tree: PendingTree) {
    this.owner = owner;
    this.changes = changes;
    this.tree = tree;
    this.root = tree.root;
  }

  /** Number of distinct keys changed. */
  get size(): number {
    return this.changes.size;
  }
}

export class CommittedStore implements KVReader {
  private readonly db: ClassicLevel<string, Uint8Array>;
  private readonly state: Map<string, Uint8Array>;
  private readonly tree: MerkleTree;
  private readonly logger: Logger | undefined;
  private readonly sync: boolean;
  private _height: bigint;
  private _appHash: Uint8Array;
  private committing = false;
  private closed = false;

  private constructor(
    db: ClassicLevel<string, Uint8Array>,
    state: Map<string, Uint8Array>,
    tree: MerkleTree,
    height: bigint,
    appHash: Uint8Array,
    options: CommittedStoreOptions,
  ) {
    this.db = db;
    this.state = state;
    this.tree = tree;
    this._height = height;
    this._appHash = appHash;
    this.logger = options.logger;
    this.sync = options.sync ?? false;
  }

  /**
   * Opens (creating if needed) the store in `dir`, loads the whole state,
   * rebuilds the Merkle tree and checks its root against the recorded app
   * hash. Throws {@link StoreCorruptionError} if they differ.
   */
  static async open(dir: string, options: CommittedStoreOptions = {}): Promise<CommittedStore> {
    const started = performance.now();
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (err) {
      // e.g. the LOCK is held by another process using the same home directory
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new Error(`cannot open the state store ${dir} (is another cmtd using it?)${cause}`, { cause: err });
    }
    try {
      const meta = await db.get(META_KEY);
      let height = 0n;
      let appHash = emptyRoot();
      if (meta !== undefined) ({ height, appHash } = decodeMeta(meta));

      const state = new Map<string, Uint8Array>();
      const builder = new MerkleTreeBuilder();
      const it = db.iterator({ gte: STATE_PREFIX, lt: STATE_END });
      try {
        for (;;) {
          const batch = await it.nextv(4096);
          if (batch.length === 0) break;
          for (const [dbKey, buf] of batch) {
            const key = dbKey.slice(STATE_PREFIX.length);
            // LevelDB hands out Buffers (each with its own ArrayBuffer); keep plain
            // Uint8Arrays, as after a commit, so a restarted node behaves exactly
            // like one that never stopped.
            const value = plain(buf);
            state.set(key, value);
            builder.add(key, value);
          }
        }
      } finally {
        await it.close();
      }
      if (meta === undefined && state.size > 0) {
        throw new StoreCorruptionError(
          `state store ${dir}: ${state.size} state keys but no commit record (m:commit); the database is not a cmtd store or is damaged`,
        );
      }
      const tree = builder.finish();
      const root = tree.root();
      if (!bytesEqual(root, appHash)) {
        throw new StoreCorruptionError(
          `state store ${dir} is corrupt: at height ${height} the recorded app hash is ${hex(appHash)} ` +
            `but the ${state.size} stored keys hash to ${hex(root)}; restore the data directory from a backup or resync`,
        );
      }
      options.logger?.info('state store opened', {
        dir,
        height: height.toString(),
        appHash: hex(appHash),
        keys: state.size,
        ms: Math.round(performance.now() - started),
      });
      return new CommittedStore(db, state, tree, height, appHash, options);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** Last committed height (0n for an empty store). */
  get height(): bigint {
    return this._height;
  }

  /** Last committed app hash (the empty-state root for an empty store). A copy. */
  get appHash(): Uint8Array {
    return Uint8Array.from(this._appHash);
  }

  /** Number of keys in the committed state. */
  get size(): number {
    return this.state.size;
  }

  /** Every committed key and value, in no particular order (values shared: do not mutate). */
  entries(): IterableIterator<[string, Uint8Array]> {
    this.assertOpen();
    return this.state.entries();
  }

  /** The committed value of `key`. The bytes are shared: do not mutate them. */
  get(key: string): Uint8Array | undefined {
    return this.state.get(key);
  }

  /**
   * The root of (committed state + `changes`), without applying anything.
   * A Uint8Array sets a key, null deletes it; if a key repeats, the last
   * change wins. Costs two sha256 per changed key, one per touched bucket and
   * at most 4095 for the inner nodes. The result is handed to `commit`.
   */
  computeRoot(changes: Iterable<readonly [string, Change]>): PendingRoot {
    this.assertOpen();
    const normalized = new Map<string, Change>();
    for (const [key, change] of changes) {
      if (typeof key !== 'string' || !isWellFormedKey(key)) {
        throw new StoreUsageError(`invalid state key ${JSON.stringify(key)}: keys must be well-formed strings`);
      }
      if (change !== null && !(change instanceof Uint8Array)) {
        throw new StoreUsageError(`invalid value for state key ${JSON.stringify(key)}: expected Uint8Array or null`);
      }
      // new Uint8Array(x) copies (Buffer#slice would not) and yields a plain Uint8Array.
      normalized.set(key, change === null ? null : new Uint8Array(change));
    }
    return new PendingRoot(this, normalized, this.tree.prepare(normalized));
  }

  /**
   * Commits a block: applies `changes` (or a {@link PendingRoot} from
   * `computeRoot`), writing them, the `extra` records and (height, appHash)
   * in one LevelDB batch, then updates memory. `appHash` must equal the
   * computed root (a mismatch is a bug in the caller and writes nothing).
   * `height` must exceed the last committed height.
   */
  async commit(
    height: bigint,
    changes: PendingRoot | Iterable<readonly [string, Change]>,
    appHash: Uint8Array,
    extra?: Iterable<readonly [string, Change]>,
  ): Promise<void> {
    this.assertOpen();
    if (this.committing) throw new StoreUsageError('commit called while another commit is in progress');
    if (typeof height !== 'bigint' || height <= this._height || height > U64_MAX) {
      throw new StoreUsageError(`cannot commit height ${String(height)}: last committed height is ${this._height}`);
    }
    const pending = changes instanceof PendingRoot ? changes : this.computeRoot(changes);
    if (pending.owner !== this) throw new StoreUsageError('the PendingRoot belongs to another store');
    if (!bytesEqual(pending.root, appHash)) {
      throw new StoreUsageError(
        `app hash ${hex(appHash)} given for height ${height} does not match the computed root ${hex(pending.root)}`,
      );
    }

    if (!this.tree.isCurrent(pending.tree)) {
      throw new StoreUsageError(
        'stale PendingRoot: another root was computed or committed after it (only the latest computeRoot can be committed)',
      );
    }

    const batch = this.db.batch();
    try {
      for (const [key, change] of pending.changes) {
        if (change === null) batch.del(STATE_PREFIX + key);
        else batch.put(STATE_PREFIX + key, change);
      }
      if (extra !== undefined) {
        for (const [key, change] of extra) {
          if (typeof key !== 'string' || !isWellFormedKey(key)) {
            throw new StoreUsageError(`invalid extra key ${JSON.stringify(key)}: keys must be well-formed strings`);
          }
          if (change === null) batch.del(EXTRA_PREFIX + key);
          else batch.put(EXTRA_PREFIX + key, change);
        }
      }
      batch.put(META_KEY, encodeMeta(height, pending.root));
    } catch (err) {
      await batch.close();
      throw err;
    }

    const started = performance.now();
    this.committing = true;
    try {
      await batch.write({ sync: this.sync }); // closes the batch, on failure too
    } finally {
      this.committing = false;
    }
    // Written: now make it visible. Nothing below can fail.
    this.tree.apply(pending.tree);
    for (const [key, change] of pending.changes) {
      if (change === null) this.state.delete(key);
      else this.state.set(key, change);
    }
    this._height = height;
    this._appHash = Uint8Array.from(pending.root);
    this.logger?.debug('state committed', {
      height: height.toString(),
      appHash: hex(pending.root),
      changes: pending.changes.size,
      ms: Math.round(performance.now() - started),
    });
  }

  /** A non-consensus record written through `commit`'s `extra`. */
  async getExtra(key: string): Promise<Uint8Array | undefined> {
    this.assertOpen();
    const buf = await this.db.get(EXTRA_PREFIX + key);
    return buf === undefined ? undefined : plain(buf);
  }

  /**
   * Extra records whose key starts with `prefix`, in ascending key byte
   * order (descending with `reverse`), at most `limit` of them.
   */
  async scanExtra(
    prefix: string,
    options: { reverse?: boolean; limit?: number } = {},
  ): Promise<Array<[string, Uint8Array]>> {
    this.assertOpen();
    const start = Buffer.from(EXTRA_PREFIX + prefix, 'utf8');
    const it = this.db.iterator<Buffer, Uint8Array>({
      keyEncoding: 'buffer',
      gte: start,
      lt: bytesAfterPrefix(start),
      reverse: options.reverse ?? false,
      limit: options.limit ?? -1,
    });
    const rows = await it.all(); // closes the iterator
    return rows.map(([k, v]): [string, Uint8Array] => [k.toString('utf8', EXTRA_PREFIX.length), plain(v)]);
  }

  /** A proof of `key`'s committed value (or absence) against `appHash`. */
  prove(key: string): MerkleProof {
    return this.tree.prove(key, (k) => this.state.get(k));
  }

  /** Verifies a proof (pure; see merkle.ts). */
  static verifyProof(root: Uint8Array, key: string, value: Uint8Array | undefined, proof: MerkleProof): boolean {
    return verifyMerkleProof(root, key, value, proof);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUsageError('the state store is closed');
  }
}

function encodeMeta(height: bigint, appHash: Uint8Array): Uint8Array {
  const out = new Uint8Array(META_LEN);
  out[0] = META_VERSION;
  new DataView(out.buffer).setBigUint64(1, height, false);
  out.set(appHash, 9);
  return out;
}

function decodeMeta(meta: Uint8Array): { height: bigint; appHash: Uint8Array } {
  if (meta.length !== META_LEN || meta[0] !== META_VERSION) {
    throw new StoreCorruptionError(
      `unrecognised commit record (m:commit, ${meta.length} bytes, version ${meta[0]}): expected ${META_LEN} bytes, version ${META_VERSION}`,
    );
  }
  const height = new DataView(meta.buffer, meta.byteOffset, meta.byteLength).getBigUint64(1, false);
  return { height, appHash: meta.slice(9, 9 + 32) };
}

/** The smallest byte string greater than every byte string starting with `prefix` (prefix is non-empty, starts with 'x:'). */
function bytesAfterPrefix(prefix: Buffer): Buffer {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1]! += 1;
  return out;
}

/** A plain Uint8Array view of the same bytes (LevelDB returns Buffers). */
function plain(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
