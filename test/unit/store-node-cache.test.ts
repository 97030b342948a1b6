/**
 * The tree-node cache (src/store/node-cache.ts) on its own: which depths it
 * never evicts for a given budget, what a deep node costs against the rest
 * of the budget, and that a lookup hits only the version that wrote the
 * place (a stale or newer record must never be answered for another
 * version: the tree would hash or prove the wrong node), and where the
 * nodes of past versions go.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DEEP_CACHING_MIN_HIT, NodeCache, deepCachingBound } from '../../src/store/node-cache.js';
import type { OffHeapCache } from '../../src/store/off-heap-cache.js';
import { MAX_INTERNAL_RECORD, nodePlace } from '../../src/store/tree.js';
import { UPPER_SLOT_BYTES } from '../../src/store/upper-nodes.js';

/** Node places at depths below `depth`: 1 + 16 + … + 16^(depth−1). */
function placesAbove(depth: number): number {
  return (16 ** depth - 1) / 15;
}

/** The least budget whose three quarters hold every node above `depth`. */
function budgetFor(depth: number): number {
  return Math.ceil((placesAbove(depth) * UPPER_SLOT_BYTES * 4) / 3);
}

/** The place whose first `depth` nibbles spell `n`, as tree.ts writes it (depth byte, then the packed path). */
function place(depth: number, n: number): string {
  const path = Buffer.alloc(32);
  for (let i = 0; i < depth; i++) {
    const nibble = Math.floor(n / 16 ** (depth - 1 - i)) % 16;
    path[i >> 1]! |= i & 1 ? nibble : nibble << 4;
  }
  return nodePlace(depth, path.toString('latin1'));
}

describe('NodeCache', () => {
  it('keeps the deepest full levels that fit in three quarters of the budget, at most 8', () => {
    assert.equal(new NodeCache(0).upperDepth, 0, 'no budget: no never-evicted level');
    for (let depth = 1; depth <= 8; depth++) {
      const exact = budgetFor(depth);
      assert.equal(new NodeCache(exact).upperDepth, depth, `budget ${exact} holds the ${depth} levels above depth ${depth}`);
      assert.equal(new NodeCache(exact - 1).upperDepth, depth - 1, `budget ${exact - 1} is one byte short of depth ${depth}`);
    }
    assert.equal(new NodeCache(budgetFor(9) * 2).upperDepth, 8, 'never deeper than 8 levels, however large the budget');
  });

  it('gives the deep nodes what the upper levels leave, half of it per generation', () => {
    for (const depth of [0, 1, 2]) {
      const budget = budgetFor(depth + 1) - 1; // the most that still keeps `depth` upper levels
      const cache = new NodeCache(budget);
      assert.equal(cache.upperDepth, depth);
      const lower = (cache as unknown as { lower: OffHeapCache }).lower;
      const lowerHalf = Math.floor((budget - placesAbove(depth) * UPPER_SLOT_BYTES) / 2);
      assert.ok(lower.largestEntry <= lowerHalf && lower.largestEntry > lowerHalf * 0.9, `depth ${depth}: a generation's arena is most of half the rest`);
      const where = place(depth + 1, 0xa);
      // an entry takes a 6-byte header, its place, the 8-byte version and the record
      const fits = 'r'.repeat(lower.largestEntry - 6 - where.length - 8);
      cache.set(5, depth + 1, where, fits);
      assert.deepEqual(cache.get(5, depth + 1, where), { record: fits }, `depth ${depth}: a record that just fits a generation is cached`);
      const other = place(depth + 1, 0xc);
      cache.set(5, depth + 1, other, `${fits}x`);
      assert.equal(cache.get(5, depth + 1, other), undefined, `depth ${depth}: one byte more is not cached`);
      assert.equal(cache.size, 1, `depth ${depth}: only the record that fits is held`);
    }
  });

  it("caches a new commit's records from their bytes where set() puts them as strings, a record too large for its upper slot with the deeper nodes", () => {
    // Depths 0 and 1 in the upper slots, 2 and 3 deeper, with room for all.
    const byBytes = new NodeCache(budgetFor(3) - 1);
    const byString = new NodeCache(budgetFor(3) - 1);
    assert.equal(byBytes.upperDepth, 2);
    const records = ['\u0001ab\u00ff', 'x'.repeat(MAX_INTERNAL_RECORD), 'y'.repeat(MAX_INTERNAL_RECORD + 1), '\u0080'.repeat(300)];
    const nodes = [1, 2, 3].flatMap((depth) => records.map((record, i) => ({ depth, where: place(depth, i), record })));
    nodes.push({ depth: 0, where: place(0, 0), record: records[0]! });
    for (const [version, { depth, where, record }] of nodes.entries()) {
      byBytes.setNewest(version + 1, depth, where, Buffer.from(record, 'latin1'));
      byString.set(version + 1, depth, where, record);
    }
    assert.equal(byBytes.size, byString.size);
    for (const [version, { depth, where, record }] of nodes.entries()) {
      assert.deepEqual(byBytes.get(version + 1, depth, where), { record }, `depth ${depth}: ${record.length} bytes`);
      assert.equal(byBytes.get(version, depth, where), undefined, 'not for another version');
    }
  });

  it('never evicts a node above its upper depth, and evicts deeper ones', () => {
    const cache = new NodeCache(budgetFor(2));
    assert.equal(cache.upperDepth, 2);
    const record = 'x'.repeat(600);
    const top = place(0, 0);
    cache.set(1, 0, top, record);
    for (let i = 0; i < 16; i++) cache.set(1, 1, place(1, i), record);
    // far more depth-2 records than the rest of the budget holds
    for (let i = 0; i < 200; i++) cache.set(1, 2, place(2, i), record);
    assert.deepEqual(cache.get(1, 0, top), { record }, 'the root level is kept');
    for (let i = 0; i < 16; i++) assert.deepEqual(cache.get(1, 1, place(1, i)), { record }, `depth-1 place ${i} is kept`);
    assert.equal(cache.get(1, 2, place(2, 0)), undefined, 'the first depth-2 record was evicted');
    assert.deepEqual(cache.get(1, 2, place(2, 199)), { record }, 'the last depth-2 record is held');
    assert.ok(cache.size < 17 + 200, `size ${cache.size} counts the evictions`);
    assert.ok(cache.size > 17, `size ${cache.size} counts the upper levels and the deep nodes held`);
  });

  for (const [where, depth] of [
    ['an upper level', 1],
    ['a deep level', 3],
  ] as const) {
    it(`answers only the version that wrote a place, in ${where}`, () => {
      const cache = new NodeCache(budgetFor(2));
      assert.equal(depth < cache.upperDepth, where === 'an upper level');
      const at = place(depth, 7);
      assert.equal(cache.get(9, depth, at), undefined, 'empty');
      cache.set(9, depth, at, 'nine');
      assert.deepEqual(cache.get(9, depth, at), { record: 'nine' });
      assert.equal(cache.get(8, depth, at), undefined, 'an older version is not the cached one');
      assert.equal(cache.get(10, depth, at), undefined, 'a newer version is not the cached one');
      assert.equal(cache.get(9, depth, place(depth, 8)), undefined, 'another place');
      // version 10 rewrites the place; 9 (older) must not displace it, and the order is numeric
      cache.set(10, depth, at, 'ten');
      assert.deepEqual(cache.get(10, depth, at), { record: 'ten' });
      assert.equal(cache.get(9, depth, at), undefined, 'the rewritten version is gone');
      cache.set(9, depth, at, 'nine again');
      assert.deepEqual(cache.get(10, depth, at), { record: 'ten' }, 'an older read does not displace the latest');
      assert.equal(cache.get(9, depth, at), undefined);
      cache.set(10, depth, at, 'ten again');
      assert.deepEqual(cache.get(10, depth, at), { record: 'ten again' }, 'the same version replaces');
      // 2^32 + 1 against 256: big-endian u64 order, not the low word's
      cache.set(2 ** 32 + 1, depth, at, 'high');
      cache.set(256, depth, at, 'low');
      assert.deepEqual(cache.get(2 ** 32 + 1, depth, at), { record: 'high' });
      assert.equal(cache.get(1, depth, at), undefined, 'the low word alone does not match');
      assert.equal(cache.size, 1, 'one place, one entry');
    });
  }

  it('an upper slot holds whichever record its place got last, and a deep node its own entry', () => {
    const cache = new NodeCache(budgetFor(2));
    const up = place(1, 7);
    cache.set(3, 1, up, '\x01record');
    assert.deepEqual(cache.get(3, 1, up), { record: '\x01record' });
    cache.set(4, 1, up, '\0zero');
    assert.deepEqual(cache.get(4, 1, up), { record: '\0zero' }, 'a leaf record replaces an internal one');
    assert.equal(cache.get(3, 1, up), undefined, 'the replaced version is gone');
    const deep = place(2, 0xdd);
    cache.set(3, 2, deep, 'deep record');
    assert.deepEqual(cache.get(3, 2, deep), { record: 'deep record' });
    assert.equal(cache.size, 2);
  });

  for (const [where, depth] of [
    ['an upper level', 1],
    ['a deep level', 3],
  ] as const) {
    it(`keeps the nodes of past versions apart, in ${where}, and answers each version its own`, () => {
      const cache = new NodeCache(budgetFor(2), 4096);
      assert.equal(depth < cache.upperDepth, where === 'an upper level');
      const at = place(depth, 7);
      cache.set(10, depth, at, 'ten');
      cache.set(9, depth, at, 'nine'); // a historical read of the place
      cache.set(7, depth, at, 'seven');
      assert.deepEqual(cache.get(10, depth, at), { record: 'ten' }, 'the latest stays where the block path finds it');
      assert.deepEqual(cache.get(9, depth, at), { record: 'nine' }, 'a past version from the past nodes');
      assert.deepEqual(cache.get(7, depth, at), { record: 'seven' });
      assert.equal(cache.get(8, depth, at), undefined, 'a past version never read');
      assert.equal(cache.get(9, depth, place(depth, 8)), undefined, 'the same version at another place');
      assert.equal(cache.get(11, depth, at), undefined, 'a version later than the cached one is not looked for among past nodes');
      assert.equal(cache.size, 3);
      // the place is rewritten: what was latest becomes past once a read brings it back
      cache.set(12, depth, at, 'twelve');
      assert.equal(cache.get(10, depth, at), undefined, 'the replaced latest is not kept by the rewrite');
      cache.set(10, depth, at, 'ten again');
      assert.deepEqual(cache.get(10, depth, at), { record: 'ten again' });
      assert.deepEqual(cache.get(12, depth, at), { record: 'twelve' });
      assert.deepEqual(cache.get(9, depth, at), { record: 'nine' }, 'past nodes stay past');
    });
  }

  it('past versions cannot push the latest tree out: a flood of them evicts only past nodes', () => {
    const cache = new NodeCache(budgetFor(1) * 4, 2048);
    const latest = Array.from({ length: 10 }, (_, i) => place(3, i));
    for (const at of latest) cache.set(1000, 3, at, 'latest');
    for (let v = 0; v < 500; v++) for (const at of latest) cache.set(v, 3, at, `past ${v}`);
    for (const at of latest) assert.deepEqual(cache.get(1000, 3, at), { record: 'latest' });
    assert.equal(cache.get(0, 3, latest[0]!), undefined, 'the first past nodes were evicted');
    assert.deepEqual(cache.get(499, 3, latest[9]!), { record: 'past 499' }, 'the last past node is held');
  });

  it('without a past budget keeps no past node', () => {
    const cache = new NodeCache(budgetFor(2));
    const at = place(0, 0);
    cache.set(10, 0, at, 'ten');
    cache.set(9, 0, at, 'nine');
    assert.equal(cache.get(9, 0, at), undefined);
    assert.equal(cache.size, 1);
  });

  it('keeps an upper node whose record is too large for its slot with the deeper nodes, still by version', () => {
    const cache = new NodeCache(budgetFor(2));
    const lower = (cache as unknown as { lower: OffHeapCache }).lower;
    const [a, b, c, d] = [place(1, 1), place(1, 2), place(1, 3), place(1, 4)];
    // The slot holds a record as long as an internal node's longest
    cache.set(5, 1, a, 'i'.repeat(MAX_INTERNAL_RECORD));
    cache.set(5, 1, b, 'r'.repeat(MAX_INTERNAL_RECORD - 1));
    assert.equal(lower.size, 0, 'both fit their slots');
    assert.deepEqual(cache.get(5, 1, a), { record: 'i'.repeat(MAX_INTERNAL_RECORD) });
    assert.deepEqual(cache.get(5, 1, b), { record: 'r'.repeat(MAX_INTERNAL_RECORD - 1) });
    // One byte more (a leaf with a large value, say)
    const big = 'L'.repeat(MAX_INTERNAL_RECORD + 1);
    cache.set(5, 1, c, big);
    cache.set(5, 1, d, 'i'.repeat(MAX_INTERNAL_RECORD + 2));
    assert.equal(lower.size, 2, 'both went to the deeper nodes');
    assert.deepEqual(cache.get(5, 1, c), { record: big });
    assert.deepEqual(cache.get(5, 1, d), { record: 'i'.repeat(MAX_INTERNAL_RECORD + 2) });
    assert.equal(cache.get(4, 1, c), undefined, 'an older version is not the kept one');
    assert.equal(cache.get(6, 1, c), undefined, 'nor a newer one');
    assert.equal(cache.size, 4);
    // the slot still orders versions: an older read does not displace it, a newer node takes the slot back
    cache.set(4, 1, c, 'older');
    assert.deepEqual(cache.get(5, 1, c), { record: big });
    cache.set(6, 1, c, 'newer');
    assert.deepEqual(cache.get(6, 1, c), { record: 'newer' });
    assert.equal(cache.get(5, 1, c), undefined, 'the replaced large record is not answered from the deeper nodes');
  });

  it('a budget whose upper levels exceed what one Buffer can hold allocates their slots as they are used', () => {
    const depth = 7; // 17.9 million slots, ≈ 20 GB
    const cache = new NodeCache(budgetFor(depth));
    assert.equal(cache.upperDepth, depth);
    const before = process.memoryUsage().arrayBuffers;
    const last = place(depth - 1, 16 ** (depth - 1) - 1);
    cache.set(3, depth - 1, last, 'deepest upper place');
    cache.set(3, 0, place(0, 0), 'root');
    assert.deepEqual(cache.get(3, depth - 1, last), { record: 'deepest upper place' });
    assert.deepEqual(cache.get(3, 0, place(0, 0)), { record: 'root' });
    assert.equal(cache.get(3, depth - 1, place(depth - 1, 16 ** (depth - 1) - 2)), undefined, 'its neighbour is empty');
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 64 * 2 ** 20, `two places took ${grown} bytes`);
  });

  it('record() and copyRecord() answer what get() does', () => {
    const cache = new NodeCache(budgetFor(2), 4096);
    const big = 'L'.repeat(MAX_INTERNAL_RECORD + 1);
    cache.set(5, 0, place(0, 0), 'root');
    cache.set(5, 1, place(1, 1), 'one');
    cache.set(5, 1, place(1, 2), big);
    cache.set(6, 1, place(1, 3), 'six');
    cache.set(5, 1, place(1, 3), 'five, past');
    cache.set(5, 3, place(3, 9), 'deep');
    cache.set(7, 3, place(3, 10), 'deep seven');
    cache.set(6, 3, place(3, 10), 'deep six, past');
    const asked: Array<[number, number, string]> = [
      [5, 0, place(0, 0)],
      [4, 0, place(0, 0)],
      [5, 1, place(1, 1)],
      [5, 1, place(1, 2)],
      [6, 1, place(1, 3)],
      [5, 1, place(1, 3)],
      [4, 1, place(1, 3)],
      [5, 1, place(1, 4)],
      [5, 3, place(3, 9)],
      [6, 3, place(3, 9)],
      [7, 3, place(3, 10)],
      [6, 3, place(3, 10)],
      [5, 3, place(3, 10)],
      [5, 3, place(3, 11)],
    ];
    const answers = asked.map(([v, d, p]) => cache.record(v, d, p));
    assert.deepEqual(answers, ['root', undefined, 'one', big, 'six', 'five, past', undefined, undefined, 'deep', undefined, 'deep seven', 'deep six, past', undefined, undefined]);
    assert.deepEqual(
      answers,
      asked.map(([v, d, p]) => cache.get(v, d, p)?.record),
    );
    const into = Buffer.alloc(MAX_INTERNAL_RECORD);
    const copied = asked.map(([v, d, p]) => {
      into.fill(0xee);
      const length = cache.copyRecord(v, d, p, into);
      if (length < 0) return undefined;
      // A record longer than `into` is not copied: only its length comes back.
      return length <= into.length ? into.toString('latin1', 0, length) : `${length} bytes, untouched: ${into.every((b) => b === 0xee)}`;
    });
    assert.deepEqual(copied, [...answers.slice(0, 3), `${big.length} bytes, untouched: true`, ...answers.slice(4)]);
  });

  it("refuses a place that is not one (its path longer or shorter than its depth), rather than name another place's slot", () => {
    const cache = new NodeCache(budgetFor(3));
    for (const bad of ['\x02', '\x02ab', '\x01', '\x01ab', '\x00a']) {
      assert.throws(() => cache.set(1, bad.charCodeAt(0), bad, 'r'), RangeError, JSON.stringify(bad));
      assert.throws(() => cache.get(1, bad.charCodeAt(0), bad), RangeError, JSON.stringify(bad));
    }
    assert.equal(cache.size, 0);
  });
});

describe('deepCachingBound (which depths a commit caches its new deep nodes at)', () => {
  const MiB = 2 ** 20;
  /** A block of `changes` uniformly spread keys over `keys`: its new internal nodes at depth 5 and their entry bytes (a record of the expected children). */
  function block(keys: number, changes: number): { written: number[]; bytes: number[] } {
    const lambda = keys / 16 ** 5;
    const nodes = Math.round(changes * (1 - Math.exp(-lambda)));
    const record = 5 + Math.min(16, Math.max(2, lambda)) * 33;
    return { written: [0, 0, 0, 0, 0, nodes], bytes: [0, 0, 0, 0, 0, nodes * NodeCache.deepEntryBytes(3, record)] };
  }

  it('at 10,000,000 keys with the default cache caches none below the upper levels; at 1,000,000 all', () => {
    const generation = 36 * MiB;
    const big = block(10_000_000, 20_000);
    assert.equal(deepCachingBound(5, generation, 10_000_000, big.written, big.bytes), 5);
    const small = block(1_000_000, 20_000);
    assert.equal(deepCachingBound(5, generation, 1_000_000, small.written, small.bytes), Number.POSITIVE_INFINITY);
  });

  it('depends on how much of a depth the cache can hold, not on the block size', () => {
    const generation = 36 * MiB;
    for (const changes of [100, 1_000, 20_000]) {
      const b = block(10_000_000, changes);
      assert.equal(deepCachingBound(5, generation, 10_000_000, b.written, b.bytes), 5, `${changes} changes`);
    }
    // A cache large enough for most of the depth-5 nodes caches them again.
    const b = block(10_000_000, 20_000);
    assert.equal(deepCachingBound(5, 512 * MiB, 10_000_000, b.written, b.bytes), Number.POSITIVE_INFINITY);
  });

  it('stops at the first depth not worth it, skips depths the block did not write, and counts the bytes of every depth above', () => {
    const generation = 36 * MiB;
    // Depth 5 is worth caching alone; depth 7 (no depth-6 nodes written) is not once its bytes crowd the cache.
    const written = [0, 0, 0, 0, 0, 1_000, 0, 200_000];
    const fewBytes = [0, 0, 0, 0, 0, 100_000, 0, 1_000];
    assert.equal(deepCachingBound(5, generation, 1_000_000, written, fewBytes), Number.POSITIVE_INFINITY);
    const manyBytes = [0, 0, 0, 0, 0, 100_000, 0, 400 * MiB];
    assert.equal(deepCachingBound(5, generation, 1_000_000, written, manyBytes), 7);
    assert.equal(deepCachingBound(5, generation, 1_000_000, [], []), Number.POSITIVE_INFINITY, 'nothing written below the upper levels');
    assert.ok(DEEP_CACHING_MIN_HIT > 0 && DEEP_CACHING_MIN_HIT < 1);
  });
});
