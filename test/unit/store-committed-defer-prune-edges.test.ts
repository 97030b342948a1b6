/**
 * Edges of CommittedStore's commit aftermath, deferred writes, extra reads,
 * verify, historical roots and background pruning (docs/STORE.md "Deferred
 * writes", "Checks", "Historical reads", "Pruning"): what commit leaves in
 * the node cache (new internal nodes, not new leaves: observed by counting
 * LevelDB reads), the usage errors while writes are deferred, the
 * VersionUnavailableError messages, and pruning's marks, slices of 5,000
 * records, stop on close and failure logging.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClassicLevel } from 'classic-level';

import { CommittedStore, encodeMeta, META_KEY, nodesDir, StoreCorruptionError, StoreUsageError, VersionUnavailableError } from '../../src/store/committed-store.js';
import { INTERNAL_RECORD } from '../../src/store/tree.js';
import { bytes, commitBlock, patchLevel, text, withDir } from './fixtures/store-dirs.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** u64 big-endian (docs/STORE.md key layout). */
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

async function withRawDb(dir: string, fn: (db: ClassicLevel<Buffer, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new ClassicLevel<Buffer, Uint8Array>(dir, { keyEncoding: 'buffer', valueEncoding: 'view' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

/** Records the tree-node records ('N' keys) read by getSync, as latin1 strings. */
function spyNodeReads(): { reads: string[]; restore: () => void } {
  const reads: string[] = [];
  const restore = patchLevel(
    'getSync',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const value = original.apply(this, args) as Uint8Array | undefined;
        const key = args[0] as Buffer;
        if (key[0] === 0x4e && value !== undefined) reads.push(Buffer.from(value).toString('latin1'));
        return value;
      },
  );
  return { reads, restore };
}

const internal = (records: string[]): number => records.filter((r) => r.charCodeAt(0) === INTERNAL_RECORD).length;
const leaves = (records: string[]): number => records.filter((r) => r.charCodeAt(0) !== INTERNAL_RECORD).length;

async function commitOne(store: CommittedStore, height: bigint, entries: Array<[string, string | null]>): Promise<void> {
  const pending = store.computeRoot(entries.map(([k, v]) => [k, v === null ? null : bytes(v)] as const));
  await store.commit(height, pending, pending.root);
}

const fortyKeys = (): Array<[string, string]> => Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`] as [string, string]);

describe('CommittedStore.commit: the node cache after a commit', () => {
  it('keeps the new internal nodes: the next computeRoot reads no internal node from LevelDB', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        await commitOne(store, 1n, fortyKeys());
        const spy = spyNodeReads();
        try {
          store.computeRoot([['k0', bytes('changed')]]);
        } finally {
          spy.restore();
        }
        assert.equal(internal(spy.reads), 0, 'the internal nodes written by commit 1 come from the node cache');
      } finally {
        await store.close();
      }
    });
  });

  it('does not keep the new leaves: a proof reads its leaf from LevelDB, its internal nodes from the cache', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        await commitOne(store, 1n, fortyKeys());
        const spy = spyNodeReads();
        try {
          const proof = store.prove('k7');
          assert.equal(CommittedStore.verifyProof(store.appHash, 'k7', bytes('v7'), proof), true);
        } finally {
          spy.restore();
        }
        assert.equal(internal(spy.reads), 0, 'internal nodes are cached');
        assert.equal(leaves(spy.reads), 1, 'the leaf of k7 is read from LevelDB once');
      } finally {
        await store.close();
      }
    });
  });

  it('does not keep a node read only to be replaced: a second computeRoot of the same changes reads it again', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, fortyKeys(), { stateHistory: 0 });
      // Reopened: only the root is cached (open checks it); every node below is read from LevelDB.
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        const changes = fortyKeys().map(([k]) => [k, bytes('changed')] as const);
        const counts: number[] = [];
        for (let round = 0; round < 2; round++) {
          const spy = spyNodeReads();
          try {
            store.computeRoot(changes);
          } finally {
            spy.restore();
          }
          counts.push(internal(spy.reads));
        }
        // 40 keys in 16 slots: some slot holds two or more, so an internal node at depth 1 is replaced.
        assert.ok(counts[0]! >= 1, `the first computeRoot reads the internal nodes it replaces (${counts[0]})`);
        assert.equal(counts[1], counts[0], 'the second reads them again: they were not cached');
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.prefetch: the nodes read ahead', () => {
  it('a computeRoot after prefetch of its keys reads no internal node synchronously', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, fortyKeys(), { stateHistory: 0 });
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        const changes = fortyKeys().map(([k]) => [k, bytes('changed')] as const);
        await store.prefetch(changes.map(([k]) => k));
        const spy = spyNodeReads();
        try {
          store.computeRoot(changes);
        } finally {
          spy.restore();
        }
        // Without the read-ahead the same computeRoot reads internal nodes (the test above): here they come from prefetch.
        assert.equal(internal(spy.reads), 0, `internal nodes read synchronously: ${internal(spy.reads)}`);
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.commit: the debug log', () => {
  it("logs 'state committed' with the height, app hash, change and node counts and a duration", async () => {
    await withDir(async (dir) => {
      const debug: Array<[string, Record<string, unknown>]> = [];
      const logger = { info: () => {}, warn: () => {}, error: () => {}, debug: (msg: string, f: Record<string, unknown>) => debug.push([msg, f]) };
      const store = await CommittedStore.open(dir, { logger: logger as never });
      try {
        const pending = store.computeRoot([
          ['a', bytes('1')],
          ['b', bytes('2')],
        ]);
        const before = performance.now();
        await store.commit(7n, pending, pending.root);
        const elapsed = performance.now() - before;
        assert.equal(debug.length, 1, 'one debug line per commit');
        const [msg, fields] = debug[0]!;
        assert.equal(msg, 'state committed');
        assert.equal(fields.height, '7');
        assert.equal(fields.appHash, hex(pending.root));
        assert.equal(fields.changes, 2);
        // Two keys: a root and two leaves (internal root over two leaves), all new.
        assert.equal(typeof fields.nodes, 'number');
        assert.ok((fields.nodes as number) >= 3, `at least the root and two leaves are written (${String(fields.nodes)})`);
        assert.equal(typeof fields.ms, 'number');
        assert.ok((fields.ms as number) >= 0 && (fields.ms as number) <= Math.ceil(elapsed), `ms ${String(fields.ms)} within the commit's ${elapsed} ms`);
        // The commit's parts, also kept for the bench (lastCommitPhases): each within the commit, together too.
        const phases = store.lastCommitPhases!;
        const parts = [phases.nodesStaged, phases.restStaged, phases.movedLeavesRead, phases.nodesWait, phases.restWritten];
        for (const part of parts) assert.ok(part >= 0 && part <= elapsed, `a part of ${part} ms within the commit's ${elapsed} ms`);
        assert.ok(parts.reduce((a, b) => a + b) <= elapsed, `the parts (${parts.join(', ')} ms) add up to no more than the commit's ${elapsed} ms`);
        const logged = ['nodesStagedMs', 'restStagedMs', 'movedLeavesReadMs', 'nodesWaitMs', 'restWrittenMs'].map((f) => fields[f]);
        assert.deepEqual(logged, parts.map(Math.round), 'the log line gives the same parts in whole ms');
      } finally {
        await store.close();
      }
    });
  });

  it('has no commit parts before the first commit, nor for a deferred commit, which writes nothing', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      try {
        assert.equal(store.lastCommitPhases, undefined);
        await commitOne(store, 1n, [['a', '1']]);
        assert.notEqual(store.lastCommitPhases, undefined, 'a written commit has its parts');
        store.deferWrites();
        await commitOne(store, 2n, [['b', '2']]);
        assert.equal(store.lastCommitPhases, undefined, 'a deferred commit has none');
        await store.flush();
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore.flush and close', () => {
  it('flush without deferWrites does nothing, even on a closed store', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      await store.close();
      await store.flush();
    });
  });

  it('flush writes its batch with sync when the store was opened with sync', async () => {
    await withDir(async (dir) => {
      const writes: unknown[] = [];
      const store = await CommittedStore.open(dir, { sync: true, stateHistory: 0 });
      try {
        store.deferWrites();
        await commitOne(store, 1n, [['a', '1']]);
        const restore = patchLevel(
          'batch',
          (original) =>
            function (this: unknown, ...args: unknown[]) {
              const batch = original.apply(this, args) as { write: (...a: unknown[]) => Promise<void> };
              const write = batch.write.bind(batch);
              batch.write = (...a: unknown[]) => {
                writes.push(a[0]);
                return write(...a);
              };
              return batch;
            },
        );
        try {
          await store.flush();
        } finally {
          restore();
        }
        assert.deepEqual(writes, [{ sync: true }, { sync: true }], 'the nodes, then the rest');
      } finally {
        await store.close();
      }
      const reopened = await CommittedStore.open(dir);
      try {
        assert.equal(text(reopened.get('a')), '1');
      } finally {
        await reopened.close();
      }
    });
  });

  it('a second close does not close LevelDB again', async () => {
    await withDir(async (dir) => {
      let closes = 0;
      const store = await CommittedStore.open(dir);
      const restore = patchLevel(
        'close',
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            closes++;
            return original.apply(this, args);
          },
      );
      try {
        await store.close();
        await store.close();
      } finally {
        restore();
      }
      assert.equal(closes, 2, 'each of the two databases once');
    });
  });
});

describe('CommittedStore: direct LevelDB reads refused while writes are deferred', () => {
  for (const [name, call] of [
    ['getExtra', (s: CommittedStore) => s.getExtra('k')],
    ['scanExtra', (s: CommittedStore) => s.scanExtra('k')],
    ['verify', (s: CommittedStore) => s.verify()],
  ] as const) {
    it(`${name} is refused, naming ${name}`, async () => {
      await withDir(async (dir) => {
        const store = await CommittedStore.open(dir);
        try {
          store.deferWrites();
          await assert.rejects(call(store), (err: unknown) => {
            assert.ok(err instanceof StoreUsageError, `expected StoreUsageError, got ${String(err)}`);
            assert.equal(err.message, `${name} reads LevelDB directly: flush() the deferred commits first`);
            return true;
          });
          await store.flush();
        } finally {
          await store.close();
        }
      });
    });
  }
});

describe('CommittedStore.verify: the key count', () => {
  it('a commit record whose key count differs from the stored values fails verify, naming both counts and hashes', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [
        ['a', '1'],
        ['b', '2'],
      ]);
      let appHash: Uint8Array = new Uint8Array();
      const first = await CommittedStore.open(dir);
      try {
        appHash = first.appHash;
        await first.verify();
      } finally {
        await first.close();
      }
      // Same height and app hash (open's root check passes), 3 keys recorded instead of 2.
      await withRawDb(dir, (db) => db.put(META_KEY, encodeMeta(1, appHash, 3)));
      const store = await CommittedStore.open(dir);
      try {
        assert.equal(store.size, 3);
        await assert.rejects(store.verify(), (err: unknown) => {
          assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
          assert.equal(
            err.message,
            `state store is corrupt: at height 1 the recorded app hash is ${hex(appHash)} (3 keys) ` +
              `but the 2 stored values hash to ${hex(appHash)}; restore the data directory from a backup or resync`,
          );
          return true;
        });
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore: a malformed tree node below the root', () => {
  it('a proof through a truncated leaf throws StoreCorruptionError naming the node version and depth', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [
        ['a', '1'],
        ['b', '2'],
      ]);
      // Two keys: an internal root and two leaves at the same depth (their shortest distinct prefix).
      const depths = new Set<number>();
      await withRawDb(nodesDir(dir), async (db) => {
        for (const [k, v] of await db.iterator({ gte: Buffer.from('N'), lt: Buffer.from('O') }).all()) {
          if (v[0] === INTERNAL_RECORD) continue;
          depths.add(k[9]!);
          await db.put(k, Uint8Array.from([0])); // a leaf tag and nothing else
        }
      });
      assert.equal(depths.size, 1, 'both leaves sit at one depth');
      const [depth] = [...depths];
      const store = await CommittedStore.open(dir);
      try {
        assert.throws(
          () => store.prove('a'),
          (err: unknown) => {
            assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
            assert.match(err.message, new RegExp(`^state store is corrupt: tree node \\(version 1, depth ${depth}\\): .+`));
            return true;
          },
        );
      } finally {
        await store.close();
      }
    });
  });

  for (const damage of ['truncated', 'a leaf record'] as const) {
    it(`computeRoot through an internal node that is ${damage} throws StoreCorruptionError naming its version and depth, and commits nothing`, async () => {
      await withDir(async (dir) => {
        const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
        await commitBlock(
          dir,
          1n,
          keys.map((k) => [k, 'v']),
        );
        // Every depth-1 internal node is damaged: an update of every key meets one.
        let damaged = 0;
        await withRawDb(nodesDir(dir), async (db) => {
          for (const [k, v] of await db.iterator({ gte: Buffer.from('N'), lt: Buffer.from('O') }).all()) {
            if (k[9] !== 1 || v[0] !== INTERNAL_RECORD) continue;
            await db.put(k, damage === 'truncated' ? v.subarray(0, v.length - 1) : Uint8Array.from([0]));
            damaged++;
          }
        });
        assert.ok(damaged > 0, 'the tree has internal nodes at depth 1');
        const store = await CommittedStore.open(dir);
        try {
          assert.throws(
            () => store.computeRoot(keys.map((k) => [k, bytes('w')])),
            (err: unknown) => {
              assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
              assert.match(err.message, /^state store is corrupt: tree node \(version 1, depth 1\): .+/);
              return true;
            },
          );
          assert.equal(store.height, 1n, 'nothing committed');
          assert.equal(text(store.get('k0')), 'v');
        } finally {
          await store.close();
        }
      });
    });
  }
});

function assertUnavailable(fn: () => unknown, message: string, pruned: boolean): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof VersionUnavailableError, `expected VersionUnavailableError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.pruned, pruned);
    return true;
  });
}

describe('CommittedStore: historical versions that are not available', () => {
  it('above the latest height, negative, not a bigint, or never committed: not pruned, and the message says which', async () => {
    await withDir(async (dir) => {
      // The first commit at height 5 (a chain's initial height): heights 1-4 were never committed.
      await commitBlock(dir, 5n, [['a', '1']]);
      const store = await CommittedStore.open(dir);
      try {
        assert.equal(text(store.at(5n).get('a')), '1');
        assertUnavailable(() => store.at(6n), 'no state at height 6: the latest committed height is 5', false);
        assertUnavailable(() => store.getAt('a', -1n), 'no state at height -1: the latest committed height is 5', false);
        assertUnavailable(() => store.getAt('a', 5 as unknown as bigint), 'no state at height 5: the latest committed height is 5', false);
        assertUnavailable(() => store.at(3n), 'no state at height 3: nothing was committed at that height', false);
      } finally {
        await store.close();
      }
    });
  });

  it('a pruned height names the history and the oldest available height', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 2 });
      try {
        for (let h = 1; h <= 5; h++) await commitOne(store, BigInt(h), [['a', `v${h}`]]);
        await store.pruned();
        // Height 5, 2 kept: versions <= 3 pruned.
        assert.equal(store.oldestVersion, 4n);
        assertUnavailable(() => store.at(3n), 'the state at height 3 was pruned: this node keeps the last 2 heights (oldest available: 4; --state-history)', true);
        assert.equal(text(store.getAt('a', 4n)), 'v4');
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore: past roots and nodes once read', () => {
  it('are not answered once their height is pruned', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 2 });
      try {
        for (let h = 1; h <= 3; h++) await commitOne(store, BigInt(h), [['a', `v${h}`]]);
        assert.equal(text(store.getAt('a', 2n)), 'v2', 'read (and cached) while retained');
        await commitOne(store, 4n, [['a', 'v4']]);
        await store.pruned();
        assertUnavailable(() => store.getAt('a', 2n), 'the state at height 2 was pruned: this node keeps the last 2 heights (oldest available: 3; --state-history)', true);
        assertUnavailable(() => store.prove('a', 2n), 'the state at height 2 was pruned: this node keeps the last 2 heights (oldest available: 3; --state-history)', true);
        assert.equal(text(store.getAt('a', 3n)), 'v3');
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore pruning: marks', () => {
  for (const idle of [true, false]) {
    it(`waits for flush while writes are deferred: deferred versions stay readable until then (${idle ? 'pruner idle' : 'the run begun at open still going'} at deferWrites)`, async () => {
      await withDir(async (dir) => {
        const store = await CommittedStore.open(dir, { stateHistory: 1 });
        try {
          if (idle) await store.pruned();
          store.deferWrites();
          for (let h = 1; h <= 3; h++) await commitOne(store, BigInt(h), [['a', `v${h}`]]);
          await store.pruned();
          assert.equal(store.oldestVersion, 1n);
          assert.equal(text(store.getAt('a', 1n)), 'v1');
          await store.flush();
          await store.pruned();
          assert.equal(store.oldestVersion, 3n);
        } finally {
          await store.close();
        }
      });
    });
  }

  it('records m:pruned as a u64 (a target of 128 survives a reopen)', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 72 });
      try {
        store.deferWrites();
        for (let h = 1; h <= 200; h++) await commitOne(store, BigInt(h), [['a', `v${h}`]]);
        await store.flush();
        await store.pruned();
        assert.equal(store.oldestVersion, 129n);
      } finally {
        await store.close();
      }
      await withRawDb(dir, async (db) => {
        const mark = await db.get(Buffer.from('m:pruned', 'latin1'));
        assert.equal(mark === undefined ? undefined : hex(mark), hex(u64(128)));
      });
      const reopened = await CommittedStore.open(dir, { stateHistory: 72 });
      try {
        assert.equal(reopened.oldestVersion, 129n);
        assertUnavailable(() => reopened.at(128n), 'the state at height 128 was pruned: this node keeps the last 72 heights (oldest available: 129; --state-history)', true);
        assert.equal(text(reopened.getAt('a', 129n)), 'v129');
      } finally {
        await reopened.close();
      }
    });
  });

  it('reopening a store pruned up to its window writes nothing', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 1 });
      try {
        for (let h = 1; h <= 3; h++) await commitOne(store, BigInt(h), [['a', `v${h}`]]);
        await store.pruned();
        assert.equal(store.oldestVersion, 3n);
      } finally {
        await store.close();
      }
      let batches = 0;
      const restore = patchLevel(
        'batch',
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            batches++;
            return original.apply(this, args);
          },
      );
      try {
        const reopened = await CommittedStore.open(dir, { stateHistory: 1 });
        try {
          await reopened.pruned();
          assert.equal(reopened.oldestVersion, 3n);
        } finally {
          await reopened.close();
        }
      } finally {
        restore();
      }
      assert.equal(batches, 0);
    });
  });
});

describe('CommittedStore pruning: one run at a time', () => {
  it('a commit while a run is marking starts no second run; the running one catches up', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 1 });
      let release = (): void => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let marksScans = 0;
      const restore = patchLevel(
        'keys',
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            const it = original.apply(this, args) as { all: (...a: unknown[]) => Promise<unknown> };
            if (!isMarksScan((args[0] ?? {}) as Record<string, unknown>)) return it;
            marksScans++;
            if (marksScans === 1) {
              // Hold the first run in its marking step.
              const all = it.all.bind(it);
              it.all = async (...a: unknown[]) => {
                await gate;
                return all(...a);
              };
            }
            return it;
          },
      );
      try {
        await commitOne(store, 1n, [['a', 'v1']]);
        await commitOne(store, 2n, [['a', 'v2']]); // a run starts: prunes version 1, held
        await commitOne(store, 3n, [['a', 'v3']]);
        assert.equal(marksScans, 1, 'the commit of height 3 did not start a second run');
        release();
        await store.pruned();
        assert.equal(marksScans, 2, 'the held run went on to prune version 2');
        assert.equal(store.oldestVersion, 3n);
      } finally {
        release();
        restore();
        await store.close();
      }
    });
  });
});

describe('CommittedStore pruning: failures', () => {
  const failKeys = (): (() => void) =>
    patchLevel('keys', () => () => {
      throw new Error('injected keys failure');
    });

  it("logs a failed run as 'state pruning failed (retried after the next commit)' and retries after the next commit", async () => {
    await withDir(async (dir) => {
      const errors: Array<[string, unknown]> = [];
      const logger = { info: () => {}, warn: () => {}, debug: () => {}, error: (msg: string, f?: { error?: string }) => errors.push([msg, f?.error]) };
      const store = await CommittedStore.open(dir, { stateHistory: 1, logger: logger as never });
      try {
        await commitOne(store, 1n, [['a', 'v1']]);
        await store.pruned();
        const restore = failKeys();
        try {
          await commitOne(store, 2n, [['a', 'v2']]);
          await store.pruned();
        } finally {
          restore();
        }
        assert.deepEqual(errors, [['state pruning failed (retried after the next commit)', 'injected keys failure']]);
        await commitOne(store, 3n, [['a', 'v3']]);
        await store.pruned();
        assert.equal(store.oldestVersion, 3n);
        assert.equal(errors.length, 1);
      } finally {
        await store.close();
      }
    });
  });

  it('a failed run without a logger is swallowed: pruned() resolves', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 1 });
      try {
        await commitOne(store, 1n, [['a', 'v1']]);
        await store.pruned();
        const restore = failKeys();
        try {
          await commitOne(store, 2n, [['a', 'v2']]);
          await store.pruned();
        } finally {
          restore();
        }
        assert.equal(text(store.get('a')), 'v2');
      } finally {
        await store.close();
      }
    });
  });
});

/** A stale list (docs/STORE.md: per record key, uvarint(length) || key); keys here are shorter than 128 bytes. */
function staleList(keys: Buffer[]): Buffer {
  return Buffer.concat(keys.flatMap((k) => [Buffer.from([k.length]), k]));
}

const staleKey = (since: number): Buffer => Buffer.concat([Buffer.from('p'), u64(since)]);
const junkKey = (i: number): Buffer => Buffer.from(`zjunk${String(i).padStart(6, '0')}`);

/**
 * Heights 1 and 2 committed (keeping all), plus a stale list p‖1 of `n`
 * junk records that exist: opening with --state-history 1 prunes version 1
 * and deletes p‖1 (since 1 ≤ 1 + 1) and p‖2 (the list of commit 2).
 */
async function staleFixture(dir: string, n: number): Promise<void> {
  await commitBlock(dir, 1n, [['a', '1']], { stateHistory: 0 });
  await commitBlock(dir, 2n, [['a', '2']], { stateHistory: 0 });
  await withRawDb(dir, async (db) => {
    const keys = Array.from({ length: n }, (_, i) => junkKey(i));
    const batch = db.batch();
    for (const k of keys) batch.put(k, Uint8Array.from([1]));
    batch.put(staleKey(1), staleList(keys));
    await batch.write();
  });
}

async function present(dir: string, keys: Buffer[]): Promise<boolean[]> {
  let out: boolean[] = [];
  await withRawDb(dir, async (db) => {
    out = (await db.getMany(keys)).map((v) => v !== undefined);
  });
  return out;
}

/**
 * Patches `method` so that when the pruner's call (recognised by `match` on
 * its options) has read its answer, `onRead` runs (before the pruner sees it).
 */
function afterRead(method: 'keys' | 'iterator', match: (options: Record<string, unknown>) => boolean, onRead: () => void): () => void {
  return patchLevel(
    method,
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const it = original.apply(this, args) as { all: (...a: unknown[]) => Promise<unknown> };
        const options = (args[0] ?? {}) as Record<string, unknown>;
        if (!match(options)) return it;
        const all = it.all.bind(it);
        it.all = async (...a: unknown[]) => {
          const rows = await all(...a);
          onRead();
          return rows;
        };
        return it;
      },
  );
}

/** The pruner's stale-list scan: from a stale-list key ('p' ‖ u64 version) on. */
const isStaleScan = (o: Record<string, unknown>): boolean => Buffer.isBuffer(o.gte) && (o.gte as Buffer)[0] === 0x70;
const isMarksScan = (o: Record<string, unknown>): boolean => Buffer.isBuffer(o.gt) && (o.gt as Buffer)[0] === 0x72;

/** Opens the store (history 1), closes it at the first read `match` picks, and waits for the close. */
async function openPruneAndCloseDuring(dir: string, method: Parameters<typeof afterRead>[0], match: Parameters<typeof afterRead>[1], what: string): Promise<void> {
  let store: CommittedStore | undefined;
  let closing: Promise<void> | undefined;
  const restore = afterRead(method, match, () => {
    if (closing === undefined && store !== undefined) closing = store.close();
  });
  try {
    store = await CommittedStore.open(dir, { stateHistory: 1 });
    await store.pruned();
  } finally {
    restore();
  }
  assert.ok(closing !== undefined, what);
  await closing;
}

describe('CommittedStore pruning: slices and close midway', () => {
  it('a list of 5,001 records goes in two slices; closed after the first, the rest and the list stay for the next run', async () => {
    await withDir(async (dir) => {
      await staleFixture(dir, 5001);
      await openPruneAndCloseDuring(dir, 'iterator', isStaleScan, 'the store was closed during its first stale-list scan');
      // The first slice (records 0-4999) went; record 5000 and the list p‖1 stay.
      assert.deepEqual(await present(dir, [junkKey(0), junkKey(4999), junkKey(5000), staleKey(1), staleKey(2)]), [false, false, true, true, true]);
      const next = await CommittedStore.open(dir, { stateHistory: 1 });
      await next.pruned();
      await next.close();
      assert.deepEqual(await present(dir, [junkKey(5000), staleKey(1), staleKey(2)]), [false, false, false]);
    });
  });

  it('closed while marking, the run deletes no stale list', async () => {
    await withDir(async (dir) => {
      await staleFixture(dir, 3);
      await openPruneAndCloseDuring(dir, 'keys', isMarksScan, 'the store was closed while marking');
      assert.deepEqual(await present(dir, [junkKey(0), junkKey(2), staleKey(1), staleKey(2)]), [true, true, true, true]);
      // The marks went (one batch, before the close was seen): version 1 is pruned.
      const next = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        assert.equal(next.oldestVersion, 2n);
      } finally {
        await next.close();
      }
    });
  });

  for (const [name, n] of [
    ['an empty list', 0],
    ['a list of exactly 5,000 records', 5000],
  ] as const) {
    it(`${name} is deleted in one batch (two stale-list scans: from p‖0 to p‖1, from p‖2 to p‖2, and none past the window)`, async () => {
      await withDir(async (dir) => {
        await staleFixture(dir, n);
        let store: CommittedStore | undefined;
        let scans = 0;
        let closing: Promise<void> | undefined;
        // A guard against a pruner that never deletes the list: stop it after 10 scans.
        const restore = afterRead('iterator', isStaleScan, () => {
          scans++;
          if (scans > 10 && closing === undefined && store !== undefined) closing = store.close();
        });
        let batches = 0;
        const restoreBatch = patchLevel(
          'batch',
          (original) =>
            function (this: unknown, ...args: unknown[]) {
              batches++;
              return original.apply(this, args);
            },
        );
        try {
          store = await CommittedStore.open(dir, { stateHistory: 1 });
          await store.pruned();
        } finally {
          restoreBatch();
          restore();
        }
        await (closing ?? store.close());
        assert.equal(scans, 2);
        // One batch marks version 1 pruned; each list (at most 5,000 records) goes in one batch with its records,
        // after one of the tree nodes it names if it names any (p‖2: those commit 2 replaced; p‖1 holds only junk).
        assert.equal(batches, 4);
        assert.deepEqual(await present(dir, [staleKey(1), staleKey(2), ...(n > 0 ? [junkKey(0), junkKey(n - 1)] : [])]), n > 0 ? [false, false, false, false] : [false, false]);
      });
    });
  }
});

describe('CommittedStore pruning: where the stale-list scans start', () => {
  /** The version each stale-list scan of the pruner starts from (its `gte`: 'p' ‖ u64 version). */
  function spyStaleScans(): { from: number[]; restore: () => void } {
    const from: number[] = [];
    const restore = patchLevel(
      'iterator',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          const options = (args[0] ?? {}) as Record<string, unknown>;
          if (isStaleScan(options)) from.push(Number((options.gte as Buffer).readBigUInt64BE(1)));
          return original.apply(this, args);
        },
    );
    return { from, restore };
  }

  /** Commits heights 1..`heights`, waiting for each one's pruning run. */
  async function commitEachAndPrune(store: CommittedStore, heights: number, entries: (height: number) => Array<[string, string]>): Promise<void> {
    for (let h = 1; h <= heights; h++) {
      await commitOne(store, BigInt(h), entries(h));
      await store.pruned();
    }
  }

  it('none while the history window is not full: one scan at open, then none however many commits', async () => {
    await withDir(async (dir) => {
      const spy = spyStaleScans();
      const store = await CommittedStore.open(dir, { stateHistory: 50 });
      try {
        await commitEachAndPrune(store, 20, (h) => [
          ['a', `v${h}`],
          [`k${h}`, 'x'],
        ]);
        assert.deepEqual(spy.from, [0]);
      } finally {
        spy.restore();
        await store.close();
      }
    });
  });

  it('each scan starts at the version after the last list deleted (never over the deletion marks of earlier ones), and no garbage is left', async () => {
    await withDir(async (dir) => {
      const spy = spyStaleScans();
      let store = await CommittedStore.open(dir, { stateHistory: 1 });
      try {
        await commitEachAndPrune(store, 12, (h) => [
          ['a', `v${h}`],
          [`k${h % 3}`, `w${h}`],
        ]);
        // At open the first scan finds nothing below version 2; commit h (>= 2) writes p‖h, prunes version h − 1 and deletes p‖h.
        assert.deepEqual(spy.from, [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        await store.close();
        // Reopened, the pruner knows nothing of what it deleted: one scan from the start finds nothing left.
        spy.from.length = 0;
        store = await CommittedStore.open(dir, { stateHistory: 1 });
        await store.pruned();
        assert.deepEqual(spy.from, [0]);
        await store.close();
        let lists: Buffer[] = [];
        let latest = 0;
        spy.restore();
        await withRawDb(dir, async (db) => {
          lists = await db.keys({ gte: Buffer.from('p'), lt: Buffer.from('q') }).all();
          latest = (await db.keys({ gte: Buffer.from('s'), lt: Buffer.from('t') }).all()).length;
        });
        assert.deepEqual(lists, [], 'every stale list below the window is deleted');
        assert.equal(latest, 4, 'one latest-value record per key (a, k0, k1, k2)');
      } finally {
        spy.restore();
        await store.close();
      }
    });
  });
});
