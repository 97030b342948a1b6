/**
 * The whitepaper's steady-state income projection (SPEC 5.6), exact:
 *
 *   validator income per CMT = I · Total/S · (1 + (1/SSR − 1) · C) · R_r/R_s
 *   delegator income per CMT = I · Total/S · (1 − C) · R_r/R_s
 *
 * I inflation, S/Total the stake ratio, C the compensation rate, SSR the
 * self-stake ratio, R_r/R_s the group's award share over its stake share.
 * Rates are basis points; results are exact rationals (per CMT per year).
 */

export interface Rational {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function rational(num: bigint, den: bigint = 1n): Rational {
  if (den === 0n) throw new Error('rational with a zero denominator');
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

export function mul(...rs: Rational[]): Rational {
  return rs.reduce((a, b) => rational(a.num * b.num, a.den * b.den), rational(1n));
}

/** Decimal text of r, rounded half up to `digits` fraction digits. */
export function toDecimal(r: Rational, digits = 4): string {
  const scale = 10n ** BigInt(digits);
  const neg = r.num < 0n;
  const n = neg ? -r.num : r.num;
  const q = (n * scale * 2n + r.den) / (2n * r.den);
  const int = q / scale;
  const frac = (q % scale).toString().padStart(digits, '0');
  return `${neg ? '-' : ''}${int}${digits > 0 ? `.${frac}` : ''}`;
}

/** Floating approximation, for display and tolerance checks only (never for state). */
export function toNumber(r: Rational): number {
  return Number(r.num) / Number(r.den);
}

export interface IncomeInputs {
  /** S: total stake of active candidates (any unit, same as totalSupply). */
  staked: bigint;
  /** Total supply. */
  totalSupply: bigint;
  inflationRateBp: number;
  compRateBp: number;
  selfStakeRatioBp: number;
  /** R_r / R_s (default 1: the group's award share equals its stake share). */
  awardOverStake?: Rational;
}

export interface IncomeProjection {
  /** Validator's yearly income per CMT of its self-stake. */
  validator: Rational;
  /** Delegator's yearly income per CMT delegated. */
  delegator: Rational;
}

export function incomeProjection(x: IncomeInputs): IncomeProjection {
  if (x.staked <= 0n || x.totalSupply <= 0n) throw new Error('staked and total supply must be positive');
  if (x.selfStakeRatioBp <= 0) throw new Error('self-stake ratio must be positive');
  const I = rational(BigInt(x.inflationRateBp), 10_000n);
  const totalOverS = rational(x.totalSupply, x.staked);
  const rr = x.awardOverStake ?? rational(1n);
  const c = BigInt(x.compRateBp);
  const ssr = BigInt(x.selfStakeRatioBp);
  // 1 + (1/SSR − 1)·C = (SSR·10000 + (10000 − SSR)·C) / (SSR·10000)
  const boost = rational(ssr * 10_000n + (10_000n - ssr) * c, ssr * 10_000n);
  const keep = rational(10_000n - c, 10_000n);
  return { validator: mul(I, totalOverS, boost, rr), delegator: mul(I, totalOverS, keep, rr) };
}

export interface WhitepaperRow {
  stakeRatioBp: number;
  selfStakeRatioBp: number;
  /** Rounded whole CMT per 100 staked per year, as printed in the whitepaper. */
  validatorC50: number;
  delegatorC50: number;
  validatorC20: number;
  delegatorC20: number;
}

/** SPEC 5.6 table (I = 8%, R_r/R_s = 1). */
export const WHITEPAPER_TABLE: readonly WhitepaperRow[] = Object.freeze([
  { stakeRatioBp: 2500, selfStakeRatioBp: 1000, validatorC50: 176, delegatorC50: 16, validatorC20: 90, delegatorC20: 26 },
  { stakeRatioBp: 2500, selfStakeRatioBp: 2000, validatorC50: 96, delegatorC50: 16, validatorC20: 58, delegatorC20: 26 },
  { stakeRatioBp: 5000, selfStakeRatioBp: 1000, validatorC50: 88, delegatorC50: 8, validatorC20: 45, delegatorC20: 13 },
  { stakeRatioBp: 7500, selfStakeRatioBp: 4000, validatorC50: 19, delegatorC50: 5, validatorC20: 14, delegatorC20: 9 },
]);

/** Income per 100 CMT per year for a stake ratio in bp (Total = 10000, S = ratio). */
export function per100(
  stakeRatioBp: number,
  selfStakeRatioBp: number,
  compRateBp: number,
  inflationRateBp = 800,
): {
  validator: Rational;
  delegator: Rational;
} {
  const p = incomeProjection({
    staked: BigInt(stakeRatioBp),
    totalSupply: 10_000n,
    inflationRateBp,
    compRateBp,
    selfStakeRatioBp,
  });
  const h = rational(100n);
  return { validator: mul(p.validator, h), delegator: mul(p.delegator, h) };
}
