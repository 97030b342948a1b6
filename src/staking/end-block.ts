/**
 * The end of every block: the award phase (awarding.ts), then the matured
 * unstake requests (unbonding.ts), then the election (election.ts), in that
 * order; the block's award record is kept for queries.
 */
import type { StakingKeeper } from './keeper.js';
import { CandidateCache } from './keeper.js';
import { distributeAwards } from './awarding.js';
import { electValidators } from './election.js';
import { payMatured } from './unbonding.js';
import type { BlockAwards, BlockContext, EndBlockResult } from './types.js';

/**
 * End of a block: the block award (mint + fees + dust) is shared out and
 * compounded, matured unstake requests are paid, candidates are ranked
 * again and the changes against the set last sent to CometBFT returned.
 */
export function endBlock(k: StakingKeeper, ctx: BlockContext): EndBlockResult {
  const params = k.params();
  const cache = new CandidateCache(k.store);
  const block = k.store.block();
  const absentList = block !== undefined && block.height === ctx.height ? block.absent : [];
  const absent = new Set(absentList);
  const slashes = block !== undefined && block.height === ctx.height ? block.slashes : [];

  // ---- award (SPEC 5)
  const ranking = k.store.ranking();
  const { minted, fees, dustIn, dustOut, awards } = distributeAwards(k, ctx, cache, ranking, absent, params);

  // ---- matured unstake requests (SPEC 6)
  const paidOut = payMatured(k, ctx, cache);

  // ---- ranking, election and validator updates (SPEC 4)
  cache.flush();
  const all = k.store.candidateList().map((a) => cache.get(a)!);
  const updates = electValidators(k, all, ranking, params);
  const record: BlockAwards = { height: ctx.height, minted, fees, dustIn, dustOut, awards, slashes, absent: absentList };
  k.store.putAwards(record);
  return { updates, awards: record, paidOut };
}
