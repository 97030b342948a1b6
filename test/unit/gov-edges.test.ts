/**
 * Governance ledger edges StrykerJS found untested (docs/TESTING.md): the
 * refusal messages (they become the revert data of the transaction, which
 * is hashed into LastResultsHash, so their text is consensus), a proposal
 * failing in endBlock rather than on a vote, a closed proposal keeping its
 * final tally, the open-id list, ids beyond 64 bits, amounts beyond uint256,
 * a validator set with negative power, the codec's 255 bound.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';

import { Overlay } from '../../src/store/kv.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { CMT, DEFAULT_PARAMS, saveParams } from '../../src/state/params.js';
import { GovernanceLedger } from '../../src/gov/ledger.js';
import { decodeProposal, encodeProposal } from '../../src/gov/codec.js';
import { GovernanceError, MAX_OPEN_PROPOSALS_PER_PROPOSER, MAX_REASON_BYTES, ProposalStatus, type ValidatorPowerSource } from '../../src/gov/types.js';

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const A = addr(0xa1);
const B = addr(0xb2);
const C = addr(0xc3);
const OUTSIDER = addr(0xee);
const ALICE = addr(0x1001a);
const BOB = addr(0x1002b);
const PERIOD = 100n;
const at = (time: bigint, height = 1n) => ({ height, time });

function setup(powers: bigint[] = [CMT, CMT, CMT]) {
  const kv = new Overlay({ get: () => undefined });
  saveParams(kv, { ...DEFAULT_PARAMS, proposal_period_s: PERIOD });
  new Accounts(kv).credit(ALICE, 1_000n * CMT);
  const set = [A, B, C].map((address, i) => ({ address, votingPower: powers[i]! }));
  const validators: ValidatorPowerSource & { set: typeof set } = { set, validatorSet: () => validators.set.map((v) => ({ ...v })) };
  return { kv, validators, gov: new GovernanceLedger(kv, validators) };
}

function refused(fn: () => unknown, reason: string, message: string): void {
  assert.throws(fn, (e: unknown) => e instanceof GovernanceError && e.name === 'GovernanceError' && e.reason === reason && e.message === message);
}

describe('governance edges', () => {
  it('refusal messages, exactly', () => {
    const { gov } = setup();
    refused(() => gov.proposeParamChange(at(0n), OUTSIDER, 'max_validators', '21', ''), 'not_validator', `${OUTSIDER} is not a current validator: only validators may propose`);
    refused(() => gov.proposeTransferFund(at(0n), OUTSIDER, ALICE, BOB, 1n, ''), 'not_validator', `${OUTSIDER} is not a current validator: only validators may propose`);
    refused(() => gov.vote(at(0n), OUTSIDER, 1n, true), 'not_validator', `${OUTSIDER} is not a current validator: only validators may vote`);
    refused(() => gov.proposeParamChange(at(0n), A, 'nope', '1', ''), 'unknown_param', "unknown parameter 'nope'");
    refused(() => gov.proposeParamChange(at(0n), A, 'chain_id', '1', ''), 'fixed_param', "parameter 'chain_id' is fixed and cannot be changed by governance");
    refused(() => gov.proposeParamChange(at(0n), A, 'max_validators', '19', ''), 'param_unchanged', "parameter 'max_validators' is already 19");
    refused(() => gov.proposeTransferFund(at(0n), A, ALICE, BOB, 0n, ''), 'zero_amount', 'the amount to transfer must be greater than zero');
    refused(() => gov.proposeTransferFund(at(0n), A, ALICE, BOB, 2n ** 256n, ''), 'invalid_amount', 'the amount does not fit a uint256');
    // Exactly 2^256 − 1 fits: it is refused only for the balance.
    refused(
      () => gov.proposeTransferFund(at(0n), A, ALICE, BOB, 2n ** 256n - 1n, ''),
      'insufficient_balance',
      `insufficient balance to hold: ${ALICE} has ${1_000n * CMT} wei, the proposal needs ${2n ** 256n - 1n} wei`,
    );
    refused(() => gov.proposeTransferFund(at(0n), A, ALICE, ALICE, 1n, ''), 'same_address', 'from and to are the same address');
    refused(() => gov.proposeTransferFund(at(0n), A, BOB, ALICE, 5n, ''), 'insufficient_balance', `insufficient balance to hold: ${BOB} has 0 wei, the proposal needs 5 wei`);
    refused(() => gov.vote(at(0n), A, 9n, true), 'unknown_proposal', 'no proposal with id 9');
    refused(
      () => gov.proposeParamChange(at(0n), A, 'max_validators', '21', 'é'.repeat(MAX_REASON_BYTES / 2 + 1)),
      'reason_too_long',
      `reason is ${MAX_REASON_BYTES + 2} bytes, at most ${MAX_REASON_BYTES} are allowed`,
    );
    const { id } = gov.proposeParamChange(at(0n), A, 'max_validators', '21', 'é'.repeat(MAX_REASON_BYTES / 2));
    refused(() => gov.vote(at(PERIOD), B, id, true), 'proposal_expired', `proposal ${id} expired at time ${PERIOD}`);
    for (let i = 1; i < MAX_OPEN_PROPOSALS_PER_PROPOSER; i++) gov.proposeParamChange(at(0n), A, 'free_tx_slots', String(i), '');
    refused(
      () => gov.proposeParamChange(at(0n), A, 'free_tx_slots', '99', ''),
      'too_many_open_proposals',
      `${A} already has ${MAX_OPEN_PROPOSALS_PER_PROPOSER} open proposals (at most ${MAX_OPEN_PROPOSALS_PER_PROPOSER})`,
    );
  });

  it('a proposal that the end-of-block tally rejects fails (not passes) and returns the held amount', () => {
    const { kv, gov, validators } = setup([CMT, CMT, CMT]);
    const { id } = gov.proposeTransferFund(at(0n), A, ALICE, BOB, 7n, '');
    gov.vote(at(1n), A, id, false); // 1 of 3: not more than 1/3
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Open);
    validators.set[1]!.votingPower = 0n; // now 1 of 2 say no: more than 1/3
    gov.endBlock(at(2n, 2n));
    const p = gov.getProposal(id)!;
    assert.equal(p.status, ProposalStatus.Failed);
    assert.equal(p.outcome, `rejected: yes 0, no ${CMT} of ${2n * CMT} voting power`);
    assert.equal(gov.heldTotal(), 0n);
    assert.equal(new Accounts(kv).balance(ALICE), 1_000n * CMT);
  });

  it('a closed proposal shows its final tally whatever the powers become; the open list; nothing open, no logs', () => {
    const { gov, validators } = setup([CMT, CMT, CMT]);
    assert.deepEqual(gov.endBlock(at(1n)), []);
    const first = gov.proposeParamChange(at(0n), A, 'max_validators', '21', '').id;
    const second = gov.proposeParamChange(at(0n), B, 'free_tx_slots', '5', '').id;
    assert.deepEqual(gov.openProposalIds(), [first, second]);
    gov.vote(at(1n), A, first, true);
    gov.vote(at(1n), B, first, true); // 2 of 3: passed
    assert.deepEqual(gov.openProposalIds(), [second]);
    validators.set[0]!.votingPower = 10n * CMT;
    assert.deepEqual(gov.proposal(first)!.tally, { yes: (2n * CMT).toString(), no: '0', total: (3n * CMT).toString() });
  });

  it('ids beyond 64 bits and negative voting power', () => {
    const { gov, validators } = setup();
    assert.equal(gov.getProposal(2n ** 64n), undefined);
    assert.equal(gov.getProposal(0n), undefined);
    assert.equal(gov.getProposal(-1n), undefined);
    validators.set[2]!.votingPower = -1n;
    assert.throws(() => gov.powerTable(), { message: `validator ${C} has negative voting power -1` });
  });

  it('the codec refuses a kind or status byte above 255 as out of range, 255 itself as an unknown value', () => {
    const { gov } = setup();
    const { id } = gov.proposeParamChange(at(0n), A, 'max_validators', '21', '');
    const fields = RLP.decode(encodeProposal(gov.getProposal(id)!)) as Uint8Array[];
    fields[2] = Uint8Array.of(255);
    assert.throws(() => decodeProposal(RLP.encode(fields)), { message: 'corrupt governance record: status' });
    fields[2] = Uint8Array.of(0);
    fields[1] = Uint8Array.of(255);
    assert.throws(() => decodeProposal(RLP.encode(fields)), { message: 'corrupt governance record: kind' });
  });
});
