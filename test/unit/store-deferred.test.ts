/**
 * Deferred writes of the committed store (CommittedStore.deferWrites/flush),
 * used by replay to write LevelDB once per many blocks: the app hash of every
 * version, every read (latest, historical, proofs) and the state on disk
 * after a flush are those of a store that wrote each commit on its own; a
 * tiny cache forces reads of evicted records through the deferred ones.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommittedStore, StoreUsageError } from '../../src/store/committed-store.js';
import type { Change } from '../../src/store/kv.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

/** A deterministic pseudo-random block: sets and deletes over 300 keys. */
function blockChanges(height: number): Array<[string, Change]> {
  const changes: Array<[string, Change]> = [];
  let seed = height * 7919;
  for (let i = 0; i < 25; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const key = `k/${seed % 300}`;
    changes.push([key, seed % 5 === 0 ? null : bytes(`v${height}-${i}-${seed}`)]);
  }
  return changes;
}

describe('CommittedStore deferred writes (replay batching)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-store-deferred-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every version the same app hash and reads as a store writing each commit, and persists it on flush', async () => {
    const plain = await CommittedStore.open(join(dir, 'plain'), { stateHistory: 0 });
    // A cache of a few KiB: most records read back come from the deferred ones, not memory.
    const batched = await CommittedStore.open(join(dir, 'batched'), { stateHistory: 0, cacheBytes: 4096 });
    try {
      for (let h = 1; h <= 60; h++) {
        if (h % 7 === 1) batched.deferWrites();
        const changes = blockChanges(h);
        const a = plain.computeRoot(changes);
        const b = batched.computeRoot(changes);
        assert.equal(hex(b.root), hex(a.root), `app hash of version ${h}`);
        await plain.commit(BigInt(h), a, a.root);
        await batched.commit(BigInt(h), b, b.root);
        for (let k = 0; k < 300; k += 13) assert.equal(hex(batched.get(`k/${k}`)), hex(plain.get(`k/${k}`)), `k/${k} at ${h}`);
        if (h > 3) {
          assert.equal(hex(batched.getAt('k/26', BigInt(h - 3))), hex(plain.getAt('k/26', BigInt(h - 3))));
          assert.deepEqual(batched.prove('k/39', BigInt(h - 2)), plain.prove('k/39', BigInt(h - 2)));
        }
        if (h % 7 === 0) await batched.flush();
      }
      assert.ok(batched.deferredRecords > 0, 'versions 57-60 are still deferred');
      await assert.rejects(batched.getExtra('x'), StoreUsageError);
      await batched.flush();
      assert.equal(batched.deferredRecords, 0);
    } finally {
      await plain.close();
      await batched.close();
    }
    const reopened = await CommittedStore.open(join(dir, 'batched'));
    const reference = await CommittedStore.open(join(dir, 'plain'));
    try {
      assert.equal(reopened.height, 60n);
      assert.equal(hex(reopened.appHash), hex(reference.appHash));
      await reopened.verify();
      assert.equal(hex(reopened.appHashAt(30n)), hex(reference.appHashAt(30n)));
    } finally {
      await reopened.close();
      await reference.close();
    }
  });

  it('leaves the last flushed version on disk when deferred commits are never flushed (a crash)', async () => {
    const store = await CommittedStore.open(join(dir, 's'));
    let flushedHash: string | undefined;
    for (let h = 1; h <= 10; h++) {
      if (h === 6) store.deferWrites();
      const p = store.computeRoot(blockChanges(h));
      await store.commit(BigInt(h), p, p.root);
      if (h === 5) flushedHash = hex(p.root);
    }
    assert.equal(store.height, 10n);
    await store.close(); // closed without flush: versions 6-10 are lost, 5 is intact
    const reopened = await CommittedStore.open(join(dir, 's'));
    try {
      assert.equal(reopened.height, 5n);
      assert.equal(hex(reopened.appHash), flushedHash);
      await reopened.verify();
    } finally {
      await reopened.close();
    }
  });
});

describe('CommittedStore deferred writes: a failed commit', () => {
  it('leaves no record of a commit refused halfway (a bad extra key) in the deferred batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmtd-store-deferred-fail-'));
    try {
      const store = await CommittedStore.open(join(dir, 's'));
      const first = store.computeRoot(blockChanges(1));
      await store.commit(1n, first, first.root);
      store.deferWrites();
      const records = store.deferredRecords;
      const bad = store.computeRoot(blockChanges(2));
      await assert.rejects(store.commit(2n, bad, bad.root, [['bad\u0000key', bytes('x')]]), StoreUsageError);
      assert.equal(store.deferredRecords, records, 'nothing of the refused commit is deferred');
      await store.flush();
      await store.close();
      const reopened = await CommittedStore.open(join(dir, 's'));
      try {
        assert.equal(reopened.height, 1n);
        assert.equal(hex(reopened.appHash), hex(first.root));
        await reopened.verify();
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
