/**
 * The tree-node records a read-ahead (committed-store.ts prefetch) read
 * for the next computeRoot, by node key, their bytes kept outside V8's
 * heap. A block at 10,000,000 keys reads ≈ 29,000 of them (≈ 10 MB): as
 * strings they lived through the young generation's collections of the
 * whole block and were copied by each; here they are bytes in one buffer,
 * which the next read-ahead reuses.
 *
 * They are found by place and version rather than by node key: the walk
 * has the place at hand, and a lookup by it saves building and hashing a
 * key a node (≈ 29,000 a block at 10M). A read-ahead walks one version of
 * the tree, which holds one node at each place; a place added again with
 * another version keeps only the last.
 */
import { NODE_KEY_PLACE_AT, nodeKeyVersion } from './tree.js';

/** u32 record length, f64 version (a whole number below 2^53), then the record. */
const HEADER = 12;
/** A released buffer at most this large is kept for the next read-ahead; a larger one (a huge block) is let go. */
const MAX_SPARE_BYTES = 64 * 2 ** 20;

export class PrefetchedRecords {
  private static spare: Buffer | undefined;
  private bytes: Buffer;
  private used = 0;
  /** Where each place's entry starts in `bytes`. */
  private readonly at = new Map<string, number>();

  constructor() {
    this.bytes = PrefetchedRecords.spare ?? Buffer.alloc(0);
    PrefetchedRecords.spare = undefined;
  }

  /** Keeps a copy of `record` as the record of the node whose database key (tree.ts nodeKey) is `key`. */
  add(key: string, record: Uint8Array): void {
    const need = this.used + HEADER + record.length;
    if (need > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.bytes.length, 64 * 1024));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.bytes.writeUInt32LE(record.length, this.used);
    this.bytes.writeDoubleLE(nodeKeyVersion(key), this.used + 4);
    this.bytes.set(record, this.used + HEADER);
    this.at.set(key.slice(NODE_KEY_PLACE_AT), this.used);
    this.used = need;
  }

  /**
   * Copies the record of the node `version` wrote at `place` into `into`
   * (when it fits) and returns its length; -1 if it is not held.
   */
  copy(place: string, version: number, into: Buffer): number {
    const at = this.entry(place, version);
    if (at < 0) return -1;
    const length = this.bytes.readUInt32LE(at);
    if (length <= into.length) this.bytes.copy(into, 0, at + HEADER, at + HEADER + length);
    return length;
  }

  /** The record of the node `version` wrote at `place` as a latin1 string, if held. */
  latin1(place: string, version: number): string | undefined {
    const at = this.entry(place, version);
    if (at < 0) return undefined;
    return this.bytes.toString('latin1', at + HEADER, at + HEADER + this.bytes.readUInt32LE(at));
  }

  /** Where the entry of (place, version) starts; -1 if not held. */
  private entry(place: string, version: number): number {
    const at = this.at.get(place);
    return at === undefined || this.bytes.readDoubleLE(at + 4) !== version ? -1 : at;
  }

  /** Empties this and gives its buffer to the next read-ahead. */
  release(): void {
    if (this.bytes.length > 0 && this.bytes.length <= MAX_SPARE_BYTES) PrefetchedRecords.spare = this.bytes;
    this.bytes = Buffer.alloc(0);
    this.used = 0;
    this.at.clear();
  }
}
