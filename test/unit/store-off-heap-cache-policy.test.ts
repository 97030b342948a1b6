/**
 * The off-heap cache's policy (src/store/off-heap-cache.ts) against a naive
 * model of what its documentation promises: two generations; new, replaced
 * and re-used entries are appended to the young one; when an entry would
 * overflow its arena or its slots, the young generation becomes the old one
 * and the old one is dropped; an update of the same length is rewritten in
 * place; an entry larger than a generation's arena is not kept and hides
 * the key's older entries. The model keeps a map and a byte count per
 * generation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { OffHeapCache, entryBytes } from '../../src/store/off-heap-cache.js';

const DROPPED = 'dropped';
type Stored = Uint8Array | null | typeof DROPPED;

class Generation {
  entries = new Map<string, Stored>();
  used = 0;
}

class Model {
  young = new Generation();
  old = new Generation();
  constructor(
    private readonly arena: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string): Uint8Array | null | undefined {
    const y = this.young.entries.get(key);
    if (y !== undefined) return y === DROPPED ? undefined : y;
    const o = this.old.entries.get(key);
    if (o === undefined || o === DROPPED) return undefined;
    this.append(key, o);
    return o;
  }

  set(key: string, value: Uint8Array | null): void {
    const bytes = entryBytes(key, value);
    const y = this.young.entries.get(key);
    if (bytes > this.arena) {
      if (y !== undefined) this.young.entries.set(key, DROPPED);
      if (this.old.entries.has(key)) this.old.entries.set(key, DROPPED);
      return;
    }
    if (y !== undefined && y !== DROPPED) {
      if (value === null && y === null) return;
      if (value !== null && y !== null && y.length === value.length) {
        this.young.entries.set(key, value);
        return;
      }
    }
    this.append(key, value);
  }

  private append(key: string, value: Uint8Array | null): void {
    const bytes = entryBytes(key, value);
    if (this.young.used + bytes > this.arena || this.young.entries.size + 1 > this.maxEntries) {
      this.old = this.young;
      this.young = new Generation();
    }
    this.young.entries.set(key, value);
    this.young.used += bytes;
  }

  get size(): number {
    return this.young.entries.size + this.old.entries.size;
  }

  get weight(): number {
    return this.young.used + this.old.used;
  }
}

const keyArb = fc.integer({ min: 0, max: 12 }).map((i) => `k${i}`);
// Few lengths, so that same-length updates (rewritten in place) are common; 2000 bytes outgrow most generations.
const valueArb = fc.oneof(
  fc.constant(null),
  fc.constantFrom(0, 3, 50, 400, 2000).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
);
const opArb = fc.oneof(fc.record({ set: keyArb, value: valueArb }), fc.record({ get: keyArb }));

describe('OffHeapCache policy', () => {
  it('holds exactly what the two-generation model holds, with the same size and bytes, after any operations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.array(opArb, { minLength: 1, maxLength: 120 }), (budget, ops) => {
        const cache = new OffHeapCache(budget);
        const slots = (cache as unknown as { slotCount: number }).slotCount;
        const model = new Model(cache.largestEntry, Math.floor(slots * 0.75));
        for (const op of ops) {
          if ('set' in op) {
            cache.set(op.set, op.value);
            model.set(op.set, op.value);
          } else {
            assert.deepEqual(cache.get(op.get), model.get(op.get), `get ${op.get}`);
          }
          assert.equal(cache.size, model.size, 'size');
          assert.equal(cache.weight, model.weight, 'bytes');
        }
        for (let i = 0; i <= 12; i++) assert.deepEqual(cache.get(`k${i}`), model.get(`k${i}`), `final get k${i}`);
      }),
      { numRuns: 400 },
    );
  });
});
