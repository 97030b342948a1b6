/**
 * The DPoS staking ledger (SPEC 3–7, 10): candidates, share pools, voting
 * power, election, awards, slashing and unbonding, over the state `KV`.
 *
 * Per-block work (`beginBlock`, `endBlock`) reads and writes one record per
 * candidate (its pools are inline), plus one record per matured unstake
 * request: O(candidates × distinct rates + matured requests), independent of
 * the number of delegations.
 *
 * Staking operations take the call's value as already owned (the transaction
 * executor debited it from the sender, SPEC system-call protocol). They check
 * everything before writing anything, so a refused call leaves the state
 * untouched even without a scratch overlay.
 */
import type { KV } from '../store/kv.js';
import { Accounts, type Bank } from '../state/accounts.js';
import type { Address } from '../util/address.js';
import { loadParams, type Params } from '../state/params.js';
import { Supply, totalSupply } from '../state/supply.js';
import { distributeGroup, rateOf, type AwardMember } from './award.js';
import { runMint } from './inflation.js';
import { verifyCandidacySignature } from './pop.js';
import { deposit, isWiped, redeem, shareValue, sharesForWithdrawal, slashPool } from './pool.js';
import {
  boundTotalPower,
  cometAddress,
  consensusPower,
  diffSets,
  elect,
  powerCap,
  sortSet,
  totalStake,
  votingPower,
} from './power.js';
import {
  REQUEST_DELEGATION,
  REQUEST_WITHDRAWAL,
  SELF_POOL,
  StakingStore,
  type CandidateRecord,
  type DelegationRecord,
  type Pool,
  type Queue,
  type RequestRecord,
  type SentValidator,
} from './store.js';
import {
  StakingError,
  type AwardEntry,
  type BeginBlockResult,
  type BlockAwards,
  type BlockContext,
  type CandidateInfo,
  type DelegationInfo,
  type EndBlockResult,
  type Evidence,
  type LastCommitVote,
  type SlashInfo,
  type StakingGenesis,
  type StakingTotals,
  type UnstakeRequestInfo,
  type ValidatorInfo,
  type ValidatorUpdate,
} from './types.js';

/** What a staking operation knows about its call (a SystemCallContext fits). */
export interface OpContext {
  sender: Address;
  /** Wei sent with the call, already taken from the sender's balance. */
  value: bigint;
  height: bigint;
  time: bigint;
}

export interface StakingDeps {
  /** Balance access (default: `Accounts` over the same kv). */
  bank?: Bank;
  /** Supply bookkeeping (default: `Supply` over the same kv). */
  supply?: Supply;
  /** Params source (default: `loadParams(kv)` at each call). */
  params?: () => Params;
}

/** Longest accepted candidate description, bytes of UTF-8. */
export const MAX_DESCRIPTION_BYTES = 4096;
/** Description fields that, when present, must be strings (SPEC 6). */
export const DESCRIPTION_FIELDS = [
  'name',
  'website',
  'location',
  'email',
  'jurisdiction',
  'data_centre',
  'security',
  'technical_setup',
] as const;

const BP = 10_000n;

function fail(reason: string, message: string): never {
  throw new StakingError(reason, message);
}

function hexOf(b: Uint8Array): string {
  return `0x${Buffer.from(b).toString('hex')}`;
}

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

function findPool(c: CandidateRecord, id: number): Pool | undefined {
  return c.pools.find((p) => p.id === id);
}

function poolOf(c: CandidateRecord, id: number): Pool {
  let p = findPool(c, id);
  if (p === undefined) {
    p = { id, tokens: 0n, shares: 0n, waitingShares: 0n };
    c.pools.push(p);
    c.pools.sort((a, b) => a.id - b.id);
  }
  return p;
}

function dropEmptyPools(c: CandidateRecord): void {
  c.pools = c.pools.filter((p) => p.shares > 0n || p.tokens > 0n);
}

function poolWaiting(p: Pool): bigint {
  return shareValue(p, p.waitingShares);
}

/** Per-operation cache of candidate records; written back (sorted) by `flush`. */
class CandidateCache {
  private readonly loaded = new Map<Address, CandidateRecord | undefined>();
  private readonly dirty = new Set<Address>();
  private readonly removed = new Set<Address>();

  constructor(private readonly store: StakingStore) {}

  get(a: Address): CandidateRecord | undefined {
    if (!this.loaded.has(a)) this.loaded.set(a, this.store.getCandidate(a));
    return this.loaded.get(a);
  }
  put(c: CandidateRecord): void {
    this.loaded.set(c.address, c);
    this.dirty.add(c.address);
    this.removed.delete(c.address);
  }
  remove(a: Address): void {
    this.loaded.set(a, undefined);
    this.dirty.delete(a);
    this.removed.add(a);
  }
  flush(): void {
    for (const a of [...this.removed].sort()) this.store.deleteCandidate(a);
    for (const a of [...this.dirty].sort()) {
      const c = this.loaded.get(a);
      if (c !== undefined) {
        dropEmptyPools(c);
        this.store.putCandidate(c);
      }
    }
    this.dirty.clear();
    this.removed.clear();
  }
}

export class StakingLedger {
  readonly store: StakingStore;
  private readonly bank: Bank;
  private readonly supply: Supply;
  private readonly paramsSource: () => Params;

  constructor(
    readonly kv: KV,
    deps: StakingDeps = {},
  ) {
    this.store = new StakingStore(kv);
    this.bank = deps.bank ?? new Accounts(kv);
    this.supply = deps.supply ?? new Supply(kv);
    this.paramsSource = deps.params ?? (() => loadParams(kv));
  }

  params(): Params {
    return this.paramsSource();
  }

  // ================================================================ genesis

  /**
   * Writes the genesis candidates, delegations and enterprise accounts
   * (SPEC 10) and returns the elected validator set. The supply is the
   * app's: it sets `Supply.genesis` to Σ balances + Σ self-stakes + Σ
   * delegations (`genesisStake(g)` gives the staked part). With no elected validator it returns [] (CometBFT's
   * own genesis validators stand); pass them as `cometValidators` so the first
   * real election can replace them.
   */
  initGenesis(g: StakingGenesis, cometValidators: readonly ValidatorUpdate[] = []): ValidatorUpdate[] {
    const params = this.params();
    const cache = new CandidateCache(this.store);
    const seen = new Set<string>();
    for (const gc of g.candidates) {
      const where = `genesis candidate ${gc.address}`;
      if (cache.get(gc.address) !== undefined) throw new Error(`${where}: declared twice`);
      this.checkPubKey(gc.address, gc.pubKey, where);
      const pk = Buffer.from(gc.pubKey).toString('hex');
      if (seen.has(pk)) throw new Error(`${where}: pub_key used by another genesis candidate`);
      seen.add(pk);
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
      const c = this.newCandidate(gc.address, gc.pubKey, gc.maxStake, gc.compRateBp, gc.description, 0n);
      c.verified = gc.verified;
      if (gc.selfStake > 0n) this.addStake(c, gc.address, gc.selfStake);
      cache.put(c);
    }
    for (const gd of g.delegations) {
      const c = cache.get(gd.candidate);
      if (c === undefined) throw new Error(`genesis delegation of ${gd.delegator}: ${gd.candidate} is not a genesis candidate`);
      if (gd.amount <= 0n) throw new Error(`genesis delegation of ${gd.delegator} to ${gd.candidate}: amount must be positive`);
      this.addStake(c, gd.delegator, gd.amount);
    }
    for (const a of [...cache_addresses(g)]) {
      const c = cache.get(a)!;
      const T = totalStake(c);
      if (T > c.maxStake) throw new Error(`genesis candidate ${a}: total stake ${T} exceeds max_stake ${c.maxStake}`);
    }
    for (const e of g.enterpriseAccounts) this.store.setEnterprise(e, true);
    cache.flush();

    const all = this.loadAll();
    const ranking = elect(all, params.max_validators, params.backup_validators);
    this.store.putRanking(ranking);
    const desired = this.desiredSet(all, ranking.validators, params);
    if (desired.length === 0) {
      this.store.putLastSent(sortSet(cometValidators.filter((v) => v.power > 0n).map((v) => ({ ...v }))));
      return [];
    }
    this.store.putLastSent(desired);
    return desired.map((v) => ({ pubKey: v.pubKey, power: v.power }));
  }

  // ============================================================ operations

  /** The CometBFT chain id that candidacy proofs sign, recorded at InitChain. */
  chainId(): string | undefined {
    return this.store.chainId();
  }

  /** Records the CometBFT chain id (InitChain's) that candidacy proofs sign (SPEC 6). */
  setChainId(chainId: string): void {
    if (chainId === '') throw new Error('the CometBFT chain id is empty');
    this.store.setChainId(chainId);
  }

  declareCandidacy(
    ctx: OpContext,
    pubKey: Uint8Array,
    pubKeySignature: Uint8Array,
    maxStake: bigint,
    compRateBp: number,
    description: string,
  ): { selfStake: bigint } {
    const params = this.params();
    const existing = this.store.getCandidate(ctx.sender);
    if (existing !== undefined) {
      if (existing.state === 'withdrawn') {
        fail('old_candidacy_waiting', 'the withdrawn candidacy still has stake waiting; declare again once it is paid out');
      }
      fail('already_candidate', `${ctx.sender} is already a candidate`);
    }
    this.checkPubKeyOp(ctx.sender, pubKey);
    const chainId = this.store.chainId();
    if (chainId === undefined) fail('no_chain_id', 'this state has no CometBFT chain id recorded (InitChain stores it)');
    if (!verifyCandidacySignature(pubKey, pubKeySignature, chainId, ctx.sender)) {
      fail(
        'bad_pubkey_signature',
        `pubKeySignature is not the consensus key's ed25519 signature of 'cmtd-candidacy:${chainId}:${ctx.sender}' (64 bytes): sign it with the node's priv_validator_key.json (cmtd tx declare does)`,
      );
    }
    if (maxStake <= 0n) fail('bad_max_stake', 'maxStake must be positive');
    this.checkRate(compRateBp);
    checkDescription(description);
    if (ctx.value * BP < maxStake * BigInt(params.self_stake_ratio_bp)) {
      fail(
        'self_stake_too_low',
        `self-stake ${ctx.value} is below ${params.self_stake_ratio_bp / 100}% of maxStake ${maxStake}`,
      );
    }
    if (ctx.value > maxStake) fail('above_max_stake', `self-stake ${ctx.value} exceeds maxStake ${maxStake}`);
    const c = this.newCandidate(ctx.sender, pubKey, maxStake, compRateBp, description, ctx.height);
    if (ctx.value > 0n) this.addStake(c, ctx.sender, ctx.value);
    this.store.putCandidate(c);
    return { selfStake: ctx.value };
  }

  updateCandidacy(
    ctx: OpContext,
    maxStake: bigint,
    compRateBp: number,
    description: string,
  ): { verifiedCleared: boolean } {
    const params = this.params();
    const c = this.standingCandidate(ctx.sender);
    if (maxStake <= 0n) fail('bad_max_stake', 'maxStake must be positive');
    this.checkRate(compRateBp);
    const changedDescription = description !== '' && description !== c.description;
    if (changedDescription) checkDescription(description);
    // T_i ≤ new max binds only when maxStake is lowered, or when the call adds stake (like a
    // delegation): awards alone may have pushed T_i past an unchanged or raised max.
    const T = totalStake(c) + ctx.value;
    if ((maxStake < c.maxStake || ctx.value > 0n) && T > maxStake) {
      fail('above_max_stake', `total stake ${T} would exceed maxStake ${maxStake}`);
    }
    if (maxStake > c.maxStake) {
      const self = this.selfStake(c) + ctx.value;
      if (self * BP < maxStake * BigInt(params.self_stake_ratio_bp)) {
        fail(
          'self_stake_too_low',
          `raising maxStake to ${maxStake} needs a self-stake of ${params.self_stake_ratio_bp / 100}% (have ${self})`,
        );
      }
    }
    this.checkDepositPool(c, SELF_POOL, ctx.value);
    if (ctx.value > 0n) this.addStake(c, ctx.sender, ctx.value);
    c.maxStake = maxStake;
    c.compRateBp = compRateBp;
    const verifiedCleared = changedDescription && c.verified;
    if (changedDescription) {
      c.description = description;
      c.verified = false;
    }
    this.store.putCandidate(c);
    return { verifiedCleared };
  }

  withdrawCandidacy(ctx: OpContext): { matureTime: bigint; amount: bigint } {
    this.noValue(ctx);
    const params = this.params();
    const c = this.standingCandidate(ctx.sender);
    const matureTime = ctx.time + params.unstake_waiting_period_s;
    c.state = 'withdrawn';
    c.missed = 0;
    c.withdrawMatureTime = matureTime;
    let amount = 0n;
    for (const p of c.pools) {
      p.waitingShares = p.shares;
      amount += p.tokens;
    }
    this.enqueue({
      id: 0n,
      kind: REQUEST_WITHDRAWAL,
      delegator: '',
      candidate: c.address,
      pool: 0,
      shares: 0n,
      matureTime,
      height: ctx.height,
      next: 0n,
    }, params.unstake_waiting_period_s);
    this.store.putCandidate(c);
    return { matureTime, amount };
  }

  deactivateCandidacy(ctx: OpContext): void {
    this.noValue(ctx);
    const c = this.standingCandidate(ctx.sender);
    if (c.state !== 'active') fail('not_active', `candidacy is ${c.state}, not active`);
    c.state = 'deactivated';
    this.store.putCandidate(c);
  }

  activateCandidacy(ctx: OpContext): void {
    this.noValue(ctx);
    const c = this.standingCandidate(ctx.sender);
    if (c.state === 'active') fail('already_active', 'candidacy is already active');
    c.state = 'active';
    c.missed = 0;
    c.penalized = false;
    this.store.putCandidate(c);
  }

  verifyCandidacy(ctx: OpContext, candidate: Address, verified: boolean): void {
    this.noValue(ctx);
    this.onlyFoundation(ctx);
    const c = this.store.getCandidate(candidate);
    if (c === undefined) fail('not_candidate', `${candidate} is not a candidate`);
    c.verified = verified;
    this.store.putCandidate(c);
  }

  setEnterprise(ctx: OpContext, account: Address, enterprise: boolean): void {
    this.noValue(ctx);
    this.onlyFoundation(ctx);
    this.store.setEnterprise(account, enterprise);
  }

  delegate(ctx: OpContext, candidate: Address): { shares: bigint; compRateBp: number } {
    const params = this.params();
    if (ctx.value <= 0n) fail('zero_value', 'delegate needs a positive value');
    const c = this.store.getCandidate(candidate);
    if (c === undefined) fail('not_candidate', `${candidate} is not a candidate`);
    if (c.state === 'withdrawn') fail('candidate_withdrawn', `${candidate} has withdrawn its candidacy`);
    const T = totalStake(c);
    if (T + ctx.value > c.maxStake) {
      fail('above_max_stake', `candidate's stake ${T} + ${ctx.value} would exceed its maxStake ${c.maxStake}`);
    }
    const self = ctx.sender === candidate;
    if (!self && params.stake_limits_enabled) {
      const total = this.delegatorTotal(ctx.sender, c) + ctx.value;
      this.checkLimits(ctx.sender, total, params, false);
    }
    const existing = this.store.getDelegation(candidate, ctx.sender);
    const poolId = self ? SELF_POOL : (existing?.pool ?? c.compRateBp);
    this.checkDepositPool(c, poolId, ctx.value);
    const shares = this.addStake(c, ctx.sender, ctx.value);
    this.store.putCandidate(c);
    return { shares, compRateBp: Number(rateOf(poolId)) };
  }

  unstake(
    ctx: OpContext,
    candidate: Address,
    amount: bigint,
  ): { id: bigint; amount: bigint; shares: bigint; matureTime: bigint } {
    this.noValue(ctx);
    const params = this.params();
    const c = this.store.getCandidate(candidate);
    if (c === undefined) fail('not_candidate', `${candidate} is not a candidate`);
    const d = this.store.getDelegation(candidate, ctx.sender);
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
        fail(
          'self_stake_floor',
          `a candidate must keep ${params.self_stake_ratio_bp / 100}% of maxStake as self-stake (withdraw the candidacy to leave)`,
        );
      }
    } else if (params.stake_limits_enabled) {
      const remaining = this.delegatorTotal(ctx.sender, c) - wanted;
      if (remaining > 0n) this.checkLimits(ctx.sender, remaining, params, true);
    }
    const shares = wanted === value ? d.shares : sharesForWithdrawal(pool, wanted, d.shares);
    const worth = shareValue(pool, shares);
    pool.waitingShares += shares;
    d.principal -= releasedPrincipal(d, shares);
    d.shares -= shares;
    if (d.shares === 0n) this.unlinkDelegation(c, ctx.sender, d);
    else this.store.putDelegation(candidate, ctx.sender, d);
    const matureTime = ctx.time + params.unstake_waiting_period_s;
    const id = this.enqueue(
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
    const ids = this.store.delegatorRequests(ctx.sender);
    ids.push(id);
    this.store.setDelegatorRequests(ctx.sender, ids);
    this.store.putCandidate(c);
    return { id, amount: worth, shares, matureTime };
  }

  setCompRate(ctx: OpContext, delegator: Address, compRateBp: number): { amount: bigint } {
    this.noValue(ctx);
    const c = this.standingCandidate(ctx.sender);
    if (delegator === ctx.sender) fail('self_delegation', "a candidate's own stake pays no compensation");
    this.checkRate(compRateBp);
    const d = this.store.getDelegation(ctx.sender, delegator);
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
    this.store.putDelegation(ctx.sender, delegator, d);
    this.store.putCandidate(c);
    return { amount: moved };
  }

  // ========================================================== block phases

  /**
   * Start of a block: absent validators of the last commit are slashed
   * (SPEC 7) and recorded so they earn nothing this block; misbehaviour
   * evidence slashes 1.2% once and removes the validator (later evidence
   * against it, until it is re-activated, is recorded with nothing slashed).
   */
  beginBlock(ctx: BlockContext, votes: readonly LastCommitVote[], evidence: readonly Evidence[]): BeginBlockResult {
    const params = this.params();
    const cache = new CandidateCache(this.store);
    const absent: Address[] = [];
    const slashes: SlashInfo[] = [];
    const removed: Address[] = [];
    const seen = new Set<Address>();
    for (const vote of votes) {
      const a = this.store.consensusOwner(vote.validatorAddress);
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
      const amount = this.slash(c, BigInt(params.slash_ratio_bp));
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
        const a = this.store.consensusOwner(ev.validatorAddress);
        if (a === undefined) continue;
        const c = cache.get(a);
        if (c === undefined) continue;
        // One incident costs at most 1.2%: evidence against a candidate already
        // removed (and not re-activated) is recorded with nothing slashed.
        const amount = c.penalized ? 0n : this.slash(c, bp);
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
    this.store.putBlock({ height: ctx.height, absent: absent.sort(), slashes });
    return { slashes, removed };
  }

  /** End of a block: see `endBlockDetailed`; returns the validator updates for CometBFT. */
  endBlock(ctx: BlockContext): ValidatorUpdate[] {
    return this.endBlockDetailed(ctx).updates;
  }

  /**
   * End of a block: the block award (mint + fees + dust) is shared out and
   * compounded, matured unstake requests are paid, candidates are ranked
   * again and the changes against the set last sent to CometBFT returned.
   */
  endBlockDetailed(ctx: BlockContext): EndBlockResult {
    const params = this.params();
    const cache = new CandidateCache(this.store);
    const block = this.store.block();
    const absentList = block !== undefined && block.height === ctx.height ? block.absent : [];
    const absent = new Set(absentList);
    const slashes = block !== undefined && block.height === ctx.height ? block.slashes : [];

    // ---- award (SPEC 5)
    const ranking = this.store.ranking();
    const cap = this.capOf(ranking.validators, (a) => cache.get(a), params);
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

    const supplyNow = this.supply.read();
    const fees = this.supply.takeFees();
    const dustIn = supplyNow.dust;
    // SPEC 5.1: the year's mint accrues with header time; a block without validators to award mints nothing.
    const { year, minted } = runMint(this.store.year(), ctx.timeMs ?? ctx.time * 1000n, totalSupply(supplyNow), params, Vv > 0n);
    this.store.putYear(year);
    if (minted > 0n) this.supply.mint(minted);
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
          else this.addStake(c, c.address, r.compensation, true);
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
    this.supply.setDust(dustOut);

    // ---- matured unstake requests (SPEC 6)
    const paidOut = this.payMatured(ctx, cache);

    // ---- ranking, election and validator updates (SPEC 4)
    cache.flush();
    const all = this.store.candidateList().map((a) => cache.get(a)!);
    const next = elect(all, params.max_validators, params.backup_validators);
    const same = (a: readonly Address[], b: readonly Address[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
    if (!same(next.validators, ranking.validators) || !same(next.backups, ranking.backups)) this.store.putRanking(next);
    const desired = this.desiredSet(all, next.validators, params);
    let updates: ValidatorUpdate[] = [];
    if (desired.length > 0) {
      const last = this.store.lastSent();
      updates = diffSets(last, desired);
      if (updates.length > 0) this.store.putLastSent(desired);
    }
    const record: BlockAwards = { height: ctx.height, minted, fees, dustIn, dustOut, awards, slashes, absent: absentList };
    this.store.putAwards(record);
    return { updates, awards: record, paidOut };
  }

  // ================================================================ queries

  candidates(): CandidateInfo[] {
    const all = this.loadAll();
    const ctx = this.queryContext(all);
    return all.map((c) => this.candidateInfo(c, ctx));
  }

  candidate(address: Address): CandidateInfo | undefined {
    const c = this.store.getCandidate(address);
    if (c === undefined) return undefined;
    return this.candidateInfo(c, this.queryContext(this.loadAll()));
  }

  /** The current validators (ranks 1…max_validators) and backups, in rank order. */
  validators(): ValidatorInfo[] {
    const all = this.loadAll();
    const ctx = this.queryContext(all);
    const byAddr = new Map(all.map((c) => [c.address, c]));
    const out: ValidatorInfo[] = [];
    const push = (a: Address, role: 'validator' | 'backup'): void => {
      const c = byAddr.get(a);
      if (c === undefined) return;
      const info = this.candidateInfo(c, ctx);
      out.push({
        address: a,
        pubKey: info.pubKey,
        consensusAddress: info.consensusAddress,
        rank: info.rank,
        role,
        state: c.state,
        totalStake: info.totalStake,
        votingPower: info.votingPower,
        consensusPower: role === 'validator' ? consensusPower(info.votingPower) : 0n,
        verified: c.verified,
      });
    };
    ctx.ranking.validators.forEach((a) => push(a, 'validator'));
    ctx.ranking.backups.forEach((a) => push(a, 'backup'));
    return out;
  }

  /** Governance's electorate: current active validators with their capped voting power V_i now. */
  validatorSet(): Array<{ address: Address; votingPower: bigint }> {
    return this.validators()
      .filter((v) => v.role === 'validator' && v.state === 'active' && v.votingPower > 0n)
      .map((v) => ({ address: v.address, votingPower: v.votingPower }));
  }

  /** The validator set last returned to CometBFT. */
  lastValidatorSet(): ValidatorUpdate[] {
    return this.store.lastSent().map((v) => ({ pubKey: v.pubKey, power: v.power }));
  }

  delegation(candidate: Address, delegator: Address): DelegationInfo | undefined {
    const c = this.store.getCandidate(candidate);
    const d = this.store.getDelegation(candidate, delegator);
    if (c === undefined || d === undefined) return undefined;
    return this.delegationInfo(c, delegator, d);
  }

  /** Every delegation of `delegator` (its self-stake included), by candidate address. */
  delegations(delegator: Address): DelegationInfo[] {
    const out: DelegationInfo[] = [];
    for (const a of this.store.delegatorCandidates(delegator)) {
      const info = this.delegation(a, delegator);
      if (info !== undefined) out.push(info);
    }
    return out;
  }

  /** The delegations at one candidate (walks its list: O(its delegations); for queries only). */
  candidateDelegations(candidate: Address, limit = Number.MAX_SAFE_INTEGER): DelegationInfo[] {
    const c = this.store.getCandidate(candidate);
    if (c === undefined) return [];
    const out: DelegationInfo[] = [];
    let cur = c.head;
    while (cur !== '' && out.length < limit) {
      const d = this.store.getDelegation(candidate, cur)!;
      out.push(this.delegationInfo(c, cur, d));
      cur = d.next;
    }
    return out;
  }

  /** Waiting unstake requests of `delegator`, then its delegations waiting out a candidate's withdrawal. */
  unstakes(delegator: Address): UnstakeRequestInfo[] {
    const out: UnstakeRequestInfo[] = [];
    for (const id of this.store.delegatorRequests(delegator)) {
      const r = this.store.getRequest(id);
      if (r === undefined) continue;
      const c = this.store.getCandidate(r.candidate);
      const pool = c === undefined ? undefined : findPool(c, r.pool);
      out.push({
        id,
        delegator,
        candidate: r.candidate,
        amount: pool === undefined ? 0n : shareValue(pool, r.shares),
        shares: r.shares,
        matureTime: r.matureTime,
        height: r.height,
      });
    }
    for (const d of this.delegations(delegator)) {
      if (!d.withdrawing) continue;
      const c = this.store.getCandidate(d.candidate)!;
      out.push({
        id: 0n,
        delegator,
        candidate: d.candidate,
        amount: d.amount,
        shares: d.shares,
        matureTime: c.withdrawMatureTime,
        height: 0n,
      });
    }
    return out;
  }

  /** The award record of a recent height (the last AWARD_HISTORY heights are kept). */
  awards(height: bigint): BlockAwards | undefined {
    return this.store.awards(height);
  }

  isEnterprise(address: Address): boolean {
    return this.store.isEnterprise(address);
  }

  /** Σ of all stake in the ledger and the supply figures, for the conservation check (SPEC 5.3). */
  stakingTotals(): StakingTotals {
    let bonded = 0n;
    let waiting = 0n;
    for (const c of this.loadAll()) {
      for (const p of c.pools) {
        bonded += p.tokens;
        waiting += poolWaiting(p);
      }
    }
    const s = this.supply.read();
    return {
      bonded,
      waiting,
      dust: s.dust,
      feePool: s.feePool,
      genesisSupply: s.genesis,
      minted: s.minted,
      burned: s.burned,
      supply: totalSupply(s),
    };
  }

  // =============================================================== internals

  private loadAll(): CandidateRecord[] {
    return this.store.candidateList().map((a) => this.store.getCandidate(a)!);
  }

  private newCandidate(
    address: Address,
    pubKey: Uint8Array,
    maxStake: bigint,
    compRateBp: number,
    description: string,
    height: bigint,
  ): CandidateRecord {
    this.store.addToCandidateList(address);
    this.store.setPubKeyOwner(pubKey, address);
    this.store.setConsensusOwner(cometAddress(pubKey), address);
    return {
      address,
      pubKey: new Uint8Array(pubKey),
      maxStake,
      compRateBp,
      description,
      verified: false,
      state: 'active',
      declareHeight: height,
      missed: 0,
      pools: [],
      pendingRequests: 0n,
      delegationCount: 0n,
      head: '',
      withdrawMatureTime: 0n,
      awarded: 0n,
      slashed: 0n,
      penalized: false,
    };
  }

  private checkPubKey(owner: Address, pubKey: Uint8Array, where: string): void {
    if (pubKey.length !== 32) throw new Error(`${where}: an ed25519 public key has 32 bytes, got ${pubKey.length}`);
    if (pubKey.every((b) => b === 0)) throw new Error(`${where}: the all-zero public key is not a key`);
    const used = this.store.pubKeyOwner(pubKey);
    if (used !== undefined && used !== owner) throw new Error(`${where}: public key already used by ${used}`);
    const comet = this.store.consensusOwner(cometAddress(pubKey));
    if (comet !== undefined && comet !== owner) throw new Error(`${where}: public key already used by ${comet}`);
  }

  private checkPubKeyOp(owner: Address, pubKey: Uint8Array): void {
    try {
      this.checkPubKey(owner, pubKey, 'pubKey');
    } catch (e) {
      fail((e as Error).message.includes('already used') ? 'pubkey_in_use' : 'bad_pubkey', (e as Error).message);
    }
  }

  private checkRate(rate: number): void {
    if (!Number.isInteger(rate) || rate < 0 || rate >= 10_000) {
      fail('bad_comp_rate', `compensation rate must be 0…9999 bp, got ${rate}`);
    }
  }

  private noValue(ctx: OpContext): void {
    if (ctx.value !== 0n) fail('not_payable', 'this function does not accept a value');
  }

  private onlyFoundation(ctx: OpContext): void {
    const foundation = this.params().foundation_address;
    if (foundation === '') fail('no_foundation', 'no foundation address is configured');
    if (ctx.sender !== foundation) fail('not_foundation', 'only the foundation address may do this');
  }

  /** The sender's candidacy, which must exist and not be withdrawn. */
  private standingCandidate(a: Address): CandidateRecord {
    const c = this.store.getCandidate(a);
    if (c === undefined) fail('not_candidate', `${a} is not a candidate`);
    if (c.state === 'withdrawn') fail('candidate_withdrawn', 'the candidacy was withdrawn');
    return c;
  }

  private checkDepositPool(c: CandidateRecord, poolId: number, amount: bigint): void {
    if (amount === 0n) return;
    const p = findPool(c, poolId);
    if (p !== undefined && isWiped(p)) fail('pool_wiped', 'this stake pool was slashed to zero; no new stake can join it');
  }

  /** The candidate's own stake in itself (its waiting requests not included). */
  private selfStake(c: CandidateRecord): bigint {
    const d = this.store.getDelegation(c.address, c.address);
    const p = findPool(c, SELF_POOL);
    return d === undefined || p === undefined ? 0n : shareValue(p, d.shares);
  }

  /**
   * Total stake of a regular address for the stake limits: its delegations
   * (not its stake in its own candidacy, not stake already waiting). `known`
   * is a candidate record the caller holds (fresher than the store).
   */
  private delegatorTotal(delegator: Address, known: CandidateRecord): bigint {
    let total = 0n;
    for (const a of this.store.delegatorCandidates(delegator)) {
      if (a === delegator) continue;
      const c = a === known.address ? known : this.store.getCandidate(a);
      if (c === undefined || c.state === 'withdrawn') continue;
      const d = this.store.getDelegation(a, delegator);
      const p = d === undefined ? undefined : findPool(c, d.pool);
      if (d !== undefined && p !== undefined) total += shareValue(p, d.shares);
    }
    return total;
  }

  private checkLimits(delegator: Address, total: bigint, params: Params, leaving: boolean): void {
    const what = leaving ? 'remaining stake' : 'total stake';
    if (this.store.isEnterprise(delegator)) {
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

  /**
   * Adds `amount` to `delegator`'s stake at `c` (creating the delegation at
   * the candidate's default rate, or in the self pool for the candidate
   * itself) and returns the shares issued. The amount joins the principal
   * unless it is compensation (`inAward`): that is earned. Writes the
   * delegation record; the caller writes `c`.
   */
  private addStake(c: CandidateRecord, delegator: Address, amount: bigint, inAward = false): bigint {
    const self = delegator === c.address;
    const existing = this.store.getDelegation(c.address, delegator);
    const poolId = self ? SELF_POOL : (existing?.pool ?? c.compRateBp);
    const pool = poolOf(c, poolId);
    if (inAward && isWiped(pool)) {
      // Compensation into a self pool slashed to nothing: the tokens belong to the candidate alone.
      pool.tokens += amount;
      return 0n;
    }
    const shares = deposit(pool, amount);
    const principal = inAward ? 0n : amount;
    if (existing !== undefined) {
      existing.shares += shares;
      existing.principal += principal;
      this.store.putDelegation(c.address, delegator, existing);
    } else {
      this.linkDelegation(c, delegator, { pool: poolId, shares, principal, prev: '', next: '' });
    }
    return shares;
  }

  /** Inserts a new delegation at the head of the candidate's list and into the delegator's index. */
  private linkDelegation(c: CandidateRecord, delegator: Address, d: DelegationRecord): void {
    d.prev = '';
    d.next = c.head;
    if (c.head !== '') {
      const h = this.store.getDelegation(c.address, c.head)!;
      h.prev = delegator;
      this.store.putDelegation(c.address, c.head, h);
    }
    c.head = delegator;
    c.delegationCount += 1n;
    this.store.putDelegation(c.address, delegator, d);
    const idx = this.store.delegatorCandidates(delegator);
    if (!idx.includes(c.address)) {
      idx.push(c.address);
      idx.sort();
      this.store.setDelegatorCandidates(delegator, idx);
    }
  }

  /** Removes a delegation record from the candidate's list and the delegator's index. */
  private unlinkDelegation(c: CandidateRecord, delegator: Address, d: DelegationRecord): void {
    if (d.prev !== '') {
      const p = this.store.getDelegation(c.address, d.prev)!;
      p.next = d.next;
      this.store.putDelegation(c.address, d.prev, p);
    } else {
      c.head = d.next;
    }
    if (d.next !== '') {
      const n = this.store.getDelegation(c.address, d.next)!;
      n.prev = d.prev;
      this.store.putDelegation(c.address, d.next, n);
    }
    c.delegationCount -= 1n;
    this.store.deleteDelegationRecord(c.address, delegator);
    this.store.setDelegatorCandidates(
      delegator,
      this.store.delegatorCandidates(delegator).filter((a) => a !== c.address),
    );
  }

  /** Appends a request to the FIFO of its waiting period; returns its id. */
  private enqueue(r: RequestRecord, period: bigint): bigint {
    const qs = this.store.queueState();
    const id = qs.nextId;
    qs.nextId += 1n;
    r.id = id;
    r.next = 0n;
    const q = qs.queues.find((x) => x.period === period);
    if (q === undefined) {
      qs.queues.push({ period, head: id, tail: id });
      qs.queues.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
    } else {
      const tail = this.store.getRequest(q.tail)!;
      tail.next = id;
      this.store.putRequest(tail);
      q.tail = id;
    }
    this.store.putRequest(r);
    this.store.putQueueState(qs);
    return id;
  }

  /** Pays every request whose maturity time has come: O(matured requests + queues). */
  private payMatured(ctx: BlockContext, cache: CandidateCache): EndBlockResult['paidOut'] {
    const paid: EndBlockResult['paidOut'] = [];
    const qs = this.store.queueState();
    let changed = false;
    const keep: Queue[] = [];
    for (const q of qs.queues) {
      let head = q.head;
      while (head !== 0n) {
        const r = this.store.getRequest(head)!;
        if (r.matureTime > ctx.time) break;
        changed = true;
        const c = cache.get(r.candidate)!;
        if (r.kind === REQUEST_DELEGATION) {
          const pool = findPool(c, r.pool)!;
          pool.waitingShares -= r.shares;
          const amount = redeem(pool, r.shares);
          const delegator = r.delegator as Address;
          this.bank.credit(delegator, amount);
          paid.push({ delegator, candidate: c.address, amount });
          c.pendingRequests -= 1n;
          this.store.setDelegatorRequests(
            delegator,
            this.store.delegatorRequests(delegator).filter((x) => x !== r.id),
          );
        } else {
          this.payWithdrawal(c, paid);
        }
        this.store.deleteRequest(r.id);
        head = r.next;
        if (c.state === 'withdrawn' && c.delegationCount === 0n && c.pendingRequests === 0n) {
          dropEmptyPools(c);
          if (c.pools.length > 0) throw new Error(`invariant: withdrawn candidate ${c.address} paid out but holds stake`);
          cache.remove(c.address);
        } else {
          cache.put(c);
        }
      }
      if (head !== 0n) keep.push({ period: q.period, head, tail: q.tail });
    }
    if (changed) this.store.putQueueState({ nextId: qs.nextId, queues: keep });
    return paid;
  }

  /** Pays out every delegation of a withdrawn candidacy. */
  private payWithdrawal(c: CandidateRecord, paid: EndBlockResult['paidOut']): void {
    let cur = c.head;
    while (cur !== '') {
      const d = this.store.getDelegation(c.address, cur)!;
      const pool = findPool(c, d.pool)!;
      pool.waitingShares -= d.shares;
      const amount = redeem(pool, d.shares);
      this.bank.credit(cur, amount);
      paid.push({ delegator: cur, candidate: c.address, amount });
      this.store.deleteDelegationRecord(c.address, cur);
      this.store.setDelegatorCandidates(cur, this.store.delegatorCandidates(cur).filter((a) => a !== c.address));
      cur = d.next;
    }
    c.head = '';
    c.delegationCount = 0n;
  }

  /** Burns `bp` of every pool of the candidate (waiting requests included). */
  private slash(c: CandidateRecord, bp: bigint): bigint {
    let amount = 0n;
    for (const p of c.pools) amount += slashPool(p, bp);
    if (amount > 0n) this.supply.burn(amount);
    c.slashed += amount;
    return amount;
  }

  /** The consensus set the ranking asks for: validators with power ≥ 1, bounded, sorted by key. */
  private desiredSet(all: readonly CandidateRecord[], validators: readonly Address[], params: Params): SentValidator[] {
    const byAddr = new Map(all.map((c) => [c.address, c]));
    const cap = this.capOf(validators, (a) => byAddr.get(a), params);
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
  private capOf(validators: readonly Address[], get: (a: Address) => CandidateRecord | undefined, params: Params): bigint | undefined {
    const stakes: bigint[] = [];
    for (const a of validators) {
      const c = get(a);
      if (c !== undefined && c.state === 'active') stakes.push(totalStake(c));
    }
    return powerCap(stakes, params.validator_size_threshold_bp);
  }

  private queryContext(all: readonly CandidateRecord[]): {
    cap: bigint | undefined;
    ranking: ReturnType<StakingStore['ranking']>;
    rank: Map<Address, number>;
  } {
    const params = this.params();
    const ranking = this.store.ranking();
    const byAddr = new Map(all.map((c) => [c.address, c]));
    const rank = new Map<Address, number>();
    [...ranking.validators, ...ranking.backups].forEach((a, i) => rank.set(a, i + 1));
    return { cap: this.capOf(ranking.validators, (a) => byAddr.get(a), params), ranking, rank };
  }

  private candidateInfo(c: CandidateRecord, q: ReturnType<StakingLedger['queryContext']>): CandidateInfo {
    const T = totalStake(c);
    let waiting = 0n;
    for (const p of c.pools) waiting += poolWaiting(p);
    const rank = q.rank.get(c.address) ?? 0;
    return {
      address: c.address,
      pubKey: hexOf(c.pubKey),
      consensusAddress: hexOf(cometAddress(c.pubKey)),
      maxStake: c.maxStake,
      compRateBp: c.compRateBp,
      description: c.description,
      verified: c.verified,
      state: c.state,
      declareHeight: c.declareHeight,
      totalStake: T,
      selfStake: this.selfStake(c),
      waitingStake: waiting,
      votingPower: c.state === 'active' ? votingPower(T, q.cap) : 0n,
      rank,
      role: rank === 0 ? 'candidate' : q.ranking.validators.includes(c.address) ? 'validator' : 'backup',
      missedBlocks: c.missed,
      awarded: c.awarded,
      slashed: c.slashed,
      withdrawMatureTime: c.withdrawMatureTime,
      delegationCount: c.delegationCount,
    };
  }

  private delegationInfo(c: CandidateRecord, delegator: Address, d: DelegationRecord): DelegationInfo {
    const p = findPool(c, d.pool);
    const amount = p === undefined ? 0n : shareValue(p, d.shares);
    return {
      delegator,
      candidate: c.address,
      amount,
      principal: d.principal,
      earned: amount - d.principal,
      shares: d.shares,
      compRateBp: Number(rateOf(d.pool)),
      self: delegator === c.address,
      withdrawing: c.state === 'withdrawn',
    };
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

function cache_addresses(g: StakingGenesis): Address[] {
  return [...new Set(g.candidates.map((c) => c.address))].sort();
}
