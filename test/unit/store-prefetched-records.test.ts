/**
 * The read-ahead's records (src/store/prefetched-records.ts) against a map:
 * every record added is found, byte for byte, by copy and as a latin1
 * string, however large the buffer had to grow; a key never added is not;
 * a buffer too small for a record gets nothing written but learns the
 * length; and records a released instance held are never seen by the next
 * one, which reuses its buffer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { PrefetchedRecords } from '../../src/store/prefetched-records.js';

const records = fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 700 })), {
  selector: ([key]) => key,
  maxLength: 300,
});

describe('PrefetchedRecords', () => {
  it('finds every record added, by copy and as latin1, and nothing else', () => {
    fc.assert(
      fc.property(records, fc.string({ unit: 'binary-ascii', minLength: 21, maxLength: 30 }), (added, absent) => {
        const prefetched = new PrefetchedRecords();
        for (const [key, record] of added) prefetched.add(key, record);
        const into = Buffer.alloc(1024);
        for (const [key, record] of added) {
          assert.equal(prefetched.copy(key, into), record.length);
          assert.deepEqual(new Uint8Array(into.subarray(0, record.length)), record);
          assert.equal(prefetched.latin1(key), Buffer.from(record).toString('latin1'));
        }
        assert.equal(prefetched.copy(absent, into), -1);
        assert.equal(prefetched.latin1(absent), undefined);
        prefetched.release();
      }),
      { numRuns: 60 },
    );
  });

  it('grows past its first buffer and keeps what it held', () => {
    const prefetched = new PrefetchedRecords();
    const big = Buffer.alloc(200 * 1024, 7);
    prefetched.add('a', Uint8Array.of(1, 2, 3));
    prefetched.add('b', big);
    prefetched.add('c', Uint8Array.of(4));
    const into = Buffer.alloc(big.length);
    assert.equal(prefetched.copy('a', into), 3);
    assert.deepEqual([...into.subarray(0, 3)], [1, 2, 3]);
    assert.equal(prefetched.copy('b', into), big.length);
    assert.ok(into.equals(big));
    assert.equal(prefetched.latin1('c'), '\x04');
    prefetched.release();
  });

  it('writes nothing into a buffer too small for the record, and says how long it is', () => {
    const prefetched = new PrefetchedRecords();
    prefetched.add('k', Buffer.alloc(100, 9));
    const into = Buffer.alloc(99);
    assert.equal(prefetched.copy('k', into), 100);
    assert.ok(into.every((b) => b === 0));
    prefetched.release();
  });

  it('forgets everything on release; the next instance reuses the buffer without seeing the old records', () => {
    const first = new PrefetchedRecords();
    first.add('old', Buffer.alloc(300, 1));
    first.release();
    assert.equal(first.latin1('old'), undefined);
    const second = new PrefetchedRecords();
    assert.equal(second.copy('old', Buffer.alloc(400)), -1);
    second.add('new', Uint8Array.of(5, 6));
    assert.equal(second.latin1('new'), '\x05\x06');
    second.release();
  });
});
