/**
 * State store bench (docs/STORE.md "Performance"): for each state size,
 * open time, RSS with the default cache, computeRoot + commit of 20,000-key
 * blocks, proof size, and historical reads 100 versions back.
 *
 *   node --max-semi-space-size=64 --import tsx bench/store.ts [sizes=100000,10000000] [blocks=20] [dirty=20000]
 *
 * Keys look like account keys (`a/` + 40 hex = 42 bytes), values are 70
 * bytes. A state is built once, by the bulk load (src/store/bulk-load.ts:
 * the records one commit of every key at height 1 would write), under
 * ~/.cache/cmtd/bench/store-<size> (CMTD_BENCH_CACHE overrides the parent
 * directory; a state of another store format is rebuilt); reruns reopen it
 * and only add blocks to it. Nothing is pruned before 10,000 versions (the
 * node's default history), so at 10M each run adds ≈ 600 MB of versions:
 * delete the directory to start afresh (rebuilt in ≈ 150 s).
 * CMTD_BENCH_STATE_HISTORY=N opens the state with N versions of history
 * instead, so that the blocks pay for pruning as a node's do once its
 * history is full (what older runs left is pruned first, and timed apart);
 * the historical reads then go back N − 1 versions if that is under 100.
 * CMTD_BENCH_STATE_OPEN_FILES=N opens it as `--state-open-files N` does
 * (the tables of the nodes' database LevelDB keeps open).
 * Each measured block: 90% updates of existing
 * keys, 5% inserts, 5% deletes; each starts with the store's read-ahead
 * (`prefetch`), counted in its time as a block the node did not see
 * proposed costs, and the median is also given without it (a validator's
 * block, whose reads started at ProcessProposal). Wall time,
 * CPU time of all threads and CPU time of the main thread (the block's, and
 * computeRoot + commit's alone) are printed: on a shared machine CPU time
 * is the steadier figure, and the main thread's is what a block holds the
 * event loop (LevelDB compacts on its own threads).
 * Each size runs in a process of its own, so that the RSS a size shows is
 * not grown by the sizes measured before it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { bulkLoad } from '../src/store/bulk-load.js';
import { type CommitPhases, CommittedStore, DEFAULT_OPEN_FILES, DEFAULT_STATE_HISTORY, nodesDir } from '../src/store/committed-store.js';
import type { Change } from '../src/store/kv.js';
import { tableCount } from '../src/store/leveldb-stats.js';
import { encodeProof, type TreeUpdateResult } from '../src/store/tree.js';
import { mainThreadCpuMs } from './lib/cpu.js';
import { GcPauses } from './lib/gc.js';
import { describeCompactions, describeLevelDbLogs } from './lib/leveldb-stats.js';
import { BENCH_CACHE_DIR, cachedStateReady, markCachedState } from './lib/state-cache.js';
import { nodeDescription } from './lib/node-info.js';
import { median } from './lib/median.js';

const sizes = (process.argv[2] ?? '100000,10000000').split(',').map(Number);
// 20: V8's heap and LevelDB's levels take about that long to reach the sizes they keep (docs/STORE.md "Memory").
const BLOCKS = Number(process.argv[3] ?? 20);
const DIRTY = Number(process.argv[4] ?? 20_000);
/** Versions of history the store keeps (CMTD_BENCH_STATE_HISTORY; the node's default otherwise). */
const HISTORY = process.env.CMTD_BENCH_STATE_HISTORY === undefined ? undefined : Number(process.env.CMTD_BENCH_STATE_HISTORY);
if (HISTORY !== undefined && !(Number.isSafeInteger(HISTORY) && HISTORY >= 2)) throw new Error('CMTD_BENCH_STATE_HISTORY must be a whole number of versions, at least 2');
/** Files the nodes' database keeps open (CMTD_BENCH_STATE_OPEN_FILES, as `--state-open-files`; the node's default otherwise). */
const OPEN_FILES = process.env.CMTD_BENCH_STATE_OPEN_FILES === undefined ? undefined : Number(process.env.CMTD_BENCH_STATE_OPEN_FILES);
/** How far back the historical reads go. */
const READ_BACK = Math.min(100, (HISTORY ?? Number.POSITIVE_INFINITY) - 1);

function keyOf(i: number): string {
  return 'a/' + createHash('sha256').update(`key${i}`).digest('hex').slice(0, 40);
}

function storeValueOf(i: number, version: number): Uint8Array {
  const v = new Uint8Array(70);
  const view = new DataView(v.buffer);
  view.setUint32(0, i);
  view.setUint32(4, version);
  for (let j = 8; j < 70; j++) v[j] = (i * 31 + j * 7 + version) & 0xff;
  return v;
}

let seed = 42;
function rand(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return ((seed >>> 8) + Math.floor(Math.random() * 2 ** 20) * 2 ** 24) % n;
}

const ms = (t0: number): string => (performance.now() - t0).toFixed(1);
const mb = (n: number): string => (n / 2 ** 20).toFixed(0);
/** RSS, and its anonymous part: LevelDB maps table files, whose pages count as (reclaimable) file-backed RSS. */
function rss(): string {
  let detail = '';
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0);
    detail = ` (anonymous ${mb(kb('RssAnon') * 1024)} MiB, file-backed ${mb(kb('RssFile') * 1024)} MiB)`;
  } catch {
    // not Linux
  }
  const m = process.memoryUsage();
  // What V8 holds (committed heap, used or not) and what Buffers hold outside it: most of the anonymous part.
  return `rss ${mb(m.rss)} MiB${detail}, heap ${mb(m.heapUsed)} MiB used of ${mb(m.heapTotal)} MiB V8 holds, external ${mb(m.external)} MiB`;
}

/**
 * What the file-backed part of RSS is (Linux, /proc/self/smaps_rollup): clean
 * pages (LevelDB's memory-mapped tables, Node's own code) are page cache the
 * kernel drops under memory pressure without writing anything back; dirty
 * and anonymous pages are what the process really holds.
 */
function memoryDetail(): string {
  try {
    const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1] ?? 0) * 1024;
    const clean = kb('Shared_Clean') + kb('Private_Clean');
    const dirty = kb('Shared_Dirty') + kb('Private_Dirty');
    return `smaps: rss ${mb(kb('Rss'))} MiB = clean ${mb(clean)} MiB (reclaimable page cache) + dirty ${mb(dirty)} MiB (anonymous ${mb(kb('Anonymous'))} MiB)`;
  } catch {
    return 'smaps: not available';
  }
}

/** Bytes of the node records a block gives LevelDB (keys and records; values and history come on top). */
function nodeBytes(tree: TreeUpdateResult): number {
  let bytes = tree.writes.byteLength;
  for (const { key, record } of tree.moved) bytes += key.length + record.length;
  return bytes;
}

const phaseMedian = (phases: CommitPhases[], part: keyof CommitPhases): string => (phases.length === 0 ? '-' : median(phases.map((p) => p[part])).toFixed(1));

async function build(dir: string, size: number): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  let reported = 0;
  await bulkLoad(join(dir, 'state.db'), 1n, size, (i) => [keyOf(i), storeValueOf(i, 0)], {
    onProgress: (placed) => {
      if (placed - reported >= 1_000_000) {
        reported = placed;
        console.log(`  placed ${placed.toLocaleString('en')} keys in ${(Number(ms(t0)) / 1000).toFixed(0)} s`);
      }
    },
  });
  markCachedState(dir, `${size} keys`);
  console.log(`built ${size.toLocaleString('en')} keys (bulk load): ${(Number(ms(t0)) / 1000).toFixed(1)} s; ${rss()}`);
}

/**
 * Whether this run's blocks prune: a block at height h prunes once h passes
 * the versions kept, and the cached state grows by each run's blocks, so
 * runs on either side of that line are not comparable (docs/STORE.md
 * "Performance").
 */
function pruningPhase(height: bigint): string {
  const kept = HISTORY ?? DEFAULT_STATE_HISTORY;
  return height >= BigInt(kept) ? `every block prunes, ${kept.toLocaleString('en')} versions kept` : `no block prunes before height ${(kept + 1).toLocaleString('en')}`;
}

async function bench(size: number): Promise<number> {
  const dir = join(BENCH_CACHE_DIR, `store-${size}`);
  console.log(`\n== state of ${size.toLocaleString('en')} keys (${dir}) ==`);
  if (!cachedStateReady(dir)) {
    // in a child process, so that what building allocates is not in this one's RSS
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'build', String(size)], { stdio: 'inherit' });
  }

  const stateDir = join(dir, 'state.db');
  const storeOptions = { stateHistory: HISTORY, openFiles: OPEN_FILES };
  let t0 = performance.now();
  let store = await CommittedStore.open(stateDir, storeOptions);
  const nodeTables = tableCount(store.levelDbStats().nodes);
  console.log(
    `open: ${ms(t0)} ms (height ${store.height}, ${store.size.toLocaleString('en')} keys, ${nodeTables} tables of nodes, ${OPEN_FILES ?? DEFAULT_OPEN_FILES} files kept open; ${pruningPhase(store.height)}); ${rss()}`,
  );
  if (HISTORY !== undefined) {
    t0 = performance.now();
    await store.pruned();
    console.log(`history ${HISTORY} versions: what older runs left pruned in ${ms(t0)} ms`);
  }

  const runTag = Date.now() % 1_000_000; // fresh insert keys on every rerun
  let fresh = 0;
  const totals: number[] = [];
  /** Without the read-ahead: what a validator's block costs, its reads started at ProcessProposal (docs/STORE.md). */
  const ownTotals: number[] = [];
  const cpuTotals: number[] = [];
  const mainTotals: number[] = [];
  /** The main thread's CPU in computeRoot + commit alone: steadier than wall time on a shared machine. */
  const ownMainTotals: number[] = [];
  const commitTotals: number[] = [];
  /** Each block's commit, part by part (CommittedStore.lastCommitPhases). */
  const commitPhases: CommitPhases[] = [];
  /** Each block's computeRoot + commit, after its read-ahead, in performance.now() time: the collections in them are counted. */
  const ownWindows: Array<[number, number]> = [];
  const gc = new GcPauses();
  const blocksStart = performance.now();
  for (let b = 0; b < BLOCKS; b++) {
    const changes = new Map<string, Change>();
    const nUpdates = Math.floor(DIRTY * 0.9);
    const nInserts = Math.floor(DIRTY * 0.05);
    while (changes.size < nUpdates) {
      const i = rand(size);
      changes.set(keyOf(i), storeValueOf(i, b + 1));
    }
    for (let k = 0; k < nInserts; k++) changes.set(keyOf(size * 10 + runTag * 100_000 + fresh), storeValueOf(fresh++, b + 1));
    while (changes.size < DIRTY) changes.set(keyOf(rand(size)), null);
    const sorted = [...changes.entries()].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0));
    // The app reads what it writes: warm the value cache like FinalizeBlock would.
    for (const [key] of sorted) store.get(key);

    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuMs();
    const tRoot = performance.now();
    await store.prefetch(changes.keys());
    const prefetchMs = performance.now() - tRoot;
    const ownMain0 = mainThreadCpuMs();
    const tOwn = performance.now();
    const pending = store.computeRoot(sorted);
    const rootMs = performance.now() - tRoot;
    // Counted before the commit, which hands the buffer of writes to the next block.
    const nodesWritten = pending.tree.writes.count + pending.tree.moved.length;
    const nodeMiB = mb(nodeBytes(pending.tree));
    const tCommit = performance.now();
    await store.commit(store.height + 1n, pending, pending.root);
    const commitMs = performance.now() - tCommit;
    ownWindows.push([tOwn, performance.now()]);
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const mainEnd = mainThreadCpuMs();
    const mainMs = mainEnd - main0;
    totals.push(rootMs + commitMs);
    ownTotals.push(rootMs - prefetchMs + commitMs);
    cpuTotals.push(cpuMs);
    mainTotals.push(mainMs);
    ownMainTotals.push(mainEnd - ownMain0);
    commitTotals.push(commitMs);
    if (store.lastCommitPhases !== undefined) commitPhases.push(store.lastCommitPhases);
    console.log(
      `block ${b + 1}: ${changes.size} dirty keys, ${nodesWritten} nodes written (${nodeMiB} MiB): prefetch ${prefetchMs.toFixed(1)} ms + computeRoot ${(rootMs - prefetchMs).toFixed(1)} ms + commit ${commitMs.toFixed(1)} ms = ${(rootMs + commitMs).toFixed(1)} ms wall (${cpuMs.toFixed(0)} ms CPU, main thread ${mainMs.toFixed(0)} ms, ${(mainEnd - ownMain0).toFixed(0)} of it after the read-ahead)`,
    );
  }
  const blocksMs = performance.now() - blocksStart;
  const blockMedian = median(totals);
  console.log(
    `computeRoot+commit, ${DIRTY} dirty keys over ${size.toLocaleString('en')}: median ${blockMedian.toFixed(1)} ms wall ` +
      `(${median(cpuTotals).toFixed(0)} ms CPU all threads, ${median(mainTotals).toFixed(0)} ms main thread), max ${Math.max(...totals).toFixed(1)} ms wall; ` +
      `without the read-ahead median ${median(ownTotals).toFixed(1)} ms wall (${median(ownMainTotals).toFixed(0)} ms main thread); ${rss()}`,
  );
  const collections = gc.within(ownWindows);
  gc.stop();
  console.log(
    `garbage collection in the ${BLOCKS} blocks' computeRoot + commit (after the read-ahead), main thread: ${collections.scavenges} scavenges (${collections.scavengeMs.toFixed(0)} ms), ` +
      `${collections.others} other collections (${collections.otherMs.toFixed(0)} ms)`,
  );
  // The compaction thread's share of "CPU all threads", over the blocks above (the store was opened just before them).
  console.log(`${describeCompactions(store.levelDbStats())}; the ${BLOCKS} blocks took ${(blocksMs / 1000).toFixed(1)} s`);
  // A commit that LevelDB held back waited for its one background thread (docs/STORE.md "Performance").
  console.log(
    `commit: median ${median(commitTotals).toFixed(1)} ms, max ${Math.max(...commitTotals).toFixed(1)} ms wall; ` +
      `its parts' medians: nodes staged ${phaseMedian(commitPhases, 'nodesStaged')} ms, other records and caches meanwhile ${phaseMedian(commitPhases, 'restStaged')} ms, ` +
      `then waiting for the reads of the leaves it moves ${phaseMedian(commitPhases, 'movedLeavesRead')} ms and for the nodes' write ${phaseMedian(commitPhases, 'nodesWait')} ms, the commit record's batch ${phaseMedian(commitPhases, 'restWritten')} ms; ` +
      describeLevelDbLogs({ values: readFileSync(join(stateDir, 'LOG'), 'latin1'), nodes: readFileSync(join(nodesDir(stateDir), 'LOG'), 'latin1') }),
  );

  // Proofs of present and absent keys.
  let maxProof = 0;
  let levels = 0;
  for (let k = 0; k < 200; k++) {
    const key = k % 2 === 0 ? keyOf(rand(size)) : `absent/${k}`;
    const proof = store.prove(key);
    maxProof = Math.max(maxProof, encodeProof(proof).length);
    levels = Math.max(levels, proof.levels.length);
    if (!CommittedStore.verifyProof(store.appHash, key, store.get(key), proof)) throw new Error(`proof of ${key} does not verify`);
  }
  console.log(`proof: at most ${maxProof} bytes (${levels} levels) over 200 keys`);

  // 100 more small blocks, then reads as of the version READ_BACK blocks back.
  for (let b = 0; b < 100; b++) {
    const changes: Array<[string, Change]> = [];
    for (let k = 0; k < 100; k++) {
      const i = rand(size);
      changes.push([keyOf(i), storeValueOf(i, 1000 + b)]);
    }
    const pending = store.computeRoot(changes);
    await store.commit(store.height + 1n, pending, pending.root);
  }
  const back = store.height - BigInt(READ_BACK);
  const samples: number[] = [];
  for (let k = 0; k < 2000; k++) {
    const key = keyOf(rand(size));
    const t = performance.now();
    store.getAt(key, back);
    samples.push((performance.now() - t) * 1000);
  }
  console.log(`historical get, ${store.height - back} versions back: median ${median(samples).toFixed(1)} µs, p90 ${[...samples].sort((a, b) => a - b)[1800]!.toFixed(1)} µs`);
  console.log(`after the run: ${rss()}; ${memoryDetail()}`);
  await store.close();

  t0 = performance.now();
  store = await CommittedStore.open(stateDir, storeOptions);
  console.log(`reopen: ${ms(t0)} ms`);
  await store.close();
  return median(mainTotals);
}

if (process.argv[2] === 'build') {
  const size = Number(process.argv[3]);
  await build(join(BENCH_CACHE_DIR, `store-${size}`), size);
  process.exit(0);
}

/** Set in the child that measures one state size; it reports its median on a line starting with {@link RESULT}. */
const CHILD_ENV = 'CMTD_BENCH_STORE_ONE_SIZE';
const RESULT = 'median main-thread ms: ';

/**
 * Measures one state size in a process of its own, so that its RSS and its
 * heap are that size's alone, not grown by the sizes before it; returns
 * its main-thread median.
 */
async function benchInChild(size: number): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(size), String(BLOCKS), String(DIRTY)], {
    env: { ...process.env, [CHILD_ENV]: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  let result: number | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith(RESULT)) result = Number(line.slice(RESULT.length));
    else console.log(line);
  }
  const code = await closed;
  if (code !== 0 || result === undefined) throw new Error(`the bench of ${size} keys failed (exit code ${code})`);
  return result;
}

if (process.env[CHILD_ENV] === '1') {
  console.log(`${RESULT}${await bench(sizes[0]!)}`);
  process.exit(0);
}
console.log(`${nodeDescription()}; ${BLOCKS} blocks of ${DIRTY} dirty keys per state size, each size in a process of its own`);
const medians: number[] = [];
for (const size of sizes) medians.push(await benchInChild(size));
if (sizes.length >= 2) {
  console.log(
    `\nblock cost ratio ${sizes.at(-1)!.toLocaleString('en')} vs ${sizes[0]!.toLocaleString('en')} keys (main-thread CPU medians): ${(medians.at(-1)! / medians[0]!).toFixed(2)}`,
  );
}
