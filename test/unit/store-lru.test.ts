import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { LruCache } from '../../src/store/lru.js';

describe('LruCache', () => {
  it('stays within its budget and keeps what is used', () => {
    const cache = new LruCache<number, string>(1000, () => 10);
    for (let i = 0; i < 10_000; i++) {
      cache.set(i, `v${i}`);
      cache.get(0); // used all the time: never evicted
      assert.ok(cache.weight <= 1000, `weight ${cache.weight}`);
    }
    assert.equal(cache.get(0), 'v0');
    assert.equal(cache.get(9999), 'v9999');
    assert.equal(cache.get(5), undefined, 'an unused old entry is gone');
    assert.ok(cache.size <= 100);
  });

  it('replaces an entry, and refuses one heavier than half the budget', () => {
    // the value is the weight
    const cache = new LruCache<string, number>(100, (_key, value) => value);
    cache.set('a', 10);
    cache.set('a', 20);
    assert.equal(cache.get('a'), 20);
    assert.equal(cache.weight, 20);
    cache.set('big', 51);
    assert.equal(cache.get('big'), undefined);
    cache.set('a', 60);
    assert.equal(cache.get('a'), undefined, 'a too heavy replacement drops the old value too');
    assert.equal(cache.weight, 0);
  });

  it('an entry read from the old generation moves to the young one with its weight', () => {
    const cache = new LruCache<string, number>(100, (_key, value) => value);
    cache.set('x', 30);
    cache.set('y', 30); // young is full (60 > 50): x's generation becomes the old one
    assert.equal(cache.weight, 60);
    assert.equal(cache.get('x'), 30);
    assert.equal(cache.weight, 60);
    assert.equal(cache.size, 2);
  });
});
