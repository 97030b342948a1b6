/**
 * Every consensus key of a node's committed state, read offline (the node
 * must be stopped: LevelDB allows one process per store). `CommittedStore.open`
 * verifies the whole state against the recorded app hash before we copy it.
 */
import { existsSync } from 'node:fs';
import { CommittedStore } from '../store/committed-store.js';
import { compareKeys, MerkleTreeBuilder } from '../store/merkle.js';
import type { KVReader } from '../store/kv.js';

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
  const entries = new Map(store.entries());
  await store.close();
  return new StateSnapshot(height, appHash, entries);
}
