/**
 * verifyProof's shape checks (docs/STORE.md "Proofs"; issue 15, the
 * survivors docs/TESTING.md lists for tree.ts): a root, leaf key hash or
 * leaf value hash of the wrong length, `levels` that is not an array, more
 * than 64 levels, a level that is not an array of exactly 4 siblings (15
 * from depth 5 on, where nodes hash flat), a
 * sibling that is not 32 bytes, and an absence proof whose leaf lies on
 * another key's path. Malformed proofs usually fail anyway (root mismatch,
 * or a throw caught inside), so each test here is built so that a verifier
 * WITHOUT the check would accept it: a well-formed proof is accepted, and
 * the malformed variant carries the same bytes where the hashing reads them
 * (the tree hashes through a fixed 65-byte scratch buffer: a 33-byte hash
 * written into it loses its last byte, and an array-like object indexes
 * like an array).
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommittedStore } from '../../src/store/committed-store.js';
import { type StoreProof, verifyProof } from '../../src/store/tree.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

// The commitment, from docs/STORE.md "The commitment" (independent of tree.ts).
const sha256 = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());
const EMPTY = new Uint8Array(32);
const isEmpty = (h: Uint8Array): boolean => h.every((b) => b === 0);
const keyHashOf = (key: string): Uint8Array => sha256(Buffer.from(key, 'utf8'));
const leafOf = (keyHash: Uint8Array, valueHash: Uint8Array): Uint8Array => sha256(Uint8Array.of(0x00), keyHash, valueHash);
const pair = (l: Uint8Array, r: Uint8Array): Uint8Array => (isEmpty(l) && isEmpty(r) ? EMPTY : sha256(l, r));
const nibble = (keyHash: Uint8Array, i: number): number => (i & 1 ? keyHash[i >> 1]! & 0x0f : keyHash[i >> 1]! >> 4);
/** Internal nodes from this depth on hash their slots flat (docs/STORE.md), above it they fold binary. */
const FLAT_FROM = 5;
/** A flat node: 0x02 ‖ mask u16 BE (bit i: slot i not EMPTY) ‖ the non-EMPTY slots in order. */
const flat = (slots: Uint8Array[]): Uint8Array => {
  const mask = slots.reduce((m, s, i) => (isEmpty(s) ? m : m | (1 << i)), 0);
  return sha256(Uint8Array.of(0x02, mask >> 8, mask & 0xff), ...slots.filter((s) => !isEmpty(s)));
};
/**
 * Verification step 2: one level's siblings make `h` into the internal node, n = the key's nibble at depth d:
 * 4 siblings folded binary above FLAT_FROM, 15 slots around `h` hashed flat from it on.
 */
const foldLevel = (h: Uint8Array, siblings: Uint8Array[], n: number, d: number): Uint8Array =>
  d >= FLAT_FROM ? flat([...siblings.slice(0, n), h, ...siblings.slice(n)]) : siblings.reduce((acc, s, j) => ((n >> j) & 1 ? pair(s, acc) : pair(acc, s)), h);
/** Distinct non-EMPTY siblings for a synthetic level at depth d. */
const syntheticLevel = (d: number): Uint8Array[] => Array.from({ length: d >= FLAT_FROM ? 15 : 4 }, (_, j) => sha256(bytes(`sibling ${d}/${j}`)));
/** The root a proof's levels (root first) fold `terminal` into along `keyHash`'s nibbles. */
function rootOf(terminal: Uint8Array, levels: Uint8Array[][], keyHash: Uint8Array): Uint8Array {
  let h = terminal;
  for (let d = levels.length - 1; d >= 0; d--) h = foldLevel(h, levels[d]!, nibble(keyHash, d), d);
  return h;
}

const copy = (proof: StoreProof): StoreProof => ({
  levels: proof.levels.map((level) => level.map((s) => Uint8Array.from(s))),
  ...(proof.leaf === undefined ? {} : { leaf: { keyHash: Uint8Array.from(proof.leaf.keyHash), valueHash: Uint8Array.from(proof.leaf.valueHash) } }),
});
const withByte = (h: Uint8Array): Uint8Array => Uint8Array.of(...h, 0x5a);
const withoutByte = (h: Uint8Array): Uint8Array => h.slice(0, h.length - 1);

describe('store proofs: every malformed shape is refused, including those a verifier without the check would accept', () => {
  let dir: string;
  let store: CommittedStore;
  let root: Uint8Array;
  const present = 'k/7';
  const presentValue = bytes('v7');
  /** A present key's proof (ends at its own leaf; at least one level). */
  let presence: StoreProof;
  /** An absent key whose path ends at another key's leaf, and its proof. */
  let absentKey: string;
  let absence: StoreProof;
  /** A key whose keyHash shares 7 nibbles with another's (test/unit/fixtures/store-clustered-keys.ts): its proof has flat levels. */
  const deepKey = 'c/3598';
  const deepValue = bytes('deep');
  let deep: StoreProof;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-proof-shapes-'));
    store = await CommittedStore.open(dir);
    const pending = store.computeRoot([
      ...Array.from({ length: 40 }, (_, i) => [`k/${i}`, bytes(`v${i}`)] as [string, Uint8Array]),
      [deepKey, deepValue],
      ['c/86246', bytes('its neighbour')],
    ]);
    await store.commit(1n, pending, pending.root);
    root = store.appHash;
    presence = store.prove(present);
    deep = store.prove(deepKey);
    assert.ok(presence.levels.length >= 1 && presence.leaf !== undefined, 'a presence proof with levels');
    for (let i = 0; ; i++) {
      const proof = store.prove(`probe/${i}`);
      if (proof.leaf !== undefined) {
        absentKey = `probe/${i}`;
        absence = proof;
        break;
      }
    }
    // The honest proofs verify: each refusal below is due to the one malformation.
    assert.equal(verifyProof(root, present, presentValue, presence), true);
    assert.equal(verifyProof(root, absentKey, undefined, absence), true);
    assert.equal(verifyProof(root, deepKey, deepValue, deep), true);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a root that is not 32 bytes, whatever else the object holds', () => {
    for (const bad of [new Uint8Array(0), withoutByte(root), withByte(root), Uint8Array.of(...root, ...root)]) {
      assert.equal(verifyProof(bad, present, presentValue, presence), false, `a root of ${bad.length} bytes`);
    }
    // A 5-byte array whose valueOf() names the real root: Buffer.from() reads through valueOf,
    // so only the length check keeps the comparison on the bytes the root itself has.
    const disguised: Uint8Array = new Uint8Array(5);
    disguised.valueOf = () => root;
    assert.equal(verifyProof(disguised, present, presentValue, presence), false, 'a 5-byte root');
  });

  it('refuses a key that is not a string, even one that encodes to the proven key', () => {
    assert.equal(verifyProof(root, present, presentValue, presence), true);
    const boxed = new String(present) as unknown as string;
    assert.equal(verifyProof(root, boxed, presentValue, presence), false, 'a String object');
    const utf8 = Array.from(Buffer.from(present, 'utf8')) as unknown as string;
    assert.equal(verifyProof(root, utf8, presentValue, presence), false, "the key's UTF-8 bytes as an array");
  });

  it('refuses levels that are not an array, even an array-like object holding the honest levels', () => {
    const { levels, leaf } = copy(presence);
    const arrayLike = Object.assign({ length: levels.length }, levels) as unknown as Uint8Array[][];
    assert.equal(verifyProof(root, present, presentValue, { levels: arrayLike, leaf }), false, 'array-like levels');
    for (const bad of [undefined, null, {}, 'abcd', 3]) {
      assert.equal(verifyProof(root, present, presentValue, { levels: bad as unknown as Uint8Array[][], leaf }), false, `levels = ${String(bad)}`);
    }
  });

  it('accepts a proof of 64 levels (the most a keyHash of 64 nibbles allows) and refuses 65', () => {
    // Synthetic: the levels are arbitrary and the root is computed from them
    // (docs/STORE.md), so that the hashes add up and only the depth decides.
    const key = 'deep';
    const value = bytes('bottom');
    const keyHash = keyHashOf(key);
    const leaf = { keyHash, valueHash: sha256(value) };
    const terminal = leafOf(leaf.keyHash, leaf.valueHash);
    const top = Array.from({ length: 64 }, (_, d) => syntheticLevel(d));
    assert.equal(verifyProof(rootOf(terminal, top, keyHash), key, value, { levels: top, leaf }), true, '64 levels');
    assert.equal(verifyProof(rootOf(terminal, top.slice(0, 63), keyHash), key, value, { levels: top.slice(0, 63), leaf }), true, '63 levels');

    // A 65th level, below the 64th (a flat one): a keyHash has no nibble 64, so its
    // 15 siblings are the terminal itself, which gives the same node wherever the
    // terminal goes, and whatever a verifier without the bound read as that
    // nibble, the hashes add up.
    const extra: Uint8Array[] = Array.from({ length: 15 }, () => terminal);
    const h = flat(Array.from({ length: 16 }, () => terminal));
    const levels = [...top, extra];
    assert.equal(verifyProof(rootOf(h, top, keyHash), key, value, { levels, leaf }), false, '65 levels');
  });

  it("refuses a leaf key hash that is not 32 bytes: a byte appended to the key's own leaf is no absence proof", () => {
    const { levels, leaf } = copy(presence);
    assert.equal(verifyProof(root, present, undefined, { levels, leaf }), false, "the key's own leaf proves it present, not absent");
    // The forgery a verifier without the length check would accept: the 33-character key
    // hash differs from the key's, its first 64 nibbles are the key's, and hashing the
    // leaf drops the extra byte, so the path folds to the real root.
    assert.equal(verifyProof(root, present, undefined, { levels, leaf: { keyHash: withByte(leaf!.keyHash), valueHash: leaf!.valueHash } }), false, '33-byte key hash');
    assert.equal(verifyProof(root, present, undefined, { levels, leaf: { keyHash: withoutByte(leaf!.keyHash), valueHash: leaf!.valueHash } }), false, '31-byte key hash');
    assert.equal(verifyProof(root, present, presentValue, { levels, leaf: { keyHash: withByte(leaf!.keyHash), valueHash: leaf!.valueHash } }), false, 'presence, 33-byte key hash');
  });

  it('refuses a leaf value hash that is not 32 bytes, in an absence proof that is otherwise honest', () => {
    const { levels, leaf } = copy(absence);
    assert.equal(verifyProof(root, absentKey, undefined, { levels, leaf }), true);
    for (const valueHash of [withByte(leaf!.valueHash), withoutByte(leaf!.valueHash)]) {
      assert.equal(verifyProof(root, absentKey, undefined, { levels, leaf: { keyHash: leaf!.keyHash, valueHash } }), false, `${valueHash.length}-byte value hash`);
    }
    const own = copy(presence);
    assert.equal(
      verifyProof(root, present, presentValue, { levels: own.levels, leaf: { keyHash: own.leaf!.keyHash, valueHash: withByte(own.leaf!.valueHash) } }),
      false,
      'presence, 33-byte value hash',
    );
  });

  it("refuses an absence proof whose leaf is not on the key's path, even when the hashes add up", () => {
    // Synthetic, 2 levels: the leaf of another key Y sits where the key's path ends,
    // and the root is computed from the levels (docs/STORE.md). The spec accepts Y
    // only if its keyHash shares the key's first 2 nibbles.
    const key = 'x';
    const keyHash = keyHashOf(key);
    const levels = [syntheticLevel(0), syntheticLevel(1)];
    /** The first other key sharing exactly `shared` leading nibbles with `key`. */
    const otherKey = (shared: number): string => {
      for (let i = 0; ; i++) {
        const h = keyHashOf(`other/${i}`);
        let s = 0;
        while (s < 64 && nibble(h, s) === nibble(keyHash, s)) s++;
        if (s === shared) return `other/${i}`;
      }
    };
    const proofThrough = (other: string): { root: Uint8Array; proof: StoreProof } => {
      const leaf = { keyHash: keyHashOf(other), valueHash: sha256(bytes('y')) };
      return { root: rootOf(leafOf(leaf.keyHash, leaf.valueHash), levels, keyHash), proof: { levels, leaf } };
    };
    const onPath = proofThrough(otherKey(2));
    assert.equal(verifyProof(onPath.root, key, undefined, onPath.proof), true, 'a leaf sharing the 2 nibbles');
    for (const shared of [0, 1]) {
      const off = proofThrough(otherKey(shared));
      assert.equal(verifyProof(off.root, key, undefined, off.proof), false, `a leaf sharing ${shared} nibble(s)`);
    }
  });

  it('refuses a level that is not an array of exactly 4 siblings (15 from depth 5 on)', () => {
    assert.ok(deep.levels.length > FLAT_FROM, 'a proof through flat levels');
    for (const [proof, key, value] of [
      [presence, present, presentValue],
      [deep, deepKey, deepValue],
    ] as const) {
      for (let d = 0; d < proof.levels.length; d++) {
        const width = d >= FLAT_FROM ? 15 : 4;
        assert.equal(proof.levels[d]!.length, width);
        const variants: Array<[string, (level: Uint8Array[]) => Uint8Array[]]> = [
          ['array-like', (level) => Object.assign({ length: width }, level) as unknown as Uint8Array[]],
          ['one sibling more', (level) => [...level, sha256(bytes('extra'))]],
          ['one sibling less', (level) => level.slice(0, width - 1)],
          ['no siblings', () => []],
        ];
        for (const [what, change] of variants) {
          const { levels, leaf } = copy(proof);
          levels[d] = change(levels[d]!);
          assert.equal(verifyProof(root, key, value, { levels, leaf }), false, `level ${d}: ${what}`);
        }
      }
    }
  });

  it('refuses a level of the other width: 4 siblings where 15 belong, 15 where 4', () => {
    const { levels, leaf } = copy(deep);
    const narrowed = levels.map((level, d) => (d >= FLAT_FROM ? level.slice(0, 4) : level));
    assert.equal(verifyProof(root, deepKey, deepValue, { levels: narrowed, leaf }), false, 'flat levels with 4 siblings');
    const widened = levels.map((level, d) => (d < FLAT_FROM ? [...level, ...Array.from({ length: 11 }, () => EMPTY)] : level));
    assert.equal(verifyProof(root, deepKey, deepValue, { levels: widened, leaf }), false, 'binary levels with 15 siblings');
  });

  it('refuses a sibling that is not a 32-byte Uint8Array, even one holding the honest bytes', () => {
    for (const [proof, key, value] of [
      [presence, present, presentValue],
      [deep, deepKey, deepValue],
    ] as const) {
      for (let d = 0; d < proof.levels.length; d++) {
        for (let j = 0; j < proof.levels[d]!.length; j++) {
          refusesSiblingsNotBytes(proof, key, value, d, j);
        }
      }
    }
  });

  /** Sibling j of level d of `proof`, replaced by the honest bytes in another form or by other bytes: refused. */
  function refusesSiblingsNotBytes(proof: StoreProof, key: string, value: Uint8Array, d: number, j: number): void {
    const honest = proof.levels[d]![j]!;
    const { levels, leaf } = copy(proof);
    levels[d]![j] = Buffer.from(honest);
    assert.equal(verifyProof(root, key, value, { levels, leaf }), true, `sibling ${d}/${j} as a Buffer (a Uint8Array)`);
    const variants: Array<[string, unknown]> = [
      ['a number array', Array.from(honest)],
      ['a latin1 string', Buffer.from(honest).toString('latin1')],
      ['33 bytes', withByte(honest)],
      ['31 bytes', withoutByte(honest)],
      ['undefined', undefined],
    ];
    for (const [what, sibling] of variants) {
      const { levels: bad } = copy(proof);
      bad[d]![j] = sibling as Uint8Array;
      assert.equal(verifyProof(root, key, value, { levels: bad, leaf }), false, `sibling ${d}/${j}: ${what}`);
    }
  }
});
