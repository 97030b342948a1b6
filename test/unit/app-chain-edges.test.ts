/**
 * Edges of the app's chain bookkeeping that StrykerJS found untested
 * (docs/TESTING.md "Mutation testing"):
 * - src/app/block-hashes.ts: the idle list keeps one ring's worth (257
 *   entries, the oldest dropped), a delete of a present key is a state
 *   change, and a committed version read by calls sees the idle blocks'
 *   hashes up to its own height only (docs/EVM.md "When the ring is
 *   written");
 * - src/app/consensus.ts: the block gas limit is the smaller of
 *   `block.max_gas` (when not -1: 0 is a limit) and `block_gas_limit`
 *   (SPEC 9), an absent record counting as -1;
 * - src/app/retention.ts: options must be whole numbers, and a retain
 *   height of 1 (nothing below it) is reported as 0 (docs/STATE-SYNC.md
 *   "Pruning").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { changesState, withBlock, withIdleBlockHashes, type BlockHashEntry } from '../../src/app/block-hashes.js';
import { loadBlockGasLimit, saveBlockGasLimit } from '../../src/app/consensus.js';
import { BlockRetention, type RetentionOptions } from '../../src/app/retention.js';
import { BLOCK_HASH_SLOTS, readBlockHash, recordBlockHash } from '../../src/evm/engine.js';
import { DEFAULT_PARAMS, type Params } from '../../src/state/params.js';
import { Overlay, type KVReader } from '../../src/store/kv.js';

const EMPTY: KVReader = { get: () => undefined };
/** A distinct 32-byte hash per height. */
const hashOf = (height: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  out.fill(0xee);
  new DataView(out.buffer).setBigUint64(24, height);
  return out;
};
const entry = (height: bigint): BlockHashEntry => [height, hashOf(height)];
const heights = (from: bigint, to: bigint): bigint[] => Array.from({ length: Number(to - from + 1n) }, (_, i) => from + BigInt(i));
const ZERO_HASH = new Uint8Array(32);

describe('block hashes: the idle list (withBlock)', () => {
  it('the ring has 257 slots: the 256 blocks BLOCKHASH can ask for and the current one (docs/EVM.md)', () => {
    assert.equal(BLOCK_HASH_SLOTS, 257n);
  });

  it('keeps every entry while they fit one ring (here 199 idle blocks and the block: 200)', () => {
    const got = withBlock(heights(1n, 199n).map(entry), 200n, hashOf(200n));
    assert.deepEqual(
      got.map(([h]) => h),
      heights(1n, 200n),
    );
    assert.deepEqual(got[199], entry(200n), 'the block itself comes last, with its hash');
  });

  it('exactly one ring (256 idle blocks and the block) is kept whole', () => {
    const got = withBlock(heights(1n, 256n).map(entry), 257n, hashOf(257n));
    assert.deepEqual(
      got.map(([h]) => h),
      heights(1n, 257n),
    );
  });

  it('past one ring, the oldest are dropped: 257 idle blocks and the block keep blocks 2…258', () => {
    const got = withBlock(heights(1n, 257n).map(entry), 258n, hashOf(258n));
    assert.equal(got.length, 257);
    assert.deepEqual(
      got.map(([h]) => h),
      heights(2n, 258n),
    );
    assert.deepEqual(got[0], entry(2n));
    assert.deepEqual(got[256], entry(258n));
  });
});

describe('block hashes: changesState', () => {
  const parent = new Overlay(EMPTY);
  parent.set('k', Uint8Array.of(1, 2));

  it('a delete of a key the parent holds is a change', () => {
    assert.equal(changesState([['k', null]], parent), true);
  });

  it('a delete of a key the parent lacks is none', () => {
    assert.equal(changesState([['absent', null]], parent), false);
  });

  it('a rewrite of the same bytes is none; other bytes or a new key are a change', () => {
    assert.equal(changesState([['k', Uint8Array.of(1, 2)]], parent), false);
    assert.equal(changesState([['k', Uint8Array.of(1, 3)]], parent), true);
    assert.equal(changesState([['new', Uint8Array.of(0)]], parent), true);
  });
});

describe('block hashes: a committed version as calls read it (withIdleBlockHashes)', () => {
  // Blocks 1…7 wrote the ring; 8…11 were idle (the app's list); calls read version 10.
  const committed = new Overlay(EMPTY);
  for (const h of heights(1n, 7n)) recordBlockHash(committed, h, hashOf(h));
  committed.set('other', Uint8Array.of(9));
  const view = { height: 10n, get: (key: string) => committed.get(key) };
  const idle = heights(8n, 11n).map(entry);
  const read = withIdleBlockHashes(view, idle);

  it('serves the idle blocks up to the version, its own included', () => {
    for (const h of [8n, 9n, 10n]) assert.deepEqual(readBlockHash(read, h), hashOf(h), `block ${h}`);
  });

  it('a later idle block is not known at that version (0, as a block not in the ring)', () => {
    assert.deepEqual(readBlockHash(read, 11n), ZERO_HASH);
  });

  it('the ring entries and other keys of the version read through; the height stays', () => {
    for (const h of heights(1n, 7n)) assert.deepEqual(readBlockHash(read, h), hashOf(h), `block ${h}`);
    assert.deepEqual(read.get('other'), Uint8Array.of(9));
    assert.equal(read.get('absent'), undefined);
    assert.equal(read.height, 10n);
  });

  it("an idle block takes its slot from the block 257 before it; a later one leaves the slot's entry", () => {
    const ring = new Overlay(EMPTY);
    for (const h of [1n, 2n]) recordBlockHash(ring, h, hashOf(h));
    const at258 = withIdleBlockHashes({ height: 258n, get: (key: string) => ring.get(key) }, [entry(258n), entry(259n)]);
    assert.deepEqual(readBlockHash(at258, 258n), hashOf(258n), 'block 258 (slot 1)');
    assert.deepEqual(readBlockHash(at258, 1n), ZERO_HASH, 'block 1 left the ring');
    assert.deepEqual(readBlockHash(at258, 2n), hashOf(2n), 'slot 2 still holds block 2 (259 is after the version)');
    assert.deepEqual(readBlockHash(at258, 259n), ZERO_HASH);
  });

  it('without idle blocks the version reads as it is', () => {
    const plain = withIdleBlockHashes(view, []);
    assert.deepEqual(readBlockHash(plain, 7n), hashOf(7n));
    assert.deepEqual(readBlockHash(plain, 8n), ZERO_HASH);
  });
});

describe('consensus: the block gas limit (SPEC 9)', () => {
  const params: Params = { ...DEFAULT_PARAMS, block_gas_limit: 20_000_000n };
  const limitWith = (maxGas: bigint | undefined): bigint => {
    const kv = new Overlay(EMPTY);
    if (maxGas !== undefined) saveBlockGasLimit(kv, maxGas);
    return loadBlockGasLimit(kv, params);
  };

  it('no recorded max_gas counts as -1 (unlimited): the param', () => {
    assert.equal(limitWith(undefined), 20_000_000n);
  });

  it('max_gas -1: the param', () => {
    assert.equal(limitWith(-1n), 20_000_000n);
  });

  it('max_gas 0 is a limit (the smaller): 0', () => {
    assert.equal(limitWith(0n), 0n);
  });

  it('the smaller of the two, either way', () => {
    assert.equal(limitWith(19_999_999n), 19_999_999n);
    assert.equal(limitWith(20_000_000n), 20_000_000n);
    assert.equal(limitWith(20_000_001n), 20_000_000n);
  });
});

describe('retention: options and the retain height', () => {
  const options: RetentionOptions = { minRetainBlocks: 10, snapshotInterval: 0, snapshotKeepRecent: 1, stateHistory: 10 };

  it('accepts zeros (keep every block, no snapshots, every state)', () => {
    assert.doesNotThrow(() => new BlockRetention({ minRetainBlocks: 0, snapshotInterval: 0, snapshotKeepRecent: 0, stateHistory: 0 }));
  });

  it('refuses a negative option, naming it', () => {
    assert.throws(() => new BlockRetention({ ...options, minRetainBlocks: -1 }), /^Error: minRetainBlocks must be a whole number, got -1$/);
    assert.throws(() => new BlockRetention({ ...options, stateHistory: -5 }), /stateHistory must be a whole number, got -5/);
  });

  it('refuses a fraction or a number beyond the safe integers', () => {
    assert.throws(() => new BlockRetention({ ...options, snapshotInterval: 1.5 }), /snapshotInterval must be a whole number, got 1.5/);
    assert.throws(() => new BlockRetention({ ...options, snapshotKeepRecent: Number.NaN }), /snapshotKeepRecent must be a whole number, got NaN/);
    assert.throws(() => new BlockRetention({ ...options, minRetainBlocks: 2 ** 53 }), /minRetainBlocks must be a whole number/);
  });

  it('a retain height of 1 prunes nothing: reported as 0 (keep everything); 2 is the first that prunes', () => {
    const retention = new BlockRetention(options);
    retention.setEvidenceMaxAge(1n);
    // After block 10, the last 10 blocks are 1…10; after block 11, 2…11.
    assert.equal(retention.retainHeight(10n), 0n);
    assert.equal(retention.retainHeight(11n), 2n);
  });
});
