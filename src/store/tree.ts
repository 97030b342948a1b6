/**
 * The state commitment: a versioned Jellyfish-style Merkle tree (pure; the
 * nodes come from a {@link NodeSource}). Normative description with test
 * vectors: docs/STORE.md "The commitment".
 *
 *   keyHash     = sha256(UTF-8 key bytes), read as 64 nibbles (high nibble first)
 *   valueHash   = sha256(value)
 *   leaf        = sha256(0x00 || keyHash || valueHash)
 *   pair(l, r)  = EMPTY if l = r = EMPTY, else sha256(l || r)
 *   internal    at depth < FLAT_DEPTH: the binary Merkle root of its 16
 *                 child slots with `pair` (slot i: the child's hash or
 *                 EMPTY), 4 levels;
 *               at depth >= FLAT_DEPTH: sha256(0x02 || mask u16 BE || the
 *                 non-EMPTY slots in slot order), bit i of mask: slot i is
 *                 not EMPTY
 *   EMPTY       = 32 zero bytes; the root of the empty state
 *
 * A subtree holding no key is EMPTY; holding one key, it is that key's leaf
 * (a leaf sits at the shortest prefix of its keyHash no other key shares);
 * holding two or more, it is an internal node whose slot i holds the
 * subtree of the keys whose next nibble is i. The root is the subtree of
 * every key at depth 0.
 *
 * Hashes travel as 32-character latin1 strings: Node's one-shot hash returns
 * those faster than Buffers, and they compare and key Maps cheaply.
 */
import { sha256Binary } from '../util/sha256.js';
import { DeferredFolds, isPendingHash } from './deferred-folds.js';

export const HASH_LEN = 32;
/** EMPTY, as a latin1 string. */
export const EMPTY_HASH = '\0'.repeat(HASH_LEN);
/** Version placeholder of a node created by a pending update (the height is known only at commit). */
export const NEW_VERSION = -1;

const LEAF_TAG = 0x00;
const INTERNAL_TAG = 0x01;
const FLAT_TAG = 0x02;
/**
 * Internal nodes at this depth and deeper hash their 16 slots flat, in one
 * call; those above fold them binary (docs/STORE.md "The commitment"). The
 * 69,905 places above it are full or nearly so in a large state, and binary
 * folds keep their proofs to 4 hashes a level; an update hashes their folds
 * level by level, many in one call (deferred-folds.ts). The nodes below are
 * sparse at any size a chain reaches (≈ 10 children at 10,000,000 keys,
 * ≈ 2 at 1,000,000): one hash of their present children.
 */
export const FLAT_DEPTH = 5;
/** The first byte of an internal node's record (a leaf's is 0x00). */
export const INTERNAL_RECORD = INTERNAL_TAG;

// ---------------------------------------------------------------------------
// Hashing

const scratch = Buffer.allocUnsafe(1 + 2 * HASH_LEN);

/**
 * Writes a hash (32 latin1 characters) into `out` at `offset`. A loop the
 * JIT compiles costs about a third of Buffer#write's call into C++, and a
 * block writes hundreds of thousands of hashes.
 */
function putHash(out: Uint8Array, hash: string, offset: number): void {
  for (let i = 0; i < HASH_LEN; i++) out[offset + i] = hash.charCodeAt(i);
}

export function keyHashOf(key: string): string {
  return sha256Binary(Buffer.from(key, 'utf8'));
}

export function leafHash(keyHash: string, valueHash: string): string {
  scratch[0] = LEAF_TAG;
  putHash(scratch, keyHash, 1);
  putHash(scratch, valueHash, 1 + HASH_LEN);
  return sha256Binary(scratch);
}

export function pairHash(left: string, right: string): string {
  if (left === EMPTY_HASH && right === EMPTY_HASH) return EMPTY_HASH;
  putHash(pairScratch, left, 0);
  putHash(pairScratch, right, HASH_LEN);
  return sha256Binary(pairScratch);
}
const pairScratch = Buffer.allocUnsafe(2 * HASH_LEN);

/** The hash of an internal node at `depth` with these 16 slots (undefined = EMPTY). */
export function internalHash(children: ReadonlyArray<{ hash: string } | undefined>, depth: number): string {
  return depth >= FLAT_DEPTH ? flatHash(children) : binaryHash(children);
}

/** The binary root of 16 slots (undefined = EMPTY): the hash of an internal node above {@link FLAT_DEPTH}. */
function binaryHash(children: ReadonlyArray<{ hash: string } | undefined>): string {
  const level: string[] = new Array<string>(8);
  for (let i = 0; i < 8; i++) level[i] = pairHash(children[2 * i]?.hash ?? EMPTY_HASH, children[2 * i + 1]?.hash ?? EMPTY_HASH);
  for (let width = 4; width >= 1; width >>= 1) {
    for (let i = 0; i < width; i++) level[i] = pairHash(level[2 * i]!, level[2 * i + 1]!);
  }
  return level[0]!;
}

/** ≤ 3 + 16 hashes: the preimage of {@link flatHash}. */
const flatScratch = Buffer.allocUnsafe(3 + 16 * HASH_LEN);

/**
 * The flat hash of 16 slots (undefined = EMPTY): sha256(0x02 ‖ mask u16 BE
 * ‖ the non-EMPTY slots in slot order): the hash of an internal node at
 * {@link FLAT_DEPTH} or deeper.
 */
export function flatHash(children: ReadonlyArray<{ hash: string } | undefined>): string {
  for (let i = 0; i < 16; i++) slotScratch[i] = children[i]?.hash ?? EMPTY_HASH;
  return flatSlots(slotScratch);
}

/** The 16 slot hashes (EMPTY_HASH for an empty slot) of the node being hashed. */
const slotScratch = new Array<string>(16).fill(EMPTY_HASH);

/** {@link flatHash} of 16 slot hashes. */
function flatSlots(slots: ReadonlyArray<string>): string {
  let mask = 0;
  let off = 3;
  for (let i = 0; i < 16; i++) {
    const hash = slots[i]!;
    if (hash === EMPTY_HASH) continue;
    mask |= 1 << i;
    putHash(flatScratch, hash, off);
    off += HASH_LEN;
  }
  return hashFlatScratch(mask, off);
}

/** The flat hash of the slot hashes written into {@link flatScratch} from byte 3 to `end`, `mask` naming their slots. */
function hashFlatScratch(mask: number, end: number): string {
  flatScratch[0] = FLAT_TAG;
  flatScratch[1] = mask >> 8;
  flatScratch[2] = mask & 0xff;
  return sha256Binary(flatScratch.subarray(0, end));
}

/**
 * {@link flatHash} of a node an update rewrites: the slots in `changed`
 * hold `refs` (undefined: empty), the others what the old record `view`
 * holds, their hashes copied from its bytes.
 */
function updatedFlatHash(
  view: { readonly bytes: Uint8Array; readonly childMask: number; readonly hashAt: Int32Array },
  changed: number,
  refs: ReadonlyArray<{ hash: string } | undefined>,
): string {
  const record = view.bytes;
  let mask = 0;
  let off = 3;
  for (let i = 0; i < 16; i++) {
    const bit = 1 << i;
    if (changed & bit) {
      const ref = refs[i];
      if (ref === undefined) continue;
      putHash(flatScratch, ref.hash, off);
    } else {
      if ((view.childMask & bit) === 0) continue;
      const from = view.hashAt[i]!;
      for (let j = 0; j < HASH_LEN; j++) flatScratch[off + j] = record[from + j]!;
    }
    mask |= bit;
    off += HASH_LEN;
  }
  return hashFlatScratch(mask, off);
}

/** Nibble `i` (0..63) of a latin1 keyHash. */
export function nibble(keyHash: string, i: number): number {
  const b = keyHash.charCodeAt(i >> 1);
  return i & 1 ? b & 0x0f : b >> 4;
}

/** A keyHash-shaped path: the first `depth` nibbles of `path`, then `n`, then zeros. */
function withNibble(path: string, depth: number, n: number): string {
  const bytes = Buffer.alloc(HASH_LEN);
  bytes.write(path.slice(0, (depth + 1) >> 1), 0, 'latin1');
  const i = depth >> 1;
  bytes[i] = depth & 1 ? (bytes[i]! & 0xf0) | n : n << 4;
  return bytes.toString('latin1');
}

// ---------------------------------------------------------------------------
// Nodes

export interface ChildRef {
  /** The version that wrote the child node ({@link NEW_VERSION} until committed). */
  version: number;
  hash: string;
  leaf: boolean;
}

export interface InternalNode {
  kind: 'internal';
  /** 16 slots. */
  children: Array<ChildRef | undefined>;
}

export interface LeafNode {
  kind: 'leaf';
  keyHash: string;
  valueHash: string;
  key: string;
  value: Uint8Array;
}

export type TreeNode = InternalNode | LeafNode;

/** Where a node lives: the version that wrote it and its path (the first `depth` nibbles of `path`). */
export interface NodeAddress {
  version: number;
  depth: number;
  path: string;
}

/**
 * A node's database key (latin1): 'N' || version (u64 BE) || its place
 * ({@link nodePlace}). 'N' sorts below every key-ordered record family
 * (committed-store.ts), which keeps LevelDB's reads of old nodes to one table.
 */
export function nodeKey(version: number, depth: number, path: string): string {
  return 'N' + u64String(version) + nodePlace(depth, path);
}

/** Where the place starts in a {@link nodeKey}. */
export const NODE_KEY_PLACE_AT = 9;

/** The version in a {@link nodeKey}. */
export function nodeKeyVersion(key: string): number {
  let hi = 0;
  let lo = 0;
  for (let i = 1; i < 5; i++) hi = hi * 256 + key.charCodeAt(i);
  for (let i = 5; i < NODE_KEY_PLACE_AT; i++) lo = lo * 256 + key.charCodeAt(i);
  return hi * 0x1_0000_0000 + lo;
}

/**
 * A node's place in the tree, whatever version wrote it (latin1): depth
 * (u8) || the path's first `depth` nibbles packed two per byte (an odd last
 * one in the high half).
 */
export function nodePlace(depth: number, path: string): string {
  const full = depth >> 1;
  const place = String.fromCharCode(depth) + path.slice(0, full);
  return depth & 1 ? place + String.fromCharCode(path.charCodeAt(full) & 0xf0) : place;
}

/** 8 latin1 characters: `n` as a big-endian u64 (n < 2^53). */
export function u64String(n: number): string {
  const hi = Math.floor(n / 0x1_0000_0000);
  const lo = n >>> 0;
  return String.fromCharCode(hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
}

/** Bytes of `n` as an unsigned LEB128 varint. */
export function uvarintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Writes `n` as an unsigned LEB128 varint at `offset`; returns the offset after it. */
export function writeUvarint(buf: Uint8Array, offset: number, n: number): number {
  while (n >= 0x80) {
    buf[offset++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[offset++] = n;
  return offset;
}

/**
 * Node record (docs/STORE.md "On disk"):
 *   leaf:     0x00 || keyHash[32] || valueHash[32] || uvarint(len key) || key (UTF-8) || value
 *   internal: 0x01 || childMask u16 BE || leafMask u16 BE || per child, slot order: uvarint(version) || hash[32]
 * `newVersion` replaces {@link NEW_VERSION} in child references.
 */
export function encodeNode(node: TreeNode, newVersion: number): Buffer {
  if (node.kind === 'leaf') {
    const keyLen = Buffer.byteLength(node.key, 'utf8');
    const out = Buffer.allocUnsafe(1 + 2 * HASH_LEN + uvarintLength(keyLen) + keyLen + node.value.length);
    out[0] = LEAF_TAG;
    out.write(node.keyHash, 1, 'latin1');
    out.write(node.valueHash, 1 + HASH_LEN, 'latin1');
    let off = writeUvarint(out, 1 + 2 * HASH_LEN, keyLen);
    off += out.write(node.key, off, 'utf8');
    out.set(node.value, off);
    return out;
  }
  let childMask = 0;
  let leafMask = 0;
  let size = 5;
  for (let i = 0; i < 16; i++) {
    const c = node.children[i];
    if (c === undefined) continue;
    childMask |= 1 << i;
    if (c.leaf) leafMask |= 1 << i;
    size += uvarintLength(c.version === NEW_VERSION ? newVersion : c.version) + HASH_LEN;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = INTERNAL_TAG;
  out.writeUInt16BE(childMask, 1);
  out.writeUInt16BE(leafMask, 3);
  let off = 5;
  for (let i = 0; i < 16; i++) {
    const c = node.children[i];
    if (c === undefined) continue;
    off = writeUvarint(out, off, c.version === NEW_VERSION ? newVersion : c.version);
    off += out.write(c.hash, off, 'latin1');
  }
  return out;
}

/** Decodes a node record; throws RangeError on a malformed one. */
export function decodeNode(buf: Uint8Array): TreeNode {
  return decodeNodeString(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1'));
}

/**
 * Decodes a node record held as a latin1 string (the form the node cache
 * keeps: one compact string per node instead of an object per child).
 */
export function decodeNodeString(s: string): TreeNode {
  const tag = s.charCodeAt(0);
  if (tag === LEAF_TAG) {
    if (s.length < 1 + 2 * HASH_LEN + 1) throw new RangeError('truncated leaf node');
    const at = { offset: 1 + 2 * HASH_LEN };
    const keyLen = readUvarintString(s, at);
    if (at.offset + keyLen > s.length) throw new RangeError('truncated leaf key');
    const value = Buffer.from(s.slice(at.offset + keyLen), 'latin1');
    return {
      kind: 'leaf',
      keyHash: s.slice(1, 1 + HASH_LEN),
      valueHash: s.slice(1 + HASH_LEN, 1 + 2 * HASH_LEN),
      key: Buffer.from(s.slice(at.offset, at.offset + keyLen), 'latin1').toString('utf8'),
      value: new Uint8Array(value), // a plain copy, not a (pooled) Buffer
    };
  }
  if (tag !== INTERNAL_TAG) throw new RangeError(`unknown node tag ${tag}`);
  if (s.length < 5) throw new RangeError('truncated internal node header');
  const childMask = (s.charCodeAt(1) << 8) | s.charCodeAt(2);
  const leafMask = (s.charCodeAt(3) << 8) | s.charCodeAt(4);
  const children = new Array<ChildRef | undefined>(16);
  const at = { offset: 5 };
  for (let i = 0; i < 16; i++) {
    if ((childMask & (1 << i)) === 0) continue;
    const version = readUvarintString(s, at);
    if (at.offset + HASH_LEN > s.length) throw new RangeError('truncated internal node');
    children[i] = { version, hash: s.slice(at.offset, at.offset + HASH_LEN), leaf: (leafMask & (1 << i)) !== 0 };
    at.offset += HASH_LEN;
  }
  if (at.offset !== s.length) throw new RangeError('trailing bytes in internal node');
  return { kind: 'internal', children };
}

/**
 * The child in slot `n` of an internal node record: the version that
 * wrote it and whether it is a leaf; undefined if the slot is empty or the
 * record is not a well-formed internal node. Reads the record in place (no
 * decoding): for walking paths, as a read-ahead does.
 */
export function childAt(record: Uint8Array, n: number): { version: number; leaf: boolean } | undefined {
  if (record[0] !== INTERNAL_TAG || record.length < 5) return undefined;
  const childMask = (record[1]! << 8) | record[2]!;
  const leafMask = (record[3]! << 8) | record[4]!;
  if ((childMask & (1 << n)) === 0) return undefined;
  let off = 5;
  for (let i = 0; i <= n; i++) {
    if ((childMask & (1 << i)) === 0) continue;
    let version = 0;
    let scale = 1;
    for (;;) {
      if (off >= record.length || scale > 2 ** 49) return undefined; // at most 8 bytes, as readUvarintString
      const b = record[off++]!;
      version += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
    }
    if (i === n) return off + HASH_LEN <= record.length ? { version, leaf: (leafMask & (1 << n)) !== 0 } : undefined;
    off += HASH_LEN;
  }
  return undefined;
}

/** {@link readUvarintString} over the first `length` bytes of `b`. */
function readUvarintBytes(b: Uint8Array, length: number, at: { offset: number }): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (at.offset >= length) throw new RangeError('truncated varint');
    const byte = b[at.offset++]!;
    n += (byte & 0x7f) * scale;
    if (byte < 0x80) return n;
    scale *= 128;
  }
  throw new RangeError('varint too long');
}

function readUvarintString(s: string, at: { offset: number }): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (at.offset >= s.length) throw new RangeError('truncated varint');
    const b = s.charCodeAt(at.offset++);
    n += (b & 0x7f) * scale;
    if (b < 0x80) return n;
    scale *= 128;
  }
  throw new RangeError('varint too long');
}

/** A committed node's record (latin1). */
export interface NodeRecord {
  record: string;
}

/** Reads committed nodes (from the database through a cache). Throws if the node is missing. */
export interface NodeSource {
  /**
   * The node, decoded (lookups and proofs, and the leaves an update moves).
   * `replaced`: the caller (an update) is about to replace the node with a
   * new one, so a cache need not keep the one read.
   */
  load(address: NodeAddress, replaced?: boolean): TreeNode;
  /**
   * Copies the node's record as stored into `into` and returns its length
   * (an update reads internal nodes in place); a record longer than `into`
   * is not copied, its length is returned. `replaced` as in {@link load}.
   */
  copyRecord(address: NodeAddress, into: Buffer, replaced?: boolean): number;
}

/** How errors name a node: "tree node (version V, depth D)". */
export function describeNode(address: NodeAddress): string {
  return `tree node (version ${address.version}, depth ${address.depth})`;
}

/** A node record an update could not read (the store is corrupt): the node and why. */
export class MalformedNodeError extends Error {
  constructor(
    readonly address: NodeAddress,
    readonly reason: string,
  ) {
    super(`${describeNode(address)}: ${reason}`);
    this.name = 'MalformedNodeError';
  }
}

/** The most bytes an internal record takes: 5 + 16 × (uvarint of a version < 2^53, 8 bytes + hash). */
export const MAX_INTERNAL_RECORD = 5 + 16 * (8 + HASH_LEN);

/**
 * An internal node's record read in place: where each child's reference
 * is, so that an update reads the children it changes and copies the
 * others' bytes into the new record, rather than decoding an object and a
 * hash string per child. The record is copied into the view's own bytes
 * ({@link NodeSource.copyRecord}), not made a string: a block reads
 * ≈ 50,000 of them.
 */
class InternalRecordView {
  /** The record, in its first bytes (as many as {@link read} was told). */
  readonly bytes = Buffer.allocUnsafe(MAX_INTERNAL_RECORD);
  childMask = 0;
  leafMask = 0;
  /** Per slot: where its reference (uvarint version, then hash) starts, and where its hash starts. */
  readonly refAt = new Int32Array(16);
  readonly hashAt = new Int32Array(16);
  readonly versions = new Float64Array(16);
  private readonly at = { offset: 0 };

  /** Reads the record of `length` bytes copied into {@link bytes}; throws RangeError if it is not a well-formed internal record (as {@link decodeNodeString}). */
  read(length: number): void {
    const b = this.bytes;
    if (length > b.length) throw new RangeError(`a record of ${length} bytes, longer than any internal node`);
    if (length === 0) throw new RangeError('empty record');
    if (b[0] !== INTERNAL_TAG) throw new RangeError(`expected an internal node, found tag ${b[0]}`);
    if (length < 5) throw new RangeError('truncated internal node header');
    const childMask = (b[1]! << 8) | b[2]!;
    const at = this.at;
    at.offset = 5;
    for (let i = 0; i < 16; i++) {
      if ((childMask & (1 << i)) === 0) continue;
      this.refAt[i] = at.offset;
      this.versions[i] = readUvarintBytes(b, length, at);
      if (at.offset + HASH_LEN > length) throw new RangeError('truncated internal node');
      this.hashAt[i] = at.offset;
      at.offset += HASH_LEN;
    }
    if (at.offset !== length) throw new RangeError('trailing bytes in internal node');
    this.childMask = childMask;
    this.leafMask = (b[3]! << 8) | b[4]!;
  }

  has(n: number): boolean {
    return (this.childMask & (1 << n)) !== 0;
  }

  isLeaf(n: number): boolean {
    return (this.leafMask & (1 << n)) !== 0;
  }

  /** Slot `n`'s hash (the slot must hold a child). */
  hash(n: number): string {
    const at = this.hashAt[n]!;
    return this.bytes.toString('latin1', at, at + HASH_LEN);
  }
}

// ---------------------------------------------------------------------------
// Updates

/** One change of a batch update. */
export interface TreeChange {
  key: string;
  keyHash: string;
  /** The new value, or null to delete the key. */
  value: Uint8Array | null;
  /** Whether the key is present in the version being updated. */
  existed: boolean;
}

/** A node a bulk build writes (child references at {@link NEW_VERSION}). */
export interface NodeWrite {
  depth: number;
  path: string;
  node: TreeNode;
}

/**
 * The largest buffer of writes kept for the next update: a 20,000-key block
 * at 10,000,000 keys writes ≈ 21 MB, but one huge commit (a large genesis
 * state) must not pin its buffer for the life of the process.
 */
export const MAX_SPARE_WRITES_BYTES = 64 * 2 ** 20;

/** Bytes of the database key ({@link nodeKey}) of a node at `depth`. */
function nodeKeyBytes(depth: number): number {
  return 1 + 8 + 1 + ((depth + 1) >> 1);
}

/** Writes node (version, depth, path)'s database key ({@link nodeKey}) at `off`; returns where it ends. */
function writeNodeKey(out: Buffer, off: number, version: number, depth: number, path: string): number {
  out[off++] = NODE_KEY_TAG;
  out.writeUInt32BE(Math.floor(version / 0x1_0000_0000), off);
  out.writeUInt32BE(version >>> 0, off + 4);
  off += 8;
  out[off++] = depth;
  const full = depth >> 1;
  for (let i = 0; i < full; i++) out[off++] = path.charCodeAt(i);
  if (depth & 1) out[off++] = path.charCodeAt(full) & 0xf0;
  return off;
}

/**
 * The nodes an update writes, in the order written: each one's database key
 * ({@link nodeKey}) and record ({@link encodeNode}) appended to one Buffer
 * as the update goes. What a block holds until its commit is then bytes
 * outside V8's heap, handed to LevelDB as views, rather than two strings
 * per node that every scavenge copies and the commit converts to Buffers.
 */
export class NodeWrites {
  /**
   * The buffer of the last writes released: the next update reuses it
   * rather than allocating ≈ 20–40 MB again, which V8 counts as external
   * memory and answers with full collections.
   */
  private static spare: Buffer | undefined;
  private bytes: Buffer;
  private used = 0;
  /** Per node, three offsets: its key's start, its record's start (the key's end), its record's end. */
  private bounds: number[] = [];

  /** Empty writes (a buffer is allocated on the first one). */
  constructor(bytes: Buffer = Buffer.alloc(0)) {
    this.bytes = bytes;
  }

  /** Writes into the buffer the last ones released, if any. */
  static reusing(): NodeWrites {
    const spare = NodeWrites.spare;
    NodeWrites.spare = undefined;
    return new NodeWrites(spare ?? Buffer.allocUnsafe(16 * 1024));
  }

  /**
   * Gives the buffer to the next update, once every view of it is written
   * where it goes (LevelDB's batch copies them): these writes are empty
   * from then on.
   */
  release(): void {
    const bytes = this.bytes.length;
    if (bytes > 0 && bytes <= MAX_SPARE_WRITES_BYTES) NodeWrites.spare = this.bytes;
    this.bytes = Buffer.alloc(0);
    this.used = 0;
    this.bounds = [];
  }

  /** The buffer the keys and records are written in (hashes known only after the update are written into it, DeferredFolds). */
  get buffer(): Buffer {
    return this.bytes;
  }

  /** Nodes written. */
  get count(): number {
    return this.bounds.length / 3;
  }

  /** Bytes of all keys and records. */
  get byteLength(): number {
    return this.used;
  }

  /** Node `i`'s database key (a view, valid while this object lives). */
  key(i: number): Buffer {
    return this.bytes.subarray(this.bounds[3 * i]!, this.bounds[3 * i + 1]!);
  }

  /** Node `i`'s record (a view, valid while this object lives). */
  record(i: number): Buffer {
    return this.bytes.subarray(this.bounds[3 * i + 1]!, this.bounds[3 * i + 2]!);
  }

  /** Node `i`'s key as a latin1 string. */
  keyString(i: number): string {
    return this.bytes.toString('latin1', this.bounds[3 * i]!, this.bounds[3 * i + 1]!);
  }

  /** Node `i`'s place ({@link nodePlace}: its key after 'N' and the version) as a latin1 string. */
  place(i: number): string {
    return this.bytes.toString('latin1', this.bounds[3 * i]! + 9, this.bounds[3 * i + 1]!);
  }

  /** Node `i`'s depth. */
  depth(i: number): number {
    return this.bytes[this.bounds[3 * i]! + 9]!;
  }

  /** Bytes of node `i`'s place ({@link place}). */
  placeBytes(i: number): number {
    return this.bounds[3 * i + 1]! - this.bounds[3 * i]! - 9;
  }

  /** Bytes of node `i`'s record. */
  recordBytes(i: number): number {
    return this.bounds[3 * i + 2]! - this.bounds[3 * i + 1]!;
  }

  /** Whether node `i` is an internal node (else a leaf). */
  isInternal(i: number): boolean {
    return this.bytes[this.bounds[3 * i + 1]!] === INTERNAL_TAG;
  }

  /**
   * Appends node (version, depth, path)'s key and room for a record of at
   * most `recordBytes`; returns the buffer to write the record into at
   * {@link recordStart}, then {@link end} closes the node.
   */
  begin(version: number, depth: number, path: string, recordBytes: number): Buffer {
    const keyBytes = nodeKeyBytes(depth);
    if (this.used + keyBytes + recordBytes > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.used + keyBytes + recordBytes));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.bounds.push(this.used);
    this.used = writeNodeKey(this.bytes, this.used, version, depth, path);
    this.bounds.push(this.used);
    return this.bytes;
  }

  /** Where the record of the node begun last starts. */
  get recordStart(): number {
    return this.used;
  }

  /** Closes the node begun last: its record ends at `recordEnd`. */
  end(recordEnd: number): void {
    this.bounds.push(recordEnd);
    this.used = recordEnd;
  }
}

/** The first byte of a node's database key ({@link nodeKey}). */
const NODE_KEY_TAG = 0x4e; // 'N'

/**
 * The database keys of the records that only versions before a commit
 * reach (the nodes it replaced, its deletion marks), encoded as the
 * commit's stale list: per key, uvarint(length) || key. The update writes
 * its replaced nodes' keys here as bytes, not as a string each.
 */
export class StaleList {
  private bytes = Buffer.alloc(0);
  private used = 0;
  private keys = 0;

  /** Keys listed. */
  get count(): number {
    return this.keys;
  }

  /** The encoded list (a view, valid until the next key is added). */
  get encoded(): Buffer {
    return this.bytes.subarray(0, this.used);
  }

  /** Lists node (version, depth, path)'s key ({@link nodeKey}). */
  addNode(version: number, depth: number, path: string): void {
    const length = nodeKeyBytes(depth); // < 128: a one-byte uvarint
    this.reserve(1 + length);
    this.bytes[this.used] = length;
    this.used = writeNodeKey(this.bytes, this.used + 1, version, depth, path);
    this.keys++;
  }

  /** Lists `key`. */
  add(key: Uint8Array): void {
    this.reserve(uvarintLength(key.length) + key.length);
    this.used = writeUvarint(this.bytes, this.used, key.length);
    this.bytes.set(key, this.used);
    this.used += key.length;
    this.keys++;
  }

  /** The keys of an encoded list (views into `bytes`); throws RangeError on a truncated or malformed one. */
  static decode(bytes: Uint8Array): Buffer[] {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: Buffer[] = [];
    const at = { offset: 0 };
    while (at.offset < b.length) {
      let n: number;
      try {
        n = readUvarintBytes(b, b.length, at);
      } catch (err) {
        throw new RangeError(at.offset >= b.length ? 'truncated stale list' : (err as Error).message);
      }
      if (at.offset + n > b.length) throw new RangeError('truncated stale list');
      out.push(b.subarray(at.offset, at.offset + n));
      at.offset += n;
    }
    return out;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.used + bytes, 4096));
    this.bytes.copy(grown, 0, 0, this.used);
    this.bytes = grown;
  }
}

export interface TreeUpdateResult {
  /** The new root (undefined: the empty tree). */
  root: ChildRef | undefined;
  rootHash: string;
  /** The version the written nodes belong to (their keys and child references say so). */
  version: number;
  /** The nodes written, but for the moving leaves (below). */
  writes: NodeWrites;
  /**
   * Leaves that move to a new place unchanged (a sibling left): written
   * under `key` (latin1), their `record` is '' until the caller copies into
   * it the record stored under `from` (a committed node's key; a leaf's
   * record does not depend on its place). The update knows a moving leaf's
   * hash from its parent, so it does not read the leaf: the caller reads
   * them all at once, off the synchronous path.
   */
  moved: MovedLeaf[];
  /** Database keys of the committed nodes the new version no longer reaches. */
  stale: StaleList;
}

/** A leaf an update moves up unchanged (TreeUpdateResult.moved). */
export interface MovedLeaf {
  /** Its database key at its new place (latin1). */
  key: string;
  /** Its database key where it was (latin1). */
  from: string;
  /** Its record once the caller has copied it from `from`; '' until then. */
  record: string;
}

/** What a leaf's record holds (a new leaf's, or an old one's read to move it down). */
interface LeafContent {
  keyHash: string;
  valueHash: string;
  key: string;
  value: Uint8Array;
}

/**
 * The hash an old internal child is given before the update reads it: its
 * hash is in its parent's record, and nothing asks for it (an unchanged
 * child is kept by identity, its parent copying its reference; a changed
 * one gets a new hash), so no string is made of it.
 */
const UNREAD_INTERNAL_HASH = '';

/** A subtree after the update, not yet placed under a parent. */
interface Sub {
  /** {@link UNREAD_INTERNAL_HASH} for an old internal node the update is about to read. */
  hash: string;
  leaf: boolean;
  /** Unchanged on disk. */
  old?: NodeAddress;
  /** A leaf whose record is written where it is placed (a new one, or a moved one that was read). */
  content?: LeafContent;
}

/**
 * Applies `changes` (distinct keys; a delete of an absent key must not be
 * included) to the tree whose root is `root`, as version `version`. Reads
 * only the nodes on the changed paths; writes a new node for each of them.
 * `encode: false` computes the root alone (no records).
 */
export function updateTree(source: NodeSource, root: ChildRef | undefined, changes: readonly TreeChange[], version: number, options: { encode?: boolean } = {}): TreeUpdateResult {
  const sorted = [...changes].sort((a, b) => (a.keyHash < b.keyHash ? -1 : a.keyHash > b.keyHash ? 1 : 0));
  const u = new Updater(source, sorted, version, options.encode ?? true);
  const existing: Sub | undefined = root === undefined ? undefined : { hash: root.hash, leaf: root.leaf, old: { version: root.version, depth: 0, path: EMPTY_HASH } };
  const sub = u.update(existing, 0, 0, sorted.length);
  if (sub === existing) return { root, rootHash: root?.hash ?? EMPTY_HASH, version, writes: new NodeWrites(), moved: [], stale: new StaleList() };
  const placed = sub === undefined ? undefined : u.place(sub, 0, sorted[0]?.keyHash ?? EMPTY_HASH);
  const newRoot = placed === undefined ? undefined : { ...placed, hash: u.resolve(placed.hash) };
  return { root: newRoot, rootHash: newRoot?.hash ?? EMPTY_HASH, version, writes: u.writes, moved: u.moved, stale: u.stale };
}

/** Writes a leaf record (see {@link encodeNode}) of `size` bytes at `at`. */
function writeLeafRecord(out: Buffer, at: number, leaf: LeafContent, keyLen: number): void {
  out[at] = LEAF_TAG;
  putHash(out, leaf.keyHash, at + 1);
  putHash(out, leaf.valueHash, at + 1 + HASH_LEN);
  let off = writeUvarint(out, at + 1 + 2 * HASH_LEN, keyLen);
  off += out.write(leaf.key, off, 'utf8');
  out.set(leaf.value, off);
}

/** Writes an internal record (see {@link encodeNode}) at `at`; every child's version is known. Returns where it ends. */
function writeInternalRecord(out: Buffer, at: number, children: ReadonlyArray<ChildRef | undefined>): number {
  let childMask = 0;
  let leafMask = 0;
  let off = at + 5;
  for (let i = 0; i < 16; i++) {
    const c = children[i];
    if (c === undefined) continue;
    childMask |= 1 << i;
    if (c.leaf) leafMask |= 1 << i;
    off = writeChildRef(out, off, c);
  }
  writeInternalHeader(out, at, childMask, leafMask);
  return off;
}

/**
 * Writes the record of an internal node that `view` was, with the slots in
 * `changed` now `refs` (undefined: empty), at `at`; the other children's
 * references are copied from the old record. Returns where it ends.
 */
function writeUpdatedRecord(out: Buffer, at: number, view: InternalRecordView, changed: number, refs: ReadonlyArray<ChildRef | undefined>, folds: DeferredFolds): number {
  const record = view.bytes;
  let childMask = 0;
  let leafMask = 0;
  let off = at + 5;
  // Unchanged children's references are copied from the old record a run at a time (one copy, not a loop over bytes).
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i < 16; i++) {
    const bit = 1 << i;
    if (changed & bit) {
      // The run ends at a changed slot: its old reference, if any, lies between the runs.
      if (runStart >= 0) {
        off += record.copy(out, off, runStart, runEnd);
        runStart = -1;
      }
      const c = refs[i];
      if (c === undefined) continue;
      childMask |= bit;
      if (c.leaf) leafMask |= bit;
      off = writeChildRef(out, off, c, folds);
    } else if (view.childMask & bit) {
      childMask |= bit;
      leafMask |= view.leafMask & bit;
      if (runStart < 0) runStart = view.refAt[i]!;
      runEnd = view.hashAt[i]! + HASH_LEN;
    }
  }
  if (runStart >= 0) off += record.copy(out, off, runStart, runEnd);
  writeInternalHeader(out, at, childMask, leafMask);
  return off;
}

/**
 * A child's reference in an internal record: uvarint version, then hash.
 * Returns where it ends. A child whose hash is still pending gets it from
 * `folds` once they are hashed.
 */
function writeChildRef(out: Buffer, off: number, c: ChildRef, folds?: DeferredFolds): number {
  off = writeUvarint(out, off, c.version);
  if (isPendingHash(c.hash)) {
    if (folds === undefined) throw new Error('a pending hash in a record written whole');
    folds.patchAt(off, c.hash);
  } else putHash(out, c.hash, off);
  return off + HASH_LEN;
}

function writeInternalHeader(out: Buffer, at: number, childMask: number, leafMask: number): void {
  out[at] = INTERNAL_TAG;
  out[at + 1] = childMask >> 8;
  out[at + 2] = childMask & 0xff;
  out[at + 3] = leafMask >> 8;
  out[at + 4] = leafMask & 0xff;
}

/** An updated node's children that changed, by slot: the new subtree, the path below it, the reference its record holds. */
interface ChangedSlots {
  after: Array<Sub | undefined>;
  paths: string[];
  refs: Array<ChildRef | undefined>;
}

class Updater {
  readonly writes: NodeWrites;
  /** One record view per depth: a node's view stays valid while the update recurses below it. */
  private readonly views: InternalRecordView[] = [];
  /** One set of per-child arrays per depth, as the views (each read only at the slots its node changed). */
  private readonly slots: ChangedSlots[] = [];
  readonly moved: MovedLeaf[] = [];
  readonly stale = new StaleList();
  /** The folds of the nodes rewritten above FLAT_DEPTH, hashed at the end ({@link resolve}). */
  private readonly folds = DeferredFolds.reusing(FLAT_DEPTH);

  constructor(
    private readonly source: NodeSource,
    private readonly items: TreeChange[],
    private readonly version: number,
    private readonly encode: boolean,
  ) {
    this.writes = encode ? NodeWrites.reusing() : new NodeWrites();
  }

  private writeInternal(depth: number, path: string, children: ReadonlyArray<ChildRef | undefined>): void {
    const out = this.writes.begin(this.version, depth, path, MAX_INTERNAL_RECORD);
    this.writes.end(writeInternalRecord(out, this.writes.recordStart, children));
  }

  private writeLeaf(depth: number, path: string, leaf: LeafContent): void {
    const keyLen = Buffer.byteLength(leaf.key, 'utf8');
    const size = 1 + 2 * HASH_LEN + uvarintLength(keyLen) + keyLen + leaf.value.length;
    const out = this.writes.begin(this.version, depth, path, size);
    const at = this.writes.recordStart;
    writeLeafRecord(out, at, leaf, keyLen);
    this.writes.end(at + size);
  }

  private dropped(address: NodeAddress): void {
    if (this.encode) this.stale.addNode(address.version, address.depth, address.path);
  }

  update(existing: Sub | undefined, depth: number, lo: number, hi: number): Sub | undefined {
    if (lo === hi) return existing;
    if (existing === undefined) return this.build(depth, this.entries(lo, hi, undefined));
    if (existing.leaf) {
      // The leaf is a changed key's own leaf if one of them exists (a key's
      // leaf is the only leaf on its path); otherwise every change here is an
      // insert next to another key's leaf, which must be read to split.
      let own = false;
      for (let i = lo; i < hi; i++) if (this.items[i]!.existed) own = true;
      if (own) {
        this.dropped(existing.old!);
        return this.build(depth, this.entries(lo, hi, undefined));
      }
      const leaf = this.source.load(existing.old!, true) as LeafNode;
      return this.build(depth, this.entries(lo, hi, { keyHash: leaf.keyHash, sub: { ...existing, content: leaf } }));
    }
    const address = existing.old!;
    const view = (this.views[depth] ??= new InternalRecordView());
    const length = this.source.copyRecord(address, view.bytes, true);
    try {
      view.read(length);
    } catch (err) {
      throw new MalformedNodeError(address, (err as Error).message);
    }
    const { after, paths, refs } = (this.slots[depth] ??= { after: new Array(16), paths: new Array(16), refs: new Array(16) });
    let changedMask = 0;
    let i = lo;
    while (i < hi) {
      const n = nibble(this.items[i]!.keyHash, depth);
      let j = i + 1;
      while (j < hi && nibble(this.items[j]!.keyHash, depth) === n) j++;
      const path = this.items[i]!.keyHash;
      const leaf = view.isLeaf(n);
      const before: Sub | undefined = view.has(n)
        ? { hash: leaf ? view.hash(n) : UNREAD_INTERNAL_HASH, leaf, old: { version: view.versions[n]!, depth: depth + 1, path } }
        : undefined;
      const result = this.update(before, depth + 1, i, j);
      if (result !== before) {
        changedMask |= 1 << n;
        after[n] = result;
        paths[n] = path;
      }
      i = j;
    }
    if (changedMask === 0) return existing;
    this.dropped(address);
    let count = 0;
    let only = -1;
    for (let n = 0; n < 16; n++) {
      const present = changedMask & (1 << n) ? after[n] !== undefined : view.has(n);
      if (present) {
        count++;
        only = n;
      }
    }
    if (count === 0) return undefined;
    if (count === 1) {
      // A lone leaf moves up to the shortest unique prefix (the parent places it).
      if (changedMask & (1 << only)) {
        if (after[only]!.leaf) return after[only];
      } else if (view.isLeaf(only)) {
        return { hash: view.hash(only), leaf: true, old: { version: view.versions[only]!, depth: depth + 1, path: withNibble(address.path, depth, only) } };
      }
    }
    for (let n = 0; n < 16; n++) {
      if ((changedMask & (1 << n)) === 0) continue;
      const sub = after[n];
      refs[n] = sub === undefined ? undefined : this.place(sub, depth + 1, paths[n]!);
    }
    if (this.encode) {
      const out = this.writes.begin(this.version, depth, this.items[lo]!.keyHash, MAX_INTERNAL_RECORD);
      this.writes.end(writeUpdatedRecord(out, this.writes.recordStart, view, changedMask, refs, this.folds));
    }
    if (depth < FLAT_DEPTH) {
      // hashed with the other folds of its depth at the end of the update
      const { fold, hash } = this.folds.add(depth);
      for (let n = 0; n < 16; n++) {
        if (changedMask & (1 << n)) this.folds.setSlot(depth, fold, n, refs[n]?.hash ?? EMPTY_HASH, refs[n] === undefined);
        else this.folds.setSlotFrom(depth, fold, n, view.bytes, view.hashAt[n]!, !view.has(n));
      }
      return { hash, leaf: false };
    }
    return { hash: updatedFlatHash(view, changedMask, refs), leaf: false };
  }

  /** Hashes the deferred folds (the written records get their children's hashes); returns the hash `hash` stands for. */
  resolve(hash: string): string {
    this.folds.resolve(this.encode ? this.writes.buffer : undefined);
    const resolved = this.folds.hashOf(hash);
    this.folds.release();
    return resolved;
  }

  /** The changes in [lo, hi) that set a value, as new leaves, plus `keep` (an old leaf), in keyHash order. */
  private entries(lo: number, hi: number, keep: { keyHash: string; sub: Sub } | undefined): Array<{ keyHash: string; sub: Sub }> {
    const out: Array<{ keyHash: string; sub: Sub }> = [];
    for (let i = lo; i < hi; i++) {
      const item = this.items[i]!;
      if (keep !== undefined && keep.keyHash < item.keyHash) {
        out.push(keep);
        keep = undefined;
      }
      if (item.value === null) continue;
      const valueHash = sha256Binary(item.value);
      const content = { keyHash: item.keyHash, valueHash, key: item.key, value: item.value };
      out.push({ keyHash: item.keyHash, sub: { hash: leafHash(item.keyHash, valueHash), leaf: true, content } });
    }
    if (keep !== undefined) out.push(keep);
    return out;
  }

  /** The subtree of `entries` (sorted, distinct) at `depth`. */
  private build(depth: number, entries: Array<{ keyHash: string; sub: Sub }>, lo = 0, hi = entries.length): Sub | undefined {
    if (hi - lo === 0) return undefined;
    if (hi - lo === 1) return entries[lo]!.sub;
    const children = new Array<ChildRef | undefined>(16);
    let i = lo;
    while (i < hi) {
      const n = nibble(entries[i]!.keyHash, depth);
      let j = i + 1;
      while (j < hi && nibble(entries[j]!.keyHash, depth) === n) j++;
      children[n] = this.place(this.build(depth + 1, entries, i, j)!, depth + 1, entries[i]!.keyHash);
      i = j;
    }
    // a new subtree's children are all known: hashed here, not deferred
    const hash = internalHash(children, depth);
    if (this.encode) this.writeInternal(depth, entries[lo]!.keyHash, children);
    return { hash, leaf: false };
  }

  /** The reference a parent holds to `sub` placed at (depth, path); writes new and moved leaves. */
  place(sub: Sub, depth: number, path: string): ChildRef {
    if (sub.hash === UNREAD_INTERNAL_HASH) throw new Error('an unread internal node was placed: its hash is not known');
    if (sub.old !== undefined) {
      if (sub.old.depth === depth) return { version: sub.old.version, hash: sub.hash, leaf: sub.leaf };
      // an old leaf moving up (a sibling left) or down (a key joined it): rewrite it at its new place
      this.dropped(sub.old);
      if (sub.content === undefined && this.encode) {
        // moving up, unread: the caller copies its record (TreeUpdateResult.moved)
        this.moved.push({ key: nodeKey(this.version, depth, path), from: nodeKey(sub.old.version, sub.old.depth, sub.old.path), record: '' });
      }
    }
    if (sub.content !== undefined && this.encode) this.writeLeaf(depth, path, sub.content);
    return { version: this.version, hash: sub.hash, leaf: sub.leaf };
  }
}

// ---------------------------------------------------------------------------
// Reads and proofs

/** The leaf of `keyHash` in the tree rooted at `root`, if the key is present. */
export function lookup(source: NodeSource, root: ChildRef | undefined, keyHash: string): LeafNode | undefined {
  let ref = root;
  for (let depth = 0; ref !== undefined; depth++) {
    const node = source.load({ version: ref.version, depth, path: keyHash });
    if (node.kind === 'leaf') return node.keyHash === keyHash ? node : undefined;
    ref = node.children[nibble(keyHash, depth)];
  }
  return undefined;
}

/**
 * A proof that a key is present with a value, or absent, in one version
 * (docs/STORE.md "Proofs"). O(log16 N) levels.
 */
export interface StoreProof {
  /**
   * Per internal node on the key's path, root first (32 zero bytes: EMPTY):
   * above {@link FLAT_DEPTH}, the 4 sibling hashes of its binary fold,
   * bottom-up; at it and deeper, the 15 other slots, in slot order.
   */
  levels: Uint8Array[][];
  /** The leaf the path ends at, if any: the key's own (presence) or another key's sharing the path (absence). */
  leaf?: { keyHash: Uint8Array; valueHash: Uint8Array };
}

export function proveKey(source: NodeSource, root: ChildRef | undefined, keyHash: string): StoreProof {
  const levels: Uint8Array[][] = [];
  let ref = root;
  for (let depth = 0; ref !== undefined; depth++) {
    const node = source.load({ version: ref.version, depth, path: keyHash });
    if (node.kind === 'leaf') {
      return { levels, leaf: { keyHash: Buffer.from(node.keyHash, 'latin1'), valueHash: Buffer.from(node.valueHash, 'latin1') } };
    }
    const n = nibble(keyHash, depth);
    let layer = Array.from({ length: 16 }, (_, i) => node.children[i]?.hash ?? EMPTY_HASH);
    const siblings: Uint8Array[] = [];
    if (depth >= FLAT_DEPTH) {
      for (let i = 0; i < 16; i++) if (i !== n) siblings.push(Buffer.from(layer[i]!, 'latin1'));
    } else {
      for (let j = 0; j < 4; j++) {
        siblings.push(Buffer.from(layer[(n >> j) ^ 1]!, 'latin1'));
        const next: string[] = [];
        for (let i = 0; i < layer.length; i += 2) next.push(pairHash(layer[i]!, layer[i + 1]!));
        layer = next;
      }
    }
    levels.push(siblings);
    ref = node.children[n];
  }
  return { levels };
}

/**
 * Pure: whether `proof` shows that `key` has `value` (undefined: is absent)
 * in the state whose root is `root`. Never throws.
 */
export function verifyProof(root: Uint8Array, key: string, value: Uint8Array | undefined, proof: StoreProof): boolean {
  try {
    if (root.length !== HASH_LEN || typeof key !== 'string' || !Array.isArray(proof.levels)) return false;
    const keyHash = keyHashOf(key);
    const depth = proof.levels.length;
    if (depth > 64) return false;
    let h: string;
    if (proof.leaf !== undefined) {
      const { keyHash: kh, valueHash: vh } = proof.leaf;
      if (kh.length !== HASH_LEN || vh.length !== HASH_LEN) return false;
      const leafKeyHash = Buffer.from(kh).toString('latin1');
      const leafValueHash = Buffer.from(vh).toString('latin1');
      if (value !== undefined) {
        if (leafKeyHash !== keyHash || leafValueHash !== sha256Binary(value)) return false;
      } else {
        // another key's leaf where this key's path ends: this key cannot be in the tree
        if (leafKeyHash === keyHash) return false;
        for (let i = 0; i < depth; i++) if (nibble(leafKeyHash, i) !== nibble(keyHash, i)) return false;
      }
      h = leafHash(leafKeyHash, leafValueHash);
    } else {
      if (value !== undefined) return false;
      h = EMPTY_HASH;
    }
    for (let d = depth - 1; d >= 0; d--) {
      const siblings = proof.levels[d]!;
      if (!Array.isArray(siblings) || siblings.length !== siblingCount(d)) return false;
      const hashes: string[] = [];
      for (const s of siblings) {
        if (!(s instanceof Uint8Array) || s.length !== HASH_LEN) return false;
        hashes.push(Buffer.from(s).toString('latin1'));
      }
      const n = nibble(keyHash, d);
      if (d >= FLAT_DEPTH) {
        hashes.splice(n, 0, h);
        h = flatHash(hashes.map((hash) => ({ hash })));
      } else {
        for (let j = 0; j < 4; j++) h = (n >> j) & 1 ? pairHash(hashes[j]!, h) : pairHash(h, hashes[j]!);
      }
      // an internal node is never EMPTY; a forged path of empty nodes is not a proof
      if (h === EMPTY_HASH) return false;
    }
    return h === Buffer.from(root).toString('latin1');
  } catch {
    return false;
  }
}

/** How many sibling hashes a proof level at `depth` holds. */
function siblingCount(depth: number): number {
  return depth >= FLAT_DEPTH ? 15 : 4;
}

/**
 * Binary proof encoding:
 *   u8 number of levels
 *   per level: a mask (bit j: sibling j is not EMPTY), u8 above FLAT_DEPTH (4 siblings),
 *     u16 BE from it on (15 siblings) || the non-EMPTY siblings, j ascending, 32 bytes each
 *   u8 0 (the path ends at an empty slot) | u8 1 || keyHash[32] || valueHash[32] (it ends at a leaf)
 */
export function encodeProof(proof: StoreProof): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(proof.levels.length)];
  proof.levels.forEach((siblings, depth) => {
    if (siblings.length !== siblingCount(depth)) throw new RangeError(`a proof level at depth ${depth} has ${siblingCount(depth)} siblings, not ${siblings.length}`);
    let mask = 0;
    const present: Uint8Array[] = [];
    siblings.forEach((s, j) => {
      if (s.some((b) => b !== 0)) {
        mask |= 1 << j;
        present.push(s);
      }
    });
    parts.push(depth >= FLAT_DEPTH ? Uint8Array.of(mask >> 8, mask & 0xff) : Uint8Array.of(mask), ...present);
  });
  if (proof.leaf === undefined) parts.push(Uint8Array.of(0));
  else parts.push(Uint8Array.of(1), proof.leaf.keyHash, proof.leaf.valueHash);
  return Buffer.concat(parts);
}

/** Inverse of {@link encodeProof}; throws RangeError on malformed bytes. */
export function decodeProof(bytes: Uint8Array): StoreProof {
  let off = 0;
  const take = (n: number): Uint8Array => {
    if (off + n > bytes.length) throw new RangeError('truncated proof');
    const out = new Uint8Array(bytes.subarray(off, off + n));
    off += n;
    return out;
  };
  const depth = take(1)[0]!;
  if (depth > 64) throw new RangeError(`proof of ${depth} levels (at most 64)`);
  const levels: Uint8Array[][] = [];
  for (let d = 0; d < depth; d++) {
    const count = siblingCount(d);
    const maskBytes = d >= FLAT_DEPTH ? take(2) : take(1);
    const mask = d >= FLAT_DEPTH ? (maskBytes[0]! << 8) | maskBytes[1]! : maskBytes[0]!;
    if (mask >= 1 << count) throw new RangeError('bad sibling mask');
    const siblings: Uint8Array[] = [];
    for (let j = 0; j < count; j++) siblings.push(mask & (1 << j) ? take(HASH_LEN) : new Uint8Array(HASH_LEN));
    levels.push(siblings);
  }
  const terminal = take(1)[0]!;
  let proof: StoreProof;
  if (terminal === 0) proof = { levels };
  else if (terminal === 1) proof = { levels, leaf: { keyHash: take(HASH_LEN), valueHash: take(HASH_LEN) } };
  else throw new RangeError(`bad proof terminal ${terminal}`);
  if (off !== bytes.length) throw new RangeError('trailing bytes after proof');
  return proof;
}

/** The root (app hash) of a complete key/value set, built in memory. */
export function stateRoot(entries: Iterable<readonly [string, Uint8Array]>): Uint8Array {
  const changes: TreeChange[] = [];
  for (const [key, value] of entries) changes.push({ key, keyHash: keyHashOf(key), value, existed: false });
  const empty: NodeSource = {
    load() {
      throw new Error('stateRoot reads no nodes');
    },
    copyRecord() {
      throw new Error('stateRoot reads no nodes');
    },
  };
  return Buffer.from(updateTree(empty, undefined, changes, 0, { encode: false }).rootHash, 'latin1');
}

// ---------------------------------------------------------------------------
// Bulk building

/** Keys sorted by keyHash, read by index (bulk loads keep them in flat buffers, not objects). */
export interface SortedLeaves {
  /** Nibble `depth` of the i-th key's keyHash. */
  nibbleAt(i: number, depth: number): number;
  /** The keyHash (latin1) of the i-th key. */
  keyHashAt(i: number): string;
  /** The i-th key's leaf, built when the tree places it. */
  leafAt(i: number): LeafNode;
}

/**
 * The subtree at `depth` of the keys [lo, hi) of `leaves` (sorted by
 * keyHash, distinct), built bottom-up in one pass: `emit` receives every
 * node exactly as {@link updateTree} writes it when the same keys are
 * inserted into an empty tree (child references at {@link NEW_VERSION}).
 * Leaves are requested in ascending order. `lo < hi`.
 */
export function buildSortedSubtree(leaves: SortedLeaves, depth: number, lo: number, hi: number, emit: (write: NodeWrite) => void): ChildRef {
  return buildSortedNode(leaves, depth, lo, hi, emit, (d, i, j) => buildSortedSubtree(leaves, d, i, j, emit));
}

/**
 * buildSortedSubtree for a build too large for one synchronous step (bulk
 * load): subtrees of at most `syncKeys` keys are built synchronously, and
 * `pause` is awaited after each (the caller writes its batch there). Emits
 * the same nodes in the same order.
 */
export async function buildSortedSubtreeAsync(
  leaves: SortedLeaves,
  depth: number,
  lo: number,
  hi: number,
  emit: (write: NodeWrite) => void,
  syncKeys: number,
  pause: () => Promise<void>,
): Promise<ChildRef> {
  if (hi - lo <= syncKeys) {
    const ref = buildSortedSubtree(leaves, depth, lo, hi, emit);
    await pause();
    return ref;
  }
  const built: ChildRef[] = [];
  for (const [i, j] of childRanges(leaves, depth, lo, hi)) built.push(await buildSortedSubtreeAsync(leaves, depth + 1, i, j, emit, syncKeys, pause));
  let next = 0;
  return buildSortedNode(leaves, depth, lo, hi, emit, () => built[next++]!);
}

/** The key ranges [i, j) of the children of keys [lo, hi) at `depth`, in nibble order. */
function childRanges(leaves: SortedLeaves, depth: number, lo: number, hi: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let i = lo;
  while (i < hi) {
    const n = leaves.nibbleAt(i, depth);
    let j = i + 1;
    while (j < hi && leaves.nibbleAt(j, depth) === n) j++;
    ranges.push([i, j]);
    i = j;
  }
  return ranges;
}

/** The node of keys [lo, hi) at `depth`: a leaf, or the internal node over children that `child` builds, in order. */
function buildSortedNode(
  leaves: SortedLeaves,
  depth: number,
  lo: number,
  hi: number,
  emit: (write: NodeWrite) => void,
  child: (depth: number, lo: number, hi: number) => ChildRef,
): ChildRef {
  if (hi - lo === 1) {
    const leaf = leaves.leafAt(lo);
    emit({ depth, path: leaf.keyHash, node: leaf });
    return { version: NEW_VERSION, hash: leafHash(leaf.keyHash, leaf.valueHash), leaf: true };
  }
  const children = new Array<ChildRef | undefined>(16);
  for (const [i, j] of childRanges(leaves, depth, lo, hi)) children[leaves.nibbleAt(i, depth)] = child(depth + 1, i, j);
  emit({ depth, path: leaves.keyHashAt(lo), node: { kind: 'internal', children } });
  return { version: NEW_VERSION, hash: internalHash(children, depth), leaf: false };
}
