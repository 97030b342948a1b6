/**
 * CommittedStore.levelDbStats (LevelDB's `leveldb.stats` table), its
 * parser (src/store/leveldb-stats.ts) and the bench's line
 * (bench/lib/leveldb-stats.ts), on a real store whose small write buffer
 * makes LevelDB flush and compact.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { describeCompactions } from '../../bench/lib/leveldb-stats.js';
import { parseLevelDbStats } from '../../src/store/leveldb-stats.js';
import { CommittedStore, StoreUsageError } from '../../src/store/committed-store.js';
import { withDir } from './fixtures/store-dirs.js';

describe('CommittedStore.levelDbStats', () => {
  it('is LevelDB’s table of levels and compactions since open, which the bench reads', async () => {
    await withDir(async (dir) => {
      const store = await CommittedStore.open(dir, { writeBufferBytes: 1024 * 1024, stateHistory: 0 });
      try {
        assert.deepEqual(parseLevelDbStats(store.levelDbStats().values), [], 'nothing flushed or compacted yet');
        assert.deepEqual(parseLevelDbStats(store.levelDbStats().nodes), []);
        assert.match(describeCompactions(store.levelDbStats()), /values: .*\(no tables\); nodes: .*\(no tables\)$/);
        for (let h = 1; h <= 16; h++) {
          // Values that do not compress: ≈ 200 KB of values and ≈ 300 KB of nodes a block.
          const pending = store.computeRoot(Array.from({ length: 500 }, (_, i) => [`k/${h}/${i}`, randomBytes(400)] as const));
          await store.commit(BigInt(h), pending, pending.root);
        }
        await store.pruned();
        const stats = store.levelDbStats();
        assert.match(stats.values, /Level\s+Files\s+Size\(MB\)\s+Time\(sec\)\s+Read\(MB\)\s+Write\(MB\)/);
        const written = { values: 0, nodes: 0 };
        for (const db of ['values', 'nodes'] as const) {
          const rows = parseLevelDbStats(stats[db]);
          written[db] = rows.reduce((sum, r) => sum + r.writeMb, 0);
          assert.ok(
            rows.some((r) => r.files > 0),
            `the ${db} tables are somewhere`,
          );
        }
        // through 1 MiB buffers
        assert.ok(written.values >= 2 && written.nodes >= 2, `tables written: ${JSON.stringify(written)} MB (${JSON.stringify(stats)})`);
        assert.match(
          describeCompactions(stats),
          new RegExp(
            `^LevelDB's thread since open \\(flushes and compactions\\): values: wrote ${written.values} MB of tables and read \\d+ MB in \\d+ s \\(L.*\\); nodes: wrote ${written.nodes} MB of tables and read \\d+ MB in \\d+ s \\(L`,
          ),
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
      describeCompactions({ values: table, nodes: '' }),
      "LevelDB's thread since open (flushes and compactions): values: wrote 951 MB of tables and read 499 MB in 6 s (L0 2 files 5 MB, L1 7 files 201 MB); nodes: wrote 0 MB of tables and read 0 MB in 0 s (no tables)",
    );
  });
});
