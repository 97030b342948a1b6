/**
 * Every consensus key of a node's committed state, read offline (the node
 * must be stopped: LevelDB allows one process per store). `CommittedStore.verify`
 * checks the whole state against the recorded app hash before we copy it.
 */
import { existsSync } from 'node:fs';
import { CommittedStore } from '../store/committed-store.js';
import { compareKeys } from '../store/keys.js';
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

/** Reads the committed state in `dir` (a node's `<home>/data/state.db`). */
export async function readSnapshot(dir: string): Promise<StateSnapshot> {
  if (!existsSync(dir)) throw new Error(`no state store at ${dir}: is --home the node's cmtd home?`);
  const store = await CommittedStore.open(dir);
  const height = store.height;
  const appHash = store.appHash;
  const entries = new Map<string, Uint8Array>();
  try {
    await store.verify();
    let from: string | undefined = '';
    while (from !== undefined) {
      const page: { entries: Array<[string, Uint8Array]>; next?: string } = await store.entries(height, from, 10_000);
      for (const [k, v] of page.entries) entries.set(k, v);
      from = page.next;
    }
  } finally {
    await store.close();
  }
  return new StateSnapshot(height, appHash, entries);
}
