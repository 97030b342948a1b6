import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Overlay, type KV, type KVReader } from '../../src/store/kv.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

class MapKV implements KV {
  readonly map = new Map<string, Uint8Array>();
  get(key: string): Uint8Array | undefined {
    return this.map.get(key);
  }
  set(key: string, value: Uint8Array): void {
    this.map.set(key, value);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

describe('Overlay', () => {
  it('reads fall through to the parent until written here', () => {
    const parent = new MapKV();
    parent.set('a', bytes('1'));
    const o = new Overlay(parent);
    assert.equal(text(o.get('a')), '1');
    assert.equal(o.get('missing'), undefined);
    o.set('a', bytes('2'));
    assert.equal(text(o.get('a')), '2');
    assert.equal(text(parent.get('a')), '1', 'the parent is untouched until commitTo');
  });

  it('a key deleted in the overlay is not read from the parent', () => {
    const parent = new MapKV();
    parent.set('a', bytes('1'));
    const o = new Overlay(parent);
    o.delete('a');
    assert.equal(o.get('a'), undefined);
    assert.equal(text(parent.get('a')), '1');
    o.set('a', bytes('3'));
    assert.equal(text(o.get('a')), '3', 'set after delete resurrects the key');
  });

  it('nested overlays: a child sees the parent overlay, including its deletes', () => {
    const base = new MapKV();
    base.set('a', bytes('1'));
    base.set('b', bytes('1'));
    const block = new Overlay(base);
    block.delete('a');
    const tx = new Overlay(block);
    assert.equal(tx.get('a'), undefined);
    tx.set('b', bytes('2'));
    tx.delete('b');
    assert.equal(tx.get('b'), undefined);
    assert.equal(text(block.get('b')), '1');
    // a failed tx is simply dropped
    const failed = new Overlay(block);
    failed.set('c', bytes('x'));
    assert.equal(block.get('c'), undefined);
    tx.commitTo(block);
    assert.equal(tx.size, 0);
    assert.equal(block.get('b'), undefined);
    block.commitTo(base);
    assert.equal(base.get('a'), undefined);
    assert.equal(base.get('b'), undefined);
    assert.equal(base.map.size, 0);
  });

  it('sortedChanges is ordered by key and keeps deletes as null', () => {
    const o = new Overlay(new MapKV());
    o.set('b', bytes('2'));
    o.delete('c');
    o.set('a', bytes('1'));
    assert.deepEqual(
      o.sortedChanges().map(([k, v]) => [k, v === null ? null : text(v)]),
      [
        ['a', '1'],
        ['b', '2'],
        ['c', null],
      ],
    );
    o.reset();
    assert.equal(o.size, 0);
  });

  it('works over any KVReader', () => {
    const reader: KVReader = { get: (k) => (k === 'x' ? bytes('y') : undefined) };
    const o = new Overlay(reader);
    assert.equal(text(o.get('x')), 'y');
  });
});
