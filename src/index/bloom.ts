/**
 * Ethereum's 2048-bit logs bloom (yellow paper, M3:2048): for each log, its
 * address and each topic set three bits, taken from the first three 16-bit
 * big-endian words of keccak256(value), 11 bits each. Bit i is bit (i mod 8)
 * of byte 255 - floor(i / 8).
 */
import { keccak256 } from '../util/crypto.js';

export const BLOOM_BYTES = 256;

export interface BloomLog {
  /** 20-byte address (0x hex or bytes). */
  address: string | Uint8Array;
  topics: Uint8Array[];
}

// The bits of recent values: a block's logs repeat the same few addresses and
// topics (a token's address and Transfer topic in every log), and a lookup
// costs a fraction of a keccak-256. Bounded; cleared when full.
const recentBits = new Map<string, [number, number, number]>();
const RECENT_BITS_MAX = 8192;

function bitsOf(value: Uint8Array): [number, number, number] {
  const key = Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1');
  const known = recentBits.get(key);
  if (known !== undefined) return known;
  const h = keccak256(value);
  const bits: [number, number, number] = [((h[0]! << 8) | h[1]!) & 2047, ((h[2]! << 8) | h[3]!) & 2047, ((h[4]! << 8) | h[5]!) & 2047];
  if (recentBits.size >= RECENT_BITS_MAX) recentBits.clear();
  recentBits.set(key, bits);
  return bits;
}

function addressBytes(address: string | Uint8Array): Uint8Array {
  return typeof address === 'string' ? Buffer.from(address.slice(2), 'hex') : address;
}

export function emptyBloom(): Uint8Array {
  return new Uint8Array(BLOOM_BYTES);
}

/** Adds one value (an address or a topic) to `bloom`, in place. */
export function bloomAdd(bloom: Uint8Array, value: Uint8Array): void {
  for (const bit of bitsOf(value)) bloom[BLOOM_BYTES - 1 - (bit >> 3)]! |= 1 << (bit & 7);
}

/** The bloom of a list of logs. */
export function logsBloom(logs: Iterable<BloomLog>, into: Uint8Array = emptyBloom()): Uint8Array {
  for (const log of logs) {
    bloomAdd(into, addressBytes(log.address));
    for (const topic of log.topics) bloomAdd(into, topic);
  }
  return into;
}

/** ORs `other` into `bloom`. */
export function bloomMerge(bloom: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < BLOOM_BYTES; i++) bloom[i]! |= other[i]!;
}

/** Whether `value` may be in the set (false means certainly not). */
export function bloomMayContain(bloom: Uint8Array, value: Uint8Array): boolean {
  if (bloom.length !== BLOOM_BYTES) return true;
  for (const bit of bitsOf(value)) {
    if ((bloom[BLOOM_BYTES - 1 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}
