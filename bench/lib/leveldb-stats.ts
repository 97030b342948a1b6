/**
 * LevelDB's `leveldb.stats` table (CommittedStore.levelDbStats), parsed:
 * per level, its files and size now, and what compactions into it did
 * since the database was opened.
 */
export interface LevelRow {
  level: number;
  files: number;
  sizeMb: number;
  /** Seconds LevelDB's one compaction thread spent writing into this level. */
  timeSec: number;
  readMb: number;
  writeMb: number;
}

/** The rows of the table; LevelDB lists only levels with files or compactions. */
export function parseLevelDbStats(stats: string): LevelRow[] {
  const rows: LevelRow[] = [];
  for (const line of stats.split('\n')) {
    const cells = line.trim().split(/\s+/).map(Number);
    if (cells.length !== 6 || cells.some((n) => !Number.isFinite(n))) continue;
    const [level, files, sizeMb, timeSec, readMb, writeMb] = cells as [number, number, number, number, number, number];
    rows.push({ level, files, sizeMb, timeSec, readMb, writeMb });
  }
  return rows;
}

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
