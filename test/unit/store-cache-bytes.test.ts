/**
 * The state caches cost what they are given (`--state-cache-mb` is memory,
 * not a guess): the node cache's upper levels against V8's heap and
 * external memory after full collections, for full upper nodes; they, and
 * its deep nodes (like the latest values,
 * store-off-heap-cache.test.ts), take nothing on V8's heap.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { NodeCache } from '../../src/store/node-cache.js';
import { nodePlace } from '../../src/store/tree.js';
import { UPPER_SLOT_BYTES } from '../../src/store/upper-nodes.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes of heap and external memory that `build` leaves reachable through what it returns. */
function measure<T>(build: () => T): { bytes: number; heap: number; kept: T } {
  gc();
  gc();
  const before = process.memoryUsage();
  const kept = build();
  gc();
  gc();
  const after = process.memoryUsage();
  const heap = after.heapUsed - before.heapUsed;
  return { bytes: heap + (after.external - before.external), heap, kept };
}

const latin1 = (n: number, seed: number): string => Buffer.from(Array.from({ length: n }, (_, j) => (j * 7 + seed) & 0xff)).toString('latin1');

/** The estimate is within this factor of what was measured, either way. */
const TOLERANCE = 1.25;

function assertClose(estimated: number, measured: number, what: string): void {
  assert.ok(estimated <= measured * TOLERANCE && measured <= estimated * TOLERANCE, `${what}: counted ${estimated.toFixed(0)} bytes, measured ${measured.toFixed(0)}`);
}

describe('state cache accounting', () => {
  it('deep tree nodes are kept outside V8 heap: 40,000 of them add less than 1 MiB to it', () => {
    const cache = new NodeCache(64 * 2 ** 20);
    const deep = (i: number): string => String.fromCharCode(6, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    cache.set(99, 6, deep(1 << 20), latin1(280, 0)); // the first generation's buffers
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 40_000; i++) cache.set(100 + i, 6, deep(i), latin1(280, i));
    gc();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 2 ** 20, `the heap grew by ${grown} bytes`);
    assert.equal(cache.size, 40_001);
    assert.deepEqual(cache.get(100 + 77, 6, deep(77)), { record: latin1(280, 77) });
  });

  it('the upper levels fit what the node cache sets aside for them, outside V8 heap', () => {
    const budget = 128 * 2 ** 20;
    // every place of depth < 5: its path's first `depth` nibbles spell p
    const placeOf = (depth: number, p: number): string => nodePlace(depth, Buffer.from(p.toString(16).padStart(depth, '0').padEnd(64, '0'), 'hex').toString('latin1'));
    const { bytes, heap, kept } = measure(() => {
      const cache = new NodeCache(budget);
      for (let depth = 0; depth < cache.upperDepth; depth++) {
        for (let p = 0; p < 16 ** depth; p++) cache.set(5000 + p, depth, placeOf(depth, p), latin1(565, p));
      }
      return cache;
    });
    assert.equal(kept.upperDepth, 5);
    assert.equal(kept.size, 69_905);
    assert.deepEqual(kept.get(5000 + 0xbeef, 4, placeOf(4, 0xbeef)), { record: latin1(565, 0xbeef) });
    // NodeCache reserves (16^5 - 1) / 15 slots out of the budget.
    assertClose(((16 ** 5 - 1) / 15) * UPPER_SLOT_BYTES, bytes, 'the upper levels');
    assert.ok(heap < 2 ** 20, `V8's heap grew by ${heap} bytes`);
  });
});
