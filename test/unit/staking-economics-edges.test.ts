// Edges of the exact income projection (SPEC 5.6, src/staking/economics.ts):
// rational normalisation (sign on the numerator, lowest terms, no zero
// denominator), decimal text (zero, negatives, leading fraction zeros, no
// fraction digits), the input guards of incomeProjection, and the whitepaper
// table itself, every cell derived by hand from the SPEC 5.6 formula.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WHITEPAPER_TABLE, incomeProjection, mul, per100, rational, toDecimal, toNumber } from '../../src/staking/economics.js';

describe('rational: normal form', () => {
  it('keeps the sign on the numerator and reduces to lowest terms', () => {
    // -6/4 = -3/2, 6/-4 = -3/2, -6/-4 = 3/2
    assert.deepEqual(rational(-6n, 4n), { num: -3n, den: 2n });
    assert.deepEqual(rational(6n, -4n), { num: -3n, den: 2n });
    assert.deepEqual(rational(-6n, -4n), { num: 3n, den: 2n });
    // a negative denominator that shares no factor with the numerator is still moved to the numerator
    assert.deepEqual(rational(1n, -2n), { num: -1n, den: 2n });
    // zero is 0/1 whatever the denominator
    assert.deepEqual(rational(0n, -5n), { num: 0n, den: 1n });
    assert.deepEqual(rational(0n, 7n), { num: 0n, den: 1n });
  });

  it('mul of signed factors is in normal form: (-2/3)·(3/-4) = 1/2', () => {
    assert.deepEqual(mul(rational(-2n, 3n), rational(3n, -4n)), { num: 1n, den: 2n });
    assert.deepEqual(mul(rational(-2n, 3n), rational(3n, 4n)), { num: -1n, den: 2n });
  });

  it('refuses a zero denominator', () => {
    assert.throws(() => rational(1n, 0n), /rational with a zero denominator/);
    assert.throws(() => rational(0n, 0n), /rational with a zero denominator/);
  });
});

describe('toDecimal: text of an exact rational', () => {
  it('zero is unsigned', () => {
    assert.equal(toDecimal(rational(0n)), '0.0000');
    assert.equal(toDecimal(rational(0n, 3n), 2), '0.00');
  });

  it('negatives carry one leading minus', () => {
    assert.equal(toDecimal(rational(-1n, 4n)), '-0.2500');
    assert.equal(toDecimal(rational(-2n, 3n), 2), '-0.67');
    assert.equal(toDecimal(rational(-5n, 1n), 1), '-5.0');
  });

  it('pads the fraction with leading zeros: I = 8%, all supply staked, C = 0 gives 0.08 per CMT', () => {
    // SPEC 5.6 with Total/S = 1, C = 0, R_r/R_s = 1: validator = delegator = I = 8/100
    const p = incomeProjection({ staked: 10n, totalSupply: 10n, inflationRateBp: 800, compRateBp: 0, selfStakeRatioBp: 1000 });
    assert.deepEqual(p.delegator, { num: 2n, den: 25n });
    assert.deepEqual(p.validator, { num: 2n, den: 25n });
    assert.equal(toDecimal(p.delegator), '0.0800');
    assert.equal(toDecimal(p.validator, 6), '0.080000');
    assert.equal(toDecimal(rational(1n, 100n), 4), '0.0100');
  });

  it('with 0 digits is a whole number, rounded half up, with no point', () => {
    // 25% staked, SSR 10%, C 50%: 8 · 4 · 5.5 = 176 per 100 CMT exactly
    assert.equal(toDecimal(per100(2500, 1000, 5000).validator, 0), '176');
    // 25% staked, C 20%: delegator 8 · 4 · 0.8 = 25.6 → 26 (the whitepaper's printed value)
    assert.equal(toDecimal(per100(2500, 1000, 2000).delegator, 0), '26');
    assert.equal(toDecimal(rational(5n, 2n), 0), '3');
    assert.equal(toDecimal(rational(7n, 4n), 0), '2');
  });
});

describe('incomeProjection: inputs outside the formula are refused', () => {
  const base = { staked: 1n, totalSupply: 4n, inflationRateBp: 800, compRateBp: 2000, selfStakeRatioBp: 1000 };

  it('staked must be positive', () => {
    assert.throws(() => incomeProjection({ ...base, staked: 0n }), /staked and total supply must be positive/);
    assert.throws(() => incomeProjection({ ...base, staked: -1n }), /staked and total supply must be positive/);
  });

  it('total supply must be positive', () => {
    assert.throws(() => incomeProjection({ ...base, totalSupply: 0n }), /staked and total supply must be positive/);
    assert.throws(() => incomeProjection({ ...base, totalSupply: -4n }), /staked and total supply must be positive/);
  });

  it('self-stake ratio must be positive (1/SSR)', () => {
    assert.throws(() => incomeProjection({ ...base, selfStakeRatioBp: 0 }), /self-stake ratio must be positive/);
    assert.throws(() => incomeProjection({ ...base, selfStakeRatioBp: -1000 }), /self-stake ratio must be positive/);
  });

  it('the smallest valid inputs pass: staked 1, supply 1, SSR 1 bp', () => {
    // I = 1 bp, Total/S = 1, C = 0: both incomes are I = 1/10000
    const p = incomeProjection({ staked: 1n, totalSupply: 1n, inflationRateBp: 1, compRateBp: 0, selfStakeRatioBp: 1 });
    assert.deepEqual(p.validator, { num: 1n, den: 10_000n });
    assert.deepEqual(p.delegator, { num: 1n, den: 10_000n });
  });

  it('applies R_r/R_s: 25% staked, SSR 10%, C 20%, R_r/R_s = 3/2', () => {
    // validator = 8/100 · 4 · (1 + 9 · 1/5) · 3/2 = 8/100 · 4 · 14/5 · 3/2 = 168/125
    // delegator = 8/100 · 4 · 4/5 · 3/2 = 48/125
    const p = incomeProjection({ ...base, awardOverStake: rational(3n, 2n) });
    assert.deepEqual(p.validator, { num: 168n, den: 125n });
    assert.deepEqual(p.delegator, { num: 48n, den: 125n });
  });
});

describe('WHITEPAPER_TABLE is the SPEC 5.6 table', () => {
  it('holds the four rows of SPEC 5.6, in order', () => {
    assert.deepEqual(
      WHITEPAPER_TABLE.map((r) => ({ ...r })),
      [
        { stakeRatioBp: 2500, selfStakeRatioBp: 1000, validatorC50: 176, delegatorC50: 16, validatorC20: 90, delegatorC20: 26 },
        { stakeRatioBp: 2500, selfStakeRatioBp: 2000, validatorC50: 96, delegatorC50: 16, validatorC20: 58, delegatorC20: 26 },
        { stakeRatioBp: 5000, selfStakeRatioBp: 1000, validatorC50: 88, delegatorC50: 8, validatorC20: 45, delegatorC20: 13 },
        { stakeRatioBp: 7500, selfStakeRatioBp: 4000, validatorC50: 19, delegatorC50: 5, validatorC20: 14, delegatorC20: 9 },
      ],
    );
    assert.ok(Object.isFrozen(WHITEPAPER_TABLE));
  });

  it('per100 gives the exact rationals behind every cell, and they round to the table', () => {
    // per 100 CMT: 100 · I · Total/S · factor = 8 · (10000 / ratioBp) · factor;
    // validator factor 1 + (1/SSR − 1)·C, delegator factor 1 − C.
    const exact: Record<string, [bigint, bigint][]> = {
      // 25%: 8 · 4 = 32. SSR 10%: C50 32 · 11/2 = 176, 32 · 1/2 = 16; C20 32 · 14/5 = 448/5, 32 · 4/5 = 128/5
      '2500/1000': [
        [176n, 1n],
        [16n, 1n],
        [448n, 5n],
        [128n, 5n],
      ],
      // SSR 20%: C50 32 · 3 = 96; C20 32 · 9/5 = 288/5
      '2500/2000': [
        [96n, 1n],
        [16n, 1n],
        [288n, 5n],
        [128n, 5n],
      ],
      // 50%: 8 · 2 = 16. SSR 10%: C50 16 · 11/2 = 88, 8; C20 16 · 14/5 = 224/5, 64/5
      '5000/1000': [
        [88n, 1n],
        [8n, 1n],
        [224n, 5n],
        [64n, 5n],
      ],
      // 75%: 8 · 4/3 = 32/3. SSR 40% (1/SSR − 1 = 3/2): C50 32/3 · 7/4 = 56/3, 32/3 · 1/2 = 16/3;
      // C20 32/3 · 13/10 = 208/15, 32/3 · 4/5 = 128/15
      '7500/4000': [
        [56n, 3n],
        [16n, 3n],
        [208n, 15n],
        [128n, 15n],
      ],
    };
    let rows = 0;
    for (const row of WHITEPAPER_TABLE) {
      const want = exact[`${row.stakeRatioBp}/${row.selfStakeRatioBp}`];
      assert.ok(want, `row ${row.stakeRatioBp}/${row.selfStakeRatioBp} is in SPEC 5.6`);
      const c50 = per100(row.stakeRatioBp, row.selfStakeRatioBp, 5000);
      const c20 = per100(row.stakeRatioBp, row.selfStakeRatioBp, 2000);
      const got = [c50.validator, c50.delegator, c20.validator, c20.delegator];
      assert.deepEqual(
        got,
        want.map(([num, den]) => ({ num, den })),
      );
      assert.deepEqual(
        got.map((r) => Math.round(toNumber(r))),
        [row.validatorC50, row.delegatorC50, row.validatorC20, row.delegatorC20],
      );
      rows++;
    }
    assert.equal(rows, 4);
  });
});
