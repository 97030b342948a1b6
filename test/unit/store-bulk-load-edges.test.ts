/**
 * Edges of the bulk load (src/store/bulk-load.ts, docs/STORE.md "Bulk
 * load"): the argument checks (height 1 .. 2^53-1 as a bigint, a count of
 * 0 .. 2^32-1 keys, well-formed keys, an empty directory) with their
 * messages, the per-bucket sort of the radix buckets at both ends (a key
 * given twice must still be found), and the progress calls: one per
 * written batch, batches of 64 MiB of records cut between the
 * 20,000-key synchronous steps.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

import { bulkLoad } from '../../src/store/bulk-load.js';
import { CommittedStore, StoreUsageError, nodesDir } from '../../src/store/committed-store.js';
import { EMPTY, referenceRoot } from './fixtures/store-reference.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** keyHash = sha256(key bytes) (docs/STORE.md "The commitment"). */
const keyHash = (key: string): Buffer => createHash('sha256').update(Buffer.from(key, 'utf8')).digest();

async function withDir(run: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cmtd-bulk-edges-'));
  try {
    await run(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A StoreUsageError with exactly `message`. */
const usage =
  (message: string) =>
  (err: unknown): boolean => {
    assert.ok(err instanceof StoreUsageError, `a StoreUsageError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  };

/** Keys `r/${i}` by the radix bucket (first two keyHash bytes) 0x0000 or 0xffff, two of each, found once. */
let bucketKeys: { first: [string, string]; last: [string, string] } | undefined;
function keysInBucket(bucket: 'first' | 'last'): [string, string] {
  if (bucketKeys === undefined) {
    const first: string[] = [];
    const last: string[] = [];
    for (let i = 0; first.length < 2 || last.length < 2; i++) {
      const h = keyHash(`r/${i}`);
      if (h[0] === 0x00 && h[1] === 0x00 && first.length < 2) first.push(`r/${i}`);
      if (h[0] === 0xff && h[1] === 0xff && last.length < 2) last.push(`r/${i}`);
    }
    bucketKeys = { first: first as [string, string], last: last as [string, string] };
  }
  return bucketKeys[bucket];
}

const one = (): readonly [string, Uint8Array] => ['k', Uint8Array.of(1)];

describe('bulk load edges', () => {
  it('refuses a height outside 1 .. 2^53-1 or not a bigint, naming it, before touching the directory', async () => {
    await withDir(async (root) => {
      for (const height of [0n, -1n, 2n ** 53n, 5 as unknown as bigint]) {
        const dir = join(root, `h${String(height)}`);
        await assert.rejects(bulkLoad(dir, height, 1, one), usage(`bulk load height must be 1 .. 2^53-1, got ${String(height)}`), `height ${String(height)}`);
        assert.equal(existsSync(dir), false, `height ${String(height)}: no directory created`);
      }
    });
  });

  it('accepts both ends of the height range: 1 and 2^53-1', async () => {
    await withDir(async (root) => {
      const value = Uint8Array.of(7, 8);
      for (const height of [1n, 2n ** 53n - 1n]) {
        const dir = join(root, `h${height}`);
        const appHash = await bulkLoad(dir, height, 1, () => ['k', value]);
        assert.equal(hex(appHash), hex(referenceRoot(new Map([['k', value]]))), `height ${height}: the one-key root`);
        const store = await CommittedStore.open(dir);
        try {
          assert.equal(store.height, height, 'the loaded version is the height given');
          assert.deepEqual(store.get('k'), value);
        } finally {
          await store.close();
        }
      }
    });
  });

  it('refuses a count that is not a whole number in 0 .. 2^32-1, naming it', async () => {
    await withDir(async (root) => {
      const never = (): readonly [string, Uint8Array] => {
        throw new Error('entryAt must not be called for a refused count');
      };
      for (const count of [-1, 1.5, Number.NaN, 2 ** 32, Number.MAX_SAFE_INTEGER + 1]) {
        const dir = join(root, `c${count}`);
        await assert.rejects(bulkLoad(dir, 1n, count, never), usage(`bulk load of ${count} keys (at most 2^32-1)`), `count ${count}`);
        assert.equal(existsSync(dir), false, `count ${count}: no directory created`);
      }
    });
  });

  it('lets the largest count, 2^32-1, past the count check', async () => {
    // No machine here holds 2^32-1 keys: the load then fails on its hash buffer
    // (2^32-1 × 32 bytes) or at the first entryAt, but not as a refused count.
    const sentinel = new Error('entryAt reached');
    await withDir(async (root) => {
      await assert.rejects(
        bulkLoad(join(root, 'max'), 1n, 0xffff_ffff, () => {
          throw sentinel;
        }),
        (err: unknown) => {
          assert.ok(!(err instanceof StoreUsageError), `not refused as a usage error: ${String(err)}`);
          return true;
        },
      );
    });
  });

  it('loads the empty state (count 0): the empty root, one progress call with 0', async () => {
    await withDir(async (root) => {
      const progress: number[] = [];
      const appHash = await bulkLoad(join(root, 'empty'), 3n, 0, one, { onProgress: (n) => progress.push(n) });
      assert.equal(hex(appHash), hex(EMPTY), 'the empty tree hashes to 32 zero bytes');
      assert.deepEqual(progress, [0]);
      const store = await CommittedStore.open(join(root, 'empty'));
      try {
        assert.equal(store.height, 3n);
        assert.equal(store.size, 0);
      } finally {
        await store.close();
      }
    });
  });

  it('refuses an ill-formed or non-string key, naming it', async () => {
    await withDir(async (root) => {
      for (const key of ['a\0b', '\ud800', 5 as unknown as string]) {
        const dir = join(root, `k${hex(Buffer.from(String(key)))}`);
        await assert.rejects(
          bulkLoad(dir, 1n, 2, (i) => (i === 0 ? ['fine', Uint8Array.of(1)] : [key, Uint8Array.of(2)])),
          usage(`invalid state key ${JSON.stringify(key)}`),
          `key ${JSON.stringify(key)}`,
        );
        assert.equal(existsSync(dir), false, `key ${JSON.stringify(key)}: no directory created`);
      }
    });
  });

  it('refuses a directory that holds any record, naming it', async () => {
    await withDir(async (root) => {
      const dir = join(root, 'used');
      const db = new ClassicLevel<string, string>(dir);
      await db.put('x', 'y');
      await db.close();
      await assert.rejects(bulkLoad(dir, 1n, 1, one), usage(`bulk load into ${dir}: the directory already holds records`));
      // Only the nodes' database holds something (a crash in a first commit, say).
      const other = join(root, 'nodes-only');
      mkdirSync(other);
      const nodes = new ClassicLevel<string, string>(nodesDir(other));
      await nodes.put('N', 'y');
      await nodes.close();
      await assert.rejects(bulkLoad(other, 1n, 1, one), usage(`bulk load into ${other}: its tree nodes' database (${nodesDir(other)}) already holds records`));
    });
  });

  for (const [bucket, hi, lo] of [
    ['first', 0x00, 0x00],
    ['last', 0xff, 0xff],
  ] as const) {
    it(`finds a key given twice in the ${bucket} radix bucket (keyHash ${hex(Uint8Array.of(hi, lo))}…), with keys in other buckets`, async () => {
      const [k1, k2] = keysInBucket(bucket);
      // other keys outside the bucket, so the bucket does not start at index 0 nor end at the count
      const others = ['a', 'b', 'c', 'd', 'e'];
      for (const o of others) assert.ok(keyHash(o).readUInt16BE(0) !== (hi << 8) + lo, `${o} lies in another bucket`);
      const keys = [...others, k1, k2, k1];
      await withDir(async (root) => {
        await assert.rejects(
          bulkLoad(join(root, 'dup'), 1n, keys.length, (i) => [keys[i]!, Uint8Array.of(i)]),
          usage(`bulk load: key ${JSON.stringify(k1)} appears twice`),
        );
      });
    });
  }

  it('loads keys given in descending keyHash order within the first and last buckets with the reference root', async () => {
    const keys = [...keysInBucket('first'), ...keysInBucket('last'), 'a', 'b', 'c'];
    keys.sort((x, y) => Buffer.compare(keyHash(y), keyHash(x)));
    const entries = keys.map((k, i): [string, Uint8Array] => [k, Uint8Array.of(i, 0x5a)]);
    await withDir(async (root) => {
      const appHash = await bulkLoad(join(root, 'desc'), 2n, entries.length, (i) => entries[i]!);
      assert.equal(hex(appHash), hex(referenceRoot(new Map(entries))));
      const store = await CommittedStore.open(join(root, 'desc'));
      try {
        for (const [k, v] of entries) assert.deepEqual(store.get(k), v, `key ${k}`);
      } finally {
        await store.close();
      }
    });
  });

  it('a small state is one batch: one progress call, with the number of keys', async () => {
    await withDir(async (root) => {
      const progress: number[] = [];
      const keys = ['x', 'y', 'z'];
      await bulkLoad(join(root, 'small'), 1n, keys.length, (i) => [keys[i]!, Uint8Array.of(i)], { onProgress: (n) => progress.push(n) });
      assert.deepEqual(progress, [3]);
    });
  });

  it('writes a batch once 64 MiB of records are pending, between the synchronous steps, and reports the keys placed', async () => {
    // 20,001 keys: more than one synchronous step (20,000 keys), so the tree is
    // built per depth-1 subtree (≈ 1,250 keys each, in keyHash order) with a
    // batch check after each. One key carries a 33 MiB value, written twice
    // (latest record, leaf node): 66 MiB > 64 MiB, so the
    // batch is written right after that key's subtree; the rest (a few MB)
    // is the final batch.
    const count = 20_001;
    const big = 'a/big';
    const keys = Array.from({ length: count - 1 }, (_, i) => `a/${i}`);
    keys.push(big);
    const bigValue = new Uint8Array(33 * 1024 * 1024).fill(0x42);
    const small = Uint8Array.of(1);
    const bigNibble = keyHash(big)[0]! >> 4;
    const placedFirst = keys.filter((k) => keyHash(k)[0]! >> 4 <= bigNibble).length;
    assert.ok(placedFirst < count, `the big key's subtree (nibble ${bigNibble}) is not the last one`);
    await withDir(async (root) => {
      const progress: number[] = [];
      await bulkLoad(join(root, 'big'), 1n, count, (i) => [keys[i]!, i === count - 1 ? bigValue : small], { onProgress: (n) => progress.push(n) });
      assert.deepEqual(progress, [placedFirst, count]);
    });
  });
});
