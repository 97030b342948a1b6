/**
 * CommittedStore.levelDbStats (LevelDB's `leveldb.stats` table), its
 * parser (src/store/leveldb-stats.ts) and the bench's line
 * (bench/lib/leveldb-stats.ts), on a real store whose small write buffer
 * makes LevelDB flush and compact; and the bench's reading of LevelDB's
 * info log (its background jobs and the writes it held back).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describeCompactions, describeLevelDbLogs, parseLevelDbLog } from '../../bench/lib/leveldb-stats.js';
import { parseLevelDbStats, tableCount } from '../../src/store/leveldb-stats.js';
import { CommittedStore, nodesDir, StoreUsageError } from '../../src/store/committed-store.js';
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
        // The info log of this LevelDB build is in the format the bench reads: the flushes above are there.
        for (const logDir of [dir, nodesDir(dir)]) {
          const log = parseLevelDbLog(readFileSync(join(logDir, 'LOG'), 'latin1'));
          assert.ok(log.jobs >= 2 && log.longestSec >= 0 && /^(flushing table #\d+|compacting .+ files)$/.test(log.longest), `${logDir}: ${JSON.stringify(log)}`);
        }
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
    assert.equal(tableCount(table), 9, 'the files of every level');
    assert.equal(tableCount(''), 0);
    assert.equal(
      describeCompactions({ values: table, nodes: '' }),
      "LevelDB's thread since open (flushes and compactions): values: wrote 951 MB of tables and read 499 MB in 6 s (L0 2 files 5 MB, L1 7 files 201 MB); nodes: wrote 0 MB of tables and read 0 MB in 0 s (no tables)",
    );
  });

  it('the log reader times flushes and compactions, counts held-back writes and skips what it does not know', () => {
    const log = [
      '2026/12/06-10:00:00.000000 7f01 Recovering log #7',
      '2026/12/06-10:00:01.000000 7f02 Level-0 table #9: started',
      '2026/12/06-10:00:01.250000 7f02 Level-0 table #9: 22066403 bytes OK',
      '2026/12/06-10:00:02.000000 7f02 Compacting 1@2 + 11@3 files',
      '2026/12/06-10:00:03.000000 7f01 Current memtable full; waiting...',
      // a flush LevelDB runs in the middle of a compaction
      '2026/12/06-10:00:04.000000 7f02 Level-0 table #12: started',
      '2026/12/06-10:00:04.100000 7f02 Level-0 table #12: 1000 bytes OK',
      '2026/12/06-10:00:07.500000 7f02 Compacted 1@2 + 11@3 files => 352869662 bytes',
      '2026/12/06-10:00:07.600000 7f02 compacted to: files[ 0 0 0 32 4 0 0 ]',
      '2026/12/06-10:00:08.000000 7f02 Moved #13 to level-3 22126526 bytes OK: files[ 3 1 11 70 489 179 0 ]',
      '2026/12/06-10:00:09.000000 7f01 Too many L0 files; waiting...',
      'not a log line',
      '2026/12/06-10:00:10.000000 7f02 Level-0 table #15: started',
      '',
    ].join('\n');
    const summary = parseLevelDbLog(log);
    assert.equal(summary.jobs, 3, 'two flushes and a compaction finished; a move and an unfinished flush are not jobs');
    assert.equal(summary.writeWaits, 2);
    assert.equal(summary.longest, 'compacting 1@2 + 11@3 files');
    assert.ok(Math.abs(summary.longestSec - 5.6) < 1e-6, String(summary.longestSec));
    assert.equal(
      describeLevelDbLogs({ values: log, nodes: '' }),
      "LevelDB's log since open (a write held back waited for LevelDB's one background thread): values: 3 jobs, the longest 5.60 s (compacting 1@2 + 11@3 files), 2 writes held back; nodes: 0 jobs, 0 writes held back",
    );
  });
});
