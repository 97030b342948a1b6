/**
 * Prunes the block/transaction/log index (records.ts) below the retain
 * height the app gives CometBFT (--min-retain-blocks), so the app keeps the
 * same blocks as CometBFT's block store.
 *
 * Bounded work per block: between commits, the pruner reads the records of
 * at most `blocksPerCommit` of the oldest blocks (and stops early after
 * 20,000 records) and prepares their deletes;
 * the next Commit writes them, with the new `index/base`, in its own batch
 * (crash safe: a block's records and the base move together). Reads happen
 * in the background, never inside Commit.
 */
import type { Change } from '../store/kv.js';
import type { Logger } from '../util/logger.js';
import { INDEX_BASE_KEY, blockHashKey, decodeBlock, decodeHeight, decodeRejected, encodeHeight, heightKey, openingKey, rejectedKey, txKey } from './records.js';

/** Blocks whose records one Commit deletes at most. */
export const DEFAULT_PRUNE_BLOCKS_PER_COMMIT = 100;
/** Records one Commit deletes at most (whole blocks: one block with more is still deleted at once). */
const MAX_RECORDS_PER_COMMIT = 20_000;

export interface PrunableIndexStore {
  getExtra(key: string): Promise<Uint8Array | undefined>;
}

/** The oldest indexed height recorded in `store` (1 when nothing was ever pruned). */
export async function readIndexBase(store: PrunableIndexStore): Promise<bigint> {
  const raw = await store.getExtra(INDEX_BASE_KEY);
  return raw === undefined ? 1n : decodeHeight(raw);
}

/** The `extra` record that says the index starts at `base`. */
export function indexBaseRecord(base: bigint): [string, Uint8Array] {
  return [INDEX_BASE_KEY, encodeHeight(base)];
}

export class IndexPruner {
  private readonly store: PrunableIndexStore;
  private readonly blocksPerCommit: number;
  private readonly log: Logger | undefined;
  /** Oldest height whose records are still on disk. */
  private base = 1n;
  /** Deletes of blocks [base, upTo), ready for the next Commit. */
  private prepared: { upTo: bigint; changes: Array<[string, Change]> } | undefined;
  private preparing: Promise<void> | undefined;

  constructor(store: PrunableIndexStore, options: { blocksPerCommit?: number; logger?: Logger } = {}) {
    this.store = store;
    this.blocksPerCommit = options.blocksPerCommit ?? DEFAULT_PRUNE_BLOCKS_PER_COMMIT;
    this.log = options.logger?.child({ module: 'index' });
  }

  async open(): Promise<void> {
    this.base = await readIndexBase(this.store);
  }

  /** Oldest indexed height. */
  get oldest(): bigint {
    return this.base;
  }

  /** The state was restored from a snapshot of `height`: the index starts after it. */
  restored(height: bigint): void {
    this.base = height + 1n;
    this.prepared = undefined;
  }

  /**
   * The index changes for the Commit whose retain height is `retain` (0:
   * keep all): the prepared deletes of blocks below it, if any, and the new
   * base. Starts preparing the next ones in the background.
   */
  take(retain: bigint): Array<[string, Change]> {
    if (retain <= this.base) return [];
    let changes: Array<[string, Change]> = [];
    const ready = this.prepared;
    if (ready !== undefined && ready.upTo <= retain) {
      this.prepared = undefined;
      changes = [...ready.changes, indexBaseRecord(ready.upTo)];
      this.base = ready.upTo;
    }
    if (this.preparing === undefined && this.prepared === undefined && retain > this.base) {
      const from = this.base;
      const upTo = retain - from > BigInt(this.blocksPerCommit) ? from + BigInt(this.blocksPerCommit) : retain;
      this.preparing = this.prepare(from, upTo)
        .catch((err: unknown) => {
          this.log?.error('cannot prepare index pruning (retried after the next block)', { error: (err as Error).message });
        })
        .finally(() => {
          this.preparing = undefined;
        });
    }
    return changes;
  }

  /** Resolves when no preparation runs (tests). */
  async idle(): Promise<void> {
    while (this.preparing !== undefined) await this.preparing;
  }

  private async prepare(from: bigint, upTo: bigint): Promise<void> {
    const changes: Array<[string, Change]> = [];
    let h = from;
    for (; h < upTo && changes.length < MAX_RECORDS_PER_COMMIT; h++) {
      const raw = await this.store.getExtra(heightKey(h));
      if (raw === undefined) continue;
      const block = decodeBlock(raw);
      changes.push([heightKey(h), null], [openingKey(h), null]);
      if (block.hash.length === 32) changes.push([blockHashKey(block.hash), null]);
      // An executed transaction is in one block only (its nonce is used).
      for (const t of block.txs) changes.push([txKey(t.hash), null]);
      // A transaction refused in two blocks keeps the later record: delete only this block's.
      for (const hash of block.rejected) {
        const r = await this.store.getExtra(rejectedKey(hash));
        if (r !== undefined && decodeRejected(r).height === h) changes.push([rejectedKey(hash), null]);
      }
    }
    if (this.base === from) this.prepared = { upTo: h, changes };
  }
}
