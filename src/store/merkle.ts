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
//
// Internally hashes travel as 32-character latin1 strings: Node's one-shot
// hash returns those ~3x faster than Buffers (no off-heap allocation), and
// they are written into the tree's buffers with Buffer#write(.., 'latin1').

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

function sha256Latin1(data: Uint8Array): string {
  return nodeHash('sha256', data, 'binary'); // 'binary' = latin1
}

let scratch = Buffer.allocUnsafe(256);

/** leaf (latin1) = sha256(0x00 || uvarint(len(key)) || key || valueHash) */
function leafLatin1(key: string, valueHashLatin1: string): string {
  // 3 bytes of UTF-8 per UTF-16 unit at most: size the scratch before writing
  const maxLen = 1 + 5 + 3 * key.length + HASH_LEN;
  if (scratch.length < maxLen) scratch = Buffer.allocUnsafe(Math.max(maxLen, scratch.length * 2));
  const keyLen = Buffer.byteLength(key, 'utf8');
  scratch[0] = LEAF_PREFIX;
  let off = writeUvarint(scratch, 1, keyLen);
  off += scratch.write(key, off, 'utf8');
  off += scratch.write(valueHashLatin1, off, 'latin1');
  return sha256Latin1(scratch.subarray(0, off));
}

function leafOfValue(key: string, value: Uint8Array): string {
  return leafLatin1(key, sha256Latin1(value));
}

const latin1 = (hash: Uint8Array): string =>
  Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1');

/** leaf = sha256(0x00 || uvarint(len(key)) || key || valueHash) */
export function leafHashFromValueHash(key: string, valueHash: Uint8Array): Buffer {
  return Buffer.from(leafLatin1(key, latin1(valueHash)), 'latin1');
}

export function leafHash(key: string, value: Uint8Array): Buffer {
  return Buffer.from(leafOfValue(key, value), 'latin1');
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

/** Recomputes node i of a heap-ordered node buffer from its two children. */
function hashNode(nodes: Buffer, i: number): void {
  nodeScratch[0] = NODE_PREFIX;
  nodes.copy(nodeScratch, 1, 2 * i * HASH_LEN, (2 * i + 2) * HASH_LEN);
  nodes.write(sha256Latin1(nodeScratch), i * HASH_LEN, 'latin1');
}

const EMPTY_BUCKET_DATA = Buffer.from([BUCKET_PREFIX]);
const EMPTY_KEYS: readonly string[] = Object.freeze([]);

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
 * One bucket. `keys` are its keys in ascending byte order and
 * `data[0, 1 + 32n)` = 0x01 || leaf_1 || ... || leaf_n, exactly the bucket
 * hash's preimage, so the bucket hashes in one call.
 *
 * Double buffering: a block's new bucket is written into `spareKeys` /
 * `spareData` (never into the committed `keys` / `data`, which stay valid for
 * proofs until the commit); applying the block swaps them. So steady-state
 * blocks allocate no large buffers. Invariant: spare !== current.
 */
class Bucket {
  keys: readonly string[] = EMPTY_KEYS;
  data: Buffer = EMPTY_BUCKET_DATA;
  spareKeys: string[] | null = null;
  spareData: Buffer | null = null;

  get size(): number {
    return this.keys.length;
  }
}

interface DirtyBucket {
  readonly index: number;
  /** new key list, or null when only values changed */
  readonly keys: string[] | null;
  readonly data: Buffer;
}

/** A computed but not yet applied tree: the result of {@link MerkleTree.prepare}. */
export interface PendingTree {
  readonly root: Uint8Array;
  /** @internal the tree version this was computed against */
  readonly baseVersion: number;
  /** @internal which prepare() call made it (only the latest can be applied) */
  readonly generation: number;
  /** @internal */
  readonly dirty: readonly DirtyBucket[];
  /** @internal the full node array after the change */
  readonly nodes: Buffer;
}

/** A change with its leaf computed: a leaf hash (latin1) to write, or null to delete. */
type LeafChange = readonly [key: string, leaf: string | null];

function binarySearch(keys: readonly string[], key: string, lo = 0): number {
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

function ensureCapacity(buf: Buffer | null, bytes: number): Buffer {
  if (buf !== null && buf.length >= bytes) return buf;
  // slack so that buckets which grow slowly do not reallocate every block
  return Buffer.allocUnsafe(bytes + (bytes >> 3) + 8 * HASH_LEN);
}

const compareChanges = (x: LeafChange, y: LeafChange): number => compareKeys(x[0], y[0]);

/**
 * Writes `bucket` + `changes` (sorted, distinct keys) into the bucket's spare
 * buffers and returns the result; the bucket itself is not modified.
 */
function prepareBucket(bucket: Bucket, index: number, changes: readonly LeafChange[]): DirtyBucket {
  const old = bucket.keys;
  const n0 = old.length;
  const m = changes.length;
  const positions = new Int32Array(m);
  let structural = false;
  let n1 = n0;
  let lo = 0;
  for (let j = 0; j < m; j++) {
    const [key, leaf] = changes[j]!;
    const p = binarySearch(old, key, lo);
    positions[j] = p;
    if (p >= 0) {
      lo = p + 1;
      if (leaf === null) {
        structural = true;
        n1--;
      }
    } else {
      lo = -(p + 1);
      if (leaf !== null) {
        structural = true;
        n1++;
      }
    }
  }

  const data = ensureCapacity(bucket.spareData, 1 + HASH_LEN * n1);
  bucket.spareData = data;
  data[0] = BUCKET_PREFIX;
  if (!structural) {
    // only values changed: same keys, overwrite the changed leaves
    bucket.data.copy(data, 0, 0, 1 + HASH_LEN * n0);
    for (let j = 0; j < m; j++) {
      const leaf = changes[j]![1];
      if (leaf !== null) data.write(leaf, 1 + HASH_LEN * positions[j]!, 'latin1');
    }
    return { index, keys: null, data };
  }

  // merge, copying unchanged runs of leaves in one call each
  const keys = bucket.spareKeys ?? [];
  bucket.spareKeys = keys;
  const src = bucket.data;
  let k = 0; // entries written
  let i = 0; // next old index
  for (let j = 0; j <= m; j++) {
    // copy the unchanged run of old entries before change j (or up to the end)
    const p = j < m ? positions[j]! : n0;
    const end = p >= 0 ? p : -(p + 1);
    if (end > i) {
      src.copy(data, 1 + HASH_LEN * k, 1 + HASH_LEN * i, 1 + HASH_LEN * end);
      while (i < end) keys[k++] = old[i++]!;
    }
    if (j === m) break;
    const change = changes[j]!;
    if (change[1] !== null) {
      data.write(change[1], 1 + HASH_LEN * k, 'latin1');
      keys[k++] = change[0];
    }
    if (p >= 0) i = p + 1; // replaced or deleted
  }
  if (keys.length !== k) keys.length = k;
  return { index, keys, data };
}

/** Collects a state's leaves (in any order) and builds its tree. */
export class MerkleTreeBuilder {
  private readonly keys: string[][] = Array.from({ length: BUCKET_COUNT }, () => []);
  private readonly leaves: string[][] = Array.from({ length: BUCKET_COUNT }, () => []);
  private done = false;

  add(key: string, value: Uint8Array): void {
    if (!isWellFormedKey(key)) throw new Error(`state key is not well-formed UTF-16: ${JSON.stringify(key)}`);
    const b = bucketOf(key);
    this.keys[b]!.push(key);
    this.leaves[b]!.push(leafOfValue(key, value));
  }

  finish(): MerkleTree {
    if (this.done) throw new Error('MerkleTreeBuilder.finish called twice');
    this.done = true;
    const tree = MerkleTree.empty();
    const nodes = tree.nodeBuffer();
    let count = 0;
    for (let b = 0; b < BUCKET_COUNT; b++) {
      let keys = this.keys[b]!;
      let leaves = this.leaves[b]!;
      if (keys.length === 0) continue;
      let sorted = true;
      for (let i = 1; i < keys.length; i++) {
        if (compareKeys(keys[i - 1]!, keys[i]!) >= 0) {
          sorted = false;
          break;
        }
      }
      if (!sorted) {
        const order = keys.map((_, i) => i).sort((x, y) => compareKeys(keys[x]!, keys[y]!));
        const k0 = keys;
        const l0 = leaves;
        keys = order.map((i) => k0[i]!);
        leaves = order.map((i) => l0[i]!);
        for (let i = 1; i < keys.length; i++) {
          if (keys[i - 1] === keys[i]) throw new Error(`duplicate state key ${JSON.stringify(keys[i])}`);
        }
      }
      const data = Buffer.allocUnsafe(1 + HASH_LEN * keys.length);
      data[0] = BUCKET_PREFIX;
      for (let i = 0; i < leaves.length; i++) data.write(leaves[i]!, 1 + HASH_LEN * i, 'latin1');
      const bucket = tree.bucketAt(b);
      bucket.keys = keys;
      bucket.data = data;
      nodes.write(sha256Latin1(data), (BUCKET_COUNT + b) * HASH_LEN, 'latin1');
      count += keys.length;
      this.keys[b] = [];
      this.leaves[b] = [];
    }
    for (let i = BUCKET_COUNT - 1; i >= 1; i--) hashNode(nodes, i);
    tree.setCount(count);
    return tree;
  }
}

let emptyNodesCache: Buffer | undefined;

export class MerkleTree {
  private readonly buckets: Bucket[];
  /** Heap-ordered node hashes, node i at bytes [32i, 32i+32); node 0 unused. */
  private nodes: Buffer;
  private spareNodes: Buffer | null = null;
  private version = 0;
  private generation = 0;
  private count = 0;

  private constructor(nodes: Buffer) {
    this.buckets = Array.from({ length: BUCKET_COUNT }, () => new Bucket());
    this.nodes = nodes;
  }

  /** The tree of the empty state. */
  static empty(): MerkleTree {
    if (emptyNodesCache === undefined) {
      const nodes = Buffer.allocUnsafe(2 * BUCKET_COUNT * HASH_LEN);
      const emptyBucket = sha256Latin1(EMPTY_BUCKET_DATA);
      for (let b = 0; b < BUCKET_COUNT; b++) nodes.write(emptyBucket, (BUCKET_COUNT + b) * HASH_LEN, 'latin1');
      for (let i = BUCKET_COUNT - 1; i >= 1; i--) hashNode(nodes, i);
      emptyNodesCache = nodes;
    }
    return new MerkleTree(Buffer.from(emptyNodesCache));
  }

  /** Builds the tree of a state given as (key, value) pairs, in any order; keys must be distinct. */
  static build(entries: Iterable<readonly [string, Uint8Array]>): MerkleTree {
    const builder = new MerkleTreeBuilder();
    for (const [key, value] of entries) builder.add(key, value);
    return builder.finish();
  }

  /** @internal for MerkleTreeBuilder */
  bucketAt(b: number): Bucket {
    return this.buckets[b]!;
  }

  /** @internal for MerkleTreeBuilder */
  nodeBuffer(): Buffer {
    return this.nodes;
  }

  /** @internal for MerkleTreeBuilder */
  setCount(count: number): void {
    this.count = count;
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
   * the key, null deletes it) without modifying this tree. Costs two hashes
   * per changed key, one per dirty bucket, at most 4095 for inner nodes.
   *
   * Only the most recent prepare() can be applied: preparing again reuses the
   * same scratch buffers and makes earlier pending trees stale.
   */
  prepare(changes: Iterable<readonly [string, Change]>): PendingTree {
    const generation = ++this.generation;
    const perBucket = new Map<number, LeafChange[]>();
    for (const [key, change] of changes) {
      const b = bucketOf(key);
      let list = perBucket.get(b);
      if (list === undefined) perBucket.set(b, (list = []));
      list.push([key, change === null ? null : leafOfValue(key, change)]);
    }

    const nodes = this.spareNodes ?? Buffer.allocUnsafe(this.nodes.length);
    this.spareNodes = nodes;
    this.nodes.copy(nodes);
    const dirtyNodes = new Uint8Array(BUCKET_COUNT);
    const dirty: DirtyBucket[] = [];
    for (const [b, list] of perBucket) {
      list.sort(compareChanges);
      for (let i = 1; i < list.length; i++) {
        if (list[i - 1]![0] === list[i]![0]) throw new Error(`duplicate key in changes: ${JSON.stringify(list[i]![0])}`);
      }
      const result = prepareBucket(this.buckets[b]!, b, list);
      dirty.push(result);
      const n = result.keys === null ? this.buckets[b]!.size : result.keys.length;
      nodes.write(sha256Latin1(result.data.subarray(0, 1 + HASH_LEN * n)), (BUCKET_COUNT + b) * HASH_LEN, 'latin1');
      for (let i = (BUCKET_COUNT + b) >> 1; i >= 1 && dirtyNodes[i] === 0; i >>= 1) dirtyNodes[i] = 1;
    }
    // Children have larger indexes than parents: hash from the bottom up.
    for (let i = BUCKET_COUNT - 1; i >= 1; i--) if (dirtyNodes[i] === 1) hashNode(nodes, i);
    return {
      root: Uint8Array.from(nodes.subarray(HASH_LEN, 2 * HASH_LEN)),
      baseVersion: this.version,
      generation,
      dirty,
      nodes,
    };
  }

  /** Whether `pending` can be applied: computed by the latest prepare() against this tree as it is now. */
  isCurrent(pending: PendingTree): boolean {
    return pending.baseVersion === this.version && pending.generation === this.generation;
  }

  /** Makes a prepared tree current. Throws if it is stale (see {@link isCurrent}). */
  apply(pending: PendingTree): void {
    if (!this.isCurrent(pending)) {
      throw new Error('stale pending root: the tree changed, or another root was computed, after it was computed');
    }
    for (const { index, keys, data } of pending.dirty) {
      const bucket = this.buckets[index]!;
      if (keys !== null) {
        this.count += keys.length - bucket.keys.length;
        bucket.spareKeys = bucket.keys === EMPTY_KEYS ? null : (bucket.keys as string[]);
        bucket.keys = keys;
      }
      bucket.spareData = bucket.data === EMPTY_BUCKET_DATA ? null : bucket.data;
      bucket.data = data;
    }
    this.spareNodes = this.nodes;
    this.nodes = pending.nodes;
    this.version++;
    this.generation++; // no pending tree survives an apply
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
