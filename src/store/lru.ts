/**
 * A bounded least-recently-used cache: entries carry a weight (an estimate
 * of their bytes) and the oldest are evicted once the total passes the
 * budget. A JS Map keeps insertion order, so a hit is re-inserted at the end.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(private readonly budget: number) {}

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V, weight: number): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      this.total -= old.weight;
      this.map.delete(key);
    }
    if (weight > this.budget) return;
    this.map.set(key, { value, weight });
    this.total += weight;
    if (this.total > this.budget) {
      for (const [k, e] of this.map) {
        this.map.delete(k);
        this.total -= e.weight;
        if (this.total <= this.budget) break;
      }
    }
  }

  get size(): number {
    return this.map.size;
  }

  /** The summed weight of the entries held. */
  get weight(): number {
    return this.total;
  }
}
