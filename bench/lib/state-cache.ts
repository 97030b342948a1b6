/**
 * Bench states built once and kept under ~/.cache/cmtd/bench (CMTD_BENCH_CACHE
 * overrides the parent directory). A state counts as built when its marker
 * file names the store format this build writes: a state of another format
 * (an older cmtd's) is rebuilt instead of refused at open.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { STORE_FORMAT } from '../../src/store/committed-store.js';

export const BENCH_CACHE_DIR = process.env.CMTD_BENCH_CACHE ?? join(homedir(), '.cache', 'cmtd', 'bench');

const MARKER = 'complete';

/** Whether `dir` holds a finished bench state in this build's store format. */
export function cachedStateReady(dir: string): boolean {
  const marker = join(dir, MARKER);
  return existsSync(marker) && readFileSync(marker, 'utf8').includes(`store format ${STORE_FORMAT}\n`);
}

/** Marks the state in `dir` finished (`what`: what it holds, for whoever reads the file). */
export function markCachedState(dir: string, what: string): void {
  writeFileSync(join(dir, MARKER), `${what}\nstore format ${STORE_FORMAT}\n`);
}
