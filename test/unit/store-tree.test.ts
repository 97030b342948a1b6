/**
 * The versioned Merkle store against the naive reference
 * (fixtures/store-reference.ts): roots, historical reads, proofs,
 * iteration order and pruning, on random states and block sequences.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import fc from 'fast-check';

import { CommittedStore, nodesDir, VersionUnavailableError } from '../../src/store/committed-store.js';
import { compareKeys, isWellFormedKey } from '../../src/store/keys.js';
import type { Change } from '../../src/store/kv.js';
import {
  EMPTY_HASH,
  FLAT_DEPTH,
  decodeNode,
  decodeProof,
  encodeNode,
  encodeProof,
  flatHash,
  childAt,
  internalHash,
  nodeKey,
  stateRoot,
  verifyProof,
  type ChildRef,
  type StoreProof,
} from '../../src/store/tree.js';
import { sha256Binary as sha256 } from '../../src/util/sha256.js';
import { CLUSTERED_KEYS } from './fixtures/store-clustered-keys.js';
import { FLAT_FROM, EMPTY as REFERENCE_EMPTY, flat as referenceFlat, fold as referenceFold, referenceRoot } from './fixtures/store-reference.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'cmtd-tree-'));
}

function apply(state: Map<string, Uint8Array>, changes: Array<[string, Change]>): Map<string, Uint8Array> {
  const next = new Map(state);
  for (const [k, c] of changes) {
    if (c === null) next.delete(k);
    else next.set(k, c);
  }
  return next;
}

/**
 * Keys from a small alphabet so that blocks update, delete and re-insert the same keys, including non-ASCII ones,
 * and keys sharing long keyHash prefixes, so that the tree has flat nodes (FLAT_DEPTH and below) and leaves move
 * up and down through them.
 */
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 60 }).map((i) => `a/${i}`),
  fc.constantFrom('', 'é', '\u{1F600}', 'z'.repeat(70)),
  fc.constantFrom(...CLUSTERED_KEYS.flatMap((c) => c.keys)),
);
const changeArb: fc.Arbitrary<[string, Change]> = fc.tuple(keyArb, fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 8 }), fc.constant(new Uint8Array(0))));
const blocksArb = fc.array(fc.array(changeArb, { maxLength: 25 }), { minLength: 1, maxLength: 12 });

/** Every way a proof can lie must be refused. */
function assertForgeriesRefused(root: Uint8Array, key: string, value: Uint8Array | undefined, proof: StoreProof): void {
  const other = value === undefined ? bytes('forged') : undefined;
  assert.equal(verifyProof(root, key, other, proof), false, 'presence claimed for absence or the reverse');
  if (value !== undefined) assert.equal(verifyProof(root, key, Uint8Array.of(...value, 0), proof), false, 'wrong value');
  const badRoot = Uint8Array.from(root);
  badRoot[0]! ^= 1;
  assert.equal(verifyProof(badRoot, key, value, proof), false, 'another root');
  for (let d = 0; d < proof.levels.length; d++) {
    for (let j = 0; j < proof.levels[d]!.length; j++) {
      const levels = proof.levels.map((l) => l.map((s) => Uint8Array.from(s)));
      levels[d]![j]![31]! ^= 1;
      assert.equal(verifyProof(root, key, value, { ...proof, levels }), false, `flipped sibling ${d}/${j}`);
    }
  }
  if (proof.levels.length > 0) assert.equal(verifyProof(root, key, value, { ...proof, levels: proof.levels.slice(1) }), false, 'a level dropped');
  if (proof.leaf !== undefined) {
    const keyHash = Uint8Array.from(proof.leaf.keyHash);
    keyHash[31]! ^= 1;
    assert.equal(verifyProof(root, key, value, { ...proof, leaf: { ...proof.leaf, keyHash } }), false, 'another leaf key');
  }
}

/** Node keys reachable from every retained root, read straight from LevelDB (roots from the values' database, nodes from their own). */
async function reachableNodes(dir: string): Promise<{ reachable: Set<string>; stored: Set<string> }> {
  const values = new ClassicLevel<Buffer, Uint8Array>(dir, { keyEncoding: 'buffer', valueEncoding: 'view' });
  await values.open();
  const roots: Array<{ version: number }> = [];
  for await (const [k, v] of values.iterator()) {
    assert.notEqual(k[0], 0x4e /* N */, 'no tree node among the values');
    if (k[0] === 0x72 && v[0] === 1) roots.push({ version: Number(Buffer.from(v).readBigUInt64BE(1)) });
  }
  await values.close();
  const db = new ClassicLevel<Buffer, Uint8Array>(nodesDir(dir), { keyEncoding: 'buffer', valueEncoding: 'view' });
  await db.open();
  const stored = new Set<string>();
  for await (const [k] of db.iterator()) stored.add(k.toString('latin1'));
  const reachable = new Set<string>();
  const walk = async (version: number, depth: number, path: Buffer): Promise<void> => {
    const key = nodeKey(version, depth, path.toString('latin1'));
    reachable.add(key);
    const raw = await db.get(Buffer.from(key, 'latin1'));
    assert.ok(raw !== undefined, `a retained version reaches a missing node (version ${version}, depth ${depth})`);
    const node = decodeNode(raw);
    if (node.kind === 'leaf') return;
    for (let n = 0; n < 16; n++) {
      const c = node.children[n];
      if (c === undefined) continue;
      const child = Buffer.from(path);
      child[depth >> 1] = depth & 1 ? (child[depth >> 1]! & 0xf0) | n : n << 4;
      await walk(c.version, depth + 1, child);
    }
  };
  for (const r of roots) await walk(r.version, 0, Buffer.alloc(32));
  await db.close();
  return { reachable, stored };
}

describe('state commitment', () => {
  it('pinned test vectors (docs/STORE.md)', () => {
    const vectors: Array<[Map<string, Uint8Array>, string]> = [
      [new Map(), '0000000000000000000000000000000000000000000000000000000000000000'],
      [new Map([['a', bytes('1')]]), '565388d4bc00257133f799d9366ac97f6e949c18acc53d17457f8859ba0f08d3'],
      [
        new Map([
          ['a', bytes('1')],
          ['b', bytes('2')],
        ]),
        'b1bddf345917c3ec3dfb38de57f7a4e719c114a004d0494c92d6a317df2e7f4a',
      ],
      [
        new Map([
          ['a', bytes('1')],
          ['b', bytes('2')],
          ['c', bytes('3')],
        ]),
        'f1ab1da979f21d18dd3f8d461ff04cf45edcf39e102dab672f8f5d4d78fe84aa',
      ],
      // keyHashes sharing 5 nibbles: a flat node at depth 5 with two leaves
      [
        new Map([
          ['c/9', bytes('1')],
          ['c/80585', bytes('2')],
        ]),
        'f17188cfbcf1a6dfbab9cc724da611643dd79b07b3b1f5ceb97e816bac2c8a6f',
      ],
      // a flat node at depth 5 with three leaves, and two leaves at depth 8 below flat nodes at 5, 6 and 7
      [
        new Map([
          ['c/145', bytes('1')],
          ['c/41513', bytes('2')],
          ['c/87501', bytes('3')],
          ['c/3598', bytes('4')],
          ['c/86246', bytes('5')],
        ]),
        '1025116c81b34c33fd7856b89df45ec50d5cfe487d92e9641ef66c4573ecfaf8',
      ],
    ];
    for (const [state, root] of vectors) {
      assert.equal(hex(stateRoot(state)), root);
      assert.equal(hex(referenceRoot(state)), root);
    }
  });

  it('internal nodes fold binary above FLAT_DEPTH and hash their present slots flat from it on, as the reference', () => {
    assert.equal(FLAT_DEPTH, FLAT_FROM);
    const slotsArb = fc.array(fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }), { minLength: 16, maxLength: 16 });
    fc.assert(
      fc.property(slotsArb, (slots) => {
        const children = slots.map((n) => (n === undefined ? undefined : { hash: sha256(bytes(String(n))) }));
        const reference = referenceFlat(children.map((c) => (c === undefined ? REFERENCE_EMPTY : Buffer.from(c.hash, 'latin1'))));
        assert.equal(Buffer.from(flatHash(children), 'latin1').toString('hex'), reference.toString('hex'));
        assert.equal(internalHash(children, FLAT_DEPTH), flatHash(children));
        assert.equal(internalHash(children, 63), flatHash(children));
        const slotBuffers = children.map((c) => (c === undefined ? REFERENCE_EMPTY : Buffer.from(c.hash, 'latin1')));
        assert.equal(Buffer.from(internalHash(children, FLAT_DEPTH - 1), 'latin1').toString('hex'), referenceFold(slotBuffers).toString('hex'));
        // an EMPTY hash in a slot is an empty slot, as the proof verifier reads it
        assert.equal(flatHash(children.map((c) => c ?? { hash: EMPTY_HASH })), flatHash(children));
      }),
      { numRuns: 200 },
    );
  });

  it('the clustered test keys share the keyHash prefixes they are listed with', () => {
    for (const { keys, sharedNibbles } of CLUSTERED_KEYS) {
      const hashes = keys.map((k) => Buffer.from(sha256(bytes(k)), 'latin1').toString('hex'));
      for (const h of hashes) assert.equal(h.slice(0, sharedNibbles), hashes[0]!.slice(0, sharedNibbles), keys.join(' '));
      assert.ok(
        hashes.some((h) => h[sharedNibbles] !== hashes[0]![sharedNibbles]),
        `${keys.join(' ')} share more than ${sharedNibbles} nibbles`,
      );
    }
  });

  it("a read-ahead finds a child's version and kind in a record without decoding it", () => {
    const childArb = fc.option(fc.record({ version: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 53 - 1 })), leaf: fc.boolean() }), {
      nil: undefined,
    });
    fc.assert(
      fc.property(fc.array(childArb, { minLength: 16, maxLength: 16 }), (slots) => {
        const children = slots.map((c, i): ChildRef | undefined => (c === undefined ? undefined : { ...c, hash: sha256(bytes(String(i))) }));
        const record = encodeNode({ kind: 'internal', children }, 0);
        for (let n = 0; n < 16; n++) {
          const c = children[n];
          assert.deepEqual(childAt(record, n), c === undefined ? undefined : { version: c.version, leaf: c.leaf }, `slot ${n}`);
          assert.equal(childAt(record.subarray(0, record.length - 1), 15), undefined, 'truncated record');
        }
      }),
      { numRuns: 200 },
    );
    assert.equal(childAt(Buffer.from('\0' + 'x'.repeat(80), 'latin1'), 0), undefined, 'a leaf record');
  });

  it('the in-memory build equals the reference on random states, whatever the insertion order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ maxLength: 6 }).filter(isWellFormedKey), fc.uint8Array({ maxLength: 6 })), { selector: ([k]) => k, maxLength: 300 }),
        (pairs) => {
          const state = new Map(pairs);
          assert.equal(hex(stateRoot(state)), hex(referenceRoot(state)));
          assert.equal(hex(stateRoot([...pairs].reverse())), hex(referenceRoot(state)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('block sequences: roots, historical reads, proofs and iteration match the reference at every retained version', async () => {
    await fc.assert(
      fc.asyncProperty(
        blocksArb,
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(2048, 1 << 20),
        async (blocks, history, reopen, prefetch, cacheBytes) => {
          const dir = tempDir();
          // A tiny cache so that reads go to LevelDB, not only to memory; or one
          // whose never-evicted upper levels (node-cache.ts) hold these small trees.
          let store = await CommittedStore.open(dir, { stateHistory: history, cacheBytes });
          try {
            const states: Array<Map<string, Uint8Array>> = [new Map()];
            for (const [i, changes] of blocks.entries()) {
              // read-ahead of the block's paths (also of keys the block does not change): the same root
              if (prefetch) await store.prefetch([...changes.map(([key]) => key), ...(i % 2 === 0 ? ['a/1', 'extra'] : [])]);
              const pending = store.computeRoot(changes);
              const next = apply(states[i]!, changes);
              assert.equal(hex(pending.root), hex(referenceRoot(next)), `root of version ${i + 1}`);
              await store.commit(BigInt(i + 1), pending, pending.root);
              states.push(next);
              if (reopen && i % 3 === 2) {
                await store.close();
                store = await CommittedStore.open(dir, { stateHistory: history, cacheBytes });
              }
            }
            await store.pruned();
            const latest = blocks.length;
            assert.equal(store.size, states[latest]!.size);
            const oldest = history === 0 ? 1 : Math.max(1, latest - history + 1);
            assert.equal(store.oldestVersion, BigInt(oldest));
            for (let v = 1; v <= latest; v++) {
              if (v < oldest) {
                assert.throws(
                  () => store.getAt('a/1', BigInt(v)),
                  (e: unknown) => e instanceof VersionUnavailableError && e.pruned && /pruned/.test(e.message),
                );
                assert.throws(() => store.prove('a/1', BigInt(v)), VersionUnavailableError);
                continue;
              }
              const state = states[v]!;
              const root = referenceRoot(state);
              assert.equal(hex(store.appHashAt(BigInt(v))), hex(root), `app hash of version ${v}`);
              const view = store.at(BigInt(v));
              for (const key of [...state.keys(), 'a/1', 'a/59', 'é', 'missing']) {
                assert.deepEqual(view.get(key), state.get(key), `${key} at version ${v}`);
                const proof = store.prove(key, BigInt(v));
                assert.equal(verifyProof(root, key, state.get(key), proof), true, `proof of ${key} at version ${v}`);
                assert.deepEqual(encodeProof(decodeProof(encodeProof(proof))), encodeProof(proof));
                assert.equal(verifyProof(root, key, state.get(key), decodeProof(encodeProof(proof))), true);
                if (key === 'a/1' || key === 'missing') assertForgeriesRefused(root, key, state.get(key), proof);
              }
              // iteration in key byte order, paged
              const expected = [...state.entries()].sort(([a], [b]) => compareKeys(a, b));
              const got: Array<[string, Uint8Array]> = [];
              let from: string | undefined = '';
              while (from !== undefined) {
                const page: { entries: Array<[string, Uint8Array]>; next?: string } = await store.entries(BigInt(v), from, 3);
                assert.ok(page.entries.length <= 3);
                got.push(...page.entries);
                from = page.next;
              }
              assert.deepEqual(got, expected, `entries of version ${v}`);
            }
            assert.throws(() => store.getAt('a/1', BigInt(latest + 1)), VersionUnavailableError);
            await store.close();
            // pruning removed exactly what no retained version reaches
            const { reachable, stored } = await reachableNodes(dir);
            assert.deepEqual([...stored].filter((k) => !reachable.has(k)).length, 0, 'garbage left behind');
            if (history === 0) assert.equal(store.oldestVersion, 1n);
          } finally {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40, ...(process.env.STORE_TREE_SEED === undefined ? {} : { seed: Number(process.env.STORE_TREE_SEED), path: process.env.STORE_TREE_PATH }) },
    );
  });

  it('pruning a version whose stale list spans several delete batches leaves exactly the reachable nodes', async () => {
    const dir = tempDir();
    const store = await CommittedStore.open(dir, { stateHistory: 1 });
    try {
      for (let v = 1; v <= 3; v++) {
        // every key rewritten each version: ≈ 10,000 stale nodes per version, two delete batches
        const pending = store.computeRoot(Array.from({ length: 8_000 }, (_, i): [string, Change] => [`a/${i}`, bytes(`v${v}/${i}`)]));
        await store.commit(BigInt(v), pending, pending.root);
      }
      await store.pruned();
      assert.equal(store.oldestVersion, 3n);
      assert.equal(text(store.getAt('a/17', 3n)), 'v3/17');
      await store.close();
      const { reachable, stored } = await reachableNodes(dir);
      assert.equal(stored.size, reachable.size);
      const db = new ClassicLevel<Buffer, Uint8Array>(dir, { keyEncoding: 'buffer', valueEncoding: 'view' });
      await db.open();
      const keys = await db.keys().all();
      await db.close();
      assert.equal(keys.filter((k) => k[0] === 0x73 /* s */).length, 8_000, 'one latest-value record per key');
      assert.equal(keys.filter((k) => k[0] !== 0x73 && k[0] !== 0x4e /* N */).length, 3, 'besides values and nodes only m:commit, m:pruned and the root of version 3');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a proof stays O(log N): 20,000 keys give at most 5 levels and under 1 KiB', async () => {
    const dir = tempDir();
    const store = await CommittedStore.open(dir);
    try {
      const changes: Array<[string, Change]> = [];
      for (let i = 0; i < 20_000; i++) changes.push([`a/${i}`, bytes(`v${i}`)]);
      const pending = store.computeRoot(changes);
      await store.commit(1n, pending, pending.root);
      for (const key of ['a/7', 'a/19999', 'nope']) {
        const proof = store.prove(key);
        assert.ok(proof.levels.length <= 5, `${proof.levels.length} levels`);
        assert.ok(encodeProof(proof).length < 1024, `${encodeProof(proof).length} bytes`);
        assert.equal(CommittedStore.verifyProof(store.appHash, key, store.get(key), proof), true);
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('malformed proofs are refused without throwing, malformed encodings throw RangeError', () => {
    const root = stateRoot(new Map([['a', bytes('1')]]));
    assert.equal(verifyProof(root, 'a', bytes('1'), { levels: [] } as StoreProof), false);
    assert.equal(verifyProof(root, 'a', bytes('1'), { levels: [[new Uint8Array(3)]] } as StoreProof), false);
    assert.equal(verifyProof(new Uint8Array(5), 'a', bytes('1'), { levels: [] }), false);
    assert.equal(verifyProof(root, 'a', bytes('1'), null as unknown as StoreProof), false);
    assert.throws(() => decodeProof(Uint8Array.of(1)), RangeError);
    assert.throws(() => decodeProof(Uint8Array.of(0, 2)), RangeError);
    assert.throws(() => decodeProof(Uint8Array.of(0, 0, 0)), RangeError);
    // levels above FLAT_DEPTH carry a u8 mask of 4 siblings, from it on a u16 mask of 15
    assert.throws(() => decodeProof(Uint8Array.of(1, 0x10, 0)), /bad sibling mask/);
    const flatLevels = (last: number[]): Uint8Array => Uint8Array.of(FLAT_DEPTH + 1, ...new Array<number>(FLAT_DEPTH).fill(0), ...last, 0);
    assert.equal(decodeProof(flatLevels([0, 0])).levels[FLAT_DEPTH]!.length, 15);
    assert.throws(() => decodeProof(flatLevels([0x80, 0])), /bad sibling mask/);
    assert.throws(() => decodeProof(flatLevels([0])), RangeError);
    // a level of the wrong width is refused by the verifier and by the encoder
    const fourWide = Array.from({ length: FLAT_DEPTH + 1 }, () => Array.from({ length: 4 }, () => new Uint8Array(32)));
    assert.equal(verifyProof(root, 'a', undefined, { levels: fourWide }), false);
    assert.throws(() => encodeProof({ levels: fourWide }), /has 15 siblings, not 4/);
  });
});
