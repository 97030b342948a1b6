/**
 * The events of IGovernance.sol, one builder each (fields in declaration
 * order). The ledger returns them with each operation; the system-contract
 * dispatcher encodes them as logs of 0x…1001.
 */
import type { Address } from '../util/address.js';
import type { SystemEvent } from '../system/types.js';
import type { ProposalKind, Tally } from './types.js';

// Frozen rather than `as const`: StrykerJS does not mutate inside a TypeScript `as` expression.
export const GovEvents = Object.freeze({
  proposalCreated: (id: bigint, proposer: Address, kind: ProposalKind, expiresAt: bigint): SystemEvent => ({
    name: 'ProposalCreated',
    values: [id, proposer, kind, expiresAt],
  }),
  paramChangeProposed: (id: bigint, name: string, value: string, reason: string): SystemEvent => ({
    name: 'ParamChangeProposed',
    values: [id, name, value, reason],
  }),
  transferFundProposed: (id: bigint, from: Address, to: Address, amount: bigint, reason: string): SystemEvent => ({
    name: 'TransferFundProposed',
    values: [id, from, to, amount, reason],
  }),
  voted: (id: bigint, voter: Address, yes: boolean): SystemEvent => ({ name: 'Voted', values: [id, voter, yes] }),
  proposalPassed: (id: bigint, t: Tally): SystemEvent => ({ name: 'ProposalPassed', values: [id, t.yes, t.no, t.total] }),
  proposalFailed: (id: bigint, t: Tally, reason: string): SystemEvent => ({
    name: 'ProposalFailed',
    values: [id, t.yes, t.no, t.total, reason],
  }),
  proposalExpired: (id: bigint, t: Tally): SystemEvent => ({ name: 'ProposalExpired', values: [id, t.yes, t.no, t.total] }),
  paramChanged: (id: bigint, name: string, value: string): SystemEvent => ({ name: 'ParamChanged', values: [id, name, value] }),
  fundTransferred: (id: bigint, from: Address, to: Address, amount: bigint): SystemEvent => ({
    name: 'FundTransferred',
    values: [id, from, to, amount],
  }),
  fundReturned: (id: bigint, from: Address, amount: bigint): SystemEvent => ({ name: 'FundReturned', values: [id, from, amount] }),
});
