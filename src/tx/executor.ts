/**
 * Validation and execution of signed transactions against state (SPEC 9).
 *
 * `validateTx` holds every rule that makes a transaction impossible to
 * execute (chain id, gas, price, nonce, funds); CheckTx and block execution
 * share it. `executeTx` runs a valid transaction: nonce and fee first, then
 * the transfer or system call in a scratch overlay that a failure throws
 * away (the fee stays charged).
 */
import { Accounts, type Address } from '../state/accounts.js';
import type { Params } from '../state/params.js';
import { Supply } from '../state/supply.js';
import type { EvmLog } from '../state/logs.js';
import { Overlay, type KV } from '../store/kv.js';
import { SystemCallError, type SystemContract } from '../system/types.js';
import type { SignedTx } from './decode.js';
import { TxCode, TxError } from './errors.js';
import { effectiveGasPrice, intrinsicGas, isFreeTx } from './gas.js';
import type { Receipt } from './receipt.js';

export interface ChainRules {
  params: Params;
  /** Block gas limit from consensus params; null when unlimited. */
  blockGasLimit: bigint | null;
}

export interface BlockInfo {
  height: bigint;
  /** Header time, unix seconds. */
  time: bigint;
}

/** Builds the system contract at `address` over `kv`, or undefined for an ordinary address. */
export type SystemContractResolver = (address: Address, kv: KV) => SystemContract | undefined;

export interface TxOutcome {
  code: TxCode;
  log: string;
  gasWanted: bigint;
  gasUsed: bigint;
  /** Fee charged (gasUsed × effective price), paid into the block's fee pool. */
  fee: bigint;
  receipt: Receipt;
}

/** The constant base fee of the chain (see gas.ts). */
export function baseFee(params: Params): bigint {
  return params.min_gas_price;
}

/** Most the transaction can cost its sender: the upfront balance check, as Ethereum does it. */
export function maxCost(tx: SignedTx): bigint {
  return tx.gasLimit * tx.maxFeePerGas + tx.value;
}

/**
 * Checks everything but the nonce-and-funds state of the sender. Throws TxError.
 */
export function validateStatic(tx: SignedTx, rules: ChainRules): void {
  const { params } = rules;
  if (tx.chainId !== params.chain_id) {
    throw new TxError(TxCode.ChainId, `wrong chain id ${tx.chainId}: this chain is ${params.chain_id}`);
  }
  if (rules.blockGasLimit !== null && tx.gasLimit > rules.blockGasLimit) {
    throw new TxError(TxCode.BlockGasLimit, `gas limit ${tx.gasLimit} is above the block gas limit ${rules.blockGasLimit}`);
  }
  const intrinsic = intrinsicGas(tx);
  if (tx.gasLimit < intrinsic) {
    throw new TxError(TxCode.IntrinsicGas, `gas limit ${tx.gasLimit} is below the intrinsic gas ${intrinsic} of this transaction`);
  }
  if (isFreeTx(tx)) {
    if (tx.gasLimit > params.free_tx_gas_limit) {
      throw new TxError(
        TxCode.FreeTxGasLimit,
        `a zero-price transaction may ask for at most ${params.free_tx_gas_limit} gas, this one asks for ${tx.gasLimit}`,
      );
    }
  } else if (tx.maxFeePerGas < params.min_gas_price) {
    throw new TxError(
      TxCode.GasPriceTooLow,
      `gas price ${tx.maxFeePerGas} wei is below the minimum ${params.min_gas_price} wei (or use a zero price within the free slots)`,
    );
  }
}

/** Checks the sender's nonce against `expectedNonce` and its balance. Throws TxError. */
export function validateSender(tx: SignedTx, accounts: Accounts, expectedNonce: bigint): void {
  if (tx.nonce < expectedNonce) {
    throw new TxError(TxCode.NonceTooLow, `nonce ${tx.nonce} is too low: ${tx.sender} is at nonce ${expectedNonce}`);
  }
  if (tx.nonce > expectedNonce) {
    throw new TxError(TxCode.NonceTooHigh, `nonce ${tx.nonce} is too high: ${tx.sender} expects nonce ${expectedNonce} next`);
  }
  const balance = accounts.balance(tx.sender);
  const cost = maxCost(tx);
  if (balance < cost) {
    throw new TxError(
      TxCode.InsufficientFunds,
      `insufficient funds: ${tx.sender} has ${balance} wei, the transaction needs up to ${cost} wei (gas limit × price + value)`,
    );
  }
}

function outcome(code: TxCode, log: string, tx: SignedTx, gasUsed: bigint, price: bigint, logs: EvmLog[], returnData: Uint8Array): TxOutcome {
  return {
    code,
    log,
    gasWanted: tx.gasLimit,
    gasUsed,
    fee: gasUsed * price,
    receipt: { status: code === TxCode.Ok ? 1 : 0, gasUsed, effectiveGasPrice: price, logs, contractAddress: null, returnData },
  };
}

/** A transaction that was not executed at all: no nonce, no fee. */
export function rejected(err: TxError, gasWanted = 0n): Omit<TxOutcome, 'receipt'> {
  return { code: err.code, log: err.message, gasWanted, gasUsed: 0n, fee: 0n };
}

/**
 * Executes a transaction that passed validation, writing into `state`.
 * Throws only for internal faults; refusals are outcomes.
 */
export function executeTx(
  tx: SignedTx,
  state: KV,
  rules: ChainRules,
  block: BlockInfo,
  resolveSystem: SystemContractResolver,
): TxOutcome {
  const accounts = new Accounts(state);
  validateStatic(tx, rules);
  validateSender(tx, accounts, accounts.nonce(tx.sender));

  const price = effectiveGasPrice(tx, baseFee(rules.params));
  const sender = accounts.get(tx.sender);
  sender.nonce += 1n;
  sender.balance -= tx.gasLimit * price;
  accounts.put(tx.sender, sender);

  const intrinsic = intrinsicGas(tx);
  const scratch = new Overlay(state);
  let result: TxOutcome;
  const system = tx.to === null ? undefined : resolveSystem(tx.to, scratch);
  if (system !== undefined) {
    result = runSystemCall(tx, scratch, system, intrinsic, price, block);
  } else if (tx.to === null || accounts.get(tx.to).codeHash.length > 0) {
    // Contract creation and calls need the EVM, which this node does not run yet.
    result = outcome(TxCode.Unsupported, 'contract creation and contract calls are not supported by this node yet (no EVM)', tx, intrinsic, price, [], new Uint8Array(0));
  } else {
    const scratchAccounts = new Accounts(scratch);
    scratchAccounts.debit(tx.sender, tx.value);
    scratchAccounts.credit(tx.to, tx.value);
    result = outcome(TxCode.Ok, '', tx, intrinsic, price, [], new Uint8Array(0));
  }
  if (result.code === TxCode.Ok) scratch.commitTo(state);

  // Refund unused gas; the fee goes to the block award.
  accounts.credit(tx.sender, (tx.gasLimit - result.gasUsed) * price);
  new Supply(state).addFees(result.fee);
  return result;
}

function runSystemCall(
  tx: SignedTx,
  scratch: Overlay,
  contract: SystemContract,
  intrinsic: bigint,
  price: bigint,
  block: BlockInfo,
): TxOutcome {
  let gas: bigint;
  try {
    gas = intrinsic + contract.gasCost(tx.data);
  } catch (err) {
    if (!(err instanceof SystemCallError)) throw err;
    return outcome(TxCode.Reverted, `${contract.address}: ${err.message}`, tx, intrinsic, price, [], new Uint8Array(0));
  }
  if (gas > tx.gasLimit) {
    return outcome(TxCode.Reverted, `out of gas: the call costs ${gas} gas, the gas limit is ${tx.gasLimit}`, tx, tx.gasLimit, price, [], new Uint8Array(0));
  }
  try {
    new Accounts(scratch).debit(tx.sender, tx.value);
    const result = contract.call({ sender: tx.sender, value: tx.value, height: block.height, time: block.time, txHash: tx.hash }, tx.data);
    return outcome(TxCode.Ok, '', tx, gas, price, result.logs, result.returnData);
  } catch (err) {
    if (!(err instanceof SystemCallError)) throw err;
    return outcome(TxCode.Reverted, `${contract.address}: ${err.message} (${err.reason})`, tx, gas, price, [], revertData(err.message));
  }
}

/** ABI encoding of Error(string), the standard Solidity revert reason, so wallets show it. */
export function revertData(message: string): Uint8Array {
  const text = Buffer.from(message, 'utf8');
  const padded = Math.ceil(text.length / 32) * 32;
  const out = Buffer.alloc(4 + 32 + 32 + padded);
  Buffer.from('08c379a0', 'hex').copy(out, 0);
  out.writeUInt8(0x20, 4 + 31);
  out.writeUInt32BE(text.length, 4 + 32 + 28);
  text.copy(out, 4 + 64);
  return out;
}
