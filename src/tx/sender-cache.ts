/**
 * Recovered transactions by hash, so a transaction seen in CheckTx is not
 * decoded and ecrecovered again in FinalizeBlock. Bounded; oldest entries go
 * first. Purely an optimisation: a miss recomputes the same result, so block
 * execution never depends on what CheckTx saw (SPEC 11).
 */
import { decodeTx, recoverSender, type DecodedTx, type SignedTx } from './decode.js';
import type { SenderRecovery } from './sender-recovery.js';
import { addressFromBytes } from '../util/address.js';
import { keccak256 } from '../util/crypto.js';

/** Most offered transactions kept decoded until {@link SenderCache.resolve} asks for them, and their most bytes. */
const MAX_OFFERED = 32_768;
const MAX_OFFERED_BYTES = 64 * 1024 * 1024;

export class SenderCache {
  private readonly entries = new Map<string, SignedTx>();
  /**
   * Offered transactions by the caller's byte array: their cache key, and
   * the decoded transaction unless it was cached already. resolve() takes
   * them from here instead of hashing and decoding again.
   */
  private readonly offered = new Map<Uint8Array, { key: string; tx?: DecodedTx }>();
  private offeredBytes = 0;

  /** `recovery`: worker threads that recover offered transactions' senders ahead of time. */
  constructor(
    private readonly capacity = 200_000,
    private readonly recovery?: SenderRecovery,
  ) {}

  /**
   * Lets worker threads recover these transactions' senders while the
   * caller gets on with the first ones: they are decoded now, and
   * {@link resolve} takes each (by the same byte array) with its sender.
   * Those already cached (resolve then skips the hashing), and those that
   * do not decode, are not offered.
   */
  offer(raws: readonly Uint8Array[]): void {
    if (this.recovery === undefined || this.recovery.threads === 0) return;
    const keys: Uint8Array[] = [];
    const txs: DecodedTx[] = [];
    for (const raw of raws) {
      if (this.offered.has(raw)) continue;
      const hash = keccak256(raw);
      const key = hashKey(hash);
      if (this.entries.has(key)) {
        this.offered.set(raw, { key });
        this.offeredBytes += raw.length;
        continue;
      }
      let tx: DecodedTx;
      try {
        // Own copy: `raw` may be a view into a whole ABCI frame (a 1 MB block).
        tx = decodeTx(raw.slice(), hash);
      } catch {
        continue; // resolve() refuses it with the reason
      }
      this.offered.set(raw, { key, tx });
      this.offeredBytes += raw.length;
      keys.push(raw);
      txs.push(tx);
    }
    // Offers nobody asked for (a connection gone with requests queued) make room, oldest first.
    for (const stale of this.offered.keys()) {
      if (this.offered.size <= MAX_OFFERED && this.offeredBytes <= MAX_OFFERED_BYTES) break;
      this.release([stale]);
    }
    this.recovery.offer(keys, txs);
  }

  /**
   * Lets go of offered transactions {@link resolve} will not be asked for
   * (a proposal rejected at an earlier transaction): their decoded form,
   * and the caller's byte arrays (views into a request frame) they hold.
   */
  release(raws: readonly Uint8Array[]): void {
    for (const raw of raws) {
      if (!this.offered.delete(raw)) continue;
      this.offeredBytes -= raw.length;
      this.recovery?.release(raw);
    }
  }

  /** Decodes and recovers `raw`, or returns the cached result. Throws TxError. */
  resolve(raw: Uint8Array): SignedTx {
    const offered = this.offered.get(raw);
    if (offered !== undefined) {
      this.offered.delete(raw);
      this.offeredBytes -= raw.length;
    }
    const hash = offered === undefined ? keccak256(raw) : undefined;
    const key = offered?.key ?? hashKey(hash!);
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const recovered = this.recovery?.take(raw);
    // Own copy: `raw` may be a view into a whole ABCI frame (a 1 MB block),
    // which the cached entry would otherwise keep alive.
    const decoded = offered?.tx ?? decodeTx(raw.slice(), hash);
    const tx = recovered === undefined ? recoverSender(decoded) : Object.assign(decoded, { sender: addressFromBytes(recovered) });
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

function hashKey(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.length).toString('hex');
}
