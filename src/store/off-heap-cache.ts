/**
 * A bounded cache of byte strings kept outside V8's heap: the store's latest
 * values (committed-store.ts) and its deeper tree nodes (node-cache.ts).
 *
 * A cache of JavaScript objects costs far more than its bytes: V8 lets its
 * heap grow to a multiple of what a full collection finds alive, so at
 * 10,000,000 keys a value cache of 128 MiB held ≈ 250–330 MiB more process
 * memory than one of 16 MiB (docs/STORE.md "Memory"). Here an entry is a few
 * bytes in a Buffer: its key's length, its value's length, its key (UTF-8,
 * or latin1 for a cache of binary-string keys) and its value; an
 * open-addressing table of slots finds it, each slot the entry's offset and
 * its key's hash, so that a probe past other keys reads only the table, not
 * the arena (a random read each). Values go in and come out
 * as bytes or as latin1 strings. Nothing per entry lives on V8's heap, so
 * the cache costs its budget and no more (less: for account-sized entries
 * the slot tables fill first).
 *
 * It keeps what is used recently: two generations of half the budget each.
 * New and re-used entries go to the young one; when it is full it becomes
 * the old one, and the old one is dropped, its buffers reused for the next
 * young one. A hit in the young generation costs one lookup (no
 * reordering), which is what makes it cheaper than an exact LRU on the hot
 * read path; an entry survives as long as it is used once per generation.
 * An entry replaced in the young generation leaves its old bytes behind
 * until the generation is dropped. A hit copies the value out, so no caller
 * ever holds a view into an arena that is reused.
 */

import type { ByteArena } from './byte-arena.js';

/** u16 key length, u32 value length (or {@link ABSENT} or {@link DROPPED}). */
const HEADER = 6;
/** Where an entry's value length is, after its key length. */
const VALUE_LENGTH = 2;
/** The key is cached as absent. */
const ABSENT = 0xffffffff;
/** The key's value is not cached (its latest value is too large): a lookup stops here and misses. */
const DROPPED = 0xfffffffe;
/** A generation takes no more entries once this share of its slots is used (linear probing slows beyond it). */
const MAX_LOAD = 0.75;
/**
 * A generation's slot table is the smallest power of two that leaves it
 * fewer than twice this many bytes per slot (so one slot per 68–135 bytes),
 * of which {@link MAX_LOAD} are used: for account entries (≈ 118 bytes) the
 * slots, not the arena, bound a generation (≈ 393,000 entries in ≈ 44 of
 * its 60 MiB of arena at the default 128 MiB cache).
 */
const GENERATION_BYTES_PER_SLOT = 68;
/**
 * A key is kept only within this many slots of where its hash points, and
 * looked for no further. Keys are chosen by users (a contract's storage
 * slots, addresses) and the hash is not secret, so they can be made to
 * collide; a cluster of them then makes the keys beyond the window
 * uncached, read from LevelDB like any miss, instead of making every
 * lookup walk the cluster. Entries never move, so a key inserted within the
 * window stays within it.
 */
export const MAX_PROBES = 64;
/** Longer keys are not cached (read from LevelDB each time): the scratch buffer their encoding needs stays small. */
export const MAX_CACHED_KEY_BYTES = 1024;

/** The bytes an entry of `key` and `value` (null: absent; a string: latin1) takes in a generation's arena. */
export function entryBytes(key: string, value: Uint8Array | string | null, keys: KeyEncoding = 'utf8'): number {
  return HEADER + (keys === 'latin1' ? key.length : Buffer.byteLength(key, 'utf8')) + (value === null ? 0 : value.length);
}

/** How a cache stores its keys: UTF-8 (any well-formed string), or latin1 (binary strings; a key with a character above U+00FF is not cached). */
export type KeyEncoding = 'utf8' | 'latin1';

/** A value as bytes, as a latin1 string, or as a latin1 head followed by bytes (setLatin1Joined). */
type CachedValue = Uint8Array | string | { head: string; body: Uint8Array };

function valueLength(value: CachedValue): number {
  return typeof value === 'string' || value instanceof Uint8Array ? value.length : value.head.length + value.body.length;
}

/** Int32s per slot: the entry's offset + 1 (0: empty) and its key's hash. */
const SLOT_INTS = 2;

class Generation {
  readonly arena: Buffer;
  readonly slots: Int32Array;
  /** Slot count - 1 (a power of two). */
  readonly mask: number;
  /** Arena bytes in use. */
  used = 0;
  /** Slots in use. */
  count = 0;

  constructor(arenaBytes: number, slotCount: number) {
    this.slots = new Int32Array(slotCount * SLOT_INTS);
    this.mask = slotCount - 1;
    // Not zeroed: only the bytes of written entries are ever read.
    this.arena = Buffer.allocUnsafeSlow(arenaBytes);
  }

  reset(): void {
    this.slots.fill(0);
    this.used = 0;
    this.count = 0;
  }

  fits(entryBytes: number): boolean {
    return this.used + entryBytes <= this.arena.length && this.count + 1 <= (this.mask + 1) * MAX_LOAD;
  }
}

export class OffHeapCache {
  private young: Generation | undefined;
  private old: Generation | undefined;
  private readonly slotCount: number;
  /** The bytes of a generation's arena: the largest entry the cache keeps. */
  readonly largestEntry: number;
  /** Key characters below this are stored as one byte (their code unit). */
  private readonly oneByteBelow: number;
  /** A key's UTF-8 bytes, for keys that are not ASCII. */
  private readonly scratch = Buffer.allocUnsafeSlow(MAX_CACHED_KEY_BYTES);
  // The key being looked up: its hash, bytes and whether each character is one byte (then its bytes are its code units).
  private keyHash = 0;
  private keyBytes = 0;
  private keyOneByte = true;
  // Where the last locate() found its entry.
  private foundIn: Generation | undefined;
  private foundOld = false;

  /** `budget`: the bytes the cache may take, arenas and slot tables together (two generations of half each). */
  constructor(budget: number, keys: KeyEncoding = 'utf8') {
    const generationBytes = Math.floor(budget / 2);
    let slotCount = 4;
    while (slotCount * 2 * GENERATION_BYTES_PER_SLOT <= generationBytes) slotCount *= 2;
    this.slotCount = slotCount;
    this.largestEntry = Math.max(0, generationBytes - 4 * SLOT_INTS * slotCount);
    this.oneByteBelow = keys === 'latin1' ? 0x100 : 0x80;
  }

  /**
   * The cached value of `key` (a copy, in an array of its own or taken from
   * `into`), null if it is cached as absent, undefined if not cached.
   */
  get(key: string, into?: ByteArena): Uint8Array | null | undefined {
    const offset = this.locate(key);
    if (offset < 0) return undefined;
    const g = this.foundIn!;
    const length = g.arena.readUInt32LE(offset + VALUE_LENGTH);
    let value: Uint8Array | null = null;
    if (length !== ABSENT) {
      const start = offset + HEADER + g.arena.readUInt16LE(offset);
      value = into === undefined ? new Uint8Array(length) : into.take(length);
      g.arena.copy(value, 0, start, start + length);
    }
    // Used again: it goes to the young generation (the old one keeps a shadowed copy until it is dropped).
    if (this.foundOld) this.append(key, value);
    return value;
  }

  /** The cached value of `key` as a latin1 string, null if it is cached as absent, undefined if not cached. */
  getLatin1(key: string): string | null | undefined {
    const offset = this.locate(key);
    if (offset < 0) return undefined;
    const g = this.foundIn!;
    const length = g.arena.readUInt32LE(offset + VALUE_LENGTH);
    let value: string | null = null;
    if (length !== ABSENT) {
      const start = offset + HEADER + g.arena.readUInt16LE(offset);
      value = g.arena.toString('latin1', start, start + length);
    }
    if (this.foundOld) this.append(key, value);
    return value;
  }

  /**
   * If `key`'s cached value starts with the latin1 string `head`, copies the
   * rest of it into `into` (when it fits) and returns the rest's length; a
   * use, as {@link getLatin1}. -1 if the key is not cached or is cached as
   * absent; -2 if its value starts otherwise (not a use). No string is
   * made: the tree walk reads ≈ 20,000 cached nodes a block this way.
   */
  copyAfterHead(key: string, head: string, into: Buffer): number {
    const offset = this.locate(key);
    if (offset < 0) return -1;
    const arena = this.foundIn!.arena;
    const length = arena.readUInt32LE(offset + VALUE_LENGTH);
    if (length === ABSENT) return -1;
    const start = offset + HEADER + arena.readUInt16LE(offset);
    if (length < head.length) return -2;
    for (let i = 0; i < head.length; i++) if (arena[start + i] !== head.charCodeAt(i)) return -2;
    const rest = length - head.length;
    if (rest > into.length) return rest;
    arena.copy(into, 0, start + head.length, start + length);
    // Used again: to the young generation, from the copy (turning the generations over may reuse the arena it was in).
    if (this.foundOld) this.append(key, { head, body: into.subarray(0, rest) });
    return rest;
  }

  /** The first `length` bytes (or fewer) of `key`'s cached value as a latin1 string, without counting as a use; undefined if not cached or absent. */
  peekLatin1(key: string, length: number): string | undefined {
    const offset = this.locate(key);
    if (offset < 0) return undefined;
    const arena = this.foundIn!.arena;
    const valueLength = arena.readUInt32LE(offset + VALUE_LENGTH);
    if (valueLength === ABSENT) return undefined;
    const start = offset + HEADER + arena.readUInt16LE(offset);
    return arena.toString('latin1', start, start + Math.min(length, valueLength));
  }

  /** Whether `key` is cached as absent. Does not count as a use, and copies nothing. */
  cachedAbsent(key: string): boolean {
    const offset = this.locate(key);
    return offset >= 0 && this.foundIn!.arena.readUInt32LE(offset + VALUE_LENGTH) === ABSENT;
  }

  /** Whether `key`'s value (or its absence) is cached. Does not count as a use. */
  has(key: string): boolean {
    return this.locate(key) >= 0;
  }

  /** Caches `value` (null: the key is absent) for `key`. The bytes are copied. */
  set(key: string, value: Uint8Array | null): void {
    this.put(key, value);
  }

  /** Caches the latin1 string `value` (every character ≤ U+00FF) for `key`. */
  setLatin1(key: string, value: string): void {
    this.put(key, value);
  }

  /** Caches `head` (latin1) followed by the bytes of `body` for `key`, as {@link setLatin1} of their concatenation would, without making it a string. */
  setLatin1Joined(key: string, head: string, body: Uint8Array): void {
    this.put(key, { head, body });
  }

  /** Entries in both generations, shadowed copies included. */
  get size(): number {
    return (this.young?.count ?? 0) + (this.old?.count ?? 0);
  }

  /** Arena bytes in use in both generations. */
  get weight(): number {
    return (this.young?.used ?? 0) + (this.old?.used ?? 0);
  }

  private put(key: string, value: CachedValue | null): void {
    if (!this.hashKey(key)) return;
    const young = this.young ?? (this.young = new Generation(this.largestEntry, this.slotCount));
    const bytes = HEADER + this.keyBytes + (value === null ? 0 : valueLength(value));
    const inYoung = this.entryIn(young, key);
    if (bytes > this.largestEntry) {
      // Not cacheable: no older value of the key may be found either.
      if (inYoung !== 0) young.arena.writeUInt32LE(DROPPED, inYoung - 1 + VALUE_LENGTH);
      this.dropFromOld(key);
      return;
    }
    if (inYoung !== 0) {
      const length = young.arena.readUInt32LE(inYoung - 1 + VALUE_LENGTH);
      if (value === null) {
        if (length === ABSENT) return;
      } else if (length === valueLength(value)) {
        this.writeValue(young.arena, inYoung - 1 + HEADER + this.keyBytes, value);
        return;
      }
    }
    // Not kept (its slots are taken): no older value of the key may be found.
    if (!this.append(key, value)) this.dropFromOld(key);
  }

  /** Marks the hashed key's entry in the old generation, if any, as not cached. */
  private dropFromOld(key: string): void {
    const inOld = this.old === undefined ? 0 : this.entryIn(this.old, key);
    if (inOld !== 0) this.old!.arena.writeUInt32LE(DROPPED, inOld - 1 + VALUE_LENGTH);
  }

  /** The hashed key's entry in `g` (its offset + 1), or 0. */
  private entryIn(g: Generation, key: string): number {
    const slot = this.find(g, key);
    return slot < 0 ? 0 : g.slots[slot * SLOT_INTS]!;
  }

  /**
   * The offset of `key`'s entry (in `foundIn`; `foundOld` if that is the old
   * generation), or -1 if it is not cached. A dropped entry in the young
   * generation is a miss without looking at the old one.
   */
  private locate(key: string): number {
    if (!this.hashKey(key)) return -1;
    const young = this.young;
    if (young === undefined) return -1;
    const inYoung = this.entryIn(young, key);
    if (inYoung !== 0) {
      if (young.arena.readUInt32LE(inYoung - 1 + VALUE_LENGTH) === DROPPED) return -1;
      this.foundIn = young;
      this.foundOld = false;
      return inYoung - 1;
    }
    const old = this.old;
    if (old === undefined) return -1;
    const inOld = this.entryIn(old, key);
    if (inOld === 0 || old.arena.readUInt32LE(inOld - 1 + VALUE_LENGTH) === DROPPED) return -1;
    this.foundIn = old;
    this.foundOld = true;
    return inOld - 1;
  }

  /**
   * Hashes `key` (FNV-1a over its UTF-16 code units) and measures its bytes;
   * false when it cannot be cached (too long, or not latin1 in a latin1 cache).
   */
  private hashKey(key: string): boolean {
    let hash = 0x811c9dc5;
    let oneByte = true;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c >= this.oneByteBelow) oneByte = false;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    if (!oneByte && this.oneByteBelow === 0x100) return false;
    const bytes = oneByte ? key.length : Buffer.byteLength(key, 'utf8');
    if (bytes > MAX_CACHED_KEY_BYTES) return false;
    if (!oneByte) this.scratch.write(key, 0, 'utf8');
    this.keyHash = hash;
    this.keyBytes = bytes;
    this.keyOneByte = oneByte;
    return true;
  }

  /**
   * The slot of the hashed key in `g`: the one holding it, or the empty one
   * where it would go; -1 if neither is within {@link MAX_PROBES} slots.
   */
  private find(g: Generation, key: string): number {
    const { arena, slots, mask } = g;
    const hash = this.keyHash;
    const bytes = this.keyBytes;
    let slot = hash & mask;
    for (let probes = 0; probes < MAX_PROBES; probes++) {
      const at = slots[slot * SLOT_INTS]!;
      if (at === 0) return slot;
      if (slots[slot * SLOT_INTS + 1] === hash) {
        const offset = at - 1;
        if (arena.readUInt16LE(offset) === bytes && this.keyMatches(arena, offset + HEADER, key)) return slot;
      }
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  private keyMatches(arena: Buffer, start: number, key: string): boolean {
    if (!this.keyOneByte) return arena.compare(this.scratch, 0, this.keyBytes, start, start + this.keyBytes) === 0;
    for (let i = 0; i < key.length; i++) if (arena[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private writeValue(arena: Buffer, offset: number, value: CachedValue): void {
    if (typeof value === 'string') arena.write(value, offset, 'latin1');
    else if (value instanceof Uint8Array) arena.set(value, offset);
    else {
      arena.write(value.head, offset, 'latin1');
      arena.set(value.body, offset + value.head.length);
    }
  }

  /**
   * Writes an entry of the hashed key into the young generation, turning the
   * generations over first if it is full; false if its slots are taken (see
   * {@link MAX_PROBES}): then the young generation does not hold the key.
   */
  private append(key: string, value: CachedValue | null): boolean {
    const bytes = HEADER + this.keyBytes + (value === null ? 0 : valueLength(value));
    let young = this.young ?? (this.young = new Generation(this.largestEntry, this.slotCount));
    if (!young.fits(bytes)) {
      const recycled = this.old ?? new Generation(this.largestEntry, this.slotCount);
      recycled.reset();
      this.old = young;
      this.young = young = recycled;
    }
    const slot = this.find(young, key);
    if (slot < 0) return false;
    const offset = young.used;
    const arena = young.arena;
    arena.writeUInt16LE(this.keyBytes, offset);
    arena.writeUInt32LE(value === null ? ABSENT : valueLength(value), offset + VALUE_LENGTH);
    if (this.keyOneByte) arena.write(key, offset + HEADER, 'latin1');
    else this.scratch.copy(arena, offset + HEADER, 0, this.keyBytes);
    if (value !== null) this.writeValue(arena, offset + HEADER + this.keyBytes, value);
    young.used += bytes;
    if (young.slots[slot * SLOT_INTS] === 0) young.count++;
    young.slots[slot * SLOT_INTS] = offset + 1;
    young.slots[slot * SLOT_INTS + 1] = this.keyHash;
    return true;
  }
}
