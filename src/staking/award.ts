/**
 * Splitting one group's award (SPEC 5.2) over its earning members' pools.
 * Pure integer arithmetic; every share is truncated and the caller carries
 * the remainder as dust.
 *
 * For member i with capped power V_i, stake T_i (Σ of its pools), and pool p
 * with tokens T_p and rate C_p (bp; the self pool has C = 0), with V_g the
 * group's summed power:
 *
 *   pool p's delegators get   floor(A_g · V_i · T_p · (10000 − C_p) / (T_i · V_g · 10000))
 *   candidate i gets          floor(A_g · V_i · Σ_p T_p · C_p      / (T_i · V_g · 10000))
 *
 * which is the whitepaper's A_g · V_ij · (1 − C_ij) / V_g with V_ij = f_i · T_ij
 * and f_i = V_i / T_i kept as an exact fraction.
 */
import { SELF_POOL } from './store.js';

export interface AwardMember {
  V: bigint;
  T: bigint;
  pools: ReadonlyArray<{ id: number; tokens: bigint }>;
}

export interface MemberAward {
  /** Award per pool, same order as the member's pools. */
  pools: bigint[];
  compensation: bigint;
}

export function rateOf(poolId: number): bigint {
  return poolId === SELF_POOL ? 0n : BigInt(poolId);
}

export function distributeGroup(A: bigint, members: readonly AwardMember[]): { awards: MemberAward[]; distributed: bigint } {
  let Vg = 0n;
  for (const m of members) Vg += m.V;
  let distributed = 0n;
  const awards = members.map((m): MemberAward => {
    if (A === 0n || Vg === 0n || m.V === 0n || m.T === 0n) {
      return { pools: m.pools.map(() => 0n), compensation: 0n };
    }
    const den = m.T * Vg * 10_000n;
    const num = A * m.V;
    let compNum = 0n;
    const pools = m.pools.map((p) => {
      const rate = rateOf(p.id);
      compNum += p.tokens * rate;
      const share = (num * p.tokens * (10_000n - rate)) / den;
      distributed += share;
      return share;
    });
    const compensation = (num * compNum) / den;
    distributed += compensation;
    return { pools, compensation };
  });
  return { awards, distributed };
}
