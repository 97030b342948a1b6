/**
 * The tree-node cache: node records (latin1 strings, decoded on each use)
 * by their place in the tree (depth + path), each tagged with the version
 * that wrote it. A lookup of (version, place) hits only when the cached node
 * is that version's: a node's record is fixed by (version, depth, path), so
 * a hit is always the right record, and a place rewritten by a later commit
 * simply replaces its entry. Keyed by place rather than by version, the
 * cache holds the latest tree rather than every version a block replaced.
 *
 * Three parts:
 * - the upper levels (depth < `upperDepth`), never evicted: every block
 *   rewrites nodes in them (a 20,000-key block touches a quarter of the
 *   65,536 depth-4 places), so they must not compete with deep nodes that
 *   a block rarely meets again. Each keeps its inner hashes too (tree.ts
 *   foldHash), so that rewriting it for one changed child costs 4 hashes,
 *   not 15. Bounded by the number of places: (16^upperDepth − 1) / 15
 *   nodes, the depth chosen so that a full set of them fits in three
 *   quarters of the budget;
 * - deeper nodes, records only, outside V8's heap (off-heap-cache.ts), in
 *   what the upper levels leave of the budget;
 * - past nodes: those of a version older than the one cached at their
 *   place, which only historical reads and proofs walk, keyed by version
 *   and place in a small budget of their own (off the heap too). Every read
 *   as of a past height walks the same few upper nodes of that version
 *   (1 + 16 + 256 + … of them), which the block path's parts never keep;
 *   here they cost one LevelDB read per version and place instead of one
 *   per read, and queries cannot push the latest tree's nodes out.
 */
import { OffHeapCache } from './off-heap-cache.js';
import { INNER_LEN, u64String } from './tree.js';

/** Bytes counted for an upper node: a full 16-child record (≤ 661 bytes), its inner hashes and its map entry. */
const FULL_NODE_BYTES = 760 + INNER_LEN;

/** A cached node: its record, and its inner hashes if the cache keeps them. */
export interface CachedNode {
  record: string;
  inner?: string;
}

export class NodeCache {
  /** Nodes at depths below this are kept in `upper`, never evicted. */
  readonly upperDepth: number;
  private readonly upper = new Map<string, string>();
  private readonly lower: OffHeapCache;
  private readonly past: OffHeapCache | undefined;

  /** `budget`: bytes for the latest tree's nodes; `pastBudget`: bytes for past versions' nodes (0: none kept). */
  constructor(budget: number, pastBudget = 0) {
    let depth = 0;
    while (depth < 8 && ((16 ** (depth + 1) - 1) / 15) * FULL_NODE_BYTES <= (budget * 3) / 4) depth++;
    this.upperDepth = depth;
    const upperBytes = ((16 ** depth - 1) / 15) * FULL_NODE_BYTES;
    this.lower = new OffHeapCache(Math.max(0, budget - upperBytes), 'latin1');
    this.past = pastBudget > 0 ? new OffHeapCache(pastBudget, 'latin1') : undefined;
  }

  /** The node `version` wrote at `place` (depth byte + packed path: tree.ts nodePlace), if cached. */
  get(version: number, depth: number, place: string): CachedNode | undefined {
    const vs = u64String(version);
    if (depth < this.upperDepth) {
      // entry: u64 version || 0x01 || inner hashes || record, or u64 version || 0x00 || record
      const entry = this.upper.get(place);
      if (entry === undefined) return undefined;
      if (!entry.startsWith(vs)) return this.pastNode(vs, place, entry);
      if (entry.charCodeAt(8) === 0) return { record: entry.slice(9) };
      return { record: entry.slice(9 + INNER_LEN), inner: entry.slice(9, 9 + INNER_LEN) };
    }
    const entry = this.lower.getLatin1(place); // u64 version || record
    if (entry == null) return undefined;
    if (!entry.startsWith(vs)) return this.pastNode(vs, place, entry);
    return { record: entry.slice(8) };
  }

  /** A past version's node at `place`, where `entry` (a different version's) is cached. */
  private pastNode(vs: string, place: string, entry: string): CachedNode | undefined {
    // Only a later version's entry tells that `vs` is past. An earlier one is a stale
    // entry that the block path misses on, not worth a probe.
    if (this.past === undefined || entry.slice(0, 8) < vs) return undefined;
    const record = this.past.getLatin1(vs + place);
    return record == null ? undefined : { record };
  }

  /**
   * Caches the record of the node `version` wrote at `place`. If a node of
   * a later version is cached there, the record goes to the past nodes: an
   * older one read by a historical query must not displace the latest
   * tree's.
   */
  set(version: number, depth: number, place: string, record: string, inner?: string): void {
    const vs = u64String(version);
    const upper = depth < this.upperDepth;
    const current = upper ? this.upper.get(place)?.slice(0, 8) : this.lower.peekLatin1(place, 8);
    if (current !== undefined && current > vs) {
      this.past?.setLatin1(vs + place, record);
      return;
    }
    if (upper) this.upper.set(place, inner === undefined ? vs + '\0' + record : vs + '\x01' + inner + record);
    else this.lower.setLatin1(place, vs + record);
  }

  /** Entries held (for tests and metrics). */
  get size(): number {
    return this.upper.size + this.lower.size + (this.past?.size ?? 0);
  }
}
