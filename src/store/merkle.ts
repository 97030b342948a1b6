/**
 * The state commitment: a fixed-shape, bucketed Merkle tree.
 *
 * Format (normative; docs/STORE.md repeats it with examples):
 *
 *   key bytes      = UTF-8 of the string key (keys must be well-formed UTF-16,
 *                    i.e. no lone surrogates)
 *   bucket(key)    = fnv1a32(key bytes) & 0xfff          (4096 buckets)
 *   valueHash      = sha256(value)
 *   leaf           = sha256(0x00 || uvarint(len(key bytes)) || key bytes || valueHash)
 *   bucketHash     = sha256(0x01 || leaf_1 || ... || leaf_n)
 *                    over the bucket's keys in ascending byte order
 *                    (an empty bucket: sha256(0x01))
 *   node           = sha256(0x02 || left || right)
 *   root           = top of a perfect binary tree of depth 12 whose 4096 leaves
 *                    are the bucket hashes, bucket 0 leftmost.
 *
 * fnv1a32 is the 32-bit FNV-1a hash (offset basis 0x811c9dc5, prime
 * 0x01000193). uvarint is the unsigned LEB128 varint (protobuf's).
 *
 * Nodes are numbered as in a binary heap: node 1 is the root, node i has
 * children 2i and 2i+1, bucket b is node 4096 + b.
 *
 * Proof (see {@link MerkleProof}): every (key, valueHash) of the key's bucket
 * plus the 12 sibling hashes from the bucket up to the root. Carrying the
 * value hashes (not bare leaf hashes) lets the verifier recompute each leaf
 * from its key, so an absence proof is sound: the bucket hash binds the full,
 * sorted key list of the bucket.
 *
 * Everything here is deterministic: no result depends on Map iteration order.
 */
import { hash as nodeHash } from 'node:crypto';

import type { Change } from './kv.js';

export const BUCKET_BITS = 12;
export const BUCKET_COUNT = 1 << BUCKET_BITS; // 4096
const HASH_LEN = 32;
const LEAF_PREFIX = 0x00;
const BUCKET_PREFIX = 0x01;
const NODE_PREFIX = 0x02;

/** sha256 with Node's native one-shot hash. */
export function sha256(data: Uint8Array): Buffer {
  return nodeHash('sha256', data, 'buffer');
}

// ---------------------------------------------------------------------------
// Keys

/** True when `key` has no lone surrogate (so its UTF-8 encoding is lossless). */
export function isWellFormedKey(key: string): boolean {
  return (key as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Compares two keys by the byte order of their UTF-8 encodings, without
 * encoding them. UTF-16 code-unit order equals UTF-8 byte order except that
 * surrogates (0xD800-0xDFFF, which encode code points >= 0x10000) must sort
 * after 0xE000-0xFFFF.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/** 32-bit FNV-1a over the UTF-8 bytes of `key`. */
export function fnv1a32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return fnv1a32Bytes(Buffer.from(key, 'utf8'));
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

export function fnv1a32Bytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** The bucket (0..4095) a key belongs to. */
export function bucketOf(key: string): number {
  return fnv1a32(key) & (BUCKET_COUNT - 1);
}

// ---------------------------------------------------------------------------
// Hashes

function uvarintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeUvarint(buf: Uint8Array, offset: number, n: number): number {
  while (n >= 0x80) {
    buf[offset++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[offset++] = n;
  return offset;
}

let scratch = Buffer.allocUnsafe(256);

/** leaf = sha256(0x00 || uvarint(len(key)) || key || valueHash) */
export function leafHashFromValueHash(key: string, valueHash: Uint8Array): Buffer {
  const keyLen = Buffer.byteLength(key, 'utf8');
  const need = 1 + uvarintLength(keyLen) + keyLen + HASH_LEN;
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
  scratch[0] = LEAF_PREFIX;
  let off = writeUvarint(scratch, 1, keyLen);
  off += scratch.write(key, off, 'utf8');
  scratch.set(valueHash, off);
  return sha256(scratch.subarray(0, off + HASH_LEN));
}

export function leafHash(key: string, value: Uint8Array): Buffer {
  return leafHashFromValueHash(key, sha256(value));
}

/** bucketHash = sha256(0x01 || leaves...) */
export function bucketHash(leaves: readonly Uint8Array[]): Buffer {
  const buf = Buffer.allocUnsafe(1 + HASH_LEN * leaves.length);
  buf[0] = BUCKET_PREFIX;
  for (let i = 0; i < leaves.length; i++) buf.set(leaves[i]!, 1 + HASH_LEN * i);
  return sha256(buf);
}

const nodeScratch = Buffer.allocUnsafe(1 + 2 * HASH_LEN);

/** node = sha256(0x02 || left || right) */
export function nodeHashOf(left: Uint8Array, right: Uint8Array): Buffer {
  nodeScratch[0] = NODE_PREFIX;
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_LEN);
  return sha256(nodeScratch);
}

const EMPTY_BUCKET_DATA = Buffer.from([BUCKET_PREFIX]);

let emptyRootCache: Buffer | undefined;

/** The root of the empty state. */
export function emptyRoot(): Uint8Array {
  if (emptyRootCache === undefined) {
    let h = sha256(EMPTY_BUCKET_DATA);
    for (let level = 0; level < BUCKET_BITS; level++) h = nodeHashOf(h, h);
    emptyRootCache = h;
  }
  return Uint8Array.from(emptyRootCache);
}

// ---------------------------------------------------------------------------
// The in-memory tree

/**
 * One bucket: its keys in ascending byte order, and `data` =
 * 0x01 || leaf_1 || ... || leaf_n (exactly the bucket hash's preimage, so the
 * bucket hashes in a single call). Buckets are immutable once built: a block
 * builds new ones (copy on write), so the committed tree stays readable while
 * a block's root is pending.
 */
export interface Bucket {
  readonly keys: readonly string[];
  readonly data: Buffer;
}

const EMPTY_BUCKET: Bucket = { keys: [], data: EMPTY_BUCKET_DATA };

/** A computed but not yet applied tree: the result of {@link MerkleTree.prepare}. */
export interface PendingTree {
  readonly root: Uint8Array;
  /** @internal the tree version this was computed against */
  readonly baseVersion: number;
  /** @internal replaced buckets */
  readonly buckets: ReadonlyMap<number, Bucket>;
  /** @internal the full node array after the change */
  readonly nodes: Buffer;
}

/** A change with its leaf computed: a leaf hash to write, or null to delete. */
type LeafChange = readonly [key: string, leaf: Buffer | null];

function binarySearch(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(keys[mid]!, key);
    if (c < 0) lo = mid + 1;
    else if (c > 0) hi = mid - 1;
    else return mid;
  }
  return -(lo + 1);
}

/** Applies sorted, distinct-key changes to a bucket, returning a new bucket. */
function updateBucket(old: Bucket, changes: readonly LeafChange[]): Bucket {
  // Fast path: every change overwrites an existing key.
  let inPlace = true;
  const positions = new Array<number>(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const [key, leaf] = changes[i]!;
    const pos = binarySearch(old.keys, key);
    if (pos < 0 || leaf === null) {
      inPlace = false;
      break;
    }
    positions[i] = pos;
  }
  if (inPlace) {
    const data = Buffer.from(old.data); // copy
    for (let i = 0; i < changes.length; i++) data.set(changes[i]![1]!, 1 + HASH_LEN * positions[i]!);
    return { keys: old.keys, data };
  }

  // General path: merge the sorted old keys with the sorted changes.
  const keys: string[] = [];
  const data = Buffer.allocUnsafe(1 + HASH_LEN * (old.keys.length + changes.length));
  data[0] = BUCKET_PREFIX;
  let out = 1;
  let i = 0;
  let j = 0;
  const oldKeys = old.keys;
  while (i < oldKeys.length || j < changes.length) {
    const c =
      i >= oldKeys.length ? 1 : j >= changes.length ? -1 : compareKeys(oldKeys[i]!, changes[j]![0]);
    if (c < 0) {
      keys.push(oldKeys[i]!);
      old.data.copy(data, out, 1 + HASH_LEN * i, 1 + HASH_LEN * (i + 1));
      out += HASH_LEN;
      i++;
    } else {
      const [key, leaf] = changes[j]!;
      if (leaf !== null) {
        keys.push(key);
        data.set(leaf, out);
        out += HASH_LEN;
      }
      if (c === 0) i++; // replaced or deleted
      j++;
    }
  }
  if (keys.length === 0) return EMPTY_BUCKET;
  return { keys, data: data.subarray(0, out) };
}

let emptyNodesCache: Buffer | undefined;

export class MerkleTree {
  private buckets: Bucket[];
  /** Heap-ordered node hashes, node i at bytes [32i, 32i+32); node 0 unused. */
  private nodes: Buffer;
  private version = 0;
  private count = 0;

  private constructor(buckets: Bucket[], nodes: Buffer, count: number) {
    this.buckets = buckets;
    this.nodes = nodes;
    this.count = count;
  }

  /** The tree of the empty state. */
  static empty(): MerkleTree {
    if (emptyNodesCache === undefined) emptyNodesCache = MerkleTree.fromLeaves([]).nodes;
    return new MerkleTree(new Array<Bucket>(BUCKET_COUNT).fill(EMPTY_BUCKET), Buffer.from(emptyNodesCache), 0);
  }

  /** Builds the tree of a state given as (key, value) pairs, in any order. */
  static build(entries: Iterable<readonly [string, Uint8Array]>): MerkleTree {
    const leaves: Array<readonly [string, Buffer]> = [];
    for (const [key, value] of entries) {
      if (!isWellFormedKey(key)) throw new Error(`state key is not well-formed UTF-16: ${JSON.stringify(key)}`);
      leaves.push([key, leafHash(key, value)]);
    }
    return MerkleTree.fromLeaves(leaves);
  }

  /** Builds the tree from (key, leafHash) pairs in any order; keys must be distinct. */
  static fromLeaves(leaves: Iterable<readonly [string, Uint8Array]>): MerkleTree {
    const perBucket: Array<Array<readonly [string, Uint8Array]>> = Array.from({ length: BUCKET_COUNT }, () => []);
    let count = 0;
    for (const entry of leaves) {
      perBucket[bucketOf(entry[0])]!.push(entry);
      count++;
    }
    const nodes = Buffer.allocUnsafe(2 * BUCKET_COUNT * HASH_LEN);
    const buckets = new Array<Bucket>(BUCKET_COUNT);
    for (let b = 0; b < BUCKET_COUNT; b++) {
      const list = perBucket[b]!;
      let sorted = true;
      for (let i = 1; i < list.length; i++) {
        const c = compareKeys(list[i - 1]![0], list[i]![0]);
        if (c === 0) throw new Error(`duplicate state key ${JSON.stringify(list[i]![0])}`);
        if (c > 0) sorted = false;
      }
      if (!sorted) {
        list.sort((x, y) => compareKeys(x[0], y[0]));
        for (let i = 1; i < list.length; i++) {
          if (list[i - 1]![0] === list[i]![0]) throw new Error(`duplicate state key ${JSON.stringify(list[i]![0])}`);
        }
      }
      let bucket: Bucket = EMPTY_BUCKET;
      if (list.length > 0) {
        const data = Buffer.allocUnsafe(1 + HASH_LEN * list.length);
        data[0] = BUCKET_PREFIX;
        const keys = new Array<string>(list.length);
        for (let i = 0; i < list.length; i++) {
          keys[i] = list[i]![0];
          data.set(list[i]![1], 1 + HASH_LEN * i);
        }
        bucket = { keys, data };
      }
      buckets[b] = bucket;
      nodes.set(sha256(bucket.data), (BUCKET_COUNT + b) * HASH_LEN);
      perBucket[b] = []; // release
    }
    for (let i = BUCKET_COUNT - 1; i >= 1; i--) hashNode(nodes, i);
    return new MerkleTree(buckets, nodes, count);
  }

  /** The current root (a copy). */
  root(): Uint8Array {
    return Uint8Array.from(this.nodes.subarray(HASH_LEN, 2 * HASH_LEN));
  }

  /** Number of keys. */
  get size(): number {
    return this.count;
  }

  /** Whether `key` is in the tree. */
  has(key: string): boolean {
    return binarySearch(this.buckets[bucketOf(key)]!.keys, key) >= 0;
  }

  /**
   * Computes the tree after `changes` (distinct keys; a Uint8Array value sets
   * the key, null deletes it) without modifying this tree. Each changed key
   * costs two hashes, each dirty bucket one, plus at most 4095 node hashes.
   */
  prepare(changes: Iterable<readonly [string, Change]>): PendingTree {
    const perBucket = new Map<number, LeafChange[]>();
    for (const [key, change] of changes) {
      const b = bucketOf(key);
      let list = perBucket.get(b);
      if (list === undefined) perBucket.set(b, (list = []));
      list.push([key, change === null ? null : leafHash(key, change)]);
    }
    return this.prepareLeaves(perBucket);
  }

  private prepareLeaves(perBucket: Map<number, LeafChange[]>): PendingTree {
    const nodes = Buffer.from(this.nodes); // 256 KiB copy
    const dirty = new Uint8Array(BUCKET_COUNT);
    const buckets = new Map<number, Bucket>();
    for (const [b, list] of perBucket) {
      list.sort((x, y) => compareKeys(x[0], y[0]));
      for (let i = 1; i < list.length; i++) {
        if (list[i - 1]![0] === list[i]![0]) throw new Error(`duplicate key in changes: ${JSON.stringify(list[i]![0])}`);
      }
      const bucket = updateBucket(this.buckets[b]!, list);
      buckets.set(b, bucket);
      nodes.set(sha256(bucket.data), (BUCKET_COUNT + b) * HASH_LEN);
      for (let i = (BUCKET_COUNT + b) >> 1; i >= 1 && dirty[i] === 0; i >>= 1) dirty[i] = 1;
    }
    // Children have larger indexes than parents: hash from the bottom up.
    for (let i = BUCKET_COUNT - 1; i >= 1; i--) if (dirty[i] === 1) hashNode(nodes, i);
    return {
      root: Uint8Array.from(nodes.subarray(HASH_LEN, 2 * HASH_LEN)),
      baseVersion: this.version,
      buckets,
      nodes,
    };
  }

  /** Whether `pending` was computed against this tree as it is now. */
  isCurrent(pending: PendingTree): boolean {
    return pending.baseVersion === this.version;
  }

  /** Makes a prepared tree current. Throws if this tree changed since `prepare`. */
  apply(pending: PendingTree): void {
    if (pending.baseVersion !== this.version) {
      throw new Error('stale pending root: the tree changed after it was computed');
    }
    for (const [b, bucket] of pending.buckets) {
      this.count += bucket.keys.length - this.buckets[b]!.keys.length;
      this.buckets[b] = bucket;
    }
    this.nodes = pending.nodes;
    this.version++;
  }

  /**
   * The proof for `key` (present or absent). `valueOf` returns the value of
   * a key of the tree (the store's state map).
   */
  prove(key: string, valueOf: (key: string) => Uint8Array | undefined): MerkleProof {
    const b = bucketOf(key);
    const bucket = this.buckets[b]!;
    const entries = bucket.keys.map((k) => {
      const value = valueOf(k);
      if (value === undefined) throw new Error(`internal: tree key ${JSON.stringify(k)} has no value`);
      return { key: k, valueHash: sha256(value) };
    });
    const siblings: Uint8Array[] = [];
    for (let i = BUCKET_COUNT + b; i > 1; i >>= 1) {
      const s = i ^ 1;
      siblings.push(Uint8Array.from(this.nodes.subarray(s * HASH_LEN, (s + 1) * HASH_LEN)));
    }
    return { bucket: b, entries, siblings };
  }
}

function hashNode(nodes: Buffer, i: number): void {
  nodeScratch[0] = NODE_PREFIX;
  nodes.copy(nodeScratch, 1, 2 * i * HASH_LEN, (2 * i + 2) * HASH_LEN);
  nodes.set(sha256(nodeScratch), i * HASH_LEN);
}

// ---------------------------------------------------------------------------
// Proofs

/**
 * A proof of presence or absence of one key against a root.
 *
 * - `bucket`: the key's bucket (0..4095).
 * - `entries`: every key of that bucket with sha256 of its value, keys in
 *   strictly ascending UTF-8 byte order.
 * - `siblings`: 12 hashes, bottom-up: the sibling of the bucket node, then
 *   of its parent, ... up to a child of the root.
 *
 * The key is present with value v iff it is among `entries` with
 * valueHash = sha256(v); absent iff it is not among them.
 */
export interface MerkleProof {
  bucket: number;
  entries: Array<{ key: string; valueHash: Uint8Array }>;
  siblings: Uint8Array[];
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The root a proof implies, or undefined if the proof is malformed. */
export function proofRoot(proof: MerkleProof): Uint8Array | undefined {
  const { bucket, entries, siblings } = proof;
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= BUCKET_COUNT) return undefined;
  if (!Array.isArray(entries) || !Array.isArray(siblings) || siblings.length !== BUCKET_BITS) return undefined;
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (typeof e.key !== 'string' || !isWellFormedKey(e.key)) return undefined;
    if (!(e.valueHash instanceof Uint8Array) || e.valueHash.length !== HASH_LEN) return undefined;
    if (bucketOf(e.key) !== bucket) return undefined;
    if (i > 0 && compareKeys(entries[i - 1]!.key, e.key) >= 0) return undefined;
    leaves.push(leafHashFromValueHash(e.key, e.valueHash));
  }
  let h: Uint8Array = bucketHash(leaves);
  let index = BUCKET_COUNT + bucket;
  for (const s of siblings) {
    if (!(s instanceof Uint8Array) || s.length !== HASH_LEN) return undefined;
    h = index % 2 === 0 ? nodeHashOf(h, s) : nodeHashOf(s, h);
    index >>= 1;
  }
  return h;
}

/**
 * Verifies that under `root`, `key` has `value` (or, with `value`
 * undefined, that `key` is absent). Never throws; false for any malformed
 * proof.
 */
export function verifyProof(
  root: Uint8Array,
  key: string,
  value: Uint8Array | undefined,
  proof: MerkleProof,
): boolean {
  try {
    if (typeof key !== 'string' || !isWellFormedKey(key)) return false;
    if (proof.bucket !== bucketOf(key)) return false;
    const implied = proofRoot(proof);
    if (implied === undefined || !bytesEqual(implied, root)) return false;
    const found = proof.entries.find((e) => e.key === key);
    if (value === undefined) return found === undefined;
    return found !== undefined && bytesEqual(found.valueHash, sha256(value));
  } catch {
    return false;
  }
}

/**
 * Binary encoding of a proof (e.g. for an ABCI Query ProofOp):
 *
 *   u16 big-endian bucket
 *   uvarint n
 *   n × ( uvarint(len(key bytes)) || key bytes (UTF-8) || valueHash[32] )
 *   12 × sibling[32]
 */
export function encodeProof(proof: MerkleProof): Uint8Array {
  const keyBytes = proof.entries.map((e) => Buffer.from(e.key, 'utf8'));
  let size = 2 + uvarintLength(proof.entries.length) + HASH_LEN * proof.siblings.length;
  for (const k of keyBytes) size += uvarintLength(k.length) + k.length + HASH_LEN;
  const out = new Uint8Array(size);
  out[0] = proof.bucket >> 8;
  out[1] = proof.bucket & 0xff;
  let off = writeUvarint(out, 2, proof.entries.length);
  for (let i = 0; i < keyBytes.length; i++) {
    const k = keyBytes[i]!;
    off = writeUvarint(out, off, k.length);
    out.set(k, off);
    off += k.length;
    out.set(proof.entries[i]!.valueHash, off);
    off += HASH_LEN;
  }
  for (const s of proof.siblings) {
    out.set(s, off);
    off += HASH_LEN;
  }
  return out;
}

/** Decodes {@link encodeProof}'s format; throws on malformed input. */
export function decodeProof(bytes: Uint8Array): MerkleProof {
  let off = 0;
  const need = (n: number): void => {
    if (off + n > bytes.length) throw new Error('malformed proof: truncated');
  };
  const readUvarint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      need(1);
      const byte = bytes[off++]!;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) return result;
      mul *= 128;
    }
    throw new Error('malformed proof: varint too long');
  };
  need(2);
  const bucket = (bytes[0]! << 8) | bytes[1]!;
  off = 2;
  const n = readUvarint();
  const entries: MerkleProof['entries'] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (let i = 0; i < n; i++) {
    const len = readUvarint();
    need(len + HASH_LEN);
    const key = decoder.decode(bytes.subarray(off, off + len));
    off += len;
    entries.push({ key, valueHash: bytes.slice(off, off + HASH_LEN) });
    off += HASH_LEN;
  }
  const siblings: Uint8Array[] = [];
  for (let i = 0; i < BUCKET_BITS; i++) {
    need(HASH_LEN);
    siblings.push(bytes.slice(off, off + HASH_LEN));
    off += HASH_LEN;
  }
  if (off !== bytes.length) throw new Error('malformed proof: trailing bytes');
  return { bucket, entries, siblings };
}
