/**
 * Slashing (SPEC 7), the start of every block: validators absent from the
 * last commit are slashed and recorded (they earn nothing this block);
 * misbehaviour evidence slashes max_slash_blocks × slash_ratio once and
 * removes the validator.
 */
import type { Address } from '../util/address.js';
import { CandidateCache, type StakingKeeper } from './keeper.js';
import { slashPool } from './pool.js';
import type { CandidateRecord } from './store.js';
import type { BeginBlockResult, BlockContext, Evidence, LastCommitVote, SlashInfo } from './types.js';

/**
 * Start of a block: absent validators of the last commit are slashed
 * (SPEC 7) and recorded so they earn nothing this block; misbehaviour
 * evidence slashes 1.2% once and removes the validator (later evidence
 * against it, until it is re-activated, is recorded with nothing slashed).
 */
export function beginBlock(k: StakingKeeper, ctx: BlockContext, votes: readonly LastCommitVote[], evidence: readonly Evidence[]): BeginBlockResult {
  const params = k.params();
  const cache = new CandidateCache(k.store);
  const absent: Address[] = [];
  const slashes: SlashInfo[] = [];
  const removed: Address[] = [];
  const seen = new Set<Address>();
  for (const vote of votes) {
    const a = k.store.consensusOwner(vote.validatorAddress);
    if (a === undefined || seen.has(a)) continue;
    seen.add(a);
    const c = cache.get(a);
    if (c === undefined) continue;
    if (!vote.absent) {
      if (c.missed !== 0) {
        c.missed = 0;
        cache.put(c);
      }
      continue;
    }
    if (c.state !== 'active') continue;
    absent.push(a);
    if (!params.slash_enabled) continue;
    const amount = slash(k, c, BigInt(params.slash_ratio_bp));
    slashes.push({ candidate: a, amount, reason: 'absent' });
    c.missed += 1;
    if (c.missed >= params.max_slash_blocks) {
      c.state = 'removed';
      c.penalized = true;
      removed.push(a);
    }
    cache.put(c);
  }
  if (params.slash_enabled) {
    const bp = BigInt(Math.min(10_000, params.slash_ratio_bp * params.max_slash_blocks));
    for (const ev of evidence) {
      const a = k.store.consensusOwner(ev.validatorAddress);
      if (a === undefined) continue;
      const c = cache.get(a);
      if (c === undefined) continue;
      // One incident costs at most 1.2%: evidence against a candidate already
      // removed (and not re-activated) is recorded with nothing slashed.
      const amount = c.penalized ? 0n : slash(k, c, bp);
      slashes.push({ candidate: a, amount, reason: 'byzantine' });
      if (c.penalized) continue;
      c.penalized = true;
      if (c.state === 'active' || c.state === 'deactivated') {
        c.state = 'removed';
        if (!removed.includes(a)) removed.push(a);
      }
      cache.put(c);
    }
  }
  cache.flush();
  k.store.putBlock({ height: ctx.height, absent: absent.sort(), slashes });
  return { slashes, removed };
}

/** Burns `bp` of every pool of the candidate (waiting requests included). */
function slash(k: StakingKeeper, c: CandidateRecord, bp: bigint): bigint {
  let amount = 0n;
  for (const p of c.pools) amount += slashPool(p, bp);
  if (amount > 0n) k.supply.burn(amount);
  c.slashed += amount;
  return amount;
}
