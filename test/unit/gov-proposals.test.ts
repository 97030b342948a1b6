/**
 * Governance ledger rules (SPEC 8): who may propose and vote, param-change
 * validation, transfer-fund holds, tally thresholds, vote changes, expiry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Overlay } from '../../src/store/kv.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { CMT, DEFAULT_PARAMS, loadParams, saveParams, type Params } from '../../src/state/params.js';
import { GovernanceLedger, decide } from '../../src/gov/ledger.js';
import { decodeProposal, encodeProposal } from '../../src/gov/codec.js';
import { GovernanceError, MAX_OPEN_PROPOSALS_PER_PROPOSER, MAX_REASON_BYTES, ProposalStatus, type ValidatorPowerSource } from '../../src/gov/types.js';
import { governanceInterface } from '../../src/gov/abi.js';
import type { SystemEvent } from '../../src/system/types.js';

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const A = addr(0xa1);
const B = addr(0xb2);
const C = addr(0xc3);
const OUTSIDER = addr(0xee);
const ALICE = addr(0x1001a);
const BOB = addr(0x1002b);
const PERIOD = 100n;

/** Test data: a fixed, editable validator set. */
class Validators implements ValidatorPowerSource {
  constructor(public set: Array<{ address: Address; votingPower: bigint }>) {}
  validatorSet(): Array<{ address: Address; votingPower: bigint }> {
    return this.set.map((v) => ({ ...v }));
  }
  setPower(address: Address, power: bigint): void {
    this.set = this.set.map((v) => (v.address === address ? { address, votingPower: power } : v));
  }
  remove(address: Address): void {
    this.set = this.set.filter((v) => v.address !== address);
  }
}

function setup(powers: [bigint, bigint, bigint] = [CMT, CMT, CMT], params: Partial<Params> = {}) {
  const kv = new Overlay({ get: () => undefined });
  saveParams(kv, { ...DEFAULT_PARAMS, proposal_period_s: PERIOD, ...params });
  const accounts = new Accounts(kv);
  accounts.credit(ALICE, 1_000n * CMT);
  accounts.credit(BOB, 10n * CMT);
  const validators = new Validators([
    { address: A, votingPower: powers[0] },
    { address: B, votingPower: powers[1] },
    { address: C, votingPower: powers[2] },
  ]);
  const gov = new GovernanceLedger(kv, validators);
  return { kv, accounts, validators, gov };
}

const at = (time: bigint, height = 1n) => ({ height, time });

/** Asserts `fn` throws a GovernanceError with `reason` and leaves `kv` untouched. */
function refuses(kv: Overlay, fn: () => unknown, reason: string): void {
  const before = kv.sortedChanges();
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GovernanceError, `expected GovernanceError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
  assert.deepEqual(kv.sortedChanges(), before, 'a refused operation must not change state');
}

/** The names of a ledger operation's events, each checked to be an event of IGovernance. */
function eventNames(events: SystemEvent[]): string[] {
  return events.map((e) => {
    assert.ok(governanceInterface.getEvent(e.name) !== null, `IGovernance has no event ${e.name}`);
    return e.name;
  });
}

describe('decide (integer thresholds)', () => {
  it('passes at exactly 2/3 and fails only above 1/3', () => {
    assert.equal(decide({ yes: 2n, no: 0n, total: 3n }), 'pass');
    assert.equal(decide({ yes: 199n, no: 0n, total: 300n }), null);
    assert.equal(decide({ yes: 0n, no: 1n, total: 3n }), null);
    assert.equal(decide({ yes: 0n, no: 101n, total: 300n }), 'fail');
    assert.equal(decide({ yes: 0n, no: 0n, total: 0n }), null);
  });
});

describe('who may propose and vote', () => {
  it('refuses a proposal from a non-validator', () => {
    const { kv, gov } = setup();
    refuses(kv, () => gov.proposeParamChange(at(0n), OUTSIDER, 'inflation_rate_bp', '500', ''), 'not_validator');
    refuses(kv, () => gov.proposeTransferFund(at(0n), OUTSIDER, ALICE, BOB, CMT, ''), 'not_validator');
  });

  it('refuses a vote from a non-validator', () => {
    const { kv, gov } = setup();
    const { id } = gov.proposeParamChange(at(0n), A, 'inflation_rate_bp', '500', 'lower inflation');
    refuses(kv, () => gov.vote(at(1n), OUTSIDER, id, true), 'not_validator');
  });

  it('a backup or former validator (not in the set) may not vote; its earlier vote weighs nothing', () => {
    const { kv, gov, validators } = setup([3n * CMT, 3n * CMT, 3n * CMT]);
    const { id } = gov.proposeParamChange(at(0n), A, 'inflation_rate_bp', '500', '');
    gov.vote(at(1n), A, id, true);
    gov.vote(at(1n), B, id, true); // 6 of 9: passes at once
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Passed);

    const { id: id2 } = gov.proposeParamChange(at(2n), A, 'inflation_rate_bp', '400', '');
    gov.vote(at(2n), A, id2, true);
    validators.remove(A);
    refuses(kv, () => gov.vote(at(3n), A, id2, true), 'not_validator');
    // A's yes no longer counts; B alone is 3 of 6 (< 2/3) so nothing is decided.
    gov.vote(at(3n), B, id2, true);
    assert.equal(gov.getProposal(id2)!.status, ProposalStatus.Open);
    assert.deepEqual(gov.proposal(id2)!.tally, { yes: (3n * CMT).toString(), no: '0', total: (6n * CMT).toString() });
  });
});

describe('param change proposals', () => {
  it('refuses unknown and fixed params', () => {
    const { kv, gov } = setup();
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'no_such_param', '1', ''), 'unknown_param');
    refuses(kv, () => gov.proposeParamChange(at(0n), A, '__proto__', '1', ''), 'unknown_param');
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'chain_id', '19', ''), 'fixed_param');
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'foundation_address', addr(5), ''), 'fixed_param');
  });

  it('refuses inflation above 8% and accepts a lower one', () => {
    const { kv, gov } = setup();
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'inflation_rate_bp', '801', ''), 'invalid_param_value');
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'inflation_rate_bp', '10000', ''), 'invalid_param_value');
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'inflation_rate_bp', '800', ''), 'param_unchanged');
    const { id } = gov.proposeParamChange(at(0n), A, 'inflation_rate_bp', '700', '');
    assert.equal(id, 1n);
  });

  it('refuses malformed values', () => {
    const { kv, gov } = setup();
    for (const [name, value] of [
      ['max_validators', 'abc'],
      ['max_validators', '-1'],
      ['max_validators', '1.5'],
      ['max_validators', '0'],
      ['max_validators', ''],
      ['slash_enabled', 'yes'],
      ['slash_ratio_bp', '10001'],
      ['supply_cap', (2n ** 256n).toString()],
      ['proposal_period_s', '0'],
    ] as const) {
      refuses(kv, () => gov.proposeParamChange(at(0n), A, name, value, ''), 'invalid_param_value');
    }
  });

  it('refuses values outside their documented ranges, naming the range (SPEC 3, issue 8.7)', () => {
    const { kv, gov } = setup();
    const refusedWith = (name: string, value: string, range: RegExp): void => {
      refuses(kv, () => gov.proposeParamChange(at(0n), A, name, value, ''), 'invalid_param_value');
      assert.throws(() => gov.proposeParamChange(at(0n), A, name, value, ''), range);
    };
    refusedWith('unstake_waiting_period_s', (2n ** 64n).toString(), /outside its valid range 1 s … 90 days/);
    refusedWith('unstake_waiting_period_s', '7776001', /90 days/);
    refusedWith('free_tx_gas_limit', '100000000000', /outside its valid range 21000 … 1000000000/);
    refusedWith('free_tx_gas_limit', '40000000', /must not exceed block_gas_limit \(15000000\)/);
    refusedWith('supply_cap', (20_000_000_000n * CMT).toString(), /outside its valid range 0 … 10\^10 CMT/);
    refusedWith('late_inflation_rate_bp', '801', /0 … 800/);
    refusedWith('block_gas_limit', '400000', /1000000 … 1000000000/);
    refusedWith('proposal_period_s', '7776001', /90 days/);
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'seconds_per_year', '3600', ''), 'fixed_param');
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'inflation_years', '20', ''), 'fixed_param');
    // Inside the ranges: accepted.
    gov.proposeParamChange(at(0n), A, 'supply_cap', (5_000_000_000n * CMT).toString(), 'lower the cap');
    gov.proposeParamChange(at(0n), A, 'late_inflation_rate_bp', '300', 'the community decides');
    gov.proposeParamChange(at(0n), A, 'block_gas_limit', '40000000', 'bigger blocks');
  });

  it('refuses a value inconsistent with the other params', () => {
    const { kv, gov } = setup();
    // address_min_stake above the current address_max_stake (100,000 CMT).
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'address_min_stake', (200_000n * CMT).toString(), ''), 'invalid_param_value');
  });

  it('stores the canonical value and applies it when passed', () => {
    const { kv, gov } = setup();
    const r = gov.proposeParamChange(at(10n, 5n), A, 'slash_enabled', ' false ', 'testing');
    assert.deepEqual(eventNames(r.events), ['ProposalCreated', 'ParamChangeProposed']);
    assert.equal(gov.getProposal(r.id)!.param!.value, 'false');
    assert.equal(gov.getProposal(r.id)!.expiresAt, 10n + PERIOD);
    assert.equal(loadParams(kv).slash_enabled, true);
    assert.deepEqual(eventNames(gov.vote(at(11n), A, r.id, true)), ['Voted']);
    const logs = gov.vote(at(12n, 6n), C, r.id, true);
    assert.deepEqual(eventNames(logs), ['Voted', 'ProposalPassed', 'ParamChanged']);
    assert.equal(loadParams(kv).slash_enabled, false);
    const p = gov.proposal(r.id)!;
    assert.equal(p.status, 'passed');
    assert.equal(p.closedHeight, '6');
    assert.deepEqual(gov.openProposalIds(), []);
  });

  it('fails instead of applying when the param set became inconsistent meanwhile', () => {
    const { kv, gov } = setup();
    const lowerMax = gov.proposeParamChange(at(0n), A, 'address_max_stake', (2_000n * CMT).toString(), '').id;
    const raiseMin = gov.proposeParamChange(at(0n), B, 'address_min_stake', (5_000n * CMT).toString(), '').id;
    gov.vote(at(1n), A, lowerMax, true);
    gov.vote(at(1n), B, lowerMax, true);
    assert.equal(loadParams(kv).address_max_stake, 2_000n * CMT);
    gov.vote(at(2n), A, raiseMin, true);
    const logs = gov.vote(at(2n), B, raiseMin, true);
    assert.deepEqual(eventNames(logs), ['Voted', 'ProposalFailed']);
    const p = gov.getProposal(raiseMin)!;
    assert.equal(p.status, ProposalStatus.Failed);
    assert.match(p.outcome, /could not be applied: .*address_min_stake/);
    assert.equal(loadParams(kv).address_min_stake, DEFAULT_PARAMS.address_min_stake);
  });

  it('uses proposal_period_s as it was when proposed', () => {
    const { gov } = setup();
    const shorten = gov.proposeParamChange(at(0n), A, 'proposal_period_s', '10', '').id;
    const other = gov.proposeParamChange(at(0n), A, 'max_validators', '21', '').id;
    gov.vote(at(1n), A, shorten, true);
    gov.vote(at(1n), B, shorten, true);
    assert.equal(gov.getProposal(other)!.expiresAt, PERIOD);
    const later = gov.proposeParamChange(at(5n), A, 'max_validators', '22', '').id;
    assert.equal(gov.getProposal(later)!.expiresAt, 15n);
  });
});

describe('tally', () => {
  it('passes at exactly 2/3 of total power, not below', () => {
    // total 450 CMT; 2/3 = 300 CMT.
    const { gov } = setup([299n * CMT, 1n * CMT, 150n * CMT]);
    const { id } = gov.proposeParamChange(at(0n), A, 'max_validators', '21', '');
    gov.vote(at(1n), A, id, true);
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Open);
    gov.endBlock(at(1n));
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Open);
    gov.vote(at(2n), B, id, true);
    const p = gov.getProposal(id)!;
    assert.equal(p.status, ProposalStatus.Passed);
    assert.deepEqual(p.finalTally, { yes: 300n * CMT, no: 0n, total: 450n * CMT });
  });

  it('fails as soon as no > 1/3, not at exactly 1/3', () => {
    const { accounts, gov } = setup([200n * CMT, 100n * CMT, 150n * CMT]);
    const { id } = gov.proposeTransferFund(at(0n), A, ALICE, BOB, 100n * CMT, '');
    const logs1 = gov.vote(at(1n), C, id, false); // 150 of 450: exactly 1/3
    assert.deepEqual(eventNames(logs1), ['Voted']);
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Open);
    gov.endBlock(at(1n));
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Open);
    const logs2 = gov.vote(at(2n), B, id, false); // 250 of 450
    assert.deepEqual(eventNames(logs2), ['Voted', 'ProposalFailed', 'FundReturned']);
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Failed);
    assert.equal(accounts.balance(ALICE), 1_000n * CMT);
    assert.equal(gov.heldTotal(), 0n);
  });

  it('lets a validator change its vote; the latest vote counts', () => {
    const { gov } = setup();
    const { id } = gov.proposeParamChange(at(0n), A, 'max_validators', '21', '');
    gov.vote(at(1n), A, id, false); // 1/3 no: not failed
    assert.deepEqual(gov.getProposal(id)!.votes, [{ voter: A, yes: false }]);
    assert.deepEqual(eventNames(gov.vote(at(1n), A, id, true)), ['Voted']);
    assert.deepEqual(gov.getProposal(id)!.votes, [{ voter: A, yes: true }]);
    gov.vote(at(2n), C, id, false); // yes 1, no 1 of 3
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Open);
    assert.deepEqual(gov.proposal(id)!.tally, { yes: CMT.toString(), no: CMT.toString(), total: (3n * CMT).toString() });
    const logs = gov.vote(at(3n), C, id, true); // C changes its mind: 2/3 yes
    assert.deepEqual(eventNames(logs), ['Voted', 'ProposalPassed', 'ParamChanged']);
    assert.deepEqual(gov.proposal(id)!.votes, [
      { voter: A, yes: true },
      { voter: C, yes: true },
    ]);
  });

  it('re-tallies at the end of a block with the powers of that moment', () => {
    const { gov, validators } = setup([CMT, CMT, CMT]);
    const { id } = gov.proposeParamChange(at(0n), A, 'max_validators', '21', '');
    gov.vote(at(1n), A, id, true); // 1 of 3
    assert.deepEqual(gov.endBlock(at(1n)), []);
    validators.setPower(A, 4n * CMT); // 4 of 6 = exactly 2/3
    const logs = gov.endBlock(at(2n, 2n));
    assert.deepEqual(eventNames(logs), ['ProposalPassed', 'ParamChanged']);
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Passed);
    assert.equal(gov.getProposal(id)!.closedHeight, 2n);
  });

  it('decides nothing when validators have no power at all', () => {
    const { gov, validators } = setup([0n, 0n, 0n]);
    const { id } = gov.proposeParamChange(at(0n), A, 'max_validators', '21', '');
    gov.vote(at(1n), A, id, true);
    gov.vote(at(1n), B, id, false);
    gov.endBlock(at(1n));
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Open);
    validators.set = [];
    gov.endBlock(at(2n));
    assert.equal(gov.getProposal(id)!.status, ProposalStatus.Open);
  });

  it('refuses votes on unknown and closed proposals', () => {
    const { kv, gov } = setup();
    refuses(kv, () => gov.vote(at(0n), A, 1n, true), 'unknown_proposal');
    refuses(kv, () => gov.vote(at(0n), A, 0n, true), 'unknown_proposal');
    refuses(kv, () => gov.vote(at(0n), A, 2n ** 255n, true), 'unknown_proposal');
    const { id } = gov.proposeParamChange(at(0n), A, 'max_validators', '21', '');
    gov.vote(at(1n), A, id, true);
    gov.vote(at(1n), B, id, true);
    refuses(kv, () => gov.vote(at(2n), C, id, false), 'proposal_closed');
  });

  it('refuses an inconsistent validator set loudly (internal fault, not a refusal)', () => {
    const { gov, validators } = setup();
    validators.set = [...validators.set, { address: A, votingPower: 1n }];
    assert.throws(() => gov.proposeParamChange(at(0n), A, 'max_validators', '21', ''), /appears twice/);
  });
});

describe('expiry', () => {
  it('accepts votes before expiresAt, refuses them from then on, and expires at the first endBlock after', () => {
    const { kv, gov, accounts } = setup();
    const { id } = gov.proposeTransferFund(at(1000n), A, ALICE, BOB, 50n * CMT, 'stolen');
    const expiresAt = 1000n + PERIOD;
    gov.vote(at(expiresAt - 1n), A, id, true);
    assert.deepEqual(gov.endBlock(at(expiresAt - 1n)), []);
    refuses(kv, () => gov.vote(at(expiresAt), B, id, true), 'proposal_expired');
    const logs = gov.endBlock(at(expiresAt, 9n));
    assert.deepEqual(eventNames(logs), ['ProposalExpired', 'FundReturned']);
    const p = gov.proposal(id)!;
    assert.equal(p.status, 'expired');
    assert.equal(p.closedHeight, '9');
    assert.equal(p.tally.yes, CMT.toString());
    assert.equal(accounts.balance(ALICE), 1_000n * CMT);
    assert.equal(accounts.balance(BOB), 10n * CMT);
    assert.equal(gov.heldTotal(), 0n);
    refuses(kv, () => gov.vote(at(expiresAt + 1n), B, id, true), 'proposal_closed');
  });

  it('expires a proposal even if the block after the period would pass it', () => {
    const { kv, gov, validators } = setup();
    const { id } = gov.proposeParamChange(at(0n), A, 'max_validators', '21', '');
    gov.vote(at(1n), A, id, true);
    validators.setPower(A, 10n * CMT);
    assert.deepEqual(eventNames(gov.endBlock(at(PERIOD + 5n))), ['ProposalExpired']);
    assert.equal(loadParams(kv).max_validators, 19);
  });
});

describe('transfer fund', () => {
  it('holds the amount at once and pays it to `to` when passed', () => {
    const { gov, accounts } = setup();
    const r = gov.proposeTransferFund(at(0n), B, ALICE, BOB, 400n * CMT, 'recover stolen CMT');
    assert.deepEqual(eventNames(r.events), ['ProposalCreated', 'TransferFundProposed']);
    assert.equal(accounts.balance(ALICE), 600n * CMT);
    assert.equal(gov.heldTotal(), 400n * CMT);
    assert.deepEqual(gov.proposal(r.id)!.transfer, { from: ALICE, to: BOB, amount: (400n * CMT).toString() });
    gov.vote(at(1n), A, r.id, true);
    const logs = gov.vote(at(1n), B, r.id, true);
    assert.deepEqual(eventNames(logs), ['Voted', 'ProposalPassed', 'FundTransferred']);
    assert.equal(accounts.balance(ALICE), 600n * CMT);
    assert.equal(accounts.balance(BOB), 410n * CMT);
    assert.equal(gov.heldTotal(), 0n);
  });

  it('holds several proposals against one account and returns a failed one', () => {
    const { gov, accounts } = setup();
    const p1 = gov.proposeTransferFund(at(0n), A, ALICE, BOB, 700n * CMT, '').id;
    const p2 = gov.proposeTransferFund(at(0n), A, ALICE, C, 300n * CMT, '').id;
    assert.equal(accounts.balance(ALICE), 0n);
    assert.equal(gov.heldTotal(), 1_000n * CMT);
    gov.vote(at(1n), B, p1, false);
    gov.vote(at(1n), C, p1, false);
    assert.equal(accounts.balance(ALICE), 700n * CMT);
    assert.equal(gov.heldTotal(), 300n * CMT);
    gov.vote(at(1n), B, p2, true);
    gov.vote(at(1n), C, p2, true);
    assert.equal(accounts.balance(C), 300n * CMT);
    assert.equal(gov.heldTotal(), 0n);
  });

  it('refuses a hold larger than the balance, a zero amount and from = to', () => {
    const { kv, gov } = setup();
    refuses(kv, () => gov.proposeTransferFund(at(0n), A, BOB, ALICE, 10n * CMT + 1n, ''), 'insufficient_balance');
    refuses(kv, () => gov.proposeTransferFund(at(0n), A, OUTSIDER, ALICE, 1n, ''), 'insufficient_balance');
    refuses(kv, () => gov.proposeTransferFund(at(0n), A, BOB, ALICE, 0n, ''), 'zero_amount');
    refuses(kv, () => gov.proposeTransferFund(at(0n), A, BOB, BOB, 1n, ''), 'same_address');
    gov.proposeTransferFund(at(0n), A, BOB, ALICE, 10n * CMT, '');
    refuses(kv, () => gov.proposeTransferFund(at(0n), A, BOB, ALICE, 1n, ''), 'insufficient_balance');
  });
});

describe('limits', () => {
  it('refuses an over-long reason', () => {
    const { kv, gov } = setup();
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'max_validators', '21', 'x'.repeat(MAX_REASON_BYTES + 1)), 'reason_too_long');
    gov.proposeParamChange(at(0n), A, 'max_validators', '21', 'x'.repeat(MAX_REASON_BYTES));
  });

  it('caps the open proposals of one proposer', () => {
    const { kv, gov } = setup();
    for (let i = 0; i < MAX_OPEN_PROPOSALS_PER_PROPOSER; i++) {
      gov.proposeParamChange(at(0n), A, 'max_validators', String(20 + i), '');
    }
    refuses(kv, () => gov.proposeParamChange(at(0n), A, 'max_validators', '50', ''), 'too_many_open_proposals');
    gov.proposeParamChange(at(0n), B, 'max_validators', '50', '');
    gov.endBlock(at(PERIOD));
    gov.proposeParamChange(at(PERIOD), A, 'max_validators', '50', '');
  });
});

describe('queries and encoding', () => {
  it('lists proposals as JSON-friendly objects', () => {
    const { gov } = setup();
    gov.proposeParamChange(at(7n, 3n), A, 'max_validators', '21', 'more validators');
    gov.proposeTransferFund(at(7n, 3n), B, ALICE, BOB, 5n, 'refund');
    gov.vote(at(8n), C, 2n, false);
    gov.vote(at(8n), A, 2n, false);
    const all = gov.proposals();
    assert.equal(all.length, 2);
    assert.deepEqual(all[0], {
      id: '1',
      kind: 'param_change',
      status: 'open',
      proposer: A,
      reason: 'more validators',
      createdHeight: '3',
      createdTime: '7',
      expiresAt: String(7n + PERIOD),
      closedHeight: null,
      closedTime: null,
      outcome: '',
      param: { name: 'max_validators', value: '21' },
      transfer: null,
      votes: [],
      tally: { yes: '0', no: '0', total: (3n * CMT).toString() },
    });
    assert.equal(all[1]!.status, 'failed');
    assert.equal(all[1]!.kind, 'transfer_fund');
    assert.match(all[1]!.outcome, /^rejected/);
    assert.deepEqual(
      gov.proposals({ status: 'open' }).map((p) => p.id),
      ['1'],
    );
    assert.deepEqual(
      gov.proposals({ status: 'failed' }).map((p) => p.id),
      ['2'],
    );
    assert.equal(gov.proposal(3n), undefined);
    assert.equal(gov.proposalCount(), 2n);
    // JSON-safe: no bigint anywhere.
    assert.doesNotThrow(() => JSON.stringify(all));
  });

  it('round-trips proposal records and writes only g/ keys', () => {
    const { kv, gov } = setup();
    const before = new Set(kv.sortedChanges().map(([k]) => k));
    gov.proposeTransferFund(at(0n), A, ALICE, BOB, 5n, 'ünïcödé reason');
    gov.vote(at(1n), C, 1n, true);
    gov.vote(at(1n), A, 1n, true);
    const p = gov.getProposal(1n)!;
    assert.deepEqual(decodeProposal(encodeProposal(p)), p);
    const written = kv
      .sortedChanges()
      .map(([k]) => k)
      .filter((k) => !before.has(k));
    assert.deepEqual(written, ['g/p/0000000000000001', 'g/state']);
  });

  it('is deterministic: the same operations give the same state bytes', () => {
    const run = () => {
      const { kv, gov } = setup([5n, 7n, 11n]);
      gov.proposeTransferFund(at(0n), A, ALICE, BOB, 5n, '');
      gov.proposeParamChange(at(0n), B, 'free_tx_slots', '10', '');
      gov.vote(at(1n), C, 2n, true);
      gov.vote(at(1n), B, 2n, true);
      gov.vote(at(1n), A, 1n, false);
      gov.endBlock(at(PERIOD + 1n));
      return kv.sortedChanges();
    };
    assert.deepEqual(run(), run());
  });
});
