/**
 * The off-heap cache (src/store/off-heap-cache.ts) against a map of what was
 * set last: a lookup may miss, but a hit is always the latest value (never an
 * older one, never another key's), and a value just set is found unless it
 * cannot fit. Keys mix ASCII and other characters (UTF-8 keys) or are binary
 * strings (latin1 keys, as the node cache's places), values every length
 * from absent to larger than a generation, as bytes or latin1 strings; small
 * budgets turn the generations over many times.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';

import { MAX_CACHED_KEY_BYTES, MAX_PROBES, OffHeapCache, entryBytes } from '../../src/store/off-heap-cache.js';

const key = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((i) => `a/${i}`),
  fc.integer({ min: 0, max: 10 }).map((i) => `ü/${'é'.repeat(i)}`),
  fc.integer({ min: 0, max: 5 }).map((i) => `😀${i}`),
);
// Few lengths, so that updates of the same length (rewritten in place) are common; 600 bytes outgrow small generations.
const value = fc.oneof(
  fc.constant(null),
  fc.constantFrom(0, 1, 5, 70, 600).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
);
const op = fc.oneof(fc.record({ set: key, value }), fc.record({ get: key }), fc.record({ has: key }));

describe('OffHeapCache', () => {
  it('a hit is always the latest value set, and a value just set is found when it fits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4000 }), fc.array(op, { minLength: 50, maxLength: 300 }), (budget, ops) => {
        const cache = new OffHeapCache(budget);
        const latest = new Map<string, Uint8Array | null>();
        for (const o of ops) {
          if ('set' in o) {
            cache.set(o.set, o.value);
            latest.set(o.set, o.value);
            const fits = entryBytes(o.set, o.value) <= cache.largestEntry;
            if (fits) assert.deepEqual(cache.get(o.set), o.value === null ? null : new Uint8Array(o.value), `just set: ${o.set}`);
          } else {
            const k = 'get' in o ? o.get : o.has;
            const hit = cache.get(k);
            if (hit !== undefined) assert.deepEqual(hit, latest.get(k) === null ? null : new Uint8Array(latest.get(k)!), `a hit of ${k}`);
            assert.equal(cache.has(k), hit !== undefined);
            assert.equal(cache.cachedAbsent(k), hit === null);
          }
        }
        assert.ok(cache.weight <= budget, `arenas hold ${cache.weight} bytes of a ${budget}-byte budget`);
      }),
      { numRuns: 300 },
    );
  });

  it('with latin1 keys and values (whole or joined from a head and bytes): a hit is the latest value, in either form, and a key above U+00FF is never cached', () => {
    const binaryKey = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.constantFrom('\u0100', 'a\u20ac'),
    );
    const latin1Value = fc.constantFrom(0, 1, 9, 290, 900).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('latin1')));
    // `joined`: set as a latin1 head and a body of bytes (setLatin1Joined), split this far in.
    // `copy`: copyAfterHead with a head of the latest value's first `head` characters (or others), into `room` bytes.
    const latin1Op = fc.oneof(
      fc.record({ set: binaryKey, value: latin1Value, joined: fc.option(fc.nat({ max: 900 })) }),
      fc.record({ get: binaryKey, bytes: fc.boolean() }),
      fc.record({ copy: binaryKey, head: fc.nat({ max: 12 }), otherHead: fc.boolean(), room: fc.constantFrom(0, 9, 300, 1000) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6000 }), fc.array(latin1Op, { minLength: 50, maxLength: 300 }), (budget, ops) => {
        const cache = new OffHeapCache(budget, 'latin1');
        const latest = new Map<string, string>();
        for (const o of ops) {
          if ('set' in o) {
            if (o.joined === null) cache.setLatin1(o.set, o.value);
            else cache.setLatin1Joined(o.set, o.value.slice(0, o.joined), Buffer.from(o.value.slice(o.joined), 'latin1'));
            latest.set(o.set, o.value);
            const cacheable = ![...o.set].some((c) => c.charCodeAt(0) > 0xff);
            if (cacheable && entryBytes(o.set, o.value, 'latin1') <= cache.largestEntry) assert.equal(cache.getLatin1(o.set), o.value, 'just set');
            if (!cacheable) assert.equal(cache.getLatin1(o.set), undefined, 'a key above U+00FF is not cached');
            if (cacheable) assert.equal(cache.peekLatin1(o.set, 5), cache.getLatin1(o.set)?.slice(0, 5), 'a peek is the start of the value');
          } else if ('copy' in o) {
            const value = latest.get(o.copy) ?? '';
            const head = o.otherHead ? 'x'.repeat(o.head) : value.slice(0, o.head);
            const into = Buffer.alloc(o.room, 0xee);
            const copied = cache.copyAfterHead(o.copy, head, into);
            const now = cache.getLatin1(o.copy); // a copy that missed must not have hidden a hit, nor one that hit have lost it
            if (copied === -1) assert.equal(now, undefined, 'a miss is not cached');
            else {
              assert.equal(now, value, 'a copy hits the latest value');
              if (!value.startsWith(head)) assert.equal(copied, -2, 'another head');
              else {
                assert.equal(copied, value.length - head.length, 'the rest is as long as the value after its head');
                const expected = copied <= o.room ? value.slice(head.length) + '\u00ee'.repeat(o.room - copied) : '\u00ee'.repeat(o.room);
                assert.equal(into.toString('latin1'), expected, 'the rest copied when it fits, nothing written when not');
              }
            }
          } else if (o.bytes) {
            const hit = cache.get(o.get);
            if (hit !== undefined) assert.deepEqual(hit, new Uint8Array(Buffer.from(latest.get(o.get)!, 'latin1')));
          } else {
            const hit = cache.getLatin1(o.get);
            if (hit !== undefined) assert.equal(hit, latest.get(o.get));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('returns copies: changing what get returned, or what set was given, changes nothing cached', () => {
    const cache = new OffHeapCache(1 << 16);
    const given = new Uint8Array([1, 2, 3]);
    cache.set('k', given);
    given[0] = 9;
    const got = cache.get('k')!;
    assert.deepEqual(got, new Uint8Array([1, 2, 3]));
    got[1] = 9;
    assert.deepEqual(cache.get('k'), new Uint8Array([1, 2, 3]));
  });

  it('a value too large to cache drops the older value of its key from both generations', () => {
    const cache = new OffHeapCache(1000);
    cache.set('k', new Uint8Array(10));
    // Generations of 500 bytes have 4 slots, of which 3 are used at most: the third filler turns them over.
    for (let i = 0; i < 3; i++) cache.set(`filler${i}`, new Uint8Array(30));
    assert.equal(cache.size, 4, 'k and two fillers in the old generation, one in the young');
    assert.ok(cache.has('k'));
    cache.set('k', new Uint8Array(cache.largestEntry));
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.has('k'), false);
    cache.set('k', new Uint8Array(3));
    cache.set('k', new Uint8Array(cache.largestEntry));
    assert.equal(cache.get('k'), undefined, 'dropped from the young generation too');
    cache.set('k', null);
    assert.equal(cache.get('k'), null);
  });

  it('an entry used in the old generation moves to the young one and outlives the next turnover', () => {
    const cache = new OffHeapCache(1000); // 3 entries a generation (see above)
    cache.set('k', new Uint8Array([7]));
    for (let i = 0; i < 3; i++) cache.set(`filler${i}`, new Uint8Array(30)); // k now in the old generation
    assert.deepEqual(cache.get('k'), new Uint8Array([7]));
    for (let i = 3; i < 5; i++) cache.set(`filler${i}`, new Uint8Array(30)); // turns over again
    assert.equal(cache.get('filler0'), undefined, 'the generation k was in is gone');
    assert.deepEqual(cache.get('k'), new Uint8Array([7]));
  });

  it('an entry copied out of the old generation moves to the young one, also when that turns the generations over', () => {
    const cache = new OffHeapCache(1000, 'latin1'); // 3 entries a generation (see above)
    cache.setLatin1('f', 'x'.repeat(30));
    cache.setLatin1Joined('k', 'v7', Buffer.from('record'));
    for (let i = 0; i < 4; i++) cache.setLatin1(`filler${i}`, 'y'.repeat(30)); // k in the old generation, the young one full
    const into = Buffer.alloc(16);
    assert.equal(cache.copyAfterHead('k', 'v7', into), 6);
    assert.equal(into.toString('latin1', 0, 6), 'record');
    assert.equal(cache.getLatin1('f'), undefined, 'the copy turned the generations over: the one k was in is gone');
    assert.equal(cache.getLatin1('k'), 'v7record', 'k moved to the young generation, whole');
  });

  describe('keys made to collide (the hash is public: FNV-1a over UTF-16 code units)', () => {
    const fnv1a = (key: string): number => {
      let hash = 0x811c9dc5;
      for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
      return hash >>> 0;
    };
    const BUDGET = 2 ** 20; // generations of 512 KiB: 4,096 slots
    const MASK = 4095;
    /** `count` keys of the form `<prefix><n>` whose hashes point at `slot`, as a contract's storage slots could be ground. */
    const collidingKeys = (prefix: string, slot: number, count: number): string[] => {
      const keys: string[] = [];
      for (let n = 0; keys.length < count; n++) if ((fnv1a(`${prefix}${n}`) & MASK) === slot) keys.push(`${prefix}${n}`);
      return keys;
    };

    it(`keeps at most ${MAX_PROBES} of them, and answers every one with its latest value or a miss`, () => {
      const cache = new OffHeapCache(BUDGET);
      const keys = collidingKeys('s/attacker/', 77, 200);
      keys.forEach((k, i) => cache.set(k, new Uint8Array([i & 0xff])));
      assert.equal(cache.size, MAX_PROBES, 'the window around slot 77 is full and nothing more was kept');
      keys.forEach((k, i) => cache.set(k, new Uint8Array([1, i & 0xff]))); // a new length: appended again
      keys.forEach((k, i) => {
        const hit = cache.get(k);
        if (hit !== undefined) assert.deepEqual(hit, new Uint8Array([1, i & 0xff]), k);
      });
      const elsewhere = collidingKeys('a/', 3000, 1)[0]!;
      cache.set(elsewhere, new Uint8Array([9]));
      assert.deepEqual(cache.get(elsewhere), new Uint8Array([9]), 'a key pointing elsewhere is cached as usual');
    });

    it('an update that finds its window full drops the older value from the old generation', () => {
      const cache = new OffHeapCache(BUDGET);
      const [victim, ...crowd] = collidingKeys('s/victim/', 500, 1 + MAX_PROBES);
      const big = (fill: number): Uint8Array => new Uint8Array(10_000).fill(fill);
      cache.set(victim!, big(1));
      // Fill the young generation's arena with large entries until it turns over: the victim is then in the old one.
      const perGeneration = Math.floor(cache.largestEntry / entryBytes('f/00', big(0)));
      for (let i = 1; i <= perGeneration; i++) cache.set(`f/${String(i).padStart(2, '0')}`, big(2));
      assert.deepEqual(cache.get(`f/${String(perGeneration).padStart(2, '0')}`), big(2), 'the last filler is cached (young)');
      // The victim's window in the young generation is taken by keys pointing at the same slot.
      for (const k of crowd) cache.set(k, new Uint8Array(1));
      cache.set(victim!, new Uint8Array([3]));
      const hit = cache.get(victim!);
      assert.ok(hit === undefined || hit?.length === 1, 'never the value before the update');
    });
  });

  it(`does not cache keys longer than ${MAX_CACHED_KEY_BYTES} bytes`, () => {
    const cache = new OffHeapCache(1 << 20);
    const long = 'x'.repeat(MAX_CACHED_KEY_BYTES + 1);
    cache.set(long, new Uint8Array(1));
    assert.equal(cache.get(long), undefined);
    const longest = 'x'.repeat(MAX_CACHED_KEY_BYTES);
    cache.set(longest, new Uint8Array(1));
    assert.deepEqual(cache.get(longest), new Uint8Array(1));
  });

  it('keeps nothing per entry on V8 heap: 100,000 entries add less than 1 MiB to it', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const cache = new OffHeapCache(64 << 20);
    cache.set('warm', new Uint8Array(70)); // the arenas of the first generation
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) cache.set(`a/${i.toString(16).padStart(40, '0')}`, new Uint8Array(70).fill(i & 0xff));
    gc();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(cache.size, 100_001);
    assert.ok(grown < 1 << 20, `the heap grew by ${grown} bytes`);
    assert.deepEqual(cache.get(`a/${(77).toString(16).padStart(40, '0')}`), new Uint8Array(70).fill(77));
  });
});
