/**
 * The tree-node records a read-ahead (committed-store.ts prefetch) read
 * for the next computeRoot, by node key, their bytes kept outside V8's
 * heap. A block at 10,000,000 keys reads ≈ 29,000 of them (≈ 10 MB): as
 * strings they lived through the young generation's collections of the
 * whole block and were copied by each; here they are bytes in one buffer,
 * which the next read-ahead reuses.
 */

/** u32 record length, then the record. */
const HEADER = 4;
/** A released buffer at most this large is kept for the next read-ahead; a larger one (a huge block) is let go. */
const MAX_SPARE_BYTES = 64 * 2 ** 20;

export class PrefetchedRecords {
  private static spare: Buffer | undefined;
  private bytes: Buffer;
  private used = 0;
  /** Where each record's entry starts in `bytes`. */
  private readonly at = new Map<string, number>();

  constructor() {
    this.bytes = PrefetchedRecords.spare ?? Buffer.alloc(0);
    PrefetchedRecords.spare = undefined;
  }

  /** Keeps a copy of `record` as node `key`'s. */
  add(key: string, record: Uint8Array): void {
    const need = this.used + HEADER + record.length;
    if (need > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.bytes.length, 64 * 1024));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.bytes.writeUInt32LE(record.length, this.used);
    this.bytes.set(record, this.used + HEADER);
    this.at.set(key, this.used);
    this.used = need;
  }

  /**
   * Copies node `key`'s record into `into` (when it fits) and returns its
   * length; -1 if it is not held.
   */
  copy(key: string, into: Buffer): number {
    const at = this.at.get(key);
    if (at === undefined) return -1;
    const length = this.bytes.readUInt32LE(at);
    if (length <= into.length) this.bytes.copy(into, 0, at + HEADER, at + HEADER + length);
    return length;
  }

  /** Node `key`'s record as a latin1 string, if held. */
  latin1(key: string): string | undefined {
    const at = this.at.get(key);
    if (at === undefined) return undefined;
    return this.bytes.toString('latin1', at + HEADER, at + HEADER + this.bytes.readUInt32LE(at));
  }

  /** Empties this and gives its buffer to the next read-ahead. */
  release(): void {
    if (this.bytes.length > 0 && this.bytes.length <= MAX_SPARE_BYTES) PrefetchedRecords.spare = this.bytes;
    this.bytes = Buffer.alloc(0);
    this.used = 0;
    this.at.clear();
  }
}
