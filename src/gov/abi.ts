/**
 * The governance ABI (contracts/abi/IGovernance.json, compiled from
 * contracts/IGovernance.sol) and the event logs governance emits.
 */
import { Interface, getBytes, type InterfaceAbi } from 'ethers';
import abiJson from '../../contracts/abi/IGovernance.json' with { type: 'json' };
import type { Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';
import { GOVERNANCE_ADDRESS } from '../system/types.js';
import type { ProposalKind, Tally } from './types.js';

export const GOVERNANCE_ABI: InterfaceAbi = abiJson as InterfaceAbi;
export const governanceInterface = new Interface(GOVERNANCE_ABI);

function log(event: string, values: ReadonlyArray<unknown>): EvmLog {
  const fragment = governanceInterface.getEvent(event);
  if (fragment === null) throw new Error(`IGovernance has no event ${event}`);
  const encoded = governanceInterface.encodeEventLog(fragment, values);
  return {
    address: GOVERNANCE_ADDRESS,
    topics: encoded.topics.map((t) => getBytes(t)),
    data: getBytes(encoded.data),
  };
}

/** Event builders, one per event of IGovernance.sol. */
export const GovEvents = {
  proposalCreated: (id: bigint, proposer: Address, kind: ProposalKind, expiresAt: bigint): EvmLog =>
    log('ProposalCreated', [id, proposer, kind, expiresAt]),
  paramChangeProposed: (id: bigint, name: string, value: string, reason: string): EvmLog =>
    log('ParamChangeProposed', [id, name, value, reason]),
  transferFundProposed: (id: bigint, from: Address, to: Address, amount: bigint, reason: string): EvmLog =>
    log('TransferFundProposed', [id, from, to, amount, reason]),
  voted: (id: bigint, voter: Address, yes: boolean): EvmLog => log('Voted', [id, voter, yes]),
  proposalPassed: (id: bigint, t: Tally): EvmLog => log('ProposalPassed', [id, t.yes, t.no, t.total]),
  proposalFailed: (id: bigint, t: Tally, reason: string): EvmLog =>
    log('ProposalFailed', [id, t.yes, t.no, t.total, reason]),
  proposalExpired: (id: bigint, t: Tally): EvmLog => log('ProposalExpired', [id, t.yes, t.no, t.total]),
  paramChanged: (id: bigint, name: string, value: string): EvmLog => log('ParamChanged', [id, name, value]),
  fundTransferred: (id: bigint, from: Address, to: Address, amount: bigint): EvmLog =>
    log('FundTransferred', [id, from, to, amount]),
  fundReturned: (id: bigint, from: Address, amount: bigint): EvmLog => log('FundReturned', [id, from, amount]),
} as const;
