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
 *
 * The record keeps minted_k(t_{h−1}), what the year has minted so far, rather
 * than t_{h−1} itself: a block mints minted_k(t_h) minus it, the same number
 * the SPEC's difference gives, and a block that mints nothing (a rate of 0)
 * leaves the record unchanged, so an idle chain's state stops changing.
 */
import type { Params } from '../state/params.js';

/** The award year the chain is in, and what its mint has reached. */
export interface AwardYear {
  /** Header time of block 1, ms. */
  t0: bigint;
  year: bigint;
  /** B_k: total supply when the chain entered the year. */
  base: bigint;
  /** r_k, basis points. */
  rateBp: bigint;
  /** minted_k(t) at the header time t of the last block that ran the mint (before the supply cap). */
  minted: bigint;
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
export function runMint(prev: AwardYear | undefined, tMs: bigint, supply: bigint, params: Params, mintable: boolean): { year: AwardYear; minted: bigint } {
  const yearMs = params.seconds_per_year * 1000n;
  const room = params.supply_cap > supply ? params.supply_cap - supply : 0n;
  const capped = (m: bigint): bigint => (!mintable ? 0n : m < room ? m : room);
  let y: AwardYear = prev ?? { t0: tMs, year: 0n, base: supply, rateBp: rateForYear(0n, params), minted: 0n };
  let minted = 0n;
  for (;;) {
    // Header time never goes back (CometBFT); were it to, nothing is minted and the record stays.
    const reached = mintedAt(y, tMs, yearMs);
    if (reached > y.minted) {
      minted += reached - y.minted;
      y = { ...y, minted: reached };
    }
    if (tMs < y.t0 + (y.year + 1n) * yearMs) break;
    const next = y.year + 1n;
    y = { t0: y.t0, year: next, base: supply + capped(minted), rateBp: rateForYear(next, params), minted: 0n };
  }
  return { year: y, minted: capped(minted) };
}
