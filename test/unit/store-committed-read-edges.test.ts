/**
 * Edges of CommittedStore's reads and checks around computeRoot, entries and
 * prefetch: the usage errors (docs/STORE.md: StoreUsageError for a bad key or
 * value, entries refused while writes are deferred) and prefetch as a
 * read-ahead of the latest values (committed-store.ts prefetch doc: one
 * parallel read of the values the cache lacks, in PREFETCH_READERS = 4 parts,
 * into the value cache; invalid keys are skipped).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ClassicLevel } from 'classic-level';

import { CommittedStore, StoreCorruptionError, StoreUsageError, nodesDir } from '../../src/store/committed-store.js';
import { bytes, commitBlock, patchLevel, text, withDir } from './fixtures/store-dirs.js';

/**
 * Records LevelDB reads of latest values (keys tagged 's', docs/STORE.md):
 * each getMany call's 's' keys (an empty call as []) (as text after the tag) and the 's' keys read by getSync.
 */
function spyValueReads(): { manyCalls: string[][]; syncReads: string[]; restore: () => void } {
  const manyCalls: string[][] = [];
  const syncReads: string[] = [];
  const tagged = (key: Buffer): string | undefined => (key[0] === 0x73 ? key.subarray(1).toString('utf8') : undefined);
  const restoreMany = patchLevel(
    'getMany',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const asked = args[0] as Buffer[];
        const keys = asked.map(tagged).filter((k): k is string => k !== undefined);
        // An empty read is recorded too: it reads nothing and should not be issued.
        if (keys.length > 0 || asked.length === 0) manyCalls.push(keys);
        return original.apply(this, args);
      },
  );
  const restoreSync = patchLevel(
    'getSync',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const key = tagged(args[0] as Buffer);
        if (key !== undefined) syncReads.push(key);
        return original.apply(this, args);
      },
  );
  return {
    manyCalls,
    syncReads,
    restore: () => {
      restoreSync();
      restoreMany();
    },
  };
}

describe('CommittedStore.computeRoot: usage errors', () => {
  it('refuses a key that is not a string with StoreUsageError naming it', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      try {
        assert.throws(
          () => store.computeRoot([[123 as unknown as string, bytes('v')]]),
          (err: unknown) => {
            assert.ok(err instanceof StoreUsageError, `expected StoreUsageError, got ${String(err)}`);
            assert.equal(err.message, 'invalid state key 123: keys must be well-formed strings without U+0000');
            return true;
          },
        );
      } finally {
        await store.close();
      }
    });
  });

  it('refuses a value that is neither a Uint8Array nor null with StoreUsageError naming the key', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      try {
        assert.throws(
          () => store.computeRoot([['a', 'text' as unknown as Uint8Array]]),
          (err: unknown) => {
            assert.ok(err instanceof StoreUsageError, `expected StoreUsageError, got ${String(err)}`);
            assert.equal(err.message, 'invalid value for state key "a": expected Uint8Array or null');
            return true;
          },
        );
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.entries: deferred writes', () => {
  it('is refused while writes are deferred, naming entries', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', '1']]);
      const store = await CommittedStore.open(dir);
      try {
        store.deferWrites();
        await assert.rejects(store.entries(1n), (err: unknown) => {
          assert.ok(err instanceof StoreUsageError, `expected StoreUsageError, got ${String(err)}`);
          assert.equal(err.message, 'entries reads LevelDB directly: flush() the deferred commits first');
          return true;
        });
        await store.flush();
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.entries: default start', () => {
  it('lists every key of the version from the first when no fromKey is given', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [
        ['b', '2'],
        ['A', '1'],
      ]);
      const store = await CommittedStore.open(dir);
      try {
        // 'A' (0x41) sorts low: a default start other than the empty key could skip it.
        const page = await store.entries(1n);
        assert.deepEqual(
          page.entries.map(([k, v]) => [k, text(v)]),
          [
            ['A', '1'],
            ['b', '2'],
          ],
        );
        assert.equal(page.next, undefined, 'the end: no key to continue from');
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.prefetch: values read ahead', () => {
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

  it('reads the uncached values in 4 parallel parts, skips invalid keys, and later gets need no read', async () => {
    await withDir(async (dir) => {
      await commitBlock(
        dir,
        1n,
        keys.map((k) => [k, `v-${k}`]),
      );
      const store = await CommittedStore.open(dir);
      const spy = spyValueReads();
      try {
        await store.prefetch([...keys, 123 as unknown as string, 'x\u0000y', '\ud800']);
        // 8 keys in 4 parts of ceil(8 / 4) = 2, in the order given.
        assert.deepEqual(spy.manyCalls, [
          ['a', 'b'],
          ['c', 'd'],
          ['e', 'f'],
          ['g', 'h'],
        ]);
        for (const k of keys) assert.equal(text(store.get(k)), `v-${k}`);
        assert.deepEqual(spy.syncReads, [], 'the prefetched values come from the cache');
      } finally {
        spy.restore();
        await store.close();
      }
    });
  });

  it('caches the absence of a key it read ahead', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', '1']]);
      const store = await CommittedStore.open(dir);
      const spy = spyValueReads();
      try {
        await store.prefetch(['zz']);
        assert.deepEqual(spy.manyCalls, [['zz']]);
        assert.equal(store.get('zz'), undefined);
        assert.deepEqual(spy.syncReads, [], 'the absence comes from the cache');
      } finally {
        spy.restore();
        await store.close();
      }
    });
  });

  it('does not read ahead values the cache already holds', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [
        ['a', '1'],
        ['b', '2'],
      ]);
      const store = await CommittedStore.open(dir);
      try {
        assert.equal(text(store.get('a')), '1');
        const spy = spyValueReads();
        try {
          await store.prefetch(['a', 'b']);
          assert.deepEqual(spy.manyCalls, [['b']], 'only the uncached b is read');
          await store.prefetch(['a', 'b']);
          assert.deepEqual(spy.manyCalls, [['b']], 'nothing more is read once both are cached');
          assert.equal(text(store.get('b')), '2');
          assert.deepEqual(spy.syncReads, []);
        } finally {
          spy.restore();
        }
      } finally {
        await store.close();
      }
    });
  });

  it('with deferred writes, reads ahead no value a deferred commit holds (LevelDB has an older one)', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', 'old']]);
      // cacheBytes 0: no value stays cached, so prefetch must tell deferred records from LevelDB's.
      const store = await CommittedStore.open(dir, { cacheBytes: 0 });
      try {
        store.deferWrites();
        const pending = store.computeRoot([['a', bytes('new')]]);
        await store.commit(2n, pending, pending.root);
        const spy = spyValueReads();
        try {
          await store.prefetch(['a']);
          assert.deepEqual(spy.manyCalls, [], 'a is in the deferred records: nothing to read ahead');
        } finally {
          spy.restore();
        }
        assert.equal(text(store.get('a')), 'new');
        await store.flush();
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.computeRoot: a committed PendingRoot stays stale', () => {
  it('refuses to commit again a PendingRoot already committed, after a newer computeRoot', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      try {
        const first = store.computeRoot([['a', bytes('1')]]);
        await store.commit(1n, first, first.root);
        store.computeRoot([['b', bytes('2')]]);
        // Only the latest computeRoot can be committed (docs of commit): `first` is neither.
        await assert.rejects(store.commit(2n, first, first.root), (err: unknown) => {
          assert.ok(err instanceof StoreUsageError, `expected StoreUsageError, got ${String(err)}`);
          assert.equal(err.message, 'stale PendingRoot: another root was computed or committed after it (only the latest computeRoot can be committed)');
          return true;
        });
        assert.equal(store.height, 1n, 'nothing was committed at height 2');
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.entries: the iterator', () => {
  it('stops reading at limit + 1 keys and closes its iterator', async () => {
    await withDir(async (dir) => {
      // 1100 keys: more than one nextv batch of 1024 rows.
      const many: Array<[string, string]> = [];
      for (let i = 0; i < 1100; i++) many.push([`k${String(i).padStart(4, '0')}`, String(i)]);
      await commitBlock(dir, 1n, many);
      const store = await CommittedStore.open(dir);
      const opened: Array<{ nextv: number; closed: number }> = [];
      const restore = patchLevel(
        'iterator',
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            const it = original.apply(this, args) as { nextv: (...a: unknown[]) => unknown; close: (...a: unknown[]) => unknown };
            const seen = { nextv: 0, closed: 0 };
            opened.push(seen);
            const nextv = it.nextv.bind(it);
            const close = it.close.bind(it);
            it.nextv = (...a: unknown[]) => {
              seen.nextv++;
              return nextv(...a);
            };
            it.close = (...a: unknown[]) => {
              seen.closed++;
              return close(...a);
            };
            return it;
          },
      );
      try {
        const page = await store.entries(1n, '', 2);
        assert.deepEqual(
          page.entries.map(([k, v]) => [k, text(v)]),
          [
            ['k0000', '0'],
            ['k0001', '1'],
          ],
        );
        assert.equal(page.next, 'k0002');
        // Latest values, then deletions: the first batch of 1024 latest values holds the 3 keys needed, no
        // second batch is read; the one batch of deletions is empty.
        assert.deepEqual(opened, [
          { nextv: 1, closed: 1 },
          { nextv: 1, closed: 1 },
        ]);
      } finally {
        restore();
        await store.close();
      }
    });
  });
});

describe('CommittedStore.entries: past versions without history records', () => {
  /** Every entry of `version`, one key per page (so each page starts its own merge of latest values and deletions). */
  async function all(store: CommittedStore, version: bigint, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (let from: string | undefined = ''; from !== undefined; ) {
      const page: { entries: Array<[string, Uint8Array]>; next?: string } = await store.entries(version, from, limit);
      for (const [k, v] of page.entries) out.push(`${k}=${text(v)}`);
      from = page.next;
    }
    return out;
  }

  it('finds keys deleted since (also when re-inserted), values written since, and leaves out keys inserted since', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        const blocks: Array<Array<[string, string | null]>> = [
          [
            ['a', '1'],
            ['b', '1'],
            ['c', '1'],
            ['ca', '1'],
          ],
          [
            ['a', '2'],
            ['b', null],
            ['ca', null],
          ],
          [
            ['b', '3'],
            ['c', null],
            ['d', '3'],
          ],
          [['b', null]],
        ];
        for (const [i, block] of blocks.entries()) {
          const pending = store.computeRoot(block.map(([k, v]) => [k, v === null ? null : bytes(v)] as const));
          await store.commit(BigInt(i + 1), pending, pending.root);
        }
        const expected = [
          ['a=1', 'b=1', 'c=1', 'ca=1'],
          ['a=2', 'c=1'],
          ['a=2', 'b=3', 'd=3'],
          ['a=2', 'd=3'],
        ];
        for (const [i, want] of expected.entries()) {
          for (const limit of [1, 2, 1000]) assert.deepEqual(await all(store, BigInt(i + 1), limit), want, `version ${i + 1}, pages of ${limit}`);
        }
        // From a key that exists only as a deletion.
        assert.deepEqual(
          (await store.entries(1n, 'b', 1)).entries.map(([k]) => k),
          ['b'],
        );
        assert.equal((await store.entries(1n, 'b', 1)).next, 'c');
      } finally {
        await store.close();
      }
    });
  });

  it('answers from its snapshot while a commit changes and deletes the keys it reads', async () => {
    await withDir(async (dir) => {
      const many: Array<[string, string]> = [];
      for (let i = 0; i < 3000; i++) many.push([`k${String(i).padStart(4, '0')}`, String(i)]);
      await commitBlock(dir, 1n, many, { stateHistory: 0 });
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        const reading = store.entries(1n, '', 3000);
        // Runs while the page is read: every key rewritten or deleted at height 2.
        const pending = store.computeRoot(many.map(([k], i) => [k, i % 2 === 0 ? null : bytes('new')] as const));
        await store.commit(2n, pending, pending.root);
        const page = await reading;
        assert.deepEqual(
          page.entries.map(([k, v]) => `${k}=${text(v)}`),
          many.map(([k, v]) => `${k}=${v}`),
        );
        assert.equal(page.next, undefined);
        const now = await store.entries(2n, '', 3000);
        assert.equal(now.entries.length, 1500);
        assert.ok(now.entries.every(([, v]) => text(v) === 'new'));
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.prefetch: a failed read', () => {
  it('resolves when the read fails because the store was closed meanwhile, and rejects with the error otherwise', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', '1']]);
      const store = await CommittedStore.open(dir);
      let closing: Promise<void> | undefined;
      const restore = patchLevel('getMany', () => async () => {
        closing = store.close();
        throw new Error('read failed: the database closed');
      });
      try {
        await store.prefetch(['a', 'b']);
        await closing;
      } finally {
        restore();
      }
    });
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', '1']]);
      const store = await CommittedStore.open(dir);
      const restore = patchLevel('getMany', () => async () => {
        throw new Error('read failed: disk error');
      });
      try {
        await assert.rejects(store.prefetch(['a', 'b']), /read failed: disk error/);
      } finally {
        restore();
        await store.close();
      }
    });
  });
});

describe('CommittedStore.getAt: a damaged node on the path', () => {
  it('fails as StoreCorruptionError naming the node, for an internal node read in place and for a leaf', async () => {
    await withDir(async (dir) => {
      const keys = Array.from({ length: 40 }, (_, i): [string, string] => [`k${i}`, `v${i}`]);
      await commitBlock(dir, 1n, keys);
      await commitBlock(
        dir,
        2n,
        keys.map(([k]) => [k, 'changed']),
      );
      // Version 1's nodes are reached only by reads as of height 1 (height 2 rewrote every one of them).
      const nodes = new ClassicLevel<Buffer, Buffer>(nodesDir(dir), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      const v1 = Buffer.from([0x4e, 0, 0, 0, 0, 0, 0, 0, 1]);
      const records = await nodes.iterator({ gte: v1, lt: Buffer.from([0x4e, 0, 0, 0, 0, 0, 0, 0, 2]) }).all();
      const root = records.find(([key]) => key.length === 10)!;
      const leaf = records.find(([, record]) => record[0] === 0)!;
      await nodes.put(root[0], root[1].subarray(0, root[1].length - 1));
      await nodes.close();
      let store = await CommittedStore.open(dir);
      try {
        assert.equal(text(store.getAt('k1', 2n)), 'changed', 'the latest version reads as before');
        assert.throws(
          () => store.getAt('k1', 1n),
          (err: unknown) => err instanceof StoreCorruptionError && err.message === 'state store is corrupt: tree node (version 1, depth 0): truncated internal node',
        );
      } finally {
        await store.close();
      }
      // The root mended, a leaf of version 1 damaged: its decode says so.
      const again = new ClassicLevel<Buffer, Buffer>(nodesDir(dir), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await again.put(root[0], root[1]);
      await again.put(leaf[0], leaf[1].subarray(0, 10));
      await again.close();
      const leafKey = text(leaf[1].subarray(66, 66 + leaf[1][65]!))!;
      store = await CommittedStore.open(dir);
      try {
        assert.throws(
          () => store.getAt(leafKey, 1n),
          (err: unknown) => err instanceof StoreCorruptionError && /^state store is corrupt: tree node \(version 1, depth \d+\): /.test(err.message),
        );
        const [other, value] = keys.find(([k]) => k !== leafKey)!;
        assert.equal(text(store.getAt(other, 1n)), value, 'other keys of version 1 still read');
      } finally {
        await store.close();
      }
    });
  });
});
