/**
 * verifyProof's shape checks (docs/STORE.md "Proofs"; issue 15, the
 * survivors docs/TESTING.md lists for tree.ts): a root, leaf key hash or
 * leaf value hash of the wrong length, `levels` that is not an array, more
 * than 64 levels, a level that is not an array of exactly 4 siblings, a
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
const pair = (l: Uint8Array, r: Uint8Array): Uint8Array => (isEmpty(l) && isEmpty(r) ? EMPTY : sha256(Uint8Array.of(0x01), l, r));
const nibble = (keyHash: Uint8Array, i: number): number => (i & 1 ? keyHash[i >> 1]! & 0x0f : keyHash[i >> 1]! >> 4);
/** Verification step 2: one level's 4 siblings fold `h` into the internal node, n = the key's nibble at that depth. */
const foldLevel = (h: Uint8Array, siblings: Uint8Array[], n: number): Uint8Array => siblings.reduce((acc, s, j) => ((n >> j) & 1 ? pair(s, acc) : pair(acc, s)), h);
/** Distinct non-EMPTY siblings for a synthetic level. */
const syntheticLevel = (d: number): Uint8Array[] => [0, 1, 2, 3].map((j) => sha256(bytes(`sibling ${d}/${j}`)));
/** The root a proof's levels (root first) fold `terminal` into along `keyHash`'s nibbles. */
function rootOf(terminal: Uint8Array, levels: Uint8Array[][], keyHash: Uint8Array): Uint8Array {
  let h = terminal;
  for (let d = levels.length - 1; d >= 0; d--) h = foldLevel(h, levels[d]!, nibble(keyHash, d));
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

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-proof-shapes-'));
    store = await CommittedStore.open(dir);
    const pending = store.computeRoot(Array.from({ length: 40 }, (_, i) => [`k/${i}`, bytes(`v${i}`)] as [string, Uint8Array]));
    await store.commit(1n, pending, pending.root);
    root = store.appHash;
    presence = store.prove(present);
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

    // A 65th level, below the 64th: a keyHash has no nibble 64, so its siblings are
    // chosen to give the same node in either order (s_j = the hash folded so far),
    // and whatever a verifier without the bound read as that nibble, the hashes add up.
    const extra: Uint8Array[] = [];
    let h = terminal;
    for (let j = 0; j < 4; j++) {
      extra.push(h);
      h = pair(h, h);
    }
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

  it('refuses a level that is not an array of exactly 4 siblings', () => {
    for (let d = 0; d < presence.levels.length; d++) {
      const variants: Array<[string, (level: Uint8Array[]) => Uint8Array[]]> = [
        ['array-like', (level) => Object.assign({ length: 4 }, level) as unknown as Uint8Array[]],
        ['5 siblings', (level) => [...level, sha256(bytes('fifth'))]],
        ['3 siblings', (level) => level.slice(0, 3)],
        ['no siblings', () => []],
      ];
      for (const [what, change] of variants) {
        const { levels, leaf } = copy(presence);
        levels[d] = change(levels[d]!);
        assert.equal(verifyProof(root, present, presentValue, { levels, leaf }), false, `level ${d}: ${what}`);
      }
    }
  });

  it('refuses a sibling that is not a 32-byte Uint8Array, even one holding the honest bytes', () => {
    for (let d = 0; d < presence.levels.length; d++) {
      for (let j = 0; j < 4; j++) {
        const honest = presence.levels[d]![j]!;
        const { levels, leaf } = copy(presence);
        levels[d]![j] = Buffer.from(honest);
        assert.equal(verifyProof(root, present, presentValue, { levels, leaf }), true, `sibling ${d}/${j} as a Buffer (a Uint8Array)`);
        const variants: Array<[string, unknown]> = [
          ['a number array', Array.from(honest)],
          ['a latin1 string', Buffer.from(honest).toString('latin1')],
          ['33 bytes', withByte(honest)],
          ['31 bytes', withoutByte(honest)],
          ['undefined', undefined],
        ];
        for (const [what, sibling] of variants) {
          const { levels: bad } = copy(presence);
          bad[d]![j] = sibling as Uint8Array;
          assert.equal(verifyProof(root, present, presentValue, { levels: bad, leaf }), false, `sibling ${d}/${j}: ${what}`);
        }
      }
    }
  });
});
