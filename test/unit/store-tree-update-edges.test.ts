/**
 * Edges of tree.ts's batch update (issue 15, mutation survivors of
 * src/store/tree.ts lines 331-650: updateTree / Updater). Every expected
 * root is recomputed here from docs/STORE.md "The commitment" with
 * node:crypto, independently of tree.ts, from the final key/value set
 * alone (so it also checks that the root does not depend on update order
 * or batch split):
 *
 *   keyHash = sha256(key), valueHash = sha256(value), leaf = sha256(0x00 ‖ keyHash ‖ valueHash)
 *   pair(l, r) = EMPTY if both EMPTY else sha256(l ‖ r); internal = fold16 of its slots with pair
 *   0 keys: EMPTY; 1 key: its leaf; ≥ 2 keys: internal over the groups by next nibble
 *
 * The update's writes are applied to an in-memory node database (records
 * keyed by nodeKey, as the committed store does) and its stale keys deleted;
 * afterwards the database must hold exactly the nodes the new root reaches,
 * each consistent with its parent's reference.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { EMPTY, nibbleAt, pair, referenceRoot, sha as sha256 } from './fixtures/store-reference.js';
import {
  type ChildRef,
  EMPTY_HASH,
  type NodeAddress,
  type NodeSource,
  type TreeChange,
  type TreeNode,
  MAX_SPARE_WRITES_BYTES,
  NodeWrites,
  StaleList,
  decodeNodeString,
  nodeKey,
  updateTree,
} from '../../src/store/tree.js';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
/** Tree hashes travel as 32-character latin1 strings (tree.ts). */
const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const buf = (s: string): Buffer => Buffer.from(s, 'latin1');
/** An update's stale keys, decoded from its encoded stale list (as a prune reads it) and counted as it says. */
function staleKeys(result: ReturnType<typeof updateTree>): string[] {
  const keys = StaleList.decode(result.stale.encoded).map((key) => key.toString('latin1'));
  assert.equal(keys.length, result.stale.count, 'the stale list counts its keys');
  return keys;
}

/** The heap of a 16-slot fold: entries 16..31 the slots, entry i = pair(2i, 2i + 1); entry 1 is the node hash. */
function heapOf(slots: Buffer[]): Buffer[] {
  const heap: Buffer[] = new Array<Buffer>(32);
  for (let i = 0; i < 16; i++) heap[16 + i] = slots[i]!;
  for (let i = 15; i >= 1; i--) heap[i] = pair(heap[2 * i]!, heap[2 * i + 1]!);
  return heap;
}

/** Deterministic pseudo-random numbers (LCG), so the runs are reproducible. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

/** A 32-byte path whose first `depth` nibbles are those of `path` and nibble `depth` is `n`. */
function childPath(path: Buffer, depth: number, n: number): Buffer {
  const p = Buffer.from(path);
  const i = depth >> 1;
  p[i] = depth & 1 ? (p[i]! & 0xf0) | n : (p[i]! & 0x0f) | (n << 4);
  return p;
}

/** An in-memory node database plus the key/value set it should commit to. */
class Db {
  readonly records = new Map<string, string>();
  readonly values = new Map<string, Uint8Array>();
  root: ChildRef | undefined;
  version = 0;
  /** Node keys loaded during the current update. */
  loads: string[] = [];
  readonly source: NodeSource = {
    load: (a: NodeAddress): TreeNode => decodeNodeString(this.read(a)),
    copyRecord: (a: NodeAddress, into: Buffer): number => {
      const record = this.read(a);
      if (record.length <= into.length) into.write(record, 0, 'latin1');
      return record.length;
    },
  };

  private read(a: NodeAddress): string {
    const key = nodeKey(a.version, a.depth, a.path);
    this.loads.push(key);
    const record = this.records.get(key);
    if (record === undefined) throw new Error(`missing node v${a.version} d${a.depth}`);
    return record;
  }

  changes(batch: Array<[string, Uint8Array | null]>): TreeChange[] {
    return batch.map(([key, value]) => ({ key, keyHash: str(sha256(utf8(key))), value, existed: this.values.has(key) }));
  }

  /** Runs one update, commits its writes and stale deletes, and checks the result against the documented root. */
  apply(batch: Array<[string, Uint8Array | null]>): ReturnType<typeof updateTree> & { written: Written } {
    this.version++;
    this.loads = [];
    const result = updateTree(this.source, this.root, this.changes(batch), this.version);
    assert.equal(result.version, this.version);
    assert.equal(new Set(this.loads).size, this.loads.length, 'an update reads each node at most once');
    const written = writesOf(result);
    const { keys, records } = written;
    // As a commit does: the next update writes into the same buffer, so what it leaves there must not leak into it.
    result.writes.release();
    assert.equal(result.writes.count, 0, 'released writes are empty');
    assert.equal(result.writes.byteLength, 0);
    const stale = staleKeys(result);
    assert.equal(new Set(stale).size, stale.length, 'stale keys are distinct');
    // Moving leaves are not read: their records are copied from where they were, as the committed store does.
    for (const moved of result.moved) {
      assert.equal(moved.record, '', 'a moving leaf has no record until it is copied');
      assert.ok(stale.includes(moved.from), 'a moving leaf leaves its old place');
      const record = this.records.get(moved.from);
      assert.ok(record !== undefined && decodeNodeString(record).kind === 'leaf', 'a moving leaf is a committed leaf');
      moved.record = record;
      keys.push(moved.key);
      records.push(record);
    }
    assert.ok(
      this.loads.every((key) => !result.moved.some((m) => m.from === key)),
      'a moving leaf is not read',
    );
    for (const key of stale) {
      assert.ok(this.records.delete(key), 'a stale key names a committed node');
    }
    assert.equal(new Set(keys).size, keys.length, 'each node is written once');
    keys.forEach((key, i) => {
      assert.ok(!this.records.has(key), 'a write is a new node');
      this.records.set(key, records[i]!);
    });
    for (const [key, value] of batch) {
      if (value === null) this.values.delete(key);
      else this.values.set(key, value);
    }
    this.root = result.root;
    const expected = referenceRoot(this.values);
    assert.ok(buf(result.rootHash).equals(expected), `root after batch ${this.version} is the documented root of the final set`);
    assert.equal(result.root === undefined, this.values.size === 0, 'the empty state has no root node');
    if (result.root !== undefined) assert.equal(result.root.hash, result.rootHash);
    this.checkReachable();
    return { ...result, written };
  }

  /** The database holds exactly the nodes the root reaches, each hashing to its parent's reference. */
  checkReachable(): void {
    const seen = new Set<string>();
    const walk = (ref: ChildRef, depth: number, path: Buffer): void => {
      const key = nodeKey(ref.version, depth, str(path));
      const record = this.records.get(key);
      assert.ok(record !== undefined, `node v${ref.version} at depth ${depth} is stored`);
      seen.add(key);
      const node = decodeNodeString(record);
      assert.equal(node.kind === 'leaf', ref.leaf, 'the reference says whether the child is a leaf');
      if (node.kind === 'leaf') {
        const kh = buf(node.keyHash);
        for (let i = 0; i < depth; i++) assert.equal(nibbleAt(kh, i), nibbleAt(path, i), 'a leaf sits on its keyHash path');
        assert.ok(kh.equals(sha256(utf8(node.key))), 'a leaf keyHash is sha256 of its key');
        assert.ok(buf(node.valueHash).equals(sha256(node.value)), 'a leaf valueHash is sha256 of its value');
        assert.ok(sha256(Uint8Array.of(0x00), kh, buf(node.valueHash)).equals(buf(ref.hash)), 'a leaf hashes to its reference');
        return;
      }
      const slots = Array.from({ length: 16 }, (_, n) => (node.children[n] === undefined ? EMPTY : buf(node.children[n]!.hash)));
      assert.ok(heapOf(slots)[1]!.equals(buf(ref.hash)), 'an internal node hashes to its reference');
      for (let n = 0; n < 16; n++) {
        const c = node.children[n];
        if (c !== undefined) walk(c, depth + 1, childPath(path, depth, n));
      }
    };
    if (this.root !== undefined) walk(this.root, 0, EMPTY);
    assert.deepEqual(
      [...this.records.keys()].filter((k) => !seen.has(k)),
      [],
      'no unreachable node is left',
    );
  }
}

const val = (s: string): Uint8Array => utf8(s);

/** An update's node writes as latin1 strings, index for index (moving leaves not included). */
interface Written {
  keys: string[];
  records: string[];
}

/** An update's node writes as latin1 strings, checked against the views the committed store writes. */
function writesOf(result: ReturnType<typeof updateTree>): Written {
  const { writes } = result;
  const keys: string[] = [];
  const records: string[] = [];
  let bytes = 0;
  for (let i = 0; i < writes.count; i++) {
    keys.push(writes.keyString(i));
    records.push(writes.record(i).toString('latin1'));
    assert.ok(writes.key(i).equals(buf(keys[i]!)), 'the key view holds the same bytes as its string');
    assert.equal(writes.isInternal(i), decodeNodeString(records[i]!).kind === 'internal');
    assert.equal(writes.place(i), keys[i]!.slice(9), "a node's place is its key after 'N' and the version");
    bytes += keys[i]!.length + records[i]!.length;
  }
  assert.equal(writes.byteLength, bytes, 'the buffer holds the keys and records and nothing else');
  return { keys, records };
}

describe('updateTree batches', () => {
  it('random batches of inserts, updates and deletes give the documented root of the final set, whatever the split', () => {
    const r = rng(15);
    for (let trial = 0; trial < 12; trial++) {
      const db = new Db();
      const universe = Array.from({ length: 3 + trial * 6 }, (_, i) => `t${trial}/k${i}`);
      for (let round = 0; round < 8; round++) {
        const batch = new Map<string, Uint8Array | null>();
        const size = 1 + r(Math.min(universe.length, 1 + round * 3));
        for (let i = 0; i < size; i++) {
          const key = universe[r(universe.length)]!;
          if (db.values.has(key) && r(3) === 0) batch.set(key, null);
          else batch.set(key, val(`${key}@${round}.${r(1000)}`));
        }
        db.apply([...batch]);
      }
    }
  });

  it('a lone leaf split by several inserts at once (the old leaf sorts before, among and after them)', () => {
    const r = rng(7);
    for (let trial = 0; trial < 60; trial++) {
      const db = new Db();
      db.apply([[`solo${trial}`, val('old')]]);
      assert.equal(db.root?.leaf, true);
      const n = 2 + r(5);
      db.apply(Array.from({ length: n }, (_, i): [string, Uint8Array] => [`new${trial}/${i}`, val(`v${i}`)]));
      // and the same final set inserted at once into an empty tree gives the same root (independent of batch split)
      const once = new Db();
      once.apply([...db.values]);
      assert.equal(once.root?.hash, db.root?.hash);
    }
  });

  it('a leaf deep in a tree split by inserts sharing its prefix', () => {
    const db = new Db();
    const keys = Array.from({ length: 40 }, (_, i) => `deep${i}`);
    db.apply(keys.map((k) => [k, val(k)]));
    // insert keys chosen to land on the slot of an existing leaf at depth 1 or 2
    const leafPrefixes = new Set([...db.values.keys()].map((k) => sha256(utf8(k)).toString('hex').slice(0, 2)));
    const extra: Array<[string, Uint8Array]> = [];
    for (let i = 0; extra.length < 12 && i < 20000; i++) {
      const k = `x${i}`;
      if (leafPrefixes.has(sha256(utf8(k)).toString('hex').slice(0, 2))) extra.push([k, val(k)]);
    }
    db.apply(extra);
  });

  it('deleting every key empties the tree: no root node, EMPTY, no new node, every old node stale', () => {
    for (const n of [1, 2, 30]) {
      const db = new Db();
      db.apply(Array.from({ length: n }, (_, i): [string, Uint8Array] => [`gone${i}`, val(`${i}`)]));
      const before = db.records.size;
      const result = db.apply([...db.values.keys()].map((k): [string, null] => [k, null]));
      assert.equal(result.root, undefined);
      assert.equal(result.rootHash, EMPTY_HASH);
      assert.deepEqual(result.written.keys, []);
      assert.deepEqual(result.moved, []);
      assert.equal(staleKeys(result).length, before);
      assert.equal(db.records.size, 0);
    }
  });

  it('deleting the only leaf beside an internal subtree keeps the internal node (it does not move up like a leaf)', () => {
    // find keys a, b sharing their first nibble and c with another one
    const hex = (k: string): string => sha256(utf8(k)).toString('hex');
    const a = 'sib0';
    let b = '';
    let c = '';
    for (let i = 1; b === '' || c === ''; i++) {
      const k = `sib${i}`;
      if (b === '' && hex(k)[0] === hex(a)[0]) b = k;
      else if (c === '' && hex(k)[0] !== hex(a)[0]) c = k;
    }
    const db = new Db();
    db.apply([
      [a, val('a')],
      [b, val('b')],
      [c, val('c')],
    ]);
    const result = db.apply([[c, null]]);
    assert.equal(result.root?.leaf, false);
    // the root is now an internal node with one slot: the old subtree of a and b, untouched
    const root = decodeNodeString(db.records.get(nodeKey(db.version, 0, EMPTY_HASH))!);
    assert.equal(root.kind, 'internal');
    if (root.kind !== 'internal') return;
    const slots = Array.from({ length: 16 }, (_, n) => ({ n, ch: root.children[n] })).filter((x): x is { n: number; ch: ChildRef } => x.ch !== undefined);
    assert.equal(slots.length, 1);
    assert.equal(slots[0]!.n, nibbleAt(sha256(utf8(a)), 0));
    assert.deepEqual({ version: slots[0]!.ch.version, leaf: slots[0]!.ch.leaf }, { version: 1, leaf: false });
  });

  it('an empty batch reads no node and writes nothing', () => {
    const throwing: NodeSource = {
      load() {
        throw new Error('an empty batch reads no node');
      },
      copyRecord() {
        throw new Error('an empty batch reads no node');
      },
    };
    for (const n of [0, 1, 5]) {
      const db = new Db();
      if (n > 0) db.apply(Array.from({ length: n }, (_, i): [string, Uint8Array] => [`e${i}`, val(`${i}`)]));
      for (const options of [{}, { encode: false }]) {
        const result = updateTree(throwing, db.root, [], db.version + 1, options);
        assert.deepEqual(result.root, db.root);
        assert.equal(result.rootHash, db.root?.hash ?? EMPTY_HASH);
        assert.equal(result.writes.count, 0);
        assert.equal(result.writes.byteLength, 0);
        assert.deepEqual(result.moved, []);
        assert.deepEqual(staleKeys(result), []);
      }
    }
  });

  it('encode: false computes the root alone: no records, no stale keys', () => {
    const r = rng(3);
    const db = new Db();
    db.apply(Array.from({ length: 60 }, (_, i): [string, Uint8Array] => [`f${i}`, val(`${i}`)]));
    for (let round = 0; round < 6; round++) {
      const batch = new Map<string, Uint8Array | null>();
      for (let i = 0; i < 1 + r(8); i++) {
        const key = `f${r(80)}`;
        batch.set(key, db.values.has(key) && r(2) === 0 ? null : val(`${key}/${round}`));
      }
      const entries = [...batch];
      const final = new Map(db.values);
      for (const [k, v] of entries) {
        if (v === null) final.delete(k);
        else final.set(k, v);
      }
      const dry = updateTree(db.source, db.root, db.changes(entries), db.version + 1, { encode: false });
      assert.ok(buf(dry.rootHash).equals(referenceRoot(final)), 'encode: false gives the documented root');
      assert.equal(dry.writes.count, 0);
      assert.deepEqual(dry.moved, []);
      assert.deepEqual(staleKeys(dry), []);
      // the real update agrees
      assert.equal(db.apply(entries).rootHash, dry.rootHash);
    }
  });
});

describe('NodeWrites', () => {
  /** Writes one node of a `recordBytes`-byte record and returns the ArrayBuffer it went into. */
  const writeOne = (writes: NodeWrites, recordBytes: number): ArrayBufferLike => {
    const out = writes.begin(1, 0, EMPTY_HASH, recordBytes);
    out.fill(1, writes.recordStart, writes.recordStart + recordBytes);
    writes.end(writes.recordStart + recordBytes);
    return writes.record(0).buffer;
  };

  it('hands a released buffer to the next update, but not one larger than MAX_SPARE_WRITES_BYTES', () => {
    const first = NodeWrites.reusing();
    const buffer = writeOne(first, 1000);
    first.release();
    const second = NodeWrites.reusing();
    assert.equal(writeOne(second, 1000), buffer, 'the next update writes into the released buffer');
    second.release();

    const huge = NodeWrites.reusing();
    const hugeBuffer = writeOne(huge, MAX_SPARE_WRITES_BYTES + 1);
    assert.notEqual(hugeBuffer, buffer, 'a record larger than the buffer grows it');
    huge.release();
    const after = NodeWrites.reusing();
    assert.notEqual(writeOne(after, 1000), hugeBuffer, 'a buffer over the limit is not kept for the next update');
    after.release();
  });
});

describe('updateTree and a node cache', () => {
  it('never mutates a node the source hands out (a cache keeps serving it for older versions)', () => {
    const db = new Db();
    db.apply(Array.from({ length: 60 }, (_, i): [string, Uint8Array] => [`c${i}`, val(`${i}`)]));
    const cache = new Map<string, TreeNode>();
    let recordsRead = 0;
    const source: NodeSource = {
      /** The same object each time for the node at `a`. */
      load: (a) => {
        const key = nodeKey(a.version, a.depth, a.path);
        if (!cache.has(key)) cache.set(key, db.source.load(a));
        return cache.get(key)!;
      },
      copyRecord: (a, into) => {
        recordsRead++;
        return db.source.copyRecord(a, into);
      },
    };
    const batches: Array<Array<[string, Uint8Array | null]>> = [
      [['c3', val('changed')]],
      [
        ['c4', null],
        ['c70', val('x')],
      ],
    ];
    for (const batch of batches) {
      const result = updateTree(source, db.root, db.changes(batch), db.version + 1);
      for (const [key, node] of cache) assert.deepEqual(node, db.source.load(addressOf(key)), 'a cached node still equals its record');
      assert.ok(recordsRead > 0, 'the update read internal nodes');
      assert.ok(staleKeys(result).length > 0, 'the update replaced committed nodes');
      db.apply(batch);
      cache.clear();
      recordsRead = 0;
    }
  });
});

/** The address a node key names (the path is the packed prefix, zero-padded: enough for nodeKey). */
function addressOf(key: string): NodeAddress {
  const b = buf(key);
  const version = Number(b.readBigUInt64BE(1));
  const depth = b[9]!;
  const path = Buffer.alloc(32);
  b.subarray(10).copy(path);
  return { version, depth, path: str(path) };
}
