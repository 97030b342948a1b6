/**
 * Public types of the staking ledger (SPEC 3–7, 10): what the app passes in
 * at the block boundaries and what queries return. Amounts are wei (bigint),
 * rates basis points (integers).
 */
import type { Address } from '../util/address.js';

/** The block being executed. */
export interface BlockContext {
  height: bigint;
  /** Block header time, unix seconds. */
  time: bigint;
  /** Block header time, unix milliseconds (the award year counts it, SPEC 5.1); default `time` · 1000. */
  timeMs?: bigint;
}

/** One entry of the block's `decided_last_commit`. */
export interface LastCommitVote {
  /** 20-byte CometBFT validator address = sha256(ed25519 pubkey)[0..20]. */
  validatorAddress: Uint8Array;
  /** True when the vote's flag is BLOCK_ID_FLAG_ABSENT. */
  absent: boolean;
}

/** One entry of the block's `misbehavior`. */
export interface Evidence {
  validatorAddress: Uint8Array;
  height: bigint;
  kind: 'duplicate_vote' | 'light_client_attack';
}

/** A validator update for CometBFT (power 0 removes the validator). */
export interface ValidatorUpdate {
  /** ed25519 public key, 32 bytes. */
  pubKey: Uint8Array;
  /** Consensus power, whole CMT (int64). */
  power: bigint;
}

/** Candidate lifecycle (SPEC 6, 7). */
export type CandidateState = 'active' | 'deactivated' | 'withdrawn' | 'removed';

export interface GenesisCandidate {
  address: Address;
  /** ed25519 public key, 32 bytes. */
  pubKey: Uint8Array;
  maxStake: bigint;
  selfStake: bigint;
  compRateBp: number;
  /** Description JSON text (SPEC 6: name, website, location, email, …). */
  description: string;
  verified: boolean;
}

export interface GenesisDelegation {
  delegator: Address;
  candidate: Address;
  amount: bigint;
}

/** The staking part of genesis `app_state` (SPEC 10), already parsed. */
export interface StakingGenesis {
  candidates: GenesisCandidate[];
  delegations: GenesisDelegation[];
  enterpriseAccounts: Address[];
}

/** A candidate as queries see it. */
export interface CandidateInfo {
  address: Address;
  /** 0x-hex ed25519 public key. */
  pubKey: string;
  /** 0x-hex CometBFT validator address. */
  consensusAddress: string;
  maxStake: bigint;
  compRateBp: number;
  description: string;
  verified: boolean;
  state: CandidateState;
  declareHeight: bigint;
  /** T_i: every pool, waiting requests included. */
  totalStake: bigint;
  /** The candidate's own stake in itself, not counting its waiting requests. */
  selfStake: bigint;
  /** Part of T_i held by unstake requests (and by every delegation once withdrawn). */
  waitingStake: bigint;
  /** V_i with the cap applied (0 unless active). */
  votingPower: bigint;
  /** 1-based rank; 0 when not ranked. */
  rank: number;
  role: 'validator' | 'backup' | 'candidate';
  /** Consecutive missed blocks. */
  missedBlocks: number;
  /** Cumulative awards (delegators' pools and compensation) and slashes of this candidate. */
  awarded: bigint;
  slashed: bigint;
  /** Header time at which a withdrawn candidacy's stake is paid out (0 unless withdrawn). */
  withdrawMatureTime: bigint;
  delegationCount: bigint;
}

export interface ValidatorInfo {
  address: Address;
  pubKey: string;
  consensusAddress: string;
  rank: number;
  role: 'validator' | 'backup';
  state: CandidateState;
  totalStake: bigint;
  votingPower: bigint;
  /** floor(V_i / 10^18) for validators, 0 for backups. */
  consensusPower: bigint;
  verified: boolean;
}

export interface DelegationInfo {
  delegator: Address;
  candidate: Address;
  /** Current value in wei (shares × pool tokens / pool shares, truncated). */
  amount: bigint;
  /** Wei delegated and not yet unstaked (docs/STAKING.md "Principal"). */
  principal: bigint;
  /** amount − principal: awards earned net of slashes (negative after a slash that outweighs them). */
  earned: bigint;
  shares: bigint;
  /** Compensation rate of this delegation (0 for a candidate's self-stake). */
  compRateBp: number;
  self: boolean;
  /** True when the candidate withdrew: the whole delegation is waiting. */
  withdrawing: boolean;
}

export interface UnstakeRequestInfo {
  /** Request id; 0 for a delegation waiting out its candidate's withdrawal. */
  id: bigint;
  delegator: Address;
  candidate: Address;
  /** Current value (it keeps earning and can be slashed until it matures). */
  amount: bigint;
  shares: bigint;
  matureTime: bigint;
  height: bigint;
}

export interface SlashInfo {
  candidate: Address;
  amount: bigint;
  reason: 'absent' | 'byzantine';
}

export interface AwardEntry {
  candidate: Address;
  group: 'validator' | 'backup';
  votingPower: bigint;
  /** Added to delegators' pools (self-stake included). */
  delegatorsAward: bigint;
  /** Compensation, added to the candidate's self-stake. */
  compensation: bigint;
}

export interface BlockAwards {
  height: bigint;
  minted: bigint;
  fees: bigint;
  dustIn: bigint;
  dustOut: bigint;
  awards: AwardEntry[];
  slashes: SlashInfo[];
  /** Validators absent from this block's last commit (they earned nothing). */
  absent: Address[];
}

export interface BeginBlockResult {
  slashes: SlashInfo[];
  /** Candidates removed in this block (max_slash_blocks reached or byzantine). */
  removed: Address[];
}

export interface EndBlockResult {
  updates: ValidatorUpdate[];
  awards: BlockAwards;
  /** Unstake requests and withdrawn candidacies paid out in this block. */
  paidOut: Array<{ delegator: Address; candidate: Address; amount: bigint }>;
}

export interface StakingTotals {
  /** Σ of every pool of every candidate record (waiting requests included). */
  bonded: bigint;
  /** The part of `bonded` held by waiting requests / withdrawn candidacies. */
  waiting: bigint;
  dust: bigint;
  feePool: bigint;
  genesisSupply: bigint;
  minted: bigint;
  burned: bigint;
  /** genesis + minted − burned. */
  supply: bigint;
}

/** A refused staking operation (mapped 1:1 onto SystemCallError by the contract). */
export class StakingError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'StakingError';
  }
}
