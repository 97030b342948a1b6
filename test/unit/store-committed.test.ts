import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

import { CommittedStore, nodesDir, PendingRoot, StoreCorruptionError, StoreUsageError } from '../../src/store/committed-store.js';
import { Overlay, type Change } from '../../src/store/kv.js';

const emptyRoot = (): Uint8Array => new Uint8Array(32);
import { referenceRoot } from './fixtures/store-reference.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const key = (s: string): Buffer => Buffer.from(s, 'utf8');

async function rawDb(dir: string): Promise<ClassicLevel<Buffer, Uint8Array>> {
  const db = new ClassicLevel<Buffer, Uint8Array>(dir, { keyEncoding: 'buffer', valueEncoding: 'view' });
  await db.open();
  return db;
}

describe('CommittedStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function commitChanges(store: CommittedStore, height: bigint, changes: Array<[string, Change]>, extra?: Array<[string, Change]>): Promise<void> {
    const pending = store.computeRoot(changes);
    await store.commit(height, pending, pending.root, extra);
  }

  it('a new store is empty at height 0 with the empty-state root', async () => {
    const store = await CommittedStore.open(dir);
    assert.equal(store.height, 0n);
    assert.equal(hex(store.appHash), hex(emptyRoot()));
    assert.equal(store.size, 0);
    assert.equal(store.get('x'), undefined);
    await store.close();
    const again = await CommittedStore.open(dir);
    assert.equal(again.height, 0n);
    await again.close();
  });

  it('heights with gaps (computeRoot assumes the next one): the nodes carry the committed height, every version reads and proves', async () => {
    let store = await CommittedStore.open(dir, { stateHistory: 0, cacheBytes: 1 << 20 });
    const heights = [3n, 4n, 9n, 10n, 30n];
    const states: Array<Map<string, Uint8Array>> = [];
    let state = new Map<string, Uint8Array>();
    for (const [i, height] of heights.entries()) {
      const changes: Array<[string, Change]> = [];
      for (let k = 0; k < 40; k++) changes.push([`a/${(k * 7 + i * 13) % 60}`, k % 9 === i ? null : bytes(`${height}/${k}`)]);
      await store.prefetch(changes.map(([k]) => k));
      await commitChanges(store, height, changes);
      state = new Map(state);
      for (const [k, v] of changes) {
        if (v === null) state.delete(k);
        else state.set(k, v);
      }
      states.push(state);
      assert.equal(hex(store.appHash), hex(referenceRoot(state)), `root at height ${height}`);
    }
    await store.close();
    store = await CommittedStore.open(dir, { stateHistory: 0, cacheBytes: 2048 });
    await store.verify();
    for (const [i, height] of heights.entries()) {
      assert.equal(hex(store.appHashAt(height)), hex(referenceRoot(states[i]!)));
      for (let k = 0; k < 60; k++) {
        const name = `a/${k}`;
        assert.deepEqual(store.getAt(name, height), states[i]!.get(name), `${name} at ${height}`);
        assert.equal(CommittedStore.verifyProof(store.appHashAt(height), name, states[i]!.get(name), store.prove(name, height)), true);
      }
    }
    await store.close();
  });

  it('a value larger than the encoding scratch (100 KiB) is written, read back and proven like a small one', async () => {
    const store = await CommittedStore.open(dir);
    const big = new Uint8Array(100 * 1024).map((_, i) => (i * 7) & 0xff);
    const state = new Map<string, Uint8Array>([
      ['big', big],
      ['small', bytes('s')],
      ['a/1', bytes('one')],
    ]);
    await commitChanges(store, 1n, [...state]);
    assert.equal(hex(store.appHash), hex(referenceRoot(state)));
    await commitChanges(store, 2n, [['a/2', bytes('two')]]); // 'big' keeps its leaf, read back through the tree
    assert.deepEqual(store.getAt('big', 1n), big);
    assert.equal(CommittedStore.verifyProof(store.appHash, 'big', big, store.prove('big')), true);
    await store.verify();
    await store.close();
  });

  it('a read-ahead still running when the store closes ends quietly', async () => {
    const store = await CommittedStore.open(dir, { cacheBytes: 0 });
    const keys = Array.from({ length: 2000 }, (_, i) => `a/${i}`);
    await commitChanges(
      store,
      1n,
      keys.map((k): [string, Change] => [k, bytes(k)]),
    );
    const reading = store.prefetch(keys);
    await store.close();
    await reading; // resolves: nothing to read ahead for a closed store
    await assert.rejects(store.prefetch(keys), /closed/);
  });

  it('a read-ahead of values answers like direct reads, and one that races a commit leaves no value older than the commit', async () => {
    // 32 KiB of values cached: most of the 2,000 keys are read from LevelDB.
    const store = await CommittedStore.open(dir, { cacheBytes: 64 * 1024 });
    const keys = Array.from({ length: 2000 }, (_, i) => `a/${i}`);
    await commitChanges(
      store,
      1n,
      keys.map((k): [string, Change] => [k, bytes(`old ${k}`)]),
    );
    await store.prefetch([...keys, 'absent/1', 'absent/2']);
    for (const k of keys) assert.equal(text(store.get(k)), `old ${k}`);
    assert.equal(store.get('absent/1'), undefined);
    const pending = store.computeRoot(keys.map((k, i): [string, Change] => [k, i % 10 === 0 ? null : bytes(`new ${k}`)]));
    const reading = store.prefetch(keys); // its reads may see the state before the commit below
    await store.commit(2n, pending, pending.root);
    await reading;
    for (const [i, k] of [...keys.entries()].reverse()) assert.equal(text(store.get(k)), i % 10 === 0 ? undefined : `new ${k}`, k);
    // Deferred commits stay out of LevelDB, so here the reads surely see the state before the commit.
    store.deferWrites();
    const deferred = store.computeRoot(keys.map((k): [string, Change] => [k, bytes(`newer ${k}`)]));
    const stale = store.prefetch(keys);
    await store.commit(3n, deferred, deferred.root);
    await stale;
    // Newest first: reading the others would evict what a stale read-ahead put in the small cache last.
    for (const k of [...keys].reverse()) assert.equal(text(store.get(k)), `newer ${k}`, k);
    await store.flush();
    await store.close();
  });

  it('commits, then reopens with the same height, app hash and values', async () => {
    const store = await CommittedStore.open(dir);
    await commitChanges(store, 1n, [
      ['a/1', bytes('one')],
      ['a/2', bytes('two')],
      ['empty', new Uint8Array(0)],
    ]);
    await commitChanges(store, 2n, [
      ['a/2', bytes('TWO')],
      ['a/3', bytes('three')],
    ]);
    const expected = new Map([
      ['a/1', bytes('one')],
      ['a/2', bytes('TWO')],
      ['a/3', bytes('three')],
      ['empty', new Uint8Array(0)],
    ]);
    assert.equal(store.height, 2n);
    assert.equal(hex(store.appHash), hex(referenceRoot(expected)));
    const hash = hex(store.appHash);
    await store.close();

    const reopened = await CommittedStore.open(dir);
    assert.equal(reopened.height, 2n);
    assert.equal(hex(reopened.appHash), hash);
    assert.equal(reopened.size, 4);
    for (const [k, v] of expected) {
      assert.deepEqual(reopened.get(k), v, k);
      const got = reopened.get(k)!;
      assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype, 'plain Uint8Array, not Buffer');
      assert.equal(got.byteOffset, 0);
      assert.equal(got.buffer.byteLength, got.length, 'its own ArrayBuffer, as after a commit');
    }
    assert.equal(reopened.get('empty')?.length, 0, 'an empty value is present, not absent');
    await reopened.close();
  });

  it('a block of more nodes than one batch takes (two node batches) commits, reopens and reads back whole, with no cache', async () => {
    // 16,000 new keys make ≈ 17,000 nodes: over SPLIT_NODE_BATCHES_FROM (16,384), so two batches.
    const store = await CommittedStore.open(dir, { cacheBytes: 0 });
    const expected = new Map<string, Uint8Array>();
    for (let i = 0; i < 16_000; i++) expected.set(`big/${i}`, bytes(`value ${i}`));
    await commitChanges(store, 1n, [...expected]);
    assert.equal(hex(store.appHash), hex(referenceRoot(expected)));
    await store.close();
    const reopened = await CommittedStore.open(dir, { cacheBytes: 0 });
    assert.equal(hex(reopened.appHash), hex(referenceRoot(expected)));
    assert.equal(reopened.size, expected.size);
    await reopened.verify(); // the values
    // The nodes, read from disk: a proof of every key walks every node of both batches.
    for (const [k, v] of expected) assert.equal(CommittedStore.verifyProof(reopened.appHash, k, v, reopened.prove(k)), true, k);
    await reopened.close();
  });

  it('a key deleted in a block is gone from memory, from disk, and after reopen', async () => {
    const store = await CommittedStore.open(dir);
    await commitChanges(store, 1n, [
      ['keep', bytes('k')],
      ['doomed', bytes('d')],
    ]);
    await commitChanges(store, 2n, [['doomed', null]]);
    assert.equal(store.get('doomed'), undefined);
    assert.equal(hex(store.appHash), hex(referenceRoot(new Map([['keep', bytes('k')]]))));
    await store.close();

    const db = await rawDb(dir);
    assert.equal(await db.get(key('sdoomed')), undefined, 'the latest-value record is really deleted');
    assert.equal(text((await db.get(key('skeep')))?.subarray(8)), 'k');
    await db.close();

    const reopened = await CommittedStore.open(dir);
    assert.equal(reopened.get('doomed'), undefined);
    assert.equal(text(reopened.get('keep')), 'k');
    assert.equal(reopened.size, 1);
    await reopened.close();
  });

  it('commit through an Overlay: deletes in the block cache reach the store', async () => {
    const store = await CommittedStore.open(dir);
    await commitChanges(store, 1n, [
      ['a', bytes('1')],
      ['b', bytes('2')],
    ]);
    const block = new Overlay(store);
    block.delete('a');
    block.set('c', bytes('3'));
    assert.equal(block.get('a'), undefined, 'the overlay hides the committed value');
    assert.equal(text(store.get('a')), '1', 'the store still has it until commit');
    const pending = store.computeRoot(block.sortedChanges());
    assert.equal(text(store.get('a')), '1', 'computeRoot changes nothing');
    assert.equal(store.get('c'), undefined);
    await store.commit(2n, pending, pending.root);
    assert.equal(store.get('a'), undefined);
    assert.equal(text(store.get('c')), '3');
  });

  it('commit accepts plain changes too, last change of a key wins', async () => {
    const store = await CommittedStore.open(dir);
    const changes: Array<[string, Change]> = [
      ['k', bytes('1')],
      ['k', null],
      ['j', null],
      ['j', bytes('2')],
    ];
    const root = referenceRoot(new Map([['j', bytes('2')]]));
    await store.commit(1n, changes, root);
    assert.equal(store.get('k'), undefined);
    assert.equal(text(store.get('j')), '2');
    await store.close();
  });

  it('values are copied: mutating the caller buffer after commit changes nothing', async () => {
    const store = await CommittedStore.open(dir);
    const v = bytes('abc');
    const b = Buffer.from('xyz'); // Buffer#slice does not copy: the store must
    await commitChanges(store, 1n, [
      ['k', v],
      ['b', b],
    ]);
    v[0] = 0x7a;
    b[0] = 0x41;
    assert.equal(text(store.get('k')), 'abc');
    assert.equal(text(store.get('b')), 'xyz');
    assert.equal(Object.getPrototypeOf(store.get('b')), Uint8Array.prototype);
    assert.equal(store.get('b')!.buffer.byteLength, 3);
    await store.close();
  });

  it('extra records are stored outside the Merkle state and survive reopen', async () => {
    const store = await CommittedStore.open(dir);
    await commitChanges(
      store,
      1n,
      [['s', bytes('state')]],
      [
        ['blk/0001', bytes('b1')],
        ['tx/aa', bytes('t1')],
      ],
    );
    await commitChanges(
      store,
      2n,
      [],
      [
        ['blk/0002', bytes('b2')],
        ['blk/0003', bytes('b3')],
        ['tx/aa', null],
      ],
    );
    assert.equal(store.height, 2n);
    assert.equal(hex(store.appHash), hex(referenceRoot(new Map([['s', bytes('state')]]))));
    assert.equal(store.get('blk/0001'), undefined, 'extra is not consensus state');
    assert.equal(text(await store.getExtra('blk/0001')), 'b1');
    assert.equal(await store.getExtra('tx/aa'), undefined);
    assert.deepEqual(
      (await store.scanExtra('blk/')).map(([k, v]) => [k, text(v)]),
      [
        ['blk/0001', 'b1'],
        ['blk/0002', 'b2'],
        ['blk/0003', 'b3'],
      ],
    );
    assert.deepEqual(
      (await store.scanExtra('blk/', { reverse: true, limit: 2 })).map(([k]) => k),
      ['blk/0003', 'blk/0002'],
    );
    assert.deepEqual((await store.scanExtra('')).length, 3);
    await store.close();
    const reopened = await CommittedStore.open(dir);
    assert.equal(text(await reopened.getExtra('blk/0003')), 'b3');
    await reopened.close();
  });

  it('proofs against the committed app hash', async () => {
    const store = await CommittedStore.open(dir);
    const changes: Array<[string, Change]> = [];
    for (let i = 0; i < 5000; i++) changes.push([`a/${i}`, bytes(`v${i}`)]);
    await commitChanges(store, 1n, changes);
    const root = store.appHash;
    assert.equal(CommittedStore.verifyProof(root, 'a/42', bytes('v42'), store.prove('a/42')), true);
    assert.equal(CommittedStore.verifyProof(root, 'a/42', bytes('v43'), store.prove('a/42')), false);
    assert.equal(CommittedStore.verifyProof(root, 'nope', undefined, store.prove('nope')), true);
    await store.close();
  });

  it('rejects a wrong app hash, a non-increasing height and a stale PendingRoot, writing nothing', async () => {
    const store = await CommittedStore.open(dir);
    await commitChanges(store, 5n, [['a', bytes('1')]]);
    const goodHash = hex(store.appHash);

    const p = store.computeRoot([['a', bytes('2')]]);
    const wrong = Uint8Array.from(p.root);
    wrong[31]! ^= 1;
    await assert.rejects(store.commit(6n, p, wrong), StoreUsageError);
    await assert.rejects(store.commit(5n, p, p.root), StoreUsageError);
    await assert.rejects(store.commit(4n, p, p.root), /last committed height is 5/);
    assert.equal(store.height, 5n);
    assert.equal(text(store.get('a')), '1');

    // only the latest computeRoot can be committed, and only once
    const superseded = store.computeRoot([['c', bytes('1')]]);
    const p1 = store.computeRoot([['b', bytes('1')]]);
    await assert.rejects(store.commit(6n, superseded, superseded.root), /stale/);
    await store.commit(6n, p1, p1.root);
    await assert.rejects(store.commit(7n, p1, p1.root), /stale/);
    assert.equal(store.get('c'), undefined);

    const other = await CommittedStore.open(join(dir, 'other'));
    const foreign = other.computeRoot([['z', bytes('1')]]);
    await assert.rejects(store.commit(7n, foreign, foreign.root), /another store/);
    await other.close();

    assert.throws(() => store.computeRoot([['\uDC00', bytes('x')]]), StoreUsageError);
    assert.ok(p instanceof PendingRoot);
    await store.close();

    const reopened = await CommittedStore.open(dir);
    assert.equal(reopened.height, 6n);
    assert.notEqual(hex(reopened.appHash), goodHash);
    assert.equal(text(reopened.get('a')), '1');
    assert.equal(text(reopened.get('b')), '1');
    await reopened.close();
    await assert.rejects(store.commit(7n, [], emptyRoot()), /closed/);
  });

  it('a second open of the same directory fails with a clear error', async () => {
    const store = await CommittedStore.open(dir);
    await assert.rejects(CommittedStore.open(dir), /cannot open the state store .* another cmtd/);
    await store.close();
  });

  it('reads during a commit see the previous version until the commit returns', async () => {
    const store = await CommittedStore.open(dir, { cacheBytes: 0 }); // no cache: every read goes to LevelDB
    const keys = Array.from({ length: 2000 }, (_, i) => `k/${i}`);
    await commitChanges(
      store,
      1n,
      keys.map((k) => [k, bytes('old')]),
    );
    const pending = store.computeRoot(keys.map((k) => [k, bytes('new')]));
    let done = false;
    const commit = store.commit(2n, pending, pending.root).then(() => (done = true));
    let reads = 0;
    while (!done) {
      for (const k of keys) assert.equal(text(store.get(k)), 'old', `${k} read while height ${store.height} is the latest`);
      reads++;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await commit;
    assert.ok(reads > 0);
    assert.equal(text(store.get('k/7')), 'new');
    await store.close();
  });

  it('rejects overlapping commits', async () => {
    const store = await CommittedStore.open(dir);
    const p1 = store.computeRoot([['a', bytes('1')]]);
    const first = store.commit(1n, p1, p1.root);
    await assert.rejects(store.commit(2n, [], emptyRoot()), /in progress/);
    await first;
    assert.equal(store.height, 1n);
    await store.close();
  });

  describe('corruption detection', () => {
    async function seed(): Promise<void> {
      const store = await CommittedStore.open(dir);
      await commitChanges(
        store,
        1n,
        [
          ['a', bytes('1')],
          ['b', bytes('2')],
        ],
        [['idx', bytes('i')]],
      );
      await store.close();
    }

    /** The database keys starting with `prefix`. */
    async function keysWith(prefix: string): Promise<Buffer[]> {
      const db = await rawDb(dir);
      const keys = (await db.keys().all()).filter((k) => k.subarray(0, prefix.length).equals(key(prefix)));
      await db.close();
      return keys;
    }

    it('open: a tampered root node', async () => {
      await seed();
      assert.deepEqual(await keysWith('N'), [], 'tree nodes live in their own database');
      const nodes = await rawDb(nodesDir(dir));
      const [root] = await nodes.keys({ limit: 1 }).all(); // the only internal node of two keys, version 1
      await nodes.close();
      assert.ok(root !== undefined, 'a root node');
      const db = await rawDb(nodesDir(dir));
      const bytes0 = Buffer.from((await db.get(root))!);
      bytes0[bytes0.length - 1]! ^= 1;
      await db.put(root, bytes0);
      await db.close();
      await assert.rejects(CommittedStore.open(dir), (err: unknown) => {
        assert.ok(err instanceof StoreCorruptionError);
        assert.match(err.message, /corrupt.*height 1/);
        return true;
      });
    });

    it('open: a missing root record', async () => {
      await seed();
      const db = await rawDb(dir);
      for (const k of await db.keys().all()) if (k[0] === 0x72 /* r */) await db.del(k);
      await db.close();
      await assert.rejects(CommittedStore.open(dir), /no root record/);
    });

    it('verify(): a tampered, an extra and a missing value', async () => {
      for (const damage of ['tamper', 'extra', 'missing'] as const) {
        rmSync(dir, { recursive: true, force: true });
        await seed();
        const db = await rawDb(dir);
        const record = (v: string): Uint8Array => Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), key(v)]);
        if (damage === 'tamper') await db.put(key('sa'), record('X'));
        if (damage === 'extra') await db.put(key('sc'), record('3'));
        if (damage === 'missing') await db.del(key('sb'));
        await db.close();
        const store = await CommittedStore.open(dir); // O(1): does not read the values
        await assert.rejects(store.verify(), StoreCorruptionError, damage);
        await store.close();
      }
    });

    it('open: records without a commit record, or a bad commit record', async () => {
      await seed();
      const db = await rawDb(dir);
      await db.put(key('m:commit'), bytes('garbage'));
      await db.close();
      await assert.rejects(CommittedStore.open(dir), /unrecognised commit record/);
      const db2 = await rawDb(dir);
      await db2.del(key('m:commit'));
      await db2.close();
      await assert.rejects(CommittedStore.open(dir), /no commit record/);
    });

    it('tampering with extra records is not state corruption', async () => {
      await seed();
      const db = await rawDb(dir);
      await db.put(key('x:idx'), bytes('changed'));
      await db.close();
      const store = await CommittedStore.open(dir);
      await store.verify();
      assert.equal(text(await store.getExtra('idx')), 'changed');
      await store.close();
    });

    it('the database is closed after a failed open (it can be reopened)', async () => {
      await seed();
      const db = await rawDb(dir);
      const meta = Buffer.from((await db.get(key('m:commit')))!);
      await db.put(key('m:commit'), bytes('garbage'));
      await db.close();
      await assert.rejects(CommittedStore.open(dir), StoreCorruptionError);
      const again = await rawDb(dir); // would fail with a LOCK error if still open
      await again.put(key('m:commit'), meta);
      await again.close();
      const store = await CommittedStore.open(dir);
      assert.equal(store.height, 1n);
      await store.close();
    });
  });
});
