import { parseLevelDbStats } from '../../src/store/leveldb-stats.js';

/**
 * One line: the MB of tables LevelDB's background thread wrote (write
 * buffers flushed, each into level 0, 1 or 2, and compactions) and read,
 * the seconds it spent, and the levels' sizes now.
 */
export function describeCompactions(stats: string): string {
  const rows = parseLevelDbStats(stats);
  const sum = (field: 'timeSec' | 'readMb' | 'writeMb'): number => rows.reduce((total, r) => total + r[field], 0);
  const sizes = rows.map((r) => `L${r.level} ${r.files} files ${r.sizeMb} MB`).join(', ');
  return `LevelDB since open: its thread wrote ${sum('writeMb')} MB of tables (flushes and compactions) and read ${sum('readMb')} MB in ${sum('timeSec')} s; ${sizes || 'no tables'}`;
}
