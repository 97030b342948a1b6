/**
 * A bounded cache that keeps recently used entries: two generations, each
 * holding at most half of the byte budget. New and re-used entries go to the
 * young generation; when it is full it becomes the old one and the previous
 * old generation is dropped. A hit in the young generation costs one Map
 * lookup (no reordering), which is what makes it cheaper than an exact LRU
 * on the hot read path; an entry survives as long as it is used at least
 * once per generation.
 */
export class LruCache<K, V> {
  private young = new Map<K, { value: V; weight: number }>();
  private old = new Map<K, { value: V; weight: number }>();
  private youngWeight = 0;
  private oldWeight = 0;
  private readonly half: number;

  /** `budget`: the most summed weight (an estimate of bytes) held. */
  constructor(budget: number) {
    this.half = Math.floor(budget / 2);
  }

  get(key: K): V | undefined {
    const entry = this.young.get(key);
    if (entry !== undefined) return entry.value;
    const aged = this.old.get(key);
    if (aged === undefined) return undefined;
    this.old.delete(key);
    this.oldWeight -= aged.weight;
    this.insert(key, aged);
    return aged.value;
  }

  set(key: K, value: V, weight: number): void {
    const inYoung = this.young.get(key);
    if (inYoung !== undefined) {
      this.youngWeight -= inYoung.weight;
      this.young.delete(key);
    }
    const inOld = this.old.get(key);
    if (inOld !== undefined) {
      this.oldWeight -= inOld.weight;
      this.old.delete(key);
    }
    if (weight > this.half) return;
    this.insert(key, { value, weight });
  }

  private insert(key: K, entry: { value: V; weight: number }): void {
    if (this.youngWeight + entry.weight > this.half) {
      this.old = this.young;
      this.oldWeight = this.youngWeight;
      this.young = new Map();
      this.youngWeight = 0;
    }
    this.young.set(key, entry);
    this.youngWeight += entry.weight;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  /** The summed weight of the entries held. */
  get weight(): number {
    return this.youngWeight + this.oldWeight;
  }
}
