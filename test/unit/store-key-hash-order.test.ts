/**
 * KeyHashOrder (src/store/key-hash-order.ts): the read-ahead's keys in
 * keyHash order, whose keyHashes and order computeRoot takes. Whatever the
 * read-ahead was given (the changed keys, more, fewer, repeats, nothing),
 * computeRoot's root must be the reference's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { CommittedStore } from '../../src/store/committed-store.js';
import { KeyHashOrder } from '../../src/store/key-hash-order.js';
import type { Change } from '../../src/store/kv.js';
import { keyHashOf } from '../../src/store/tree.js';
import { bytes, withDir } from './fixtures/store-dirs.js';
import { referenceRoot } from './fixtures/store-reference.js';

const keys = Array.from({ length: 600 }, (_, i) => `acct/${i}/${'ü'.repeat(i % 4)}`);

describe('KeyHashOrder', () => {
  it('holds the keys sorted by keyHash, each at its place, repeats included', () => {
    const given = [...keys, keys[3]!, keys[7]!];
    const order = new KeyHashOrder(given);
    const expected = given.map((k) => keyHashOf(k)).sort();
    assert.deepEqual(order.hashes, expected);
    for (const key of keys) {
      const rank = order.rankOf(key)!;
      assert.equal(order.keyAt(rank), key);
      assert.equal(order.hashAt(rank), keyHashOf(key));
    }
    assert.equal(order.rankOf('not given'), undefined);
  });

  it('arranges items in keyHash order, those it does not hold merged in, none lost or repeated', () => {
    const order = new KeyHashOrder([...keys, ...keys.slice(0, 50)]);
    const others = Array.from({ length: 40 }, (_, i) => `other/${i}`);
    const items = [...others.slice(0, 20), ...keys.filter((_, i) => i % 3 !== 0), ...others.slice(20)].map((key) => ({ key, keyHash: keyHashOf(key) }));
    const byHash = [...items].sort((a, b) => (a.keyHash < b.keyHash ? -1 : a.keyHash > b.keyHash ? 1 : 0)).map((i) => i.key);
    assert.deepEqual(
      order.arrange(items).map((i) => i.key),
      byHash,
    );
    assert.deepEqual(
      order.arrange(items.filter((i) => i.key.startsWith('other/'))).map((i) => i.key),
      byHash.filter((k) => k.startsWith('other/')),
    );
    assert.deepEqual(order.arrange([]), []);
  });
});

describe('computeRoot after a read-ahead of other keys than it changes', () => {
  const value = (i: number, round: number): Uint8Array => bytes(`${round}:${i}`);
  const changed = keys.filter((_, i) => i % 2 === 0);
  const cases: Array<[string, string[] | undefined]> = [
    ['exactly the changed keys', changed],
    ['more keys', keys],
    ['fewer keys', changed.slice(0, 100)],
    ['all but one key, and others', [...changed.slice(1), 'not/changed/1', 'not/changed/2']],
    ['the changed keys twice', [...changed, ...changed]],
    ['no read-ahead', undefined],
  ];

  for (const [name, readAhead] of cases) {
    it(`${name}: the reference's root and state`, async () => {
      await withDir(async (dir) => {
        const store = await CommittedStore.open(dir);
        try {
          const first = store.computeRoot(keys.map((k, i) => [k, value(i, 1)]));
          await store.commit(1n, first, first.root);
          const expected = new Map(keys.map((k, i) => [k, value(i, 1)]));
          const changes: Array<[string, Change]> = changed.map((k, i) => [k, i % 5 === 0 ? null : value(i, 2)]);
          for (const [k, v] of changes) {
            if (v === null) expected.delete(k);
            else expected.set(k, v);
          }
          if (readAhead !== undefined) await store.prefetch(readAhead);
          const pending = store.computeRoot([...changes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
          assert.equal(Buffer.from(pending.root).toString('hex'), Buffer.from(referenceRoot(expected)).toString('hex'));
          await store.commit(2n, pending, pending.root);
          for (const k of keys) assert.deepEqual(store.get(k), expected.get(k), k);
        } finally {
          await store.close();
        }
      });
    });
  }
});
