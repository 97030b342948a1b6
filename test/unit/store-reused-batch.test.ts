/**
 * ReusedBatch (src/store/reused-batch.ts): a commit's LevelDB batch kept,
 * with its native memory, from one write to the next. On a real LevelDB:
 * each write holds exactly what was put since its begin, whatever became
 * of the last one (written, failed, dropped).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

import { ReusedBatch } from '../../src/store/reused-batch.js';
import { patchBatchWrite, patchLevel, withDir } from './fixtures/store-dirs.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

async function withDb(fn: (db: ClassicLevel<Buffer, Uint8Array>) => Promise<void>): Promise<void> {
  await withDir(async (dir) => {
    const db = new ClassicLevel<Buffer, Uint8Array>(join(dir, 'db'), { keyEncoding: 'buffer', valueEncoding: 'view' });
    await db.open();
    try {
      await fn(db);
    } finally {
      await db.close();
    }
  });
}

async function contents(db: ClassicLevel<Buffer, Uint8Array>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const [key, value] of db.iterator()) out[key.toString('latin1')] = Buffer.from(value).toString('latin1');
  return out;
}

describe('ReusedBatch', () => {
  it('writes what was put since its begin, and a second use writes only its own records', async () => {
    await withDb(async (db) => {
      const batch = new ReusedBatch(db, 1 << 20);
      const first = batch.begin();
      first.put(b('a'), b('1'));
      first.put(b('b'), b('2'));
      await first.write({ sync: true });
      assert.deepEqual(await contents(db), { a: '1', b: '2' });

      const second = batch.begin();
      second.put(b('c'), b('3'));
      second.del(b('a'));
      await second.write({ sync: false });
      assert.deepEqual(await contents(db), { b: '2', c: '3' }, "the first use's puts are not written again (a would be back)");
    });
  });

  it('drops what a closed or failed use staged', async () => {
    await withDb(async (db) => {
      const batch = new ReusedBatch(db, 1 << 20);
      const dropped = batch.begin();
      dropped.put(b('dropped'), b('x'));
      await dropped.close();

      const failing = batch.begin();
      failing.put(b('failed'), b('y'));
      const restore = patchBatchWrite(() => async () => {
        throw new Error('injected write failure');
      });
      try {
        await assert.rejects(failing.write({ sync: true }), /injected write failure/);
      } finally {
        restore();
      }

      const written = batch.begin();
      written.put(b('kept'), b('z'));
      await written.write({ sync: true });
      assert.deepEqual(await contents(db), { kept: 'z' });
    });
  });

  it('refuses to begin while its write is under way', async () => {
    await withDb(async (db) => {
      const batch = new ReusedBatch(db, 1 << 20);
      batch.begin().put(b('a'), b('1'));
      const writing = batch.write({ sync: true });
      assert.throws(() => batch.begin(), /while its last write is under way/);
      await writing;
      batch.begin().put(b('b'), b('2'));
      await batch.write({ sync: true });
      assert.deepEqual(await contents(db), { a: '1', b: '2' });
    });
  });

  it('keeps one native batch, and begins a new one after a use that staged more than its limit', async () => {
    await withDb(async (db) => {
      let created = 0;
      const restore = patchLevel(
        'batch',
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            created++;
            return original.apply(this, args);
          },
      );
      try {
        const batch = new ReusedBatch(db, 100);
        for (const [key, bytes] of [
          ['k1', 8],
          ['k2', 48],
          ['k3', 98], // 100 bytes with its key: at the limit, kept
        ] as const) {
          batch.begin().put(b(key), Buffer.alloc(bytes));
          await batch.write({ sync: false });
        }
        assert.equal(created, 1, 'uses within the limit reuse the first batch');
        batch.begin().put(b('big'), Buffer.alloc(200));
        await batch.write({ sync: false });
        assert.equal(created, 1);
        batch.begin().put(b('after'), b('1'));
        await batch.write({ sync: false });
        assert.equal(created, 2, 'the use after an oversized one has a new batch');
        assert.deepEqual(Object.keys(await contents(db)).sort(), ['after', 'big', 'k1', 'k2', 'k3']);
      } finally {
        restore();
      }
    });
  });

  it("refuses a level whose batch does not implement _put, _del, _clear and _write itself (abstract-level's defaults would drop every record)", () => {
    class DefaultsOnly {
      _put(): void {}
      async close(): Promise<void> {}
    }
    class Inherits extends DefaultsOnly {
      _del(): void {}
      _clear(): void {}
      async _write(): Promise<void> {}
    }
    const db = { batch: () => new Inherits() } as unknown as ClassicLevel<Buffer, Uint8Array>;
    assert.throws(() => new ReusedBatch(db, 100).begin(), /does not implement _put: /);
  });
});
