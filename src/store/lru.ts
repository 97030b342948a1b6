/**
 * A bounded cache that keeps recently used entries: two generations, each
 * holding at most half of the byte budget. New and re-used entries go to the
 * young generation; when it is full it becomes the old one and the previous
 * old generation is dropped. A hit in the young generation costs one Map
 * lookup (no reordering), which is what makes it cheaper than an exact LRU
 * on the hot read path; an entry survives as long as it is used at least
 * once per generation. Entries are stored bare (the weight is recomputed
 * when needed), so a cached string costs the garbage collector nothing
 * beyond the Map's own slots.
 */
export class LruCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private youngWeight = 0;
  private oldWeight = 0;
  private readonly half: number;

  /**
   * `budget`: the most summed weight held; `weigh`: an entry's weight (an
   * estimate of its bytes), a pure function of the entry.
   */
  constructor(
    budget: number,
    private readonly weigh: (key: K, value: V) => number,
  ) {
    this.half = Math.floor(budget / 2);
  }

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged === undefined) return undefined;
    const weight = this.weigh(key, aged);
    this.old.delete(key);
    this.oldWeight -= weight;
    this.insert(key, aged, weight);
    return aged;
  }

  /** `value` must not be undefined. */
  set(key: K, value: V): void {
    const inYoung = this.young.get(key);
    if (inYoung !== undefined) {
      this.youngWeight -= this.weigh(key, inYoung);
      this.young.delete(key);
    }
    const inOld = this.old.get(key);
    if (inOld !== undefined) {
      this.oldWeight -= this.weigh(key, inOld);
      this.old.delete(key);
    }
    const weight = this.weigh(key, value);
    if (weight > this.half) return;
    this.insert(key, value, weight);
  }

  private insert(key: K, value: V, weight: number): void {
    if (this.youngWeight + weight > this.half) {
      this.old = this.young;
      this.oldWeight = this.youngWeight;
      this.young = new Map();
      this.youngWeight = 0;
    }
    this.young.set(key, value);
    this.youngWeight += weight;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  /** The summed weight of the entries held. */
  get weight(): number {
    return this.youngWeight + this.oldWeight;
  }
}
