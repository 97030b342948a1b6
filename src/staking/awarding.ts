/**
 * The block award (SPEC 5): this block's mint (the year's inflation, accrued
 * with header time), the fees and the carried dust are shared out among the
 * validators and backups of the last ranking that are active, present and
 * staked, by voting power; each candidate keeps its compensation and the
 * rest compounds into its pools.
 */
import type { Address } from '../util/address.js';
import type { Params } from '../state/params.js';
import { totalSupply } from '../state/supply.js';
import { distributeGroup, type AwardMember } from './award.js';
import { capOf } from './election.js';
import { runMint } from './inflation.js';
import { BP, findPool, type CandidateCache, type StakingKeeper } from './keeper.js';
import { totalStake, votingPower } from './power.js';
import { SELF_POOL, type CandidateRecord, type Ranking } from './store.js';
import type { AwardEntry, BlockAwards, BlockContext } from './types.js';

/** What the award phase leaves for the block's award record. */
export type AwardOutcome = Pick<BlockAwards, 'minted' | 'fees' | 'dustIn' | 'dustOut' | 'awards'>;

/**
 * Shares out the block award among the earning candidates of `ranking`
 * (those in `absent` missed the last commit and earn nothing); the caller
 * flushes `cache`.
 */
export function distributeAwards(k: StakingKeeper, ctx: BlockContext, cache: CandidateCache, ranking: Ranking, absent: ReadonlySet<Address>, params: Params): AwardOutcome {
  const cap = capOf(ranking.validators, (a) => cache.get(a), params);
  const earning = (a: Address, canBeAbsent: boolean): CandidateRecord | undefined => {
    const c = cache.get(a);
    if (c === undefined || c.state !== 'active' || (canBeAbsent && absent.has(a))) return undefined;
    return totalStake(c) > 0n ? c : undefined;
  };
  const vMembers = ranking.validators.map((a) => earning(a, true)).filter((c): c is CandidateRecord => c !== undefined);
  const bMembers = ranking.backups.map((a) => earning(a, false)).filter((c): c is CandidateRecord => c !== undefined);
  const member = (c: CandidateRecord): AwardMember => {
    const T = totalStake(c);
    return { T, V: votingPower(T, cap), pools: c.pools };
  };
  const vIn = vMembers.map(member);
  const bIn = bMembers.map(member);
  const Vv = vIn.reduce((s, m) => s + m.V, 0n);
  const Vb = bIn.reduce((s, m) => s + m.V, 0n);

  const supplyNow = k.supply.read();
  const fees = k.supply.takeFees();
  const dustIn = supplyNow.dust;
  // SPEC 5.1: the year's mint accrues with header time; a block without validators to award mints nothing.
  const { year, minted } = runMint(k.store.year(), ctx.timeMs ?? ctx.time * 1000n, totalSupply(supplyNow), params, Vv > 0n);
  k.store.putYear(year);
  if (minted > 0n) k.supply.mint(minted);
  const A = minted + fees + dustIn;
  let Av = A;
  let Ab = 0n;
  if (Vb > 0n) {
    Av = (A * BigInt(params.validators_award_ratio_bp)) / BP;
    Ab = A - Av;
  }
  const awards: AwardEntry[] = [];
  let distributed = 0n;
  const apply = (group: 'validator' | 'backup', amount: bigint, cs: CandidateRecord[], ins: AwardMember[]): void => {
    const { awards: out, distributed: d } = distributeGroup(amount, ins);
    distributed += d;
    cs.forEach((c, i) => {
      const r = out[i]!;
      let toPools = 0n;
      c.pools.forEach((p, j) => {
        const add = r.pools[j]!;
        p.tokens += add;
        toPools += add;
      });
      if (r.compensation > 0n) {
        // Every share of the self pool is the candidate's (its self-stake and its own waiting
        // requests), so compensation simply grows that pool; only without one is a stake opened.
        const selfPool = findPool(c, SELF_POOL);
        if (selfPool !== undefined && selfPool.shares > 0n) selfPool.tokens += r.compensation;
        else k.addStake(c, c.address, r.compensation, true);
      }
      c.awarded += toPools + r.compensation;
      cache.put(c);
      awards.push({
        candidate: c.address,
        group,
        votingPower: ins[i]!.V,
        delegatorsAward: toPools,
        compensation: r.compensation,
      });
    });
  };
  // Shares are computed from the pools before any of them grows: distributeGroup reads them first.
  apply('validator', Av, vMembers, vIn);
  apply('backup', Ab, bMembers, bIn);
  const dustOut = A - distributed;
  k.supply.setDust(dustOut);
  return { minted, fees, dustIn, dustOut, awards };
}
