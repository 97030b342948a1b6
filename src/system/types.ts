/**
 * System contracts: the staking (0x…1000) and governance (0x…1001)
 * addresses, whose calls are ordinary signed Ethereum transactions carrying
 * Solidity-ABI calldata, executed natively rather than in the EVM.
 *
 * Protocol of a call, as the transaction executor runs it:
 *  1. the executor charges gas and debits `value` from the sender into the
 *     transaction's scratch state;
 *  2. it calls `call(ctx, calldata)` on that scratch state; the contract takes
 *     ownership of `value` (adds it to a stake, holds it) or throws if the
 *     function is not payable and value > 0;
 *  3. on a throw the executor discards the scratch state (value returned),
 *     keeps the gas fee, and reports the error's message as the revert reason.
 */
import type { Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';
import type { AbiValue } from './abi.js';
import type { KV } from '../store/kv.js';

export const STAKING_ADDRESS: Address = '0x0000000000000000000000000000000000001000';
export const GOVERNANCE_ADDRESS: Address = '0x0000000000000000000000000000000000001001';

export interface SystemCallContext {
  sender: Address;
  /** Wei sent with the call (already debited from the sender). */
  value: bigint;
  height: bigint;
  /** Block header time, unix seconds. */
  time: bigint;
  /** keccak256 of the signed transaction. */
  txHash: Uint8Array;
}

export interface SystemCallResult {
  /** ABI-encoded return value (may be empty). */
  returnData: Uint8Array;
  logs: EvmLog[];
}

/**
 * An event a system function emits, before encoding: the ABI event's name
 * and its fields in declaration order. Ledgers return these; the dispatcher
 * turns them into logs.
 */
export interface SystemEvent {
  readonly name: string;
  readonly values: readonly AbiValue[];
}

/** A refused system call: the message is what the user sees as the revert reason. */
export class SystemCallError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable reason, e.g. 'not_candidate', 'below_min_stake'. */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'SystemCallError';
  }
}

export interface SystemContract {
  readonly address: Address;
  /** Fixed gas charged for a call, by function (documented in docs/). Throws SystemCallError on unknown calldata. */
  gasCost(calldata: Uint8Array): bigint;
  /** Executes a state-changing call. Throws SystemCallError to revert. */
  call(ctx: SystemCallContext, calldata: Uint8Array): SystemCallResult;
  /** Answers a view function (eth_call) without changing state. Throws SystemCallError. */
  view(calldata: Uint8Array): Uint8Array;
}

/** Builds the system contract at `address` over `kv`, or undefined for an ordinary address. */
export type SystemContractResolver = (address: Address, kv: KV) => SystemContract | undefined;
