import { keyHashOf } from './tree.js';

/**
 * A block's keys in keyHash order, the order the tree walks them, with
 * each key's place in it: the read-ahead hashes and sorts a block's keys
 * once, and computeRoot takes their keyHashes and their order from it
 * rather than hashing and sorting them again (the tree's sort of a
 * 20,000-key block at 10,000,000 keys then takes ≈ 3 ms instead of ≈ 15).
 */
export class KeyHashOrder {
  /** The keys' keyHashes, ascending. */
  readonly hashes: readonly string[];
  private readonly keys: readonly string[];
  private readonly ranks = new Map<string, number>();

  constructor(keys: readonly string[]) {
    const byHash = keys.map((key): [string, string] => [keyHashOf(key), key]);
    byHash.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.hashes = byHash.map(([keyHash]) => keyHash);
    this.keys = byHash.map(([, key]) => key);
    for (let i = 0; i < byHash.length; i++) this.ranks.set(byHash[i]![1], i);
  }

  /** The key at place `i`. */
  keyAt(i: number): string {
    return this.keys[i]!;
  }

  /** The keyHash at place `i`. */
  hashAt(i: number): string {
    return this.hashes[i]!;
  }

  /** The place of `key`, if it is one of the keys. */
  rankOf(key: string): number | undefined {
    return this.ranks.get(key);
  }

  /**
   * `items` (distinct keys, each with its keyHash) in keyHash order: those
   * among these keys by their places, the few others (a block's changes to
   * keys it did not read ahead) sorted and merged in.
   */
  arrange<T extends { key: string; keyHash: string }>(items: readonly T[]): T[] {
    const slots = new Array<T | undefined>(this.keys.length).fill(undefined);
    const others: T[] = [];
    for (const item of items) {
      const rank = this.ranks.get(item.key);
      if (rank === undefined) others.push(item);
      else slots[rank] = item;
    }
    others.sort((a, b) => (a.keyHash < b.keyHash ? -1 : a.keyHash > b.keyHash ? 1 : 0));
    const arranged: T[] = [];
    let next = 0;
    for (const item of slots) {
      if (item === undefined) continue;
      while (next < others.length && others[next]!.keyHash < item.keyHash) arranged.push(others[next++]!);
      arranged.push(item);
    }
    while (next < others.length) arranged.push(others[next++]!);
    return arranged;
  }
}
