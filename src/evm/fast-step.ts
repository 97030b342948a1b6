/**
 * A synchronous interpreter loop for @ethereumjs/evm (issue 18).
 *
 * The library's `Interpreter.run` awaits `runStep` for every opcode, and
 * `runStep` awaits the opcode's dynamic-gas handler and, for SLOAD, SSTORE
 * and the like, its handler: every `async` function and every `await` costs
 * a promise and a trip through the microtask queue even when nothing waits.
 * That was over half the time of an ERC-20 transfer. Our state manager
 * answers synchronously (state.ts), so the opcodes a token contract runs need
 * not wait at all.
 *
 * This replaces `Interpreter.prototype.run` with the same loop that steps
 * synchronously through opcodes whose gas and logic have a synchronous twin
 * here (memory, KECCAK256, copies, EXP, SLOAD, SSTORE, LOG, RETURN, REVERT;
 * every opcode without dynamic gas and without async logic), and falls back
 * to the library's own `runStep` (awaited) for the rest (CALLs, CREATEs,
 * BALANCE, EXTCODE*, SELFDESTRUCT...). The twins are the library's code for
 * the forks this chain runs (Cancun, Osaka), calling the library's own gas
 * helpers (subMemUsage, accessStorageEIP2929, updateSstoreGasEIP2200).
 *
 * `EVM.prototype.runInterpreter` is replaced too, by the same code without
 * the three object spreads that built the result's `runState` on every call
 * frame (a few percent of a token transfer): `runState` is computed when
 * read (nothing in the library, the VM or this app reads it).
 *
 * The library's loop runs unchanged whenever anything here does not hold: a
 * state manager that is not a KvStateManager (stock @ethereumjs/vm, the
 * equivalence test's reference), a 'step' listener or the DEBUG hook (traces), the profiler, or a
 * fork with EOF, Verkle/binary-tree witnesses, block-level access lists or
 * state gas (EIPs 3540, 6800, 7864, 7928, 8037, 8038). The classes are
 * reached through the package's own ESM files, the module instances its EVM
 * uses; if they move, nothing is patched and execution is only slower.
 * test/unit/evm-equivalence.test.ts runs the same transactions through this
 * loop and through stock @ethereumjs/vm (the library's loop) and compares
 * status, gas, logs and state.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Common } from '@ethereumjs/common';
import { Account, bigIntToBytes, bytesToBigInt, createZeroAddress, type Address as EthAddress } from '@ethereumjs/util';
import { KvStateManager } from './state.js';

interface Stack {
  peek(n?: number): bigint[];
  pop(): bigint;
  popN(n: number): bigint[];
  push(value: bigint): void;
}

interface RunState {
  programCounter: number;
  opCode: number;
  code: Uint8Array;
  stack: Stack;
  stateManager: unknown;
  env: { address: EthAddress; contract: unknown; accessWitness?: { commit(): void; revert(): void } };
  interpreter: InterpreterLike;
  validJumps: unknown;
  cachedPushes: unknown;
  shouldDoJumpAnalysis: boolean;
}

interface OpcodeInfo {
  code: number;
  name: string;
  feeBigInt: bigint;
  dynamicGas: boolean;
  isAsync: boolean;
  isInvalid: boolean;
}

interface OpEntry {
  opcodeInfo: OpcodeInfo;
  opHandler: (runState: RunState, common: Common) => unknown;
}

interface InterpreterLike {
  _runState: RunState;
  _evm: { DEBUG: boolean; events: { listenerCount(event: string): number } };
  common: Common;
  profilerOpts?: { enabled?: boolean };
  _env: { address: EthAddress; contract: unknown; isStatic: boolean };
  run(code: Uint8Array, opts?: { pc?: number }): Promise<{ runState: RunState; exceptionError: unknown }>;
  runStep(opcodeObj?: OpEntry): Promise<void>;
  lookupOpInfo(op: number): OpEntry;
  useGas(amount: bigint, context?: unknown): void;
  isStatic(): boolean;
  getReturnDataSize(): bigint;
  _getValidJumpDestinations(code: Uint8Array): { jumps: unknown; pushes: unknown; opcodesCached: OpEntry[] };
}

type GasTwin = (runState: RunState, gas: bigint, common: Common) => bigint;
type OpTwin = (runState: RunState, common: Common) => void;

interface Library {
  subMemUsage(runState: RunState, offset: bigint, length: bigint, common: Common): bigint;
  divCeil(a: bigint, b: bigint): bigint;
  trap(err: string): never;
  setLengthLeftStorage(value: Uint8Array): Uint8Array;
  accessStorageEIP2929(runState: RunState, key: Uint8Array, isSstore: boolean, common: Common, chargeGas?: boolean): bigint;
  updateSstoreGasEIP2200(runState: RunState, current: Uint8Array, original: Uint8Array, value: Uint8Array, key: Uint8Array, common: Common): bigint;
  errors: Record<string, string>;
  EVMError: new (message: string) => Error;
}

const EMPTY = new Uint8Array(0);

/** The library's initial frame memory (memory.js CONTAINER_SIZE), the only size pooled. */
const MEMORY_CONTAINER = 8192;
/** Memories kept for reuse: one per call depth in use, at most. */
const MEMORY_POOL = 1025;

interface MemoryLike {
  _store: Uint8Array;
}

/** A stack word as 32 big-endian bytes (setLengthLeft(bigIntToBytes(v), 32) without the hex string). */
function word32(value: bigint): Uint8Array {
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt.asUintN(64, value >> 192n));
  view.setBigUint64(8, BigInt.asUintN(64, value >> 128n));
  view.setBigUint64(16, BigInt.asUintN(64, value >> 64n));
  view.setBigUint64(24, BigInt.asUintN(64, value));
  return bytes;
}

function twins(lib: Library): { gas: Map<number, GasTwin>; ops: Map<number, OpTwin> } {
  const { subMemUsage, divCeil, trap, setLengthLeftStorage, accessStorageEIP2929, updateSstoreGasEIP2200, errors } = lib;
  const gas = new Map<number, GasTwin>();
  const ops = new Map<number, OpTwin>();
  const copy = (rs: RunState, g: bigint, common: Common, memOffset: bigint, length: bigint): bigint => {
    g += subMemUsage(rs, memOffset, length, common);
    if (length !== 0n) g += common.param('copyGas') * divCeil(length, 32n);
    return g;
  };
  const memory =
    (size: bigint) =>
    (rs: RunState, g: bigint, common: Common): bigint =>
      g + subMemUsage(rs, rs.stack.peek()[0]!, size, common);
  const range = (rs: RunState, g: bigint, common: Common): bigint => {
    const [offset, length] = rs.stack.peek(2);
    return g + subMemUsage(rs, offset!, length!, common);
  };
  const kv = (rs: RunState): KvStateManager => rs.stateManager as KvStateManager;

  gas.set(0x0a, (rs, g, common) => {
    // EXP
    const exponent = rs.stack.peek(2)[1]!;
    if (exponent === 0n) return g;
    let byteLength = exponent.toString(2).length / 8;
    if (byteLength > Math.trunc(byteLength)) byteLength = Math.trunc(byteLength) + 1;
    if (byteLength < 1 || byteLength > 32) trap(errors.OUT_OF_RANGE!);
    return g + BigInt(byteLength) * common.param('expByteGas');
  });
  gas.set(0x20, (rs, g, common) => {
    // KECCAK256
    const [offset, length] = rs.stack.peek(2);
    return g + subMemUsage(rs, offset!, length!, common) + common.param('keccak256WordGas') * divCeil(length!, 32n);
  });
  gas.set(0x37, (rs, g, common) => {
    // CALLDATACOPY
    const [memOffset, , length] = rs.stack.peek(3);
    return copy(rs, g, common, memOffset!, length!);
  });
  gas.set(0x39, (rs, g, common) => {
    // CODECOPY (no code-chunk witness: EIPs 6800/7864 are off)
    const [memOffset, , length] = rs.stack.peek(3);
    return copy(rs, g, common, memOffset!, length!);
  });
  gas.set(0x3e, (rs, g, common) => {
    // RETURNDATACOPY (legacy code: out-of-bounds reads trap)
    const [memOffset, dataOffset, length] = rs.stack.peek(3);
    if (dataOffset! + length! > rs.interpreter.getReturnDataSize()) trap(errors.OUT_OF_GAS!);
    return copy(rs, g, common, memOffset!, length!);
  });
  gas.set(0x51, memory(32n)); // MLOAD
  gas.set(0x52, memory(32n)); // MSTORE
  gas.set(0x53, memory(1n)); // MSTORE8
  gas.set(0x54, (rs, g, common) => {
    // SLOAD
    return g + accessStorageEIP2929(rs, word32(rs.stack.peek()[0]!), false, common, true);
  });
  gas.set(0x55, (rs, g, common) => {
    // SSTORE: EIP-2200 with the current and original values, then EIP-2929.
    if (rs.interpreter.isStatic()) trap(errors.STATIC_STATE_CHANGE!);
    const [key, val] = rs.stack.peek(2);
    const keyBytes = word32(key!);
    const value = val === 0n ? EMPTY : bigIntToBytes(val!);
    const address = rs.interpreter._env.address;
    const current = setLengthLeftStorage(kv(rs).storageSync(address.bytes, keyBytes));
    const original = setLengthLeftStorage(kv(rs).originalStorageSync(address.bytes, keyBytes));
    g += updateSstoreGasEIP2200(rs, current, original, setLengthLeftStorage(value), keyBytes, common);
    return g + accessStorageEIP2929(rs, keyBytes, true, common, true);
  });
  gas.set(0x5e, (rs, g, common) => {
    // MCOPY
    const [dst, src, length] = rs.stack.peek(3);
    g += 3n * ((length! + 31n) / 32n);
    g += subMemUsage(rs, src!, length!, common);
    return g + subMemUsage(rs, dst!, length!, common);
  });
  for (let op = 0xa0; op <= 0xa4; op++) {
    gas.set(op, (rs, g, common) => {
      // LOG0..LOG4
      if (rs.interpreter.isStatic()) trap(errors.STATIC_STATE_CHANGE!);
      const [memOffset, memLength] = rs.stack.peek(2);
      const topics = rs.opCode - 0xa0;
      if (topics < 0 || topics > 4) trap(errors.OUT_OF_RANGE!);
      g += subMemUsage(rs, memOffset!, memLength!, common);
      return g + common.param('logTopicGas') * BigInt(topics) + memLength! * common.param('logDataGas');
    });
  }
  gas.set(0xf3, range); // RETURN
  gas.set(0xfd, range); // REVERT

  ops.set(0x54, (rs) => {
    // SLOAD
    const value = kv(rs).storageSync(rs.interpreter._env.address.bytes, word32(rs.stack.pop()));
    rs.stack.push(value.length > 0 ? bytesToBigInt(value) : 0n);
  });
  ops.set(0x55, (rs) => {
    // SSTORE (Interpreter.storageStore: write, then refresh the frame's account)
    const [key, val] = rs.stack.popN(2);
    const keyBytes = word32(key!);
    const value = val === 0n ? new Uint8Array(0) : bigIntToBytes(val!);
    const env = rs.interpreter._env;
    const state = kv(rs);
    state.putStorageSync(env.address.bytes, keyBytes, value);
    const account = state.account(env.address.bytes);
    if (account === undefined) throw new Error('could not read account while persisting memory');
    env.contract = account;
  });
  return { gas, ops };
}

/** EIPs under which the twins above are not the library's behaviour. */
const UNSUPPORTED_EIPS = [3540, 6800, 7864, 7928, 8037, 8038];

const eligibleCommons = new WeakMap<Common, boolean>();

function commonEligible(common: Common): boolean {
  let ok = eligibleCommons.get(common);
  if (ok === undefined) {
    ok = common.isActivatedEIP(2929) && UNSUPPORTED_EIPS.every((eip) => !common.isActivatedEIP(eip));
    ok &&= common.gteHardfork('istanbul') && common.hardfork() !== 'constantinople';
    eligibleCommons.set(common, ok);
  }
  return ok;
}

/** Whether the fast loop is installed (the library's files were where expected). */
export let fastStepInstalled = false;

let libraryLoopForced = false;

/**
 * Runs the library's own loop and runInterpreter even where ours applies.
 * Results are the same either way; benchmarks use it to compare the two in
 * one process (bench/evm.ts), nothing else does.
 */
export function forceLibraryLoop(on: boolean): void {
  libraryLoopForced = on;
}
let installing: Promise<void> | undefined;

/** Installs the synchronous loop on the library's Interpreter (once per process). */
export function installFastStep(): Promise<void> {
  installing ??= (async () => {
    try {
      const entry = createRequire(import.meta.url).resolve('@ethereumjs/evm');
      const esm = join(dirname(entry), '..', 'esm');
      const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(esm, file)).href)) as T;
      const interpreterModule = await load<{ Interpreter?: { prototype: InterpreterLike } }>('interpreter.js');
      const util = await load<Partial<Library>>('opcodes/util.js');
      const eip2929 = await load<Partial<Library>>('opcodes/EIP2929.js');
      const eip2200 = await load<Partial<Library>>('opcodes/EIP2200.js');
      const evmModule = await load<{ EVM?: { prototype: EvmLike } }>('evm.js');
      const errorsModule = await load<{ EVMError?: { errorMessages: Record<string, string> } & (new (message: string) => Error) }>('errors.js');
      const memoryModule = await load<{ Memory?: new () => MemoryLike }>('memory.js');
      const stackModule = await load<{ Stack?: new () => Stack }>('stack.js');
      const proto = interpreterModule.Interpreter?.prototype;
      const EVMError = errorsModule.EVMError;
      const evmProto = evmModule.EVM?.prototype;
      if (
        proto === undefined ||
        evmProto === undefined ||
        typeof evmProto.runInterpreter !== 'function' ||
        EVMError === undefined ||
        typeof memoryModule.Memory !== 'function' ||
        typeof stackModule.Stack !== 'function' ||
        typeof proto.run !== 'function' ||
        typeof proto.runStep !== 'function' ||
        typeof util.subMemUsage !== 'function' ||
        typeof util.divCeil !== 'function' ||
        typeof util.trap !== 'function' ||
        typeof util.setLengthLeftStorage !== 'function' ||
        typeof eip2929.accessStorageEIP2929 !== 'function' ||
        typeof eip2200.updateSstoreGasEIP2200 !== 'function'
      ) {
        return;
      }
      const lib: Library = {
        subMemUsage: util.subMemUsage,
        divCeil: util.divCeil,
        trap: util.trap,
        setLengthLeftStorage: util.setLengthLeftStorage,
        accessStorageEIP2929: eip2929.accessStorageEIP2929,
        updateSstoreGasEIP2200: eip2200.updateSstoreGasEIP2200,
        errors: EVMError.errorMessages,
        EVMError,
      };
      patch(proto, lib);
      patchRunInterpreter(evmProto, interpreterModule.Interpreter as unknown as InterpreterClass, lib, memoryModule.Memory, stackModule.Stack);
      fastStepInstalled = true;
    } catch {
      // Layout of @ethereumjs/evm changed: run the library's loop.
    }
  })();
  return installing;
}

function patch(proto: InterpreterLike, lib: Library): void {
  const { gas: gasTwins, ops: opTwins } = twins(lib);
  const libraryRun = proto.run;
  const invalidOpcode = lib.errors.INVALID_OPCODE!;
  const stop = lib.errors.STOP;

  /**
   * One opcode, as Interpreter.runStep does it (base fee, dynamic gas,
   * invalid check, gas, pc, handler) but synchronously; returns the
   * library's awaited step for opcodes without a synchronous twin.
   */
  function step(interpreter: InterpreterLike, opcodeObj: OpEntry | undefined): Promise<void> | undefined {
    const rs = interpreter._runState;
    const entry = opcodeObj ?? interpreter.lookupOpInfo(rs.opCode);
    const info = entry.opcodeInfo;
    const gasTwin = info.dynamicGas ? gasTwins.get(info.code) : undefined;
    const opTwin = info.isAsync ? opTwins.get(info.code) : undefined;
    if ((info.dynamicGas && gasTwin === undefined) || (info.isAsync && opTwin === undefined)) return interpreter.runStep(opcodeObj);
    let gas = info.feeBigInt;
    if (gasTwin !== undefined) gas = gasTwin(rs, gas, interpreter.common);
    if (info.isInvalid) throw new lib.EVMError(invalidOpcode);
    interpreter.useGas(gas, info);
    rs.programCounter++;
    // consumeEip7928PostTargetCallOog: only set under EIP-7928, which is off here.
    if (opTwin !== undefined) opTwin(rs, interpreter.common);
    else entry.opHandler(rs, interpreter.common);
    rs.env.accessWitness?.commit();
    return undefined;
  }

  proto.run = async function run(this: InterpreterLike, code: Uint8Array, opts: { pc?: number } = {}) {
    const evm = this._evm;
    if (
      libraryLoopForced ||
      !(this._runState.stateManager instanceof KvStateManager) ||
      evm.DEBUG ||
      evm.events.listenerCount('step') > 0 ||
      this.profilerOpts?.enabled === true ||
      !commonEligible(this.common)
    ) {
      return libraryRun.call(this, code, opts);
    }
    const rs = this._runState;
    rs.code = code; // EIP-3540 is off: every code is legacy bytecode
    rs.programCounter = opts.pc ?? rs.programCounter;
    const pc = rs.programCounter;
    if (pc !== 0 && (pc < 0 || pc >= rs.code.length)) throw new Error('Internal error: program counter not in range');
    let err: unknown;
    let cachedOpcodes: OpEntry[] | undefined;
    let doJumpAnalysis = true;
    while (rs.programCounter < rs.code.length) {
      const programCounter = rs.programCounter;
      let opCode: number;
      let opCodeObj: OpEntry | undefined;
      if (doJumpAnalysis) {
        opCode = rs.code[programCounter]!;
        // Jump analysis only once the code is seen to jump (as the library does).
        if (opCode === 0x56 || opCode === 0x57 || opCode === 0x5e) {
          const { jumps, pushes, opcodesCached } = this._getValidJumpDestinations(rs.code);
          rs.validJumps = jumps;
          rs.cachedPushes = pushes;
          rs.shouldDoJumpAnalysis = false;
          cachedOpcodes = opcodesCached;
          doJumpAnalysis = false;
        }
      } else {
        opCodeObj = cachedOpcodes![programCounter]!;
        opCode = opCodeObj.opcodeInfo.code;
      }
      rs.opCode = opCode;
      try {
        const pending = step(this, opCodeObj);
        if (pending !== undefined) await pending;
      } catch (e) {
        rs.env.accessWitness?.revert();
        // Re-throw anything that is not an EVM error; STOP is not an exception.
        if (!(typeof e === 'object' && e !== null && 'errorType' in e && (e as { errorType: unknown }).errorType === 'EVMError')) throw e;
        if ((e as { error?: string }).error !== stop) err = e;
        break;
      }
    }
    return { runState: rs, exceptionError: err };
  };
}

interface MessageLike {
  to?: EthAddress;
  caller?: EthAddress;
  data?: Uint8Array;
  value?: bigint;
  code?: Uint8Array;
  isStatic?: boolean;
  isCreate?: boolean;
  depth?: number;
  codeAddress: EthAddress;
  gasRefund: bigint;
  gasLimit: bigint;
  chargeCodeAccesses?: boolean;
  blobVersionedHashes?: Uint8Array[];
  accessWitness?: { commit(): void };
  createdAddresses?: Set<string>;
  selfdestruct?: Map<string, Uint8Array>;
}

interface EvmLike {
  DEBUG: boolean;
  common: Common;
  stateManager: { getAccount(address: EthAddress): Promise<Account | undefined> };
  blockchain: unknown;
  journal: unknown;
  performanceLogger: unknown;
  _optsCached: { profiler?: { enabled?: boolean } };
  _tx: { gasPrice: bigint; origin?: EthAddress };
  _block?: unknown;
  runInterpreter(message: MessageLike, opts?: { pc?: number; initialLogs?: unknown[] }): Promise<Record<string, unknown>>;
}

interface InterpreterResultLike {
  _result: { selfdestruct?: unknown; createdAddresses?: unknown; returnValue?: Uint8Array; logs: unknown[] } & Record<string, unknown>;
  _env: Record<string, unknown>;
  run(
    code: Uint8Array | undefined,
    opts: { pc?: number },
  ): Promise<{ runState: RunState & { gasLeft: bigint; gasRefund: bigint; stateGasSpilled: bigint; memory?: MemoryLike }; exceptionError?: { error: string } }>;
}

type InterpreterClass = new (
  evm: EvmLike,
  stateManager: unknown,
  blockchain: unknown,
  env: Record<string, unknown>,
  gasLeft: bigint,
  journal: unknown,
  performanceLogs: unknown,
  profilerOpts: unknown,
) => InterpreterResultLike;

/**
 * EVM.runInterpreter (@ethereumjs/evm 10.1.3) with `runState` of the result
 * built on first read instead of by three spreads per frame. Only for EVMs
 * over a KvStateManager (stock @ethereumjs/vm keeps the library's, so the
 * equivalence test's reference stays untouched), with a block (without one
 * the library uses its defaults) and no profiler.
 */
function patchRunInterpreter(proto: EvmLike, Interpreter: InterpreterClass, lib: Library, Memory: new () => MemoryLike, Stack: new () => Stack): void {
  const libraryRunInterpreter = proto.runInterpreter;
  /**
   * Frame memories of the initial 8 KiB, zeroed, for reuse: the library
   * allocates a new one per frame (new Memory() in the Interpreter
   * constructor), an off-heap 8 KiB buffer that cost more than any opcode of
   * a token transfer, and the garbage collector's time after it. A memory
   * goes back only once its frame and all frames under it are over; what
   * leaves a frame (RETURN/REVERT data, logs, created code) is copied out of
   * memory by the library, views into it (MLOAD, MCOPY, CALL/CREATE input)
   * live no longer than the frame.
   */
  const pool: MemoryLike[] = [];
  const acquire = (): MemoryLike => pool.pop() ?? new Memory();
  const release = (memory: MemoryLike): void => {
    if (memory._store.length !== MEMORY_CONTAINER || pool.length >= MEMORY_POOL) return;
    memory._store.fill(0);
    pool.push(memory);
  };
  /**
   * `new Interpreter(...)` (@ethereumjs/evm 10.1.3's constructor, field for
   * field) with a pooled memory. Not PoA (checked by the caller).
   */
  const construct = (evm: EvmLike, env: Record<string, unknown>, gasLeft: bigint): InterpreterResultLike => {
    const interpreter = Object.create(Interpreter.prototype) as InterpreterResultLike & Record<string, unknown>;
    interpreter.opDebuggers = {};
    interpreter._evm = evm;
    interpreter._stateManager = evm.stateManager;
    interpreter.common = evm.common;
    interpreter._runState = {
      programCounter: 0,
      opCode: 0xfe,
      memory: acquire(),
      memoryWordCount: 0n,
      highestMemCost: 0n,
      stack: new Stack(),
      code: new Uint8Array(0),
      validJumps: Uint8Array.from([]),
      cachedPushes: {},
      stateManager: evm.stateManager,
      blockchain: evm.blockchain,
      env,
      shouldDoJumpAnalysis: true,
      interpreter,
      gasRefund: env.gasRefund,
      gasLeft,
      stateGasSpilled: 0n,
      returnBytes: new Uint8Array(0),
    };
    interpreter.journal = evm.journal;
    interpreter._env = env;
    interpreter._result = { logs: env.initialLogs !== undefined ? [...(env.initialLogs as unknown[])] : [], returnValue: undefined, selfdestruct: new Map() };
    interpreter.profilerOpts = evm._optsCached.profiler;
    interpreter.performanceLogger = evm.performanceLogger;
    return interpreter;
  };
  const revert = lib.errors.REVERT;
  const invalidEof = lib.errors.INVALID_EOF_FORMAT;
  proto.runInterpreter = async function runInterpreter(this: EvmLike, message: MessageLike, opts: { pc?: number; initialLogs?: unknown[] } = {}) {
    if (libraryLoopForced || !(this.stateManager instanceof KvStateManager) || this._block === undefined || this._optsCached.profiler?.enabled === true) {
      return libraryRunInterpreter.call(this, message, opts);
    }
    const contract = (await this.stateManager.getAccount(message.to ?? createZeroAddress())) ?? new Account();
    const env = {
      address: message.to ?? createZeroAddress(),
      caller: message.caller ?? createZeroAddress(),
      callData: message.data ?? Uint8Array.from([0]),
      callValue: message.value ?? 0n,
      code: message.code,
      isStatic: message.isStatic ?? false,
      isCreate: message.isCreate ?? false,
      depth: message.depth ?? 0,
      gasPrice: this._tx.gasPrice,
      origin: this._tx.origin ?? message.caller ?? createZeroAddress(),
      block: this._block,
      contract,
      codeAddress: message.codeAddress,
      gasRefund: message.gasRefund,
      chargeCodeAccesses: message.chargeCodeAccesses,
      blobVersionedHashes: message.blobVersionedHashes ?? [],
      accessWitness: message.accessWitness,
      createdAddresses: message.createdAddresses,
      initialLogs: opts.initialLogs,
    };
    const pooled = this.common.consensusType() !== 'poa';
    const interpreter = pooled
      ? construct(this, env, message.gasLimit)
      : new Interpreter(this, this.stateManager, this.blockchain, env, message.gasLimit, this.journal, this.performanceLogger, this._optsCached.profiler);
    if (message.selfdestruct) interpreter._result.selfdestruct = message.selfdestruct;
    if (message.createdAddresses) interpreter._result.createdAddresses = message.createdAddresses;
    const interpreterRes = await interpreter.run(message.code, opts);
    // The result's runState (built when read) shows no memory: it is reused.
    if (pooled && interpreterRes.runState.memory !== undefined) {
      release(interpreterRes.runState.memory);
      interpreterRes.runState.memory = undefined;
    }
    let result = interpreter._result;
    let gasUsed = message.gasLimit - interpreterRes.runState.gasLeft;
    if (interpreterRes.exceptionError) {
      if (interpreterRes.exceptionError.error !== revert && interpreterRes.exceptionError.error !== invalidEof) gasUsed = message.gasLimit;
      // Clear the result on error
      result = { ...result, logs: [], selfdestruct: new Map(), createdAddresses: new Set() };
    }
    message.accessWitness?.commit();
    const finalResult = result;
    let runState: Record<string, unknown> | undefined;
    const out: Record<string, unknown> = {
      ...finalResult,
      exceptionError: interpreterRes.exceptionError,
      gas: interpreterRes.runState?.gasLeft,
      executionGasUsed: gasUsed,
      gasRefund: interpreterRes.runState.gasRefund,
      stateGasSpilled: interpreterRes.runState.stateGasSpilled,
      returnValue: finalResult.returnValue ?? new Uint8Array(0),
    };
    Object.defineProperty(out, 'runState', {
      enumerable: true,
      configurable: true,
      get: () => (runState ??= { ...interpreterRes.runState, ...finalResult, ...interpreter._env }),
    });
    return out;
  };
}
