/**
 * Bulk load: writes a complete state into an empty store directory in one
 * pass, as if every key had been inserted by one commit at `height`: the
 * database holds exactly the records that `computeRoot` + `commit` of the
 * same keys into an empty store write (test/unit/store-bulk-load.test.ts
 * compares them record by record). For benchmarks and tools that need a
 * large state fast; not a consensus path.
 *
 * The keys are hashed into one flat buffer, sorted by keyHash (radix on the
 * first two bytes, then a comparison sort per bucket), and the tree is built
 * bottom-up in keyHash order (tree.ts buildSortedSubtreeAsync), so no node is
 * read back and nothing proportional to the state lives in objects; records
 * go to LevelDB in large batches.
 */

import { ClassicLevel } from 'classic-level';

import {
  META_KEY,
  StoreUsageError,
  encodeMeta,
  encodeRoot,
  latestKey,
  latestRecord,
  nodesDbOptions,
  nodesDir,
  resolve,
  rootKey,
  valuesDbOptions,
  writeNodesThenRest,
} from './committed-store.js';
import { sha256, sha256Binary } from '../util/sha256.js';
import { ByteArena } from './byte-arena.js';
import { isWellFormedKey } from './keys.js';
import { EMPTY_HASH, HASH_LEN, buildSortedSubtreeAsync, encodeNode, nodeKey, u64String, type LeafNode, type NodeWrite, type SortedLeaves } from './tree.js';

/** Keys built per synchronous step (the batch is written between steps). */
const SYNC_RANGE = 20_000;
/** Bytes of records per LevelDB batch. */
const BATCH_BYTES = 64 * 1024 * 1024;

export interface BulkLoadOptions {
  /** Called after each written batch with the number of keys placed so far. */
  onProgress?: (placed: number) => void;
}

/**
 * Writes the `count` entries `entryAt(0 .. count-1)` as the state of version
 * `height` into the store at `dir`, which must not hold a store yet.
 * `entryAt` is called twice per index (hashing, then writing) and must
 * return the same entry both times; keys must be distinct. Returns the app
 * hash. Open the result with `CommittedStore.open`.
 */
export async function bulkLoad(
  dir: string,
  height: bigint,
  count: number,
  entryAt: (i: number) => readonly [string, Uint8Array],
  options: BulkLoadOptions = {},
): Promise<Uint8Array> {
  if (typeof height !== 'bigint' || height < 1n || height > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new StoreUsageError(`bulk load height must be 1 .. 2^53-1, got ${String(height)}`);
  }
  if (!Number.isSafeInteger(count) || count < 0 || count > 0xffff_ffff) throw new StoreUsageError(`bulk load of ${count} keys (at most 2^32-1)`);
  const v = Number(height);
  const vs = u64String(v);

  // 1. Hash every key; 2. sort the indices by keyHash.
  const hashes = Buffer.allocUnsafe(count * HASH_LEN);
  for (let i = 0; i < count; i++) {
    const [key] = entryAt(i);
    if (typeof key !== 'string' || !isWellFormedKey(key)) throw new StoreUsageError(`invalid state key ${JSON.stringify(key)}`);
    hashes.set(sha256(Buffer.from(key, 'utf8')), i * HASH_LEN);
  }
  const order = sortByHash(hashes, count);
  const sorted = Buffer.allocUnsafe(count * HASH_LEN);
  for (let j = 0; j < count; j++) hashes.copy(sorted, j * HASH_LEN, order[j]! * HASH_LEN, order[j]! * HASH_LEN + HASH_LEN);
  for (let j = 1; j < count; j++) {
    if (sorted.compare(sorted, (j - 1) * HASH_LEN, j * HASH_LEN, j * HASH_LEN, (j + 1) * HASH_LEN) === 0) {
      throw new StoreUsageError(`bulk load: key ${JSON.stringify(entryAt(order[j]!)[0])} appears twice`);
    }
  }

  const db = new ClassicLevel<Buffer, Uint8Array>(dir, valuesDbOptions(64 * 1024 * 1024));
  const nodesDb = new ClassicLevel<Buffer, Uint8Array>(nodesDir(dir), nodesDbOptions(64 * 1024 * 1024));
  await db.open();
  await nodesDb.open();
  try {
    for (const [what, d] of [
      ['the directory', db],
      [`its tree nodes' database (${nodesDir(dir)})`, nodesDb],
    ] as const) {
      if ((await d.keys({ limit: 1 }).all()).length > 0) throw new StoreUsageError(`bulk load into ${dir}: ${what} already holds records`);
    }

    // 3. Build the tree bottom-up in keyHash order, writing as it goes.
    let batch = db.batch();
    let nodes = nodesDb.batch();
    let batchBytes = 0;
    let placed = 0;
    const records = new ByteArena(); // the batch copies each record: a view of a shared chunk suffices
    const put = (key: Buffer, value: Buffer, to = batch): void => {
      to.put(key, value);
      batchBytes += key.length + value.length;
    };
    const flush = async (force: boolean): Promise<void> => {
      if (!force && batchBytes < BATCH_BYTES) return;
      await writeNodesThenRest([nodes], batch, false);
      batch = db.batch();
      nodes = nodesDb.batch();
      batchBytes = 0;
      options.onProgress?.(placed);
    };
    const leaves: SortedLeaves = {
      nibbleAt: (i, depth) => {
        const b = sorted[i * HASH_LEN + (depth >> 1)]!;
        return depth & 1 ? b & 0x0f : b >> 4;
      },
      keyHashAt: (i) => sorted.toString('latin1', i * HASH_LEN, i * HASH_LEN + HASH_LEN),
      leafAt: (i): LeafNode => {
        const [key, value] = entryAt(order[i]!);
        put(latestKey(records, key), latestRecord(records, vs, value));
        placed++;
        const plain = new Uint8Array(value); // leaves hold plain copies, as commit's do
        return { kind: 'leaf', keyHash: leaves.keyHashAt(i), valueHash: sha256Binary(plain), key, value: plain };
      },
    };
    const emit = (w: NodeWrite): void => put(Buffer.from(nodeKey(v, w.depth, w.path), 'latin1'), encodeNode(w.node, v), nodes);

    const root = count === 0 ? undefined : resolve(await buildSortedSubtreeAsync(leaves, 0, 0, count, emit, SYNC_RANGE, () => flush(false)), v);
    const appHash = Buffer.from(root?.hash ?? EMPTY_HASH, 'latin1');
    put(rootKey(v), encodeRoot(root));
    put(Buffer.from(META_KEY), Buffer.from(encodeMeta(v, appHash, count)));
    await flush(true);
    // Flush the (64 MiB) memtables to tables now: otherwise the first open replays their logs.
    await db.compactRange(META_KEY, META_KEY);
    await nodesDb.compactRange(Buffer.from('N'), Buffer.from('N'));
    return appHash;
  } finally {
    await db.close();
    await nodesDb.close();
  }
}

/** Indices 0..count-1 ordered by their 32-byte hash in `hashes`. */
function sortByHash(hashes: Buffer, count: number): Uint32Array {
  const bucketOf = (i: number): number => (hashes[i * HASH_LEN]! << 8) | hashes[i * HASH_LEN + 1]!;
  const starts = new Uint32Array(65_537);
  for (let i = 0; i < count; i++) starts[bucketOf(i) + 1]!++;
  for (let b = 1; b <= 65_536; b++) starts[b]! += starts[b - 1]!;
  const order = new Uint32Array(count);
  const fill = starts.slice(0, 65_536);
  for (let i = 0; i < count; i++) order[fill[bucketOf(i)]!++] = i;
  const compare = (a: number, b: number): number => hashes.compare(hashes, b * HASH_LEN, b * HASH_LEN + HASH_LEN, a * HASH_LEN, a * HASH_LEN + HASH_LEN);
  for (let b = 0; b < 65_536; b++) {
    if (starts[b + 1]! - starts[b]! > 1) order.subarray(starts[b]!, starts[b + 1]!).sort(compare);
  }
  return order;
}
