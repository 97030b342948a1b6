/**
 * A LevelDB batch that keeps its native memory from one commit to the next.
 *
 * classic-level's chained batch builds its operations in a native
 * `leveldb::WriteBatch` that it frees only when V8 collects the batch
 * object, so each commit's batches (≈ 22 MB of node records a 20,000-key
 * block at 10,000,000 keys) grow into fresh memory: the copies of every
 * doubling, and a minor page fault for each new page (≈ 8,500 a block,
 * several µs each on a VM). A batch kept and cleared after its write
 * reuses memory that is already mapped: `bench/leveldb-batch.ts` stages a
 * block's nodes in about half the time (BENCHMARKS.md 2026-12-07 21:05).
 *
 * The public chained-batch API closes a batch once it is written, so this
 * drives the batch through abstract-level's implementation methods
 * (`_put`, `_del`, `_clear`, `_write`: abstract-level's README, "Private
 * API for implementors"), which classic-level implements directly on its
 * native batch: no encodings, hooks or checks between them and LevelDB.
 * Keys and values must therefore be bytes already, as the store's are.
 */
import type { ClassicLevel } from 'classic-level';

/** What a batch's implementation methods look like (abstract-level's README, "Private API for implementors"). */
interface ImplementationMethods {
  _put(key: Uint8Array, value: Uint8Array, options: object): void;
  _del(key: Uint8Array, options: object): void;
  _clear(): void;
  _write(options: { sync: boolean }): Promise<void>;
}

const METHODS = ['_put', '_del', '_clear', '_write'] as const;

/**
 * A kept batch that staged more than this is dropped after its write: a
 * 20,000-key block at 10,000,000 keys stages ≈ 11 MB in each of its two
 * node batches, and a native batch keeps up to twice what it held, so a
 * store's four (committed-store.ts) keep at most ≈ 4 × 64 MiB however
 * large one block was.
 */
export const MAX_KEPT_BATCH_BYTES = 32 * 2 ** 20;
const NO_OPTIONS = {};

/**
 * The batch of `db` as its implementation methods; throws unless
 * classic-level's own batch class defines them, since abstract-level's
 * defaults of `_put` and `_del` do nothing and a batch driven through
 * them would lose every record.
 */
function implementationOf(db: ClassicLevel<Buffer, Uint8Array>): ImplementationMethods & { close(): Promise<void> } {
  const batch = db.batch();
  const own = Object.getPrototypeOf(batch) as object;
  const missing = METHODS.filter((m) => !Object.hasOwn(own, m));
  if (missing.length > 0) {
    void batch.close();
    throw new Error(`classic-level's chained batch does not implement ${missing.join(', ')}: this store needs a classic-level that writes its batches natively`);
  }
  return batch as unknown as ImplementationMethods & { close(): Promise<void> };
}

export class ReusedBatch {
  private batch: (ImplementationMethods & { close(): Promise<void> }) | undefined;
  /** Bytes put since the last clear: past {@link maxKeptBytes} the native memory is given back after the write. */
  private staged = 0;
  private writing = false;

  /**
   * @param maxKeptBytes a batch that held more than this is dropped after
   *   its write (its memory freed when V8 collects it) and a new one begun,
   *   so one huge block does not keep its size for good
   */
  constructor(
    private readonly db: ClassicLevel<Buffer, Uint8Array>,
    private readonly maxKeptBytes: number,
  ) {}

  /** Empty, ready to be filled; throws while a write of it is under way (LevelDB's thread reads its memory). */
  begin(): this {
    if (this.writing) throw new Error('a reused batch was begun while its last write is under way');
    this.batch ??= implementationOf(this.db);
    this.batch._clear();
    this.staged = 0;
    return this;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.batch!._put(key, value, NO_OPTIONS);
    this.staged += key.length + value.length;
  }

  del(key: Uint8Array): void {
    this.batch!._del(key, NO_OPTIONS);
    this.staged += key.length;
  }

  /** Writes what was put since {@link begin} (nothing: no write). */
  async write(options: { sync: boolean }): Promise<void> {
    const batch = this.batch!;
    this.writing = true;
    try {
      await batch._write(options);
    } finally {
      this.writing = false;
      this.discard();
    }
  }

  /** Done with what was put since {@link begin}, written or not (the next begin clears it). */
  async close(): Promise<void> {
    if (!this.writing) this.discard();
  }

  private discard(): void {
    if (this.staged > this.maxKeptBytes && this.batch !== undefined) {
      void this.batch.close();
      this.batch = undefined;
    }
    this.staged = 0;
  }
}
