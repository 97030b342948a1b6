/**
 * The binary folds of the internal nodes an update rewrites above
 * FLAT_DEPTH (docs/STORE.md "The commitment": fold16), deferred to the end
 * of the update and hashed level by level, every node of a depth at once.
 *
 * A 20,000-key block at 10,000,000 keys rewrites ≈ 21,500 such nodes and
 * their folds take ≈ 140,000 pair hashes. Hashed one call each (Node's
 * crypto), they cost ≈ 235 ms of the block; here a level of all the nodes
 * of one depth is one call of {@link sha256Pairs}: 20 calls a block.
 *
 * Every fold is hashed whole (15 pair hashes), changed slots or not: at
 * ≈ 40 ns a hash that costs less than choosing which pairs to skip. A
 * node's hash is known only once the nodes below it are, so until
 * {@link DeferredFolds.resolve} the update carries a placeholder for it
 * ({@link isPendingHash}), and the records that name it as a child get the
 * hash written in afterwards ({@link DeferredFolds.patchAt}).
 */
import { sha256Pairs } from '../util/sha256.js';

const HASH_LEN = 32;
/** Bytes of a level of one fold: 16 slots, then 8, 4, 2, 1 pair hashes. */
const LEVEL_BYTES = [16 * HASH_LEN, 8 * HASH_LEN, 4 * HASH_LEN, 2 * HASH_LEN, HASH_LEN] as const;

/** A placeholder hash: 3 UTF-16 units (never a 32-character hash) naming (depth, fold). */
function placeholder(depth: number, index: number): string {
  return String.fromCharCode(0x100 + depth, index >>> 16, index & 0xffff);
}

/** Whether `hash` is a placeholder of a fold not yet hashed (rather than a 32-character hash). */
export function isPendingHash(hash: string): boolean {
  return hash.length !== HASH_LEN;
}

/** The folds of one depth. */
class DepthFolds {
  count = 0;
  /** Levels 0 (the slots) to 4 (the node's hash), each `count` × LEVEL_BYTES[level] bytes. */
  levels: Buffer[] = LEVEL_BYTES.map((bytes) => Buffer.allocUnsafe(bytes * 64));
  /** Per fold: bit i set iff slot i is not EMPTY. */
  present = new Uint16Array(64);
  /** Slots that wait for a fold one level down: (fold, slot, child fold) triples. */
  readonly pendingSlots: number[] = [];

  /** Room for one more fold; returns its index. */
  add(): number {
    const i = this.count;
    if (i === this.present.length) {
      this.levels = this.levels.map((level) => {
        const grown = Buffer.allocUnsafe(level.length * 2);
        level.copy(grown);
        return grown;
      });
      const present = new Uint16Array(i * 2);
      present.set(this.present);
      this.present = present;
    }
    this.present[i] = 0;
    this.levels[0]!.fill(0, i * LEVEL_BYTES[0], (i + 1) * LEVEL_BYTES[0]); // a slot not set is EMPTY
    this.count = i + 1;
    return i;
  }

  /** Empty again, keeping the buffers' room. */
  clear(): void {
    this.count = 0;
    this.pendingSlots.length = 0;
  }
}

export class DeferredFolds {
  /** Folds a finished update gave back: the next one reuses their buffers (≈ 17 MB a block at 10,000,000 keys, grown by doubling otherwise). */
  private static spare: DeferredFolds | undefined;
  private readonly depths: DepthFolds[];
  /** Record bytes to fill with a fold's hash: (offset, depth, fold) triples. */
  private readonly patches: number[] = [];

  constructor(private readonly flatDepth: number) {
    this.depths = Array.from({ length: flatDepth }, () => new DepthFolds());
  }

  /** Empty folds, in the buffers of the ones released last if they have the same depth. */
  static reusing(flatDepth: number): DeferredFolds {
    const spare = DeferredFolds.spare;
    DeferredFolds.spare = undefined;
    return spare !== undefined && spare.flatDepth === flatDepth ? spare : new DeferredFolds(flatDepth);
  }

  /** Gives the buffers to the next update: nothing may be read from these folds after this. */
  release(): void {
    for (const d of this.depths) d.clear();
    this.patches.length = 0;
    DeferredFolds.spare = this;
  }

  /**
   * A new fold of a node at `depth`; its slots are then set with
   * {@link setSlot} / {@link setSlotFrom}. Returns the node's placeholder hash.
   */
  add(depth: number): { fold: number; hash: string } {
    const fold = this.depths[depth]!.add();
    return { fold, hash: placeholder(depth, fold) };
  }

  /** Slot `n` of fold (depth, fold) holds `hash`: a 32-character hash (EMPTY for none) or a placeholder from depth + 1. */
  setSlot(depth: number, fold: number, n: number, hash: string, empty: boolean): void {
    if (empty) return; // add() left the slot EMPTY
    const d = this.depths[depth]!;
    d.present[fold]! |= 1 << n;
    if (isPendingHash(hash)) {
      if (hash.charCodeAt(0) - 0x100 !== depth + 1) throw new Error(`deferred fold at depth ${depth}: a pending child from depth ${hash.charCodeAt(0) - 0x100}`);
      d.pendingSlots.push(fold, n, (hash.charCodeAt(1) << 16) | hash.charCodeAt(2));
      return;
    }
    const slots = d.levels[0]!;
    const at = fold * LEVEL_BYTES[0] + n * HASH_LEN;
    for (let i = 0; i < HASH_LEN; i++) slots[at + i] = hash.charCodeAt(i);
  }

  /** Slot `n` of fold (depth, fold) holds the hash at `at` in `record`, a child that did not change; `empty` if the slot has none. */
  setSlotFrom(depth: number, fold: number, n: number, record: Uint8Array, at: number, empty: boolean): void {
    if (empty) return; // add() left the slot EMPTY
    const d = this.depths[depth]!;
    const slots = d.levels[0]!;
    const to = fold * LEVEL_BYTES[0] + n * HASH_LEN;
    d.present[fold]! |= 1 << n;
    for (let i = 0; i < HASH_LEN; i++) slots[to + i] = record[at + i]!;
  }

  /** The 32 bytes at `offset` of the update's writes are to hold the hash `hash` stands for. */
  patchAt(offset: number, hash: string): void {
    this.patches.push(offset, hash.charCodeAt(0) - 0x100, (hash.charCodeAt(1) << 16) | hash.charCodeAt(2));
  }

  /** Hashes every fold, deepest depth first, and writes the hashes into the patched record bytes of `out`. */
  resolve(out: Buffer | undefined): void {
    for (let depth = this.flatDepth - 1; depth >= 0; depth--) {
      const d = this.depths[depth]!;
      if (d.count === 0) continue;
      const below = this.depths[depth + 1];
      const slots = d.levels[0]!;
      for (let i = 0; i < d.pendingSlots.length; i += 3) {
        const fold = d.pendingSlots[i]!;
        const n = d.pendingSlots[i + 1]!;
        below!.levels[4]!.copy(slots, fold * LEVEL_BYTES[0] + n * HASH_LEN, d.pendingSlots[i + 2]! * HASH_LEN, (d.pendingSlots[i + 2]! + 1) * HASH_LEN);
      }
      for (let level = 1; level <= 4; level++) {
        const input = d.levels[level - 1]!.subarray(0, d.count * LEVEL_BYTES[level - 1]!);
        const output = d.levels[level]!.subarray(0, d.count * LEVEL_BYTES[level]!);
        sha256Pairs(input, output);
        clearEmptyPairs(d, level, output);
      }
    }
    if (out !== undefined) {
      for (let i = 0; i < this.patches.length; i += 3) {
        const d = this.depths[this.patches[i + 1]!]!;
        d.levels[4]!.copy(out, this.patches[i]!, this.patches[i + 2]! * HASH_LEN, (this.patches[i + 2]! + 1) * HASH_LEN);
      }
    }
  }

  /** The hash `hash` stands for (after {@link resolve}), or `hash` itself if it is one. */
  hashOf(hash: string): string {
    if (!isPendingHash(hash)) return hash;
    const d = this.depths[hash.charCodeAt(0) - 0x100]!;
    const fold = (hash.charCodeAt(1) << 16) | hash.charCodeAt(2);
    return d.levels[4]!.toString('latin1', fold * HASH_LEN, (fold + 1) * HASH_LEN);
  }
}

/**
 * pair(EMPTY, EMPTY) = EMPTY: zeroes the hashes of `level` whose two inputs
 * were both EMPTY (sha256 of 64 zero bytes is not EMPTY).
 */
function clearEmptyPairs(d: DepthFolds, level: number, output: Buffer): void {
  const width = 16 >> level; // pairs per fold at this level
  const span = 1 << level; // slots below each of them
  const all = (1 << span) - 1;
  for (let fold = 0; fold < d.count; fold++) {
    const present = d.present[fold]!;
    if (present === 0xffff) continue;
    for (let p = 0; p < width; p++) {
      if (((present >> (p * span)) & all) !== 0) continue;
      const at = (fold * width + p) * HASH_LEN;
      output.fill(0, at, at + HASH_LEN);
    }
  }
}
