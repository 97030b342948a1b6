/**
 * The staking operations (SPEC 6): what the system contract's functions do
 * to the ledger — declare, update, withdraw, (de)activate and verify a
 * candidacy, set an enterprise account, delegate, unstake, lower a
 * delegation's compensation rate.
 *
 * Each operation takes the call's value as already owned (the transaction
 * executor debited it from the sender, SPEC system-call protocol) and checks
 * everything before writing anything, so a refused call leaves the state
 * untouched even without a scratch overlay.
 */
import type { Address } from '../util/address.js';
import type { Params } from '../state/params.js';
import { BP, fail, findPool, poolOf, type StakingKeeper } from './keeper.js';
import { deposit, isWiped, redeem, shareValue, sharesForWithdrawal } from './pool.js';
import { verifyCandidacySignature } from './pop.js';
import { totalStake } from './power.js';
import { REQUEST_DELEGATION, REQUEST_WITHDRAWAL, SELF_POOL, type CandidateRecord, type DelegationRecord } from './store.js';
import { rateOf } from './award.js';
import { enqueue } from './unbonding.js';

/** What a staking operation knows about its call (a SystemCallContext fits). */
export interface OpContext {
  sender: Address;
  /** Wei sent with the call, already taken from the sender's balance. */
  value: bigint;
  height: bigint;
  time: bigint;
}

/** Longest accepted candidate description, bytes of UTF-8. */
export const MAX_DESCRIPTION_BYTES = 4096;
/** Description fields that, when present, must be strings (SPEC 6). */
export const DESCRIPTION_FIELDS = ['name', 'website', 'location', 'email', 'jurisdiction', 'data_centre', 'security', 'technical_setup'] as const;

/** Checks a candidate description: a JSON object whose known fields are strings. */
export function checkDescription(description: string): void {
  if (Buffer.byteLength(description, 'utf8') > MAX_DESCRIPTION_BYTES) {
    fail('bad_description', `description is longer than ${MAX_DESCRIPTION_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(description);
  } catch {
    fail('bad_description', 'description must be a JSON object (name, website, location, email, …)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail('bad_description', 'description must be a JSON object (name, website, location, email, …)');
  }
  for (const field of DESCRIPTION_FIELDS) {
    const v = (parsed as Record<string, unknown>)[field];
    if (v !== undefined && typeof v !== 'string') fail('bad_description', `description field '${field}' must be a string`);
  }
}

/**
 * The principal an unstake of `shares` of `d` takes with it: the same
 * fraction of the principal as of the shares, rounded down (so all of it
 * with the last shares, and never more than there is).
 */
function releasedPrincipal(d: DelegationRecord, shares: bigint): bigint {
  return (d.principal * shares) / d.shares;
}

/** Records the CometBFT chain id (InitChain's) that candidacy proofs sign (SPEC 6). */
export function setChainId(k: StakingKeeper, chainId: string): void {
  if (chainId === '') throw new Error('the CometBFT chain id is empty');
  k.store.setChainId(chainId);
}

export function declareCandidacy(
  k: StakingKeeper,
  ctx: OpContext,
  pubKey: Uint8Array,
  pubKeySignature: Uint8Array,
  maxStake: bigint,
  compRateBp: number,
  description: string,
): { selfStake: bigint } {
  const params = k.params();
  const existing = k.store.getCandidate(ctx.sender);
  if (existing !== undefined) {
    if (existing.state === 'withdrawn') {
      fail('old_candidacy_waiting', 'the withdrawn candidacy still has stake waiting; declare again once it is paid out');
    }
    fail('already_candidate', `${ctx.sender} is already a candidate`);
  }
  checkPubKeyOp(k, ctx.sender, pubKey);
  const chainId = k.store.chainId();
  if (chainId === undefined) fail('no_chain_id', 'this state has no CometBFT chain id recorded (InitChain stores it)');
  if (!verifyCandidacySignature(pubKey, pubKeySignature, chainId, ctx.sender)) {
    fail(
      'bad_pubkey_signature',
      `pubKeySignature is not the consensus key's ed25519 signature of 'cmtd-candidacy:${chainId}:${ctx.sender}' (64 bytes): sign it with the node's priv_validator_key.json (cmtd tx declare does)`,
    );
  }
  if (maxStake <= 0n) fail('bad_max_stake', 'maxStake must be positive');
  checkRate(compRateBp);
  checkDescription(description);
  if (ctx.value * BP < maxStake * BigInt(params.self_stake_ratio_bp)) {
    fail('self_stake_too_low', `self-stake ${ctx.value} is below ${params.self_stake_ratio_bp / 100}% of maxStake ${maxStake}`);
  }
  if (ctx.value > maxStake) fail('above_max_stake', `self-stake ${ctx.value} exceeds maxStake ${maxStake}`);
  const c = k.newCandidate(ctx.sender, pubKey, maxStake, compRateBp, description, ctx.height);
  if (ctx.value > 0n) k.addStake(c, ctx.sender, ctx.value);
  k.store.putCandidate(c);
  return { selfStake: ctx.value };
}

export function updateCandidacy(k: StakingKeeper, ctx: OpContext, maxStake: bigint, compRateBp: number, description: string): { verifiedCleared: boolean } {
  const params = k.params();
  const c = standingCandidate(k, ctx.sender);
  if (maxStake <= 0n) fail('bad_max_stake', 'maxStake must be positive');
  checkRate(compRateBp);
  const changedDescription = description !== '' && description !== c.description;
  if (changedDescription) checkDescription(description);
  // T_i ≤ new max binds only when maxStake is lowered, or when the call adds stake (like a
  // delegation): awards alone may have pushed T_i past an unchanged or raised max.
  const T = totalStake(c) + ctx.value;
  if ((maxStake < c.maxStake || ctx.value > 0n) && T > maxStake) {
    fail('above_max_stake', `total stake ${T} would exceed maxStake ${maxStake}`);
  }
  if (maxStake > c.maxStake) {
    const self = k.selfStake(c) + ctx.value;
    if (self * BP < maxStake * BigInt(params.self_stake_ratio_bp)) {
      fail('self_stake_too_low', `raising maxStake to ${maxStake} needs a self-stake of ${params.self_stake_ratio_bp / 100}% (have ${self})`);
    }
  }
  checkDepositPool(c, SELF_POOL, ctx.value);
  if (ctx.value > 0n) k.addStake(c, ctx.sender, ctx.value);
  c.maxStake = maxStake;
  c.compRateBp = compRateBp;
  const verifiedCleared = changedDescription && c.verified;
  if (changedDescription) {
    c.description = description;
    c.verified = false;
  }
  k.store.putCandidate(c);
  return { verifiedCleared };
}

export function withdrawCandidacy(k: StakingKeeper, ctx: OpContext): { matureTime: bigint; amount: bigint } {
  noValue(ctx);
  const params = k.params();
  const c = standingCandidate(k, ctx.sender);
  const matureTime = ctx.time + params.unstake_waiting_period_s;
  c.state = 'withdrawn';
  c.missed = 0;
  c.withdrawMatureTime = matureTime;
  let amount = 0n;
  for (const p of c.pools) {
    p.waitingShares = p.shares;
    amount += p.tokens;
  }
  enqueue(
    k,
    {
      id: 0n,
      kind: REQUEST_WITHDRAWAL,
      delegator: '',
      candidate: c.address,
      pool: 0,
      shares: 0n,
      matureTime,
      height: ctx.height,
      next: 0n,
    },
    params.unstake_waiting_period_s,
  );
  k.store.putCandidate(c);
  return { matureTime, amount };
}

export function deactivateCandidacy(k: StakingKeeper, ctx: OpContext): void {
  noValue(ctx);
  const c = standingCandidate(k, ctx.sender);
  if (c.state !== 'active') fail('not_active', `candidacy is ${c.state}, not active`);
  c.state = 'deactivated';
  k.store.putCandidate(c);
}

export function activateCandidacy(k: StakingKeeper, ctx: OpContext): void {
  noValue(ctx);
  const c = standingCandidate(k, ctx.sender);
  if (c.state === 'active') fail('already_active', 'candidacy is already active');
  c.state = 'active';
  c.missed = 0;
  c.penalized = false;
  k.store.putCandidate(c);
}

export function verifyCandidacy(k: StakingKeeper, ctx: OpContext, candidate: Address, verified: boolean): void {
  noValue(ctx);
  onlyFoundation(k, ctx);
  const c = k.store.getCandidate(candidate);
  if (c === undefined) fail('not_candidate', `${candidate} is not a candidate`);
  c.verified = verified;
  k.store.putCandidate(c);
}

export function setEnterprise(k: StakingKeeper, ctx: OpContext, account: Address, enterprise: boolean): void {
  noValue(ctx);
  onlyFoundation(k, ctx);
  k.store.setEnterprise(account, enterprise);
}

export function delegate(k: StakingKeeper, ctx: OpContext, candidate: Address): { shares: bigint; compRateBp: number } {
  const params = k.params();
  if (ctx.value <= 0n) fail('zero_value', 'delegate needs a positive value');
  const c = k.store.getCandidate(candidate);
  if (c === undefined) fail('not_candidate', `${candidate} is not a candidate`);
  if (c.state === 'withdrawn') fail('candidate_withdrawn', `${candidate} has withdrawn its candidacy`);
  const T = totalStake(c);
  if (T + ctx.value > c.maxStake) {
    fail('above_max_stake', `candidate's stake ${T} + ${ctx.value} would exceed its maxStake ${c.maxStake}`);
  }
  const self = ctx.sender === candidate;
  if (!self && params.stake_limits_enabled) {
    const total = delegatorTotal(k, ctx.sender, c) + ctx.value;
    checkLimits(k, ctx.sender, total, params, false);
  }
  const existing = k.store.getDelegation(candidate, ctx.sender);
  const poolId = self ? SELF_POOL : (existing?.pool ?? c.compRateBp);
  checkDepositPool(c, poolId, ctx.value);
  const shares = k.addStake(c, ctx.sender, ctx.value);
  k.store.putCandidate(c);
  return { shares, compRateBp: Number(rateOf(poolId)) };
}

export function unstake(k: StakingKeeper, ctx: OpContext, candidate: Address, amount: bigint): { id: bigint; amount: bigint; shares: bigint; matureTime: bigint } {
  noValue(ctx);
  const params = k.params();
  const c = k.store.getCandidate(candidate);
  if (c === undefined) fail('not_candidate', `${candidate} is not a candidate`);
  const d = k.store.getDelegation(candidate, ctx.sender);
  if (d === undefined || d.shares === 0n) fail('no_delegation', `${ctx.sender} has no stake at ${candidate}`);
  if (c.state === 'withdrawn') {
    fail('candidate_withdrawn', 'the candidacy was withdrawn: all of its stake is already waiting to be paid out');
  }
  const pool = findPool(c, d.pool)!;
  const value = shareValue(pool, d.shares);
  const wanted = amount === 0n ? value : amount;
  if (wanted > value) fail('amount_exceeds_stake', `unstake of ${wanted} exceeds the stake ${value}`);
  const self = ctx.sender === candidate;
  if (self) {
    const remaining = value - wanted;
    if (remaining * BP < c.maxStake * BigInt(params.self_stake_ratio_bp)) {
      fail('self_stake_floor', `a candidate must keep ${params.self_stake_ratio_bp / 100}% of maxStake as self-stake (withdraw the candidacy to leave)`);
    }
  } else if (params.stake_limits_enabled) {
    const remaining = delegatorTotal(k, ctx.sender, c) - wanted;
    if (remaining > 0n) checkLimits(k, ctx.sender, remaining, params, true);
  }
  const shares = wanted === value ? d.shares : sharesForWithdrawal(pool, wanted, d.shares);
  const worth = shareValue(pool, shares);
  pool.waitingShares += shares;
  d.principal -= releasedPrincipal(d, shares);
  d.shares -= shares;
  if (d.shares === 0n) k.unlinkDelegation(c, ctx.sender, d);
  else k.store.putDelegation(candidate, ctx.sender, d);
  const matureTime = ctx.time + params.unstake_waiting_period_s;
  const id = enqueue(
    k,
    {
      id: 0n,
      kind: REQUEST_DELEGATION,
      delegator: ctx.sender,
      candidate,
      pool: d.pool,
      shares,
      matureTime,
      height: ctx.height,
      next: 0n,
    },
    params.unstake_waiting_period_s,
  );
  c.pendingRequests += 1n;
  const ids = k.store.delegatorRequests(ctx.sender);
  ids.push(id);
  k.store.setDelegatorRequests(ctx.sender, ids);
  k.store.putCandidate(c);
  return { id, amount: worth, shares, matureTime };
}

export function setCompRate(k: StakingKeeper, ctx: OpContext, delegator: Address, compRateBp: number): { amount: bigint } {
  noValue(ctx);
  const c = standingCandidate(k, ctx.sender);
  if (delegator === ctx.sender) fail('self_delegation', "a candidate's own stake pays no compensation");
  checkRate(compRateBp);
  const d = k.store.getDelegation(ctx.sender, delegator);
  if (d === undefined) fail('no_delegation', `${delegator} has no stake at ${ctx.sender}`);
  // SPEC 5.4: a delegation's rate never rises, whatever the candidate's default is now.
  if (compRateBp > d.pool) {
    fail('rate_above_current', `rate ${compRateBp} bp is above this delegation's current rate ${d.pool} bp; a rate can only be lowered`);
  }
  const from = findPool(c, d.pool)!;
  const value = shareValue(from, d.shares);
  if (d.pool === compRateBp) return { amount: value };
  const to = findPool(c, compRateBp);
  if (to !== undefined && isWiped(to)) fail('pool_wiped', 'the target pool was slashed to zero; no new stake can join it');
  const moved = redeem(from, d.shares);
  d.pool = compRateBp;
  d.shares = deposit(poolOf(c, compRateBp), moved);
  // Out of a pool slashed to nothing the delegation gets no shares: like an unstake of all of
  // it, it ends (a record without shares would name a pool dropped as empty, which payWithdrawal reads).
  if (d.shares === 0n) k.unlinkDelegation(c, delegator, d);
  else k.store.putDelegation(ctx.sender, delegator, d);
  k.store.putCandidate(c);
  return { amount: moved };
}

function checkPubKeyOp(k: StakingKeeper, owner: Address, pubKey: Uint8Array): void {
  try {
    k.checkPubKey(owner, pubKey, 'pubKey');
  } catch (e) {
    fail((e as Error).message.includes('already used') ? 'pubkey_in_use' : 'bad_pubkey', (e as Error).message);
  }
}

function checkRate(rate: number): void {
  if (!Number.isInteger(rate) || rate < 0 || rate >= 10_000) {
    fail('bad_comp_rate', `compensation rate must be 0…9999 bp, got ${rate}`);
  }
}

function noValue(ctx: OpContext): void {
  if (ctx.value !== 0n) fail('not_payable', 'this function does not accept a value');
}

function onlyFoundation(k: StakingKeeper, ctx: OpContext): void {
  const foundation = k.params().foundation_address;
  if (foundation === '') fail('no_foundation', 'no foundation address is configured');
  if (ctx.sender !== foundation) fail('not_foundation', 'only the foundation address may do this');
}

/** The sender's candidacy, which must exist and not be withdrawn. */
function standingCandidate(k: StakingKeeper, a: Address): CandidateRecord {
  const c = k.store.getCandidate(a);
  if (c === undefined) fail('not_candidate', `${a} is not a candidate`);
  if (c.state === 'withdrawn') fail('candidate_withdrawn', 'the candidacy was withdrawn');
  return c;
}

function checkDepositPool(c: CandidateRecord, poolId: number, amount: bigint): void {
  if (amount === 0n) return;
  const p = findPool(c, poolId);
  if (p !== undefined && isWiped(p)) fail('pool_wiped', 'this stake pool was slashed to zero; no new stake can join it');
}

/**
 * Total stake of a regular address for the stake limits: its delegations
 * (not its stake in its own candidacy, not stake already waiting). `known`
 * is a candidate record the caller holds (fresher than the store).
 */
function delegatorTotal(k: StakingKeeper, delegator: Address, known: CandidateRecord): bigint {
  let total = 0n;
  for (const a of k.store.delegatorCandidates(delegator)) {
    if (a === delegator) continue;
    const c = a === known.address ? known : k.store.getCandidate(a);
    if (c === undefined || c.state === 'withdrawn') continue;
    const d = k.store.getDelegation(a, delegator);
    const p = d === undefined ? undefined : findPool(c, d.pool);
    if (d !== undefined && p !== undefined) total += shareValue(p, d.shares);
  }
  return total;
}

function checkLimits(k: StakingKeeper, delegator: Address, total: bigint, params: Params, leaving: boolean): void {
  const what = leaving ? 'remaining stake' : 'total stake';
  if (k.store.isEnterprise(delegator)) {
    if (total < params.enterprise_min_stake) {
      fail('below_min_stake', `an enterprise address's ${what} must be at least ${params.enterprise_min_stake} (would be ${total})`);
    }
    return;
  }
  if (total < params.address_min_stake) {
    fail('below_min_stake', `an address's ${what} must be 0 or at least ${params.address_min_stake} (would be ${total})`);
  }
  if (!leaving && total > params.address_max_stake) {
    fail('above_address_max_stake', `an address's total stake may not exceed ${params.address_max_stake} (would be ${total})`);
  }
}
