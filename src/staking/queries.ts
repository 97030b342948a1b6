/**
 * The staking ledger's typed read API (the keeper's queries, in Cosmos
 * terms): candidates, validators, delegations, unstake requests, awards and
 * totals over any state reader — committed state at a version for ABCI
 * queries, JSON-RPC and metrics; the block's state for governance's
 * electorate. Reads only: it cannot write (its store refuses).
 *
 * Answers are plain objects with bigint amounts; the ABCI query paths
 * (src/app/query-routes.ts) and JSON-RPC cmt_* methods serialize them with
 * bigints as decimal strings.
 */
import { readOnly, type KVReader } from '../store/kv.js';
import type { Address } from '../util/address.js';
import { loadParams, type Params } from '../state/params.js';
import { readSupply, totalSupply, type SupplyRecord } from '../state/supply.js';
import { rateOf } from './award.js';
import { capOf } from './election.js';
import { findPool, loadCandidates, poolWaiting, selfStakeOf } from './keeper.js';
import { shareValue } from './pool.js';
import { cometAddress, consensusPower, totalStake, votingPower } from './power.js';
import { StakingStore, type CandidateRecord, type DelegationRecord, type Ranking } from './store.js';
import type { BlockAwards, CandidateInfo, DelegationInfo, StakingTotals, UnstakeRequestInfo, ValidatorInfo, ValidatorUpdate } from './types.js';

export interface StakingReadDeps {
  /** Params source (default: `loadParams(state)` at each call). */
  params?: () => Params;
  /** Supply source (default: `readSupply(state)` at each call). */
  supply?: () => SupplyRecord;
}

/** One candidate or validator set member as governance weighs it. */
export interface ValidatorPower {
  address: Address;
  votingPower: bigint;
}

/** What every candidate answer needs: the ranking and the validators' power cap now. */
interface RankContext {
  cap: bigint | undefined;
  ranking: Ranking;
  rank: Map<Address, number>;
}

function hexOf(b: Uint8Array): string {
  return `0x${Buffer.from(b).toString('hex')}`;
}

export class StakingQueries {
  private readonly store: StakingStore;
  private readonly paramsSource: () => Params;
  private readonly supplySource: () => SupplyRecord;

  constructor(state: KVReader, deps: StakingReadDeps = {}) {
    this.store = new StakingStore(readOnly(state));
    this.paramsSource = deps.params ?? (() => loadParams(state));
    this.supplySource = deps.supply ?? (() => readSupply(state));
  }

  /** The CometBFT chain id that candidacy proofs sign, recorded at InitChain. */
  chainId(): string | undefined {
    return this.store.chainId();
  }

  candidates(): CandidateInfo[] {
    const all = loadCandidates(this.store);
    const ctx = this.queryContext(all);
    return all.map((c) => this.candidateInfo(c, ctx));
  }

  candidate(address: Address): CandidateInfo | undefined {
    const c = this.store.getCandidate(address);
    if (c === undefined) return undefined;
    return this.candidateInfo(c, this.queryContext(loadCandidates(this.store)));
  }

  /** The current validators (ranks 1…max_validators) and backups, in rank order. */
  validators(): ValidatorInfo[] {
    const all = loadCandidates(this.store);
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
  validatorSet(): ValidatorPower[] {
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
    for (const c of loadCandidates(this.store)) {
      for (const p of c.pools) {
        bonded += p.tokens;
        waiting += poolWaiting(p);
      }
    }
    const s = this.supplySource();
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

  private queryContext(all: readonly CandidateRecord[]): RankContext {
    const params = this.paramsSource();
    const ranking = this.store.ranking();
    const byAddr = new Map(all.map((c) => [c.address, c]));
    const rank = new Map<Address, number>();
    [...ranking.validators, ...ranking.backups].forEach((a, i) => rank.set(a, i + 1));
    return { cap: capOf(ranking.validators, (a) => byAddr.get(a), params), ranking, rank };
  }

  private candidateInfo(c: CandidateRecord, q: RankContext): CandidateInfo {
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
      selfStake: selfStakeOf(this.store, c),
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
