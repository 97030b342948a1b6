/**
 * InitChain's staking part (SPEC 10): the genesis candidates, delegations and
 * enterprise accounts, checked as strictly as the operations check them, and
 * the first election. (genesis.ts parses the genesis JSON into a StakingGenesis.)
 */
import type { Address } from '../util/address.js';
import { desiredSet } from './election.js';
import { BP, CandidateCache, type StakingKeeper } from './keeper.js';
import { checkDescription } from './operations.js';
import { elect, sortSet, totalStake } from './power.js';
import type { StakingGenesis, ValidatorUpdate } from './types.js';

/**
 * Writes the genesis candidates, delegations and enterprise accounts
 * (SPEC 10) and returns the elected validator set. The supply is the
 * app's: it sets `Supply.genesis` to Σ balances + Σ self-stakes + Σ
 * delegations (`genesisStake(g)` gives the staked part). With no elected validator it returns [] (CometBFT's
 * own genesis validators stand); pass them as `cometValidators` so the first
 * real election can replace them.
 */
export function initGenesis(k: StakingKeeper, g: StakingGenesis, cometValidators: readonly ValidatorUpdate[] = []): ValidatorUpdate[] {
  const params = k.params();
  const cache = new CandidateCache(k.store);
  for (const gc of g.candidates) {
    const where = `genesis candidate ${gc.address}`;
    if (cache.get(gc.address) !== undefined) throw new Error(`${where}: declared twice`);
    // also refuses a key an earlier genesis candidate took (newCandidate records it)
    k.checkPubKey(gc.address, gc.pubKey, where);
    if (gc.maxStake <= 0n) throw new Error(`${where}: max_stake must be positive`);
    if (!Number.isInteger(gc.compRateBp) || gc.compRateBp < 0 || gc.compRateBp >= 10_000) {
      throw new Error(`${where}: comp_rate_bp must be 0…9999`);
    }
    if (gc.selfStake < 0n) throw new Error(`${where}: negative self_stake`);
    if (gc.selfStake * BP < gc.maxStake * BigInt(params.self_stake_ratio_bp)) {
      throw new Error(`${where}: self_stake must be at least ${params.self_stake_ratio_bp / 100}% of max_stake`);
    }
    try {
      checkDescription(gc.description);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    const c = k.newCandidate(gc.address, gc.pubKey, gc.maxStake, gc.compRateBp, gc.description, 0n);
    c.verified = gc.verified;
    if (gc.selfStake > 0n) k.addStake(c, gc.address, gc.selfStake);
    cache.put(c);
  }
  for (const gd of g.delegations) {
    const c = cache.get(gd.candidate);
    if (c === undefined) throw new Error(`genesis delegation of ${gd.delegator}: ${gd.candidate} is not a genesis candidate`);
    if (gd.amount <= 0n) throw new Error(`genesis delegation of ${gd.delegator} to ${gd.candidate}: amount must be positive`);
    k.addStake(c, gd.delegator, gd.amount);
  }
  for (const a of [...cache_addresses(g)]) {
    const c = cache.get(a)!;
    const T = totalStake(c);
    if (T > c.maxStake) throw new Error(`genesis candidate ${a}: total stake ${T} exceeds max_stake ${c.maxStake}`);
  }
  for (const e of g.enterpriseAccounts) k.store.setEnterprise(e, true);
  cache.flush();

  const all = k.loadAll();
  const ranking = elect(all, params.max_validators, params.backup_validators);
  k.store.putRanking(ranking);
  const desired = desiredSet(all, ranking.validators, params);
  if (desired.length === 0) {
    k.store.putLastSent(sortSet(cometValidators.filter((v) => v.power > 0n).map((v) => ({ ...v }))));
    return [];
  }
  k.store.putLastSent(desired);
  return desired.map((v) => ({ pubKey: v.pubKey, power: v.power }));
}

function cache_addresses(g: StakingGenesis): Address[] {
  return [...new Set(g.candidates.map((c) => c.address))].sort();
}
