/**
 * LevelDB's `leveldb.stats` table (CommittedStore.levelDbStats), parsed:
 * per level, its files and size now, and what LevelDB's one background
 * thread did into it since the database was opened (write buffers flushed
 * into level 0, 1 or 2, and compactions).
 */
/** LevelDB's `leveldb.stats` table of each of the state store's two databases. */
export interface StateDbStats {
  /** Latest values, deletions, roots, stale lists, the commit record, extras. */
  values: string;
  /** Tree nodes. */
  nodes: string;
}

export interface LevelRow {
  level: number;
  files: number;
  /** LevelDB prints sizes in whole MiB. */
  sizeMb: number;
  /** Seconds the background thread spent writing into this level. */
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

/** The table files of all levels (what `--state-open-files` is weighed against). */
export function tableCount(stats: string): number {
  return parseLevelDbStats(stats).reduce((sum, row) => sum + row.files, 0);
}
