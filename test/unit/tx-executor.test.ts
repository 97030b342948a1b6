import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Wallet, getCreateAddress, type TransactionRequest } from 'ethers';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { DEFAULT_PARAMS } from '../../src/state/params.js';
import { readSupply } from '../../src/state/supply.js';
import { Overlay } from '../../src/store/kv.js';
import { decodeSignedTx, type SignedTx } from '../../src/tx/decode.js';
import { TxCode, TxError } from '../../src/tx/errors.js';
import { executeTx, validateSender, validateStatic, type ChainRules } from '../../src/tx/executor.js';
import { SystemCallError, type SystemContract, type SystemContractResolver } from '../../src/system/types.js';
import { decodeReceipt, encodeReceipt } from '../../src/tx/receipt.js';

const GWEI = 10n ** 9n;
const CMT = 10n ** 18n;
const wallet = new Wallet('0x' + '11'.repeat(32));
const sender = wallet.address.toLowerCase() as Address;
const bob = '0x000000000000000000000000000000000000b0b0' as Address;
const SYSTEM = '0x0000000000000000000000000000000000001000' as Address;
const block = { height: 5n, time: 1_700_000_000n };
const rules: ChainRules = { params: { ...DEFAULT_PARAMS }, blockGasLimit: 1_000_000n };

async function tx(request: TransactionRequest = {}): Promise<SignedTx> {
  const signed = await wallet.signTransaction({ type: 0, chainId: 18n, nonce: 0, gasPrice: 2n * GWEI, gasLimit: 21_000n, to: bob, value: 1n, ...request });
  return decodeSignedTx(Buffer.from(signed.slice(2), 'hex'));
}

function refusedWith(code: TxCode, pattern: RegExp) {
  return (err: unknown): boolean => err instanceof TxError && err.code === code && pattern.test(err.message);
}

/** Fixture of the system-call protocol: calldata 0x01 succeeds and keeps the value; other calldata reverts. */
const testContract: SystemContract = {
  address: SYSTEM,
  gasCost(data) {
    if (data.length === 0) throw new SystemCallError('empty calldata', 'unknown_function');
    return 10_000n;
  },
  call(_ctx, data) {
    if (data[0] !== 1) throw new SystemCallError('refused on purpose', 'test_refusal');
    return { returnData: new Uint8Array(0), logs: [{ address: SYSTEM, topics: [new Uint8Array(32).fill(7)], data: new Uint8Array(0) }] };
  },
  view: () => new Uint8Array(0),
};
const resolveSystem: SystemContractResolver = (address) => (address === SYSTEM ? testContract : undefined);

describe('transaction validation', () => {
  let state: Overlay;
  let accounts: Accounts;

  beforeEach(() => {
    state = new Overlay({ get: () => undefined });
    accounts = new Accounts(state);
    accounts.credit(sender, 10n * CMT);
  });

  it('refuses a wrong chain id', async () => {
    const t = await tx({ chainId: 1n });
    assert.throws(() => validateStatic(t, rules), refusedWith(TxCode.ChainId, /wrong chain id 1: this chain is 18/));
  });

  it('refuses a gas limit above the block gas limit', async () => {
    const t = await tx({ gasLimit: 2_000_000n });
    assert.throws(() => validateStatic(t, rules), refusedWith(TxCode.BlockGasLimit, /above the block gas limit 1000000/));
  });

  it('refuses a gas limit below the intrinsic gas, counting calldata', async () => {
    const t = await tx({ gasLimit: 21_000n, data: '0x01' });
    assert.throws(() => validateStatic(t, rules), refusedWith(TxCode.IntrinsicGas, /intrinsic gas 21016/));
  });

  it('refuses a gas price below the minimum, legacy and EIP-1559', async () => {
    const legacy = await tx({ gasPrice: GWEI });
    assert.throws(() => validateStatic(legacy, rules), refusedWith(TxCode.GasPriceTooLow, /below the minimum/));
    const eip1559 = await tx({ type: 2, gasPrice: undefined, maxFeePerGas: GWEI, maxPriorityFeePerGas: GWEI });
    assert.throws(() => validateStatic(eip1559, rules), refusedWith(TxCode.GasPriceTooLow, /below the minimum/));
  });

  it('refuses a zero-price transaction above the free gas limit, accepts one within it', async () => {
    const big = await tx({ gasPrice: 0n, gasLimit: 600_000n });
    assert.throws(() => validateStatic(big, rules), refusedWith(TxCode.FreeTxGasLimit, /at most 500000 gas/));
    validateStatic(await tx({ gasPrice: 0n, gasLimit: 21_000n }), rules);
  });

  it('refuses nonces below and above the expected one', async () => {
    const t = await tx({ nonce: 3 });
    const at = (nonce: bigint) => ({ ...accounts.get(sender), nonce });
    assert.throws(() => validateSender(t, at(4n)), refusedWith(TxCode.NonceTooLow, /nonce 3 is too low/));
    assert.throws(() => validateSender(t, at(2n)), refusedWith(TxCode.NonceTooHigh, /expects nonce 2/));
    validateSender(t, at(3n));
  });

  it('refuses a sender who cannot pay gas limit × price + value', async () => {
    const t = await tx({ value: 10n * CMT });
    assert.throws(() => validateSender(t, accounts.get(sender)), refusedWith(TxCode.InsufficientFunds, /insufficient funds/));
  });
});

describe('transaction execution', () => {
  let state: Overlay;
  let accounts: Accounts;

  beforeEach(() => {
    state = new Overlay({ get: () => undefined });
    accounts = new Accounts(state);
    accounts.credit(sender, 10n * CMT);
  });

  it('moves value, bumps the nonce, charges gas used and puts the fee in the fee pool', async () => {
    const t = await tx({ value: 3n * CMT, gasLimit: 50_000n });
    const outcome = await executeTx(t, state, rules, block, resolveSystem);
    assert.equal(outcome.code, TxCode.Ok);
    assert.equal(outcome.gasUsed, 21_000n);
    const fee = 21_000n * 2n * GWEI;
    assert.equal(outcome.fee, fee);
    assert.equal(accounts.balance(bob), 3n * CMT);
    assert.equal(accounts.balance(sender), 7n * CMT - fee, 'unused gas is refunded');
    assert.equal(accounts.nonce(sender), 1n);
    assert.equal(readSupply(state).feePool, fee);
  });

  it('prices EIP-1559 at min(maxFee, baseFee + tip) with the base fee at min_gas_price', async () => {
    const t = await tx({ type: 2, gasPrice: undefined, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 1n * GWEI });
    const outcome = await executeTx(t, state, rules, block, resolveSystem);
    assert.equal(outcome.receipt.effectiveGasPrice, 3n * GWEI);
    assert.equal(outcome.fee, 21_000n * 3n * GWEI);
  });

  it('refuses an invalid transaction without touching state', async () => {
    const t = await tx({ nonce: 7 });
    await assert.rejects(executeTx(t, state, rules, block, resolveSystem), refusedWith(TxCode.NonceTooHigh, /expects nonce 0/));
    assert.equal(accounts.balance(sender), 10n * CMT);
    assert.equal(accounts.nonce(sender), 0n);
  });

  it('runs a system call, keeps the value it took and records its logs in the receipt', async () => {
    const t = await tx({ to: SYSTEM, value: 2n * CMT, data: '0x01', gasLimit: 40_000n });
    const outcome = await executeTx(t, state, rules, block, resolveSystem);
    assert.equal(outcome.code, TxCode.Ok);
    assert.equal(outcome.gasUsed, 21_016n + 10_000n);
    assert.equal(accounts.balance(sender), 8n * CMT - outcome.fee);
    const receipt = decodeReceipt(encodeReceipt(outcome.receipt));
    assert.equal(receipt.status, 1);
    assert.equal(receipt.logs.length, 1);
    assert.equal(receipt.logs[0]!.address, SYSTEM);
  });

  it('reverts a refused system call: value returned, gas charged, nonce used, reason given', async () => {
    const t = await tx({ to: SYSTEM, value: 2n * CMT, data: '0x02', gasLimit: 40_000n });
    const outcome = await executeTx(t, state, rules, block, resolveSystem);
    assert.equal(outcome.code, TxCode.Reverted);
    assert.match(outcome.log, /refused on purpose \(test_refusal\)/);
    assert.equal(outcome.receipt.status, 0);
    assert.equal(accounts.balance(sender), 10n * CMT - outcome.fee);
    assert.equal(accounts.nonce(sender), 1n);
    // The revert data is Solidity's Error(string) so wallets can show the reason.
    assert.equal(Buffer.from(outcome.receipt.returnData.subarray(0, 4)).toString('hex'), '08c379a0');
  });

  it('charges the whole gas limit when a system call runs out of gas', async () => {
    const t = await tx({ to: SYSTEM, value: 0n, data: '0x01', gasLimit: 25_000n });
    const outcome = await executeTx(t, state, rules, block, resolveSystem);
    assert.equal(outcome.code, TxCode.Reverted);
    assert.match(outcome.log, /out of gas/);
    assert.equal(outcome.gasUsed, 25_000n);
  });

  it('runs contract creation in the EVM and reports the created address', async () => {
    // Init code PUSH1 0 (deploys empty code): intrinsic 53,000 + 16 + 4 + 2 (initcode word) + 3.
    const t = await tx({ to: null, data: '0x6000', gasLimit: 100_000n, value: 0n });
    const outcome = await executeTx(t, state, rules, block, resolveSystem);
    assert.equal(outcome.code, TxCode.Ok);
    assert.equal(outcome.gasUsed, 53_025n);
    assert.equal(outcome.receipt.contractAddress, getCreateAddress({ from: sender, nonce: 0 }).toLowerCase());
    assert.equal(accounts.nonce(sender), 1n);
  });
});
