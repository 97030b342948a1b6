/**
 * Transactions this gateway broadcast and CheckTx accepted, until a block
 * includes them (or they age out): answers eth_getTransactionByHash for a
 * pending transaction, and adds to eth_getTransactionCount(.., "pending")
 * what the app's CheckTx view may not show yet (CometBFT re-checks the
 * mempool after each Commit, so for a moment after a block the app's view
 * holds only committed nonces).
 */
import type { Address } from '../util/address.js';
import type { SignedTx } from '../tx/decode.js';

interface Entry {
  tx: SignedTx;
  /** Last committed height when it was broadcast. */
  height: bigint;
}

export interface PendingPoolOptions {
  /** Blocks after which an entry not yet included is forgotten. Default 20. */
  ttlBlocks?: number;
  /** Most entries kept (oldest dropped first). Default 10,000. */
  capacity?: number;
}

export class PendingPool {
  private readonly byHash = new Map<string, Entry>();
  private readonly bySender = new Map<Address, Map<bigint, string>>();
  private readonly ttl: bigint;
  private readonly capacity: number;

  constructor(options: PendingPoolOptions = {}) {
    this.ttl = BigInt(options.ttlBlocks ?? 20);
    this.capacity = options.capacity ?? 10_000;
  }

  get size(): number {
    return this.byHash.size;
  }

  add(tx: SignedTx, height: bigint): void {
    const key = hex(tx.hash);
    this.remove(key);
    this.byHash.set(key, { tx, height });
    let nonces = this.bySender.get(tx.sender);
    if (nonces === undefined) this.bySender.set(tx.sender, (nonces = new Map()));
    nonces.set(tx.nonce, key);
    while (this.byHash.size > this.capacity) this.remove(this.byHash.keys().next().value as string);
  }

  get(hash: Uint8Array): SignedTx | undefined {
    return this.byHash.get(hex(hash))?.tx;
  }

  /**
   * The next nonce of `sender`: from `known` (the committed nonce, or the
   * app's CheckTx view, whichever is higher), past every consecutive nonce
   * this gateway has pending.
   */
  nextNonce(sender: Address, known: bigint): bigint {
    const nonces = this.bySender.get(sender);
    let next = known;
    if (nonces === undefined) return next;
    while (nonces.has(next)) next++;
    return next;
  }

  /** A block was committed: drop what it included and what is too old. */
  onBlock(height: bigint, included: Uint8Array[]): void {
    for (const hash of included) this.remove(hex(hash));
    for (const [key, entry] of this.byHash) {
      if (height - entry.height >= this.ttl) this.remove(key);
    }
  }

  private remove(key: string): void {
    const entry = this.byHash.get(key);
    if (entry === undefined) return;
    this.byHash.delete(key);
    const nonces = this.bySender.get(entry.tx.sender);
    if (nonces !== undefined && nonces.get(entry.tx.nonce) === key) {
      nonces.delete(entry.tx.nonce);
      if (nonces.size === 0) this.bySender.delete(entry.tx.sender);
    }
  }
}

function hex(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}
