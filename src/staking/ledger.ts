/**
 * The DPoS staking ledger (SPEC 3–7, 10): candidates, share pools, voting
 * power, election, awards, slashing and unbonding, over the state `KV`.
 *
 * This class is the facade its callers (the system contract, the app's
 * block hooks, governance) use; the work lives in one module per job, as
 * Cosmos splits its staking keeper:
 *
 *   keeper.ts        records, balances, supply, params; shared stake bookkeeping
 *   init-genesis.ts  InitChain: genesis candidates, delegations, first election
 *   operations.ts    the system contract's operations (declare … setCompRate)
 *   slashing.ts      start of block: absence and evidence slashes
 *   end-block.ts     end of block: awarding.ts, unbonding.ts, election.ts
 *   queries.ts       the typed read API (StakingQueries)
 *
 * Per-block work (`beginBlock`, `endBlock`) reads and writes one record per
 * candidate (its pools are inline), plus one record per matured unstake
 * request: O(candidates × distinct rates + matured requests), independent of
 * the number of delegations.
 */
import type { KV } from '../store/kv.js';
import type { Address } from '../util/address.js';
import type { Params } from '../state/params.js';
import { endBlock } from './end-block.js';
import { initGenesis } from './init-genesis.js';
import { StakingKeeper, type StakingDeps } from './keeper.js';
import * as ops from './operations.js';
import type { OpContext } from './operations.js';
import { StakingQueries, type ValidatorPower } from './queries.js';
import { beginBlock } from './slashing.js';
import type { StakingStore } from './store.js';
import type {
  BeginBlockResult,
  BlockAwards,
  BlockContext,
  CandidateInfo,
  DelegationInfo,
  EndBlockResult,
  Evidence,
  LastCommitVote,
  StakingGenesis,
  StakingTotals,
  UnstakeRequestInfo,
  ValidatorInfo,
  ValidatorUpdate,
} from './types.js';

export { checkDescription, DESCRIPTION_FIELDS, MAX_DESCRIPTION_BYTES, type OpContext } from './operations.js';
export type { StakingDeps } from './keeper.js';

export class StakingLedger {
  readonly store: StakingStore;
  private readonly keeper: StakingKeeper;
  private reads: StakingQueries | undefined;

  constructor(
    readonly kv: KV,
    deps: StakingDeps = {},
  ) {
    this.keeper = new StakingKeeper(kv, deps);
    this.store = this.keeper.store;
  }

  /**
   * The typed read API over the same state (and the same params and supply
   * sources); made on first use, since most ledgers serve one operation.
   */
  get queries(): StakingQueries {
    const keeper = this.keeper;
    this.reads ??= new StakingQueries(this.kv, { params: () => keeper.params(), supply: () => keeper.supply.read() });
    return this.reads;
  }

  params(): Params {
    return this.keeper.params();
  }

  // ================================================================ genesis

  /**
   * Writes the genesis candidates, delegations and enterprise accounts
   * (SPEC 10) and returns the elected validator set (init-genesis.ts).
   */
  initGenesis(g: StakingGenesis, cometValidators: readonly ValidatorUpdate[] = []): ValidatorUpdate[] {
    return initGenesis(this.keeper, g, cometValidators);
  }

  // ============================================================ operations

  /** The CometBFT chain id that candidacy proofs sign, recorded at InitChain. */
  chainId(): string | undefined {
    return this.queries.chainId();
  }

  /** Records the CometBFT chain id (InitChain's) that candidacy proofs sign (SPEC 6). */
  setChainId(chainId: string): void {
    ops.setChainId(this.keeper, chainId);
  }

  declareCandidacy(ctx: OpContext, pubKey: Uint8Array, pubKeySignature: Uint8Array, maxStake: bigint, compRateBp: number, description: string): { selfStake: bigint } {
    return ops.declareCandidacy(this.keeper, ctx, pubKey, pubKeySignature, maxStake, compRateBp, description);
  }

  updateCandidacy(ctx: OpContext, maxStake: bigint, compRateBp: number, description: string): { verifiedCleared: boolean } {
    return ops.updateCandidacy(this.keeper, ctx, maxStake, compRateBp, description);
  }

  withdrawCandidacy(ctx: OpContext): { matureTime: bigint; amount: bigint } {
    return ops.withdrawCandidacy(this.keeper, ctx);
  }

  deactivateCandidacy(ctx: OpContext): void {
    ops.deactivateCandidacy(this.keeper, ctx);
  }

  activateCandidacy(ctx: OpContext): void {
    ops.activateCandidacy(this.keeper, ctx);
  }

  verifyCandidacy(ctx: OpContext, candidate: Address, verified: boolean): void {
    ops.verifyCandidacy(this.keeper, ctx, candidate, verified);
  }

  setEnterprise(ctx: OpContext, account: Address, enterprise: boolean): void {
    ops.setEnterprise(this.keeper, ctx, account, enterprise);
  }

  delegate(ctx: OpContext, candidate: Address): { shares: bigint; compRateBp: number } {
    return ops.delegate(this.keeper, ctx, candidate);
  }

  unstake(ctx: OpContext, candidate: Address, amount: bigint): { id: bigint; amount: bigint; shares: bigint; matureTime: bigint } {
    return ops.unstake(this.keeper, ctx, candidate, amount);
  }

  setCompRate(ctx: OpContext, delegator: Address, compRateBp: number): { amount: bigint } {
    return ops.setCompRate(this.keeper, ctx, delegator, compRateBp);
  }

  // ========================================================== block phases

  /**
   * Start of a block: absent validators of the last commit are slashed
   * (SPEC 7) and recorded so they earn nothing this block; misbehaviour
   * evidence slashes 1.2% once and removes the validator (slashing.ts).
   */
  beginBlock(ctx: BlockContext, votes: readonly LastCommitVote[], evidence: readonly Evidence[]): BeginBlockResult {
    return beginBlock(this.keeper, ctx, votes, evidence);
  }

  /** End of a block: see `endBlockDetailed`; returns the validator updates for CometBFT. */
  endBlock(ctx: BlockContext): ValidatorUpdate[] {
    return this.endBlockDetailed(ctx).updates;
  }

  /**
   * End of a block: the block award (mint + fees + dust) is shared out and
   * compounded, matured unstake requests are paid, candidates are ranked
   * again and the changes against the set last sent to CometBFT returned
   * (end-block.ts).
   */
  endBlockDetailed(ctx: BlockContext): EndBlockResult {
    return endBlock(this.keeper, ctx);
  }

  // ================================================================ queries (queries.ts)

  candidates(): CandidateInfo[] {
    return this.queries.candidates();
  }

  candidate(address: Address): CandidateInfo | undefined {
    return this.queries.candidate(address);
  }

  /** The current validators (ranks 1…max_validators) and backups, in rank order. */
  validators(): ValidatorInfo[] {
    return this.queries.validators();
  }

  /** Governance's electorate: current active validators with their capped voting power V_i now. */
  validatorSet(): ValidatorPower[] {
    return this.queries.validatorSet();
  }

  /** The validator set last returned to CometBFT. */
  lastValidatorSet(): ValidatorUpdate[] {
    return this.queries.lastValidatorSet();
  }

  delegation(candidate: Address, delegator: Address): DelegationInfo | undefined {
    return this.queries.delegation(candidate, delegator);
  }

  /** Every delegation of `delegator` (its self-stake included), by candidate address. */
  delegations(delegator: Address): DelegationInfo[] {
    return this.queries.delegations(delegator);
  }

  /** The delegations at one candidate (walks its list: O(its delegations); for queries only). */
  candidateDelegations(candidate: Address, limit = Number.MAX_SAFE_INTEGER): DelegationInfo[] {
    return this.queries.candidateDelegations(candidate, limit);
  }

  /** Waiting unstake requests of `delegator`, then its delegations waiting out a candidate's withdrawal. */
  unstakes(delegator: Address): UnstakeRequestInfo[] {
    return this.queries.unstakes(delegator);
  }

  /** The award record of a recent height (the last AWARD_HISTORY heights are kept). */
  awards(height: bigint): BlockAwards | undefined {
    return this.queries.awards(height);
  }

  isEnterprise(address: Address): boolean {
    return this.queries.isEnterprise(address);
  }

  /** Σ of all stake in the ledger and the supply figures, for the conservation check (SPEC 5.3). */
  stakingTotals(): StakingTotals {
    return this.queries.stakingTotals();
  }
}
