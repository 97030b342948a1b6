/**
 * Compares the store's block cost between a base commit and the working
 * tree: runs `bench/store.ts <size> <blocks>` alternately in each (the base
 * in a temporary git worktree), `pairs` times, and pools the blocks of
 * every run. On a shared 2-core machine one run's median moves by ±10–20 %
 * with the hour; alternated runs pooled are what BENCHMARKS.md's
 * before/after figures come from.
 *
 *   node --import tsx bench/store-ab.ts <base-ref> [pairs=3] [size=10000000] [blocks=20] [--separate-states]
 *
 * Both sides use the bench's cached state of that size and advance it in
 * turn, so they must read the same store format; `--separate-states` gives
 * each side a state of its own (`CMTD_BENCH_CACHE`, built on the first run,
 * ≈ 150 s and ≈ 25 GB at 10M) for a change of format. Each run's output is
 * kept in a directory printed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { withNodeMalloc } from '../src/node/malloc.js';
import { NODE_V8_FLAGS } from '../src/node/v8-flags.js';
import { median } from './lib/median.js';

/** The first blocks of a run are left out: V8's heap and LevelDB's levels are still growing to their steady sizes. */
const SKIP_BLOCKS = 2;

interface Block {
  computeRoot: number;
  commit: number;
  /** Main-thread CPU ms after the read-ahead: computeRoot + commit's own. */
  main: number;
}

interface Run {
  side: Side;
  height: string;
  blocks: Block[];
}

type Side = 'base' | 'work';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const separateStates = process.argv.includes('--separate-states');
const [baseRef, pairsArg = '3', size = '10000000', blocks = '20'] = args;
if (baseRef === undefined) {
  console.error('usage: node --import tsx bench/store-ab.ts <base-ref> [pairs=3] [size=10000000] [blocks=20] [--separate-states]');
  process.exit(2);
}
const pairs = Number(pairsArg);
if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`pairs must be a whole number ≥ 1, got ${pairsArg}`);

const work = resolve('.');
const outDir = mkdtempSync(join(tmpdir(), 'cmtd-store-ab-'));
const baseDir = join(outDir, 'base');
git(['worktree', 'add', '--detach', baseDir, baseRef]);
symlinkSync(join(work, 'node_modules'), join(baseDir, 'node_modules'));
const runs: Run[] = [];
try {
  console.log(`store A/B: ${baseRef} (base) against the working tree, ${pairs} pair${pairs === 1 ? '' : 's'} of bench/store.ts ${size} ${blocks}; outputs in ${outDir}`);
  for (let pair = 1; pair <= pairs; pair++) {
    for (const side of ['base', 'work'] as const) {
      const env: NodeJS.ProcessEnv = { ...withNodeMalloc(), CMTD_BENCH_STORE_ONE_SIZE: '1' };
      if (separateStates) env.CMTD_BENCH_CACHE = join(homedir(), '.cache', 'cmtd', `bench-ab-${side}`);
      const result = spawnSync(process.execPath, [...NODE_V8_FLAGS, '--import', 'tsx', 'bench/store.ts', size, blocks], {
        cwd: side === 'base' ? baseDir : work,
        env,
        encoding: 'utf8',
        maxBuffer: 64 * 2 ** 20,
      });
      const output = `${result.stdout}${result.stderr}`;
      writeFileSync(join(outDir, `${pair}-${side}.txt`), output);
      if (result.status !== 0) throw new Error(`bench/store.ts failed on the ${side} side (exit ${result.status}); see ${join(outDir, `${pair}-${side}.txt`)}`);
      const run = parseRun(side, output);
      runs.push(run);
      const own = run.blocks.slice(SKIP_BLOCKS).map((b) => b.computeRoot + b.commit);
      console.log(`pair ${pair} ${side}: from height ${run.height}, computeRoot + commit median ${median(own).toFixed(1)} ms`);
    }
  }
} finally {
  git(['worktree', 'remove', '--force', baseDir]);
}

console.log(`\nblocks ${SKIP_BLOCKS + 1}–${blocks} of every run pooled (median ms):`);
console.log('side  blocks  computeRoot  commit  computeRoot+commit  main thread after the read-ahead');
for (const side of ['base', 'work'] as const) {
  const pooled = runs.filter((r) => r.side === side).flatMap((r) => r.blocks.slice(SKIP_BLOCKS));
  const cell = (pick: (b: Block) => number, width: number): string => median(pooled.map(pick)).toFixed(1).padStart(width);
  console.log(
    `${side.padEnd(4)}  ${String(pooled.length).padStart(6)}  ${cell((b) => b.computeRoot, 11)}  ${cell((b) => b.commit, 6)}  ${cell((b) => b.computeRoot + b.commit, 18)}  ${cell((b) => b.main, 32)}`,
  );
}

/** The block lines of one bench/store.ts run (its output format: bench/store.ts's `block N:` lines). */
function parseRun(side: Side, output: string): Run {
  const blockLine = /^block \d+: .*computeRoot ([\d.]+) ms \+ commit ([\d.]+) ms .*main thread \d+ ms, (\d+) of it after the read-ahead\)$/gm;
  const parsed: Block[] = [];
  for (const m of output.matchAll(blockLine)) parsed.push({ computeRoot: Number(m[1]), commit: Number(m[2]), main: Number(m[3]) });
  if (parsed.length <= SKIP_BLOCKS) throw new Error(`found ${parsed.length} block lines in the ${side} side's output: has bench/store.ts's format changed?`);
  return { side, height: /open: .*\(height (\d+)/.exec(output)?.[1] ?? '?', blocks: parsed };
}

function git(gitArgs: string[]): void {
  const result = spawnSync('git', gitArgs, { cwd: work, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${gitArgs.join(' ')} failed: ${result.stderr.trim()}`);
}
