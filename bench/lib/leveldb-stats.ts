import { parseLevelDbStats, type StateDbStats } from '../../src/store/leveldb-stats.js';

/**
 * One line: per database of the store, the MB of tables LevelDB's one
 * background thread wrote for it (write buffers flushed, each into level
 * 0, 1 or 2, and compactions) and read, the seconds it spent, and the
 * levels' sizes now.
 */
export function describeCompactions(stats: StateDbStats): string {
  const parts = Object.entries(stats).map(([db, table]) => {
    const rows = parseLevelDbStats(table);
    const sum = (field: 'timeSec' | 'readMb' | 'writeMb'): number => rows.reduce((total, r) => total + r[field], 0);
    const sizes = rows.map((r) => `L${r.level} ${r.files} files ${r.sizeMb} MB`).join(', ');
    return `${db}: wrote ${sum('writeMb')} MB of tables and read ${sum('readMb')} MB in ${sum('timeSec')} s (${sizes || 'no tables'})`;
  });
  return `LevelDB's thread since open (flushes and compactions): ${parts.join('; ')}`;
}

/** What a database's LevelDB info log (its `LOG` file, rewritten at each open) tells about its background jobs. */
export interface LevelDbLogSummary {
  /** Write buffers flushed into tables, and compactions (a table only moved to another level is not a job). */
  jobs: number;
  /** The longest of them, in seconds, and what it was ("compacting 1@2 + 11@3 files", "flushing table #1848"). */
  longestSec: number;
  longest: string;
  /** Writes LevelDB held back until its background thread caught up: a full write buffer while the last one was still being flushed, or too many level-0 tables. */
  writeWaits: number;
}

// "2026/12/06-16:47:53.911006 7f3fe5d3c6c0 Current memtable full; waiting..."
const LOG_LINE = /^(\d{4})\/(\d\d)\/(\d\d)-(\d\d):(\d\d):(\d\d)\.(\d{6}) \S+ (.*)$/;

/** Reads a LevelDB `LOG` file's text; lines it does not know are skipped. */
export function parseLevelDbLog(text: string): LevelDbLogSummary {
  const summary: LevelDbLogSummary = { jobs: 0, longestSec: 0, longest: '', writeWaits: 0 };
  const started = new Map<string, number>();
  const finish = (id: string, what: string, atMs: number): void => {
    const from = started.get(id);
    if (from === undefined) return;
    started.delete(id);
    summary.jobs++;
    const sec = (atMs - from) / 1000;
    if (sec >= summary.longestSec) {
      summary.longestSec = sec;
      summary.longest = what;
    }
  };
  let compacting = '';
  for (const line of text.split('\n')) {
    const m = LOG_LINE.exec(line);
    if (m === null) continue;
    const [year, month, day, hour, minute, second, micros] = m.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
    // LevelDB writes local time; only differences are used.
    const atMs = Date.UTC(year, month - 1, day, hour, minute, second) + micros / 1000;
    const message = m[8]!;
    let job: RegExpExecArray | null;
    if (message.endsWith('; waiting...')) summary.writeWaits++;
    else if ((job = /^Level-0 table #(\d+): started$/.exec(message)) !== null) started.set(`flush ${job[1]}`, atMs);
    else if ((job = /^Level-0 table #(\d+): \d+ bytes/.exec(message)) !== null) finish(`flush ${job[1]}`, `flushing table #${job[1]}`, atMs);
    else if ((job = /^Compacting (.*)$/.exec(message)) !== null) {
      compacting = job[1]!;
      started.set('compaction', atMs);
    } else if (message.startsWith('compacted to:') || message.startsWith('Compaction error')) finish('compaction', `compacting ${compacting}`, atMs);
  }
  return summary;
}

/** One line: per database, its background jobs since open, the longest, and the writes held back. */
export function describeLevelDbLogs(logs: Readonly<Record<string, string>>): string {
  const parts = Object.entries(logs).map(([db, text]) => {
    const s = parseLevelDbLog(text);
    const longest = s.jobs === 0 ? '' : `, the longest ${s.longestSec.toFixed(2)} s (${s.longest})`;
    return `${db}: ${s.jobs} jobs${longest}, ${s.writeWaits} writes held back`;
  });
  return `LevelDB's log since open (a write held back waited for LevelDB's one background thread): ${parts.join('; ')}`;
}
