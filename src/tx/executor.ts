/**
 * Validation and execution of signed transactions against state (SPEC 9).
 *
 * `validateStatic` / `validateSender` hold every rule that makes a
 * transaction impossible to execute (chain id, gas, price, nonce, funds);
 * CheckTx and block execution share them. `executeTx` runs a valid
 * transaction: nonce and fee first, then the native transfer, the system
 * call or the EVM (contract creation, calls to code, precompiles) in scratch
 * state that a failure throws away (the fee stays charged). Every fee goes
 * to the Supply fee pool (docs/EVM.md).
 */
import { acquireEngine, evmBlockGasLimit, prevRandaoOf, releaseEngine, runMessage, EvmInvariantError, type EvmBlockContext, type EvmEngine } from '../evm/engine.js';
import { Accounts, type Account } from '../state/accounts.js';
import type { Address } from '../util/address.js';
import type { Params } from '../state/params.js';
import { Supply } from '../state/supply.js';
import type { EvmLog } from '../state/logs.js';
import { Overlay, type KV, type KVReader } from '../store/kv.js';
import { readCode } from '../evm/state.js';
import { forkRules, type ForkRules } from '../evm/hardfork.js';
import { encodeRevertReason } from '../system/revert.js';
import { SystemCallError, type SystemContract, type SystemContractResolver } from '../system/types.js';
import { applyAuthorizations, isDelegation } from './authorization.js';
import type { SignedTx } from './decode.js';
import { TxCode, TxError } from './errors.js';
import { MAX_INITCODE_SIZE, calldataFloorGas, effectiveGasPrice, intrinsicGas, isFreeTx } from './gas.js';
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
  /** Header time, unix milliseconds (the award year counts it, SPEC 5.1); default `time` · 1000. */
  timeMs?: bigint;
  /**
   * CometBFT header hash of this block (FinalizeBlock / BeginBlock `hash`):
   * seeds PREVRANDAO. Absent in tools and tests (the height seeds it then).
   */
  hash?: Uint8Array;
}

export interface TxOutcome {
  code: TxCode;
  log: string;
  gasWanted: bigint;
  gasUsed: bigint;
  /** Fee charged (gasUsed × effective price), paid into the block's fee pool. */
  fee: bigint;
  receipt: Receipt;
}

/**
 * Listeners a trace (src/rpc/tracers.ts) puts on the engine that runs a
 * transaction's EVM message, so the trace follows the very execution the
 * block ran. With one, the message runs on an 'rpc' engine (consensus
 * engines refuse listeners); block execution never passes one.
 */
export interface EngineObserver {
  attach(engine: EvmEngine): void;
  detach(engine: EvmEngine): void;
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
  const fork = forkRules(params.evm_hardfork);
  if (tx.chainId !== params.chain_id) {
    throw new TxError(TxCode.ChainId, `wrong chain id ${tx.chainId}: this chain is ${params.chain_id}`);
  }
  if (tx.type === 4 && !fork.setCode) {
    throw new TxError(TxCode.UnsupportedType, `type-4 (EIP-7702) transactions need the osaka hard fork; this chain runs ${fork.name}`);
  }
  if (fork.txGasCap !== null && tx.gasLimit > fork.txGasCap) {
    throw new TxError(TxCode.BlockGasLimit, `gas limit ${tx.gasLimit} is above the per-transaction cap ${fork.txGasCap} (EIP-7825)`);
  }
  const blockGas = evmBlockGasLimit(rules.blockGasLimit);
  if (tx.gasLimit > blockGas) {
    const note = rules.blockGasLimit === null ? ' (consensus max_gas is unlimited; one transaction may use at most this much)' : '';
    throw new TxError(TxCode.BlockGasLimit, `gas limit ${tx.gasLimit} is above the block gas limit ${blockGas}${note}`);
  }
  if (tx.to === null && tx.data.length > MAX_INITCODE_SIZE) {
    throw new TxError(TxCode.Encoding, `contract creation code is ${tx.data.length} bytes, more than the ${MAX_INITCODE_SIZE}-byte limit (EIP-3860)`);
  }
  const intrinsic = intrinsicGas(tx);
  if (tx.gasLimit < intrinsic) {
    throw new TxError(TxCode.IntrinsicGas, `gas limit ${tx.gasLimit} is below the intrinsic gas ${intrinsic} of this transaction`);
  }
  if (fork.calldataFloor) {
    const floor = calldataFloorGas(tx);
    if (tx.gasLimit < floor) {
      throw new TxError(TxCode.IntrinsicGas, `gas limit ${tx.gasLimit} is below the calldata floor ${floor} of this transaction (EIP-7623)`);
    }
  }
  if (isFreeTx(tx)) {
    if (tx.gasLimit > params.free_tx_gas_limit) {
      throw new TxError(TxCode.FreeTxGasLimit, `a zero-price transaction may ask for at most ${params.free_tx_gas_limit} gas, this one asks for ${tx.gasLimit}`);
    }
  } else if (tx.maxFeePerGas < params.min_gas_price) {
    throw new TxError(TxCode.GasPriceTooLow, `gas price ${tx.maxFeePerGas} wei is below the minimum ${params.min_gas_price} wei (or use a zero price within the free slots)`);
  }
}

/**
 * Checks the transaction against its sender's account record: the nonce must
 * be the account's next, the account must hold no code (an EIP-7702
 * delegation indicator is allowed: pass `state` to read it) and afford the
 * worst-case cost. Throws TxError.
 */
/** EIP-3607 with EIP-7702: an account may send unless it holds code other than a delegation. */
export function maySend(account: Account, state: KVReader | undefined): boolean {
  return account.codeHash.length === 0 || (state !== undefined && isDelegation(readCode(state, account.codeHash)));
}

export function validateSender(tx: SignedTx, account: Account, state?: KVReader): void {
  const expectedNonce = account.nonce;
  if (tx.nonce < expectedNonce) {
    throw new TxError(TxCode.NonceTooLow, `nonce ${tx.nonce} is too low: ${tx.sender} is at nonce ${expectedNonce}`);
  }
  if (tx.nonce > expectedNonce) {
    throw new TxError(TxCode.NonceTooHigh, `nonce ${tx.nonce} is too high: ${tx.sender} expects nonce ${expectedNonce} next`);
  }
  if (!maySend(account, state)) {
    throw new TxError(TxCode.Signature, `${tx.sender} holds contract code and cannot send transactions (EIP-3607)`);
  }
  const cost = maxCost(tx);
  if (account.balance < cost) {
    throw new TxError(TxCode.InsufficientFunds, `insufficient funds: ${tx.sender} has ${account.balance} wei, the transaction needs up to ${cost} wei (gas limit × price + value)`);
  }
}

/** `result` with its gas (and so its fee) set to `gasUsed`. */
function withGas(result: TxOutcome, gasUsed: bigint, price: bigint): TxOutcome {
  if (gasUsed === result.gasUsed) return result;
  return { ...result, gasUsed, fee: gasUsed * price, receipt: { ...result.receipt, gasUsed } };
}

function outcome(
  code: TxCode,
  log: string,
  tx: SignedTx,
  gasUsed: bigint,
  price: bigint,
  logs: EvmLog[],
  returnData: Uint8Array,
  contractAddress: Address | null = null,
): TxOutcome {
  return {
    code,
    log,
    gasWanted: tx.gasLimit,
    gasUsed,
    fee: gasUsed * price,
    receipt: { status: code === TxCode.Ok ? 1 : 0, gasUsed, effectiveGasPrice: price, logs, contractAddress, returnData },
  };
}

const PRECOMPILE_PREFIX = `0x${'0'.repeat(36)}`;

/** Whether `address` is a precompiled contract of `fork` (src/evm/hardfork.ts): a transfer to one runs it, as on Ethereum. */
export function isPrecompile(address: Address, fork: ForkRules): boolean {
  if (!address.startsWith(PRECOMPILE_PREFIX)) return false;
  return fork.precompiles.has(parseInt(address.slice(PRECOMPILE_PREFIX.length), 16));
}

/**
 * Gas a transaction pays: `used` less the refund capped at a fifth
 * (EIP-3529), and from Prague at least its calldata floor (EIP-7623).
 */
function settledGas(used: bigint, refund: bigint, floor: bigint): bigint {
  let gas = used;
  if (refund > 0n) {
    const cap = gas / 5n;
    gas -= refund < cap ? refund : cap;
  }
  return gas < floor ? floor : gas;
}

let lastContext: EvmBlockContext | undefined;
let lastHash: Uint8Array | undefined;

/** The EVM context of a block (PREVRANDAO hashed once per block, not per transaction). */
export function evmBlockContext(rules: ChainRules, block: BlockInfo): EvmBlockContext {
  const gasLimit = evmBlockGasLimit(rules.blockGasLimit);
  const fee = baseFee(rules.params);
  const c = lastContext;
  if (c !== undefined && c.height === block.height && c.time === block.time && lastHash === block.hash && c.gasLimit === gasLimit && c.baseFee === fee) {
    return c;
  }
  lastHash = block.hash;
  lastContext = { height: block.height, time: block.time, gasLimit, baseFee: fee, prevRandao: prevRandaoOf(block.height, block.hash) };
  return lastContext;
}

/** A transaction that was not executed at all: no nonce, no fee. */
export function rejected(err: TxError, gasWanted = 0n): Omit<TxOutcome, 'receipt'> {
  return { code: err.code, log: err.message, gasWanted, gasUsed: 0n, fee: 0n };
}

/**
 * Executes a transaction that passed validation, writing into `state`.
 * Throws TxError (changing nothing) when the transaction is invalid, and
 * other errors only for internal faults; refusals and failures are outcomes.
 */
export async function executeTx(
  tx: SignedTx,
  state: KV,
  rules: ChainRules,
  block: BlockInfo,
  resolveSystem: SystemContractResolver,
  observer?: EngineObserver,
): Promise<TxOutcome> {
  const accounts = new Accounts(state);
  validateStatic(tx, rules);
  const sender = accounts.get(tx.sender);
  validateSender(tx, sender, state);

  const fork = forkRules(rules.params.evm_hardfork);
  const price = effectiveGasPrice(tx, baseFee(rules.params));
  const intrinsic = intrinsicGas(tx);
  const floor = fork.calldataFloor ? calldataFloorGas(tx) : 0n;
  const to = tx.to;
  const supply = new Supply(state);

  if (to !== null && tx.authorizationList === undefined && resolveSystem(to, state) === undefined && !isPrecompile(to, fork)) {
    const recipient = to === tx.sender ? sender : accounts.get(to);
    if (recipient.codeHash.length === 0) {
      // A plain transfer to an account without code: native, no EVM, one
      // write per account. Validation guaranteed the balance.
      const gas = settledGas(intrinsic, 0n, floor);
      const fee = gas * price;
      sender.nonce += 1n;
      sender.balance -= fee + tx.value;
      accounts.put(tx.sender, sender);
      if (tx.value > 0n) accounts.credit(to, tx.value);
      supply.addFees(fee);
      return outcome(TxCode.Ok, '', tx, gas, price, [], new Uint8Array(0));
    }
  }

  // Contract creation, calls to code, precompiles, system contracts and
  // set-code transactions: nonce and the whole gas limit first, the unused
  // gas refunded after.
  sender.nonce += 1n;
  sender.balance -= tx.gasLimit * price;
  accounts.put(tx.sender, sender);
  // EIP-7702: authorizations take effect before the call and survive its failure.
  const authorized = tx.authorizationList === undefined ? undefined : applyAuthorizations(tx.authorizationList, state, rules.params.chain_id);
  const scratch = new Overlay(state);
  const system = to === null ? undefined : resolveSystem(to, scratch);
  let result: TxOutcome;
  if (system !== undefined) {
    result = runSystemCall(tx, scratch, system, intrinsic, price, block);
    if (result.code === TxCode.Ok) scratch.commitTo(state);
    result = withGas(result, settledGas(result.gasUsed, authorized?.refund ?? 0n, floor), price);
  } else {
    result = await runEvm(tx, state, rules, block, intrinsic, price, resolveSystem, authorized?.warm ?? [], authorized?.refund ?? 0n, observer);
    result = withGas(result, settledGas(result.gasUsed, 0n, floor), price);
  }
  accounts.credit(tx.sender, (tx.gasLimit - result.gasUsed) * price);
  supply.addFees(result.fee);
  return result;
}

/**
 * Contract creation, calls to code and to precompiles. The EVM writes into
 * an overlay of `state` applied only on success; the caller's nonce and fee
 * are already charged. CMT destroyed by an EIP-6780 self-destruct is
 * recorded as burned, so the supply identity (SPEC 5.3) keeps holding.
 */
async function runEvm(
  tx: SignedTx,
  state: KV,
  rules: ChainRules,
  block: BlockInfo,
  intrinsic: bigint,
  price: bigint,
  resolveSystem: SystemContractResolver,
  warm: readonly Address[],
  authorizationRefund: bigint,
  observer: EngineObserver | undefined,
): Promise<TxOutcome> {
  const engine = await acquireEngine(rules.params.chain_id, observer === undefined ? 'consensus' : 'rpc', rules.params.evm_hardfork);
  observer?.attach(engine);
  let run;
  try {
    run = await runMessage(
      engine,
      state,
      {
        caller: tx.sender,
        to: tx.to,
        value: tx.value,
        data: tx.data,
        gasLimit: tx.gasLimit,
        intrinsicGas: intrinsic,
        gasPrice: price,
        accessList: tx.accessList,
        warm,
        refund: authorizationRefund,
        incrementNonce: false,
        system: { resolve: resolveSystem, txHash: tx.hash },
      },
      evmBlockContext(rules, block),
    );
  } catch (err) {
    // The engine may hold a half-finished journal: never reuse it.
    // An invariant error (a tampered engine, CMT created) must stop the node, not become a receipt.
    if (err instanceof EvmInvariantError) throw err;
    // An exception inside the EVM library on this input is deterministic (every
    // node runs the same code): the transaction fails and pays its whole gas.
    const message = err instanceof Error ? err.message : String(err);
    return outcome(TxCode.Reverted, `EVM error: ${message}`, tx, tx.gasLimit, price, [], new Uint8Array(0));
  } finally {
    observer?.detach(engine);
  }
  releaseEngine(engine);
  const { outcome: o, changes } = run;
  if (!o.success) {
    return outcome(TxCode.Reverted, o.error ?? 'execution failed', tx, o.gasUsed, price, [], o.returnData, o.createdAddress);
  }
  changes.commitTo(state);
  if (o.burned > 0n) new Supply(state).burn(o.burned);
  return outcome(TxCode.Ok, '', tx, o.gasUsed, price, o.logs, o.returnData, o.createdAddress);
}

function runSystemCall(tx: SignedTx, scratch: Overlay, contract: SystemContract, intrinsic: bigint, price: bigint, block: BlockInfo): TxOutcome {
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
    return outcome(TxCode.Reverted, `${contract.address}: ${err.message} (${err.reason})`, tx, gas, price, [], encodeRevertReason(err.message));
  }
}
