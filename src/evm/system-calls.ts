/**
 * The system addresses inside the EVM (SPEC 6 "From contracts"): a call
 * frame whose code address is staking (0x…1000) or governance (0x…1001) runs
 * the system function natively, as a precompile would.
 *
 * - CALL: the function runs with the calling contract as sender; msg.value
 *   is debited from it (never credited to the system address) and handed to
 *   the function. Every write (balances, ledger records) goes into the
 *   frame's own checkpoint layer of KvStateManager, so it is undone with
 *   the frame and with any enclosing frame that reverts; its events become
 *   the frame's logs and are dropped the same way.
 * - STATICCALL (or any call in a static context): view functions only.
 * - DELEGATECALL / CALLCODE: revert (the code cannot run in another
 *   account's context).
 * - No calldata (a plain transfer): revert, so CMT never rests there.
 * - Gas: the function's fixed cost (docs/STAKING.md, docs/GOVERNANCE.md) is
 *   the frame's execution gas, also when the function refuses; a frame with
 *   less gas than that fails out of gas and consumes it all.
 */
import { EVMError, type ExecResult, type Log, type Message } from '@ethereumjs/evm';
import { Accounts, decodeAccount } from '../state/accounts.js';
import { addressFromBytes, type Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';
import { STATE_PREFIXES } from '../state/keys.js';
import { Overlay, type KVReader } from '../store/kv.js';
import { SystemCallError, type SystemContract, type SystemContractResolver } from '../system/types.js';
import { encodeRevertReason } from '../system/revert.js';
import type { KvStateManager } from './state.js';

/** What system frames of one execution need besides the message. */
export interface SystemCallEnv {
  /** Builds the system contract at an address over a KV (the app's module wiring). */
  resolve: SystemContractResolver;
  /** Hash of the transaction being executed (32 zero bytes for eth_call). */
  txHash: Uint8Array;
  height: bigint;
  time: bigint;
}

function revert(message: string, gasUsed: bigint): ExecResult {
  return { returnValue: encodeRevertReason(message), executionGasUsed: gasUsed, exceptionError: new EVMError(EVMError.errorMessages.REVERT) };
}

function outOfGas(gasLimit: bigint): ExecResult {
  return { returnValue: new Uint8Array(0), executionGasUsed: gasLimit, exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS) };
}

function toEvmLog(log: EvmLog): Log {
  return [Buffer.from(log.address.slice(2), 'hex'), log.topics, log.data];
}

/** Σ balance decrease over the accounts an overlay wrote: the CMT a system function took out of balances. */
function balancesTaken(changes: Overlay, parent: KVReader): bigint {
  let taken = 0n;
  for (const [key, value] of changes.sortedChanges()) {
    if (!key.startsWith(STATE_PREFIXES.account)) continue;
    const before = parent.get(key);
    taken += (before === undefined ? 0n : decodeAccount(before).balance) - (value === null ? 0n : decodeAccount(value).balance);
  }
  return taken;
}

/**
 * Runs one call frame addressed to a system contract. `env` is undefined
 * when the execution was started without the app's system contracts (a
 * tool): such calls revert rather than swallow value.
 */
export function runSystemFrame(state: KvStateManager, message: Message, env: SystemCallEnv | undefined): ExecResult {
  const target = addressFromBytes(message.codeAddress.bytes);
  if (message.delegatecall || !message.to!.equals(message.codeAddress)) {
    return revert(`${target} is a system contract: DELEGATECALL and CALLCODE to it are refused`, 0n);
  }
  if (message.data.length === 0) {
    return revert(`${target} is a system contract: CMT cannot be sent to it without a function call`, 0n);
  }
  if (env === undefined) return revert(`${target}: system contracts are not available to this execution`, 0n);

  const frame = state.view;
  const scratch = new Overlay(frame);
  const contract: SystemContract | undefined = env.resolve(target, scratch);
  if (contract === undefined) throw new Error(`no system contract at ${target}`);
  let cost: bigint;
  try {
    cost = contract.gasCost(message.data);
  } catch (err) {
    if (!(err instanceof SystemCallError)) throw err;
    return revert(`${target}: ${err.message}`, 0n);
  }
  if (cost > message.gasLimit) return outOfGas(message.gasLimit);

  const sender: Address = addressFromBytes(message.caller.bytes);
  try {
    if (message.isStatic) return { returnValue: contract.view(message.data), executionGasUsed: cost };
    // The interpreter checked the caller's balance before the CALL; a
    // top-level message was checked by the executor.
    new Accounts(scratch).debit(sender, message.value);
    const result = contract.call({ sender, value: message.value, height: env.height, time: env.time, txHash: env.txHash }, message.data);
    state.noteSystemInflow(balancesTaken(scratch, frame));
    scratch.commitTo(frame);
    return { returnValue: result.returnData, executionGasUsed: cost, logs: result.logs.map(toEvmLog) };
  } catch (err) {
    if (err instanceof SystemCallError) return revert(`${target}: ${err.message}`, cost);
    if (err instanceof Error && err.name === 'InsufficientBalanceError') return revert(err.message, cost);
    throw err;
  }
}
