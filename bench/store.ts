/**
 * State store bench: computeRoot + commit of a 20,000-key block over states
 * of 100k and 1M keys, plus the cost of building and reopening the state.
 *
 *   node --import tsx bench/store.ts [sizes=100000,1000000] [blocks=5] [dirty=20000]
 *
 * Each block: 90% updates of existing keys, 5% inserts, 5% deletes; keys
 * look like account keys (`a/` + 40 hex), values are 70 bytes. Wall and CPU
 * time are both printed: on a shared machine CPU time is the steadier figure.
 * The first block after open allocates the tree's per-bucket spare buffers
 * and usually meets the garbage collection of the load, so it is slower.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CommittedStore } from '../src/store/committed-store.js';
import type { Change } from '../src/store/kv.js';

const sizes = (process.argv[2] ?? '100000,1000000').split(',').map(Number);
const BLOCKS = Number(process.argv[3] ?? 5);
const DIRTY = Number(process.argv[4] ?? 20_000);
const POPULATE_CHUNK = 100_000;

function keyOf(i: number): string {
  return 'a/' + createHash('sha256').update(`key${i}`).digest('hex').slice(0, 40);
}

function valueOf(i: number, version: number): Uint8Array {
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
  return (seed >>> 8) % n;
}

const ms = (t0: number): string => (performance.now() - t0).toFixed(1);
const mb = (n: number): string => (n / 2 ** 20).toFixed(0);

async function bench(size: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-bench-store-'));
  try {
    let store = await CommittedStore.open(dir);
    let height = 0n;
    let t0 = performance.now();
    for (let start = 0; start < size; start += POPULATE_CHUNK) {
      const changes: Array<[string, Change]> = [];
      for (let i = start; i < Math.min(size, start + POPULATE_CHUNK); i++) changes.push([keyOf(i), valueOf(i, 0)]);
      const pending = store.computeRoot(changes);
      await store.commit(++height, pending, pending.root);
    }
    console.log(`\n== state of ${size.toLocaleString('en')} keys ==`);
    console.log(`populate (blocks of ${POPULATE_CHUNK.toLocaleString('en')}): ${ms(t0)} ms`);

    await store.close();
    t0 = performance.now();
    store = await CommittedStore.open(dir);
    const mem = process.memoryUsage();
    console.log(`reopen (load + rebuild tree + verify): ${ms(t0)} ms; rss ${mb(mem.rss)} MiB, heap ${mb(mem.heapUsed)} MiB`);

    let next = size; // next fresh key index
    const live: number[] = Array.from({ length: size }, (_, i) => i); // indexes present
    const totals: number[] = [];
    const cpuTotals: number[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const changes = new Map<string, Change>();
      const nUpdates = Math.floor(DIRTY * 0.9);
      const nInserts = Math.floor(DIRTY * 0.05);
      const nDeletes = DIRTY - nUpdates - nInserts;
      while (changes.size < nUpdates) {
        const i = live[rand(live.length)]!;
        changes.set(keyOf(i), valueOf(i, b + 1));
      }
      for (let k = 0; k < nInserts; k++) {
        changes.set(keyOf(next), valueOf(next, b + 1));
        live.push(next++);
      }
      let deleted = 0;
      while (deleted < nDeletes) {
        const pos = rand(live.length);
        const key = keyOf(live[pos]!);
        if (changes.has(key)) continue;
        changes.set(key, null);
        live[pos] = live[live.length - 1]!;
        live.pop();
        deleted++;
      }
      const sorted = [...changes.entries()].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0));

      const cpu0 = process.cpuUsage();
      const tRoot = performance.now();
      const pending = store.computeRoot(sorted);
      const rootMs = performance.now() - tRoot;
      const tCommit = performance.now();
      await store.commit(++height, pending, pending.root);
      const commitMs = performance.now() - tCommit;
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      totals.push(rootMs + commitMs);
      cpuTotals.push(cpuMs);
      console.log(
        `block ${b + 1}: ${changes.size} dirty keys: computeRoot ${rootMs.toFixed(1)} ms + commit ${commitMs.toFixed(1)} ms = ${(rootMs + commitMs).toFixed(1)} ms wall (${cpuMs.toFixed(0)} ms CPU, all threads)`,
      );
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `computeRoot+commit, ${DIRTY} dirty keys over ${size.toLocaleString('en')}: median ${median(totals).toFixed(1)} ms wall ` +
        `(${median(cpuTotals).toFixed(0)} ms CPU), max ${Math.max(...totals).toFixed(1)} ms wall`,
    );

    await store.close();
    // the same block with fsync'd commits
    store = await CommittedStore.open(dir, { sync: true });
    const changes: Array<[string, Change]> = [];
    for (let k = 0; k < DIRTY; k++) {
      const i = live[rand(live.length)]!;
      changes.push([keyOf(i), valueOf(i, 999)]);
    }
    const t1 = performance.now();
    await store.commit(++height, changes, store.computeRoot(changes).root);
    console.log(`one block with sync:true (fsync): computeRoot+commit ${ms(t1)} ms (root computed twice here)`);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`node ${process.version}; ${BLOCKS} blocks of ${DIRTY} dirty keys per state size`);
for (const size of sizes) await bench(size);
