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
