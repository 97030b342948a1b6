/**
 * src/util/rlp-flat.ts against @ethereumjs/rlp: the encoding byte for byte,
 * the decoding result or error, on random lists and on random and mutated
 * bytes (the records it decodes are consensus state: it must accept and
 * refuse exactly what RLP does).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';

import { decodeFlatList, encodeFlatList } from '../../src/util/rlp-flat.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Byte strings around the shape boundaries: single bytes either side of 0x80, lengths 0..60 (55 is the last short one). */
const item = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((b) => Uint8Array.of(b)),
  fc.uint8Array({ minLength: 0, maxLength: 60 }),
  fc.uint8Array({ minLength: 50, maxLength: 60 }),
);
const list = fc.array(item, { maxLength: 12 });

/** What RLP.decode gives for `bytes`: its value or its error message. */
function rlpDecode(bytes: Uint8Array): { value?: unknown; error?: string } {
  try {
    return { value: RLP.decode(bytes) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function flatDecode(bytes: Uint8Array): { value?: unknown; error?: string } {
  try {
    return { value: decodeFlatList(bytes) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Decoded values compared by bytes and shape (RLP may return Uint8Arrays or nested arrays). */
function shape(value: unknown): unknown {
  if (value instanceof Uint8Array) return `0x${hex(value)}`;
  if (Array.isArray(value)) return value.map(shape);
  return value;
}

function assertSameDecode(bytes: Uint8Array): void {
  const want = rlpDecode(bytes);
  const got = flatDecode(bytes);
  assert.deepEqual({ value: shape(got.value), error: got.error }, { value: shape(want.value), error: want.error }, `decode of 0x${hex(bytes)}`);
}

describe('rlp-flat: the encoding is RLP.encode', () => {
  it('on random flat lists (short and long items, short and long lists)', () => {
    fc.assert(
      fc.property(list, (items) => {
        assert.equal(hex(encodeFlatList(items)), hex(RLP.encode(items)));
      }),
      { numRuns: 3000 },
    );
  });

  it('at the boundaries: an empty list, a 55-byte and a 56-byte payload, a 255- and a 256-byte payload', () => {
    for (const sizes of [[], [54], [55], [1, 53], [1, 54], [30, 30, 30, 30, 30, 30, 30, 30], [55, 55, 55, 55, 31], [55, 55, 55, 55, 32]]) {
      const items = sizes.map((n) => new Uint8Array(n).fill(0xaa));
      assert.equal(hex(encodeFlatList(items)), hex(RLP.encode(items)), `item sizes ${sizes.join(',')}`);
    }
  });
});

describe('rlp-flat: the decoding is RLP.decode', () => {
  it('of every encoded flat list: the items back, as copies that do not share the input', () => {
    fc.assert(
      fc.property(list, (items) => {
        const bytes = RLP.encode(items);
        const decoded = decodeFlatList(bytes) as Uint8Array[];
        assert.deepEqual(decoded.map(hex), items.map(hex));
        assertSameDecode(bytes);
        if (decoded.length > 0 && decoded[0]!.length > 0) {
          decoded[0]![0] ^= 0xff;
          assert.deepEqual((decodeFlatList(bytes) as Uint8Array[]).map(hex), items.map(hex), 'the input is unchanged');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('of mutated encodings (a byte changed, cut short, extended): the same value or the same error', () => {
    fc.assert(
      fc.property(list, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'append'), (items, at, byte, how) => {
        const bytes = RLP.encode(items);
        let mutated: Uint8Array;
        if (how === 'set') {
          mutated = Uint8Array.from(bytes);
          mutated[at % mutated.length] = byte;
        } else if (how === 'cut') mutated = bytes.slice(0, at % bytes.length);
        else mutated = Uint8Array.from([...bytes, byte]);
        assertSameDecode(mutated);
      }),
      { numRuns: 5000 },
    );
  });

  it('of random bytes, and of the non-canonical and nested shapes RLP refuses or nests', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => assertSameDecode(bytes)),
      { numRuns: 3000 },
    );
    for (const text of ['', 'c0', 'c180', 'c17f', 'c28105', 'c28180', 'f800', 'f837' + '00'.repeat(55), 'c3c20102', 'c2b800', 'c101', 'c102ff', '80', '05']) {
      assertSameDecode(Buffer.from(text, 'hex'));
    }
  });
});
