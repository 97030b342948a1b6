/**
 * The events of IStaking.sol, one builder each (fields in declaration
 * order). The system-contract dispatcher encodes them as logs of 0x…1000.
 */
import type { Address } from '../util/address.js';
import type { SystemEvent } from '../system/types.js';

// Frozen rather than `as const`: StrykerJS does not mutate inside a TypeScript `as` expression.
export const StakingEvents = Object.freeze({
  candidacyDeclared: (candidate: Address, pubKey: `0x${string}`, maxStake: bigint, compRateBp: number, selfStake: bigint): SystemEvent => ({
    name: 'CandidacyDeclared',
    values: [candidate, pubKey, maxStake, compRateBp, selfStake],
  }),
  candidacyUpdated: (candidate: Address, maxStake: bigint, compRateBp: number, addedSelfStake: bigint, verifiedCleared: boolean): SystemEvent => ({
    name: 'CandidacyUpdated',
    values: [candidate, maxStake, compRateBp, addedSelfStake, verifiedCleared],
  }),
  candidacyWithdrawn: (candidate: Address, amount: bigint, matureTime: bigint): SystemEvent => ({
    name: 'CandidacyWithdrawn',
    values: [candidate, amount, matureTime],
  }),
  candidacyDeactivated: (candidate: Address): SystemEvent => ({ name: 'CandidacyDeactivated', values: [candidate] }),
  candidacyActivated: (candidate: Address): SystemEvent => ({ name: 'CandidacyActivated', values: [candidate] }),
  candidacyVerified: (candidate: Address, verified: boolean): SystemEvent => ({ name: 'CandidacyVerified', values: [candidate, verified] }),
  enterpriseSet: (account: Address, enterprise: boolean): SystemEvent => ({ name: 'EnterpriseSet', values: [account, enterprise] }),
  delegated: (delegator: Address, candidate: Address, amount: bigint, compRateBp: number): SystemEvent => ({
    name: 'Delegated',
    values: [delegator, candidate, amount, compRateBp],
  }),
  unstaked: (delegator: Address, candidate: Address, id: bigint, amount: bigint, matureTime: bigint): SystemEvent => ({
    name: 'Unstaked',
    values: [delegator, candidate, id, amount, matureTime],
  }),
  compRateSet: (candidate: Address, delegator: Address, compRateBp: number, amount: bigint): SystemEvent => ({
    name: 'CompRateSet',
    values: [candidate, delegator, compRateBp, amount],
  }),
});
