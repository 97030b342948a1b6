/**
 * A fast canonical RLP encoder for the ledger's records (the per-block hot
 * path writes one record per candidate). Byte-for-byte the same output as
 * @ethereumjs/rlp's `RLP.encode` for byte strings and nested lists (a test
 * checks it); decoding stays with @ethereumjs/rlp.
 */
export type RlpInput = Uint8Array | RlpInput[];

function lengthOfLength(n: number): number {
  let k = 0;
  while (n > 0) {
    k += 1;
    n = Math.floor(n / 256);
  }
  return k;
}

function payloadSize(x: RlpInput): number {
  if (x instanceof Uint8Array) return x.length;
  let s = 0;
  for (const e of x) s += encodedSize(e);
  return s;
}

function encodedSize(x: RlpInput): number {
  if (x instanceof Uint8Array) {
    if (x.length === 1 && x[0]! < 0x80) return 1;
    return x.length + (x.length < 56 ? 1 : 1 + lengthOfLength(x.length));
  }
  const p = payloadSize(x);
  return p + (p < 56 ? 1 : 1 + lengthOfLength(p));
}

function writeHeader(out: Uint8Array, pos: number, len: number, short: number, long: number): number {
  if (len < 56) {
    out[pos] = short + len;
    return pos + 1;
  }
  const k = lengthOfLength(len);
  out[pos] = long + k;
  for (let i = k; i >= 1; i--) {
    out[pos + i] = len & 0xff;
    len = Math.floor(len / 256);
  }
  return pos + 1 + k;
}

function write(out: Uint8Array, pos: number, x: RlpInput): number {
  if (x instanceof Uint8Array) {
    if (x.length === 1 && x[0]! < 0x80) {
      out[pos] = x[0]!;
      return pos + 1;
    }
    pos = writeHeader(out, pos, x.length, 0x80, 0xb7);
    out.set(x, pos);
    return pos + x.length;
  }
  pos = writeHeader(out, pos, payloadSize(x), 0xc0, 0xf7);
  for (const e of x) pos = write(out, pos, e);
  return pos;
}

export function rlpEncode(x: RlpInput): Uint8Array {
  const out = new Uint8Array(encodedSize(x));
  write(out, 0, x);
  return out;
}

/** Minimal big-endian bytes of a non-negative integer (empty for 0), as RLP integers want. */
export function intBytes(v: bigint | number): Uint8Array {
  if (typeof v === 'number') {
    if (v < 0 || !Number.isSafeInteger(v)) throw new Error(`cannot encode ${v}`);
    if (v === 0) return EMPTY;
    if (v < 256) return Uint8Array.of(v);
    v = BigInt(v);
  }
  if (v < 0n) throw new Error('negative value cannot be encoded');
  if (v === 0n) return EMPTY;
  if (v < 256n) return Uint8Array.of(Number(v));
  const hex = v.toString(16);
  const odd = hex.length & 1;
  const out = new Uint8Array((hex.length + odd) >> 1);
  let j = 0;
  if (odd === 1) out[j++] = NIBBLE[hex.charCodeAt(0)]!;
  for (let i = odd; i < hex.length; i += 2) out[j++] = (NIBBLE[hex.charCodeAt(i)]! << 4) | NIBBLE[hex.charCodeAt(i + 1)]!;
  return out;
}

const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

const EMPTY = new Uint8Array(0);
