/**
 * eth_call and eth_estimateGas (src/tx/call.ts): read-only execution on a
 * throw-away overlay, revert reasons, creation, exact gas estimates, and the
 * system addresses answered natively by a SystemContract fixture.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { getBytes } from 'ethers';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { Overlay } from '../../src/store/kv.js';
import { SystemCallError, STAKING_ADDRESS, type SystemContract, type SystemContractResolver } from '../../src/system/types.js';
import { TxCode } from '../../src/tx/errors.js';
import { EstimateGasError, estimateGas, ethCall, type CallContext } from '../../src/tx/call.js';
import { decodeRevertReason } from '../../src/system/revert.js';
import { CMT, EMPTY_STATE, Sender, deploy, noSystem, rules, send, wallet, type Chain, type Deployed } from '../support/evm.js';

const merchant = wallet(21);
const alice = wallet(22);
const bob = wallet(23);
const ctx: CallContext = { height: 3n, time: 1_700_000_100n, params: rules().params, blockGasLimit: 30_000_000n };

/** Fixture: view(0x01…) answers 32 bytes of 0x07; view(other) refuses; calls cost 50,000 gas; call(0x02) refuses. */
const fixture: SystemContract = {
  address: STAKING_ADDRESS,
  gasCost(data) {
    if (data.length === 0) throw new SystemCallError('unknown function', 'unknown_function');
    return 50_000n;
  },
  call(_ctx, data) {
    if (data[0] === 2) throw new SystemCallError('not a candidate', 'not_candidate');
    return { returnData: new Uint8Array(0), logs: [] };
  },
  view(data) {
    if (data[0] !== 1) throw new SystemCallError('no such view', 'unknown_function');
    return new Uint8Array(32).fill(7);
  },
};
const resolveSystem: SystemContractResolver = (address) => (address === STAKING_ADDRESS ? fixture : undefined);

describe('ethCall and estimateGas', () => {
  let state: Overlay;
  let token: Deployed;
  let escrow: Deployed;
  let chain: Chain;

  before(async () => {
    state = new Overlay(EMPTY_STATE);
    new Accounts(state).credit(merchant.address, 100n * CMT);
    new Accounts(state).credit(alice.address, 100n * CMT);
    chain = { state, rules: rules(), block: { height: 3n, time: 1_700_000_000n }, resolveSystem: noSystem };
    const m = new Sender(merchant.wallet, merchant.address);
    token = await deploy(chain, m, 'LoyaltyToken', ['Points', 'PTS', merchant.address]);
    escrow = await deploy(chain, m, 'Escrow');
    assert.equal((await send(chain, m, token, 'mint', [alice.address, 77n])).code, TxCode.Ok);
  });

  const data = (target: Deployed, fn: string, args: unknown[] = []): Uint8Array => getBytes(target.iface.encodeFunctionData(fn, args));

  it('answers a view call without changing state', async () => {
    const before = state.sortedChanges();
    const r = await ethCall(state, { to: token.address, data: data(token, 'balanceOf', [alice.address]) }, ctx, noSystem);
    assert.equal(r.success, true);
    assert.equal(token.iface.decodeFunctionResult('balanceOf', r.returnData)[0], 77n);
    assert.ok(r.gasUsed > 21_000n && r.gasUsed < 30_000n);
    // A state-changing call is simulated (logs reported) and thrown away.
    const t = await ethCall(state, { from: alice.address, to: token.address, data: data(token, 'transfer', [bob.address, 5n]) }, ctx, noSystem);
    assert.equal(t.success, true);
    assert.equal(t.logs.length, 1);
    assert.deepEqual(state.sortedChanges(), before);
    const after = await ethCall(state, { to: token.address, data: data(token, 'balanceOf', [bob.address]) }, ctx, noSystem);
    assert.equal(BigInt(`0x${Buffer.from(after.returnData).toString('hex')}`), 0n);
  });

  it('reports a revert with its reason and revert data', async () => {
    const r = await ethCall(state, { from: bob.address, to: escrow.address, data: data(escrow, 'markShipped', [1n, 'x']) }, ctx, noSystem);
    assert.equal(r.success, false);
    assert.equal(r.error, 'execution reverted: Escrow: order is not awaiting shipment');
    assert.equal(decodeRevertReason(r.returnData), 'Escrow: order is not awaiting shipment');
  });

  it('runs a creation and returns the runtime code; value needs the balance', async () => {
    const r = await ethCall(
      state,
      { from: merchant.address, to: null, data: getBytes(token.contract.bytecode + token.iface.encodeDeploy(['A', 'B', merchant.address]).slice(2)) },
      ctx,
      noSystem,
    );
    assert.equal(r.success, true, r.error);
    assert.equal(`0x${Buffer.from(r.returnData).toString('hex')}`, token.contract.deployedBytecode);
    const poor = await ethCall(
      state,
      { from: bob.address, to: escrow.address, value: CMT, data: data(escrow, 'createOrder', [alice.address, merchant.address, ctx.time + 100n, 10n, '0x' + '00'.repeat(32)]) },
      ctx,
      noSystem,
    );
    assert.equal(poor.success, false);
    assert.match(poor.error!, /insufficient funds/);
  });

  it('estimates the exact gas: the estimate succeeds, one less fails', async () => {
    const m = new Sender(merchant.wallet, merchant.address);
    m.nonce = Number(new Accounts(state).nonce(merchant.address));
    for (const [target, fn, args, from, value] of [
      [token, 'transfer', [bob.address, 1n], alice.address, 0n],
      [token, 'mint', [wallet(99).address, 5n], merchant.address, 0n],
      [escrow, 'createOrder', [bob.address, merchant.address, ctx.time + 1000n, 60n, '0x' + '11'.repeat(32)], alice.address, CMT],
    ] as Array<[Deployed, string, unknown[], Address, bigint]>) {
      const request = { from, to: target.address, data: data(target, fn, args), value };
      const estimate = await estimateGas(state, request, ctx, noSystem);
      const ok = await ethCall(state, { ...request, gas: estimate }, ctx, noSystem);
      const short = await ethCall(state, { ...request, gas: estimate - 1n }, ctx, noSystem);
      assert.equal(ok.success, true, `${fn} with ${estimate}`);
      assert.equal(short.success, false, `${fn} with ${estimate - 1n}`);
      assert.ok(estimate >= ok.gasUsed);
    }
    // A plain transfer to an account without code: 21,000.
    assert.equal(await estimateGas(state, { from: alice.address, to: bob.address, data: new Uint8Array(0), value: 1n }, ctx, noSystem), 21_000n);
  });

  it('refuses to estimate a call that always fails, with the reason', async () => {
    await assert.rejects(
      estimateGas(state, { from: alice.address, to: token.address, data: data(token, 'mint', [alice.address, 1n]) }, ctx, noSystem),
      (err: unknown) =>
        err instanceof EstimateGasError &&
        /execution reverted/.test(err.message) &&
        token.iface.parseError(`0x${Buffer.from(err.returnData).toString('hex')}`)?.name === 'OwnableUnauthorizedAccount',
    );
  });

  it('answers the system addresses natively: view for eth_call, fixed gas for estimates', async () => {
    const view = await ethCall(state, { to: STAKING_ADDRESS, data: new Uint8Array([1, 0, 0, 0]) }, ctx, resolveSystem);
    assert.equal(view.success, true);
    assert.deepEqual(view.returnData, new Uint8Array(32).fill(7));
    const refused = await ethCall(state, { to: STAKING_ADDRESS, data: new Uint8Array([9]) }, ctx, resolveSystem);
    assert.equal(refused.success, false);
    assert.equal(decodeRevertReason(refused.returnData), 'no such view');
    // intrinsic (21,000 + 4 non-zero bytes × 16) + the fixed 50,000
    assert.equal(await estimateGas(state, { from: alice.address, to: STAKING_ADDRESS, data: new Uint8Array([1, 1, 1, 1]) }, ctx, resolveSystem), 21_064n + 50_000n);
    await assert.rejects(estimateGas(state, { from: alice.address, to: STAKING_ADDRESS, data: new Uint8Array([2]) }, ctx, resolveSystem), /not a candidate/);
    await assert.rejects(estimateGas(state, { from: bob.address, to: STAKING_ADDRESS, data: new Uint8Array([1]), value: CMT }, ctx, resolveSystem), /insufficient balance/);
  });
});
