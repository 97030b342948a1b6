/**
 * Every consensus key of a node's committed state, read offline (the node
 * must be stopped: LevelDB allows one process per store).
 *
 * `CommittedStore.open` first checks the store (its rebuilt Merkle root
 * against the recorded app hash) and gives the height and app hash; the
 * keys themselves are then read straight from LevelDB's `s:` range
 * (the layout documented in src/store/committed-store.ts) and hashed again,
 * so a change of that layout can never yield a silently different export.
 */
import { existsSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { CommittedStore } from '../store/committed-store.js';
import { compareKeys, MerkleTreeBuilder } from '../store/merkle.js';
import type { KVReader } from '../store/kv.js';

/** LevelDB key prefix of consensus state, and the first key after that range (';' follows ':'). */
const STATE_PREFIX = 's:';
const STATE_END = 's;';

/** A complete committed state, read-only. */
export class StateSnapshot implements KVReader {
  /** Keys in ascending byte order. */
  readonly keys: readonly string[];

  constructor(
    readonly height: bigint,
    readonly appHash: Uint8Array,
    private readonly entries: ReadonlyMap<string, Uint8Array>,
  ) {
    this.keys = [...entries.keys()].sort(compareKeys);
  }

  get(key: string): Uint8Array | undefined {
    return this.entries.get(key);
  }

  /** Keys starting with `prefix`, ascending. */
  keysWithPrefix(prefix: string): string[] {
    return this.keys.filter((k) => k.startsWith(prefix));
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The Merkle root (app hash) of a complete key/value set. */
export function stateRoot(entries: Iterable<readonly [string, Uint8Array]>): Uint8Array {
  const builder = new MerkleTreeBuilder();
  for (const [key, value] of entries) builder.add(key, value);
  return builder.finish().root();
}

/** Reads the committed state in `dir` (a node's `<home>/data/state.db`). */
export async function readSnapshot(dir: string): Promise<StateSnapshot> {
  if (!existsSync(dir)) throw new Error(`no state store at ${dir}: is --home the node's cmtd home?`);
  const store = await CommittedStore.open(dir);
  const height = store.height;
  const appHash = store.appHash;
  await store.close();

  const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const entries = new Map<string, Uint8Array>();
  try {
    for await (const [dbKey, value] of db.iterator({ gte: STATE_PREFIX, lt: STATE_END })) {
      entries.set(dbKey.slice(STATE_PREFIX.length), new Uint8Array(value));
    }
  } finally {
    await db.close();
  }
  const root = stateRoot(entries);
  if (Buffer.compare(Buffer.from(root), Buffer.from(appHash)) !== 0) {
    throw new Error(`state store ${dir}: the ${entries.size} keys read hash to ${hex(root)}, not to the committed app hash ${hex(appHash)}`);
  }
  return new StateSnapshot(height, appHash, entries);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
