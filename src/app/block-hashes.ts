/**
 * When a block's hash goes into the BLOCKHASH ring (`bh/`, src/evm/engine.ts).
 *
 * CometBFT follows every block whose app hash changed with another block,
 * even with `create_empty_blocks = false`: a ring entry written by every
 * block would make an idle chain produce blocks for ever (`cmtd dev`). So a
 * block writes the ring before its first transaction runs (its own hash and
 * those of the idle blocks before it), or at its end when it changed any
 * other state; a block with no transaction that changed nothing leaves its
 * hash in an `idle` list kept beside the state (in the same commit batch,
 * outside the Merkle tree) for the next block that writes.
 *
 * After any block that writes, the ring holds exactly what writing every
 * block would have written (the idle list is written oldest first, and at
 * most one ring's worth of it matters), so such a block's app hash is the
 * same under either rule; only an idle block keeps its parent's app hash.
 * Transactions always run with the ring complete. What the idle list holds
 * is no state a snapshot carries, so state-sync snapshots wait for a height
 * whose list is empty (app.ts).
 */
import { RLP } from '@ethereumjs/rlp';
import { BLOCK_HASH_SLOTS, blockHashKey, recordBlockHash } from '../evm/engine.js';
import { bigintToBytes, bytesToBigint } from '../state/accounts.js';
import type { Change, KV, KVReader } from '../store/kv.js';

/** Key (outside the Merkle state) of the hashes of idle blocks since the last ring write. */
export const IDLE_BLOCK_HASHES_KEY = 'app/idle-block-hashes';

export type BlockHashEntry = readonly [height: bigint, hash: Uint8Array];

export function encodeIdleHashes(entries: readonly BlockHashEntry[]): Uint8Array {
  return RLP.encode(entries.map(([h, hash]) => [bigintToBytes(h), hash]));
}

export function decodeIdleHashes(raw: Uint8Array): BlockHashEntry[] {
  return (RLP.decode(raw) as Uint8Array[][]).map(([h, hash]) => [bytesToBigint(h!), hash!] as const);
}

/** The block's entry plus the idle ones before it, the oldest dropped past one ring's worth. */
export function withBlock(idle: readonly BlockHashEntry[], height: bigint, hash: Uint8Array): BlockHashEntry[] {
  const all = [...idle, [height, hash] as const];
  return all.length > Number(BLOCK_HASH_SLOTS) ? all.slice(all.length - Number(BLOCK_HASH_SLOTS)) : all;
}

/** Writes the entries into the ring, oldest first (a later height takes its slot). */
export function writeRing(kv: KV, entries: readonly BlockHashEntry[]): void {
  for (const [height, hash] of entries) recordBlockHash(kv, height, hash);
}

/** Whether any of `changes` gives a key another value than `parent` holds (a rewrite of the same bytes is none). */
export function changesState(changes: ReadonlyArray<readonly [string, Change]>, parent: KVReader): boolean {
  for (const [key, value] of changes) {
    const before = parent.get(key);
    if (value === null ? before !== undefined : before === undefined || !Buffer.from(value).equals(before)) return true;
  }
  return false;
}

/**
 * A committed version as calls read it (eth_call, traces): its BLOCKHASH
 * ring completed with the idle blocks' hashes (`idle`, the app's current
 * list) up to its height. A block's hash is a fact about the chain, so
 * serving it from the list is what the ring will hold once a block writes.
 */
export function withIdleBlockHashes<V extends KVReader & { readonly height: bigint }>(view: V, idle: readonly BlockHashEntry[]): V {
  const known = idle.filter(([height]) => height <= view.height);
  if (known.length === 0) return view;
  const bySlot = new Map<string, BlockHashEntry>();
  for (const entry of known) bySlot.set(blockHashKey(entry[0]), entry); // oldest first: the newest stays
  return Object.assign(Object.create(view) as V, {
    get(key: string): Uint8Array | undefined {
      const entry = bySlot.get(key);
      return entry === undefined ? view.get(key) : encodeEntry(entry);
    },
  });
}

function encodeEntry([height, hash]: BlockHashEntry): Uint8Array {
  return RLP.encode([bigintToBytes(height), hash]);
}
