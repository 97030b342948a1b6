/**
 * The tree-node cache: node records (latin1 strings, decoded on each use)
 * by their place in the tree (depth + path), each tagged with the version
 * that wrote it. A lookup of (version, place) hits only when the cached node
 * is that version's: a node's record is fixed by (version, depth, path), so
 * a hit is always the right record, and a place rewritten by a later commit
 * simply replaces its entry. Keyed by place rather than by version, the
 * cache holds the latest tree rather than every version a block replaced.
 *
 * Three parts, all outside V8's heap:
 * - the upper levels (depth < `upperDepth`), never evicted: every block
 *   rewrites nodes in them (a 20,000-key block touches a quarter of the
 *   65,536 depth-4 places), so they must not compete with deep nodes that
 *   a block rarely meets again. A slot per place (upper-nodes.ts): (16^upperDepth − 1) / 15 of
 *   them, the depth chosen so that a full set fits in three quarters of the
 *   budget. A record too large for its slot (a leaf with a large value, in
 *   a small state) goes with the deeper nodes;
 * - deeper nodes, records only (off-heap-cache.ts), in what the upper
 *   levels leave of the budget;
 * - past nodes: those of a version older than the one cached at their
 *   place, which only historical reads and proofs walk, keyed by version
 *   and place in a small budget of their own. Every read as of a past
 *   height walks the same few upper nodes of that version (1 + 16 + 256 +
 *   … of them), which the block path's parts never keep; here they cost
 *   one LevelDB read per version and place instead of one per read, and
 *   they never displace the latest tree's node at their place.
 */
import { OffHeapCache, entryBytes } from './off-heap-cache.js';
import { u64String } from './tree.js';
import { UPPER_SLOT_BYTES, UpperNodes } from './upper-nodes.js';

/**
 * A commit caches its new nodes below the upper levels only at depths
 * where the next blocks are expected to find at least this share of them
 * still cached ({@link deepCachingBound}).
 */
export const DEEP_CACHING_MIN_HIT = 0.25;

/**
 * The depth from which a commit's new internal nodes are not worth caching
 * (those at depths in [upperDepth, bound) are), from a model of a block
 * that changes keys spread uniformly: a place at depth d holds an internal
 * node with the probability that two or more of the `keyCount` keys fall
 * in it, so a block that writes `written[d]` of them rewrites a given one
 * about every places / written[d] blocks; the deeper cache keeps an entry
 * for about 1.5 generations, a generation lasting `generationBytes` over
 * the bytes a block appends (`bytes[d]` at depth d). A depth is worth it
 * while 1 − e^(−lifetime / revisit) ≥ {@link DEEP_CACHING_MIN_HIT}; below
 * the first depth that is not, none is. At 10,000,000 keys with the
 * default cache a depth-5 node is found ≈ 10 % of the time and the
 * commit's copies of ≈ 29,000 nodes a block mostly go unread; at
 * 1,000,000 keys the cache holds all of them (docs/STORE.md
 * "Performance"). Only speed depends on it, never a result.
 */
export function deepCachingBound(upperDepth: number, generationBytes: number, keyCount: number, written: readonly number[], bytes: readonly number[]): number {
  let appended = 0;
  for (let d = upperDepth; d < written.length; d++) {
    const w = written[d] ?? 0;
    if (w === 0) continue;
    const lambda = keyCount / 16 ** d;
    // P(two or more keys in a place) = 1 − e^−λ (1 + λ); its series where that cancels.
    const share = lambda < 1e-3 ? (lambda * lambda) / 2 : 1 - Math.exp(-lambda) * (1 + lambda);
    const revisit = Math.max(16 ** d * share, w) / w;
    appended += bytes[d] ?? 0;
    const lifetime = (1.5 * generationBytes) / appended;
    if (1 - Math.exp(-lifetime / revisit) < DEEP_CACHING_MIN_HIT) return d;
  }
  return Number.POSITIVE_INFINITY;
}

/** A cached node: its record. */
export interface CachedNode {
  record: string;
}

export class NodeCache {
  /** Nodes at depths below this are kept in `upper`, never evicted. */
  readonly upperDepth: number;
  private readonly upper: UpperNodes;
  private readonly lower: OffHeapCache;
  private readonly past: OffHeapCache | undefined;

  /** `budget`: bytes for the latest tree's nodes; `pastBudget`: bytes for past versions' nodes (0: none kept). */
  constructor(budget: number, pastBudget = 0) {
    let depth = 0;
    while (depth < 8 && ((16 ** (depth + 1) - 1) / 15) * UPPER_SLOT_BYTES <= (budget * 3) / 4) depth++;
    this.upperDepth = depth;
    this.upper = new UpperNodes(depth);
    this.lower = new OffHeapCache(Math.max(0, budget - ((16 ** depth - 1) / 15) * UPPER_SLOT_BYTES), 'latin1');
    this.past = pastBudget > 0 ? new OffHeapCache(pastBudget, 'latin1') : undefined;
  }

  /** The node `version` wrote at `place` (depth byte + packed path: tree.ts nodePlace), if cached. */
  get(version: number, depth: number, place: string): CachedNode | undefined {
    if (depth < this.upperDepth) {
      const slot = this.upper.slotOf(place);
      const node = this.upper.read(slot);
      if (node === undefined) return undefined;
      if (node.version !== version) return node.version > version ? this.pastNode(u64String(version), place) : undefined;
      if (node.record !== undefined) return { record: node.record };
      // too large for its slot: with the deeper nodes
    }
    const vs = u64String(version);
    const entry = this.lower.getLatin1(place); // u64 version || record
    if (entry == null) return undefined;
    if (entry.startsWith(vs)) return { record: entry.slice(8) };
    // Only a later version's entry tells that `vs` is past. An earlier one is a stale
    // entry that the block path misses on, not worth a probe.
    return entry.slice(0, 8) > vs ? this.pastNode(vs, place) : undefined;
  }

  /** The record of the node `version` wrote at `place`, if cached (as {@link get}, without the object). */
  record(version: number, depth: number, place: string): string | undefined {
    if (depth < this.upperDepth) {
      const record = this.upper.readRecord(this.upper.slotOf(place), version);
      if (record !== undefined) return record;
    }
    return this.get(version, depth, place)?.record;
  }

  /**
   * Copies the record of the node `version` wrote at `place` into `into`
   * (at least an internal record's longest) and returns its length, or -1
   * if it is not cached: as {@link get}, without making the record a
   * string. A record longer than `into` is not copied; its length is
   * returned.
   */
  copyRecord(version: number, depth: number, place: string, into: Buffer): number {
    if (depth < this.upperDepth) {
      const length = this.upper.copyRecord(this.upper.slotOf(place), version, into);
      if (length !== -2) return length;
    } else {
      const length = this.lower.copyAfterHead(place, u64String(version), into);
      if (length !== -2) return length;
    }
    // Another version's node is cached there (a read of a past version), or a record too large for its upper slot: the rare paths, through a string.
    const record = this.get(version, depth, place)?.record;
    if (record === undefined) return -1;
    if (record.length <= into.length) into.write(record, 0, 'latin1');
    return record.length;
  }

  /** A past version's node at `place`, if kept. */
  private pastNode(vs: string, place: string): CachedNode | undefined {
    const record = this.past?.getLatin1(vs + place);
    return record == null ? undefined : { record };
  }

  /**
   * Caches the record of the node `version` wrote at `place`. If a node of
   * a later version is cached there, the record goes to the past nodes: an
   * older one read by a historical query must not displace the latest
   * tree's.
   */
  set(version: number, depth: number, place: string, record: string): void {
    const vs = u64String(version);
    if (depth < this.upperDepth) {
      const slot = this.upper.slotOf(place);
      const held = this.upper.versionAt(slot);
      if (held !== undefined && held > version) this.past?.setLatin1(vs + place, record);
      else if (!this.upper.write(slot, version, record)) this.lower.setLatin1(place, vs + record);
      return;
    }
    const current = this.lower.peekLatin1(place, 8);
    if (current !== undefined && current > vs) this.past?.setLatin1(vs + place, record);
    else this.lower.setLatin1(place, vs + record);
  }

  /**
   * Caches the record (bytes) of a node the newest commit wrote, `version`
   * being that commit's: no later version can be cached at `place`, so it
   * goes where {@link set} would put it, without looking. The bytes are
   * copied, never made a string: a block writes ≈ 50,000 internal nodes.
   */
  setNewest(version: number, depth: number, place: string, record: Uint8Array): void {
    if (depth < this.upperDepth && this.upper.write(this.upper.slotOf(place), version, record)) return;
    this.lower.setLatin1Joined(place, u64String(version), record);
  }

  /** The depth from which a commit that wrote `written[d]` internal nodes (`bytes[d]` bytes of cache entries) at each depth should not cache them ({@link deepCachingBound}). */
  deepCachingBound(keyCount: number, written: readonly number[], bytes: readonly number[]): number {
    return deepCachingBound(this.upperDepth, this.lower.largestEntry, keyCount, written, bytes);
  }

  /** Bytes a deeper node's entry takes: the cache's own, its place and version, its record. */
  static deepEntryBytes(placeBytes: number, recordBytes: number): number {
    return entryBytes('', null, 'latin1') + placeBytes + 8 + recordBytes;
  }

  /** Entries held (for tests and metrics). */
  get size(): number {
    return this.upper.size + this.lower.size + (this.past?.size ?? 0);
  }
}
