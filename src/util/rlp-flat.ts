/**
 * RLP of a flat list of short byte strings: the shape of the records every
 * transaction reads and writes (accounts, the supply). @ethereumjs/rlp is
 * general and costs about a microsecond per record each way, several times
 * per transfer; these take the common shape directly and hand anything else
 * to it, so results and errors are RLP's own:
 *
 * - {@link encodeFlatList} is byte-identical to `RLP.encode(items)`;
 * - {@link decodeFlatList} returns what `RLP.decode(bytes)` returns, or
 *   throws what it throws (items are fresh copies, as RLP's are).
 *
 * test/unit/rlp-flat.test.ts checks both against RLP on random input.
 */
import { type NestedUint8Array, RLP } from '@ethereumjs/rlp';

/** Items longer than this take RLP's long-string form: left to RLP. */
const SHORT = 55;
/** Payloads up to this length fit one length byte (the 0xf8 form). */
const ONE_BYTE_LENGTH = 0xff;

/** `RLP.encode(items)`. */
export function encodeFlatList(items: readonly Uint8Array[]): Uint8Array {
  let payload = 0;
  for (const item of items) {
    if (item.length > SHORT) return RLP.encode(items as Uint8Array[]);
    payload += item.length === 1 && item[0]! < 0x80 ? 1 : 1 + item.length;
  }
  if (payload > ONE_BYTE_LENGTH) return RLP.encode(items as Uint8Array[]);
  const header = payload <= SHORT ? 1 : 2;
  const out = new Uint8Array(header + payload);
  if (header === 1) out[0] = 0xc0 + payload;
  else {
    out[0] = 0xf8;
    out[1] = payload;
  }
  let at = header;
  for (const item of items) {
    if (item.length === 1 && item[0]! < 0x80) {
      out[at++] = item[0]!;
      continue;
    }
    out[at++] = 0x80 + item.length;
    out.set(item, at);
    at += item.length;
  }
  return out;
}

/** `RLP.decode(bytes)`: for a flat list of short strings, an array of copies of them. */
export function decodeFlatList(bytes: Uint8Array): Uint8Array | NestedUint8Array {
  return decodeShortFlatList(bytes) ?? RLP.decode(bytes);
}

/** The items of a canonical flat list of short strings, or undefined for anything else (RLP decides about that). */
function decodeShortFlatList(bytes: Uint8Array): Uint8Array[] | undefined {
  const head = bytes[0];
  if (head === undefined) return undefined;
  let at: number;
  if (head >= 0xc0 && head <= 0xf7) {
    if (bytes.length !== 1 + head - 0xc0) return undefined;
    at = 1;
  } else if (head === 0xf8) {
    const payload = bytes[1];
    if (payload === undefined || payload <= SHORT || bytes.length !== 2 + payload) return undefined;
    at = 2;
  } else return undefined;
  const items: Uint8Array[] = [];
  while (at < bytes.length) {
    const first = bytes[at]!;
    if (first < 0x80) {
      items.push(bytes.slice(at, at + 1));
      at += 1;
      continue;
    }
    if (first > 0x80 + SHORT) return undefined; // a long string or a nested list
    const length = first - 0x80;
    const end = at + 1 + length;
    if (end > bytes.length) return undefined;
    if (length === 1 && bytes[at + 1]! < 0x80) return undefined; // not canonical: RLP refuses it
    items.push(bytes.slice(at + 1, end));
    at = end;
  }
  return items;
}
