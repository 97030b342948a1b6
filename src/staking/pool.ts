/**
 * Share-pool arithmetic (SPEC 5.5). Each (candidate, compensation rate) pair
 * has one pool of `tokens` (wei at stake) owned through `shares`. Awards and
 * slashes change a pool's tokens only; a holder's stake is its share of the
 * tokens, so per-block work never touches individual delegations.
 *
 * Rounding always favours the pool: buying truncates the shares issued,
 * redeeming truncates the tokens paid, and whoever redeems the pool's last
 * shares takes every token left. No wei is ever created or lost.
 */
import { SHARE_SCALE, type Pool } from './store.js';

/** Value of `shares` of the pool, truncated; the pool's last shares take all its tokens. */
export function shareValue(pool: Pool, shares: bigint): bigint {
  if (shares === 0n || pool.shares === 0n) return 0n;
  if (shares >= pool.shares) return pool.tokens;
  return (shares * pool.tokens) / pool.shares;
}

/** True when the pool has owners but no tokens left (slashed to nothing): nobody can buy in fairly. */
export function isWiped(pool: Pool): boolean {
  return pool.shares > 0n && pool.tokens === 0n;
}

/** Shares issued for `amount` wei (the pool must not be wiped). */
export function sharesForDeposit(pool: Pool, amount: bigint): bigint {
  if (pool.shares === 0n) return amount * SHARE_SCALE;
  if (pool.tokens === 0n) throw new Error('deposit into a wiped pool');
  return (amount * pool.shares) / pool.tokens;
}

/** Least number of shares worth at least `amount` wei, capped at `held`. */
export function sharesForWithdrawal(pool: Pool, amount: bigint, held: bigint): bigint {
  if (pool.tokens === 0n) return held;
  const shares = (amount * pool.shares + pool.tokens - 1n) / pool.tokens;
  return shares > held ? held : shares;
}

/** Adds `amount` wei to the pool and returns the shares issued for it. */
export function deposit(pool: Pool, amount: bigint): bigint {
  const shares = sharesForDeposit(pool, amount);
  pool.tokens += amount;
  pool.shares += shares;
  return shares;
}

/** Removes `shares` from the pool and returns the wei they were worth. */
export function redeem(pool: Pool, shares: bigint): bigint {
  if (shares > pool.shares) throw new Error(`redeeming ${shares} shares of a pool of ${pool.shares}`);
  const value = shareValue(pool, shares);
  pool.tokens -= value;
  pool.shares -= shares;
  return value;
}

/** Burns `bp` basis points of the pool's tokens (truncated) and returns the amount. */
export function slashPool(pool: Pool, bp: bigint): bigint {
  const amount = (pool.tokens * bp) / 10_000n;
  pool.tokens -= amount;
  return amount;
}
