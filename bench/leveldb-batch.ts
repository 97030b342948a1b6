/**
 * What handing a block's node records to LevelDB costs, and what smaller
 * or fewer records, or batches kept from block to block, save (docs/STORE.md
 * "Performance", levers 1 and 3). A commit stages its node records one put
 * at a time on the main thread, in two batches, each written synced on
 * LevelDB's threads while the next is staged (committed-store.ts
 * writeNodesThenRest). This does the same with random bytes for three
 * record mixes of a 20,000-key block at 10,000,000 keys, each in new
 * batches as commits did until 2026-12-07: today's; one whose depth-4
 * nodes are written as deltas of ≈ 170 bytes instead of full records of
 * ≈ 560; and one with two tree levels per record (a node with its children
 * of the same version). Then today's mix in two batches kept from one round
 * to the next, as a commit keeps its batches since (src/store/reused-batch.ts).
 * Printed are the medians over the rounds after the first two, with the
 * process's minor page faults while it stages (LevelDB's threads writing
 * the first batch meanwhile count too): a new batch's bytes go into new
 * native memory that classic-level frees only when V8 collects the batch,
 * so in a node, whose collections come later than here, staging into new
 * batches follows the bytes more than the count (BENCHMARKS.md 2026-12-07
 * 16:00); a kept batch reuses its memory.
 *
 * Then the commit's other batch, the one with the commit record: a block's
 * 20,000 latest-value records applied to the values' database (64 MiB
 * write buffer), in key order as the commit stages them and in keyHash
 * order (random) as it did until 2026-12-07: LevelDB inserts each record
 * into its write buffer's skip list, and records that follow one another
 * walk the same nodes (BENCHMARKS.md 2026-12-07 17:58).
 *
 *   node --import tsx bench/leveldb-batch.ts [rounds=10]
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ClassicLevel } from 'classic-level';
import { MAX_KEPT_BATCH_BYTES, ReusedBatch } from '../src/store/reused-batch.js';
import { nodeDescription } from './lib/node-info.js';
import { median } from './lib/median.js';

const ROUNDS = Number(process.argv[2] ?? 10);
/** A node's database key at 10,000,000 keys: 'N', version, depth, path (11–14 bytes). */
const KEY_BYTES = 13;
/** The nodes' database's write buffer (committed-store.ts nodesDbOptions). */
const WRITE_BUFFER = 16 * 1024 * 1024;
/** The values' database's write buffer (the node's default, `--state-write-buffer-mb`). */
const VALUES_WRITE_BUFFER = 64 * 1024 * 1024;
/** A block's latest-value records: 's' and a 42-byte key, version and 70-byte value (bench/store.ts). */
const LATEST_RECORDS = 20_000;
const LATEST_KEY_BYTES = 43;
const LATEST_RECORD_BYTES = 78;

/** Record counts by size, from a 20,000-key block at 10,000,000 keys (bench/store.ts; docs/STORE.md "Performance"). */
interface Mix {
  name: string;
  records: Array<[count: number, bytes: number]>;
  /** Staged into two batches kept from round to round (src/store/reused-batch.ts), as a commit does since 2026-12-07 21:05, rather than new ones. */
  kept?: boolean;
}
const TODAY: Mix['records'] = [
  [21_500, 560], // depths 0–4, full records
  [29_000, 280], // depth 5 and deeper
  [20_000, 190], // leaves
];
const MIXES: Mix[] = [
  { name: 'a block today, new batches', records: TODAY },
  { name: 'a block today, kept batches', records: TODAY, kept: true },
  {
    name: 'two levels per record',
    records: [
      [17, 560], // the root and the depth-1 records, with their depth-2 children
      [4_096, 2_900], // a depth-3 node with its ≈ 4.2 changed depth-4 children
      [20_000, 470], // a depth-5 node with its changed depth-6 child
      [9_200, 190], // the leaves at depth 7
    ],
  },
  {
    name: 'depth-4 nodes as deltas',
    records: [
      [4_500, 560], // depths 0–3
      [17_000, 170], // depth 4: the changed slots and the full record's version
      [29_000, 280],
      [20_000, 190],
    ],
  },
];

const dir = mkdtempSync(join(tmpdir(), 'cmtd-bench-batch-'));
const db = new ClassicLevel<Buffer, Uint8Array>(dir, { keyEncoding: 'buffer', valueEncoding: 'view', writeBufferSize: WRITE_BUFFER });
await db.open();
console.log(`LevelDB batch benchmark: a block's node records, ${ROUNDS} rounds (${nodeDescription()})`);
try {
  const sizes = MIXES.map((mix) => mix.records.flatMap(([count, bytes]) => new Array<number>(count).fill(bytes)));
  const bytes = randomFillSync(Buffer.allocUnsafe(Math.max(...sizes.map((s) => s.reduce((a, b) => a + b + KEY_BYTES, 0)))));
  const staged = MIXES.map((): number[] => []);
  const total = MIXES.map((): number[] => []);
  const faults = MIXES.map((): number[] => []);
  const keptBatches = [new ReusedBatch(db, MAX_KEPT_BATCH_BYTES), new ReusedBatch(db, MAX_KEPT_BATCH_BYTES)] as const;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [m, recordSizes] of sizes.entries()) {
      const half = Math.ceil(recordSizes.length / 2);
      const writes: Array<Promise<void>> = [];
      let stagingMs = 0;
      let stagingFaults = 0;
      let at = 0;
      const t0 = performance.now();
      for (const [b, [from, to]] of [
        [0, half],
        [half, recordSizes.length],
      ].entries()) {
        const f0 = process.resourceUsage().minorPageFault;
        const s0 = performance.now();
        const batch = MIXES[m]!.kept ? keptBatches[b as 0 | 1].begin() : db.batch();
        for (let i = from; i < to; i++) {
          batch.put(bytes.subarray(at, at + KEY_BYTES), bytes.subarray(at + KEY_BYTES, at + KEY_BYTES + recordSizes[i]!));
          at += KEY_BYTES + recordSizes[i]!;
        }
        stagingMs += performance.now() - s0;
        stagingFaults += process.resourceUsage().minorPageFault - f0;
        writes.push(batch.write({ sync: true }));
      }
      await Promise.all(writes);
      if (round < 2) continue; // the allocator's and the disk's first touches
      staged[m]!.push(stagingMs);
      faults[m]!.push(stagingFaults);
      total[m]!.push(performance.now() - t0);
    }
  }
  for (const [m, mix] of MIXES.entries()) {
    const mib = sizes[m]!.reduce((a, b) => a + b + KEY_BYTES, 0) / 2 ** 20;
    console.log(
      `${mix.name}: ${sizes[m]!.length.toLocaleString('en')} records, ${mib.toFixed(1)} MiB: staged in ${median(staged[m]!).toFixed(1)} ms on this thread ` +
        `(${median(faults[m]!).toLocaleString('en')} page faults), ` +
        `all written and synced ${median(total[m]!).toFixed(1)} ms after the staging began`,
    );
  }
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Milliseconds LevelDB took to apply each order's batches, alternated into
 * one database so that both meet the same write-buffer fill; the first
 * rounds, while the buffer is nearly empty, are left out.
 */
async function latestBatchWrites(rounds: number): Promise<{ keyOrder: number[]; random: number[] }> {
  const valuesDir = mkdtempSync(join(tmpdir(), 'cmtd-bench-batch-'));
  const values = new ClassicLevel<Buffer, Uint8Array>(valuesDir, { keyEncoding: 'buffer', valueEncoding: 'view', writeBufferSize: VALUES_WRITE_BUFFER });
  await values.open();
  const times = { keyOrder: [] as number[], random: [] as number[] };
  try {
    const record = randomFillSync(Buffer.allocUnsafe(LATEST_RECORD_BYTES));
    for (let round = 0; round < rounds; round++) {
      for (const order of ['keyOrder', 'random'] as const) {
        const keys = Array.from({ length: LATEST_RECORDS }, () => {
          const key = randomFillSync(Buffer.allocUnsafe(LATEST_KEY_BYTES));
          key[0] = 0x73; // 's'
          return key;
        });
        if (order === 'keyOrder') keys.sort(Buffer.compare);
        const batch = values.batch();
        for (const key of keys) batch.put(key, record);
        const t0 = performance.now();
        await batch.write();
        if (round >= 4) times[order].push(performance.now() - t0);
      }
    }
  } finally {
    await values.close();
    rmSync(valuesDir, { recursive: true, force: true });
  }
  return times;
}

const latest = await latestBatchWrites(ROUNDS * 3);
console.log(
  `a block's ${LATEST_RECORDS.toLocaleString('en')} latest-value records into a ${VALUES_WRITE_BUFFER / 2 ** 20} MiB write buffer: ` +
    `applied in ${median(latest.keyOrder).toFixed(1)} ms in key order, ${median(latest.random).toFixed(1)} ms in random order (medians of ${latest.keyOrder.length})`,
);
