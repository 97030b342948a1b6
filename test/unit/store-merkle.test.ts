import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import type { Change } from '../../src/store/kv.js';
import {
  BUCKET_COUNT,
  MerkleTree,
  bucketOf,
  compareKeys,
  decodeProof,
  emptyRoot,
  encodeProof,
  fnv1a32,
  verifyProof,
  type MerkleProof,
} from '../../src/store/merkle.js';
import { referenceFnv1a32, referenceRoot } from './fixtures/store-reference.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Pinned (also in docs/STORE.md): changing the commitment format changes these and every app hash. */
const EMPTY_ROOT_HEX = '55a5aadce98ed4d75e5b54903bed8e7d6c9ed08d2c43a81541cdb29475707faa';
const A_IS_1_ROOT_HEX = 'c433210992410c770d43d03a3ae94b2ae18d52e7261645c3a3f809e90b5ca73d';

function applyBlocks(blocks: ReadonlyArray<ReadonlyArray<readonly [string, Change]>>): MerkleTree {
  const tree = MerkleTree.empty();
  for (const block of blocks) {
    const last = new Map<string, Change>();
    for (const [k, c] of block) last.set(k, c);
    tree.apply(tree.prepare(last));
  }
  return tree;
}

const keyArb = fc.oneof(
  fc.constantFrom('a/01', 'a/02', 'a/03', 'b/x', '', 'é', '\uE000', '\u{10000}', '\uFEFFbom'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const valueArb = fc.uint8Array({ maxLength: 40 });
const opArb = fc.tuple(keyArb, fc.option(valueArb, { nil: null }));

describe('merkle: primitives', () => {
  it('fnv1a32 matches known vectors and the reference', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    for (const k of ['a/00ff', 'é', '\u{1F600}x', 'staking/candidate/0xabc']) {
      assert.equal(fnv1a32(k), referenceFnv1a32(Buffer.from(k, 'utf8')));
      assert.equal(bucketOf(k), referenceFnv1a32(Buffer.from(k, 'utf8')) & 0xfff);
    }
  });

  it('compareKeys orders like UTF-8 bytes', () => {
    assert.ok(compareKeys('\uE000', '\u{10000}') < 0, 'U+E000 (EE 80 80) < U+10000 (F0 90 80 80)');
    assert.ok(compareKeys('\uFFFF', '\u{10000}') < 0);
    assert.ok(compareKeys('a', 'ab') < 0);
    assert.equal(compareKeys('x', 'x'), 0);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const expected = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
        assert.equal(Math.sign(compareKeys(a, b)), expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('empty-state root is stable and matches the reference', () => {
    assert.equal(hex(emptyRoot()), EMPTY_ROOT_HEX);
    assert.equal(hex(referenceRoot(new Map())), EMPTY_ROOT_HEX);
    assert.equal(hex(MerkleTree.empty().root()), EMPTY_ROOT_HEX);
    assert.equal(hex(MerkleTree.build([['a', bytes('1')]]).root()), A_IS_1_ROOT_HEX);
    assert.equal(hex(referenceRoot(new Map([['a', bytes('1')]]))), A_IS_1_ROOT_HEX);
    assert.equal(hex(MerkleTree.build([]).root()), EMPTY_ROOT_HEX);
    const r = emptyRoot();
    r[0]! ^= 1; // callers get a copy
    assert.equal(hex(emptyRoot()), EMPTY_ROOT_HEX);
    // deleting everything returns to the empty root
    const t = MerkleTree.empty();
    t.apply(t.prepare([['k', bytes('v')]]));
    assert.notEqual(hex(t.root()), EMPTY_ROOT_HEX);
    t.apply(t.prepare([['k', null]]));
    assert.equal(hex(t.root()), EMPTY_ROOT_HEX);
    assert.equal(t.size, 0);
  });

  it('a known small state matches the reference implementation', () => {
    const state = new Map<string, Uint8Array>([
      ['a/0000000000000000000000000000000000000001', bytes('one')],
      ['a/0000000000000000000000000000000000000002', bytes('two')],
      ['params', new Uint8Array(0)],
      ['ünï', bytes('code')],
    ]);
    assert.equal(hex(MerkleTree.build(state).root()), hex(referenceRoot(state)));
  });

  it('keys landing in the same bucket are sorted inside it', () => {
    // find several keys sharing bucket 0
    const same: string[] = [];
    for (let i = 0; same.length < 5; i++) if (bucketOf(`k${i}`) === 0) same.push(`k${i}`);
    const state = new Map(same.reverse().map((k, i) => [k, bytes(String(i))] as const));
    assert.equal(hex(MerkleTree.build(state).root()), hex(referenceRoot(state)));
    const t = MerkleTree.empty();
    for (const k of same) t.apply(t.prepare([[k, state.get(k)!]]));
    assert.equal(hex(t.root()), hex(referenceRoot(state)));
  });

  it('rejects duplicate keys in one change set and lone surrogates', () => {
    const t = MerkleTree.empty();
    assert.throws(() =>
      t.prepare([
        ['a', bytes('1')],
        ['a', bytes('2')],
      ]),
    );
    assert.throws(() => MerkleTree.build([['\uD800', bytes('x')]]));
  });
});

describe('merkle: root is a function of the final state only', () => {
  it('incremental blocks, any split and order, equal a fresh build and the reference', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(fc.nat(60), { maxLength: 6 }), (ops, cuts) => {
        const final = new Map<string, Uint8Array>();
        for (const [k, v] of ops) {
          if (v === null) final.delete(k);
          else final.set(k, v);
        }
        const points = [...new Set(cuts.map((c) => c % (ops.length + 1)))].sort((a, b) => a - b);
        const blocks: Array<Array<readonly [string, Change]>> = [];
        let prev = 0;
        for (const p of [...points, ops.length]) {
          blocks.push(ops.slice(prev, p));
          prev = p;
        }
        const incremental = applyBlocks(blocks);
        const expected = hex(referenceRoot(final));
        assert.equal(hex(incremental.root()), expected);
        assert.equal(incremental.size, final.size);
        const reversed = [...final.entries()].reverse();
        assert.equal(hex(MerkleTree.build(reversed).root()), expected);
      }),
      { numRuns: 150 },
    );
  });

  it('any permutation of the same sets gives the same root', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(keyArb, valueArb), { selector: ([k]) => k, maxLength: 40 }),
        fc.array(fc.integer(), { minLength: 40, maxLength: 40 }),
        (entries, weights) => {
          const permuted = entries
            .map((e, i) => [e, weights[i]!] as const)
            .sort((a, b) => a[1] - b[1])
            .map(([e]) => e);
          const a = MerkleTree.empty();
          for (const e of entries) a.apply(a.prepare([e]));
          const b = MerkleTree.empty();
          b.apply(b.prepare(permuted));
          assert.equal(hex(a.root()), hex(b.root()));
          assert.equal(hex(a.root()), hex(referenceRoot(new Map(entries))));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a larger random state: incremental equals reference', () => {
    const state = new Map<string, Uint8Array>();
    const t = MerkleTree.empty();
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let block = 0; block < 20; block++) {
      const changes = new Map<string, Change>();
      for (let i = 0; i < 500; i++) {
        const k = `a/${rnd(3000).toString(16).padStart(40, '0')}`;
        if (rnd(5) === 0) changes.set(k, null);
        else changes.set(k, bytes(`${block}:${i}`));
      }
      const pending = t.prepare(changes);
      assert.equal(t.isCurrent(pending), true);
      t.apply(pending);
      assert.equal(t.isCurrent(pending), false);
      assert.throws(() => t.apply(pending), /stale/);
      for (const [k, c] of changes) {
        if (c === null) state.delete(k);
        else state.set(k, c);
      }
    }
    assert.ok(state.size > 1000);
    assert.equal(t.size, state.size);
    assert.equal(hex(t.root()), hex(referenceRoot(state)));
  });

  it('crowded buckets: random blocks over keys sharing two buckets match the reference after every block', () => {
    const crowded: string[] = [];
    for (let i = 0; crowded.length < 40; i++) {
      const k = `c/${i}`;
      if (bucketOf(k) === 7 || bucketOf(k) === 8) crowded.push(k);
    }
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(fc.constantFrom(...crowded), fc.option(valueArb, { nil: null })), { maxLength: 25 }), {
          minLength: 1,
          maxLength: 12,
        }),
        (blocks) => {
          const t = MerkleTree.empty();
          const state = new Map<string, Uint8Array>();
          for (const block of blocks) {
            const last = new Map<string, Change>(block);
            // a discarded computation must leave no trace in the next one
            t.prepare([[crowded[0]!, bytes('discarded')], ['other', null]]);
            t.apply(t.prepare(last));
            for (const [k, c] of last) {
              if (c === null) state.delete(k);
              else state.set(k, c);
            }
            assert.equal(hex(t.root()), hex(referenceRoot(state)));
            assert.equal(t.size, state.size);
          }
          for (const k of crowded) {
            assert.equal(t.has(k), state.has(k));
            assert.equal(verifyProof(t.root(), k, state.get(k), t.prove(k, (x) => state.get(x))), true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('only the latest prepare can be applied', () => {
    const t = MerkleTree.empty();
    const first = t.prepare([['a', bytes('1')]]);
    const second = t.prepare([['b', bytes('2')]]);
    assert.equal(t.isCurrent(first), false);
    assert.throws(() => t.apply(first), /stale/);
    t.apply(second);
    assert.equal(hex(t.root()), hex(referenceRoot(new Map([['b', bytes('2')]]))));
  });

  it('prepare does not modify the tree', () => {
    const t = MerkleTree.build([['a', bytes('1')]]);
    const before = hex(t.root());
    const pending = t.prepare([
      ['a', null],
      ['b', bytes('2')],
    ]);
    assert.equal(hex(t.root()), before);
    assert.equal(t.has('a'), true);
    assert.equal(t.has('b'), false);
    assert.notEqual(hex(pending.root), before);
  });
});

describe('merkle: proofs', () => {
  const state = new Map<string, Uint8Array>();
  for (let i = 0; i < 20000; i++) state.set(`a/${i.toString(16).padStart(8, '0')}`, bytes(`v${i}`));
  state.set('ünïcödé/\u{1F600}', bytes('emoji'));
  const tree = MerkleTree.build(state);
  const root = tree.root();
  const prove = (k: string): MerkleProof => tree.prove(k, (key) => state.get(key));

  it('proves presence of every kind of key and fails for a wrong value', () => {
    for (const k of ['a/00000000', 'a/00004e1f', 'ünïcödé/\u{1F600}']) {
      const proof = prove(k);
      assert.equal(proof.siblings.length, 12);
      assert.ok(proof.entries.length > 0);
      assert.equal(verifyProof(root, k, state.get(k), proof), true, k);
      assert.equal(verifyProof(root, k, bytes('wrong'), proof), false);
      assert.equal(verifyProof(root, k, undefined, proof), false, 'a present key cannot be shown absent');
      const otherRoot = Uint8Array.from(root);
      otherRoot[0]! ^= 1;
      assert.equal(verifyProof(otherRoot, k, state.get(k), proof), false);
    }
  });

  it('proves absence, and a proof with the key removed does not verify', () => {
    const absent = 'a/zzzz';
    const proof = prove(absent);
    assert.equal(verifyProof(root, absent, undefined, proof), true);
    assert.equal(verifyProof(root, absent, bytes('anything'), proof), false);

    const present = 'a/00000001';
    const p = prove(present);
    const forged: MerkleProof = { ...p, entries: p.entries.filter((e) => e.key !== present) };
    assert.equal(verifyProof(root, present, undefined, forged), false);
    // a proof for another bucket says nothing about this key
    let other = 'a/00000002';
    for (let i = 3; bucketOf(other) === bucketOf(present); i++) other = `a/${i.toString(16).padStart(8, '0')}`;
    assert.equal(verifyProof(root, present, undefined, prove(other)), false);
  });

  it('proofs of an empty bucket and of an empty state verify absence', () => {
    const empty = MerkleTree.empty();
    const p = empty.prove('nothing', () => undefined);
    assert.equal(p.entries.length, 0);
    assert.equal(verifyProof(empty.root(), 'nothing', undefined, p), true);
    assert.equal(verifyProof(empty.root(), 'nothing', bytes('x'), p), false);
  });

  it('tampering with any part of a proof makes it fail; malformed proofs do not throw', () => {
    const k = 'a/00000abc';
    const p = prove(k);
    const v = state.get(k)!;
    const sib = p.siblings.map((s) => Uint8Array.from(s));
    sib[5]![3]! ^= 0x80;
    assert.equal(verifyProof(root, k, v, { ...p, siblings: sib }), false);
    assert.equal(verifyProof(root, k, v, { ...p, siblings: p.siblings.slice(1) }), false);
    assert.equal(verifyProof(root, k, v, { ...p, bucket: (p.bucket + 1) % BUCKET_COUNT }), false);
    assert.equal(verifyProof(root, k, v, { ...p, entries: [...p.entries].reverse() }), p.entries.length === 1);
    const garbage = { bucket: 'x', entries: null, siblings: 3 } as unknown as MerkleProof;
    assert.equal(verifyProof(root, k, v, garbage), false);
  });

  it('binary encoding round-trips', () => {
    for (const k of ['a/00000010', 'ünïcödé/\u{1F600}', 'absent']) {
      const p = prove(k);
      const decoded = decodeProof(encodeProof(p));
      assert.deepEqual(
        { ...decoded, entries: decoded.entries.map((e) => [e.key, hex(e.valueHash)]), siblings: decoded.siblings.map(hex) },
        { ...p, entries: p.entries.map((e) => [e.key, hex(e.valueHash)]), siblings: p.siblings.map(hex) },
      );
      assert.equal(verifyProof(root, k, state.get(k), decoded), true);
    }
    const enc = encodeProof(prove('a/00000010'));
    assert.throws(() => decodeProof(enc.subarray(0, enc.length - 1)), /truncated/);
    assert.throws(() => decodeProof(Uint8Array.from([...enc, 0])), /trailing/);
  });
});
