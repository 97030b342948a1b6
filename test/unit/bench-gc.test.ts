/**
 * bench/lib/gc.ts: the collections of a stretch of work are counted in its
 * window and in no other.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GcPauses } from '../../bench/lib/gc.js';

describe('GcPauses', () => {
  it('counts the scavenges that short-lived allocations cause inside the window, none in a window after it', async () => {
    const gc = new GcPauses();
    try {
      const start = performance.now();
      // ≈ 300 MB of short-lived objects, each kept until 1,024 later ones replace it (so none can be optimized away): many times V8's young generation, whatever its size.
      const ring = new Array<{ i: number; pair: number[] }>(1024);
      for (let i = 0; i < 3_000_000; i++) ring[i & 1023] = { i, pair: [i, i + 1] };
      const end = performance.now();
      assert.equal(ring[(3_000_000 - 1) & 1023]!.i, 3_000_000 - 1);
      await new Promise((resolve) => setImmediate(resolve));
      const during = gc.within([[start, end]]);
      assert.ok(during.scavenges > 0, `scavenges during the allocations: ${during.scavenges}`);
      assert.ok(during.scavengeMs > 0);
      const later = gc.within([[end + 1e9, end + 2e9]]);
      assert.deepEqual(later, { scavenges: 0, scavengeMs: 0, others: 0, otherMs: 0 });
    } finally {
      gc.stop();
    }
  });
});
