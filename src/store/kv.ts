/**
 * The key-value view every state module works through.
 *
 * Keys are strings (ASCII: a short prefix and hex, e.g. `a/<address>`);
 * values are bytes. All of consensus state lives in memory (see
 * docs/ARCHITECTURE.md), so reads are synchronous.
 */
export interface KVReader {
  get(key: string): Uint8Array | undefined;
}

export interface KV extends KVReader {
  set(key: string, value: Uint8Array): void;
  delete(key: string): void;
}

/** A pending change: bytes to write, or null for a delete. */
export type Change = Uint8Array | null;

/**
 * A write cache over a parent view. Reads fall through to the parent unless
 * the key was written or deleted here (a deleted key is never read back from
 * below). `commitTo` folds the changes into the parent; dropping the overlay
 * discards them. Used for the per-block cache, the CheckTx view and the
 * per-transaction scratch state that a failed transaction throws away.
 */
export class Overlay implements KV {
  private readonly changes = new Map<string, Change>();

  constructor(private readonly parent: KVReader) {}

  get(key: string): Uint8Array | undefined {
    const change = this.changes.get(key);
    if (change === undefined) return this.parent.get(key);
    return change === null ? undefined : change;
  }

  set(key: string, value: Uint8Array): void {
    this.changes.set(key, value);
  }

  delete(key: string): void {
    this.changes.set(key, null);
  }

  /** Writes every change of this overlay into `target` and clears this overlay. */
  commitTo(target: KV): void {
    for (const [key, change] of this.changes) {
      if (change === null) target.delete(key);
      else target.set(key, change);
    }
    this.changes.clear();
  }

  /** The pending changes, keys in ascending byte order (deterministic). */
  sortedChanges(): Array<[string, Change]> {
    return [...this.changes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  get size(): number {
    return this.changes.size;
  }

  reset(): void {
    this.changes.clear();
  }
}

/**
 * A KV over a reader that refuses every write: for code that reads through
 * a write-capable API (a ledger's record store) over a read-only view.
 */
export function readOnly(reader: KVReader): KV {
  return { get: (key) => reader.get(key), set: refuseWrite, delete: refuseWrite };
}

function refuseWrite(): never {
  throw new Error('a read-only view of the state was written to');
}
