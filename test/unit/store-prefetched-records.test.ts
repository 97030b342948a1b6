/**
 * The read-ahead's records (src/store/prefetched-records.ts) against a map:
 * every record added under a node key is found by its place and version,
 * byte for byte, by copy and as a latin1 string, however large the buffer
 * had to grow; a place never added, or asked for with another version, is
 * not; a place added again keeps only its last version; a buffer too small
 * for a record gets nothing written but learns the length; and records a
 * released instance held are never seen by the next one, which reuses its
 * buffer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { PrefetchedRecords } from '../../src/store/prefetched-records.js';
import { nodeKeyVersion, u64String } from '../../src/store/tree.js';

const MAX_VERSION = Number.MAX_SAFE_INTEGER;
const key = (version: number, place: string): string => 'N' + u64String(version) + place;

const records = fc.uniqueArray(
  fc.tuple(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: MAX_VERSION }), fc.uint8Array({ maxLength: 700 })),
  { selector: ([place]) => place, maxLength: 300 },
);

describe('PrefetchedRecords', () => {
  it('finds every record added, by place and version, by copy and as latin1, and nothing else', () => {
    fc.assert(
      fc.property(records, fc.string({ unit: 'binary-ascii', minLength: 21, maxLength: 30 }), (added, absent) => {
        const prefetched = new PrefetchedRecords();
        for (const [place, version, record] of added) prefetched.add(key(version, place), record);
        const into = Buffer.alloc(1024);
        for (const [place, version, record] of added) {
          assert.equal(prefetched.copy(place, version, into), record.length);
          assert.deepEqual(new Uint8Array(into.subarray(0, record.length)), record);
          assert.equal(prefetched.latin1(place, version), Buffer.from(record).toString('latin1'));
          const other = version === 0 ? 1 : version - 1;
          assert.equal(prefetched.copy(place, other, into), -1, 'another version at the same place');
          assert.equal(prefetched.latin1(place, other), undefined);
        }
        assert.equal(prefetched.copy(absent, 0, into), -1);
        assert.equal(prefetched.latin1(absent, 0), undefined);
        prefetched.release();
      }),
      { numRuns: 60 },
    );
  });

  it('reads back the version of a node key, up to 2^53 - 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_VERSION }), fc.string({ unit: 'binary-ascii', maxLength: 33 }), (version, place) => {
        assert.equal(nodeKeyVersion(key(version, place)), version);
      }),
    );
  });

  it('keeps the last version added at a place', () => {
    const prefetched = new PrefetchedRecords();
    prefetched.add(key(7, '\x05ab'), Uint8Array.of(1));
    prefetched.add(key(9, '\x05ab'), Uint8Array.of(2, 3));
    const into = Buffer.alloc(8);
    assert.equal(prefetched.copy('\x05ab', 7, into), -1);
    assert.equal(prefetched.copy('\x05ab', 9, into), 2);
    assert.deepEqual([...into.subarray(0, 2)], [2, 3]);
    prefetched.release();
  });

  it('grows past its first buffer and keeps what it held', () => {
    const prefetched = new PrefetchedRecords();
    const big = Buffer.alloc(200 * 1024, 7);
    prefetched.add(key(1, 'a'), Uint8Array.of(1, 2, 3));
    prefetched.add(key(2, 'b'), big);
    prefetched.add(key(3, 'c'), Uint8Array.of(4));
    const into = Buffer.alloc(big.length);
    assert.equal(prefetched.copy('a', 1, into), 3);
    assert.deepEqual([...into.subarray(0, 3)], [1, 2, 3]);
    assert.equal(prefetched.copy('b', 2, into), big.length);
    assert.ok(into.equals(big));
    assert.equal(prefetched.latin1('c', 3), '\x04');
    prefetched.release();
  });

  it('writes nothing into a buffer too small for the record, and says how long it is', () => {
    const prefetched = new PrefetchedRecords();
    prefetched.add(key(4, 'k'), Buffer.alloc(100, 9));
    const into = Buffer.alloc(99);
    assert.equal(prefetched.copy('k', 4, into), 100);
    assert.ok(into.every((b) => b === 0));
    prefetched.release();
  });

  it('forgets everything on release; the next instance reuses the buffer without seeing the old records', () => {
    const first = new PrefetchedRecords();
    first.add(key(5, 'old'), Buffer.alloc(300, 1));
    first.release();
    assert.equal(first.latin1('old', 5), undefined);
    const second = new PrefetchedRecords();
    assert.equal(second.copy('old', 5, Buffer.alloc(400)), -1);
    second.add(key(6, 'new'), Uint8Array.of(5, 6));
    assert.equal(second.latin1('new', 6), '\x05\x06');
    second.release();
  });
});
