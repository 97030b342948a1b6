/**
 * Edges of tree.ts's node codec, node keys, partial refold and in-place
 * record parse (issue 15, mutation survivors of src/store/tree.ts lines
 * 1-330). Every record here is built by hand from the layout in
 * docs/STORE.md "On disk" and every hash from "The commitment", with
 * node:crypto, independently of tree.ts:
 *
 *   leaf      0x00 ‖ keyHash[32] ‖ valueHash[32] ‖ uvarint(len key) ‖ key ‖ value
 *   internal  0x01 ‖ childMask u16 ‖ leafMask u16 ‖ per child (slot order): uvarint(child version) ‖ child hash[32]
 *   'N' u64 version u8 depth path   (u64 big-endian, uvarint unsigned LEB128)
 *
 * Malformed records must throw RangeError saying what is wrong (the
 * message ends up in the StoreCorruptionError a damaged node raises), and
 * `childAt` must refuse what the decoder refuses.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { sha as sha256 } from './fixtures/store-reference.js';
import { type ChildRef, StaleList, childAt, decodeNode, decodeNodeString, encodeNode, nodeKey, u64String } from '../../src/store/tree.js';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
/** Tree hashes travel as 32-character latin1 strings (tree.ts). */
const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const buf = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Unsigned LEB128. */
function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function leafRecord(key: string, value: Uint8Array): Buffer {
  return Buffer.concat([Uint8Array.of(0x00), sha256(utf8(key)), sha256(value), uvarint(utf8(key).length), utf8(key), value]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** An internal record; `children[i]` = [version bytes (a uvarint, possibly malformed), hash bytes, leaf]. */
function internalRecord(children: Array<[Buffer, Buffer, boolean] | undefined>): Buffer {
  let childMask = 0;
  let leafMask = 0;
  const parts: Buffer[] = [];
  children.forEach((c, i) => {
    if (c === undefined) return;
    childMask |= 1 << i;
    if (c[2]) leafMask |= 1 << i;
    parts.push(c[0], c[1]);
  });
  return Buffer.concat([Uint8Array.of(0x01), u16(childMask), u16(leafMask), ...parts]);
}

const H = (label: string): Buffer => sha256(utf8(label));
/** A uvarint of `len` bytes: len - 1 continuation bytes 0x80, then 0x01 (value 128^(len - 1)). */
const longVarint = (len: number): Buffer => Buffer.concat([Buffer.alloc(len - 1, 0x80), Uint8Array.of(0x01)]);

function throwsRange(record: Uint8Array, message: RegExp): void {
  assert.throws(
    () => decodeNode(record),
    (err: unknown) => err instanceof RangeError && message.test(err.message),
    `expected RangeError ${message}`,
  );
}

describe('leaf records', () => {
  it('decode a non-ASCII key, a key of 200 bytes (2-byte uvarint) and an empty key exactly as laid out', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['é/\u{1F600}', Uint8Array.of(1, 2, 3)],
      ['z'.repeat(200), Uint8Array.of(0xff)],
      ['', new Uint8Array(0)],
    ];
    for (const [key, value] of cases) {
      const record = leafRecord(key, value);
      const node = decodeNode(record);
      assert.deepEqual(node, { kind: 'leaf', keyHash: str(sha256(utf8(key))), valueHash: str(sha256(value)), key, value: Uint8Array.from(value) });
      assert.deepEqual(decodeNodeString(str(record)), node);
      // and the encoder writes the same bytes
      assert.ok(encodeNode(node, 0).equals(record), `encodeNode of ${JSON.stringify(key)}`);
    }
    // 'é/😀' is 7 UTF-8 bytes: the length field is 0x07, the key bytes follow it
    assert.deepEqual([...leafRecord('é/\u{1F600}', new Uint8Array(0)).subarray(65)], [0x07, 0xc3, 0xa9, 0x2f, 0xf0, 0x9f, 0x98, 0x80]);
  });

  it('a leaf shorter than tag, two hashes and a length byte is refused as truncated', () => {
    const header = leafRecord('', new Uint8Array(0)).subarray(0, 65); // 0x00 ‖ keyHash ‖ valueHash
    throwsRange(header, /^truncated leaf node$/);
    throwsRange(header.subarray(0, 1), /^truncated leaf node$/);
    // 66 bytes with a zero length is the smallest leaf: empty key, empty value
    assert.deepEqual(decodeNode(Buffer.concat([header, Uint8Array.of(0)])), {
      kind: 'leaf',
      keyHash: str(header.subarray(1, 33)),
      valueHash: str(header.subarray(33, 65)),
      key: '',
      value: new Uint8Array(0),
    });
    // a length uvarint cut after its continuation byte
    throwsRange(Buffer.concat([header, Uint8Array.of(0x80)]), /^truncated varint$/);
  });

  it('a key longer than the record is refused; a key ending the record is not', () => {
    const header = leafRecord('', new Uint8Array(0)).subarray(0, 65);
    throwsRange(Buffer.concat([header, Uint8Array.of(5), utf8('abcd')]), /^truncated leaf key$/);
    const exact = decodeNode(Buffer.concat([header, Uint8Array.of(5), utf8('abcde')]));
    assert.equal(exact.kind, 'leaf');
    if (exact.kind === 'leaf') {
      assert.equal(exact.key, 'abcde');
      assert.deepEqual(exact.value, new Uint8Array(0));
    }
  });
});

describe('internal records', () => {
  it('decode to 16 slots with each child where its mask bits put it', () => {
    const record = internalRecord([undefined, undefined, undefined, [uvarint(300), H('three'), true], ...new Array<undefined>(8), [uvarint(7), H('twelve'), false]]);
    // 300 = 0b10_0101100: LEB128 0xac 0x02
    assert.deepEqual([...record.subarray(0, 7)], [0x01, 0x10, 0x08, 0x00, 0x08, 0xac, 0x02]);
    const node = decodeNode(record);
    assert.equal(node.kind, 'internal');
    assert.ok(node.kind === 'internal');
    assert.equal(node.children.length, 16);
    for (let i = 0; i < 16; i++) {
      const expected = i === 3 ? { version: 300, hash: str(H('three')), leaf: true } : i === 12 ? { version: 7, hash: str(H('twelve')), leaf: false } : undefined;
      assert.deepEqual(node.children[i], expected, `slot ${i}`);
    }
    assert.ok(encodeNode(node, 0).equals(record));
  });

  it('a record without children is 5 bytes and decodes to 16 empty slots', () => {
    const empty = encodeNode({ kind: 'internal', children: new Array<ChildRef | undefined>(16) }, 0);
    assert.deepEqual([...empty], [0x01, 0, 0, 0, 0]);
    const node = decodeNode(empty);
    assert.equal(node.kind, 'internal');
    assert.ok(node.kind === 'internal');
    assert.equal(node.children.length, 16);
    assert.ok(node.children.every((c) => c === undefined));
  });

  it('unknown tags and records shorter than the 5-byte header are refused as such', () => {
    throwsRange(Uint8Array.of(0x02, 0, 0, 0, 0), /^unknown node tag 2$/);
    throwsRange(Uint8Array.of(0x02), /^unknown node tag 2$/);
    throwsRange(Uint8Array.of(0x01, 0x00), /^truncated internal node header$/);
    throwsRange(Uint8Array.of(0x01, 0x00, 0x01, 0x00), /^truncated internal node header$/);
  });

  it('a child whose version or hash runs past the end, or bytes after the last child, are refused', () => {
    // slot 0 declared, nothing after the header
    throwsRange(Uint8Array.of(0x01, 0x00, 0x01, 0x00, 0x00), /^truncated varint$/);
    // a version uvarint of 7 continuation bytes that the record cuts before its 8th
    throwsRange(Buffer.concat([Uint8Array.of(0x01, 0x00, 0x01, 0x00, 0x00), Buffer.alloc(7, 0x80)]), /^truncated varint$/);
    // the hash one byte short
    throwsRange(internalRecord([[uvarint(7), H('zero').subarray(0, 31), false]]), /^truncated internal node$/);
    // one byte too many
    const good = internalRecord([[uvarint(7), H('zero'), false]]);
    assert.equal(decodeNode(good).kind, 'internal');
    throwsRange(Buffer.concat([good, Uint8Array.of(0)]), /^trailing bytes in internal node$/);
  });

  it('a version uvarint may take 8 bytes (56 bits hold any version < 2^53), not 9', () => {
    const eight = decodeNode(internalRecord([[longVarint(8), H('zero'), true]]));
    assert.ok(eight.kind === 'internal');
    assert.deepEqual(eight.children[0], { version: 128 ** 7, hash: str(H('zero')), leaf: true });
    throwsRange(internalRecord([[longVarint(9), H('zero'), true]]), /^varint too long$/);
    // the leaf's key length too
    const header = leafRecord('', new Uint8Array(0)).subarray(0, 65);
    throwsRange(Buffer.concat([header, longVarint(9)]), /^varint too long$/);
  });
});

describe('childAt (the read-ahead parse) refuses what the decoder refuses', () => {
  it('a leaf record has no children', () => {
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '\u{1F600}', 'z'.repeat(70)]) {
      const record = leafRecord(key, utf8('value'));
      for (let n = 0; n < 16; n++) assert.equal(childAt(record, n), undefined, `leaf of ${key}, slot ${n}`);
    }
  });

  it('an 8-byte version uvarint is read, a 9- or 10-byte one is refused', () => {
    const record = (len: number): Uint8Array => internalRecord([undefined, [uvarint(5), H('one'), true], [longVarint(len), H('two'), false]]);
    assert.deepEqual(childAt(record(8), 2), { version: 128 ** 7, leaf: false });
    assert.deepEqual(childAt(record(8), 1), { version: 5, leaf: true });
    for (const len of [9, 10]) {
      assert.throws(() => decodeNode(record(len)), RangeError);
      assert.equal(childAt(record(len), 2), undefined, `${len}-byte uvarint`);
    }
  });
});

describe('node keys', () => {
  it("a version is a big-endian u64, also above 2^32 (docs/STORE.md 'N' u64 version u8 depth path)", () => {
    for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, 2 ** 53 - 1]) {
      const be = Buffer.alloc(8);
      be.writeBigUInt64BE(BigInt(v));
      assert.deepEqual([...buf(u64String(v))], [...be], `u64String(${v})`);
      assert.deepEqual([...buf(nodeKey(v, 0, ''))], [0x4e, ...be, 0], `nodeKey(${v}, 0)`);
    }
  });
});

describe('stale lists (per key: uvarint(length) ‖ key)', () => {
  it('a node key is listed as nodeKey spells it, at every depth and at versions above 2^32; other keys as given, a 200-byte one with a 2-byte length', () => {
    const path = buf('\xab\xcd\xef\x12'.repeat(8));
    const list = new StaleList();
    const expected: Buffer[] = [];
    for (const [version, depth] of [
      [1, 0],
      [7, 1],
      [2 ** 32 + 3, 2],
      [2 ** 53 - 1, 63],
      [9, 64],
    ] as const) {
      list.addNode(version, depth, str(path));
      expected.push(buf(nodeKey(version, depth, str(path))));
    }
    const long = Buffer.alloc(200, 0x64);
    list.add(long);
    expected.push(long);
    list.add(Buffer.alloc(0));
    expected.push(Buffer.alloc(0));
    assert.equal(list.count, expected.length);
    assert.deepEqual(list.encoded, Buffer.concat(expected.flatMap((key) => [uvarint(key.length), key])));
    assert.deepEqual(StaleList.decode(list.encoded), expected);
  });

  it('a list whose last key runs past its end, or whose length is cut, is refused as truncated', () => {
    assert.throws(() => StaleList.decode(Buffer.concat([uvarint(3), utf8('ab')])), { name: 'RangeError', message: 'truncated stale list' });
    assert.throws(() => StaleList.decode(Buffer.from([0x80])), { name: 'RangeError', message: 'truncated stale list' });
    assert.deepEqual(StaleList.decode(Buffer.alloc(0)), []);
  });
});
