// Pure pieces of the ledger: share pools, award split, power and election,
// the income formula (SPEC 5.6).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deposit, redeem, shareValue, sharesForWithdrawal, slashPool } from '../../src/staking/pool.js';
import { distributeGroup } from '../../src/staking/award.js';
import { compareRank, diffSets, powerCap, votingPower } from '../../src/staking/power.js';
import { SELF_POOL, type Pool } from '../../src/staking/store.js';
import { WHITEPAPER_TABLE, incomeProjection, per100, rational, toDecimal, toNumber } from '../../src/staking/economics.js';

const newPool = (): Pool => ({ id: 0, tokens: 0n, shares: 0n, waitingShares: 0n });

describe('share pool', () => {
  it('never creates or loses a wei across deposits, awards, slashes and redemptions', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ k: fc.constant('dep' as const), who: fc.nat(4), v: fc.bigInt(1n, 10n ** 24n) }),
            fc.record({ k: fc.constant('red' as const), who: fc.nat(4), v: fc.bigInt(0n, 10n ** 24n) }),
            fc.record({ k: fc.constant('award' as const), who: fc.nat(4), v: fc.bigInt(0n, 10n ** 22n) }),
            fc.record({ k: fc.constant('slash' as const), who: fc.nat(4), v: fc.bigInt(0n, 10_000n) }),
          ),
          { maxLength: 60 },
        ),
        (ops) => {
          const p = newPool();
          const held = [0n, 0n, 0n, 0n, 0n];
          let inside = 0n; // what entered the pool minus what left
          for (const op of ops) {
            if (op.k === 'dep') {
              if (p.shares > 0n && p.tokens === 0n) continue;
              held[op.who]! += deposit(p, op.v);
              inside += op.v;
            } else if (op.k === 'red') {
              const s = sharesForWithdrawal(p, op.v, held[op.who]!);
              const out = redeem(p, s);
              held[op.who]! -= s;
              inside -= out;
            } else if (op.k === 'award') {
              if (p.tokens === 0n) continue; // awards are proportional to tokens: an empty pool gets none
              p.tokens += op.v;
              inside += op.v;
            } else {
              inside -= slashPool(p, op.v);
            }
            assert.equal(p.tokens, inside);
            assert.equal(
              p.shares,
              held.reduce((a, b) => a + b, 0n),
            );
            const values = held.reduce((a, h) => a + shareValue(p, h), 0n);
            assert.ok(values <= p.tokens, 'holders never own more than the pool');
          }
          // everyone leaves: the pool empties exactly
          for (let i = 0; i < held.length; i++) {
            inside -= redeem(p, held[i]!);
            held[i] = 0n;
          }
          assert.equal(p.tokens, 0n);
          assert.equal(inside, 0n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sharesForWithdrawal is worth at least the amount asked', () => {
    const p = newPool();
    deposit(p, 1000n * 10n ** 18n);
    p.tokens += 333_333n;
    const s = sharesForWithdrawal(p, 10n ** 18n, p.shares);
    assert.ok(shareValue(p, s) >= 10n ** 18n);
    assert.ok(shareValue(p, s - 1n) < 10n ** 18n);
  });
});

describe('award split', () => {
  it('gives exactly the whitepaper shares, truncated, never more than A', () => {
    fc.assert(
      fc.property(
        fc.bigInt(0n, 10n ** 24n),
        fc.array(
          fc.array(fc.record({ id: fc.oneof(fc.constant(SELF_POOL), fc.integer({ min: 0, max: 9999 })), tokens: fc.bigInt(1n, 10n ** 26n) }), {
            minLength: 1,
            maxLength: 4,
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.bigInt(1n, 10n ** 27n),
        (A, pools, capBase) => {
          const members = pools.map((ps) => {
            const T = ps.reduce((s, p) => s + p.tokens, 0n);
            return { T, V: votingPower(T, capBase), pools: ps };
          });
          const { awards, distributed } = distributeGroup(A, members);
          assert.ok(distributed <= A);
          const Vg = members.reduce((s, m) => s + m.V, 0n);
          // Rounding loses less than one wei per share paid.
          const shares = members.reduce((s, m) => s + m.pools.length + 1, 0);
          assert.ok(A - distributed <= BigInt(shares), `dust ${A - distributed} for ${shares} shares`);
          members.forEach((m, i) => {
            const exact = (A * m.V) / Vg; // what the member's group share is, all pools + compensation
            const got = awards[i]!.pools.reduce((s, x) => s + x, 0n) + awards[i]!.compensation;
            assert.ok(got <= exact + 1n && got + BigInt(m.pools.length + 1) >= exact);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('power and election', () => {
  it('V_i = min(T_i, 12% of S), in integers, S over the validators', () => {
    const C = 10n ** 18n;
    const stakes = [...Array<bigint>(9).fill(100_000n * C), 100_000n * C];
    const cap = powerCap(stakes, 1200)!;
    assert.equal(cap, 120_000n * C);
    assert.equal(votingPower(200_000n * C, cap), cap);
    assert.equal(votingPower(5n, cap), 5n);
    assert.equal(powerCap([1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n], 1200), 1n, '12% of 9 wei, truncated');
  });

  it('binds only when at least ⌈1/threshold⌉ validators hold stake (SPEC 4.2)', () => {
    const C = 10n ** 18n;
    const eight = [100_000n * C, ...Array<bigint>(7).fill(2_000n * C)];
    assert.equal(powerCap(eight, 1200), undefined, '8 validators: no cap');
    assert.equal(votingPower(100_000n * C, powerCap(eight, 1200)), 100_000n * C);
    assert.equal(powerCap([...eight, 0n], 1200), undefined, 'a validator without stake does not count');
    assert.notEqual(powerCap([...eight, 1n], 1200), undefined);
    assert.equal(powerCap([5n, 5n, 5n, 5n], 2500), 5n, '⌈1/25%⌉ = 4');
    assert.equal(powerCap([5n, 5n, 5n], 2500), undefined);
  });

  it('orders by stake, declaration height, address', () => {
    const e = (address: string, stake: bigint, h: bigint) => ({ address: address as `0x${string}`, stake, declareHeight: h });
    const sorted = [e('0x02', 5n, 1n), e('0x01', 5n, 1n), e('0x00', 5n, 2n), e('0x03', 6n, 9n)].sort(compareRank);
    assert.deepEqual(
      sorted.map((x) => x.address),
      ['0x03', '0x01', '0x02', '0x00'],
    );
  });

  it('diffs sets: removals at 0, changes and additions only', () => {
    const k = (b: number) => Uint8Array.of(b);
    const u = diffSets(
      [
        { pubKey: k(1), power: 5n },
        { pubKey: k(2), power: 5n },
        { pubKey: k(3), power: 5n },
      ],
      [
        { pubKey: k(2), power: 5n },
        { pubKey: k(3), power: 6n },
        { pubKey: k(4), power: 1n },
      ],
    );
    assert.deepEqual(
      u.map((x) => [x.pubKey[0], x.power]),
      [
        [1, 0n],
        [3, 6n],
        [4, 1n],
      ],
    );
  });
});

describe('income projection (SPEC 5.6)', () => {
  it('reproduces every row of the whitepaper table', () => {
    for (const row of WHITEPAPER_TABLE) {
      const c50 = per100(row.stakeRatioBp, row.selfStakeRatioBp, 5000);
      const c20 = per100(row.stakeRatioBp, row.selfStakeRatioBp, 2000);
      assert.equal(Math.round(toNumber(c50.validator)), row.validatorC50, JSON.stringify(row));
      assert.equal(Math.round(toNumber(c50.delegator)), row.delegatorC50);
      assert.equal(Math.round(toNumber(c20.validator)), row.validatorC20);
      assert.equal(Math.round(toNumber(c20.delegator)), row.delegatorC20);
    }
  });

  it('is exact', () => {
    const p = incomeProjection({ staked: 1n, totalSupply: 4n, inflationRateBp: 800, compRateBp: 5000, selfStakeRatioBp: 1000 });
    assert.deepEqual(p.validator, rational(176n, 100n));
    assert.deepEqual(p.delegator, rational(16n, 100n));
    assert.equal(toDecimal(p.validator, 3), '1.760');
    assert.equal(toDecimal(rational(2n, 3n), 2), '0.67');
  });
});
