/**
 * Election (SPEC 4): the ranking of candidates into validators and backups,
 * the 12% voting-power cap of the validators, and the consensus set sent to
 * CometBFT (only its changes, against the set last sent).
 */
import type { Address } from '../util/address.js';
import type { Params } from '../state/params.js';
import type { StakingKeeper } from './keeper.js';
import { boundTotalPower, consensusPower, diffSets, elect, powerCap, sortSet, totalStake, votingPower } from './power.js';
import type { CandidateRecord, Ranking, SentValidator } from './store.js';
import type { ValidatorUpdate } from './types.js';

/** The consensus set the ranking asks for: validators with power ≥ 1, bounded, sorted by key. */
export function desiredSet(all: readonly CandidateRecord[], validators: readonly Address[], params: Params): SentValidator[] {
  const byAddr = new Map(all.map((c) => [c.address, c]));
  const cap = capOf(validators, (a) => byAddr.get(a), params);
  const set: SentValidator[] = [];
  for (const a of validators) {
    const c = byAddr.get(a)!;
    const power = consensusPower(votingPower(totalStake(c), cap));
    if (power > 0n) set.push({ pubKey: c.pubKey, power });
  }
  return sortSet(boundTotalPower(set));
}

/**
 * The 12% cap of this ranking's validators (SPEC 4.1, 4.2): S sums the T_i
 * of those still active; undefined when too few hold stake for a cap.
 */
export function capOf(validators: readonly Address[], get: (a: Address) => CandidateRecord | undefined, params: Params): bigint | undefined {
  const stakes: bigint[] = [];
  for (const a of validators) {
    const c = get(a);
    if (c !== undefined && c.state === 'active') stakes.push(totalStake(c));
  }
  return powerCap(stakes, params.validator_size_threshold_bp);
}

/**
 * Ranks `all` again (the ranking is written only when it changed) and returns
 * the validator updates for CometBFT: the changes of the desired set against
 * the set last sent (none while no candidate is elected: CometBFT's genesis
 * validators stand).
 */
export function electValidators(k: StakingKeeper, all: readonly CandidateRecord[], ranking: Ranking, params: Params): ValidatorUpdate[] {
  const next = elect(all, params.max_validators, params.backup_validators);
  const same = (a: readonly Address[], b: readonly Address[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(next.validators, ranking.validators) || !same(next.backups, ranking.backups)) k.store.putRanking(next);
  const desired = desiredSet(all, next.validators, params);
  let updates: ValidatorUpdate[] = [];
  if (desired.length > 0) {
    const last = k.store.lastSent();
    updates = diffSets(last, desired);
    if (updates.length > 0) k.store.putLastSent(desired);
  }
  return updates;
}
