/**
 * Ethereum JSON-RPC value encodings: quantities (0x-hex without leading
 * zeros), data (0x-hex bytes), addresses, hashes; and the strict parsers the
 * gateway validates parameters with (errors become -32602).
 */
import type { Address } from '../util/address.js';
import { invalidParams } from './errors.js';

const QUANTITY_RE = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;
const DATA_RE = /^0x([0-9a-fA-F]{2})*$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const HASH_RE = /^0x[0-9a-fA-F]{64}$/;

export function quantity(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}

export function data(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** Bytes as a fixed-size hex word, left-padded with zeros (hashes, bloom, nonce). */
export function fixed(bytes: Uint8Array, size: number): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return `0x${hex.padStart(size * 2, '0').slice(-size * 2)}`;
}

export const ZERO_HASH = `0x${'00'.repeat(32)}`;

/** Longest description of a value in an error message. */
const DESCRIBE_MAX = 80;

/**
 * A short JSON-like description of a client's value for an error message.
 * It stops after DESCRIBE_MAX characters, so a huge or deeply nested
 * argument costs little and is never echoed whole.
 */
function describe(value: unknown): string {
  let out = '';
  const write = (text: string): boolean => {
    out += text;
    return out.length <= DESCRIBE_MAX;
  };
  const walk = (v: unknown): boolean => {
    if (typeof v === 'string') return write(JSON.stringify(v.length > DESCRIBE_MAX ? v.slice(0, DESCRIBE_MAX) : v));
    if (v === null || typeof v !== 'object') return write(String(v));
    if (Array.isArray(v)) {
      if (!write('[')) return false;
      for (let i = 0; i < v.length; i++) if (!write(i === 0 ? '' : ',') || !walk(v[i])) return false;
      return write(']');
    }
    if (!write('{')) return false;
    let first = true;
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      if (!write(`${first ? '' : ','}${JSON.stringify(key.slice(0, DESCRIBE_MAX))}:`) || !walk((v as Record<string, unknown>)[key])) return false;
      first = false;
    }
    return write('}');
  };
  return walk(value) ? out : `${out.slice(0, DESCRIBE_MAX - 3)}...`;
}

/** A quantity parameter; max bits bounds it (default 256). */
export function parseQuantity(value: unknown, name: string, maxBits = 256): bigint {
  // Some clients send leading zeros ("0x01"); accept them, as geth does for most fields.
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value)) {
    throw invalidParams(`${name}: expected a hex quantity like "0x1a", got ${describe(value)}`);
  }
  const digits = value.slice(2).replace(/^0+/, '');
  if (digits.length > Math.ceil(maxBits / 4)) throw invalidParams(`${name}: ${describe(value)} is larger than ${maxBits} bits`);
  const n = digits === '' ? 0n : BigInt(`0x${digits}`);
  if (n >= 1n << BigInt(maxBits)) throw invalidParams(`${name}: ${value} is larger than ${maxBits} bits`);
  return n;
}

export function isStrictQuantity(value: string): boolean {
  return QUANTITY_RE.test(value);
}

export function parseData(value: unknown, name: string, maxBytes = Number.MAX_SAFE_INTEGER): Uint8Array {
  if (typeof value !== 'string' || !DATA_RE.test(value)) {
    throw invalidParams(`${name}: expected 0x-prefixed hex bytes (even length), got ${describe(value)}`);
  }
  if ((value.length - 2) / 2 > maxBytes) throw invalidParams(`${name}: more than ${maxBytes} bytes`);
  return Buffer.from(value.slice(2), 'hex');
}

export function parseAddress(value: unknown, name: string): Address {
  if (typeof value !== 'string' || !ADDRESS_RE.test(value)) {
    throw invalidParams(`${name}: expected an address (0x and 40 hex digits), got ${describe(value)}`);
  }
  return value.toLowerCase() as Address;
}

export function parseHash(value: unknown, name: string): Uint8Array {
  if (typeof value !== 'string' || !HASH_RE.test(value)) {
    throw invalidParams(`${name}: expected a 32-byte hash (0x and 64 hex digits), got ${describe(value)}`);
  }
  return Buffer.from(value.slice(2), 'hex');
}

export function parseBool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidParams(`${name}: expected true or false, got ${describe(value)}`);
  return value;
}

/** A 32-byte storage slot: accepts a quantity or a 32-byte word. */
export function parseSlot(value: unknown, name: string): Uint8Array {
  const n = parseQuantity(value, name, 256);
  return Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
}

export { describe as describeValue };
