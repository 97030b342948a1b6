/**
 * The synchronous interpreter loop (src/evm/fast-step.ts) against the
 * library's own loop on the same engine code: an RPC engine with a 'step'
 * listener runs @ethereumjs/evm's loop (traces need it), one without runs
 * ours. The same messages over the same state (ERC-20 calls with SLOAD,
 * SSTORE, KECCAK256, LOG, RETURN; a custom-error revert; out of gas in the
 * middle of an SSTORE; a CLZ contract; a static-call violation) must give the
 * same status, gas, return data, logs and writes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Interface, getCreateAddress } from 'ethers';
import { acquireEngine, prevRandaoOf, releaseEngine, runMessage, type EvmBlockContext, type EvmMessage } from '../../src/evm/engine.js';
import { fastStepInstalled } from '../../src/evm/fast-step.js';
import { loadContract } from '../support/contracts.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { Overlay } from '../../src/store/kv.js';
import { executeTx } from '../../src/tx/executor.js';
import { intrinsicGas } from '../../src/tx/gas.js';
import { CMT, EMPTY_STATE, Sender, noSystem, rules, wallet } from '../support/evm.js';
import { compileForDefaultTarget } from '../support/solc-default.js';

const BLOCK: EvmBlockContext = { height: 5n, time: 1_700_000_000n, gasLimit: 30_000_000n, baseFee: 2_000_000_000n, prevRandao: prevRandaoOf(5n, undefined) };
const STATIC_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;
interface ICounter { function bump() external; }
contract Counter {
  uint256 public n;
  function bump() external { n += 1; }
  function tryStatic() external view returns (bool ok) {
    (ok, ) = address(this).staticcall(abi.encodeWithSelector(ICounter.bump.selector));
  }
  function clz(uint256 x) external pure returns (uint256 r) { assembly { r := clz(x) } }
}`;

describe('synchronous interpreter loop', () => {
  it('is installed, and gives what the library loop gives', async () => {
    const merchant = wallet(21);
    const alice = wallet(22);
    const m = new Sender(merchant.wallet, merchant.address);
    const state = new Overlay(EMPTY_STATE);
    new Accounts(state).credit(merchant.address, 100n * CMT);
    const token = loadContract('LoyaltyToken');
    const ti = new Interface(token.abi);
    const tokenAddress = getCreateAddress({ from: merchant.address, nonce: 0 }).toLowerCase() as Address;
    const counter = compileForDefaultTarget(STATIC_SOURCE, 'Counter');
    const ci = new Interface(counter.abi);
    const counterAddress = getCreateAddress({ from: merchant.address, nonce: 2 }).toLowerCase() as Address;
    const chain = rules();
    for (const tx of [
      await m.tx({ to: null, data: token.bytecode + ti.encodeDeploy(['Points', 'PTS', merchant.address]).slice(2) }),
      await m.tx({ to: tokenAddress, data: ti.encodeFunctionData('mint', [alice.address, 1_000n]) }),
      await m.tx({ to: null, data: counter.bytecode }),
    ]) {
      const outcome = await executeTx(tx, state, chain, { height: 4n, time: BLOCK.time }, noSystem);
      assert.equal(outcome.code, 0, outcome.log);
    }

    const message = (caller: Address, to: Address, data: string, gasLimit = 200_000n): EvmMessage => {
      const bytes = Buffer.from(data.slice(2), 'hex');
      return {
        caller,
        to,
        value: 0n,
        data: bytes,
        gasLimit,
        intrinsicGas: intrinsicGas({ to, data: bytes, accessList: [] }),
        gasPrice: 2_000_000_000n,
        accessList: [],
        incrementNonce: true,
      };
    };
    const messages: Array<[string, EvmMessage]> = [
      ['transfer', message(alice.address, tokenAddress, ti.encodeFunctionData('transfer', [merchant.address, 10n]))],
      ['transfer of everything (slot to zero: refund)', message(alice.address, tokenAddress, ti.encodeFunctionData('transfer', [merchant.address, 1_000n]))],
      ['custom-error revert', message(alice.address, tokenAddress, ti.encodeFunctionData('transfer', [merchant.address, 5_000n]))],
      ['out of gas', message(alice.address, tokenAddress, ti.encodeFunctionData('transfer', [merchant.address, 1n]), 40_000n)],
      ['approve (LOG3)', message(alice.address, tokenAddress, ti.encodeFunctionData('approve', [merchant.address, 7n]))],
      ['balanceOf (view)', message(alice.address, tokenAddress, ti.encodeFunctionData('balanceOf', [alice.address]))],
      ['SSTORE in a static call fails inside', message(alice.address, counterAddress, ci.encodeFunctionData('tryStatic', []))],
      ['CLZ', message(alice.address, counterAddress, ci.encodeFunctionData('clz', [1n << 77n]))],
      ['bump', message(alice.address, counterAddress, ci.encodeFunctionData('bump', []))],
    ];

    const expectSuccess = [true, true, false, false, true, true, true, true, true];
    const fast = await acquireEngine(18n, 'rpc', 'osaka');
    const traced = await acquireEngine(18n, 'rpc', 'osaka');
    assert.notEqual(fast, traced);
    assert.equal(fastStepInstalled, true, 'the loop is installed on this @ethereumjs/evm');
    let steps = 0;
    const onStep = (): void => {
      steps++;
    };
    traced.evm.events.on('step', onStep);
    try {
      for (const [i, [what, msg]] of messages.entries()) {
        const a = await runMessage(fast, state, msg, BLOCK);
        assert.equal(a.outcome.success, expectSuccess[i], `${what}: ${a.outcome.error ?? 'ok'}`);
        const stepsBefore = steps;
        const b = await runMessage(traced, state, msg, BLOCK);
        assert.ok(steps > stepsBefore, `${what}: the traced engine ran the library's loop`);
        assert.equal(a.outcome.success, b.outcome.success, `${what}: status`);
        assert.equal(a.outcome.gasUsed, b.outcome.gasUsed, `${what}: gas`);
        assert.equal(a.outcome.error, b.outcome.error, `${what}: error`);
        assert.deepEqual(Buffer.from(a.outcome.returnData), Buffer.from(b.outcome.returnData), `${what}: return data`);
        assert.deepEqual(a.outcome.logs, b.outcome.logs, `${what}: logs`);
        assert.deepEqual(a.changes.sortedChanges(), b.changes.sortedChanges(), `${what}: writes`);
      }
      const clz = await runMessage(fast, state, messages[7]![1], BLOCK);
      assert.equal(BigInt(`0x${Buffer.from(clz.outcome.returnData).toString('hex')}`), 255n - 77n);
      const statics = await runMessage(fast, state, messages[6]![1], BLOCK);
      assert.equal(BigInt(`0x${Buffer.from(statics.outcome.returnData).toString('hex')}`), 0n, 'the static SSTORE failed');
    } finally {
      traced.evm.events.off('step', onStep);
      releaseEngine(fast);
      releaseEngine(traced);
    }
  });
});
