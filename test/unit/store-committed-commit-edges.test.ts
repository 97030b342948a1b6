/**
 * Edges of CommittedStore.prefetch's tree-node read-ahead and of commit's
 * checks (committed-store.ts prefetchNodes / readPrefetched / commit).
 *
 * The prefetch contract (docs/STORE.md, prefetch doc comment): it reads, on
 * LevelDB's threads (`getMany`), the tree nodes computeRoot of changes to the
 * keys will walk and no cache holds, level by level, and then the leaves that
 * inserts will move down (a slot holding another key's leaf where every key
 * ending there is absent); a changed key's own leaf is never read. So after
 * `await prefetch(keys)`, computeRoot and commit of changes to those keys read
 * no node synchronously (`getSync`), and what prefetch read is exactly what
 * computeRoot reads without it. Deferred records are memory, not LevelDB. A
 * prefetch superseded by a newer one stops reading. It changes no result.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ClassicLevel } from 'classic-level';

import { CommittedStore, StoreCorruptionError, StoreUsageError, writeNodesThenRest } from '../../src/store/committed-store.js';
import type { Change } from '../../src/store/kv.js';
import { bytes, commitBlock, patchBatchPut, patchBatchWrite, patchLevel, withDir } from './fixtures/store-dirs.js';
import { referenceRoot } from './fixtures/store-reference.js';

const N = 'N'.charCodeAt(0); // tree node records (docs/STORE.md)

/** Records node keys ('N') read by getMany (with those that came back missing) and by getSync. */
function spyNodeReads(): { many: string[]; missing: string[]; sync: string[]; other: string[]; restore: () => void } {
  const many: string[] = [];
  const missing: string[] = [];
  const sync: string[] = [];
  const other: string[] = [];
  const restoreMany = patchLevel(
    'getMany',
    (original) =>
      async function (this: unknown, ...args: unknown[]) {
        const asked = args[0] as Array<Buffer | string>;
        const got = (await original.apply(this, args)) as Array<Uint8Array | undefined>;
        asked.forEach((k, i) => {
          const key = Buffer.isBuffer(k) ? k : Buffer.from(String(k), 'latin1');
          if (key[0] === N) {
            many.push(key.toString('latin1'));
            if (got[i] === undefined) missing.push(key.toString('latin1'));
          } else if (key[0] !== 's'.charCodeAt(0)) other.push(key.toString('latin1'));
        });
        return got;
      },
  );
  const restoreSync = patchLevel(
    'getSync',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const key = args[0] as Buffer;
        if (key[0] === N) sync.push(key.toString('latin1'));
        return original.apply(this, args);
      },
  );
  return {
    many,
    missing,
    sync,
    other,
    restore: () => {
      restoreMany();
      restoreSync();
    },
  };
}

const sorted = (xs: string[]): string[] => [...xs].sort();

/** Block 1: 600 keys; block 2: 150 of them updated and 50 inserted, so node versions mix. */
async function twoBlocks(dir: string): Promise<void> {
  await commitBlock(
    dir,
    1n,
    Array.from({ length: 600 }, (_, i): [string, string] => [`k/${i}`, `v1 ${i}`]),
  );
  await commitBlock(dir, 2n, [
    ...Array.from({ length: 150 }, (_, i): [string, string] => [`k/${i * 4}`, `v2 ${i * 4}`]),
    ...Array.from({ length: 50 }, (_, i): [string, string] => [`j/${i}`, `v2 j ${i}`]),
  ]);
}

/** Block 3's changes: updates and deletes of keys of both versions, and inserts of new keys. */
function block3(deletes = true): Array<[string, Change]> {
  const changes: Array<[string, Change]> = [];
  for (let i = 0; i < 80; i++) changes.push([`k/${i * 7}`, bytes(`v3 ${i * 7}`)]);
  if (deletes) for (let i = 0; i < 40; i++) changes.push([`k/${i * 7 + 3}`, null]);
  for (let i = 0; i < 10; i++) changes.push([`j/${i * 5}`, bytes(`v3 j ${i}`)]);
  for (let i = 0; i < 150; i++) changes.push([`new/${i}`, bytes(`v3 new ${i}`)]);
  return changes;
}

describe('CommittedStore.prefetch: the tree nodes read ahead', () => {
  for (const deletes of [false, true]) {
    it(`reads exactly the nodes computeRoot reads without it, each once, and computeRoot and commit then read none synchronously${deletes ? ' (the leaves deletes move up: read by commit, all at once)' : ''}`, async () => {
      await withDir(async (dir) => {
        await twoBlocks(dir);
        const changes = block3(deletes);
        // Without prefetch: the nodes computeRoot reads synchronously on a fresh store.
        let expected: string[];
        let rootWithout: Uint8Array;
        {
          const store = await CommittedStore.open(dir);
          const spy = spyNodeReads();
          try {
            rootWithout = store.computeRoot(changes).root;
          } finally {
            spy.restore();
            await store.close();
          }
          expected = [...new Set(spy.sync)];
          assert.ok(expected.length > 100, `computeRoot without prefetch reads many nodes (got ${expected.length})`);
        }
        const store = await CommittedStore.open(dir);
        const spy = spyNodeReads();
        try {
          await store.prefetch(changes.map(([k]) => k));
          assert.deepEqual(sorted(spy.many), sorted(expected), 'prefetch reads the nodes computeRoot would read, no others');
          assert.equal(new Set(spy.many).size, spy.many.length, 'no node is read twice');
          assert.deepEqual(spy.missing, [], 'every node read ahead exists');
          assert.deepEqual(spy.other, [], 'only values and nodes are read');
          const readAhead = spy.many.length;
          const pending = store.computeRoot(changes);
          assert.deepEqual(Buffer.from(pending.root), Buffer.from(rootWithout), 'prefetch changes no root');
          const moved = pending.tree.moved.map((m) => m.from);
          if (deletes) assert.ok(moved.length >= 5, `the deletes move leaves up (${moved.length})`);
          else assert.deepEqual(moved, [], 'without deletes no leaf moves up');
          await store.commit(3n, pending, pending.root);
          assert.deepEqual(spy.sync, [], 'computeRoot and commit read no node synchronously after prefetch');
          assert.deepEqual(sorted(spy.many.slice(readAhead)), sorted(moved), 'commit reads the moving leaves, each once, and nothing else');
          assert.deepEqual(spy.missing, [], 'every moving leaf exists');
        } finally {
          spy.restore();
        }
        try {
          await store.pruned();
          await store.verify();
        } finally {
          await store.close();
        }
      });
    });
  }

  it('reads nodes that deferred commits hold from memory, not LevelDB, and still reads every node below them ahead', async () => {
    // No cache: the deferred commit's nodes are found only among the deferred records.
    for (const cacheBytes of [0, undefined]) {
      await withDir(async (dir) => {
        await twoBlocks(dir);
        const store = await CommittedStore.open(dir, { cacheBytes });
        try {
          store.deferWrites();
          const b3 = store.computeRoot(block3());
          await store.commit(3n, b3, b3.root);
          // Updates only (values are not cached with cacheBytes 0), plus inserts next to block 3's leaves with the cache.
          const changes: Array<[string, Change]> = [];
          for (let i = 0; i < 120; i++) changes.push([`k/${i * 5 + 1}`, bytes(`v4 ${i}`)]);
          for (let i = 0; i < 40; i++) changes.push([`new/${i * 3}`, bytes(`v4 new ${i}`)]);
          if (cacheBytes === undefined) for (let i = 0; i < 150; i++) changes.push([`newer/${i}`, bytes(`v4 newer ${i}`)]);
          // Deletes next to block 3's leaves: those move up, and their records are only in memory.
          for (let i = 0; i < 50; i++) changes.push([`new/${i * 3 + 2}`, null]);
          const spy = spyNodeReads();
          try {
            await store.prefetch(changes.map(([k]) => k));
            assert.ok(spy.many.length > 0, `nodes are read ahead (cacheBytes ${cacheBytes})`);
            assert.deepEqual(spy.missing, [], `no deferred node is asked of LevelDB (cacheBytes ${cacheBytes})`);
            const pending = store.computeRoot(changes);
            const movedFromBlock3 = pending.tree.moved.filter((m) => Buffer.from(m.from, 'latin1').readBigUInt64BE(1) === 3n);
            assert.ok(movedFromBlock3.length > 0, `a leaf block 3 wrote moves up (cacheBytes ${cacheBytes})`);
            await store.commit(4n, pending, pending.root);
            assert.deepEqual(spy.sync, [], `computeRoot and commit read no node synchronously (cacheBytes ${cacheBytes})`);
            assert.deepEqual(spy.missing, [], `no deferred node is asked of LevelDB, moving leaves included (cacheBytes ${cacheBytes})`);
            assert.equal(store.get(`new/${2}`), undefined);
            await store.flush();
            await store.verify();
          } finally {
            spy.restore();
          }
        } finally {
          await store.close();
        }
      });
    }
  });

  it('reads no node for no keys', async () => {
    await withDir(async (dir) => {
      await twoBlocks(dir);
      const store = await CommittedStore.open(dir, { cacheBytes: 0 });
      const spy = spyNodeReads();
      try {
        await store.prefetch([]);
        assert.deepEqual(spy.many, [], 'nothing to walk');
      } finally {
        spy.restore();
        await store.close();
      }
    });
  });

  it('a node that could not be read ahead is read by computeRoot', async () => {
    await withDir(async (dir) => {
      await twoBlocks(dir);
      const changes = block3();
      let rootWithout: Uint8Array;
      {
        const store = await CommittedStore.open(dir);
        rootWithout = store.computeRoot(changes).root;
        await store.close();
      }
      const store = await CommittedStore.open(dir);
      // As if every node had been pruned meanwhile: getMany finds none.
      const restore = patchLevel(
        'getMany',
        (original) =>
          async function (this: unknown, ...args: unknown[]) {
            const asked = args[0] as Buffer[];
            const got = (await original.apply(this, args)) as Array<Uint8Array | undefined>;
            return got.map((v, i) => (asked[i]![0] === N ? undefined : v));
          },
      );
      try {
        await store.prefetch(changes.map(([k]) => k));
      } finally {
        restore();
      }
      try {
        const pending = store.computeRoot(changes);
        assert.deepEqual(Buffer.from(pending.root), Buffer.from(rootWithout), 'the same root');
      } finally {
        await store.close();
      }
    });
  });

  it('a prefetch superseded by a newer one stops reading nodes', async () => {
    await withDir(async (dir) => {
      await twoBlocks(dir);
      const key = 'k/1';
      // A single key: one node per level; superseded at once, it reads only its first level.
      const store = await CommittedStore.open(dir, { cacheBytes: 0 });
      const spy = spyNodeReads();
      try {
        const first = store.prefetch([key]);
        const second = store.prefetch([]);
        await Promise.all([first, second]);
        assert.equal(spy.many.length, 1, `only the first level's node is read (got ${spy.many.length})`);
        // Not superseded: it reads one node per level down to the key's leaf (more than one level).
        spy.many.length = 0;
        await store.prefetch([key]);
        assert.ok(spy.many.length > 1, `an unsuperseded prefetch reads every level (got ${spy.many.length})`);
      } finally {
        spy.restore();
        await store.close();
      }
    });
  });

  it('reads the leaves inserts move down, not nodes cached, and none once superseded while the values are read', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      try {
        // Committed by this store: every internal node is cached (leaves are not).
        const first = store.computeRoot(Array.from({ length: 300 }, (_, i): [string, Change] => [`a/${i}`, bytes(`${i}`)]));
        await store.commit(1n, first, first.root);
        const inserts = Array.from({ length: 40 }, (_, i): [string, Change] => [`b/${i}`, bytes(`b ${i}`)]);
        const spy = spyNodeReads();
        try {
          // Superseded while waiting for the values: the leaves are not read.
          const p1 = store.prefetch(inserts.map(([k]) => k));
          const p2 = store.prefetch([]);
          await Promise.all([p1, p2]);
          assert.deepEqual(spy.many, [], 'a superseded prefetch reads no leaf');
          // Without prefetch computeRoot reads the leaves to move (uncached).
          store.computeRoot(inserts);
          const expected = [...new Set(spy.sync)];
          assert.ok(expected.length > 0, 'some insert moves a leaf down');
          spy.sync.length = 0;
          await store.prefetch(inserts.map(([k]) => k));
          assert.deepEqual(sorted(spy.many), sorted(expected), 'exactly those leaves are read ahead, no cached node');
          store.computeRoot(inserts);
          assert.deepEqual(spy.sync, [], 'computeRoot reads nothing synchronously');
        } finally {
          spy.restore();
        }
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.commit: checks', () => {
  it('refuses a height that is not a bigint, or above 2^53 - 1, and accepts 2^53 - 1', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      try {
        const pending = store.computeRoot([['a', bytes('1')]]);
        await assert.rejects(store.commit(1 as unknown as bigint, pending, pending.root), StoreUsageError);
        await assert.rejects(store.commit(2n ** 53n, pending, pending.root), StoreUsageError);
        assert.equal(store.height, 0n);
        const max = BigInt(Number.MAX_SAFE_INTEGER);
        await store.commit(max, pending, pending.root);
        assert.equal(store.height, max);
      } finally {
        await store.close();
      }
    });
  });

  it('names both hashes and the height when the app hash does not match', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      try {
        const pending = store.computeRoot([['a', bytes('1')]]);
        const wrong = new Uint8Array(32).fill(0xab);
        const root = Buffer.from(pending.root).toString('hex');
        await assert.rejects(store.commit(1n, pending, wrong), (err: Error) => {
          assert.ok(err instanceof StoreUsageError, 'StoreUsageError');
          assert.equal(err.message, `app hash ${'ab'.repeat(32)} given for height 1 does not match the computed root ${root}`);
          return true;
        });
      } finally {
        await store.close();
      }
    });
  });

  it('reads the leaves a block moves up while it writes the nodes, and writes them in a synced batch of their own before the commit record', async () => {
    await withDir(async (dir) => {
      await twoBlocks(dir);
      const store = await CommittedStore.open(dir);
      try {
        const pending = store.computeRoot(block3());
        const moved = new Set(pending.tree.moved.map((m) => m.key));
        assert.ok(moved.size > 0, 'block 3 moves leaves up');
        const events: string[] = [];
        const staged = new Map<unknown, string[]>();
        const restoreRead = patchLevel(
          'getMany',
          (original) =>
            function (this: unknown, ...args: unknown[]) {
              events.push('read');
              return original.apply(this, args);
            },
        );
        const restorePut = patchBatchPut(
          (original) =>
            function (this: unknown, key, value, options) {
              staged.set(this, [...(staged.get(this) ?? []), Buffer.from(key).toString('latin1')]);
              return original.call(this, key, value, options);
            },
        );
        const restoreWrite = patchBatchWrite(
          (original) =>
            function (this: unknown, options) {
              const keys = staged.get(this) ?? [];
              staged.delete(this);
              const movedKeys = keys.filter((k) => moved.has(k)).length;
              events.push(movedKeys === 0 ? 'other' : movedKeys === keys.length ? `moved leaves, sync ${options.sync}` : 'moved leaves with others');
              return original.call(this, options);
            },
        );
        try {
          await store.commit(3n, pending, pending.root);
        } finally {
          restoreRead();
          restorePut();
          restoreWrite();
        }
        // The leaves' reads (in parallel parts) begin first; then the nodes' batch, the moved leaves' (synced), the commit record's.
        assert.deepEqual(
          events.filter((e, i) => e !== events[i - 1]),
          ['read', 'other', 'moved leaves, sync true', 'other'],
        );
        assert.equal(store.height, 3n);
        await store.verify();
      } finally {
        await store.close();
      }
    });
  });

  for (const damage of ['missing', 'an internal node'] as const) {
    it(`refuses, committing nothing, when a leaf it moves up is ${damage} (StoreCorruptionError naming its version and depth), and commits once it reads right`, async () => {
      await withDir(async (dir) => {
        await twoBlocks(dir);
        const store = await CommittedStore.open(dir);
        try {
          const [first] = store.computeRoot(block3()).tree.moved;
          assert.ok(first !== undefined, 'block 3 moves a leaf up');
          const from = Buffer.from(first.from, 'latin1');
          // Damaged from computeRoot on: it reads the leaves it moves as it walks, and the commit reads again what did not read right.
          const restore = patchLevel(
            'getMany',
            (original) =>
              async function (this: unknown, ...args: unknown[]) {
                const got = (await original.apply(this, args)) as Array<Uint8Array | undefined>;
                return (args[0] as Buffer[]).map((k, i) => (k.equals(from) ? (damage === 'missing' ? undefined : Uint8Array.of(1, 0, 0, 0, 0)) : got[i]));
              },
          );
          let pending: ReturnType<CommittedStore['computeRoot']>;
          try {
            pending = store.computeRoot(block3());
            await assert.rejects(store.commit(3n, pending, pending.root), (err: Error) => {
              assert.ok(err instanceof StoreCorruptionError, `StoreCorruptionError, got ${String(err)}`);
              assert.match(err.message, new RegExp(`moves \\(version ${from.readBigUInt64BE(1)}, depth ${from[9]}\\): ${damage === 'missing' ? 'missing' : 'not a leaf'}$`));
              return true;
            });
          } finally {
            restore();
          }
          assert.equal(store.height, 2n, 'nothing committed');
          await store.commit(3n, pending, pending.root);
          assert.equal(store.height, 3n);
          await store.verify();
        } finally {
          await store.close();
        }
      });
    });
  }

  for (const failing of ['the nodes', 'the other records'] as const) {
    it(`a commit whose write of ${failing} fails changes nothing, and another block committed at its height instead is read, proven and built on right`, async () => {
      const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
      const blockOf = (from: number, to: number, tag: string): Array<[string, Change]> => {
        const changes: Array<[string, Change]> = [];
        for (let i = from; i < to; i++) changes.push([`k${i}`, i % 7 === 0 ? null : bytes(`${tag}${i}`)]);
        return changes;
      };
      const applied = (state: Map<string, Uint8Array>, changes: Array<[string, Change]>): Map<string, Uint8Array> => {
        const next = new Map(state);
        for (const [k, v] of changes) v === null ? next.delete(k) : next.set(k, v);
        return next;
      };
      await withDir(async (dir) => {
        let store = await CommittedStore.open(dir);
        try {
          const first = blockOf(0, 600, 'one');
          const state1 = applied(new Map(), first);
          await store.commit(1n, store.computeRoot(first), referenceRoot(state1));

          // Block A rewrites nodes on many paths; LevelDB refuses its write.
          const blockA = blockOf(0, 600, 'A');
          const pendingA = store.computeRoot(blockA);
          let writes = 0;
          const restore = patchBatchWrite(
            (original) =>
              async function (this: unknown, options) {
                writes++; // the nodes' batch is written first
                if (writes === (failing === 'the nodes' ? 1 : 2)) throw new Error('injected write failure');
                return original.call(this, options);
              },
          );
          try {
            await assert.rejects(store.commit(2n, pendingA, pendingA.root), /injected write failure/);
          } finally {
            restore();
          }
          assert.equal(store.height, 1n);
          assert.equal(hex(store.appHash), hex(referenceRoot(state1)));
          assert.deepEqual(store.get('k1'), bytes('one1'));

          // Block B at the same height touches other paths, and some of A's.
          const blockB = blockOf(300, 900, 'B');
          const state2 = applied(state1, blockB);
          const pendingB = store.computeRoot(blockB);
          assert.equal(hex(pendingB.root), hex(referenceRoot(state2)));
          await store.commit(2n, pendingB, pendingB.root);
          const blockC = blockOf(0, 450, 'C');
          const state3 = applied(state2, blockC);
          const pendingC = store.computeRoot(blockC);
          assert.equal(hex(pendingC.root), hex(referenceRoot(state3)), "the block after walks block B's nodes, not A's");
          await store.commit(3n, pendingC, pendingC.root);

          await store.close();
          store = await CommittedStore.open(dir);
          await store.verify();
          for (const [version, state] of [
            [2n, state2],
            [3n, state3],
          ] as const) {
            const root = referenceRoot(state);
            assert.equal(hex(store.appHashAt(version)), hex(root));
            for (const key of ['k1', 'k7', 'k299', 'k300', 'k599', 'k899', 'k900']) {
              assert.deepEqual(store.getAt(key, version), state.get(key), `${key} at ${version}`);
              assert.ok(CommittedStore.verifyProof(root, key, state.get(key), store.prove(key, version)), `proof of ${key} at ${version}`);
            }
          }
        } finally {
          await store.close();
        }
      });
    });
  }

  it('refuses an extra key that is not a string with StoreUsageError naming it', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      try {
        const pending = store.computeRoot([['a', bytes('1')]]);
        const extra = [[7 as unknown as string, bytes('x')] as const];
        await assert.rejects(store.commit(1n, pending, pending.root, extra), (err: Error) => {
          assert.ok(err instanceof StoreUsageError, `StoreUsageError, got ${err}`);
          assert.match(err.message, /^invalid extra key 7: /);
          return true;
        });
        assert.equal(store.height, 0n);
      } finally {
        await store.close();
      }
    });
  });
});

describe('writeNodesThenRest', () => {
  async function openRaw(dir: string): Promise<ClassicLevel<Buffer, Uint8Array>> {
    const db = new ClassicLevel<Buffer, Uint8Array>(dir, { keyEncoding: 'buffer', valueEncoding: 'view' });
    await db.open();
    return db;
  }

  it('writes every node batch, then the rest; after a failed node batch the others are written, and the rest is closed unwritten', async () => {
    await withDir(async (dir) => {
      const db = await openRaw(dir);
      try {
        const first = db.batch().put(Buffer.from('N1'), Buffer.from('a'));
        const second = db.batch().put(Buffer.from('N2'), Buffer.from('b'));
        const phases = await writeNodesThenRest([first, second], db.batch().put(Buffer.from('m'), Buffer.from('c')), false);
        assert.deepEqual(Object.keys(phases).sort(), ['nodesStaged', 'nodesWait', 'restStaged', 'restWritten']);
        for (const ms of Object.values(phases)) assert.ok(Number.isFinite(ms) && ms >= 0, `each part's time is a duration (${ms})`);
        assert.deepEqual(
          (await db.getMany([Buffer.from('N1'), Buffer.from('N2'), Buffer.from('m')])).map((v) => Buffer.from(v!).toString()),
          ['a', 'b', 'c'],
        );

        const written = db.batch().put(Buffer.from('N3'), Buffer.from('d'));
        const failing = db.batch().put(Buffer.from('N4'), Buffer.from('e'));
        await failing.close(); // its write is refused
        const rest = db.batch().put(Buffer.from('m2'), Buffer.from('f'));
        await assert.rejects(writeNodesThenRest([failing, written], rest, false));
        assert.equal(await db.get(Buffer.from('m2')), undefined, 'no rest after a failed node batch');
        assert.equal(Buffer.from((await db.get(Buffer.from('N3')))!).toString(), 'd', 'the other node batch is written');
        assert.throws(() => rest.put(Buffer.from('m3'), Buffer.from('g')), /not open/i, 'the rest batch is closed, not left open');
      } finally {
        await db.close();
      }
    });
  });
});
