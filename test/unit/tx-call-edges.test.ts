/**
 * Edges of eth_call / eth_estimateGas (src/tx/call.ts): the exact
 * boundaries of the refusals (intrinsic gas, EIP-3860 init code, value vs
 * balance, gas cap), EIP-7702 authorizations (intrinsic gas, warm
 * authorities, refunds, nonce order, the pre-osaka refusal), the recorded
 * block hash as PREVRANDAO seed, GASPRICE, the EIP-7623 floor of estimates,
 * a gas-dependent contract's exact estimate, and the system-address paths
 * (view, not_view simulation, out of gas, refusals, insufficient balance,
 * faults that must propagate). Contracts are tiny hand-assembled bytecodes
 * so every expected gas figure is derived from the opcode costs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Interface, concat, getBytes, getCreateAddress, hexlify, keccak256, toUtf8Bytes, type Authorization as EthersAuthorization } from 'ethers';
import { compileSolidity } from '../support/contracts.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { Overlay } from '../../src/store/kv.js';
import { writeCode } from '../../src/evm/state.js';
import { recordBlockHash } from '../../src/evm/engine.js';
import { SystemCallError, STAKING_ADDRESS, type SystemCallContext, type SystemContract, type SystemContractResolver } from '../../src/system/types.js';
import { decodeRevertReason } from '../../src/system/revert.js';
import type { Authorization } from '../../src/tx/decode.js';
import { EstimateGasError, estimateGas, ethCall, type CallContext } from '../../src/tx/call.js';
import { CHAIN_ID, EMPTY_STATE, noSystem, rules, sign, wallet } from '../support/evm.js';
import { executeTx } from '../../src/tx/executor.js';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000' as Address;
const osaka = rules().params;
const cancun = rules({ evm_hardfork: 'cancun' }).params;
const ctx: CallContext = { height: 3n, time: 1_700_000_100n, params: osaka, blockGasLimit: 30_000_000n };
const cancunCtx: CallContext = { ...ctx, params: cancun };

const alice = wallet(31);
const bob = wallet(32);
const dave = wallet(33);

/** Code returning the 32-byte word an opcode pushes: OP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN. */
const returnWord = (op: string): string => `0x${op}5f5260205ff3`;
const PREVRANDAO = returnWord('44');
const GASPRICE = returnWord('3a');
const GAS = returnWord('5a');
/** GAS PUSH3 100000 GT PUSH1 10 JUMPI STOP JUMPDEST PUSH0 PUSH0 REVERT: succeeds iff gasleft() after GAS ≥ 100,000. */
const GAS_GATE = '0x5a620186a011600a57005b5f5ffd';
/** PUSH20 addr BALANCE POP STOP (3 + 100 warm / 2,600 cold + 2 gas). */
const balanceOf = (address: Address): string => `0x73${address.slice(2)}315000`;
/** CREATE(0, 0, 0), then returns the new address: PUSH0 PUSH0 PUSH0 CREATE PUSH0 MSTORE PUSH1 32 PUSH0 RETURN. */
const CREATE_EMPTY = '0x5f5f5ff05f5260205ff3';
/** CALL(gas, 0x…1000, 0, 0, 1, 0, 32) with memory[0] = byte, then returns the return data. */
const callStaking = (byte: number): string => `0x60${byte.toString(16).padStart(2, '0')}5f53` + '60205f60015f5f6110005af1' + '503d5f5f3e3d5ff3';

function install(state: Overlay, address: Address, code: string): void {
  const accounts = new Accounts(state);
  const account = accounts.get(address);
  account.codeHash = writeCode(state, getBytes(code));
  accounts.put(address, account);
}

function setNonce(state: Overlay, address: Address, nonce: bigint): void {
  const accounts = new Accounts(state);
  const account = accounts.get(address);
  account.nonce = nonce;
  accounts.put(address, account);
}

const word = (bytes: Uint8Array): bigint => BigInt(hexlify(bytes));
const address = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}` as Address;

function toAuthorization(a: EthersAuthorization): Authorization {
  const int = (hex: string): Uint8Array => {
    const v = BigInt(hex);
    if (v === 0n) return new Uint8Array(0);
    const h = v.toString(16);
    return getBytes(`0x${h.length % 2 === 0 ? h : `0${h}`}`);
  };
  return { chainId: a.chainId, address: getBytes(a.address), nonce: a.nonce, yParity: a.signature.yParity, r: int(a.signature.r), s: int(a.signature.s) };
}

/**
 * System contract fixture. view: 0x01… answers 32 × 0x07, 0x09… refuses
 * (unknown_function), 0xee… throws a plain Error, anything else is not_view.
 * gasCost: 0 for 0x03…, else 50,000. call: 0x02… refuses, 0x04… throws a
 * plain Error, else answers [0xaa, 0xbb] and records its context.
 */
const seen: SystemCallContext[] = [];
const fixture: SystemContract = {
  address: STAKING_ADDRESS,
  gasCost: (data) => (data[0] === 3 ? 0n : 50_000n),
  call(callCtx, data) {
    if (data[0] === 2) throw new SystemCallError('not a candidate', 'not_candidate');
    if (data[0] === 4) throw new Error('call crashed');
    seen.push(callCtx);
    return { returnData: new Uint8Array([0xaa, 0xbb]), logs: [] };
  },
  view(data) {
    if (data[0] === 1) return new Uint8Array(32).fill(7);
    if (data[0] === 9) throw new SystemCallError('no such view', 'unknown_function');
    if (data[0] === 0xee) throw new Error('view crashed');
    throw new SystemCallError('state-changing', 'not_view');
  },
};
const resolveSystem: SystemContractResolver = (a) => (a === STAKING_ADDRESS ? fixture : undefined);

function funded(): Overlay {
  const state = new Overlay(EMPTY_STATE);
  new Accounts(state).credit(alice.address, 10n ** 18n);
  return state;
}

describe('ethCall edges', () => {
  it('EstimateGasError is named', () => {
    assert.equal(new EstimateGasError('x', new Uint8Array(0)).name, 'EstimateGasError');
  });

  it('refuses a gas limit below the intrinsic gas, exactly at the boundary', async () => {
    const state = funded();
    const request = { from: alice.address, to: bob.address, data: new Uint8Array(0) };
    const ok = await ethCall(state, { ...request, gas: 21_000n }, ctx, noSystem);
    assert.equal(ok.success, true, ok.error);
    assert.equal(ok.gasUsed, 21_000n);
    assert.equal(Object.hasOwn(ok, 'error'), false);
    const short = await ethCall(state, { ...request, gas: 20_999n }, ctx, noSystem);
    assert.deepEqual(short, { success: false, returnData: new Uint8Array(0), gasUsed: 20_999n, logs: [], error: 'intrinsic gas too low: the call needs at least 21000 gas' });
  });

  it('refuses init code above 49,152 bytes (EIP-3860) and only for creations', async () => {
    const state = funded();
    const big = await ethCall(state, { from: alice.address, to: null, data: new Uint8Array(49_153) }, ctx, noSystem);
    assert.equal(big.success, false);
    assert.equal(big.error, 'init code is 49153 bytes, more than 49152 (EIP-3860)');
    assert.equal(big.gasUsed, 30_000_000n);
    assert.deepEqual(big.logs, []);
    // 49,152 zero bytes (STOPs) deploy an empty contract.
    const max = await ethCall(state, { from: alice.address, to: null, data: new Uint8Array(49_152) }, ctx, noSystem);
    assert.equal(max.success, true, max.error);
    assert.equal(max.returnData.length, 0);
    // The same size as calldata of a plain call is fine.
    const call = await ethCall(state, { from: alice.address, to: bob.address, data: new Uint8Array(49_153) }, ctx, noSystem);
    assert.equal(call.success, true, call.error);
  });

  it('a value call needs the balance: exactly the value is enough', async () => {
    const state = new Overlay(EMPTY_STATE);
    new Accounts(state).credit(dave.address, 5n);
    const exact = await ethCall(state, { from: dave.address, to: bob.address, data: new Uint8Array(0), value: 5n }, ctx, noSystem);
    assert.equal(exact.success, true, exact.error);
    const over = await ethCall(state, { from: dave.address, to: bob.address, data: new Uint8Array(0), value: 6n }, ctx, noSystem);
    assert.deepEqual(over, { success: false, returnData: new Uint8Array(0), gasUsed: 21_000n, logs: [], error: `insufficient funds: ${dave.address} cannot send 6 wei` });
  });

  it('GASPRICE is the request gasPrice, 0 by default', async () => {
    const state = funded();
    const target = address(0xc0de01);
    install(state, target, GASPRICE);
    const priced = await ethCall(state, { from: alice.address, to: target, data: new Uint8Array(0), gasPrice: 7n }, ctx, noSystem);
    assert.equal(priced.success, true, priced.error);
    assert.equal(word(priced.returnData), 7n);
    const unpriced = await ethCall(state, { from: alice.address, to: target, data: new Uint8Array(0) }, ctx, noSystem);
    assert.equal(word(unpriced.returnData), 0n);
  });

  it('caps the gas at the block gas limit (GAS sees the capped limit)', async () => {
    const state = funded();
    const target = address(0xc0de02);
    install(state, target, GAS);
    const small: CallContext = { ...ctx, blockGasLimit: 1_000_000n };
    // GAS pushes the limit − 21,000 intrinsic − its own 2.
    for (const gas of [undefined, 2_000_000n, 1_000_000n]) {
      const r = await ethCall(state, { to: target, data: new Uint8Array(0), ...(gas === undefined ? {} : { gas }) }, small, noSystem);
      assert.equal(word(r.returnData), 1_000_000n - 21_002n, `gas ${gas}`);
    }
    const below = await ethCall(state, { to: target, data: new Uint8Array(0), gas: 500_000n }, small, noSystem);
    assert.equal(word(below.returnData), 500_000n - 21_002n);
  });

  it('PREVRANDAO: from the recorded hash of the block, from its height when the recorded hash is all zero', async () => {
    const target = address(0xc0de03);
    const tag = toUtf8Bytes('cmtd/prevrandao');
    const run = async (hash: Uint8Array | undefined): Promise<string> => {
      const state = funded();
      install(state, target, PREVRANDAO);
      if (hash !== undefined) recordBlockHash(state, ctx.height, hash);
      const r = await ethCall(state, { to: target, data: new Uint8Array(0) }, ctx, noSystem);
      assert.equal(r.success, true, r.error);
      return hexlify(r.returnData);
    };
    const allNonZero = new Uint8Array(32).fill(0x11);
    assert.equal(await run(allNonZero), keccak256(concat([tag, allNonZero])));
    const someZero = new Uint8Array(32).fill(0x22);
    someZero[0] = 0;
    assert.equal(await run(someZero), keccak256(concat([tag, someZero])));
    // No hash recorded, or a recorded all-zero hash: the height (3) is the seed.
    const byHeight = keccak256(concat([tag, new Uint8Array([3])]));
    assert.equal(await run(new Uint8Array(32)), byHeight);
    assert.equal(await run(undefined), byHeight);
  });

  it('a creation reports the address a transaction from the sender would get (nonce bumped once)', async () => {
    const state = funded();
    setNonce(state, alice.address, 7n);
    // Init code returning ADDRESS as the "runtime code".
    const initCode = getBytes(returnWord('30'));
    for (const authorizationList of [undefined, []]) {
      const r = await ethCall(state, { from: alice.address, to: null, data: initCode, ...(authorizationList === undefined ? {} : { authorizationList }) }, ctx, noSystem);
      assert.equal(r.success, true, r.error);
      assert.equal(`0x${hexlify(r.returnData).slice(-40)}`, getCreateAddress({ from: alice.address, nonce: 7 }).toLowerCase());
    }
  });

  it('contract calls to a system address reach the resolver; a fault there is an EVM error', async () => {
    const state = funded();
    install(state, address(0xc0de04), callStaking(5));
    install(state, address(0xc0de05), callStaking(4));
    const r = await ethCall(state, { from: alice.address, to: address(0xc0de04), data: new Uint8Array(0) }, ctx, resolveSystem);
    assert.equal(r.success, true, r.error);
    assert.deepEqual(r.returnData, new Uint8Array([0xaa, 0xbb]));
    const crash = await ethCall(state, { from: alice.address, to: address(0xc0de05), data: new Uint8Array(0), gas: 400_000n }, ctx, resolveSystem);
    assert.deepEqual(crash, { success: false, returnData: new Uint8Array(0), gasUsed: 400_000n, logs: [], error: 'EVM error: call crashed' });
  });
});

describe('ethCall with EIP-7702 authorizations', () => {
  const target = address(0xc0de10);

  it('charges 25,000 per authorization, warms the authority and refunds an existing one', async () => {
    const state = funded();
    new Accounts(state).credit(dave.address, 1n); // dave exists: 12,500 of his 25,000 are refunded
    install(state, target, balanceOf(dave.address));
    const auth = toAuthorization(await dave.wallet.authorize({ address: address(0xdead), nonce: 0, chainId: CHAIN_ID }));
    const r = await ethCall(state, { from: alice.address, to: target, data: new Uint8Array(0), authorizationList: [auth] }, ctx, noSystem);
    assert.equal(r.success, true, r.error);
    // 21,000 + 25,000 + PUSH20 3 + warm BALANCE 100 + POP 2 = 46,105; refund min(12,500, 46,105 / 5 = 9,221).
    assert.equal(r.gasUsed, 46_105n - 9_221n);
  });

  it('applies the authorizations after bumping the sender: a self-sponsored delegation runs and CREATEs at nonce + 2', async () => {
    const state = funded();
    setNonce(state, alice.address, 4n);
    install(state, target, CREATE_EMPTY);
    // The sender's nonce (4) is bumped to 5 first, so the authorization carries 5; applying it makes 6.
    const auth = toAuthorization(await alice.wallet.authorize({ address: target, nonce: 5, chainId: CHAIN_ID }));
    const r = await ethCall(state, { from: alice.address, to: alice.address, data: new Uint8Array(0), authorizationList: [auth] }, ctx, noSystem);
    assert.equal(r.success, true, r.error);
    assert.equal(`0x${hexlify(r.returnData).slice(-40)}`, getCreateAddress({ from: alice.address, nonce: 6 }).toLowerCase());
  });

  it('refuses authorizations before osaka', async () => {
    const state = funded();
    const auth = toAuthorization(await dave.wallet.authorize({ address: target, nonce: 0, chainId: CHAIN_ID }));
    const r = await ethCall(state, { from: alice.address, to: bob.address, data: new Uint8Array(0), authorizationList: [auth] }, cancunCtx, noSystem);
    assert.deepEqual(r, {
      success: false,
      returnData: new Uint8Array(0),
      gasUsed: 46_000n,
      logs: [],
      error: 'authorizations (EIP-7702) need the osaka hard fork; this chain runs cancun',
    });
  });
});

describe('ethCall to a system address', () => {
  it('answers a view with intrinsic gas and no logs', async () => {
    const r = await ethCall(funded(), { to: STAKING_ADDRESS, data: new Uint8Array([1]) }, ctx, resolveSystem);
    assert.deepEqual(r, { success: true, returnData: new Uint8Array(32).fill(7), gasUsed: 21_016n, logs: [] });
  });

  it('a view refusal is a revert with the encoded reason; a fault in view propagates', async () => {
    const r = await ethCall(funded(), { to: STAKING_ADDRESS, data: new Uint8Array([9]) }, ctx, resolveSystem);
    assert.equal(r.success, false);
    assert.equal(r.error, 'execution reverted: no such view');
    assert.equal(decodeRevertReason(r.returnData), 'no such view');
    assert.equal(r.gasUsed, 21_016n);
    assert.deepEqual(r.logs, []);
    await assert.rejects(ethCall(funded(), { to: STAKING_ADDRESS, data: new Uint8Array([0xee]) }, ctx, resolveSystem), /view crashed/);
  });

  it('simulates a not_view function: sender (zero address by default), value, block, gas and the out-of-gas boundary', async () => {
    const state = funded();
    seen.length = 0;
    const r = await ethCall(state, { from: alice.address, to: STAKING_ADDRESS, data: new Uint8Array([5]), value: 3n }, ctx, resolveSystem);
    assert.deepEqual(r, { success: true, returnData: new Uint8Array([0xaa, 0xbb]), gasUsed: 21_016n + 50_000n, logs: [] });
    assert.deepEqual(seen, [{ sender: alice.address, value: 3n, height: 3n, time: 1_700_000_100n, txHash: new Uint8Array(32) }]);
    const anonymous = await ethCall(state, { to: STAKING_ADDRESS, data: new Uint8Array([5]) }, ctx, resolveSystem);
    assert.equal(anonymous.success, true, anonymous.error);
    assert.equal(seen[1]?.sender, ZERO_ADDRESS);
    assert.equal(seen[1]?.value, 0n);
    const exact = await ethCall(state, { to: STAKING_ADDRESS, data: new Uint8Array([5]), gas: 71_016n }, ctx, resolveSystem);
    assert.equal(exact.success, true, exact.error);
    const short = await ethCall(state, { to: STAKING_ADDRESS, data: new Uint8Array([5]), gas: 71_015n }, ctx, resolveSystem);
    assert.deepEqual(short, { success: false, returnData: new Uint8Array(0), gasUsed: 71_015n, logs: [], error: 'out of gas' });
    assert.equal(seen.length, 3);
  });

  it('a refused function reverts with its reason; a short balance is reported as is; a fault propagates', async () => {
    const refused = await ethCall(funded(), { from: alice.address, to: STAKING_ADDRESS, data: new Uint8Array([2]) }, ctx, resolveSystem);
    assert.equal(refused.success, false);
    assert.equal(refused.error, 'execution reverted: not a candidate');
    assert.equal(decodeRevertReason(refused.returnData), 'not a candidate');
    assert.equal(refused.gasUsed, 21_016n);
    const poor = await ethCall(funded(), { from: bob.address, to: STAKING_ADDRESS, data: new Uint8Array([5]), value: 1n }, ctx, resolveSystem);
    assert.deepEqual(poor, { success: false, returnData: new Uint8Array(0), gasUsed: 21_016n, logs: [], error: `insufficient balance: ${bob.address} has 0 wei, needs 1 wei` });
    await assert.rejects(
      ethCall(funded(), { from: alice.address, to: STAKING_ADDRESS, data: new Uint8Array([4]) }, ctx, resolveSystem),
      (err: unknown) => err instanceof Error && err.message === 'call crashed',
    );
  });
});

describe('estimateGas edges', () => {
  it('finds the least gas of a contract that needs far more gas than it uses', async () => {
    const state = funded();
    const target = address(0xc0de20);
    install(state, target, GAS_GATE);
    // Success iff limit − 21,000 − 2 (GAS) ≥ 100,000; it uses only 21,021 gas.
    const request = { from: alice.address, to: target, data: new Uint8Array(0) };
    assert.equal(await estimateGas(state, request, ctx, noSystem), 121_002n);
    assert.equal((await ethCall(state, { ...request, gas: 121_001n }, ctx, noSystem)).success, false);
  });

  it('the request gas caps the search', async () => {
    const state = funded();
    const request = { from: alice.address, to: bob.address, data: new Uint8Array(0) };
    assert.equal(await estimateGas(state, { ...request, gas: 21_000n }, ctx, noSystem), 21_000n);
    await assert.rejects(
      estimateGas(state, { ...request, gas: 20_999n }, ctx, noSystem),
      (err: unknown) => err instanceof EstimateGasError && err.message === 'intrinsic gas too low: the call needs at least 21000 gas',
    );
  });

  it('an estimate from Prague covers the EIP-7623 calldata floor, before it the intrinsic gas', async () => {
    const state = funded();
    const data = new Uint8Array(100).fill(0xff);
    // Intrinsic 21,000 + 100 × 16 = 22,600; floor 21,000 + 100 × 4 tokens × 10 = 25,000.
    assert.equal(await estimateGas(state, { from: alice.address, to: bob.address, data }, ctx, noSystem), 25_000n);
    assert.equal(await estimateGas(state, { from: alice.address, to: bob.address, data }, cancunCtx, noSystem), 22_600n);
    // A system function of fixed gas 0 (selector byte 0x03): the same.
    const sys = new Uint8Array(100).fill(0xff);
    sys[0] = 3;
    assert.equal(await estimateGas(state, { from: alice.address, to: STAKING_ADDRESS, data: sys }, ctx, resolveSystem), 25_000n);
    assert.equal(await estimateGas(state, { from: alice.address, to: STAKING_ADDRESS, data: sys }, cancunCtx, resolveSystem), 22_600n);
  });

  it('eth_call from Prague pays the EIP-7623 calldata floor as a transaction does, and refuses a gas limit below it', async () => {
    const state = funded();
    const stop = address(0xc0de);
    install(state, stop, '0x00');
    const data = new Uint8Array(100).fill(0xff);
    const belowFloor = {
      success: false,
      returnData: new Uint8Array(0),
      gasUsed: 24_999n,
      logs: [],
      error: 'gas limit 24999 is below the calldata floor 25000 of this call (EIP-7623)',
    };
    // A transfer (the native path of block execution) and a call to code that does nothing.
    for (const to of [bob.address, stop]) {
      const call = await ethCall(state, { from: alice.address, to, data }, ctx, noSystem);
      assert.equal(call.success, true, call.error);
      assert.equal(call.gasUsed, 25_000n);
      const paid = await executeTx(await sign(alice.wallet, { nonce: 0, to, data: hexlify(data) }), new Overlay(state), rules(), { height: 3n, time: 1_700_000_100n }, noSystem);
      assert.equal(paid.code, 0, paid.log);
      assert.equal(paid.gasUsed, call.gasUsed);
      assert.equal((await ethCall(state, { from: alice.address, to, data, gas: 25_000n }, ctx, noSystem)).success, true);
      assert.deepEqual(await ethCall(state, { from: alice.address, to, data, gas: 24_999n }, ctx, noSystem), belowFloor);
      // Before Prague: the intrinsic gas, 21,000 + 100 × 16.
      const before = await ethCall(state, { from: alice.address, to, data, gas: 22_600n }, cancunCtx, noSystem);
      assert.equal(before.success, true, before.error);
      assert.equal(before.gasUsed, 22_600n);
    }
    // A state-changing system function of fixed gas 0 (selector byte 0x03): the same floor.
    const sys = new Uint8Array(100).fill(0xff);
    sys[0] = 3;
    const system = await ethCall(state, { from: alice.address, to: STAKING_ADDRESS, data: sys }, ctx, resolveSystem);
    assert.equal(system.success, true, system.error);
    assert.equal(system.gasUsed, 25_000n);
    assert.equal((await ethCall(state, { from: alice.address, to: STAKING_ADDRESS, data: sys, gas: 25_000n }, ctx, resolveSystem)).success, true);
    assert.deepEqual(await ethCall(state, { from: alice.address, to: STAKING_ADDRESS, data: sys, gas: 24_999n }, ctx, resolveSystem), belowFloor);
    assert.equal((await ethCall(state, { from: alice.address, to: STAKING_ADDRESS, data: sys, gas: 22_600n }, cancunCtx, resolveSystem)).gasUsed, 22_600n);
  });

  it('a system call: its cost against the cap (request gas, block gas limit), its context, its refusals', async () => {
    const state = funded();
    const data = new Uint8Array([5]);
    const cost = 21_016n + 50_000n;
    seen.length = 0;
    assert.equal(await estimateGas(state, { from: alice.address, to: STAKING_ADDRESS, data, value: 2n }, ctx, resolveSystem), cost);
    assert.deepEqual(seen, [{ sender: alice.address, value: 2n, height: 3n, time: 1_700_000_100n, txHash: new Uint8Array(32) }]);
    assert.equal(await estimateGas(state, { to: STAKING_ADDRESS, data, gas: cost }, ctx, resolveSystem), cost);
    assert.equal(seen[1]?.sender, ZERO_ADDRESS);
    await assert.rejects(
      estimateGas(state, { to: STAKING_ADDRESS, data, gas: cost - 1n }, ctx, resolveSystem),
      (err: unknown) => err instanceof EstimateGasError && err.message === `the call costs ${cost} gas, above the gas cap ${cost - 1n}`,
    );
    // A request gas above the block gas limit is capped by it.
    await assert.rejects(
      estimateGas(state, { to: STAKING_ADDRESS, data, gas: 100_000n }, { ...ctx, blockGasLimit: 60_000n }, resolveSystem),
      (err: unknown) => err instanceof EstimateGasError && err.message === `the call costs ${cost} gas, above the gas cap 60000`,
    );
    await assert.rejects(
      estimateGas(state, { from: alice.address, to: STAKING_ADDRESS, data: new Uint8Array([2]) }, ctx, resolveSystem),
      (err: unknown) => err instanceof EstimateGasError && err.message === 'execution reverted: not a candidate' && decodeRevertReason(err.returnData) === 'not a candidate',
    );
    await assert.rejects(
      estimateGas(state, { from: bob.address, to: STAKING_ADDRESS, data, value: 1n }, ctx, resolveSystem),
      (err: unknown) => err instanceof EstimateGasError && err.message === `insufficient balance: ${bob.address} has 0 wei, needs 1 wei` && err.returnData.length === 0,
    );
    await assert.rejects(
      estimateGas(state, { from: alice.address, to: STAKING_ADDRESS, data: new Uint8Array([4]) }, ctx, resolveSystem),
      (err: unknown) => !(err instanceof EstimateGasError) && err instanceof Error && err.message === 'call crashed',
    );
  });
});

describe('estimateGas of a contract forwarding gas (63/64 rule), compiled with solc', () => {
  const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Sink {
  function burn(uint256 need) external view { require(gasleft() >= need, "sink: short of gas"); }
}
contract Forwarder {
  function run(address sink, uint256 need) external view { Sink(sink).burn(need); }
}
`;

  it('returns the least gas with which the call succeeds: one less fails', async () => {
    const sink = compileSolidity(SOURCE, 'Sink');
    const forwarder = compileSolidity(SOURCE, 'Forwarder');
    const state = funded();
    const sinkAt = address(0xc0de30);
    const forwarderAt = address(0xc0de31);
    install(state, sinkAt, sink.deployedBytecode);
    install(state, forwarderAt, forwarder.deployedBytecode);
    const iface = new Interface(forwarder.abi);
    for (const need of [50_000n, 300_000n]) {
      const request = { from: alice.address, to: forwarderAt, data: getBytes(iface.encodeFunctionData('run', [sinkAt, need])) };
      const estimate = await estimateGas(state, request, ctx, noSystem);
      const used = (await ethCall(state, request, ctx, noSystem)).gasUsed;
      // The CALL forwards only 63/64 of what is left: the estimate must exceed the gas used by far more than the 1/64.
      assert.ok(estimate > (used * 64n) / 63n + 2_300n, `need ${need}: estimate ${estimate}, used ${used}`);
      const ok = await ethCall(state, { ...request, gas: estimate }, ctx, noSystem);
      assert.equal(ok.success, true, ok.error);
      const short = await ethCall(state, { ...request, gas: estimate - 1n }, ctx, noSystem);
      assert.equal(short.success, false);
    }
  });
});
