/**
 * The deferred folds (src/store/deferred-folds.ts) against the documented
 * fold16 (the naive reference's `fold`): whole levels hashed at once, empty
 * pairs kept EMPTY, children hashed a depth below filled in, and the records
 * that name a pending child patched with its hash. And sha256Pairs, which
 * hashes those levels, against Node's crypto.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { DeferredFolds, isPendingHash } from '../../src/store/deferred-folds.js';
import { NATIVE_PAIR_HASHING, sha256Pairs, sha256PairsWithCrypto } from '../../src/util/sha256.js';
import { EMPTY, fold as referenceFold, sha } from './fixtures/store-reference.js';

const FLAT = 5;
const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const slotsArb = fc.array(fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }), { minLength: 16, maxLength: 16 });
const hashOf = (n: number | undefined): Buffer => (n === undefined ? EMPTY : sha(Buffer.from(`slot ${n}`)));

describe('sha256Pairs', () => {
  for (const [name, pairs] of [
    ['sha256Pairs (hashtree where it loads)', sha256Pairs],
    ["sha256PairsWithCrypto (Node's crypto)", sha256PairsWithCrypto],
  ] as const) {
    it(`${name} hashes each 64-byte block into its 32-byte slot, from and into views at any offset`, () => {
      const backing = Buffer.alloc(7 + 64 * 5);
      for (let i = 0; i < backing.length; i++) backing[i] = (i * 31) & 0xff;
      const input = backing.subarray(7);
      const outBacking = Buffer.alloc(3 + 32 * 5 + 2, 0xee);
      const out = outBacking.subarray(3, 3 + 32 * 5);
      pairs(input, out);
      for (let i = 0; i < 5; i++) {
        const expected = createHash('sha256')
          .update(input.subarray(64 * i, 64 * i + 64))
          .digest('hex');
        assert.equal(out.subarray(32 * i, 32 * i + 32).toString('hex'), expected);
      }
      assert.ok(outBacking.subarray(0, 3).every((x) => x === 0xee) && outBacking.subarray(3 + 32 * 5).every((x) => x === 0xee), 'nothing written outside the output');
      pairs(Buffer.alloc(0), Buffer.alloc(0));
    });
  }

  it('runs on hashtree on this machine (linux x64: its prebuilt binary)', () => {
    assert.equal(NATIVE_PAIR_HASHING, true);
  });

  it('refuses lengths that are not 64-byte blocks and their halves', () => {
    assert.throws(() => sha256Pairs(Buffer.alloc(65), Buffer.alloc(32)), RangeError);
    assert.throws(() => sha256Pairs(Buffer.alloc(128), Buffer.alloc(32)), RangeError);
  });
});

describe('DeferredFolds', () => {
  it('a fold of known slots hashes to fold16 of them, empty pairs included, at every upper depth', () => {
    fc.assert(
      fc.property(fc.array(slotsArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: FLAT - 1 }), (nodes, depth) => {
        const folds = new DeferredFolds(FLAT);
        const pending = nodes.map((slots) => {
          const { fold, hash } = folds.add(depth);
          slots.forEach((n, i) => folds.setSlot(depth, fold, i, str(hashOf(n)), n === undefined));
          return hash;
        });
        assert.ok(pending.every(isPendingHash));
        folds.resolve(undefined);
        nodes.forEach((slots, i) => {
          assert.equal(Buffer.from(folds.hashOf(pending[i]!), 'latin1').toString('hex'), referenceFold(slots.map(hashOf)).toString('hex'));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('folds reused after release() start empty: a smaller set of folds in the grown buffers hashes as fresh ones do', () => {
    const fill = (folds: DeferredFolds, nodes: Array<Array<number | undefined>>, depth: number): string[] =>
      nodes.map((slots) => {
        const { fold, hash } = folds.add(depth);
        slots.forEach((n, i) => folds.setSlot(depth, fold, i, str(hashOf(n)), n === undefined));
        return hash;
      });
    const first = DeferredFolds.reusing(FLAT);
    fill(
      first,
      Array.from({ length: 150 }, (_, i) => Array.from({ length: 16 }, (_, j) => i * 16 + j)),
      3,
    );
    first.resolve(undefined);
    first.release();
    const again = DeferredFolds.reusing(FLAT);
    assert.equal(again, first, 'the released folds are handed out again');
    assert.notEqual(DeferredFolds.reusing(FLAT), again, 'but only once');
    const sparse = [[1, undefined, 2, ...Array<undefined>(13).fill(undefined)], Array<undefined>(16).fill(undefined)];
    const hashes = fill(again, sparse, 3);
    again.resolve(undefined);
    sparse.forEach((slots, i) => {
      assert.equal(Buffer.from(again.hashOf(hashes[i]!), 'latin1').toString('hex'), referenceFold(slots.map(hashOf)).toString('hex'));
    });
  });

  it('slots copied from a record read the hash where the record has it', () => {
    const folds = new DeferredFolds(FLAT);
    const hashes = Array.from({ length: 16 }, (_, i) => hashOf(i));
    const record = Buffer.concat([Buffer.from('prefix'), ...hashes]);
    const { fold, hash } = folds.add(4);
    for (let i = 0; i < 16; i++) folds.setSlotFrom(4, fold, i, record, 6 + 32 * i, i % 3 === 0);
    folds.resolve(undefined);
    const expected = referenceFold(hashes.map((h, i) => (i % 3 === 0 ? EMPTY : h)));
    assert.equal(Buffer.from(folds.hashOf(hash), 'latin1').toString('hex'), expected.toString('hex'));
  });

  it('a pending child is hashed first, fills its parent slot, and is written where a record names it', () => {
    const folds = new DeferredFolds(FLAT);
    // depth 4: two children; depth 3: their parent, slots 2 and 9; depth 2: its parent, slot 5
    const childSlots = [hashOf(1), EMPTY, hashOf(2), ...Array<Buffer>(13).fill(EMPTY)];
    const otherSlots = Array.from({ length: 16 }, (_, i) => hashOf(100 + i));
    const a = folds.add(4);
    childSlots.forEach((h, i) => folds.setSlot(4, a.fold, i, str(h), h.equals(EMPTY)));
    const b = folds.add(4);
    otherSlots.forEach((h, i) => folds.setSlot(4, b.fold, i, str(h), false));
    const parent = folds.add(3);
    for (let i = 0; i < 16; i++) {
      const h = i === 2 ? a.hash : i === 9 ? b.hash : str(i === 11 ? hashOf(7) : EMPTY);
      folds.setSlot(3, parent.fold, i, h, h === str(EMPTY));
    }
    const top = folds.add(2);
    for (let i = 0; i < 16; i++) folds.setSlot(2, top.fold, i, i === 5 ? parent.hash : str(EMPTY), i !== 5);
    // a record naming the children, and one naming the parent
    const out = Buffer.alloc(200, 0xee);
    folds.patchAt(10, a.hash);
    folds.patchAt(60, b.hash);
    folds.patchAt(150, parent.hash);
    folds.resolve(out);

    const hA = referenceFold(childSlots);
    const hB = referenceFold(otherSlots);
    const hParent = referenceFold(Array.from({ length: 16 }, (_, i) => (i === 2 ? hA : i === 9 ? hB : i === 11 ? hashOf(7) : EMPTY)));
    const hTop = referenceFold(Array.from({ length: 16 }, (_, i) => (i === 5 ? hParent : EMPTY)));
    assert.equal(Buffer.from(folds.hashOf(top.hash), 'latin1').toString('hex'), hTop.toString('hex'));
    assert.equal(Buffer.from(folds.hashOf(parent.hash), 'latin1').toString('hex'), hParent.toString('hex'));
    assert.ok(out.subarray(10, 42).equals(hA), 'the record naming the first child holds its hash');
    assert.ok(out.subarray(60, 92).equals(hB));
    assert.ok(out.subarray(150, 182).equals(hParent));
    assert.ok(out.subarray(0, 10).every((x) => x === 0xee) && out.subarray(42, 60).every((x) => x === 0xee), 'nothing else is written');
    assert.equal(folds.hashOf(str(hashOf(3))), str(hashOf(3)), 'a hash that is not pending stands for itself');
  });

  it('refuses a pending child from a depth other than the one below', () => {
    const folds = new DeferredFolds(FLAT);
    const deep = folds.add(4);
    assert.throws(() => folds.setSlot(2, folds.add(2).fold, 0, deep.hash, false), /pending child from depth 4/);
  });

  it('grows past its first allocation: 1,000 folds at one depth', () => {
    const folds = new DeferredFolds(FLAT);
    const added = Array.from({ length: 1000 }, (_, k) => {
      const { fold, hash } = folds.add(1);
      folds.setSlot(1, fold, k % 16, str(hashOf(k)), false);
      return hash;
    });
    folds.resolve(undefined);
    added.forEach((hash, k) => {
      const slots = Array.from({ length: 16 }, (_, i) => (i === k % 16 ? hashOf(k) : EMPTY));
      assert.equal(Buffer.from(folds.hashOf(hash), 'latin1').toString('hex'), referenceFold(slots).toString('hex'));
    });
  });
});
