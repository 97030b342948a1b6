// Profiling driver: open a bench state, run N 20k-key blocks like bench/store.ts, nothing else.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { CommittedStore } from '../src/store/committed-store.js';
import type { Change } from '../src/store/kv.js';
import { mainThreadCpuMs } from '../bench/lib/cpu.js';
const size = Number(process.argv[2]);
const BLOCKS = Number(process.argv[3] ?? 3);
const keyOf = (i: number) => 'a/' + createHash('sha256').update(`key${i}`).digest('hex').slice(0, 40);
function valueOf(i: number, version: number): Uint8Array { const v = new Uint8Array(70); const view = new DataView(v.buffer); view.setUint32(0, i); view.setUint32(4, version); for (let j = 8; j < 70; j++) v[j] = (i * 31 + j * 7 + version) & 0xff; return v; }
let seed = 42;
const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return ((seed >>> 8) + Math.floor(Math.random() * 2 ** 20) * 2 ** 24) % n; };
const store = await CommittedStore.open(join(homedir(), '.cache/cmtd/bench', `store-${size}`, 'state.db'));
const runTag = Date.now() % 1_000_000; let fresh = 0;
for (let b = 0; b < BLOCKS; b++) {
  const changes = new Map<string, Change>();
  while (changes.size < 18000) { const i = rand(size); changes.set(keyOf(i), valueOf(i, b + 1)); }
  for (let k = 0; k < 1000; k++) changes.set(keyOf(size * 10 + runTag * 100_000 + fresh), valueOf(fresh++, b + 1));
  while (changes.size < 20000) changes.set(keyOf(rand(size)), null);
  const sorted = [...changes.entries()].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0));
  for (const [key] of sorted) store.get(key);
  const cpu0 = process.cpuUsage(); const m0 = mainThreadCpuMs(); const t0 = performance.now();
  await store.prefetch(changes.keys());
  const pending = store.computeRoot(sorted);
  const t1 = performance.now();
  await store.commit(store.height + 1n, pending, pending.root);
  const cpu = process.cpuUsage(cpu0);
  console.log(`block ${b}: root ${(t1 - t0).toFixed(0)} ms, commit ${(performance.now() - t1).toFixed(0)} ms wall; cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, main ${mainThreadCpuMs() - m0} ms`);
}
await store.close();
