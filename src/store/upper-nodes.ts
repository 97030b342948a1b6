/**
 * The upper levels of the latest tree, for the node cache (node-cache.ts):
 * one fixed slot per place above its upper depth, outside V8's heap.
 *
 * Every block rewrites nodes there, so the cache never evicts them, and a
 * slot per place is found by arithmetic: the places above depth U are
 * numbered level by level (1 + 16 + … + 16^(U−1) of them), a place by the
 * nibbles of its path. A slot holds the version that wrote the node and
 * its record; a record longer than an internal
 * node's longest (a leaf with a large value, in a small state) does not fit
 * and is marked kept elsewhere, the slot keeping only its version. Slots
 * come in chunks allocated on first use, so a budget whose upper levels
 * exceed one Buffer's limit still works, and a small state touches only the
 * chunks of the places it has.
 *
 * As a Map of strings (until 2026-12-06) the same nodes were ≈ 87 MB that
 * V8's heap held ≈ 2–3 times over, and each block made ≈ 20 MB of new
 * entry strings that the collector copied and then freed.
 */
import { MAX_INTERNAL_RECORD } from './tree.js';

// A slot: u32 BE high and low words of the version, a flags byte, the record's u16 LE length, then the record.
const FLAGS = 8;
const LENGTH = 9;
const PAYLOAD = 11;
/** Bytes of one slot: what an upper node costs. */
export const UPPER_SLOT_BYTES = PAYLOAD + MAX_INTERNAL_RECORD;
const EMPTY = 0;
const RECORD = 1;
/** The slot's node is too large for it: only its version is here. */
const ELSEWHERE = 2;
const CHUNK_SLOTS = 4096;

/** What a slot holds. */
export type UpperSlot =
  | { version: number; record: string }
  /** The node is cached elsewhere (its record did not fit). */
  | { version: number; record: undefined };

export class UpperNodes {
  private readonly chunks: Array<Buffer | undefined>;
  /** Slots holding a node's record. */
  size = 0;

  /** Slots for every place above `depth` (≤ 8). */
  constructor(readonly depth: number) {
    this.chunks = new Array<Buffer | undefined>(Math.ceil((16 ** depth - 1) / 15 / CHUNK_SLOTS));
  }

  /** The slot number of a place (depth byte + packed path: tree.ts nodePlace) above {@link depth}. */
  slotOf(place: string): number {
    const depth = place.charCodeAt(0);
    // Another shape would name another place's slot, whose record would then hash into the wrong tree.
    if (depth >= this.depth || place.length !== 1 + ((depth + 1) >> 1))
      throw new RangeError(`not a place above depth ${this.depth}: ${Buffer.from(place, 'latin1').toString('hex')}`);
    let prefix = 0;
    for (let i = 1; i < place.length; i++) prefix = prefix * 256 + place.charCodeAt(i);
    // An odd depth's last nibble is the high half of its byte.
    if (depth & 1) prefix /= 16;
    return (16 ** depth - 1) / 15 + prefix;
  }

  /** The version of the node in `slot`, undefined if empty. */
  versionAt(slot: number): number | undefined {
    const chunk = this.chunkOf(slot);
    if (chunk === undefined) return undefined;
    const at = offsetOf(slot);
    return chunk[at + FLAGS] === EMPTY ? undefined : versionIn(chunk, at);
  }

  /** What `slot` holds (undefined if empty). */
  read(slot: number): UpperSlot | undefined {
    const chunk = this.chunkOf(slot);
    if (chunk === undefined) return undefined;
    const at = offsetOf(slot);
    const flags = chunk[at + FLAGS];
    if (flags === EMPTY) return undefined;
    const version = versionIn(chunk, at);
    if (flags === ELSEWHERE) return { version, record: undefined };
    const length = chunk.readUInt16LE(at + LENGTH);
    return { version, record: chunk.toString('latin1', at + PAYLOAD, at + PAYLOAD + length) };
  }

  /** The record in `slot` alone, if it is the one `version` wrote and is kept here. */
  readRecord(slot: number, version: number): string | undefined {
    const chunk = this.chunkOf(slot);
    if (chunk === undefined) return undefined;
    const at = offsetOf(slot);
    if (chunk[at + FLAGS] !== RECORD || versionIn(chunk, at) !== version) return undefined;
    return chunk.toString('latin1', at + PAYLOAD, at + PAYLOAD + chunk.readUInt16LE(at + LENGTH));
  }

  /**
   * Copies the record in `slot` into `into` (at least
   * {@link MAX_INTERNAL_RECORD} bytes) if it is the one `version` wrote and
   * is kept here, and returns its length; -1 if the slot is empty, -2 if it
   * holds another version's node or one kept elsewhere.
   */
  copyRecord(slot: number, version: number, into: Buffer): number {
    const chunk = this.chunkOf(slot);
    if (chunk === undefined) return -1;
    const at = offsetOf(slot);
    const flags = chunk[at + FLAGS];
    if (flags === EMPTY) return -1;
    if (flags !== RECORD || versionIn(chunk, at) !== version) return -2;
    const length = chunk.readUInt16LE(at + LENGTH);
    chunk.copy(into, 0, at + PAYLOAD, at + PAYLOAD + length);
    return length;
  }

  /**
   * Puts the node `version` wrote into `slot` (whatever it held). False if
   * its record does not fit: the slot then keeps only the version, marked
   * kept elsewhere.
   */
  write(slot: number, version: number, record: string | Uint8Array): boolean {
    let chunk = this.chunkOf(slot);
    if (chunk === undefined) chunk = this.chunks[Math.floor(slot / CHUNK_SLOTS)] = Buffer.alloc(CHUNK_SLOTS * UPPER_SLOT_BYTES);
    const at = offsetOf(slot);
    const held = chunk[at + FLAGS] === RECORD;
    chunk.writeUInt32BE(Math.floor(version / 0x1_0000_0000), at);
    chunk.writeUInt32BE(version >>> 0, at + 4);
    if (record.length > MAX_INTERNAL_RECORD) {
      chunk[at + FLAGS] = ELSEWHERE;
      if (held) this.size--;
      return false;
    }
    if (!held) this.size++;
    chunk.writeUInt16LE(record.length, at + LENGTH);
    chunk[at + FLAGS] = RECORD;
    if (typeof record === 'string') chunk.write(record, at + PAYLOAD, 'latin1');
    else chunk.set(record, at + PAYLOAD);
    return true;
  }

  private chunkOf(slot: number): Buffer | undefined {
    return this.chunks[Math.floor(slot / CHUNK_SLOTS)];
  }
}

/** Where `slot` starts in its chunk. */
function offsetOf(slot: number): number {
  return (slot % CHUNK_SLOTS) * UPPER_SLOT_BYTES;
}

function versionIn(chunk: Buffer, at: number): number {
  return chunk.readUInt32BE(at) * 0x1_0000_0000 + chunk.readUInt32BE(at + 4);
}
