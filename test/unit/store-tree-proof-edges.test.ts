/**
 * Edges of the proof codec (docs/STORE.md "Proofs"), of stateRoot and of
 * the sorted-leaves bulk builders: exact encodings derived from the
 * documented format with node:crypto, decode limits and their errors, and
 * the pause contract of buildSortedSubtreeAsync.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import {
  buildSortedSubtree,
  buildSortedSubtreeAsync,
  decodeProof,
  encodeProof,
  stateRoot,
  verifyProof,
  type LeafNode,
  type NodeWrite,
  type SortedLeaves,
  type StoreProof,
} from '../../src/store/tree.js';

// --- the commitment, from docs/STORE.md, with node:crypto -----------------

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const EMPTY = Buffer.alloc(32);
const leaf = (keyHash: Buffer, valueHash: Buffer): Buffer => sha(Uint8Array.of(0x00), keyHash, valueHash);
const pair = (l: Buffer, r: Buffer): Buffer => (l.equals(EMPTY) && r.equals(EMPTY) ? EMPTY : sha(l, r));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('encodeProof: the documented byte layout', () => {
  it('omits EMPTY siblings and sets only the mask bits of non-EMPTY ones (hand-built proof)', () => {
    const x = sha(utf8('x'));
    const y = sha(utf8('y'));
    const kh = sha(utf8('k'));
    const vh = sha(utf8('v'));
    const proof: StoreProof = { levels: [[EMPTY, x, EMPTY, y]], leaf: { keyHash: kh, valueHash: vh } };
    // u8 levels = 1 | mask 0b1010 | x | y | u8 1 | keyHash | valueHash
    const expected = Buffer.concat([Uint8Array.of(1, 0b1010), x, y, Uint8Array.of(1), kh, vh]);
    assert.equal(hex(encodeProof(proof)), hex(expected));
    assert.equal(encodeProof(proof).length, 1 + 1 + 64 + 1 + 64);
  });

  it('encodes the proof of "a" in {"a": "1", "b": "2"} as one level with one sibling (r_0), verifiable against stateRoot', () => {
    const khA = sha(utf8('a'));
    const vhA = sha(utf8('1'));
    const khB = sha(utf8('b'));
    const vhB = sha(utf8('2'));
    // docs: a is in slot 0xc, b in slot 0x3 of the root
    assert.equal(khA[0]! >> 4, 0xc, 'keyHash(a) starts with nibble c');
    assert.equal(khB[0]! >> 4, 0x3, 'keyHash(b) starts with nibble 3');
    const la = leaf(khA, vhA);
    const lb = leaf(khB, vhB);
    // fold16: slots 0..7 hold b at 3 -> r0; slots 8..15 hold a at 12 -> r1
    const r0 = pair(pair(EMPTY, pair(EMPTY, lb)), EMPTY);
    const r1 = pair(EMPTY, pair(pair(la, EMPTY), EMPTY));
    const root = pair(r0, r1);
    const state = new Map([
      ['a', utf8('1')],
      ['b', utf8('2')],
    ]);
    assert.equal(hex(stateRoot(state)), hex(root));
    // a's path: n = 0xc = 0b1100; bottom-up siblings: slot d (EMPTY), p7 (EMPTY), q2 (EMPTY), r0
    const proof: StoreProof = { levels: [[EMPTY, EMPTY, EMPTY, r0]], leaf: { keyHash: khA, valueHash: vhA } };
    assert.equal(verifyProof(root, 'a', utf8('1'), proof), true);
    const expected = Buffer.concat([Uint8Array.of(1, 0b1000), r0, Uint8Array.of(1), khA, vhA]);
    assert.equal(hex(encodeProof(proof)), hex(expected));
    const back = decodeProof(expected);
    assert.equal(verifyProof(root, 'a', utf8('1'), back), true);
    assert.deepEqual(
      back.levels.map((l) => l.map(hex)),
      proof.levels.map((l) => l.map(hex)),
    );
  });
});

describe('encodeProof: flat levels (depth 5 and deeper)', () => {
  it('encodes the proof of "c/9" in {"c/9": "1", "c/80585": "2"}: 5 binary levels of EMPTY siblings, then a flat one with a u16 mask', () => {
    const kh = sha(utf8('c/9'));
    const vh = sha(utf8('1'));
    const khOther = sha(utf8('c/80585'));
    const nibble = (h: Buffer, i: number): number => (i & 1 ? h[i >> 1]! & 0x0f : h[i >> 1]! >> 4);
    for (let d = 0; d < 5; d++) assert.equal(nibble(kh, d), nibble(khOther, d), 'the keyHashes share 5 nibbles');
    const [n, m] = [nibble(kh, 5), nibble(khOther, 5)];
    assert.notEqual(n, m);
    // docs: a node at depth ≥ 5 is sha256(0x02 ‖ mask u16 BE ‖ its non-EMPTY slots in order)
    const own = leaf(kh, vh);
    const other = leaf(khOther, sha(utf8('2')));
    const mask = (1 << n) | (1 << m);
    let h = sha(Uint8Array.of(0x02, mask >> 8, mask & 0xff), ...(n < m ? [own, other] : [other, own]));
    // depths 4 .. 0: one child each, folded binary with pair
    for (let d = 4; d >= 0; d--) {
      let layer = Array.from({ length: 16 }, (_, i) => (i === nibble(kh, d) ? h : EMPTY));
      while (layer.length > 1) layer = Array.from({ length: layer.length / 2 }, (_, i) => pair(layer[2 * i]!, layer[2 * i + 1]!));
      h = layer[0]!;
    }
    const state = new Map([
      ['c/9', utf8('1')],
      ['c/80585', utf8('2')],
    ]);
    assert.equal(hex(stateRoot(state)), hex(h));
    const siblings: Buffer[] = Array.from({ length: 15 }, () => EMPTY);
    const at = m < n ? m : m - 1; // the 15 other slots, in slot order
    siblings[at] = other;
    const proof: StoreProof = { levels: [...Array.from({ length: 5 }, () => [EMPTY, EMPTY, EMPTY, EMPTY]), siblings], leaf: { keyHash: kh, valueHash: vh } };
    assert.equal(verifyProof(h, 'c/9', utf8('1'), proof), true);
    const expected = Buffer.concat([Uint8Array.of(6, 0, 0, 0, 0, 0, (1 << at) >> 8, (1 << at) & 0xff), other, Uint8Array.of(1), kh, vh]);
    assert.equal(hex(encodeProof(proof)), hex(expected));
    assert.equal(verifyProof(h, 'c/9', utf8('1'), decodeProof(expected)), true);
  });
});

describe('decodeProof: limits and errors', () => {
  const throwsRange = (bytes: Uint8Array, message: RegExp): void => {
    assert.throws(
      () => decodeProof(bytes),
      (e: unknown) => e instanceof RangeError && message.test(e.message),
      `expected RangeError ${message}`,
    );
  };

  it('reports a truncated sibling as a truncated proof', () => {
    throwsRange(Buffer.concat([Uint8Array.of(1, 0b0001), Buffer.alloc(10)]), /^truncated proof$/);
  });

  it('reports a missing valueHash as a truncated proof', () => {
    throwsRange(Buffer.concat([Uint8Array.of(0, 1), Buffer.alloc(32)]), /^truncated proof$/);
  });

  /** The mask bytes of `levels` empty levels: a u8 each for the 5 binary ones (depths 0–4), a u16 each from depth 5 on. */
  const emptyMasks = (levels: number): Buffer => Buffer.alloc(Math.min(levels, 5) + 2 * Math.max(0, levels - 5));

  it('accepts 64 levels (the keyHash has 64 nibbles): 4 siblings each at depths 0–4, 15 from depth 5 on', () => {
    const bytes = Buffer.concat([Uint8Array.of(64), emptyMasks(64), Uint8Array.of(0)]);
    const proof = decodeProof(bytes);
    assert.equal(proof.levels.length, 64);
    assert.equal(proof.leaf, undefined);
    proof.levels.forEach((level, d) => {
      assert.equal(level.length, d < 5 ? 4 : 15);
      for (const s of level) assert.equal(hex(s), hex(EMPTY));
    });
    assert.equal(hex(encodeProof(proof)), hex(bytes));
  });

  it('refuses 65 levels, even when the rest is well formed', () => {
    throwsRange(Buffer.concat([Uint8Array.of(65), emptyMasks(65), Uint8Array.of(0)]), /^proof of 65 levels \(at most 64\)$/);
  });

  it('reads a u16 mask of 15 siblings from depth 5 on, and refuses bits above them', () => {
    const x = sha(utf8('x'));
    const head = Buffer.concat([Uint8Array.of(6), emptyMasks(5)]);
    // bits 0 and 14: the first and the last of the 15 siblings
    const proof = decodeProof(Buffer.concat([head, Uint8Array.of(0x40, 0x01), x, x, Uint8Array.of(0)]));
    assert.equal(proof.levels[5]!.length, 15);
    assert.deepEqual(
      proof.levels[5]!.map((s) => (s.every((b) => b === 0) ? 0 : 1)),
      [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    );
    throwsRange(Buffer.concat([head, Uint8Array.of(0x80, 0x00), Uint8Array.of(0)]), /^bad sibling mask$/);
    throwsRange(Buffer.concat([head, Uint8Array.of(0x00)]), /^truncated proof$/);
  });

  it('refuses a mask with bits above the 4 siblings', () => {
    throwsRange(Uint8Array.of(1, 0x10, 0), /^bad sibling mask$/);
    throwsRange(Uint8Array.of(1, 0x80, 0), /^bad sibling mask$/);
    // 0x0f is the largest mask: 4 siblings
    const full = decodeProof(Buffer.concat([Uint8Array.of(1, 0x0f), Buffer.alloc(128, 7), Uint8Array.of(0)]));
    assert.equal(full.levels[0]!.length, 4);
  });

  it('refuses a terminal other than 0 or 1, even with 64 bytes after it', () => {
    throwsRange(Buffer.concat([Uint8Array.of(0, 2), Buffer.alloc(64, 1)]), /^bad proof terminal 2$/);
    throwsRange(Uint8Array.of(0, 0xff), /^bad proof terminal 255$/);
  });

  it('refuses trailing bytes', () => {
    throwsRange(Uint8Array.of(0, 0, 0), /^trailing bytes after proof$/);
    throwsRange(Buffer.concat([Uint8Array.of(0, 1), Buffer.alloc(65)]), /^trailing bytes after proof$/);
  });
});

// --- sorted-leaves builders -------------------------------------------------

function sortedLeaves(keys: string[]): { leaves: SortedLeaves; requested: number[] } {
  const entries = keys.map((key) => ({ key, value: utf8(`v:${key}`), keyHash: sha(utf8(key)) })).sort((a, b) => Buffer.compare(a.keyHash, b.keyHash));
  const requested: number[] = [];
  const leaves: SortedLeaves = {
    nibbleAt: (i, depth) => {
      const b = entries[i]!.keyHash[depth >> 1]!;
      return depth & 1 ? b & 0x0f : b >> 4;
    },
    keyHashAt: (i) => entries[i]!.keyHash.toString('latin1'),
    leafAt: (i): LeafNode => {
      requested.push(i);
      const e = entries[i]!;
      return { kind: 'leaf', keyHash: e.keyHash.toString('latin1'), valueHash: sha(e.value).toString('latin1'), key: e.key, value: e.value };
    },
  };
  return { leaves, requested };
}

const KEYS = Array.from({ length: 40 }, (_, i) => `key/${i}`);
const stateOf = (keys: string[]): Map<string, Uint8Array> => new Map(keys.map((k) => [k, utf8(`v:${k}`)]));

describe('buildSortedSubtree: emitted nodes', () => {
  it('emits internal nodes of kind "internal" with 16 slots, and the root of stateRoot', () => {
    const { leaves, requested } = sortedLeaves(KEYS);
    const writes: NodeWrite[] = [];
    const ref = buildSortedSubtree(leaves, 0, 0, KEYS.length, (w) => writes.push(w));
    assert.equal(hex(Buffer.from(ref.hash, 'latin1')), hex(stateRoot(stateOf(KEYS))));
    assert.equal(ref.leaf, false);
    assert.deepEqual(
      requested,
      KEYS.map((_, i) => i),
    );
    const internals = writes.filter((w) => w.node.kind !== 'leaf');
    assert.ok(internals.length >= 2, 'more than one internal node for 40 keys');
    for (const w of internals) {
      assert.equal(w.node.kind, 'internal');
      if (w.node.kind === 'internal') assert.equal(w.node.children.length, 16);
    }
    assert.equal(writes.filter((w) => w.node.kind === 'leaf').length, KEYS.length);
  });
});

describe('buildSortedSubtreeAsync: pauses after each synchronous subtree', () => {
  async function run(keys: string[], syncKeys: number): Promise<{ writes: NodeWrite[]; segments: NodeWrite[][]; hash: string }> {
    const { leaves } = sortedLeaves(keys);
    const writes: NodeWrite[] = [];
    const segments: NodeWrite[][] = [];
    let current: NodeWrite[] = [];
    const ref = await buildSortedSubtreeAsync(
      leaves,
      0,
      0,
      keys.length,
      (w) => {
        writes.push(w);
        current.push(w);
      },
      syncKeys,
      async () => {
        segments.push(current);
        current = [];
      },
    );
    segments.push(current); // what follows the last pause
    return { writes, segments, hash: ref.hash };
  }

  function syncWrites(keys: string[]): NodeWrite[] {
    const { leaves } = sortedLeaves(keys);
    const writes: NodeWrite[] = [];
    buildSortedSubtree(leaves, 0, 0, keys.length, (w) => writes.push(w));
    return writes;
  }

  it('builds everything in one step, with one pause, when the keys fit in syncKeys', async () => {
    const { writes, segments, hash } = await run(KEYS, KEYS.length);
    assert.equal(segments.length, 2, 'one pause');
    assert.equal(segments[1]!.length, 0, 'nothing emitted after the only pause');
    assert.equal(hex(Buffer.from(hash, 'latin1')), hex(stateRoot(stateOf(KEYS))));
    assert.deepEqual(writes, syncWrites(KEYS));
  });

  it('pauses after every key when syncKeys is 1, emitting the same nodes in the same order', async () => {
    const { writes, segments, hash } = await run(KEYS, 1);
    assert.equal(segments.length - 1, KEYS.length, 'one pause per key');
    // each synchronous step is one leaf (after the internal nodes its predecessors completed)
    for (const segment of segments.slice(0, -1)) {
      assert.equal(segment.filter((w) => w.node.kind === 'leaf').length, 1);
    }
    assert.equal(segments.at(-1)!.filter((w) => w.node.kind === 'leaf').length, 0);
    assert.equal(hex(Buffer.from(hash, 'latin1')), hex(stateRoot(stateOf(KEYS))));
    assert.deepEqual(writes, syncWrites(KEYS));
  });

  it('never builds more than syncKeys leaves between two pauses', async () => {
    for (const syncKeys of [2, 3, 7]) {
      const { writes, segments } = await run(KEYS, syncKeys);
      assert.ok(segments.length > 2, `several pauses with syncKeys ${syncKeys}`);
      for (const segment of segments) {
        const leaves = segment.filter((w) => w.node.kind === 'leaf').length;
        assert.ok(leaves <= syncKeys, `${leaves} leaves in one step, syncKeys ${syncKeys}`);
      }
      assert.deepEqual(writes, syncWrites(KEYS));
    }
  });
});
