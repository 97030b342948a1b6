/**
 * Transaction traces, computed in a call worker (call-worker.ts): geth's
 * default struct logger and its `callTracer` (docs/RPC.md "Traces").
 *
 * A trace re-executes: a transaction on the state before it (the parent
 * block's state, the block's hash recorded for BLOCKHASH, and the block's
 * earlier transactions executed as consensus executes them), or a call on
 * one committed version. The traced execution runs on an 'rpc' engine with
 * listeners on its step / message events: consensus engines refuse
 * listeners (src/evm/engine.ts), and a listener never changes what the EVM
 * computes here. Staking and governance addresses run natively: a
 * transaction or call to one is a single CALL frame with no opcode steps.
 *
 * Output is bounded: the tracer counts the approximate JSON size of what it
 * records and stops recording past `maxBytes`; the trace then fails with
 * an error naming the limit and the options that shrink it.
 */
import type { EVMResult, InterpreterStep, Message } from '@ethereumjs/evm';
import { loadBlockGasLimit } from '../app/consensus.js';
import { ethCall } from '../tx/call.js';
import { forkRules, type EvmHardforkName, type ForkRules } from '../evm/hardfork.js';
import { acquireEngine, evmBlockGasLimit, prevRandaoOf, readBlockHash, recordBlockHash, releaseEngine, runMessage, type EvmEngine } from '../evm/engine.js';
import { decodeRevertReason } from '../system/revert.js';
import { readStorage } from '../evm/state.js';
import { Accounts } from '../state/accounts.js';
import { addressFromBytes, type Address } from '../util/address.js';
import { loadParams } from '../state/params.js';
import { Overlay, type KV, type KVReader } from '../store/kv.js';
import { decodeSignedTx, hashHex, type SignedTx } from '../tx/decode.js';
import { TxCode, TxError } from '../tx/errors.js';
import { baseFee, executeTx, isPrecompile, type BlockInfo, type ChainRules } from '../tx/executor.js';
import { calldataFloorGas, intrinsicGas } from '../tx/gas.js';
import type { CallBlock, CallRequest } from './call.js';
import { data as hexData, quantity } from './hex.js';
import type { SystemContractResolver } from '../system/types.js';

// ---- requests ------------------------------------------------------------------

export interface TraceOptions {
  /** accessList: the addresses and slots an execution touches (eth_createAccessList). */
  tracer: 'structLogger' | 'callTracer' | 'accessList';
  /** Struct logger: leave out each step's stack / storage; put in its memory. */
  disableStack: boolean;
  disableStorage: boolean;
  enableMemory: boolean;
  /** Struct logger: most steps recorded (0: no limit but maxBytes), as geth's `limit`. */
  limit: number;
  /** callTracer: only the top frame. */
  onlyTopCall: boolean;
  /** Most bytes of output (approximate JSON size) before the trace fails. */
  maxBytes: number;
}

/** The block a transaction trace re-executes. */
export interface TraceBlock {
  height: bigint;
  time: bigint;
  /** CometBFT header hash (BLOCKHASH ring, PREVRANDAO). */
  hash: Uint8Array;
}

export type TraceRequest =
  /** A call (debug_traceCall) on the state after `block`. */
  | { kind: 'call'; req: CallRequest; block: CallBlock; options: TraceOptions }
  /**
   * Transactions of `block` (signed bytes) on the state after its parent:
   * `prior` run untraced, then each of `traced` in turn.
   */
  | {
      kind: 'txs';
      block: TraceBlock;
      /**
       * The block's opening writes over `state` (src/index/records.ts
       * BlockOpening): what the block wrote before its first transaction,
       * or for block 1 what undoes its later writes. Absent for blocks
       * indexed before openings were: the BLOCKHASH ring entry alone then.
       */
      opening?: Array<[string, Uint8Array | null]>;
      prior: Uint8Array[];
      traced: Uint8Array[];
      options: TraceOptions;
    };

// ---- results ---------------------------------------------------------------------

export interface StructLog {
  pc: number;
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
  memory?: string[];
  storage?: Record<string, string>;
  refund?: number;
}

export interface StructLoggerResult {
  gas: number;
  failed: boolean;
  returnValue: string;
  structLogs: StructLog[];
}

export interface CallFrame {
  type: string;
  from: string;
  to?: string;
  value?: string;
  gas: string;
  gasUsed: string;
  input: string;
  output?: string;
  error?: string;
  revertReason?: string;
  calls?: CallFrame[];
}

export interface AccessListResult {
  accessList: Array<{ address: string; storageKeys: string[] }>;
  gasUsed: string;
  error?: string;
}

export type TraceResult = StructLoggerResult | CallFrame | AccessListResult;

/** One result per traced transaction (txHash: 0x hash). */
export type TraceOutput = Array<{ txHash: string; result: TraceResult }> | TraceResult;

/** The trace outgrew `maxBytes`. */
export class TraceLimitError extends Error {
  override readonly name = 'TraceLimitError';
}

// ---- tracers ---------------------------------------------------------------------

/** What a tracer is told about one execution besides its EVM events. */
interface ExecutionSummary {
  from: Address;
  to: Address | null;
  value: bigint;
  input: Uint8Array;
  gasLimit: bigint;
  gasUsed: bigint;
  success: boolean;
  returnData: Uint8Array;
  /** Address of a created contract (creations). */
  created: Address | null;
  /** Why it failed (a transaction's log or the EVM's error). */
  error: string | undefined;
}

interface Tracer {
  attach(engine: EvmEngine): void;
  detach(engine: EvmEngine): void;
  result(summary: ExecutionSummary): TraceResult;
}

const CALL_OPS = new Set(['CALL', 'CALLCODE', 'DELEGATECALL', 'STATICCALL']);

function word(value: bigint): string {
  return value.toString(16).padStart(64, '0');
}

function hexBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** Gas a CALL-family op hands the callee (EIP-150: all but a 64th of what is left, at most the asked gas). */
function forwardedGas(step: InterpreterStep, cost: bigint): bigint {
  const asked = step.stack[step.stack.length - 1] ?? 0n;
  const left = step.gasLeft - cost;
  if (left <= 0n) return 0n;
  const cap = left - left / 64n;
  return asked < cap ? asked : cap;
}

/** A byte budget shared by the tracers of one request. */
class Budget {
  used = 0;
  constructor(readonly max: number) {}
  take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.max) {
      throw new TraceLimitError(
        `the trace is larger than ${this.max} bytes (--rpc-trace-max-bytes): use disableStack / disableStorage, leave enableMemory off, set a limit, or trace with callTracer`,
      );
    }
  }
}

/**
 * geth's struct logger: one entry per executed opcode, before it runs (pc,
 * op, gas left, its cost, depth 1 at the top; gasCost of a CALL includes the
 * gas it forwards), with the stack, memory (32-byte words) and the storage
 * slots the current contract read or wrote so far (SLOAD / SSTORE steps).
 */
class StructLogger implements Tracer {
  private readonly logs: StructLog[] = [];
  private readonly storage = new Map<string, Record<string, string>>();
  private exceeded: TraceLimitError | undefined;
  private readonly onStep = (step: InterpreterStep): void => this.step(step);
  private engine: EvmEngine | undefined;

  constructor(
    private readonly options: TraceOptions,
    private readonly budget: Budget,
  ) {}

  attach(engine: EvmEngine): void {
    this.engine = engine;
    engine.evm.events.on('step', this.onStep);
  }

  detach(engine: EvmEngine): void {
    engine.evm.events.off('step', this.onStep);
    this.engine = undefined;
  }

  private step(step: InterpreterStep): void {
    if (this.exceeded !== undefined) return;
    if (this.options.limit > 0 && this.logs.length >= this.options.limit) return;
    const op = step.opcode.name;
    let cost = step.opcode.dynamicFee ?? BigInt(step.opcode.fee);
    if (CALL_OPS.has(op)) cost += forwardedGas(step, cost);
    const log: StructLog = { pc: step.pc, op, gas: Number(step.gasLeft), gasCost: Number(cost), depth: step.depth + 1 };
    let bytes = 80 + op.length;
    if (step.gasRefund > 0n) log.refund = Number(step.gasRefund);
    if (!this.options.disableStack) {
      log.stack = step.stack.map((v) => `0x${v.toString(16)}`);
      bytes += 70 * step.stack.length;
    }
    if (this.options.enableMemory) {
      const memory: string[] = [];
      for (let i = 0; i < step.memory.length; i += 32) memory.push(hexBytes(step.memory.subarray(i, i + 32)).padEnd(64, '0'));
      log.memory = memory;
      bytes += 67 * memory.length;
    }
    if (!this.options.disableStorage && (op === 'SLOAD' || op === 'SSTORE') && step.stack.length >= (op === 'SLOAD' ? 1 : 2)) {
      const address = hexBytes(step.address.bytes);
      let slots = this.storage.get(address);
      if (slots === undefined) this.storage.set(address, (slots = {}));
      const slot = step.stack[step.stack.length - 1]!;
      let value: bigint;
      if (op === 'SSTORE') value = step.stack[step.stack.length - 2]!;
      else {
        const raw = readStorage(this.engine!.state.view, step.address.bytes, Buffer.from(word(slot), 'hex'));
        value = raw.length === 0 ? 0n : BigInt(`0x${hexBytes(raw)}`);
      }
      slots[word(slot)] = word(value);
      log.storage = { ...slots };
      bytes += 134 * Object.keys(slots).length;
    }
    try {
      this.budget.take(bytes);
    } catch (err) {
      this.exceeded = err as TraceLimitError;
      return;
    }
    this.logs.push(log);
  }

  result(summary: ExecutionSummary): StructLoggerResult {
    if (this.exceeded !== undefined) throw this.exceeded;
    // Empty return data is "" (as Hardhat and geth before 1.14 give it), else 0x hex.
    const returnValue = summary.returnData.length === 0 ? '' : hexData(summary.returnData);
    return { gas: Number(summary.gasUsed), failed: !summary.success, returnValue, structLogs: this.logs };
  }
}

/** geth's error strings for the EVM's. */
function frameError(message: string): string {
  if (message === 'revert') return 'execution reverted';
  return message;
}

function callType(message: Message): string {
  if (message.isCreate === true || message.to === undefined) return message.salt === undefined ? 'CREATE' : 'CREATE2';
  if (message.delegatecall) return 'DELEGATECALL';
  if (message.isStatic) return 'STATICCALL';
  // CALLCODE runs the code of another account in the caller's own.
  return message.codeAddress.equals(message.to) ? 'CALL' : 'CALLCODE';
}

/**
 * geth's callTracer: the tree of call frames (type, from, to, value, gas
 * given, gas used, input, output, error and decoded revert reason). The top
 * frame carries the transaction's gas limit and gas used.
 */
class CallTracer implements Tracer {
  private readonly stack: CallFrame[] = [];
  private top: CallFrame | undefined;
  private exceeded: TraceLimitError | undefined;
  private readonly onBefore = (message: Message): void => this.enter(message);
  private readonly onAfter = (result: EVMResult): void => this.exit(result);
  private readonly onCreate = (event: { address: { bytes: Uint8Array } }): void => {
    const frame = this.stack[this.stack.length - 1];
    if (frame !== undefined) frame.to = addressFromBytes(event.address.bytes);
  };

  constructor(
    private readonly options: TraceOptions,
    private readonly budget: Budget,
  ) {}

  attach(engine: EvmEngine): void {
    engine.evm.events.on('beforeMessage', this.onBefore);
    engine.evm.events.on('afterMessage', this.onAfter);
    engine.evm.events.on('newContract', this.onCreate);
  }

  detach(engine: EvmEngine): void {
    engine.evm.events.off('beforeMessage', this.onBefore);
    engine.evm.events.off('afterMessage', this.onAfter);
    engine.evm.events.off('newContract', this.onCreate);
  }

  private enter(message: Message): void {
    const type = callType(message);
    const frame: CallFrame = {
      type,
      from: addressFromBytes(message.caller.bytes),
      gas: quantity(message.gasLimit),
      gasUsed: '0x0',
      input: hexData(message.data),
    };
    if (message.to !== undefined) frame.to = addressFromBytes(message.to.bytes);
    if (type !== 'STATICCALL' && type !== 'DELEGATECALL') frame.value = quantity(message.value);
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) this.top = frame;
    else if (!this.options.onlyTopCall && this.exceeded === undefined) {
      try {
        this.budget.take(200 + message.data.length * 2);
        (parent.calls ??= []).push(frame);
      } catch (err) {
        this.exceeded = err as TraceLimitError;
      }
    }
    this.stack.push(frame);
  }

  private exit(result: EVMResult): void {
    const frame = this.stack.pop();
    if (frame === undefined) return;
    const exec = result.execResult;
    frame.gasUsed = quantity(exec.executionGasUsed);
    if (result.createdAddress !== undefined) frame.to = addressFromBytes(result.createdAddress.bytes);
    describeOutcome(frame, exec.returnValue, exec.exceptionError === undefined ? undefined : frameError(exec.exceptionError.error));
  }

  result(summary: ExecutionSummary): CallFrame {
    if (this.exceeded !== undefined) throw this.exceeded;
    const top = this.top ?? systemFrame(summary);
    // The top frame is the transaction: its gas limit and the gas it paid (intrinsic gas and refund included).
    top.gas = quantity(summary.gasLimit);
    top.gasUsed = quantity(summary.gasUsed);
    if (summary.created !== null) top.to = summary.created;
    if (!summary.success && top.error === undefined) top.error = summary.error ?? 'execution failed';
    return top;
  }
}

function describeOutcome(frame: CallFrame, returnData: Uint8Array, error: string | undefined): void {
  if (returnData.length > 0) frame.output = hexData(returnData);
  if (error === undefined) return;
  frame.error = error;
  const reason = error === 'execution reverted' ? decodeRevertReason(returnData) : undefined;
  if (reason !== undefined) frame.revertReason = reason;
}

/** The frame of an execution without EVM messages: a system call or a plain transfer. */
function systemFrame(summary: ExecutionSummary): CallFrame {
  const frame: CallFrame = {
    type: summary.to === null ? 'CREATE' : 'CALL',
    from: summary.from,
    ...(summary.to === null ? {} : { to: summary.to }),
    value: quantity(summary.value),
    gas: quantity(summary.gasLimit),
    gasUsed: quantity(summary.gasUsed),
    input: hexData(summary.input),
  };
  // A refusal carries its reason as revert data; a failure without any (out of gas) keeps the executor's words.
  const error = summary.success ? undefined : summary.returnData.length > 0 ? 'execution reverted' : (summary.error ?? 'execution failed');
  describeOutcome(frame, summary.returnData, error);
  return frame;
}

/** Ops whose last stack item (CALL family: second to last) is an address they access. */
const ADDRESS_OPS: Record<string, number> = { BALANCE: 1, EXTCODESIZE: 1, EXTCODECOPY: 1, EXTCODEHASH: 1, SELFDESTRUCT: 1, CALL: 2, CALLCODE: 2, DELEGATECALL: 2, STATICCALL: 2 };

/**
 * The access list of an execution, as geth builds it: every address and
 * storage slot touched, except the sender, the recipient and precompiles
 * as bare addresses (their slots are listed).
 */
class AccessListTracer implements Tracer {
  private readonly touched = new Map<string, Set<string>>();
  private readonly onStep = (step: InterpreterStep): void => {
    const op = step.opcode.name;
    const n = step.stack.length;
    if ((op === 'SLOAD' || op === 'SSTORE') && n >= 1) this.slots(addressFromBytes(step.address.bytes)).add(`0x${word(step.stack[n - 1]!)}`);
    const position = ADDRESS_OPS[op];
    if (position !== undefined && n >= position) {
      const address = `0x${(step.stack[n - position]! & ((1n << 160n) - 1n)).toString(16).padStart(40, '0')}`;
      if (!this.excluded.has(address) && !isPrecompile(address as Address, this.fork)) this.slots(address);
    }
  };

  constructor(
    private readonly excluded: Set<string>,
    private readonly fork: ForkRules,
  ) {}

  private slots(address: string): Set<string> {
    let set = this.touched.get(address);
    if (set === undefined) this.touched.set(address, (set = new Set()));
    return set;
  }

  attach(engine: EvmEngine): void {
    engine.evm.events.on('step', this.onStep);
  }

  detach(engine: EvmEngine): void {
    engine.evm.events.off('step', this.onStep);
  }

  result(summary: ExecutionSummary): AccessListResult {
    const accessList = [...this.touched].sort(([a], [b]) => (a < b ? -1 : 1)).map(([address, keys]) => ({ address, storageKeys: [...keys].sort() }));
    return { accessList, gasUsed: quantity(summary.gasUsed), ...(summary.success ? {} : { error: summary.error ?? 'execution failed' }) };
  }
}

function makeTracer(options: TraceOptions, budget: Budget, excluded: Address[], fork: ForkRules): Tracer {
  if (options.tracer === 'accessList') return new AccessListTracer(new Set(excluded), fork);
  return options.tracer === 'callTracer' ? new CallTracer(options, budget) : new StructLogger(options, budget);
}

// ---- execution --------------------------------------------------------------------

const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
const ZERO_HASH = new Uint8Array(32);

function rulesOf(state: KVReader): ChainRules {
  const params = loadParams(state);
  return { params, blockGasLimit: loadBlockGasLimit(state, params) };
}

/** Runs `job` over `state` (the version it names: the call's block, or the one a block trace starts from). */
export async function runTrace(state: KVReader, job: TraceRequest, resolveSystem: SystemContractResolver): Promise<TraceOutput> {
  const budget = new Budget(job.options.maxBytes);
  if (job.kind === 'call') return traceCall(state, job.req, job.block, job.options, budget, resolveSystem);

  const block = new Overlay(state);
  if (job.opening === undefined)
    recordBlockHash(block, job.block.height, job.block.hash); // a block indexed before openings were
  else for (const [key, value] of job.opening) value === null ? block.delete(key) : block.set(key, value);
  const rules = rulesOf(block);
  const info: BlockInfo = { height: job.block.height, time: job.block.time, hash: job.block.hash };
  for (const raw of job.prior) {
    const tx = decodeSignedTx(raw);
    try {
      await executeTx(tx, block, rules, info, resolveSystem);
    } catch (err) {
      throw new Error(`cannot replay block ${job.block.height} up to the traced transaction: ${hashHex(tx.hash)} failed (${(err as Error).message})`);
    }
  }
  const out: Array<{ txHash: string; result: TraceResult }> = [];
  // Each traced transaction runs on the block's state as consensus left it after the one before.
  for (const raw of job.traced) {
    const tx = decodeSignedTx(raw);
    out.push({ txHash: hashHex(tx.hash), result: await traceTx(tx, block, rules, info, job.options, budget, resolveSystem) });
  }
  return out;
}

/**
 * One transaction, traced, writing into `state`: the executor's own run
 * (nonce, fee, EIP-7702 authorizations, system calls, the EVM message, the
 * refund and calldata floor) with the tracer on the engine of its EVM
 * message, so gas and status are the receipt's. Transfers to accounts
 * without code and system calls have no EVM steps.
 */
async function traceTx(
  tx: SignedTx,
  state: KV,
  rules: ChainRules,
  info: BlockInfo,
  options: TraceOptions,
  budget: Budget,
  resolveSystem: SystemContractResolver,
): Promise<TraceResult> {
  const fork = forkRules(rules.params.evm_hardfork);
  const tracer = makeTracer(options, budget, tx.to === null ? [tx.sender] : [tx.sender, tx.to], fork);
  let outcome;
  try {
    outcome = await executeTx(tx, state, rules, info, resolveSystem, tracer);
  } catch (err) {
    if (!(err instanceof TxError)) throw err;
    throw new Error(`transaction ${hashHex(tx.hash)} cannot run on the block's state: ${err.message}`);
  }
  const ok = outcome.code === TxCode.Ok;
  return tracer.result({
    from: tx.sender,
    to: tx.to,
    value: tx.value,
    input: tx.data,
    gasLimit: tx.gasLimit,
    gasUsed: outcome.gasUsed,
    success: ok,
    returnData: outcome.receipt.returnData,
    created: outcome.receipt.contractAddress,
    error: ok ? undefined : outcome.log,
  });
}

/** debug_traceCall: eth_call's execution (src/tx/call.ts) on a traced engine. */
async function traceCall(state: KVReader, req: CallRequest, block: CallBlock, options: TraceOptions, budget: Budget, resolveSystem: SystemContractResolver): Promise<TraceResult> {
  const rules = rulesOf(state);
  const from = req.from ?? ZERO_ADDRESS;
  const gasCap = evmBlockGasLimit(rules.blockGasLimit);
  const gas = req.gas === null || req.gas > gasCap ? gasCap : req.gas;
  const summary = { from, to: req.to, value: req.value, input: req.data, gasLimit: gas };
  const tracer = makeTracer(options, budget, req.to === null ? [from] : [from, req.to], forkRules(rules.params.evm_hardfork));
  const intrinsic = intrinsicGas({ to: req.to, data: req.data, accessList: req.accessList });
  const fail = (error: string): TraceResult => tracer.result({ ...summary, gasUsed: gas, success: false, returnData: new Uint8Array(0), created: null, error });
  if (req.to !== null && resolveSystem(req.to, new Overlay(state)) !== undefined) {
    // A system contract answers natively (as eth_call): one frame, no steps.
    const request = { to: req.to, data: req.data, value: req.value, from, gas, ...(req.gasPrice === null ? {} : { gasPrice: req.gasPrice }) };
    const result = await ethCall(state, request, { height: block.height, time: block.time, params: rules.params, blockGasLimit: rules.blockGasLimit }, resolveSystem);
    return tracer.result({ ...summary, gasUsed: result.gasUsed, success: result.success, returnData: result.returnData, created: null, error: result.error });
  }
  if (gas < intrinsic) return fail(`intrinsic gas too low: the call needs at least ${intrinsic} gas`);
  // From Prague, as eth_call and a block: the gas limit covers the calldata floor, and the call pays at least it.
  const floor = forkRules(rules.params.evm_hardfork).calldataFloor ? calldataFloorGas(req) : 0n;
  if (gas < floor) return fail(`gas limit ${gas} is below the calldata floor ${floor} of this call (EIP-7623)`);
  if (req.value > 0n && new Accounts(new Overlay(state)).balance(from) < req.value) return fail(`insufficient funds: ${from} cannot send ${req.value} wei`);
  const hash = readBlockHash(state, block.height);
  return traceMessage(
    new Overlay(state),
    tracer,
    summary,
    {
      caller: from,
      to: req.to,
      value: req.value,
      data: req.data,
      gasLimit: gas,
      intrinsicGas: intrinsic,
      gasPrice: req.gasPrice ?? req.maxFeePerGas ?? 0n,
      accessList: req.accessList,
      incrementNonce: true,
      system: { resolve: resolveSystem, txHash: ZERO_HASH },
    },
    {
      height: block.height,
      time: block.time,
      gasLimit: gasCap,
      baseFee: baseFee(rules.params),
      prevRandao: prevRandaoOf(block.height, hash.some((b) => b !== 0) ? hash : undefined),
    },
    rules.params.chain_id,
    rules.params.evm_hardfork,
    floor,
  );
}

async function traceMessage(
  parent: KV,
  tracer: Tracer,
  summary: Pick<ExecutionSummary, 'from' | 'to' | 'value' | 'input' | 'gasLimit'>,
  message: Parameters<typeof runMessage>[2],
  context: Parameters<typeof runMessage>[3],
  chainId: bigint,
  hardfork: EvmHardforkName,
  gasFloor: bigint,
): Promise<TraceResult> {
  const engine = await acquireEngine(chainId, 'rpc', hardfork);
  tracer.attach(engine);
  let run;
  try {
    run = await runMessage(engine, parent, message, context);
  } finally {
    tracer.detach(engine);
  }
  // Only an engine that finished cleanly goes back to the pool (a fault may leave a journal open).
  releaseEngine(engine);
  const { outcome } = run;
  return tracer.result({
    ...summary,
    gasUsed: outcome.gasUsed < gasFloor ? gasFloor : outcome.gasUsed,
    success: outcome.success,
    returnData: outcome.returnData,
    created: outcome.createdAddress,
    error: outcome.error,
  });
}
