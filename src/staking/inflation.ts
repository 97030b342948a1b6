/**
 * The block mint (SPEC 5.1), counted in block header time. Award year k
 * covers header times [t0 + k·Y, t0 + (k+1)·Y) in milliseconds, t0 being
 * block 1's. Its mint is defined cumulatively,
 *
 *   minted_k(t) = floor(B_k · r_k · e_k(t) / (10^4 · Y)),  e_k(t) = min(max(t − t0 − k·Y, 0), Y)
 *
 * and a block mints what its interval adds, so a full year mints exactly
 * floor(B_k · r_k / 10^4) however its time is split into blocks. B_k and r_k
 * are recorded when the chain enters year k. Pure integer arithmetic.
 */
import type { Params } from '../state/params.js';

/** The award year the chain is in, and the header time the last mint reached. */
export interface AwardYear {
  /** Header time of block 1, ms. */
  t0: bigint;
  year: bigint;
  /** B_k: total supply when the chain entered the year. */
  base: bigint;
  /** r_k, basis points. */
  rateBp: bigint;
  /** Header time (ms) of the last block that ran the mint. */
  last: bigint;
}

/** r_k: inflation_rate_bp in years 0 … inflation_years − 1, late_inflation_rate_bp after. */
export function rateForYear(year: bigint, params: Params): bigint {
  return BigInt(year < BigInt(params.inflation_years) ? params.inflation_rate_bp : params.late_inflation_rate_bp);
}

/** minted_k(t) of the year record. */
export function mintedAt(y: AwardYear, tMs: bigint, yearMs: bigint): bigint {
  let e = tMs - y.t0 - y.year * yearMs;
  if (e < 0n) e = 0n;
  if (e > yearMs) e = yearMs;
  return (y.base * y.rateBp * e) / (10_000n * yearMs);
}

/**
 * Runs the mint of a block at header time `tMs` with `supply` the total
 * supply before it: returns the amount to mint (never past `supply_cap`)
 * and the year record to store. Crossing a year boundary completes year k,
 * then records B_{k+1} including what the block minted for year k. With
 * `mintable` false (no validator to award) nothing is minted and the time
 * passes unminted.
 */
export function runMint(
  prev: AwardYear | undefined,
  tMs: bigint,
  supply: bigint,
  params: Params,
  mintable: boolean,
): { year: AwardYear; minted: bigint } {
  const yearMs = params.seconds_per_year * 1000n;
  const room = params.supply_cap > supply ? params.supply_cap - supply : 0n;
  const capped = (m: bigint): bigint => (!mintable ? 0n : m < room ? m : room);
  let y: AwardYear = prev ?? { t0: tMs, year: 0n, base: supply, rateBp: rateForYear(0n, params), last: tMs };
  const t = tMs < y.last ? y.last : tMs;
  let from = y.last;
  let minted = 0n;
  for (;;) {
    const end = y.t0 + (y.year + 1n) * yearMs;
    const to = t < end ? t : end;
    minted += mintedAt(y, to, yearMs) - mintedAt(y, from, yearMs);
    if (t < end) break;
    const next = y.year + 1n;
    y = { t0: y.t0, year: next, base: supply + capped(minted), rateBp: rateForYear(next, params), last: end };
    from = end;
  }
  return { year: { ...y, last: t }, minted: capped(minted) };
}
