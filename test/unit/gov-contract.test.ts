/**
 * The governance system contract: ABI (compiled from the shipped .sol with
 * solc and compared with the shipped JSON), dispatch, gas, payability,
 * events and view functions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hexlify, getBytes, type Result } from 'ethers';
import { Overlay } from '../../src/store/kv.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { CMT, DEFAULT_PARAMS, loadParams, saveParams } from '../../src/state/params.js';
import { GOVERNANCE_ADDRESS, SystemCallError, type SystemCallContext } from '../../src/system/types.js';
import { GovernanceContract, GOVERNANCE_GAS } from '../../src/gov/contract.js';
import { governanceInterface as iface } from '../../src/gov/abi.js';
import type { ValidatorPowerSource } from '../../src/gov/types.js';
import type { EvmLog } from '../../src/state/logs.js';

const require = createRequire(import.meta.url);
const solc = require('solc') as { compile(input: string): string };

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const A = addr(0xa1);
const B = addr(0xb2);
const C = addr(0xc3);
const OUTSIDER = addr(0xee);
const ALICE = addr(0x1001a);
const BOB = addr(0x1002b);

class Validators implements ValidatorPowerSource {
  constructor(public set: Array<{ address: Address; votingPower: bigint }>) {}
  validatorSet(): Array<{ address: Address; votingPower: bigint }> {
    return this.set.map((v) => ({ ...v }));
  }
}

function setup() {
  const block = new Overlay({ get: () => undefined });
  saveParams(block, { ...DEFAULT_PARAMS, proposal_period_s: 100n });
  new Accounts(block).credit(ALICE, 1_000n * CMT);
  const validators = new Validators([
    { address: A, votingPower: 10n * CMT },
    { address: B, votingPower: 10n * CMT },
    { address: C, votingPower: 10n * CMT },
  ]);
  return { block, validators };
}

const ctx = (sender: Address, time = 0n, value = 0n): SystemCallContext => ({
  sender,
  value,
  height: 1n,
  time,
  txHash: new Uint8Array(32),
});

/** Runs a call the way the executor does: in a scratch overlay that is kept only on success. */
function send(block: Overlay, validators: ValidatorPowerSource, c: SystemCallContext, data: string) {
  const scratch = new Overlay(block);
  const contract = GovernanceContract.over(scratch, validators);
  const result = contract.call(c, getBytes(data));
  scratch.commitTo(block);
  return result;
}

function parse(logs: EvmLog[]): Array<{ name: string; args: Result }> {
  return logs.map((l) => {
    assert.equal(l.address, GOVERNANCE_ADDRESS);
    const parsed = iface.parseLog({ topics: l.topics.map((t) => hexlify(t)), data: hexlify(l.data) });
    assert.ok(parsed !== null);
    return { name: parsed.name, args: parsed.args };
  });
}

function refused(fn: () => unknown, reason: string): void {
  assert.throws(fn, (err: unknown) => err instanceof SystemCallError && err.reason === reason);
}

describe('IGovernance ABI', () => {
  it('the shipped JSON is what solc compiles from contracts/IGovernance.sol', () => {
    const source = readFileSync(new URL('../../contracts/IGovernance.sol', import.meta.url), 'utf8');
    const output = JSON.parse(
      solc.compile(
        JSON.stringify({
          language: 'Solidity',
          sources: { 'IGovernance.sol': { content: source } },
          settings: { outputSelection: { '*': { '*': ['abi'] } } },
        }),
      ),
    ) as { errors?: Array<{ severity: string; formattedMessage: string }>; contracts: Record<string, Record<string, { abi: unknown[] }>> };
    const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
    assert.deepEqual(
      errors.map((e) => e.formattedMessage),
      [],
    );
    const compiled = output.contracts['IGovernance.sol']!['IGovernance']!.abi;
    const shipped = JSON.parse(readFileSync(new URL('../../contracts/abi/IGovernance.json', import.meta.url), 'utf8')) as unknown[];
    const key = (x: unknown) => JSON.stringify(x);
    assert.deepEqual([...compiled].map(key).sort(), [...shipped].map(key).sort());
  });

  it('has the functions of SPEC 8 with their exact signatures', () => {
    assert.ok(iface.getFunction('proposeParamChange(string,string,string)'));
    assert.ok(iface.getFunction('proposeTransferFund(address,address,uint256,string)'));
    assert.ok(iface.getFunction('vote(uint256,bool)'));
  });

  it('every function has a documented fixed gas cost', () => {
    const names: string[] = [];
    iface.forEachFunction((fn) => names.push(fn.name));
    names.sort();
    assert.deepEqual(names, Object.keys(GOVERNANCE_GAS).sort());
  });
});

describe('GovernanceContract calls', () => {
  it('proposes, returns the new id, and emits events', () => {
    const { block, validators } = setup();
    const data = iface.encodeFunctionData('proposeParamChange', ['inflation_rate_bp', '600', 'lower it']);
    const r = send(block, validators, ctx(A, 50n), data);
    assert.equal(iface.decodeFunctionResult('proposeParamChange', r.returnData)[0], 1n);
    const events = parse(r.logs);
    assert.deepEqual(
      events.map((e) => e.name),
      ['ProposalCreated', 'ParamChangeProposed'],
    );
    assert.equal(events[0]!.args[0], 1n);
    assert.equal(events[0]!.args[1].toLowerCase(), A);
    assert.equal(events[0]!.args[2], 0n);
    assert.equal(events[0]!.args[3], 150n);
    assert.deepEqual([...events[1]!.args], [1n, 'inflation_rate_bp', '600', 'lower it']);

    const data2 = iface.encodeFunctionData('proposeTransferFund', [ALICE, BOB, 5n * CMT, 'lost key']);
    const r2 = send(block, validators, ctx(B), data2);
    assert.equal(iface.decodeFunctionResult('proposeTransferFund', r2.returnData)[0], 2n);
    const e2 = parse(r2.logs);
    assert.deepEqual(
      e2.map((e) => e.name),
      ['ProposalCreated', 'TransferFundProposed'],
    );
    assert.deepEqual([e2[1]!.args[1].toLowerCase(), e2[1]!.args[2].toLowerCase(), e2[1]!.args[3]], [ALICE, BOB, 5n * CMT]);
    assert.equal(new Accounts(block).balance(ALICE), 995n * CMT);
  });

  it('keeps a leading U+FEFF of a reason through calldata and the stored record (issue 19)', () => {
    const { block, validators } = setup();
    const reason = '\uFEFFbyte order mark first';
    send(block, validators, ctx(A), iface.encodeFunctionData('proposeParamChange', ['inflation_rate_bp', '600', reason]));
    const stored = GovernanceContract.over(block, validators).ledger.getProposal(1n)!;
    assert.equal(stored.reason, reason);
    assert.equal(stored.reason.codePointAt(0), 0xfeff);
  });

  it('votes, and a deciding vote passes and applies the proposal in the same call', () => {
    const { block, validators } = setup();
    send(block, validators, ctx(A), iface.encodeFunctionData('proposeParamChange', ['free_tx_slots', '50', '']));
    const r1 = send(block, validators, ctx(A, 1n), iface.encodeFunctionData('vote', [1n, true]));
    assert.equal(r1.returnData.length, 0);
    assert.deepEqual(
      parse(r1.logs).map((e) => e.name),
      ['Voted'],
    );
    const r2 = send(block, validators, ctx(C, 1n), iface.encodeFunctionData('vote', [1n, true]));
    const events = parse(r2.logs);
    assert.deepEqual(
      events.map((e) => e.name),
      ['Voted', 'ProposalPassed', 'ParamChanged'],
    );
    assert.deepEqual([...events[1]!.args], [1n, 20n * CMT, 0n, 30n * CMT]);
    assert.deepEqual([...events[2]!.args], [1n, 'free_tx_slots', '50']);
    assert.equal(loadParams(block).free_tx_slots, 50);
  });

  it('is non-payable', () => {
    const { block, validators } = setup();
    const contract = GovernanceContract.over(new Overlay(block), validators);
    for (const data of [
      iface.encodeFunctionData('proposeParamChange', ['free_tx_slots', '50', '']),
      iface.encodeFunctionData('proposeTransferFund', [ALICE, BOB, 1n, '']),
      iface.encodeFunctionData('vote', [1n, true]),
      iface.encodeFunctionData('heldTotal', []),
    ]) {
      refused(() => contract.call(ctx(A, 0n, 1n), getBytes(data)), 'not_payable');
    }
  });

  it('reverts refused operations with a SystemCallError and a stable reason', () => {
    const { block, validators } = setup();
    const contract = GovernanceContract.over(new Overlay(block), validators);
    const call = (sender: Address, data: string) => () => contract.call(ctx(sender), getBytes(data));
    refused(call(OUTSIDER, iface.encodeFunctionData('proposeParamChange', ['free_tx_slots', '50', ''])), 'not_validator');
    refused(call(A, iface.encodeFunctionData('proposeParamChange', ['chain_id', '5', ''])), 'fixed_param');
    refused(call(A, iface.encodeFunctionData('proposeParamChange', ['inflation_rate_bp', '900', ''])), 'invalid_param_value');
    refused(call(A, iface.encodeFunctionData('proposeTransferFund', [BOB, ALICE, 1n, ''])), 'insufficient_balance');
    refused(call(A, iface.encodeFunctionData('vote', [7n, true])), 'unknown_proposal');
    refused(call(OUTSIDER, iface.encodeFunctionData('vote', [1n, true])), 'not_validator');
  });

  it('rejects unknown selectors and malformed calldata', () => {
    const { block, validators } = setup();
    const contract = GovernanceContract.over(new Overlay(block), validators);
    refused(() => contract.call(ctx(A), getBytes('0x12345678')), 'unknown_function');
    refused(() => contract.call(ctx(A), getBytes('0x1234')), 'bad_calldata');
    refused(() => contract.gasCost(getBytes('0xdeadbeef')), 'unknown_function');
    refused(() => contract.gasCost(new Uint8Array(0)), 'bad_calldata');
    const vote = iface.encodeFunctionData('vote', [1n, true]);
    refused(() => contract.call(ctx(A), getBytes(vote.slice(0, 40))), 'bad_calldata');
    refused(() => contract.view(getBytes('0xdeadbeef')), 'unknown_function');
  });

  it('charges a fixed gas per function, independent of the arguments', () => {
    const { block, validators } = setup();
    const contract = GovernanceContract.over(block, validators);
    const gas = (data: string) => contract.gasCost(getBytes(data));
    assert.equal(gas(iface.encodeFunctionData('proposeParamChange', ['a', 'b', ''])), 60_000n);
    assert.equal(gas(iface.encodeFunctionData('proposeParamChange', ['a', 'b', 'x'.repeat(3000)])), 60_000n);
    assert.equal(gas(iface.encodeFunctionData('proposeTransferFund', [ALICE, BOB, 1n, ''])), 60_000n);
    assert.equal(gas(iface.encodeFunctionData('vote', [1n, false])), 30_000n);
    assert.equal(gas(iface.encodeFunctionData('getProposal', [1n])), 5_000n);
    // Intrinsic (≥ 21,000) + the largest cost stays well under the default free_tx_gas_limit.
    for (const cost of Object.values(GOVERNANCE_GAS)) assert.ok(21_000n + cost < DEFAULT_PARAMS.free_tx_gas_limit / 2n);
  });
});

describe('GovernanceContract views', () => {
  it('answers getProposal, proposalCount, openProposals, getVotes and heldTotal', () => {
    const { block, validators } = setup();
    send(block, validators, ctx(A, 10n), iface.encodeFunctionData('proposeTransferFund', [ALICE, BOB, 7n * CMT, 'theft']));
    send(block, validators, ctx(B, 10n), iface.encodeFunctionData('proposeParamChange', ['max_validators', '21', '']));
    send(block, validators, ctx(C, 11n), iface.encodeFunctionData('vote', [1n, true]));
    send(block, validators, ctx(A, 11n), iface.encodeFunctionData('vote', [1n, false]));
    send(block, validators, ctx(B, 11n), iface.encodeFunctionData('vote', [2n, false]));
    send(block, validators, ctx(C, 11n), iface.encodeFunctionData('vote', [2n, false])); // 2/3 no: failed

    const contract = GovernanceContract.over(block, validators);
    const view = (fn: string, args: unknown[] = []) => iface.decodeFunctionResult(fn, contract.view(getBytes(iface.encodeFunctionData(fn, args))));

    assert.equal(view('proposalCount')[0], 2n);
    assert.deepEqual([...view('openProposals')[0]], [1n]);
    assert.equal(view('heldTotal')[0], 7n * CMT);
    const votes = view('getVotes', [1n]);
    assert.deepEqual(
      [...votes[0]].map((a: string) => a.toLowerCase()),
      [A, C],
    );
    assert.deepEqual([...votes[1]], [false, true]);

    const p1 = view('getProposal', [1n])[0];
    assert.equal(p1.id, 1n);
    assert.equal(p1.kind, 1n);
    assert.equal(p1.status, 0n);
    assert.equal(p1.proposer.toLowerCase(), A);
    assert.equal(p1.createdTime, 10n);
    assert.equal(p1.expiresAt, 110n);
    assert.equal(p1.closedHeight, 0n);
    assert.equal(p1.from.toLowerCase(), ALICE);
    assert.equal(p1.to.toLowerCase(), BOB);
    assert.equal(p1.amount, 7n * CMT);
    assert.equal(p1.reason, 'theft');
    assert.deepEqual([p1.yesPower, p1.noPower, p1.totalPower], [10n * CMT, 10n * CMT, 30n * CMT]);

    const p2 = view('getProposal', [2n])[0];
    assert.equal(p2.kind, 0n);
    assert.equal(p2.status, 2n);
    assert.equal(p2.paramName, 'max_validators');
    assert.equal(p2.paramValue, '21');
    assert.equal(p2.closedHeight, 1n);
    assert.match(p2.outcome, /^rejected/);

    refused(() => contract.view(getBytes(iface.encodeFunctionData('getProposal', [3n]))), 'unknown_proposal');
    refused(() => contract.view(getBytes(iface.encodeFunctionData('vote', [1n, true]))), 'not_view');

    // A view function sent in a transaction answers and changes nothing.
    const scratch = new Overlay(block);
    const r = GovernanceContract.over(scratch, validators).call(ctx(A), getBytes(iface.encodeFunctionData('heldTotal', [])));
    assert.equal(iface.decodeFunctionResult('heldTotal', r.returnData)[0], 7n * CMT);
    assert.deepEqual(r.logs, []);
    assert.equal(scratch.size, 0);
  });
});
