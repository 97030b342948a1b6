/**
 * The bulk load writes exactly what one commit of the same keys into an
 * empty store writes (every LevelDB record), its root is the naive
 * reference's, and the loaded store then behaves like the committed one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import fc from 'fast-check';

import { bulkLoad } from '../../src/store/bulk-load.js';
import { CommittedStore, nodesDir, StoreUsageError } from '../../src/store/committed-store.js';
import { isWellFormedKey } from '../../src/store/keys.js';
import { CLUSTERED_KEYS } from './fixtures/store-clustered-keys.js';
import type { Change } from '../../src/store/kv.js';
import { referenceRoot } from './fixtures/store-reference.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Every record of both databases of the store in `dir` (the values', then the tree nodes'). */
async function records(dir: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const d of [dir, nodesDir(dir)]) {
    const db = new ClassicLevel<Buffer, Uint8Array>(d, { keyEncoding: 'buffer', valueEncoding: 'view' });
    await db.open();
    for await (const [k, v] of db.iterator()) out.push([k.toString('hex'), hex(v)]);
    await db.close();
  }
  return out;
}

const entriesArb = fc
  .uniqueArray(
    fc.tuple(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.integer({ min: 0, max: 5000 }).map((i) => `a/${i}`),
        // keyHashes sharing 5-7 nibbles: flat nodes (docs/STORE.md) in small states
        fc.constantFrom(...CLUSTERED_KEYS.flatMap((c) => c.keys)),
      ),
      fc.uint8Array({ maxLength: 10 }),
    ),
    {
      selector: ([k]) => k,
      maxLength: 400,
    },
  )
  .map((es) => es.filter(([k]) => isWellFormedKey(k)));

describe('bulk load', () => {
  it('writes the same records as one commit of the same keys, with the reference root (property)', async () => {
    await fc.assert(
      fc.asyncProperty(entriesArb, fc.bigInt({ min: 1n, max: 1000n }), async (entries, height) => {
        const root = mkdtempSync(join(tmpdir(), 'cmtd-bulk-'));
        try {
          const appHash = await bulkLoad(join(root, 'bulk'), height, entries.length, (i) => entries[i]!);
          assert.equal(hex(appHash), hex(referenceRoot(new Map(entries))));

          const store = await CommittedStore.open(join(root, 'committed'), { stateHistory: 0 });
          const pending = store.computeRoot(entries);
          await store.commit(height, pending, pending.root);
          await store.close();
          assert.deepEqual(await records(join(root, 'bulk')), await records(join(root, 'committed')));
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a loaded state of 30,000 keys (built in several async steps) opens, reads, proves and takes further blocks like a committed one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cmtd-bulk-'));
    try {
      const entries: Array<[string, Uint8Array]> = Array.from({ length: 30_000 }, (_, i) => [`a/${i.toString(16)}`, Uint8Array.of(i & 0xff, i >> 8)]);
      const appHash = await bulkLoad(join(root, 'bulk'), 5n, entries.length, (i) => entries[i]!);
      const bulk = await CommittedStore.open(join(root, 'bulk'));
      const committed = await CommittedStore.open(join(root, 'committed'));
      const first = committed.computeRoot(entries);
      await committed.commit(5n, first, first.root);
      assert.equal(hex(appHash), hex(committed.appHash));
      assert.equal(bulk.height, 5n);
      assert.equal(bulk.size, 30_000);
      assert.deepEqual(bulk.get('a/abc'), entries[0xabc]![1]);
      const proof = bulk.prove('a/1f');
      assert.ok(CommittedStore.verifyProof(bulk.appHash, 'a/1f', entries[0x1f]![1], proof));
      await bulk.verify();

      const block: Array<[string, Change]> = [
        ['a/0', null],
        ['a/1', Uint8Array.of(9)],
        ['new', Uint8Array.of(1)],
      ];
      for (const store of [bulk, committed]) {
        const p = store.computeRoot(block);
        await store.commit(6n, p, p.root);
      }
      assert.equal(hex(bulk.appHash), hex(committed.appHash));
      assert.deepEqual(bulk.getAt('a/0', 5n), entries[0]![1]);
      assert.equal(bulk.get('a/0'), undefined);
      await bulk.close();
      await committed.close();
      assert.deepEqual(await records(join(root, 'bulk')), await records(join(root, 'committed')));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a directory that already holds a store, and duplicate keys', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cmtd-bulk-'));
    try {
      await bulkLoad(join(root, 'a'), 1n, 1, () => ['k', Uint8Array.of(1)]);
      await assert.rejects(
        bulkLoad(join(root, 'a'), 1n, 1, () => ['k', Uint8Array.of(1)]),
        StoreUsageError,
      );
      await assert.rejects(
        bulkLoad(join(root, 'b'), 1n, 2, () => ['same', Uint8Array.of(1)]),
        /appears twice/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
