/**
 * Every event builder of the staking and governance ledgers
 * (src/staking/events.ts, src/gov/events.ts) against the shipped ABI
 * (contracts/abi/*.json): encoded as the system contracts encode their logs
 * and decoded by ethers, each event carries exactly the builder's arguments
 * under the ABI's field names, in its declaration order.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Interface, type InterfaceAbi } from 'ethers';
import { GOVERNANCE_ABI } from '../../src/gov/abi.js';
import { GovEvents } from '../../src/gov/events.js';
import { ProposalKind } from '../../src/gov/types.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { StakingEvents } from '../../src/staking/events.js';
import { encodeEventLog, eventEncoder, type AbiEntry } from '../../src/system/abi.js';
import type { SystemEvent } from '../../src/system/types.js';
import type { Address } from '../../src/util/address.js';

const A = '0x00000000000000000000000000000000000000a1' as Address;
const B = '0x00000000000000000000000000000000000000b2' as Address;
const CONTRACT = '0x0000000000000000000000000000000000001000' as Address;
const PUBKEY = `0x${'7e'.repeat(32)}` as const;
const TALLY = { yes: 70n, no: 20n, total: 100n };

/** The event's fields as ethers decodes them from the encoded log, by ABI name. */
function decoded(abi: InterfaceAbi, event: SystemEvent): Record<string, unknown> {
  const entry = (abi as readonly AbiEntry[]).find((e) => e.type === 'event' && e.name === event.name);
  assert.ok(entry !== undefined, `${event.name} is not an event of the ABI`);
  const log = encodeEventLog(CONTRACT, eventEncoder(entry), event.values);
  const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
  const parsed = new Interface(abi).parseLog({ topics: log.topics.map(hex), data: hex(log.data) });
  assert.ok(parsed !== null, `${event.name}: ethers does not recognise the log`);
  assert.equal(parsed.name, event.name);
  const out: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    const value: unknown = parsed.args[i];
    out[input.name] = typeof value === 'string' && value.startsWith('0x') && value.length === 42 ? value.toLowerCase() : value;
  });
  return out;
}

describe('system contract events', () => {
  it('governance: each builder gives its ABI event with its arguments in declaration order', () => {
    const cases: Array<[SystemEvent, string, Record<string, unknown>]> = [
      [GovEvents.proposalCreated(1n, A, ProposalKind.TransferFund, 900n), 'ProposalCreated', { id: 1n, proposer: A, kind: 1n, expiresAt: 900n }],
      [GovEvents.paramChangeProposed(2n, 'gas_price', '7', 'cheaper'), 'ParamChangeProposed', { id: 2n, name: 'gas_price', value: '7', reason: 'cheaper' }],
      [GovEvents.transferFundProposed(3n, A, B, 5n, 'grant'), 'TransferFundProposed', { id: 3n, from: A, to: B, amount: 5n, reason: 'grant' }],
      [GovEvents.voted(4n, B, true), 'Voted', { id: 4n, voter: B, yes: true }],
      [GovEvents.proposalPassed(5n, TALLY), 'ProposalPassed', { id: 5n, yesPower: 70n, noPower: 20n, totalPower: 100n }],
      [GovEvents.proposalFailed(6n, TALLY, 'vetoed'), 'ProposalFailed', { id: 6n, yesPower: 70n, noPower: 20n, totalPower: 100n, reason: 'vetoed' }],
      [GovEvents.proposalExpired(7n, TALLY), 'ProposalExpired', { id: 7n, yesPower: 70n, noPower: 20n, totalPower: 100n }],
      [GovEvents.paramChanged(8n, 'gas_price', '7'), 'ParamChanged', { id: 8n, name: 'gas_price', value: '7' }],
      [GovEvents.fundTransferred(9n, A, B, 5n), 'FundTransferred', { id: 9n, from: A, to: B, amount: 5n }],
      [GovEvents.fundReturned(10n, A, 5n), 'FundReturned', { id: 10n, from: A, amount: 5n }],
    ];
    assert.equal(cases.length, Object.keys(GovEvents).length, 'every governance builder is checked');
    for (const [event, name, fields] of cases) {
      assert.equal(event.name, name);
      assert.deepEqual(decoded(GOVERNANCE_ABI, event), fields, name);
    }
  });

  it('staking: each builder gives its ABI event with its arguments in declaration order', () => {
    const cases: Array<[SystemEvent, string, Record<string, unknown>]> = [
      [StakingEvents.candidacyDeclared(A, PUBKEY, 1000n, 1500, 300n), 'CandidacyDeclared', { candidate: A, pubKey: PUBKEY, maxStake: 1000n, compRateBp: 1500n, selfStake: 300n }],
      [
        StakingEvents.candidacyUpdated(A, 2000n, 2500, 40n, true),
        'CandidacyUpdated',
        { candidate: A, maxStake: 2000n, compRateBp: 2500n, addedSelfStake: 40n, verifiedCleared: true },
      ],
      [StakingEvents.candidacyWithdrawn(A, 340n, 604_800n), 'CandidacyWithdrawn', { candidate: A, amount: 340n, matureTime: 604_800n }],
      [StakingEvents.candidacyDeactivated(A), 'CandidacyDeactivated', { candidate: A }],
      [StakingEvents.candidacyActivated(B), 'CandidacyActivated', { candidate: B }],
      [StakingEvents.candidacyVerified(A, true), 'CandidacyVerified', { candidate: A, verified: true }],
      [StakingEvents.enterpriseSet(B, true), 'EnterpriseSet', { account: B, enterprise: true }],
      [StakingEvents.delegated(B, A, 77n, 1200), 'Delegated', { delegator: B, candidate: A, amount: 77n, compRateBp: 1200n }],
      [StakingEvents.unstaked(B, A, 12n, 50n, 700n), 'Unstaked', { delegator: B, candidate: A, requestId: 12n, amount: 50n, matureTime: 700n }],
      [StakingEvents.compRateSet(A, B, 900, 60n), 'CompRateSet', { candidate: A, delegator: B, compRateBp: 900n, amount: 60n }],
    ];
    assert.equal(cases.length, Object.keys(StakingEvents).length, 'every staking builder is checked');
    for (const [event, name, fields] of cases) {
      assert.equal(event.name, name);
      assert.deepEqual(decoded(STAKING_ABI, event), fields, name);
    }
  });
});
