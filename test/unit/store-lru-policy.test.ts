/**
 * The node cache's policy (src/store/lru.ts) against a naive model of what
 * its documentation promises: two generations of at most half the budget
 * each; new, replaced and re-used entries go to the young one; when an entry
 * would overflow it, the young generation becomes the old one and the old
 * one is dropped; an entry heavier than half the budget is not kept. The
 * model is a list per generation, recomputing weights from scratch.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { LruCache } from '../../src/store/lru.js';

class Model {
  young: Array<[number, number]> = [];
  old: Array<[number, number]> = [];
  constructor(private readonly half: number) {}
  private static sum(g: Array<[number, number]>): number {
    return g.reduce((s, [, w]) => s + w, 0);
  }
  private put(key: number, weight: number): void {
    if (Model.sum(this.young) + weight > this.half) {
      this.old = this.young;
      this.young = [];
    }
    this.young.push([key, weight]);
  }
  get(key: number): number | undefined {
    const y = this.young.find(([k]) => k === key);
    if (y !== undefined) return y[1];
    const o = this.old.find(([k]) => k === key);
    if (o === undefined) return undefined;
    this.old = this.old.filter(([k]) => k !== key);
    this.put(key, o[1]);
    return o[1];
  }
  set(key: number, weight: number): void {
    this.young = this.young.filter(([k]) => k !== key);
    this.old = this.old.filter(([k]) => k !== key);
    if (weight <= this.half) this.put(key, weight);
  }
  get weight(): number {
    return Model.sum(this.young) + Model.sum(this.old);
  }
  get size(): number {
    return this.young.length + this.old.length;
  }
}

type Op = { set: boolean; key: number; weight: number };
const opArb: fc.Arbitrary<Op> = fc.record({ set: fc.boolean(), key: fc.integer({ min: 0, max: 12 }), weight: fc.integer({ min: 0, max: 60 }) });

describe('LruCache policy', () => {
  it('holds exactly what the two-generation model holds, with the same weight, after any operations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 121 }), fc.array(opArb, { maxLength: 80 }), (budget, ops) => {
        // The value is the weight, so a hit returns the weight it was stored with.
        const cache = new LruCache<number, number>(budget, (_k, v) => v);
        const model = new Model(Math.floor(budget / 2));
        for (const op of ops) {
          if (op.set) {
            cache.set(op.key, op.weight);
            model.set(op.key, op.weight);
          } else {
            assert.equal(cache.get(op.key), model.get(op.key), `get ${op.key}`);
          }
          assert.equal(cache.weight, model.weight, 'weight');
          assert.equal(cache.size, model.size, 'size');
        }
        for (let key = 0; key <= 12; key++) assert.equal(cache.get(key), model.get(key), `final get ${key}`);
        assert.equal(cache.weight, model.weight);
      }),
      { numRuns: 400 },
    );
  });

  it('an entry of exactly half the budget is kept; one over is not', () => {
    const cache = new LruCache<string, number>(101, (_k, v) => v);
    cache.set('half', 50);
    assert.equal(cache.get('half'), 50);
    cache.set('over', 51);
    assert.equal(cache.get('over'), undefined);
    // Filling the young generation exactly to half keeps both entries in it.
    const exact = new LruCache<string, number>(100, (_k, v) => v);
    exact.set('a', 20);
    exact.set('b', 30);
    exact.set('c', 1); // overflows: a and b become the old generation
    exact.set('d', 49); // 1 + 49 = 50: still young
    exact.set('e', 1); // overflows again: a and b are dropped
    assert.equal(exact.get('a'), undefined);
    assert.equal(exact.get('b'), undefined);
    assert.equal(exact.weight, 51);
  });
});
