/**
 * Governance contract edges StrykerJS found untested (docs/TESTING.md,
 * issue 15): the exact revert texts of the refusals the contract words
 * itself (they are the revert data of the receipt, hashed into
 * LastResultsHash, so their text is consensus; the dispatcher's
 * RefusalWording keeps the wording governance has had since its first
 * version), and the empty payload fields getProposal returns for the
 * other kind of proposal (the struct always has both payloads).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getBytes } from 'ethers';
import { Overlay } from '../../src/store/kv.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { CMT, DEFAULT_PARAMS, saveParams } from '../../src/state/params.js';
import { SystemCallError, type SystemCallContext } from '../../src/system/types.js';
import { GovernanceContract } from '../../src/gov/contract.js';
import { governanceInterface as iface } from '../../src/gov/abi.js';
import type { ValidatorPowerSource } from '../../src/gov/types.js';

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const A = addr(0xa1);
const B = addr(0xb2);
const ALICE = addr(0x1001a);
const BOB = addr(0x1002b);
const ZERO = '0x0000000000000000000000000000000000000000';

function setup() {
  const block = new Overlay({ get: () => undefined });
  saveParams(block, { ...DEFAULT_PARAMS, proposal_period_s: 100n });
  new Accounts(block).credit(ALICE, 1_000n * CMT);
  const set = [A, B].map((address) => ({ address, votingPower: 10n * CMT }));
  const validators: ValidatorPowerSource = { validatorSet: () => set.map((v) => ({ ...v })) };
  return { block, validators };
}

const ctx = (sender: Address, value = 0n): SystemCallContext => ({ sender, value, height: 1n, time: 0n, txHash: new Uint8Array(32) });

/** Runs a call the way the executor does: in a scratch overlay that is kept only on success. */
function send(block: Overlay, validators: ValidatorPowerSource, sender: Address, data: string): void {
  const scratch = new Overlay(block);
  GovernanceContract.over(scratch, validators).call(ctx(sender), getBytes(data));
  scratch.commitTo(block);
}

/** The revert: a SystemCallError with exactly this reason code and text. */
function reverts(fn: () => unknown, reason: string, message: string): void {
  assert.throws(fn, (e: unknown) => e instanceof SystemCallError && e.reason === reason && e.message === message);
}

describe('governance contract refusal texts', () => {
  const { block, validators } = setup();
  const contract = GovernanceContract.over(new Overlay(block), validators);

  it('calldata shorter than a selector: bad_calldata, from call, view and gasCost', () => {
    const text = 'calldata is shorter than a 4-byte function selector';
    for (const data of [new Uint8Array(0), getBytes('0x123456')]) {
      reverts(() => contract.call(ctx(A), data), 'bad_calldata', text);
      reverts(() => contract.view(data), 'bad_calldata', text);
      reverts(() => contract.gasCost(data), 'bad_calldata', text);
    }
  });

  it('an unknown selector is named in the text, as 0x and 8 lowercase hex digits', () => {
    reverts(() => contract.call(ctx(A), getBytes('0xdeadbeef')), 'unknown_function', 'unknown governance function selector 0xdeadbeef');
    reverts(() => contract.view(getBytes('0x12345678ff')), 'unknown_function', 'unknown governance function selector 0x12345678');
    reverts(() => contract.gasCost(getBytes('0xABCDEF01')), 'unknown_function', 'unknown governance function selector 0xabcdef01');
  });

  it('malformed arguments name the function and the decoder fault', () => {
    const vote = getBytes(iface.encodeFunctionData('vote', [1n, true]));
    vote[vote.length - 1] = 2; // a bool word other than 0 or 1 (docs/GOVERNANCE.md)
    reverts(() => contract.call(ctx(A), vote), 'bad_calldata', 'malformed arguments for vote: vote argument 1: not a bool');
    const getProposal = iface.encodeFunctionData('getProposal', [1n]);
    reverts(() => contract.view(getBytes(getProposal.slice(0, 2 + 8 + 62))), 'bad_calldata', 'malformed arguments for getProposal: getProposal: calldata too short');
  });

  it('value sent to any function: not_payable naming the function', () => {
    const calls: Array<[string, string]> = [
      ['vote', iface.encodeFunctionData('vote', [1n, true])],
      ['proposeTransferFund', iface.encodeFunctionData('proposeTransferFund', [ALICE, BOB, 1n, ''])],
      ['heldTotal', iface.encodeFunctionData('heldTotal', [])],
    ];
    for (const [name, data] of calls) {
      reverts(() => contract.call(ctx(A, 1n), getBytes(data)), 'not_payable', `governance function ${name} is not payable: send no value`);
    }
  });

  it('a state-changing function asked as a view: not_view naming the function', () => {
    reverts(() => contract.view(getBytes(iface.encodeFunctionData('vote', [1n, true]))), 'not_view', 'vote changes state: send it in a transaction');
    reverts(
      () => contract.view(getBytes(iface.encodeFunctionData('proposeParamChange', ['free_tx_slots', '50', '']))),
      'not_view',
      'proposeParamChange changes state: send it in a transaction',
    );
  });

  it('getProposal and getVotes of an id that does not exist: unknown_proposal naming the id', () => {
    reverts(() => contract.view(getBytes(iface.encodeFunctionData('getProposal', [3n]))), 'unknown_proposal', 'no proposal with id 3');
    reverts(() => contract.view(getBytes(iface.encodeFunctionData('getVotes', [0n]))), 'unknown_proposal', 'no proposal with id 0');
    // 2^64 + 1: the id is printed in full decimal.
    reverts(() => contract.call(ctx(A), getBytes(iface.encodeFunctionData('getVotes', [2n ** 64n + 1n]))), 'unknown_proposal', `no proposal with id 18446744073709551617`);
  });
});

describe('governance contract getProposal payloads', () => {
  it('the payload of the other kind is empty: "" name and value for a transfer, zero addresses and amount for a param change', () => {
    const { block, validators } = setup();
    send(block, validators, A, iface.encodeFunctionData('proposeTransferFund', [ALICE, BOB, 7n * CMT, 'theft']));
    send(block, validators, B, iface.encodeFunctionData('proposeParamChange', ['max_validators', '21', 'more']));
    const contract = GovernanceContract.over(block, validators);
    const proposal = (id: bigint) => iface.decodeFunctionResult('getProposal', contract.view(getBytes(iface.encodeFunctionData('getProposal', [id]))))[0];

    const transfer = proposal(1n);
    assert.equal(transfer.kind, 1n);
    assert.equal(transfer.paramName, '');
    assert.equal(transfer.paramValue, '');
    assert.equal(transfer.amount, 7n * CMT);

    const param = proposal(2n);
    assert.equal(param.kind, 0n);
    assert.equal(param.paramName, 'max_validators');
    assert.equal(param.paramValue, '21');
    assert.equal(param.from, ZERO);
    assert.equal(param.to, ZERO);
    assert.equal(param.amount, 0n);
  });
});
