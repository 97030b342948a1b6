/**
 * The state-sync snapshot format, version 1 (docs/STATE-SYNC.md describes it
 * byte by byte). A snapshot of height H is every (key, value) of the Merkle
 * state at version H, in ascending byte order of the keys' UTF-8, cut into
 * chunks; its metadata lists the chunks' SHA-256 hashes, and the snapshot
 * hash CometBFT passes around is SHA-256(metadata). Honest nodes build
 * byte-identical snapshots of the same height, so CometBFT can fetch chunks
 * of one snapshot from several peers.
 *
 * Pure functions: no I/O.
 */
import { compareKeys, isWellFormedKey } from '../store/keys.js';
import { sha256 } from '../util/sha256.js';

/** The only snapshot format this version writes and restores. */
export const SNAPSHOT_FORMAT = 1;
/** Hard upper bound of one chunk (CometBFT's p2p chunk message limit is 16 MB). */
export const MAX_CHUNK_BYTES = 10_000_000;
/** Default size at which a chunk is cut (`--snapshot-chunk-bytes`). */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
/** Most chunks one snapshot may have: bounds the metadata (32 bytes a chunk) and a restore. */
export const MAX_CHUNKS = 4096;

const HASH_LEN = 32;
const METADATA_HEADER = 1 + 8 + HASH_LEN + 8 + 4;
const CHUNK_HEADER = 1 + 4;

/** What a snapshot's metadata says. */
export interface SnapshotMetadata {
  height: bigint;
  /** The app hash of the state at `height` (the root the restored state must have). */
  appHash: Uint8Array;
  /** Number of (key, value) entries in all chunks together. */
  keyCount: bigint;
  /** SHA-256 of each chunk, in order. */
  chunkHashes: Uint8Array[];
}

/** A snapshot or chunk that breaks the format: never applied. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
}

export function encodeMetadata(m: SnapshotMetadata): Uint8Array {
  if (m.appHash.length !== HASH_LEN) throw new SnapshotFormatError(`app hash must be ${HASH_LEN} bytes, got ${m.appHash.length}`);
  if (m.chunkHashes.length < 1 || m.chunkHashes.length > MAX_CHUNKS) throw new SnapshotFormatError(`a snapshot has 1 to ${MAX_CHUNKS} chunks, got ${m.chunkHashes.length}`);
  const out = Buffer.alloc(METADATA_HEADER + HASH_LEN * m.chunkHashes.length);
  out[0] = SNAPSHOT_FORMAT;
  out.writeBigUInt64BE(m.height, 1);
  out.set(m.appHash, 9);
  out.writeBigUInt64BE(m.keyCount, 9 + HASH_LEN);
  out.writeUInt32BE(m.chunkHashes.length, 17 + HASH_LEN);
  m.chunkHashes.forEach((h, i) => {
    if (h.length !== HASH_LEN) throw new SnapshotFormatError(`chunk hash ${i} must be ${HASH_LEN} bytes`);
    out.set(h, METADATA_HEADER + HASH_LEN * i);
  });
  return out;
}

/** Decodes and checks metadata received from a peer (untrusted). */
export function decodeMetadata(bytes: Uint8Array): SnapshotMetadata {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < METADATA_HEADER) throw new SnapshotFormatError(`metadata too short: ${b.length} bytes`);
  if (b[0] !== SNAPSHOT_FORMAT) throw new SnapshotFormatError(`metadata of format ${b[0]}, expected ${SNAPSHOT_FORMAT}`);
  const count = b.readUInt32BE(17 + HASH_LEN);
  if (count < 1 || count > MAX_CHUNKS) throw new SnapshotFormatError(`a snapshot has 1 to ${MAX_CHUNKS} chunks, metadata says ${count}`);
  if (b.length !== METADATA_HEADER + HASH_LEN * count)
    throw new SnapshotFormatError(`metadata of ${count} chunks must be ${METADATA_HEADER + HASH_LEN * count} bytes, got ${b.length}`);
  const chunkHashes: Uint8Array[] = [];
  for (let i = 0; i < count; i++) chunkHashes.push(Uint8Array.from(b.subarray(METADATA_HEADER + HASH_LEN * i, METADATA_HEADER + HASH_LEN * (i + 1))));
  return { height: b.readBigUInt64BE(1), appHash: Uint8Array.from(b.subarray(9, 9 + HASH_LEN)), keyCount: b.readBigUInt64BE(9 + HASH_LEN), chunkHashes };
}

/** The snapshot hash CometBFT compares between peers: SHA-256 of the metadata. */
export function snapshotHash(metadata: Uint8Array): Uint8Array {
  return sha256(metadata);
}

export function chunkHash(chunk: Uint8Array): Uint8Array {
  return sha256(chunk);
}

/** Size in a chunk of one entry. */
export function entrySize(key: Uint8Array, value: Uint8Array): number {
  return 8 + key.length + value.length;
}

/** Encodes one chunk: entries already in ascending key order. */
export function encodeChunk(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  let size = CHUNK_HEADER;
  for (const [k, v] of entries) size += entrySize(k, v);
  if (size > MAX_CHUNK_BYTES) throw new SnapshotFormatError(`a chunk of ${size} bytes exceeds the limit of ${MAX_CHUNK_BYTES}`);
  const out = Buffer.alloc(size);
  out[0] = SNAPSHOT_FORMAT;
  out.writeUInt32BE(entries.length, 1);
  let off = CHUNK_HEADER;
  for (const [k, v] of entries) {
    out.writeUInt32BE(k.length, off);
    out.set(k, off + 4);
    off += 4 + k.length;
    out.writeUInt32BE(v.length, off);
    out.set(v, off + 4);
    off += 4 + v.length;
  }
  return out;
}

/** The empty chunk size: what a chunk with no entries takes. */
export const EMPTY_CHUNK_BYTES = CHUNK_HEADER;

/**
 * Decodes a chunk whose hash matched the metadata, checking every key is
 * well formed and greater than `after` (the last key of the previous chunk)
 * and than the key before it. Throws SnapshotFormatError otherwise.
 */
export function decodeChunk(bytes: Uint8Array, after: string | undefined): Array<[string, Uint8Array]> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < CHUNK_HEADER || b.length > MAX_CHUNK_BYTES) throw new SnapshotFormatError(`chunk of ${b.length} bytes`);
  if (b[0] !== SNAPSHOT_FORMAT) throw new SnapshotFormatError(`chunk of format ${b[0]}, expected ${SNAPSHOT_FORMAT}`);
  const count = b.readUInt32BE(1);
  const out: Array<[string, Uint8Array]> = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let off = CHUNK_HEADER;
  let previous = after;
  const take = (what: string): Buffer => {
    if (off + 4 > b.length) throw new SnapshotFormatError(`chunk truncated in ${what} ${out.length}`);
    const len = b.readUInt32BE(off);
    if (off + 4 + len > b.length) throw new SnapshotFormatError(`chunk truncated in ${what} ${out.length}`);
    const part = b.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    return part;
  };
  for (let i = 0; i < count; i++) {
    const keyBytes = take('key');
    let key: string;
    try {
      key = decoder.decode(keyBytes);
    } catch {
      throw new SnapshotFormatError(`key ${i} of the chunk is not UTF-8`);
    }
    if (!isWellFormedKey(key)) throw new SnapshotFormatError(`key ${i} of the chunk is not a state key`);
    if (previous !== undefined && compareKeys(previous, key) >= 0) throw new SnapshotFormatError(`key ${i} of the chunk is not after the key before it`);
    previous = key;
    out.push([key, Uint8Array.from(take('value'))]);
  }
  if (off !== b.length) throw new SnapshotFormatError(`${b.length - off} bytes after the last entry of the chunk`);
  return out;
}
