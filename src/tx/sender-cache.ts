/**
 * Recovered transactions by hash, so a transaction seen in CheckTx is not
 * decoded and ecrecovered again in FinalizeBlock. Bounded; oldest entries go
 * first. Purely an optimisation: a miss recomputes the same result, so block
 * execution never depends on what CheckTx saw (SPEC 11).
 */
import { decodeSignedTx, type SignedTx } from './decode.js';
import { keccak256 } from '../util/crypto.js';

export class SenderCache {
  private readonly entries = new Map<string, SignedTx>();

  constructor(private readonly capacity = 200_000) {}

  /** Decodes and recovers `raw`, or returns the cached result. Throws TxError. */
  resolve(raw: Uint8Array): SignedTx {
    const hash = keccak256(raw);
    const key = Buffer.from(hash.buffer, hash.byteOffset, hash.length).toString('hex');
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    // Own copy: `raw` may be a view into a whole ABCI frame (a 1 MB block),
    // which the cached entry would otherwise keep alive.
    const tx = decodeSignedTx(raw.slice(), hash);
    this.entries.set(key, tx);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return tx;
  }

  /** Forgets transactions that made it into a block: they will not be seen again. */
  forget(hashes: Iterable<Uint8Array>): void {
    for (const hash of hashes) this.entries.delete(Buffer.from(hash).toString('hex'));
  }

  get size(): number {
    return this.entries.size;
  }
}
