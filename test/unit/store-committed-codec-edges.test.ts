import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

import { ByteArena } from '../../src/store/byte-arena.js';
import { CommittedStore, META_KEY, StoreCorruptionError, deletionKey, encodeMeta, resolve, rootKey } from '../../src/store/committed-store.js';
import { NEW_VERSION } from '../../src/store/tree.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

async function rawDb(dir: string): Promise<ClassicLevel<Buffer, Uint8Array>> {
  const db = new ClassicLevel<Buffer, Uint8Array>(dir, { keyEncoding: 'buffer', valueEncoding: 'view' });
  await db.open();
  return db;
}

/** u64 big-endian, as docs/STORE.md lays out versions. */
function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

describe('committed-store record codecs (edges)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-codec-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function storeAtHeight1(value = 'v'): Promise<void> {
    const store = await CommittedStore.open(dir);
    const pending = store.computeRoot([['k', bytes(value)]]);
    await store.commit(1n, pending, pending.root);
    await store.close();
  }

  async function overwrite(key: Buffer, value: Uint8Array): Promise<void> {
    const db = await rawDb(dir);
    await db.put(key, value);
    await db.close();
  }

  it('resolve: undefined stays undefined, a committed version is kept, NEW_VERSION becomes the given version', () => {
    assert.equal(resolve(undefined, 5), undefined);
    const old = { version: 3, leaf: true, hash: 'h'.repeat(32) };
    assert.deepEqual(resolve(old, 5), old);
    const fresh = { version: NEW_VERSION, leaf: false, hash: 'g'.repeat(32) };
    assert.deepEqual(resolve(fresh, 7), { version: 7, leaf: false, hash: 'g'.repeat(32) });
  });

  it('encodeMeta: format 7, u64 BE height, app hash, u64 BE key count (bytes >= 0x80 kept as single bytes)', () => {
    const appHash = new Uint8Array(32).fill(0xab);
    const meta = encodeMeta(0x1_0000_0081, appHash, 0xff80);
    const expected = Buffer.concat([Buffer.from([7]), u64(0x1_0000_0081n), Buffer.from(appHash), u64(0xff80n)]);
    assert.equal(Buffer.from(meta).toString('hex'), expected.toString('hex'));
  });

  for (const [format, what] of [
    [2, /is format 2 \(tree nodes under 'n'.*\), written by an older cmtd; this one reads format 7 .*rebuild the state/],
    [3, /is format 3 \(every internal node folded binary: another app hash\), written by an older cmtd; this one reads format 7 .*rebuild the state/],
    [4, /is format 4 \(every change also kept as a history record under 'h'\), written by an older cmtd; this one reads format 7 .*rebuild the state/],
    [5, /is format 5 \(tree nodes in the same LevelDB as the values\), written by an older cmtd; this one reads format 7 .*rebuild the state/],
    [6, /is format 6 \(pair hashes tagged 0x01: another app hash\), written by an older cmtd; this one reads format 7 .*rebuild the state/],
  ] as const) {
    it(`a format-${format} store is refused with what differs and what to do`, async () => {
      await storeAtHeight1();
      const db = await rawDb(dir);
      const meta = Buffer.from((await db.get(META_KEY))!);
      await db.close();
      meta[0] = format;
      await overwrite(META_KEY, meta);
      await assert.rejects(CommittedStore.open(dir), (err: unknown) => {
        assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
        assert.match(err.message, what);
        assert.ok(err.message.includes(dir), 'the message names the directory');
        return true;
      });
    });
  }

  it('a height above 2^32 is read back big-endian from the commit record', async () => {
    const h = 0x1_0000_0005n;
    let store = await CommittedStore.open(dir);
    const pending = store.computeRoot([['k', bytes('v')]]);
    await store.commit(h, pending, pending.root);
    await store.close();
    store = await CommittedStore.open(dir);
    assert.equal(store.height, h);
    assert.equal(text(store.get('k')), 'v');
    await store.close();
  });

  it('a single-leaf root reopens (leaf flag) and an empty root (0x00) reopens as empty', async () => {
    await storeAtHeight1('leafy');
    let store = await CommittedStore.open(dir);
    assert.equal(text(store.get('k')), 'leafy');
    assert.equal(text(store.getAt('k', 1n)), 'leafy');
    const pending = store.computeRoot([['k', null]]);
    await store.commit(2n, pending, pending.root);
    await store.close();
    store = await CommittedStore.open(dir);
    assert.equal(store.height, 2n);
    assert.equal(store.get('k'), undefined);
    assert.equal(store.size, 0);
    await store.close();
  });

  for (const [name, record, len] of [
    ['a lone 0x01', Buffer.from([1]), 1],
    ['42 bytes starting 0x00', Buffer.alloc(42), 42],
    ['43 bytes starting 0x01', Buffer.concat([Buffer.from([1]), Buffer.alloc(42)]), 43],
  ] as const) {
    it(`a malformed root record (${name}) is reported as corruption`, async () => {
      await storeAtHeight1();
      if (len === 43) {
        // a valid 42-byte root followed by one extra byte
        const db = await rawDb(dir);
        const good = await db.get(rootKey(1));
        await db.close();
        assert.ok(good !== undefined && good.length === 42, 'the committed root record is 42 bytes');
        await overwrite(rootKey(1), Buffer.concat([Buffer.from(good), Buffer.from([0])]));
      } else {
        await overwrite(rootKey(1), record);
      }
      await assert.rejects(CommittedStore.open(dir), (err: unknown) => {
        assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
        assert.match(err.message, new RegExp(`malformed root record \\(${len} bytes\\)`));
        return true;
      });
    });
  }

  it('a commit record of the wrong format or length is reported as unrecognised', async () => {
    await storeAtHeight1();
    const db = await rawDb(dir);
    const meta = Buffer.from((await db.get(META_KEY))!);
    await db.close();
    const wrongFormat = Buffer.from(meta);
    wrongFormat[0] = 8;
    const tooLong = Buffer.concat([meta, Buffer.from([0])]);
    for (const bad of [wrongFormat, tooLong]) {
      await overwrite(META_KEY, bad);
      await assert.rejects(CommittedStore.open(dir), (err: unknown) => {
        assert.ok(err instanceof StoreCorruptionError, `expected StoreCorruptionError, got ${String(err)}`);
        assert.match(err.message, /unrecognised commit record/);
        return true;
      });
    }
  });

  it('a commit record whose app hash differs from the root names both hashes in hex', async () => {
    await storeAtHeight1();
    const wrong = new Uint8Array(32).fill(0x5a);
    await overwrite(META_KEY, encodeMeta(1, wrong, 1));
    await assert.rejects(CommittedStore.open(dir), (err: unknown) => {
      assert.ok(err instanceof Error, 'an Error');
      assert.ok(err.message.includes('5a'.repeat(32)), `message names the recorded hash: ${err.message}`);
      return true;
    });
  });

  it('deferred writes: a delete then flush removes the key for good; the old version still reads', async () => {
    await storeAtHeight1('old');
    let store = await CommittedStore.open(dir);
    store.deferWrites();
    const pending = store.computeRoot([['k', null]]);
    await store.commit(2n, pending, pending.root);
    await store.flush();
    await store.close();
    store = await CommittedStore.open(dir);
    assert.equal(store.get('k'), undefined);
    assert.equal(store.getAt('k', 2n), undefined);
    assert.equal(text(store.getAt('k', 1n)), 'old');
    await store.close();
  });
  it('a delete is stored as a deletion record: d key 0x00 u64 version, empty (docs/STORE.md)', async () => {
    await storeAtHeight1();
    const store = await CommittedStore.open(dir);
    const pending = store.computeRoot([['k', null]]);
    await store.commit(2n, pending, pending.root);
    await store.close();
    const db = await rawDb(dir);
    const rec = await db.get(Buffer.concat([Buffer.from('dk'), Buffer.from([0]), u64(2n)]));
    const latest = await db.get(Buffer.from('sk'));
    const history = await db.keys({ gte: Buffer.from('h'), lt: Buffer.from('i') }).all();
    await db.close();
    assert.ok(rec !== undefined, 'the delete has a deletion record');
    assert.equal(Buffer.from(rec).toString('hex'), '');
    assert.equal(latest, undefined, 'the latest-value record is gone');
    assert.deepEqual(history, [], 'no history records');
  });

  // Stale lists hold record keys (deletion key = 'd' key 0x00 u64): user keys of 200 and 118 bytes give 210- and 128-byte records, uvarints d2 01 and 80 01.
  const longKey = 'L'.repeat(200);
  const key128 = 'M'.repeat(118); // its deletion key is 1 + 118 + 1 + 8 = 128 bytes

  /** Heights 1 and 3 set both keys, height 2 deletes them: the stale list of 2 names their deletion records. */
  async function longKeyHistory(): Promise<void> {
    const store = await CommittedStore.open(dir, { stateHistory: 0 });
    for (const h of [1n, 2n, 3n]) {
      const pending = store.computeRoot([
        [longKey, h === 2n ? null : bytes(`v${h}`)],
        [key128, h === 2n ? null : bytes(`w${h}`)],
      ]);
      await store.commit(h, pending, pending.root);
    }
    await store.close();
  }

  it('pruning decodes multi-byte stale-list lengths: the deletion records of pruned versions go, the values stay', async () => {
    await longKeyHistory();
    const dk = (key: string, v: bigint): Buffer => Buffer.concat([Buffer.from('d'), Buffer.from(key, 'utf8'), Buffer.from([0]), u64(v)]);
    assert.equal(deletionKey(new ByteArena(), longKey, u64(2n).toString('latin1')).toString('hex'), dk(longKey, 2n).toString('hex'));
    let db = await rawDb(dir);
    assert.ok((await db.get(dk(longKey, 2n))) !== undefined, 'the deletion is recorded while version 1 is kept');
    assert.ok((await db.get(dk(key128, 2n))) !== undefined);
    await db.close();
    const errors: string[] = [];
    const logger = { info: () => {}, warn: () => {}, debug: () => {}, error: (msg: string, f?: { error?: string }) => errors.push(`${msg}: ${f?.error}`) };
    const store = await CommittedStore.open(dir, { stateHistory: 1, logger: logger as never });
    await store.pruned();
    assert.equal(text(store.get(longKey)), 'v3');
    assert.equal(text(store.get(key128)), 'w3');
    await store.close();
    assert.deepEqual(errors, []);
    db = await rawDb(dir);
    const stale = await db.keys({ gte: Buffer.from('p'), lt: Buffer.from('q') }).all();
    const deletions = await db.keys({ gte: Buffer.from('d'), lt: Buffer.from('e') }).all();
    await db.close();
    assert.deepEqual(deletions, []);
    assert.deepEqual(stale, []);
  });

  for (const [name, list] of [
    ['a length prefix cut off after a continuation byte', Buffer.from([0x80])],
    ['a length longer than the rest', Buffer.from([0x05, 0x61])],
  ] as const) {
    it(`a truncated stale list (${name}) fails pruning as corruption`, async () => {
      await longKeyHistory();
      await overwrite(Buffer.concat([Buffer.from('p'), u64(1n)]), list);
      const errors: string[] = [];
      const logger = { info: () => {}, warn: () => {}, debug: () => {}, error: (msg: string, f?: { error?: string }) => errors.push(`${msg}: ${f?.error}`) };
      const store = await CommittedStore.open(dir, { stateHistory: 1, logger: logger as never });
      await store.pruned();
      await store.close();
      assert.equal(errors.length, 1, `one pruning failure logged: ${errors.join('; ')}`);
      assert.match(errors[0]!, /truncated stale list/);
    });
  }
});
