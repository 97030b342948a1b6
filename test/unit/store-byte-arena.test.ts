/**
 * ByteArena (src/store/byte-arena.ts) and what the store builds in it: the
 * latest values computeRoot reads before a block's changes, and the keys
 * and records the commit puts beside the nodes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ByteArena } from '../../src/store/byte-arena.js';
import { CommittedStore, deletionKey, latestKey, latestRecord } from '../../src/store/committed-store.js';
import type { Change } from '../../src/store/kv.js';
import { u64String } from '../../src/store/tree.js';
import { bytes, text, withDir } from './fixtures/store-dirs.js';
import { referenceRoot } from './fixtures/store-reference.js';

describe('ByteArena', () => {
  it('keeps every view it handed out intact while later ones fill new chunks', () => {
    const arena = new ByteArena(64);
    const views: Array<[Uint8Array, number]> = [];
    for (let i = 0; i < 100; i++) {
      const length = (i * 7) % 50;
      const view = arena.take(length);
      view.fill(i);
      views.push([view, length]);
    }
    const long = arena.take(200); // longer than a chunk: a buffer of its own
    long.fill(0xee);
    for (let i = 0; i < views.length; i++) {
      const [view, length] = views[i]!;
      assert.equal(view.length, length);
      assert.ok(
        view.every((b) => b === i),
        `view ${i} was overwritten`,
      );
    }
    assert.equal(long.length, 200);
    assert.ok(long.every((b) => b === 0xee));
  });

  it('take gives plain Uint8Arrays, claim gives Buffers of what was written', () => {
    const arena = new ByteArena(16);
    const plain = arena.take(4);
    assert.equal(Object.getPrototypeOf(plain), Uint8Array.prototype);
    const room = arena.reserve(10);
    const at = arena.at;
    room.write('hello', at, 'latin1');
    const claimed = arena.claim(5);
    assert.ok(Buffer.isBuffer(claimed));
    assert.equal(claimed.toString('latin1'), 'hello');
    assert.equal(arena.take(3).length, 3);
    assert.equal(claimed.toString('latin1'), 'hello');
  });
});

describe('record builders in a ByteArena', () => {
  const vs = u64String(0x0102030405);
  const u64 = Buffer.from(vs, 'latin1');
  // ASCII, two-, three- and four-byte UTF-8 (a surrogate pair), and one long enough to fill several chunks
  const keys = ['acct:0xabc', 'café', 'ключ/€', 'emoji/😀/x', 'long/'.repeat(200)];

  it('write the layout docs/STORE.md gives, chunk after chunk', () => {
    const arena = new ByteArena(128);
    const built: Array<[Buffer, Buffer, Buffer, Buffer]> = [];
    for (let round = 0; round < 20; round++) {
      for (const key of keys) {
        const value = bytes(`${key}=${round}`);
        built.push([
          latestKey(arena, key),
          latestRecord(arena, vs, value),
          deletionKey(arena, key, vs),
          Buffer.concat([
            Buffer.from('s'),
            Buffer.from(key, 'utf8'),
            Buffer.from('|'),
            u64,
            Buffer.from(value),
            Buffer.from('|d'),
            Buffer.from(key, 'utf8'),
            Buffer.from([0]),
            u64,
          ]),
        ]);
      }
    }
    for (const [sKey, record, dKey, expected] of built) {
      assert.equal(Buffer.concat([sKey, Buffer.from('|'), record, Buffer.from('|'), dKey]).toString('hex'), expected.toString('hex'));
    }
  });
});

describe('computeRoot: sorted and unsorted changes', () => {
  const value = (i: number, round: number): Uint8Array => bytes(`${round}:${i}:`.padEnd(300, 'v'));
  const keys = Array.from({ length: 1500 }, (_, i) => `k/${i}/${'é'.repeat(i % 3)}`);

  it('give the same root and state whichever order (and repeats) the changes come in', async () => {
    const expected = new Map<string, Uint8Array>();
    for (let i = 0; i < keys.length; i++) if (i % 5 !== 0) expected.set(keys[i]!, value(i, 2));
    const sorted: Array<[string, Change]> = [...keys.map((k, i): [string, Change] => [k, i % 5 === 0 ? null : value(i, 2)])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const shuffled: Array<[string, Change]> = [...sorted].reverse();
    const repeated: Array<[string, Change]> = [...sorted.map(([k]): [string, Change] => [k, value(0, 9)]), ...shuffled];
    const sortedRepeats = sorted.flatMap(
      ([k, v]): Array<[string, Change]> => [
        [k, value(0, 9)],
        [k, v],
      ],
    );
    const roots: string[] = [];
    for (const changes of [sorted, shuffled, repeated, sortedRepeats]) {
      await withDir(async (dir) => {
        const store = await CommittedStore.open(dir);
        try {
          const first = store.computeRoot(keys.map((k, i) => [k, value(i, 1)]));
          await store.commit(1n, first, first.root);
          const pending = store.computeRoot(changes);
          roots.push(Buffer.from(pending.root).toString('hex'));
          await store.commit(2n, pending, pending.root);
          for (let i = 0; i < keys.length; i++) assert.deepEqual(store.get(keys[i]!), expected.get(keys[i]!), keys[i]);
        } finally {
          await store.close();
        }
      });
    }
    assert.equal(roots[0], Buffer.from(referenceRoot(expected)).toString('hex'));
    assert.deepEqual(roots, [roots[0], roots[0], roots[0], roots[0]]);
  });

  it('reads during the commit of sorted changes see the cached values before them, across many chunks', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir); // the value cache holds every key: the values before come from it
      try {
        const first = store.computeRoot(keys.map((k, i) => [k, value(i, 1)]));
        await store.commit(1n, first, first.root);
        const sorted = [...keys].sort();
        const pending = store.computeRoot(sorted.map((k, i) => [k, i % 7 === 0 ? null : value(i, 2)]));
        let done = false;
        const commit = store.commit(2n, pending, pending.root).then(() => (done = true));
        let reads = 0;
        while (!done) {
          for (let i = 0; i < keys.length; i++) assert.equal(text(store.get(keys[i]!)), text(value(i, 1)), `${keys[i]} read while height ${store.height} is the latest`);
          reads++;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        await commit;
        assert.ok(reads > 0);
        assert.equal(store.get(sorted[0]!), undefined);
        assert.equal(text(store.get(sorted[1]!)), text(value(1, 2)));
      } finally {
        await store.close();
      }
    });
  });
});
