// The award year in header time (SPEC 5.1): whatever the block intervals,
// a year mints exactly floor(B_k · r_k / 10^4), and the same elapsed time
// split into other blocks mints the same.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CMT, DEFAULT_PARAMS, type Params } from '../../src/state/params.js';
import { runMint, type AwardYear } from '../../src/staking/inflation.js';

const PARAMS: Params = { ...DEFAULT_PARAMS };
const Y = PARAMS.seconds_per_year * 1000n;
const T0 = 1_700_000_000_000n;

/** Runs the mint over header times t0, t0 + gaps…; returns the total and the year record. */
function mintOver(supply: bigint, gaps: readonly bigint[], params = PARAMS): { total: bigint; year: AwardYear } {
  let { year, minted: total } = runMint(undefined, T0, supply, params, true);
  let t = T0;
  for (const g of gaps) {
    t += g;
    const r = runMint(year, t, supply + total, params, true);
    year = r.year;
    total += r.minted;
  }
  return { total, year };
}

/** Splits Y ms into blocks at the given cut points (any intervals, hours-long gaps included). */
function gapsOf(cuts: readonly bigint[]): bigint[] {
  const points = [...new Set(cuts)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const gaps: bigint[] = [];
  let last = 0n;
  for (const p of [...points, Y]) {
    gaps.push(p - last);
    last = p;
  }
  return gaps;
}

const cutsArb = fc.array(fc.bigInt(1n, Y - 1n), { maxLength: 300 });
// Below the cap even after three years of 8%.
const supplyArb = fc.bigInt(1n, 7_000_000_000n * CMT);

describe('award year in header time', () => {
  it('a full year mints floor(B_k · r / 10^4) to the wei, for any block times (property)', () => {
    fc.assert(
      fc.property(supplyArb, cutsArb, (B, cuts) => {
        const { total, year } = mintOver(B, gapsOf(cuts));
        assert.equal(total, (B * 800n) / 10_000n);
        assert.equal(year.year, 1n, 'the last block, at t0 + Y, enters year 1');
        assert.equal(year.base, B + total, 'B_1 includes year 0 mint');
      }),
      { numRuns: 300 },
    );
  });

  it('the same elapsed time split into other blocks mints the same (property)', () => {
    fc.assert(
      fc.property(supplyArb, fc.bigInt(1n, 3n * Y), cutsArb, cutsArb, (B, span, a, b) => {
        // Two block sequences ending at the same header time t0 + span.
        const split = (cuts: readonly bigint[]): bigint[] => {
          const within = [...new Set(cuts.map((c) => (c * span) / Y).filter((c) => c > 0n && c < span))].sort((x, y) => (x < y ? -1 : 1));
          const gaps: bigint[] = [];
          let last = 0n;
          for (const p of [...within, span]) {
            gaps.push(p - last);
            last = p;
          }
          return gaps;
        };
        assert.equal(mintOver(B, split(a)).total, mintOver(B, split(b)).total);
      }),
      { numRuns: 200 },
    );
  });

  it('rates: inflation_rate_bp for inflation_years, then late_inflation_rate_bp; nothing past the cap', () => {
    const params: Params = { ...PARAMS, inflation_years: 10, late_inflation_rate_bp: 200 };
    const B = 1_000_000_000n * CMT;
    // Eleven whole years in one block each.
    let { year, minted: total } = runMint(undefined, T0, B, params, true);
    const perYear: bigint[] = [];
    for (let k = 1n; k <= 11n; k++) {
      const r = runMint(year, T0 + k * Y, B + total, params, true);
      perYear.push(r.minted);
      total += r.minted;
      year = r.year;
    }
    let base = B;
    perYear.forEach((m, k) => {
      assert.equal(m, (base * (k < 10 ? 800n : 200n)) / 10_000n, `year ${k}`);
      base += m;
    });
    // Ten years of 8% compounded: ×2.1589…
    assert.equal((B * 21_589n) / 10_000n <= base - perYear[10]! && base - perYear[10]! < (B * 21_590n) / 10_000n, true);
    const capped = runMint(undefined, T0, B, { ...params, supply_cap: B + 7n }, true);
    assert.equal(runMint(capped.year, T0 + Y, B, { ...params, supply_cap: B + 7n }, true).minted, 7n);
    assert.equal(runMint(capped.year, T0 + Y, B + 7n, { ...params, supply_cap: B + 7n }, true).minted, 0n);
  });
  it('each block mints Σ_k minted_k(t_h) − minted_k(t_{h−1}) of its header times, as SPEC 5.1 writes it (property)', () => {
    // The SPEC's formula over the previous block's time, with its own B_k bookkeeping: the
    // year record keeps minted_k so far instead of that time, and must give the same mints.
    const params: Params = { ...PARAMS, inflation_years: 2, late_inflation_rate_bp: 300, supply_cap: 10n ** 40n }; // no cap in the way
    const specMinted = (base: bigint, rate: bigint, k: bigint, t: bigint): bigint => {
      let e = t - T0 - k * Y;
      if (e < 0n) e = 0n;
      if (e > Y) e = Y;
      return (base * rate * e) / (10_000n * Y);
    };
    fc.assert(
      fc.property(supplyArb, fc.array(fc.bigInt(0n, Y + Y / 3n), { maxLength: 40 }), (B, gaps) => {
        let { year } = runMint(undefined, T0, B, params, true);
        let supply = B;
        const bases = [B];
        let prev = T0;
        for (const g of gaps) {
          const t = prev + g;
          const r = runMint(year, t, supply, params, true);
          let expected = 0n;
          for (let k = (prev - T0) / Y; k <= (t - T0) / Y; k++) {
            const rate = BigInt(k < 2n ? params.inflation_rate_bp : params.late_inflation_rate_bp);
            expected += specMinted(bases[Number(k)]!, rate, k, t) - specMinted(bases[Number(k)]!, rate, k, prev);
            if (bases[Number(k) + 1] === undefined && t >= T0 + (k + 1n) * Y) bases.push(supply + expected);
          }
          assert.equal(r.minted, expected);
          supply += r.minted;
          year = r.year;
          prev = t;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a rate of 0, or the same header time again, mints nothing and leaves the year record as it was', () => {
    const zero = { ...PARAMS, inflation_rate_bp: 0 };
    const first = runMint(undefined, T0, 1_000n * CMT, zero, true);
    const later = runMint(first.year, T0 + Y / 2n, 1_000n * CMT, zero, true);
    assert.equal(later.minted, 0n);
    assert.deepEqual(later.year, first.year);
    const paying = runMint(runMint(undefined, T0, 1_000n * CMT, PARAMS, true).year, T0 + 1_000n, 1_000n * CMT, PARAMS, true);
    const again = runMint(paying.year, T0 + 1_000n, 1_000n * CMT + paying.minted, PARAMS, true);
    assert.equal(again.minted, 0n);
    assert.deepEqual(again.year, paying.year);
  });
});
