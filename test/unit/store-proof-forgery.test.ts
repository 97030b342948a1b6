/**
 * Proof soundness where a forged proof reuses honest parts: a presence proof
 * of one key offered for another key whose path starts the same way, and a
 * path of empty nodes offered as an absence proof. Mutation testing found
 * that flipping bits of well-formed proofs (store-tree.test.ts) never reaches
 * these checks of verifyProof.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommittedStore } from '../../src/store/committed-store.js';
import { EMPTY_HASH, keyHashOf, type StoreProof } from '../../src/store/tree.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const nibble = (keyHash: string, i: number): number => (keyHash.charCodeAt(i >> 1) >> (i & 1 ? 0 : 4)) & 0xf;
const empty = (): Uint8Array => Uint8Array.from(Buffer.from(EMPTY_HASH, 'latin1'));

/** A key not in `taken` whose key hash starts with the same `depth` nibbles as `key`'s. */
function keySharingPath(key: string, depth: number, taken: Set<string>): string {
  const target = keyHashOf(key);
  for (let i = 0; ; i++) {
    const candidate = `forged/${i}`;
    if (taken.has(candidate)) continue;
    const h = keyHashOf(candidate);
    let same = true;
    for (let d = 0; d < depth && same; d++) same = nibble(h, d) === nibble(target, d);
    if (same) return candidate;
  }
}

describe('store proofs: forgeries built from honest parts', () => {
  let dir: string;
  let store: CommittedStore;
  const keys = ['a/1', 'a/2', 'a/3', 'a/4'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-proof-forgery-'));
    store = await CommittedStore.open(dir);
    // Every key the same value: only the key hash tells the leaves apart.
    const pending = store.computeRoot(keys.map((k) => [k, bytes('same value')]));
    await store.commit(1n, pending, pending.root);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a key's presence proof for another key on the same path with the same value", () => {
    const root = store.appHash;
    for (const key of keys) {
      const proof = store.prove(key);
      assert.ok(CommittedStore.verifyProof(root, key, bytes('same value'), proof), `the honest proof of ${key}`);
      const other = keySharingPath(key, proof.levels.length, new Set(keys));
      assert.equal(CommittedStore.verifyProof(root, other, bytes('same value'), proof), false, `${key}'s leaf proves nothing about ${other}`);
      // The honest answer for that other key is an absence proof through the same leaf.
      assert.ok(CommittedStore.verifyProof(root, other, undefined, store.prove(other)), `${other} is provably absent`);
    }
  });

  it('refuses a path of empty nodes as an absence proof, even against the empty root', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'cmtd-proof-empty-'));
    const fresh = await CommittedStore.open(emptyDir);
    try {
      const root = fresh.appHash;
      assert.ok(CommittedStore.verifyProof(root, 'x', undefined, fresh.prove('x')), 'the honest absence proof of the empty state');
      const forged: StoreProof = { levels: [[empty(), empty(), empty(), empty()]] };
      assert.equal(CommittedStore.verifyProof(root, 'x', undefined, forged), false, 'an internal node is never EMPTY');
      // Against a real tree: one level of empty siblings above an empty slot is no internal node either.
      assert.equal(CommittedStore.verifyProof(store.appHash, 'x', undefined, forged), false);
    } finally {
      await fresh.close();
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});
