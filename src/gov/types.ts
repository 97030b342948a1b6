/**
 * Governance types (SPEC section 8): proposals, votes, the JSON form of a
 * proposal for queries, and the one thing governance needs from staking.
 */
import type { Address } from '../util/address.js';
import { SystemCallError } from '../system/types.js';

/**
 * The current validators (ranks 1..max_validators, not backups) and their
 * voting power V_i in wei (SPEC 4.2). Implemented by the staking ledger.
 * Order does not matter; an address must not appear twice.
 */
export interface ValidatorPowerSource {
  validatorSet(): Array<{ address: Address; votingPower: bigint }>;
}

/** Block context of a governance operation: height and header time (unix seconds). */
export interface GovContext {
  height: bigint;
  time: bigint;
}

/** Numeric values match the Solidity enums of contracts/IGovernance.sol. */
export const ProposalKind = { ParamChange: 0, TransferFund: 1 } as const;
export type ProposalKind = (typeof ProposalKind)[keyof typeof ProposalKind];

export const ProposalStatus = { Open: 0, Passed: 1, Failed: 2, Expired: 3 } as const;
export type ProposalStatus = (typeof ProposalStatus)[keyof typeof ProposalStatus];

export type ProposalKindName = 'param_change' | 'transfer_fund';
export type ProposalStatusName = 'open' | 'passed' | 'failed' | 'expired';

export const KIND_NAMES: Readonly<Record<ProposalKind, ProposalKindName>> = {
  0: 'param_change',
  1: 'transfer_fund',
};
export const STATUS_NAMES: Readonly<Record<ProposalStatus, ProposalStatusName>> = {
  0: 'open',
  1: 'passed',
  2: 'failed',
  3: 'expired',
};

export interface Vote {
  voter: Address;
  yes: boolean;
}

/** Voting power behind each side, and the validators' total, all in wei. */
export interface Tally {
  yes: bigint;
  no: bigint;
  total: bigint;
}

export interface ParamChangePayload {
  name: string;
  /** Canonical string form of the parsed value. */
  value: string;
}

export interface TransferFundPayload {
  from: Address;
  to: Address;
  amount: bigint;
}

/** A proposal as stored in state. */
export interface Proposal {
  id: bigint;
  kind: ProposalKind;
  status: ProposalStatus;
  proposer: Address;
  reason: string;
  createdHeight: bigint;
  createdTime: bigint;
  /** First header time at which the proposal is expired: createdTime + proposal_period_s. */
  expiresAt: bigint;
  /** 0 while open. */
  closedHeight: bigint;
  /** 0 while open. */
  closedTime: bigint;
  /** '' while open; a human-readable account of how the proposal closed. */
  outcome: string;
  /** The tally when the proposal closed (zeros while open). */
  finalTally: Tally;
  /** Sorted by voter address, one entry per voter. */
  votes: Vote[];
  /** Set iff kind is ParamChange. */
  param: ParamChangePayload | null;
  /** Set iff kind is TransferFund. */
  transfer: TransferFundPayload | null;
}

/** JSON-friendly proposal (integers as decimal strings), as returned by queries. */
export interface ProposalJson {
  id: string;
  kind: ProposalKindName;
  status: ProposalStatusName;
  proposer: Address;
  reason: string;
  createdHeight: string;
  createdTime: string;
  expiresAt: string;
  closedHeight: string | null;
  closedTime: string | null;
  outcome: string;
  param: { name: string; value: string } | null;
  transfer: { from: Address; to: Address; amount: string } | null;
  votes: Array<{ voter: Address; yes: boolean }>;
  /** Live tally at the current validator powers while open; the final tally once closed. */
  tally: { yes: string; no: string; total: string };
}

/** A refused governance operation; `reason` is a stable code (see docs/GOVERNANCE.md). */
export class GovernanceError extends SystemCallError {
  constructor(message: string, reason: string) {
    super(message, reason);
    this.name = 'GovernanceError';
  }
}

/** Longest accepted `reason` text, in UTF-8 bytes. */
export const MAX_REASON_BYTES = 4096;
/** Most proposals one validator may have open at once (bounds the per-block tally work). */
export const MAX_OPEN_PROPOSALS_PER_PROPOSER = 8;
/** Numeric param values above this are refused (they must fit a uint256). */
export const MAX_UINT256 = 2n ** 256n - 1n;
