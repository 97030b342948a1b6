/**
 * Edges of CommittedStore.open (option checks, open failures, the checks of
 * the root, the log line), the cache budget split, the `sync` option and the
 * latest-version reads (getAt / appHashAt / PendingRoot.size). Layouts and
 * values come from docs/STORE.md; the cache thresholds from the weights the
 * store gives its caches (committed-store.ts constructor, off-heap-cache.ts, node-cache.ts).
 */
import { describe, it } from 'node:test';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ClassicLevel } from 'classic-level';

import {
  CommittedStore,
  DEFAULT_CACHE_BYTES,
  DEFAULT_OPEN_FILES,
  DEFAULT_WRITE_BUFFER_BYTES,
  MAX_OPEN_FILES,
  MAX_WRITE_BUFFER_BYTES,
  MIN_OPEN_FILES,
  MIN_WRITE_BUFFER_BYTES,
  NODES_WRITE_BUFFER_BYTES,
  nodesDir,
  STORE_FORMAT,
  StoreCorruptionError,
  StoreUsageError,
  VersionUnavailableError,
  type CommittedStoreOptions,
} from '../../src/store/committed-store.js';
import type { Logger } from '../../src/util/logger.js';
import { bytes, commitBlock, patchBatchWrite, patchLevel, text, withDir } from './fixtures/store-dirs.js';

/** docs/STORE.md test vector: the root of {"a": "1"}. */
const ROOT_A1 = '565388d4bc00257133f799d9366ac97f6e949c18acc53d17457f8859ba0f08d3';
const ZERO_HASH = '00'.repeat(32);

/** u64 big-endian, as docs/STORE.md lays out versions. */
function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
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

/** The error `open` rejects with (a store that opens is closed and fails the test). */
async function openError(dir: string, options: CommittedStoreOptions = {}): Promise<Error> {
  let store: CommittedStore | undefined;
  try {
    store = await CommittedStore.open(dir, options);
  } catch (err) {
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
    return err;
  }
  await store.close();
  assert.fail('open should have been refused');
}

/** Counts LevelDB getSync reads by the first byte of the key ('s': latest values, 'N': tree nodes). */
function countReads(): { reads: Map<string, number>; restore: () => void } {
  const reads = new Map<string, number>();
  const restore = patchLevel(
    'getSync',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const key = args[0] as Buffer;
        const tag = String.fromCharCode(key[0]!);
        reads.set(tag, (reads.get(tag) ?? 0) + 1);
        return original.apply(this, args);
      },
  );
  return { reads, restore };
}

describe('CommittedStore.open: option checks', () => {
  for (const [value, shown] of [
    [-1, '-1'],
    [1.5, '1.5'],
  ] as const) {
    it(`stateHistory ${shown} is refused with StoreUsageError`, async () => {
      await withDir(async (dir) => {
        const err = await openError(dir, { stateHistory: value });
        assert.ok(err instanceof StoreUsageError, `expected StoreUsageError, got ${String(err)}`);
        assert.equal(err.name, 'StoreUsageError');
        assert.equal(err.message, `state history must be a whole number of versions (0: keep all), got ${shown}`);
      });
    });

    it(`cacheBytes ${shown} is refused with StoreUsageError`, async () => {
      await withDir(async (dir) => {
        const err = await openError(dir, { cacheBytes: value });
        assert.ok(err instanceof StoreUsageError, `expected StoreUsageError, got ${String(err)}`);
        assert.equal(err.message, `cache size must be a whole number of bytes, got ${shown}`);
      });
    });
  }

  it('stateHistory 0 and cacheBytes 0 are accepted', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 0, cacheBytes: 0 });
      try {
        assert.equal(store.height, 0n);
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore error classes', () => {
  it('carry their class name in .name', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir);
      try {
        assert.throws(
          () => store.getAt('k', 1n),
          (err: unknown) => {
            assert.ok(err instanceof VersionUnavailableError, `expected VersionUnavailableError, got ${String(err)}`);
            assert.equal(err.name, 'VersionUnavailableError');
            assert.equal(err.pruned, false);
            return true;
          },
        );
      } finally {
        await store.close();
      }
      // records without m:commit: not a store (docs/STORE.md "Checks")
      await withRawDb(dir, async (db) => {
        await db.put(Buffer.from('zz'), bytes('x'));
      });
      const err = await openError(dir);
      assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
      assert.equal(err.name, 'StoreCorruptionError');
    });
  });
});

describe('CommittedStore.open: a database that cannot be opened', () => {
  it('a directory locked by an open store: the message carries the LevelDB cause, and the error its cause', async () => {
    await withDir(async (dir) => {
      const first = await CommittedStore.open(dir);
      try {
        const err = await openError(dir);
        const cause = err.cause;
        assert.ok(cause instanceof Error, `expected the LevelDB error as cause, got ${String(cause)}`);
        const inner = cause.cause;
        assert.ok(inner instanceof Error, `expected LevelDB's error to have a cause, got ${String(inner)}`);
        assert.match(inner.message, /lock/i);
        assert.equal(err.message, `cannot open the state store ${dir} (is another cmtd using it?): ${inner.message}`);
      } finally {
        await first.close();
      }
    });
  });

  it('an open failure without a cause: the message has no suffix, the cause is the failure', async () => {
    await withDir(async (dir) => {
      const failure = new Error('no cause here');
      const restore = patchLevel('open', () => async () => {
        throw failure;
      });
      let err: Error;
      try {
        err = await openError(dir);
      } finally {
        restore();
      }
      assert.equal(err.message, `cannot open the state store ${dir} (is another cmtd using it?)`);
      assert.equal(err.cause, failure);
    });
  });
});

describe('CommittedStore.open: root checks (docs/STORE.md "Checks")', () => {
  it('a recorded app hash the root node does not hash to: StoreCorruptionError naming both hashes', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', '1']]);
      // m:commit = format u8 ‖ height u64 ‖ app hash[32] ‖ key count u64, with a zero app hash
      await withRawDb(dir, async (db) => {
        await db.put(Buffer.from('m:commit', 'latin1'), Buffer.concat([Buffer.from([STORE_FORMAT]), u64(1n), Buffer.alloc(32), u64(1n)]));
      });
      const err = await openError(dir);
      assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
      assert.equal(
        err.message,
        `state store ${dir} is corrupt: at height 1 the recorded app hash is ${ZERO_HASH} ` +
          `but the root node hashes to ${ROOT_A1}; restore the data directory from a backup or resync`,
      );
    });
  });

  it('a root record whose hash differs from its node (app hash intact): StoreCorruptionError', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', '1']]);
      const rootKey = Buffer.concat([Buffer.from('r'), u64(1n)]);
      await withRawDb(dir, async (db) => {
        const record = Buffer.from((await db.get(rootKey))!);
        // 0x01 ‖ u64 node version ‖ u8 isLeaf ‖ hash[32]: one key, so the root is its leaf, written by version 1
        assert.equal(record.toString('hex'), `01${u64(1n).toString('hex')}01${ROOT_A1}`);
        record.fill(0xee, 10);
        await db.put(rootKey, record);
      });
      const err = await openError(dir);
      assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
      assert.ok(
        err.message.startsWith(`state store ${dir} is corrupt: at height 1 the root record names hash ${'ee'.repeat(32)} but the root node hashes to ${ROOT_A1};`),
        err.message,
      );
    });
  });

  it('a missing root node: StoreCorruptionError "root node unreadable"', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', '1']]);
      // 'N' u64 version u8 depth path: the root is at depth 0 with an empty path
      await withRawDb(nodesDir(dir), async (db) => {
        const nodeKey = Buffer.concat([Buffer.from('N'), u64(1n), Buffer.from([0])]);
        assert.ok((await db.get(nodeKey)) !== undefined, 'the root node record should be where docs/STORE.md puts it');
        await db.del(nodeKey);
      });
      const err = await openError(dir);
      assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
      assert.ok(err.message.startsWith(`state store ${dir} is corrupt: root node unreadable (`), err.message);
      assert.match(err.message, /missing/);
    });
  });
});

describe('CommittedStore.open: pruning mark', () => {
  it('m:pruned holds u64 T = H - N on disk and a reopened store refuses versions <= T as pruned', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 2 });
      try {
        for (let h = 1n; h <= 5n; h++) {
          const pending = store.computeRoot([['k', bytes(String(h))]]);
          await store.commit(h, pending, pending.root);
        }
        await store.pruned();
      } finally {
        await store.close();
      }
      await withRawDb(dir, async (db) => {
        const mark = await db.get(Buffer.from('m:pruned', 'latin1'));
        assert.ok(mark !== undefined, 'm:pruned should be written');
        assert.equal(Buffer.from(mark).toString('hex'), u64(3n).toString('hex'));
      });
      // archive mode at reopen: nothing is pruned at open, the mark alone must say what is gone
      const reopened = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        assert.equal(reopened.oldestVersion, 4n);
        assert.equal(text(reopened.getAt('k', 4n)), '4');
        assert.throws(
          () => reopened.getAt('k', 3n),
          (err: unknown) => {
            assert.ok(err instanceof VersionUnavailableError, `expected VersionUnavailableError, got ${String(err)}`);
            assert.equal(err.pruned, true);
            return true;
          },
        );
      } finally {
        await reopened.close();
      }
    });
  });
});

describe('CommittedStore.open: log line', () => {
  it('logs "state store opened" with dir, height, app hash, key count and a duration', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', '1']]);
      const logs: Array<[string, Record<string, unknown>]> = [];
      const record = (message: string, meta: Record<string, unknown> = {}): void => {
        logs.push([message, meta]);
      };
      const logger = { info: record, warn: record, error: record, debug: record } as unknown as Logger;
      const t0 = performance.now();
      const store = await CommittedStore.open(dir, { logger, stateHistory: 0 });
      const elapsed = performance.now() - t0;
      await store.close();
      const opened = logs.filter(([message]) => message === 'state store opened');
      assert.equal(opened.length, 1, JSON.stringify(logs));
      const { ms, ...fields } = opened[0]![1];
      // The block's nodes, in the nodes' log until this open wrote them as a table.
      assert.deepEqual(fields, { dir, height: '1', appHash: ROOT_A1, keys: 1, nodeTables: 1 });
      assert.equal(typeof ms, 'number');
      assert.ok((ms as number) >= 0 && (ms as number) <= Math.ceil(elapsed), `ms ${String(ms)} should be within the ${elapsed} ms open took`);
    });
  });
});

describe('CommittedStore: cache budget', () => {
  it('DEFAULT_CACHE_BYTES is 256 MiB (docs/STORE.md --state-cache-mb default)', () => {
    assert.equal(DEFAULT_CACHE_BYTES, 256 * 1024 * 1024);
  });

  /**
   * The value cache gets floor(C / 2) - floor(C / 64) bytes (the 64th goes
   * to past versions' nodes), two generations of half that; a generation's
   * arena is what is left after its slot table (4 slots of 8 bytes below 544
   * bytes). An entry takes 6 + key + value bytes (off-heap-cache.ts
   * entryBytes): 'abcd' with a 100-byte value takes 110, kept when
   * floor((floor(C/2) - floor(C/64))/2) - 32 >= 110.
   */
  async function valueReads(options: CommittedStoreOptions): Promise<number> {
    let reads = -1;
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['abcd', 'x'.repeat(100)]]);
      const store = await CommittedStore.open(dir, { ...options, stateHistory: 0 });
      const counter = countReads();
      try {
        assert.equal(text(store.get('abcd')), 'x'.repeat(100));
        assert.equal(text(store.get('abcd')), 'x'.repeat(100));
      } finally {
        counter.restore();
        await store.close();
      }
      reads = counter.reads.get('s') ?? 0;
    });
    return reads;
  }

  it('a value that fills a value-cache generation exactly (cacheBytes 586) is kept: the second get reads nothing', async () => {
    assert.equal(await valueReads({ cacheBytes: 586 }), 1);
  });

  it('a value one byte over a value-cache generation (cacheBytes 585) is not kept: both gets read LevelDB', async () => {
    assert.equal(await valueReads({ cacheBytes: 585 }), 2);
  });

  it('the default cache keeps a value', async () => {
    assert.equal(await valueReads({}), 1);
  });

  /**
   * {"a": "1", "b": "2"}: a and b differ in their first nibble (docs/STORE.md),
   * so the root is an internal node with two leaf children at depth 1; a
   * proof of a reads the root and a's leaf. open reads the root (checkRoot)
   * and caches it if the node half of the cache can hold it.
   */
  async function nodeReadsOfProof(cacheBytes: number): Promise<number> {
    let reads = -1;
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [
        ['a', '1'],
        ['b', '2'],
      ]);
      const store = await CommittedStore.open(dir, { cacheBytes, stateHistory: 0 });
      const counter = countReads();
      try {
        const proof = store.prove('a');
        assert.equal(proof.levels.length, 1);
        assert.ok(CommittedStore.verifyProof(store.appHash, 'a', bytes('1'), proof), 'the proof of a should verify');
      } finally {
        counter.restore();
        await store.close();
      }
      reads = counter.reads.get('N') ?? 0;
    });
    return reads;
  }

  it('cacheBytes 4000: the 2000-byte node half keeps the root among its never-evicted upper levels (1,240 bytes a node)', async () => {
    assert.equal(await nodeReadsOfProof(4000), 1);
  });

  it('cacheBytes 400: the 200-byte node half cannot keep the root (a 71-byte record + 129 bytes of entry weighs 200 > 100)', async () => {
    assert.equal(await nodeReadsOfProof(400), 2);
  });
});

describe('CommittedStore: reads as of a past height', () => {
  const KEYS = Array.from({ length: 40 }, (_, i) => `key${i}`);

  /** Versions 1–3 each rewrite all 40 keys; then two rounds of gets as of version 1 and the 'N' and 'r' records each round read. */
  async function pastReads(cacheBytes: number): Promise<Array<{ N: number; r: number }>> {
    const rounds: Array<{ N: number; r: number }> = [];
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { cacheBytes, stateHistory: 0 });
      try {
        for (let v = 1n; v <= 3n; v++) {
          const pending = store.computeRoot(KEYS.map((k) => [k, bytes(`${k}@${v}`)] as const));
          await store.commit(v, pending, pending.root);
        }
        for (let round = 0; round < 2; round++) {
          const counter = countReads();
          try {
            for (const k of KEYS) assert.equal(text(store.getAt(k, 1n)), `${k}@1`);
            assert.ok(CommittedStore.verifyProof(store.appHashAt(1n), 'key7', bytes('key7@1'), store.prove('key7', 1n)));
          } finally {
            counter.restore();
          }
          rounds.push({ N: counter.reads.get('N') ?? 0, r: counter.reads.get('r') ?? 0 });
        }
      } finally {
        await store.close();
      }
    });
    return rounds;
  }

  it('walks each past node from LevelDB once: a second round reads nothing', async () => {
    const [first, second] = await pastReads(DEFAULT_CACHE_BYTES);
    // 40 leaves, the root and the internal nodes between (every one rewritten by versions 2 and 3)
    assert.ok(first!.N > 40, `the first round read ${first!.N} nodes`);
    assert.equal(first!.r, 1, 'the root of version 1 is read once');
    assert.deepEqual(second, { N: 0, r: 0 });
  });

  it('with no cache, every round reads the nodes again (the past roots are still kept)', async () => {
    const [first, second] = await pastReads(0);
    assert.deepEqual(second, { N: first!.N, r: 0 });
    assert.equal(first!.r, 1);
  });
});

describe('CommittedStore: sync option', () => {
  async function syncOfCommitBatches(options: CommittedStoreOptions): Promise<unknown[]> {
    const seen: unknown[] = [];
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { ...options, stateHistory: 0 });
      const restore = patchBatchWrite(
        (original) =>
          function (this: unknown, opts) {
            seen.push(opts.sync);
            return original.call(this, opts);
          },
      );
      try {
        const pending = store.computeRoot([['k', bytes('v')]]);
        await store.commit(1n, pending, pending.root);
      } finally {
        restore();
        await store.close();
      }
    });
    return seen;
  }

  // Two batches a commit: the tree nodes' (always synced: on disk before a commit record names them), then the rest.
  it('sync: true writes the nodes, then the commit batch, both with LevelDB sync', async () => {
    assert.deepEqual(await syncOfCommitBatches({ sync: true }), [true, true]);
  });

  it('by default the nodes are written with sync, the commit batch without', async () => {
    assert.deepEqual(await syncOfCommitBatches({}), [true, false]);
  });
});

describe('CommittedStore: latest-version reads', () => {
  it('getAt and at() of the latest height answer from the latest-value record, as get does', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['k', 'v']]);
      // 's' key = u64 version ‖ value: make the latest-value record disagree with the tree's leaf
      await withRawDb(dir, async (db) => {
        await db.put(Buffer.from('sk', 'latin1'), Buffer.concat([u64(1n), Buffer.from('X')]));
      });
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        assert.equal(text(store.get('k')), 'X');
        assert.equal(text(store.getAt('k', 1n)), 'X');
        assert.equal(text(store.at(1n).get('k')), 'X');
      } finally {
        await store.close();
      }
    });
  });

  it('appHashAt of an empty store at height 0 is 32 zero bytes', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        assert.equal(Buffer.from(store.appHashAt(0n)).toString('hex'), ZERO_HASH);
      } finally {
        await store.close();
      }
    });
  });

  it('PendingRoot.size counts the distinct keys a block changes (last change wins, deletes of absent keys dropped)', async () => {
    await withDir(async (dir) => {
      await commitBlock(dir, 1n, [['a', '1']]);
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        const pending = store.computeRoot([
          ['a', null],
          ['b', bytes('2')],
          ['b', bytes('3')],
          ['c', null],
        ]);
        assert.equal(pending.size, 2);
        assert.equal(store.computeRoot([['c', null]]).size, 0);
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore: write buffer', () => {
  it('DEFAULT_WRITE_BUFFER_BYTES is 64 MiB (docs/STORE.md --state-write-buffer-mb default)', () => {
    assert.equal(DEFAULT_WRITE_BUFFER_BYTES, 64 * 1024 * 1024);
  });

  it('refuses a size LevelDB would clamp, and opens nothing', async () => {
    await withDir(async (dir) => {
      for (const writeBufferBytes of [0, MIN_WRITE_BUFFER_BYTES - 1, MAX_WRITE_BUFFER_BYTES + 1, 1024 * 1024 + 0.5]) {
        await assert.rejects(
          CommittedStore.open(dir, { writeBufferBytes }),
          (err: Error) => err instanceof StoreUsageError && /write buffer must be a whole number of bytes from 65536 to 1073741824/.test(err.message),
        );
      }
      assert.deepEqual(readdirSync(dir), [], 'no database created');
    });
  });

  /**
   * Bytes in LevelDB's live log after 16 blocks of ≈ 0.6 MiB, with
   * `writeBufferBytes`: the log holds what the buffer holds, and starts
   * anew each time a full buffer is written out as a table.
   */
  async function logBytesAfterWrites(writeBufferBytes: number): Promise<number> {
    let bytes = -1;
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { writeBufferBytes, stateHistory: 0 });
      try {
        for (let h = 1; h <= 16; h++) {
          const pending = store.computeRoot(Array.from({ length: 500 }, (_, i) => [`k/${h}/${i}`, new Uint8Array(400).fill(h)] as const));
          await store.commit(BigInt(h), pending, pending.root);
        }
        // The larger of the two databases' logs (each has its buffer).
        bytes = Math.max(
          ...[dir, nodesDir(dir)].map((d) =>
            readdirSync(d)
              .filter((f) => f.endsWith('.log') && f !== 'LOG')
              .reduce((sum, f) => sum + statSync(join(d, f)).size, 0),
          ),
        );
      } finally {
        await store.close();
      }
    });
    return bytes;
  }

  it('reaches LevelDB: a 1 MiB buffer is written out as the blocks come, a 64 MiB one holds them all', async () => {
    const small = await logBytesAfterWrites(1024 * 1024);
    const large = await logBytesAfterWrites(DEFAULT_WRITE_BUFFER_BYTES);
    assert.ok(large > 5 * 1024 * 1024, `the default buffer holds every block: ${large} bytes of log`);
    // At most two logs of a buffer and a block each: the live one, and the previous one until LevelDB's
    // thread has written its buffer out, which a loaded machine delays (1.3 MB is usual).
    assert.ok(small < 3.25 * 1024 * 1024, `a 1 MiB buffer holds about one: ${small} bytes of log`);
  });

  it('the tree nodes’ database buffers at most NODES_WRITE_BUFFER_BYTES, the values’ the whole default', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { stateHistory: 0 });
      try {
        // ≈ 26 MB of values and more of leaves (each holds its value): past 16 MiB, within 64.
        for (let h = 1; h <= 2; h++) {
          const pending = store.computeRoot(Array.from({ length: 25_000 }, (_, i) => [`k/${h}/${i}`, randomBytes(500)] as const));
          await store.commit(BigInt(h), pending, pending.root);
        }
        const logBytes = (d: string): number =>
          readdirSync(d)
            .filter((f) => f.endsWith('.log') && f !== 'LOG')
            .reduce((sum, f) => sum + statSync(join(d, f)).size, 0);
        assert.ok(logBytes(dir) > 24 * 1024 * 1024, `the values' buffer holds both blocks: ${logBytes(dir)} bytes of log`);
        assert.ok(logBytes(nodesDir(dir)) <= NODES_WRITE_BUFFER_BYTES + 8 * 1024 * 1024, `the nodes' log: ${logBytes(nodesDir(dir))} bytes`);
      } finally {
        await store.close();
      }
    });
  });
});

describe('CommittedStore: open files of the nodes’ database', () => {
  it('DEFAULT_OPEN_FILES is LevelDB’s 1,000 (docs/STORE.md --state-open-files default)', () => {
    assert.equal(DEFAULT_OPEN_FILES, 1000);
  });

  it('refuses a count LevelDB would clamp, and opens nothing', async () => {
    await withDir(async (dir) => {
      for (const openFiles of [0, MIN_OPEN_FILES - 1, MAX_OPEN_FILES + 1, 100.5]) {
        await assert.rejects(
          CommittedStore.open(dir, { openFiles }),
          (err: Error) => err instanceof StoreUsageError && /open files must be a whole number from 74 to 50000, got /.test(err.message),
        );
      }
      assert.deepEqual(readdirSync(dir), [], 'no database created');
    });
  });

  it('with more node tables than it keeps open, says so at open and still answers every version', async () => {
    await withDir(async (dir) => {
      // 64 KiB buffers: each block's nodes (≈ 300 leaves and the nodes above them) become a table of their own,
      // which LevelDB only moves down (their keys start with the version).
      const blocks = 90;
      const keyOf = (h: number, i: number): string => `k/${(h * 7919 + i * 104729) % 5000}`;
      let store = await CommittedStore.open(dir, { writeBufferBytes: MIN_WRITE_BUFFER_BYTES, stateHistory: 0 });
      const written = new Map<number, Map<string, string>>();
      try {
        for (let h = 1; h <= blocks; h++) {
          const block = new Map(Array.from({ length: 300 }, (_, i) => [keyOf(h, i), `v${h}/${i}`] as const));
          written.set(h, block);
          const pending = store.computeRoot([...block].map(([k, v]) => [k, bytes(v)] as const));
          await store.commit(BigInt(h), pending, pending.root);
        }
      } finally {
        await store.close();
      }
      const logs: Array<[string, Record<string, unknown>]> = [];
      const record = (message: string, meta: Record<string, unknown> = {}): void => {
        logs.push([message, meta]);
      };
      const logger = { info: record, warn: record, error: record, debug: record } as unknown as Logger;
      store = await CommittedStore.open(dir, { logger, writeBufferBytes: MIN_WRITE_BUFFER_BYTES, stateHistory: 0, openFiles: MIN_OPEN_FILES });
      try {
        const nodeTables = logs.find(([message]) => message === 'state store opened')?.[1].nodeTables as number;
        assert.ok(nodeTables > MIN_OPEN_FILES, `${nodeTables} tables of nodes, more than the ${MIN_OPEN_FILES - 10} it keeps open`);
        const said = logs.find(([message]) => message.startsWith("the tree nodes' database has"));
        assert.ok(said !== undefined, JSON.stringify(logs));
        assert.match(said[0], new RegExp(`has ${nodeTables} tables and keeps at most 64 open \\(--state-open-files 74\\)`));
        assert.deepEqual(said[1], { nodeTables, openFiles: MIN_OPEN_FILES });
        // Every block's keys, proved at that block's version and read back, across tables reopened again and again.
        for (let h = 1; h <= blocks; h++) {
          const version = BigInt(h);
          const root = store.appHashAt(version);
          for (const [key, value] of [...written.get(h)!].slice(0, 20)) {
            assert.ok(CommittedStore.verifyProof(root, key, bytes(value), store.prove(key, version)), `${key} at ${h}`);
            assert.equal(text(store.getAt(key, version)), value, `${key} at ${h}`);
          }
        }
      } finally {
        await store.close();
      }
    });
  });
});
