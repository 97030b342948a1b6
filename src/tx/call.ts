/**
 * Read-only EVM execution for the JSON-RPC gateway: `eth_call` and
 * `eth_estimateGas`. Both run on a throw-away Overlay of the given state and
 * never change it. Calls to the system addresses (staking 0x…1000,
 * governance 0x…1001) are answered natively by the SystemContract the caller
 * resolves, as block execution does.
 *
 * eth_call: no fee is charged and no balance is needed for gas; `value` must
 * be covered by the sender's balance. Gas defaults to the block gas limit
 * (UNLIMITED_BLOCK_GAS_LIMIT when consensus max_gas is unlimited) and is
 * capped by it. The sender's nonce is bumped as in a real transaction, so a
 * creation reports the address a transaction would get.
 *
 * eth_estimateGas: the smallest gas limit with which the transaction
 * succeeds, found by binary search (docs/EVM.md): one run at the cap (it
 * must succeed, else the revert reason is thrown as EstimateGasError), then
 * a search between the gas it used − 1 and min(cap, used·64/63 + margin),
 * widened to the cap if that bound fails. The result is exact: with
 * estimate − 1 gas the transaction fails. System calls cost their fixed gas
 * and are simulated on scratch state so a refusal is reported.
 */
import type { Address } from '../util/address.js';
import { Accounts } from '../state/accounts.js';
import type { EvmLog } from '../state/logs.js';
import type { Params } from '../state/params.js';
import { Overlay, type KVReader } from '../store/kv.js';
import { SystemCallError, type SystemContractResolver } from '../system/types.js';
import { encodeRevertReason } from '../system/revert.js';
import { baseFee } from './executor.js';
import { applyAuthorizations } from './authorization.js';
import type { Authorization } from './decode.js';
import { MAX_INITCODE_SIZE, calldataFloorGas, intrinsicGas } from './gas.js';
import { forkRules } from '../evm/hardfork.js';
import { acquireEngine, evmBlockGasLimit, prevRandaoOf, readBlockHash, releaseEngine, runMessage, type EvmOutcome } from '../evm/engine.js';

export interface CallRequest {
  /** Sender; the zero address when absent. */
  from?: Address;
  /** Recipient; null for a contract creation (data is the init code). */
  to: Address | null;
  data: Uint8Array;
  value?: bigint;
  /** Gas limit; default and cap: the block gas limit. */
  gas?: bigint;
  /** GASPRICE seen by the code; default 0. No fee is charged either way. */
  gasPrice?: bigint;
  /**
   * EIP-7702 authorizations (a type-4 transaction): applied, after the
   * sender's nonce is bumped, before the call, as block execution does.
   */
  authorizationList?: Authorization[];
}

export interface CallContext {
  /**
   * Block the call runs in (NUMBER), as geth does: the height whose state is
   * read. PREVRANDAO and BLOCKHASH are that block's when it is in the
   * recent-hash ring of `state`.
   */
  height: bigint;
  /** Header time of that block, unix seconds (TIMESTAMP). */
  time: bigint;
  params: Params;
  /** Consensus block gas limit; null when unlimited. */
  blockGasLimit: bigint | null;
}

export interface CallResult {
  success: boolean;
  /** Return data, or the revert data of a failed call. */
  returnData: Uint8Array;
  /** Gas the call would pay as a transaction (intrinsic included, refund deducted, from Prague at least the calldata floor). */
  gasUsed: bigint;
  logs: EvmLog[];
  /** Why it failed ("execution reverted: reason", "out of gas", ...). */
  error?: string;
}

/** eth_estimateGas found no gas limit with which the transaction succeeds. */
export class EstimateGasError extends Error {
  override readonly name = 'EstimateGasError';
  constructor(
    message: string,
    /** The revert data of the failing run (may be empty). */
    readonly returnData: Uint8Array,
  ) {
    super(message);
  }
}

const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
const EMPTY = new Uint8Array(0);
const ZERO_HASH = new Uint8Array(32);

/** The recorded header hash of `height`, or undefined when the ring does not hold it. */
function recordedHash(state: KVReader, height: bigint): Uint8Array | undefined {
  const hash = readBlockHash(state, height);
  return hash.some((b) => b !== 0) ? hash : undefined;
}

function gasCap(ctx: CallContext): bigint {
  return evmBlockGasLimit(ctx.blockGasLimit);
}

function intrinsicOf(request: CallRequest): bigint {
  const tx = { to: request.to, data: request.data, accessList: [] };
  return intrinsicGas(request.authorizationList === undefined ? tx : { ...tx, authorizationList: request.authorizationList });
}

/**
 * From Prague a transaction pays at least its calldata floor and its gas
 * limit must cover it (EIP-7623), as block execution settles it; 0 before.
 */
function calldataFloorOf(request: CallRequest, ctx: CallContext): bigint {
  return forkRules(ctx.params.evm_hardfork).calldataFloor ? calldataFloorGas(request) : 0n;
}

const atLeast = (gas: bigint, floor: bigint): bigint => (gas < floor ? floor : gas);

function belowFloor(gas: bigint, floor: bigint): CallResult {
  return failed(`gas limit ${gas} is below the calldata floor ${floor} of this call (EIP-7623)`, gas);
}

function failed(error: string, gasUsed: bigint, returnData: Uint8Array = EMPTY): CallResult {
  return { success: false, returnData, gasUsed, logs: [], error };
}

/** One EVM run of `request` with `gas` over a throw-away overlay of `state`. */
async function evmRun(state: KVReader, request: CallRequest, ctx: CallContext, gas: bigint, resolveSystem: SystemContractResolver): Promise<CallResult> {
  const intrinsic = intrinsicOf(request);
  if (gas < intrinsic) return failed(`intrinsic gas too low: the call needs at least ${intrinsic} gas`, gas);
  if (request.to === null && request.data.length > MAX_INITCODE_SIZE) {
    return failed(`init code is ${request.data.length} bytes, more than ${MAX_INITCODE_SIZE} (EIP-3860)`, gas);
  }
  const floor = calldataFloorOf(request, ctx);
  if (gas < floor) return belowFloor(gas, floor);
  const from = request.from ?? ZERO_ADDRESS;
  const value = request.value ?? 0n;
  if (value > 0n && new Accounts(new Overlay(state)).balance(from) < value) {
    return failed(`insufficient funds: ${from} cannot send ${value} wei`, intrinsic);
  }
  const scratch = new Overlay(state);
  const auths = request.authorizationList;
  let authorized: ReturnType<typeof applyAuthorizations> | undefined;
  if (auths !== undefined && auths.length > 0) {
    if (!forkRules(ctx.params.evm_hardfork).setCode) return failed(`authorizations (EIP-7702) need the osaka hard fork; this chain runs ${ctx.params.evm_hardfork}`, intrinsic);
    // As in a block: the sender's nonce first, then the authorizations.
    const accounts = new Accounts(scratch);
    const sender = accounts.get(from);
    sender.nonce += 1n;
    accounts.put(from, sender);
    authorized = applyAuthorizations(auths, scratch, ctx.params.chain_id);
  }
  const engine = await acquireEngine(ctx.params.chain_id, 'rpc', ctx.params.evm_hardfork);
  let outcome: EvmOutcome;
  try {
    ({ outcome } = await runMessage(
      engine,
      scratch,
      {
        caller: from,
        to: request.to,
        value,
        data: request.data,
        gasLimit: gas,
        intrinsicGas: intrinsic,
        gasPrice: request.gasPrice ?? 0n,
        accessList: [],
        warm: authorized?.warm ?? [],
        refund: authorized?.refund ?? 0n,
        incrementNonce: authorized === undefined,
        system: { resolve: resolveSystem, txHash: ZERO_HASH },
      },
      {
        height: ctx.height,
        time: ctx.time,
        gasLimit: gasCap(ctx),
        baseFee: baseFee(ctx.params),
        prevRandao: prevRandaoOf(ctx.height, recordedHash(state, ctx.height)),
      },
    ));
  } catch (err) {
    // The engine may be mid-journal: drop it.
    return failed(`EVM error: ${err instanceof Error ? err.message : String(err)}`, gas);
  }
  releaseEngine(engine);
  const result: CallResult = { success: outcome.success, returnData: outcome.returnData, gasUsed: atLeast(outcome.gasUsed, floor), logs: outcome.logs };
  if (outcome.error !== undefined) result.error = outcome.error;
  return result;
}

/**
 * eth_call: executes `request` against `state` without changing it. System
 * addresses answer view functions with their `view(calldata)`; a
 * state-changing system function is simulated on scratch state as the
 * transaction would run now (as Ethereum nodes simulate any call), so
 * `staticCall` / `simulateContract` return its result or its refusal.
 */
export async function ethCall(state: KVReader, request: CallRequest, ctx: CallContext, resolveSystem: SystemContractResolver): Promise<CallResult> {
  const cap = gasCap(ctx);
  const gas = request.gas === undefined || request.gas > cap ? cap : request.gas;
  if (request.to !== null) {
    const scratch = new Overlay(state);
    const system = resolveSystem(request.to, scratch);
    if (system !== undefined) return callSystem(scratch, request, system, ctx, gas);
  }
  return evmRun(state, request, ctx, gas, resolveSystem);
}

function callSystem(scratch: Overlay, request: CallRequest, system: NonNullable<ReturnType<SystemContractResolver>>, ctx: CallContext, gas: bigint): CallResult {
  const intrinsic = intrinsicOf(request);
  try {
    const returnData = system.view(request.data);
    return { success: true, returnData, gasUsed: intrinsic, logs: [] };
  } catch (err) {
    if (!(err instanceof SystemCallError)) throw err;
    if (err.reason !== 'not_view') return failed(`execution reverted: ${err.message}`, intrinsic, encodeRevertReason(err.message));
  }
  const floor = calldataFloorOf(request, ctx);
  if (gas < floor) return belowFloor(gas, floor);
  const from = request.from ?? ZERO_ADDRESS;
  const value = request.value ?? 0n;
  try {
    const used = atLeast(intrinsic + system.gasCost(request.data), floor);
    if (used > gas) return failed('out of gas', gas);
    new Accounts(scratch).debit(from, value);
    const result = system.call({ sender: from, value, height: ctx.height, time: ctx.time, txHash: ZERO_HASH }, request.data);
    return { success: true, returnData: result.returnData, gasUsed: used, logs: result.logs };
  } catch (err) {
    if (err instanceof SystemCallError) return failed(`execution reverted: ${err.message}`, intrinsic, encodeRevertReason(err.message));
    if (err instanceof Error && err.name === 'InsufficientBalanceError') return failed(err.message, intrinsic);
    throw err;
  }
}

/**
 * eth_estimateGas: the least gas limit with which `request` succeeds as a
 * transaction. Throws EstimateGasError when it fails even at the cap.
 */
export async function estimateGas(state: KVReader, request: CallRequest, ctx: CallContext, resolveSystem: SystemContractResolver): Promise<bigint> {
  const cap = request.gas === undefined || request.gas > gasCap(ctx) ? gasCap(ctx) : request.gas;
  const intrinsic = intrinsicOf(request);
  if (request.to !== null) {
    const scratch = new Overlay(state);
    const system = resolveSystem(request.to, scratch);
    if (system !== undefined) return estimateSystemCall(scratch, request, system, intrinsic, cap, ctx);
  }

  const first = await evmRun(state, request, ctx, cap, resolveSystem);
  if (!first.success) throw new EstimateGasError(first.error ?? 'execution failed', first.returnData);
  // Invariant: `lo` fails (or is below the intrinsic gas), `hi` succeeds.
  let lo = (first.gasUsed > intrinsic ? first.gasUsed : intrinsic) - 1n;
  let hi = cap;
  // Most calls need their gas used plus the 1/64 that CALLs withhold and what refunds returned: try that first.
  const guess = (first.gasUsed * 64n) / 63n + 2_300n;
  if (guess < hi) {
    if ((await evmRun(state, request, ctx, guess, resolveSystem)).success) hi = guess;
    else lo = guess;
  }
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if ((await evmRun(state, request, ctx, mid, resolveSystem)).success) hi = mid;
    else lo = mid;
  }
  // The least succeeding gas covers the calldata floor: evmRun fails below it.
  return hi;
}

function estimateSystemCall(
  scratch: Overlay,
  request: CallRequest,
  system: NonNullable<ReturnType<SystemContractResolver>>,
  intrinsic: bigint,
  cap: bigint,
  ctx: CallContext,
): bigint {
  const from = request.from ?? ZERO_ADDRESS;
  const value = request.value ?? 0n;
  let gas: bigint;
  try {
    gas = atLeast(intrinsic + system.gasCost(request.data), calldataFloorOf(request, ctx));
    if (gas > cap) throw new EstimateGasError(`the call costs ${gas} gas, above the gas cap ${cap}`, EMPTY);
    new Accounts(scratch).debit(from, value);
    system.call({ sender: from, value, height: ctx.height, time: ctx.time, txHash: ZERO_HASH }, request.data);
  } catch (err) {
    if (err instanceof SystemCallError) throw new EstimateGasError(`execution reverted: ${err.message}`, encodeRevertReason(err.message));
    if (err instanceof Error && err.name === 'InsufficientBalanceError') throw new EstimateGasError(err.message, EMPTY);
    throw err;
  }
  return gas;
}
