/**
 * The call pool's waiting line (src/rpc/fair-queue.ts): clients are served
 * in turn, and a newcomer takes a place only from a client with a longer
 * line, so a flooding client cannot lock the others out.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FairQueue } from '../../src/rpc/fair-queue.js';

describe('FairQueue', () => {
  it('serves clients in turn, each in its own order', () => {
    const q = new FairQueue<string>();
    for (const job of ['a1', 'a2', 'a3']) q.push('a', job);
    q.push('b', 'b1');
    q.push('c', 'c1');
    q.push('b', 'b2');
    assert.equal(q.size, 6);
    const served = Array.from({ length: 6 }, () => q.shift());
    assert.deepEqual(served, ['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
    assert.equal(q.shift(), undefined);
    assert.equal(q.size, 0);
  });

  it('gives up the newest job of the longest line only when that line is longer than the newcomer’s would be', () => {
    const q = new FairQueue<string>();
    for (const job of ['a1', 'a2', 'a3']) q.push('a', job);
    q.push('b', 'b1');
    assert.equal(q.yieldLongest(q.waitingOf('b')), 'a3', 'b has 1 waiting, a has 3: a gives way');
    assert.equal(q.waitingOf('a'), 2);
    assert.equal(q.yieldLongest(q.waitingOf('b')), undefined, 'a has 2, b would have 2: no one gives way');
    assert.equal(q.yieldLongest(q.waitingOf('c')), 'a2', 'a newcomer with nothing waiting takes from a line of 2');
    assert.equal(q.yieldLongest(0), undefined, 'lines of 1 never give way');
    assert.deepEqual(q.drain().sort(), ['a1', 'b1']);
    assert.equal(q.size, 0);
  });

  it('under any arrivals at a full queue, no client waits with two fewer places than another and is refused', () => {
    const capacity = 8;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 200 }), fc.array(fc.boolean(), { maxLength: 200 }), (arrivals, serves) => {
        const q = new FairQueue<number>();
        let n = 0;
        arrivals.forEach((who, i) => {
          const client = `c${who}`;
          if (serves[i] === true) q.shift();
          if (q.size >= capacity) {
            const mine = q.waitingOf(client);
            const given = q.yieldLongest(mine);
            const longest = Math.max(...[0, 1, 2, 3, 4].map((c) => q.waitingOf(`c${c}`)));
            if (given === undefined) {
              assert.ok(longest <= mine + 1, `refused with ${mine} waiting while another client has ${longest}`);
              return;
            }
          }
          q.push(client, n++);
          assert.ok(q.size <= capacity);
        });
        const total = [0, 1, 2, 3, 4].reduce((s, c) => s + q.waitingOf(`c${c}`), 0);
        assert.equal(total, q.size);
      }),
    );
  });
});
