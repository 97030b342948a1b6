/**
 * CommittedStore.levelDbStats (LevelDB's `leveldb.stats` table), its
 * parser (src/store/leveldb-stats.ts) and the bench's line
 * (bench/lib/leveldb-stats.ts), on a real store whose small write buffer
 * makes LevelDB flush and compact.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { describeCompactions } from '../../bench/lib/leveldb-stats.js';
import { parseLevelDbStats } from '../../src/store/leveldb-stats.js';
import { CommittedStore, StoreUsageError } from '../../src/store/committed-store.js';
import { withDir } from './fixtures/store-dirs.js';

describe('CommittedStore.levelDbStats', () => {
  it('is LevelDB’s table of levels and compactions since open, which the bench reads', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { writeBufferBytes: 1024 * 1024, stateHistory: 0 });
      try {
        assert.deepEqual(parseLevelDbStats(store.levelDbStats()), [], 'nothing flushed or compacted yet');
        assert.match(describeCompactions(store.levelDbStats()), /no tables$/);
        for (let h = 1; h <= 16; h++) {
          const pending = store.computeRoot(Array.from({ length: 500 }, (_, i) => [`k/${h}/${i}`, new Uint8Array(400).fill(h)] as const));
          await store.commit(BigInt(h), pending, pending.root);
        }
        await store.pruned();
        const stats = store.levelDbStats();
        assert.match(stats, /Level\s+Files\s+Size\(MB\)\s+Time\(sec\)\s+Read\(MB\)\s+Write\(MB\)/);
        const rows = parseLevelDbStats(stats);
        const written = rows.reduce((sum, r) => sum + r.writeMb, 0);
        assert.ok(written >= 4, `≈ 10 MB of blocks through a 1 MiB buffer: ${written} MB of tables written (${stats})`);
        assert.ok(
          rows.some((r) => r.files > 0),
          'the tables are somewhere',
        );
        assert.match(
          describeCompactions(stats),
          new RegExp(`^LevelDB since open: its thread wrote ${written} MB of tables \\(flushes and compactions\\) and read \\d+ MB in \\d+ s; L`),
        );
      } finally {
        await store.close();
      }
      assert.throws(() => store.levelDbStats(), StoreUsageError);
    });
  });

  it('the parser reads only the table’s rows, and the bench sums them', () => {
    const table = [
      '                               Compactions',
      'Level  Files Size(MB) Time(sec) Read(MB) Write(MB)',
      '--------------------------------------------------',
      '  0        2        5         3        0       451',
      '  1        7      201         3      499       500',
      '',
    ].join('\n');
    assert.deepEqual(parseLevelDbStats(table), [
      { level: 0, files: 2, sizeMb: 5, timeSec: 3, readMb: 0, writeMb: 451 },
      { level: 1, files: 7, sizeMb: 201, timeSec: 3, readMb: 499, writeMb: 500 },
    ]);
    assert.equal(
      describeCompactions(table),
      'LevelDB since open: its thread wrote 951 MB of tables (flushes and compactions) and read 499 MB in 6 s; L0 2 files 5 MB, L1 7 files 201 MB',
    );
  });
});
