/**
 * Boundary tables for every staking limit (SPEC 6), through the real
 * contract: for delegate and unstake, exactly at the limit, one wei under
 * and one wei over. A comparison written `<` where `<=` is meant (or the
 * reverse) fails one row here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CMT } from '../../src/state/params.js';
import type { Address } from '../../src/util/address.js';
import { type TestNet, declareCandidate, fundedTestNet, testActors } from '../support/staking-testkit.js';

const actors = testActors('limits-', { keyPrefix: 'limits-' });
const { F, cand, del } = actors;

const ADDRESS_MIN = 1_000n * CMT;
const ADDRESS_MAX = 100_000n * CMT;
const ENTERPRISE_MIN = 1_000_000n * CMT;

function net(): TestNet {
  return fundedTestNet(actors, 3, { self_stake_ratio_bp: 1000, address_min_stake: ADDRESS_MIN, address_max_stake: ADDRESS_MAX, enterprise_min_stake: ENTERPRISE_MIN });
}

function declare(n: TestNet, i: number, max: bigint, self: bigint): void {
  declareCandidate(n, actors, i, { max, self, rate: 2000 });
}

/** What the transaction gave: 'ok' or the refusal's reason. */
function outcome(n: TestNet, sender: Address, fn: string, args: unknown[], value = 0n): string {
  const r = n.tx(sender, fn, args, value);
  return r.ok ? 'ok' : r.error.reason;
}

interface Row {
  name: string;
  amount: bigint;
  expected: string;
}

/** The three rows around `limit`: one wei under, exactly at, one wei over. */
function around(limit: bigint, under: string, at: string, over: string): Row[] {
  return [
    { name: 'one wei under', amount: limit - 1n, expected: under },
    { name: 'exactly at', amount: limit, expected: at },
    { name: 'one wei over', amount: limit + 1n, expected: over },
  ];
}

describe('staking limits at their boundaries', () => {
  describe('delegate', () => {
    for (const row of around(ADDRESS_MIN, 'below_min_stake', 'ok', 'ok')) {
      it(`address_min_stake: a first delegation ${row.name} the minimum → ${row.expected}`, () => {
        const n = net();
        declare(n, 0, 5_000_000n * CMT, 500_000n * CMT);
        assert.equal(outcome(n, del(0), 'delegate', [cand(0)], row.amount), row.expected);
      });
    }

    for (const row of around(ADDRESS_MAX, 'ok', 'ok', 'above_address_max_stake')) {
      it(`address_max_stake: a total ${row.name} the maximum, over two candidates → ${row.expected}`, () => {
        const n = net();
        declare(n, 0, 5_000_000n * CMT, 500_000n * CMT);
        declare(n, 1, 5_000_000n * CMT, 500_000n * CMT);
        n.ok(del(0), 'delegate', [cand(0)], 40_000n * CMT);
        assert.equal(outcome(n, del(0), 'delegate', [cand(1)], row.amount - 40_000n * CMT), row.expected);
      });
    }

    for (const row of around(ENTERPRISE_MIN, 'below_min_stake', 'ok', 'ok')) {
      it(`enterprise_min_stake: an enterprise's first delegation ${row.name} the minimum → ${row.expected}`, () => {
        const n = net();
        declare(n, 0, 5_000_000n * CMT, 500_000n * CMT);
        n.ok(F, 'setEnterprise', [del(0), true]);
        assert.equal(outcome(n, del(0), 'delegate', [cand(0)], row.amount), row.expected);
      });
    }

    for (const row of around(50_000n * CMT, 'ok', 'ok', 'above_max_stake')) {
      it(`candidate maxStake: a delegation ${row.name} the room left → ${row.expected}`, () => {
        const n = net();
        declare(n, 0, 150_000n * CMT, 100_000n * CMT);
        assert.equal(outcome(n, del(0), 'delegate', [cand(0)], row.amount), row.expected);
      });
    }
  });

  describe('unstake', () => {
    // 1,500 CMT delegated: unstaking 500 leaves exactly address_min_stake.
    for (const row of around(500n * CMT, 'ok', 'ok', 'below_min_stake')) {
      it(`address_min_stake: unstaking ${row.name} what leaves the minimum → ${row.expected}`, () => {
        const n = net();
        declare(n, 0, 5_000_000n * CMT, 500_000n * CMT);
        n.ok(del(0), 'delegate', [cand(0)], 1_500n * CMT);
        assert.equal(outcome(n, del(0), 'unstake', [cand(0), row.amount]), row.expected);
      });
    }

    // Leaving nothing is allowed, leaving one wei is not, asking one wei more than the stake is refused.
    for (const row of around(1_500n * CMT, 'below_min_stake', 'ok', 'amount_exceeds_stake')) {
      it(`the whole stake: unstaking ${row.name} all of it → ${row.expected}`, () => {
        const n = net();
        declare(n, 0, 5_000_000n * CMT, 500_000n * CMT);
        n.ok(del(0), 'delegate', [cand(0)], 1_500n * CMT);
        assert.equal(outcome(n, del(0), 'unstake', [cand(0), row.amount]), row.expected);
      });
    }

    // 1,500,000 CMT delegated by an enterprise: unstaking 500,000 leaves exactly enterprise_min_stake.
    for (const row of around(500_000n * CMT, 'ok', 'ok', 'below_min_stake')) {
      it(`enterprise_min_stake: an enterprise unstaking ${row.name} what leaves the minimum → ${row.expected}`, () => {
        const n = net();
        declare(n, 0, 5_000_000n * CMT, 500_000n * CMT);
        n.ok(F, 'setEnterprise', [del(0), true]);
        n.ok(del(0), 'delegate', [cand(0)], 1_500_000n * CMT);
        assert.equal(outcome(n, del(0), 'unstake', [cand(0), row.amount]), row.expected);
      });
    }

    // maxStake 5,000,000 and self-stake 600,000: the floor is 10% = 500,000, so 100,000 may leave.
    for (const row of around(100_000n * CMT, 'ok', 'ok', 'self_stake_floor')) {
      it(`self_stake_ratio_bp: a candidate unstaking ${row.name} what leaves its floor → ${row.expected}`, () => {
        const n = net();
        declare(n, 0, 5_000_000n * CMT, 600_000n * CMT);
        assert.equal(outcome(n, cand(0), 'unstake', [cand(0), row.amount]), row.expected);
      });
    }
  });
});
