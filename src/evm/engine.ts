/**
 * The EVM engine: @ethereumjs/evm (the interpreter inside @ethereumjs/vm) on
 * the chain's hard fork (param `evm_hardfork`: Osaka, or Cancun for chains
 * created before it), over our KV through KvStateManager, and the
 * transaction-level steps that @ethereumjs/vm's `runTx` would do around it
 * (warm addresses, refunds, EIP-6780 self-destruct, EIP-161 cleanup).
 *
 * Why not `vm.runTx`: it wants an @ethereumjs/tx object and a Block per
 * transaction (each deep-copies its Common), pays the fee to the coinbase
 * and runs a second checkpoint around every transaction; our executor
 * already charges nonce and fee natively (all fees to the Supply fee pool).
 * test/unit/evm-equivalence.test.ts checks that both give the same gas,
 * status, logs and state. See docs/EVM.md for every protocol choice
 * (coinbase, prevRandao, BLOCKHASH, base fee, block gas limit).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCustomCommon, Mainnet, type Common } from '@ethereumjs/common';
import { createEVM, EVMError, type EVM, type EVMMockBlockchainInterface, type EVMResult, type ExecResult, type Message, type PrecompileInput } from '@ethereumjs/evm';
import { RLP } from '@ethereumjs/rlp';
import { Address as EthAddress } from '@ethereumjs/util';
import { bigintToBytes, bytesToBigint, decodeAccount } from '../state/accounts.js';
import { addressFromBytes, type Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';
import { STATE_PREFIXES } from '../state/keys.js';
import { Overlay, type KV, type KVReader } from '../store/kv.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS, type SystemContractResolver } from '../system/types.js';
import { decodeRevertReason } from '../system/revert.js';
import { keccak256 } from '../util/crypto.js';
import { DEFAULT_EVM_HARDFORK } from '../state/params.js';
import { forkRules, type EvmHardforkName } from './hardfork.js';
import { installFastStep } from './fast-step.js';
import { isSystemAddress, KvStateManager } from './state.js';
import { runSystemFrame, type SystemCallEnv } from './system-calls.js';

/**
 * COINBASE of every block: a fixed address that receives nothing. Fees are
 * paid into the Supply fee pool by the executor (SPEC 5.1), never to this
 * account; CMT sent to it by a transaction stays there like in any account.
 */
export const FEE_POOL_ADDRESS: Address = '0x0000000000000000000000000000000000000fee';

/**
 * Block gas limit the EVM sees (GASLIMIT opcode) and the most gas one
 * transaction may ask for when consensus `block.max_gas` is -1 (unlimited).
 */
export const UNLIMITED_BLOCK_GAS_LIMIT = 100_000_000n;

/** Blob base fee reported by BLOBBASEFEE: the EIP-4844 minimum (this chain carries no blobs). */
const BLOB_BASE_FEE = 1n;

// ---- block context ---------------------------------------------------------

export interface EvmBlockContext {
  height: bigint;
  /** Header time, unix seconds. */
  time: bigint;
  /** Gas limit reported by GASLIMIT. */
  gasLimit: bigint;
  /** BASEFEE: the constant base fee (min_gas_price). */
  baseFee: bigint;
  /** PREVRANDAO, 32 bytes. */
  prevRandao: Uint8Array;
}

const PREVRANDAO_TAG = Buffer.from('cmtd/prevrandao', 'utf8');

/**
 * PREVRANDAO of a block: keccak256("cmtd/prevrandao" ‖ header hash), or of
 * the big-endian height when the block hash is unknown (tests, tools).
 * Deterministic and unpredictable before the block exists, but chosen by
 * its proposer: not a source of secure randomness.
 */
export function prevRandaoOf(height: bigint, hash: Uint8Array | undefined): Uint8Array {
  const seed = hash !== undefined && hash.length > 0 ? hash : bigintToBytes(height);
  return keccak256(Buffer.concat([PREVRANDAO_TAG, seed]));
}

/** Block gas limit the EVM uses: consensus max_gas, or UNLIMITED_BLOCK_GAS_LIMIT when unlimited. */
export function evmBlockGasLimit(blockGasLimit: bigint | null): bigint {
  return blockGasLimit ?? UNLIMITED_BLOCK_GAS_LIMIT;
}

// ---- BLOCKHASH: recent block hashes kept in state --------------------------

/** Blocks whose hash BLOCKHASH can return (Ethereum's window): the 256 before the current one. */
export const BLOCK_HASH_WINDOW = 256n;

/**
 * Slots of the ring: the window plus the current block, whose hash is
 * recorded before it runs (eth_call's PREVRANDAO reads it). With only 256
 * slots, block h would overwrite h − 256 before BLOCKHASH(h − 256) is asked.
 */
export const BLOCK_HASH_SLOTS = BLOCK_HASH_WINDOW + 1n;

export function blockHashKey(height: bigint): string {
  return `${STATE_PREFIXES.blockHash}${(height % BLOCK_HASH_SLOTS).toString().padStart(3, '0')}`;
}

/**
 * Records the CometBFT header hash of block `height` in a 257-entry ring in
 * state (`bh/<height mod 257>` = RLP [height, hash]). The app writes it
 * before a block's first transaction, or at the end of a block that changed
 * state (src/app/block-hashes.ts).
 */
export function recordBlockHash(kv: KV, height: bigint, hash: Uint8Array): void {
  kv.set(blockHashKey(height), RLP.encode([bigintToBytes(height), hash]));
}

/** The recorded hash of block `height`, or 32 zero bytes when it is not in the ring. */
export function readBlockHash(kv: KVReader, height: bigint): Uint8Array {
  const raw = kv.get(blockHashKey(height));
  if (raw !== undefined) {
    const [h, hash] = RLP.decode(raw) as Uint8Array[];
    if (bytesToBigint(h!) === height && hash !== undefined) return hash;
  }
  return new Uint8Array(32);
}

// ---- engines ----------------------------------------------------------------

/**
 * What an engine is for. Consensus engines execute blocks: the library's
 * debug step hook is off and listeners are refused (both change results:
 * the hook reads REVERT's memory range before gas is charged). RPC engines
 * serve eth_call, gas estimation and traces, which may attach listeners;
 * they come from a separate pool and never execute a block.
 */
export type EngineRole = 'consensus' | 'rpc';

/** An EVM with its own state manager; used by one execution at a time (see acquireEngine). */
export interface EvmEngine {
  readonly chainId: bigint;
  /** The hard fork it runs (param `evm_hardfork`). */
  readonly hardfork: EvmHardforkName;
  readonly role: EngineRole;
  readonly evm: EVM;
  readonly state: KvStateManager;
  /** System-call environment of the running execution (set by runMessage). */
  system: SystemCallEnv | undefined;
}

function nativeKeccak(data: Uint8Array): Uint8Array {
  return keccak256(data);
}

/**
 * The KZG point-evaluation precompile (0x0a) needs a trusted setup and a KZG
 * library, and this chain carries no blobs: here it always fails, consuming
 * the gas given to it (docs/EVM.md).
 */
function kzgUnsupported(input: PrecompileInput): ExecResult {
  return { returnValue: new Uint8Array(0), executionGasUsed: input.gasLimit, exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS) };
}

const commons = new Map<string, Common>();

/** Highest EIP number probed when freezing a Common's activated-EIP set. */
const MAX_EIP = 10_000;

/**
 * The Common of our engines: the chain's hard fork, chain id from params,
 * native keccak for SHA3. Its hardfork never changes, so `isActivatedEIP`
 * (an Array.includes over ~100 EIPs, asked several times per opcode) is
 * answered from a Set computed once.
 */
export function evmCommon(chainId: bigint, hardfork: EvmHardforkName = DEFAULT_EVM_HARDFORK): Common {
  const key = `${chainId}/${hardfork}`;
  let common = commons.get(key);
  if (common === undefined) {
    const c = createCustomCommon({ chainId: Number(chainId), name: `cmtd-${chainId}` }, Mainnet, {
      hardfork: forkRules(hardfork).hardfork,
      customCrypto: { keccak256: nativeKeccak },
    });
    const active = new Set<number>();
    for (let eip = 1; eip <= MAX_EIP; eip++) if (c.isActivatedEIP(eip)) active.add(eip);
    c.isActivatedEIP = (eip: number): boolean => active.has(eip);
    c.setHardfork = (): never => {
      throw new Error('the hard fork of an engine Common is fixed');
    };
    common = c;
    commons.set(key, common);
  }
  return common;
}

interface InterpreterPrototype {
  _getValidJumpDestinations(this: { _evm: object }, code: Uint8Array): unknown;
}

/** Whether jump-destination analysis is cached (see patchJumpAnalysis). */
export let jumpAnalysisCached = false;
let patching: Promise<void> | undefined;

/**
 * The interpreter analyses the jump destinations of the code it runs on
 * every call frame (a pass over every byte, with a table of opcode entries):
 * about a tenth of an ERC-20 transfer. The result depends only on the code
 * and the EVM instance (its opcode table), and the state manager hands out
 * one shared Uint8Array per code hash (state.ts), so it is cached by code
 * identity, per EVM. The Interpreter class is not exported by
 * @ethereumjs/evm; it is reached through the package's own ESM file, the very
 * module instance its EVM uses. If that file moves, nothing is patched and
 * execution is only slower.
 */
function patchJumpAnalysis(): Promise<void> {
  patching ??= (async () => {
    try {
      const entry = createRequire(import.meta.url).resolve('@ethereumjs/evm');
      const file = join(dirname(entry), '..', 'esm', 'interpreter.js');
      const mod = (await import(pathToFileURL(file).href)) as { Interpreter?: { prototype: InterpreterPrototype } };
      const proto = mod.Interpreter?.prototype;
      if (proto === undefined || typeof proto._getValidJumpDestinations !== 'function') return;
      const analyse = proto._getValidJumpDestinations;
      const perEvm = new WeakMap<object, WeakMap<Uint8Array, unknown>>();
      proto._getValidJumpDestinations = function (this: { _evm: object }, code: Uint8Array): unknown {
        let cache = perEvm.get(this._evm);
        if (cache === undefined) perEvm.set(this._evm, (cache = new WeakMap()));
        let analysis = cache.get(code);
        if (analysis === undefined) {
          analysis = analyse.call(this, code);
          cache.set(code, analysis);
        }
        return analysis;
      };
      jumpAnalysisCached = true;
    } catch {
      // Layout of @ethereumjs/evm changed: run without the cache.
    }
  })();
  return patching;
}

interface RunStateLike {
  stack: { pop(): bigint; push(value: bigint): void };
  memory: { read(offset: number, size: number, avoidCopy?: boolean): Uint8Array; write(offset: number, size: number, value: Uint8Array): void };
}
type OpcodeTable = Array<{ opHandler: (runState: RunStateLike) => void } | undefined>;

const word = new Uint8Array(32);
const wordView = new DataView(word.buffer);

/** MSTORE without the library's hex round trip (bigint → hex string → bytes → padded copy). */
function mstore(runState: RunStateLike): void {
  const offset = runState.stack.pop();
  const value = runState.stack.pop();
  wordView.setBigUint64(0, BigInt.asUintN(64, value >> 192n));
  wordView.setBigUint64(8, BigInt.asUintN(64, value >> 128n));
  wordView.setBigUint64(16, BigInt.asUintN(64, value >> 64n));
  wordView.setBigUint64(24, BigInt.asUintN(64, value));
  runState.memory.write(Number(offset), 32, word); // copies
}

/** MLOAD reading the word as four 64-bit halves instead of through a hex string. */
function mload(runState: RunStateLike): void {
  const offset = runState.stack.pop();
  const bytes = runState.memory.read(Number(offset), 32, true);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 32);
  runState.stack.push((view.getBigUint64(0) << 192n) | (view.getBigUint64(8) << 128n) | (view.getBigUint64(16) << 64n) | view.getBigUint64(24));
}

/**
 * Replaces the logic (not the gas) of the two hottest memory opcodes with
 * equivalent code that avoids hex-string conversions: together about a
 * twentieth of an ERC-20 transfer. Memory-expansion gas stays with the
 * library's gas handlers; test/unit/evm-equivalence.test.ts checks results
 * and gas against stock @ethereumjs/vm.
 */
function tuneOpcodes(evm: EVM): void {
  const table = (evm as unknown as { _opcodeMap?: OpcodeTable })._opcodeMap;
  if (table === undefined) return;
  const entry = (code: number): { opHandler: (runState: RunStateLike) => void } | undefined => table[code];
  const store = entry(0x52);
  const load = entry(0x51);
  if (store !== undefined) store.opHandler = mstore;
  if (load !== undefined) load.opHandler = mload;
}

interface EvmInternals {
  DEBUG: boolean;
  journal: { DEBUG?: boolean };
  _executeCall(message: Message): Promise<EVMResult>;
}

/** The EventEmitter3 methods that add a listener. */
const LISTENER_METHODS = ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'] as const;

function refuseListeners(evm: EVM): void {
  const events = evm.events as unknown as Record<string, unknown>;
  for (const method of LISTENER_METHODS) {
    events[method] = (): never => {
      throw new EvmInvariantError('a consensus EVM engine takes no listeners: use an RPC engine (acquireEngine(chainId, "rpc")) to trace');
    };
  }
}

/**
 * Throws unless `engine` may execute a block: debug hook off, no listener.
 * Checked before every consensus execution, so a node whose engine was
 * tampered with stops instead of computing a different state.
 */
export function assertConsensusEngine(engine: EvmEngine): void {
  const internals = engine.evm as unknown as EvmInternals;
  if (internals.DEBUG || internals.journal.DEBUG === true) throw new EvmInvariantError('the EVM debug hook is on in a consensus engine');
  const events = engine.evm.events;
  if (events.eventNames().length > 0) {
    throw new EvmInvariantError(`a consensus EVM engine has listeners (${events.eventNames().map(String).join(', ')})`);
  }
}

async function createEngine(chainId: bigint, role: EngineRole, hardfork: EvmHardforkName): Promise<EvmEngine> {
  await patchJumpAnalysis();
  await installFastStep();
  const state = new KvStateManager(DETACHED);
  const blockchain: EVMMockBlockchainInterface = {
    async getBlock(height: number) {
      const hash = readBlockHash(state.view, BigInt(height));
      return { hash: () => hash };
    },
    async putBlock() {},
    shallowCopy() {
      return blockchain;
    },
  };
  const evm = await createEVM({
    common: evmCommon(chainId, hardfork),
    stateManager: state,
    blockchain,
    customPrecompiles: [{ address: '0x000000000000000000000000000000000000000a', function: kzgUnsupported }],
  });
  tuneOpcodes(evm);
  const internals = evm as unknown as EvmInternals;
  // DEBUG=ethjs in the environment turns the step hook on; results must not depend on it.
  internals.DEBUG = false;
  internals.journal.DEBUG = false;
  if (role === 'consensus') refuseListeners(evm);
  const engine: EvmEngine = { chainId, hardfork, role, evm, state, system: undefined };
  // Frames addressed to a system address run the system function (SPEC 6, system-calls.ts).
  const executeCall = internals._executeCall.bind(evm);
  internals._executeCall = async (message: Message): Promise<EVMResult> => {
    if (!isSystemAddress(message.codeAddress.bytes)) return executeCall(message);
    return { execResult: runSystemFrame(state, message, engine.system) };
  };
  return engine;
}

const idle: Record<EngineRole, Map<string, EvmEngine[]>> = { consensus: new Map(), rpc: new Map() };

/**
 * An idle engine for `chainId`, `role` and `hardfork` (created on first use;
 * pass the chain's param `evm_hardfork`). One
 * engine runs one execution at a time: block execution awaits each
 * transaction in turn and so reuses a single engine; concurrent eth_calls
 * get engines of their own. Hand it back with releaseEngine, or drop it
 * after an internal error. Block execution asks for 'consensus'; everything
 * else (the default) gets an 'rpc' engine from a separate pool.
 */
export async function acquireEngine(chainId: bigint, role: EngineRole = 'rpc', hardfork: EvmHardforkName = DEFAULT_EVM_HARDFORK): Promise<EvmEngine> {
  const engine = idle[role].get(`${chainId}/${hardfork}`)?.pop();
  return engine ?? createEngine(chainId, role, hardfork);
}

export function releaseEngine(engine: EvmEngine): void {
  engine.system = undefined;
  const pool = idle[engine.role];
  const key = `${engine.chainId}/${engine.hardfork}`;
  let free = pool.get(key);
  if (free === undefined) pool.set(key, (free = []));
  if (free.length < 8) free.push(engine);
}

// ---- one transaction (or call) -----------------------------------------------

/** An EIP-2930 access list entry: an address and storage keys that start warm. */
export interface AccessListEntry {
  address: Uint8Array;
  storageKeys: Uint8Array[];
}

export interface EvmMessage {
  caller: Address;
  /** null: contract creation. */
  to: Address | null;
  value: bigint;
  data: Uint8Array;
  /** The transaction's gas limit (intrinsic gas included). */
  gasLimit: bigint;
  /** Intrinsic gas (src/tx/gas.ts), already part of gasLimit. */
  intrinsicGas: bigint;
  /** GASPRICE: the effective price per gas. */
  gasPrice: bigint;
  accessList: AccessListEntry[];
  /** More addresses that start warm: the signers of a type-4 transaction's authorizations (EIP-7702). */
  warm?: readonly Address[];
  /** Refund earned before execution (EIP-7702 authorizations of existing accounts), capped with the rest. */
  refund?: bigint;
  /**
   * Bump the caller's nonce first (eth_call, gas estimation). Transactions
   * had it bumped by the executor already.
   */
  incrementNonce: boolean;
  /**
   * The app's system contracts, which calls from contracts to 0x…1000 and
   * 0x…1001 run (SPEC 6 "From contracts"), and the transaction's hash.
   * Without it such calls revert.
   */
  system?: { resolve: SystemContractResolver; txHash: Uint8Array };
}

export interface EvmOutcome {
  success: boolean;
  /** Gas the transaction pays: intrinsic + execution − refund (EIP-3529 cap of 1/5). */
  gasUsed: bigint;
  /** Return data, or the revert data of a failed call. */
  returnData: Uint8Array;
  /** Logs of a successful execution (empty on failure). */
  logs: EvmLog[];
  /** Address of the contract a creation made (or would have made), else null. */
  createdAddress: Address | null;
  /** Why it failed, for people ("execution reverted: ...", "out of gas", ...). */
  error?: string;
  /**
   * Wei destroyed: by contracts that self-destructed in their creating
   * transaction, and sent to a system address by SELFDESTRUCT.
   */
  burned: bigint;
}

function ethAddress(address: Address): EthAddress {
  return new EthAddress(Buffer.from(address.slice(2), 'hex'));
}

const FEE_POOL_ETH_ADDRESS = ethAddress(FEE_POOL_ADDRESS);

function hexNoPrefix(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** The result of runMessage: the outcome and the state changes (apply them only on success). */
export interface EvmRun {
  outcome: EvmOutcome;
  /** Every write of the execution, over the parent given to runMessage. */
  changes: Overlay;
}

/**
 * Runs a message over `parent` with Ethereum transaction semantics:
 * the caller's nonce and fee are the executor's business; this does value
 * transfer, execution, refunds, self-destructs and the EIP-161 cleanup, all
 * written into a fresh overlay of `parent` that the caller applies (on
 * success) or drops. Throws only on internal faults (drop the engine then).
 */
export async function runMessage(engine: EvmEngine, parent: KVReader, msg: EvmMessage, block: EvmBlockContext): Promise<EvmRun> {
  const { evm, state } = engine;
  if (engine.role === 'consensus') assertConsensusEngine(engine);
  const changes = new Overlay(parent);
  state.reset(changes);
  engine.system = msg.system === undefined ? undefined : { ...msg.system, height: block.height, time: block.time };
  const journal = evm.journal;
  journal.cleanJournal();
  evm.transientStorage.clear();

  // EIP-2929/2930/3651: precompiles, sender, recipient, coinbase and the access list start warm.
  for (const address of evm.precompiles.keys()) journal.addAlwaysWarmAddress(address);
  for (const address of SYSTEM_ADDRESSES) journal.addAlwaysWarmAddress(address);
  journal.addAlwaysWarmAddress(msg.caller.slice(2));
  if (msg.to !== null) journal.addAlwaysWarmAddress(msg.to.slice(2));
  journal.addAlwaysWarmAddress(FEE_POOL_ADDRESS.slice(2));
  for (const address of msg.warm ?? []) journal.addAlwaysWarmAddress(address.slice(2));
  for (const entry of msg.accessList) {
    const address = hexNoPrefix(entry.address);
    journal.addAlwaysWarmAddress(address, true);
    for (const key of entry.storageKeys) journal.addAlwaysWarmSlot(address, hexNoPrefix(key), true);
  }

  const result = await evm.runCall({
    block: {
      header: {
        number: block.height,
        coinbase: FEE_POOL_ETH_ADDRESS,
        timestamp: block.time,
        difficulty: 0n,
        prevRandao: block.prevRandao,
        gasLimit: block.gasLimit,
        baseFeePerGas: block.baseFee,
        getBlobGasPrice: () => BLOB_BASE_FEE,
      },
    },
    gasPrice: msg.gasPrice,
    caller: ethAddress(msg.caller),
    origin: ethAddress(msg.caller),
    gasLimit: msg.gasLimit - msg.intrinsicGas,
    to: msg.to === null ? undefined : ethAddress(msg.to),
    value: msg.value,
    data: msg.data,
    skipNonceIncrement: !msg.incrementNonce,
  });
  const exec = result.execResult;
  const success = exec.exceptionError === undefined;

  // Gas: intrinsic + execution, minus the refund capped at a fifth (EIP-3529).
  let gasUsed = msg.intrinsicGas + exec.executionGasUsed;
  const refund = (exec.gasRefund ?? 0n) + (msg.refund ?? 0n);
  if (refund > 0n) {
    const cap = gasUsed / 5n;
    gasUsed -= refund < cap ? refund : cap;
  }

  // EIP-6780: contracts created and self-destructed in this transaction are deleted.
  const selfdestructs = exec.selfdestruct?.size ?? 0;
  if (success && exec.selfdestruct !== undefined && selfdestructs > 0) {
    const created = exec.createdAddresses ?? new Set<string>();
    for (const hex of [...exec.selfdestruct.keys()].sort()) {
      if (created.has(hex)) await journal.deleteAccount(new EthAddress(Buffer.from(hex.slice(2), 'hex')));
    }
  }
  // EIP-161: touched accounts left empty are removed.
  await journal.cleanup();
  if (state.depth !== 0) throw new EvmInvariantError(`EVM left ${state.depth} checkpoints open`);
  const systemInflow = state.systemInflow;
  state.reset(DETACHED);
  engine.system = undefined;
  // CMT never rests at a system address: what SELFDESTRUCT sent there is burned (counted below).
  const sentToSystem = success ? clearSystemBalances(changes, parent) : false;
  if (sentToSystem && selfdestructs === 0) throw new EvmInvariantError('CMT reached a system address without a SELFDESTRUCT');

  const createdAddress = msg.to === null && result.createdAddress !== undefined ? addressFromBytes(result.createdAddress.bytes) : null;
  const outcome: EvmOutcome = {
    success,
    gasUsed,
    returnData: exec.returnValue,
    logs: success ? (exec.logs ?? []).map(([address, topics, data]) => ({ address: addressFromBytes(address), topics, data })) : [],
    createdAddress,
    // Only SELFDESTRUCT destroys CMT; without one, balances are moved (or staked), never lost.
    burned: success && selfdestructs > 0 ? burnedBy(changes, parent, systemInflow) : 0n,
  };
  if (!success) outcome.error = describeFailure(exec.exceptionError!.error, exec.returnValue);
  return { outcome, changes };
}

/** A broken invariant of EVM execution: a fault of the node, which must stop rather than commit. */
export class EvmInvariantError extends Error {
  override readonly name = 'EvmInvariantError';
}

/** A KV that holds nothing, for an engine at rest (so it keeps no block state alive). */
const DETACHED: KV = { get: () => undefined, set: () => {}, delete: () => {} };

function balanceIn(raw: Uint8Array | undefined | null): bigint {
  return raw === undefined || raw === null ? 0n : decodeAccount(raw).balance;
}

const SYSTEM_ADDRESSES: readonly string[] = [STAKING_ADDRESS.slice(2), GOVERNANCE_ADDRESS.slice(2)];

/** Removes the account records this execution wrote at system addresses (only SELFDESTRUCT can); true if any held CMT. */
function clearSystemBalances(changes: Overlay, parent: KVReader): boolean {
  let found = false;
  for (const address of SYSTEM_ADDRESSES) {
    const key = `${STATE_PREFIXES.account}${address}`;
    const raw = changes.get(key);
    if (raw !== parent.get(key) && balanceIn(raw) > 0n) {
      changes.delete(key);
      found = true;
    }
  }
  return found;
}

/**
 * Wei destroyed by an execution: Σ old − Σ new balance over the accounts it
 * wrote, less what system functions took into stakes and deposits
 * (`systemInflow`, counting only frames that were not reverted). Value
 * transfers net to zero; only SELFDESTRUCT destroys CMT (EIP-6780: a
 * contract created in the same transaction, to itself or with value that
 * reaches it after its self-destruct; any to a system address), so this
 * runs only for executions whose self-destruct set is not empty (a
 * self-destruct in a frame that reverted is undone with its burn). The EVM
 * never creates CMT: a negative result is an internal fault.
 */
function burnedBy(changes: Overlay, parent: KVReader, systemInflow: bigint): bigint {
  let delta = -systemInflow;
  for (const [key, value] of changes.sortedChanges()) {
    if (!key.startsWith(STATE_PREFIXES.account)) continue;
    delta += balanceIn(parent.get(key)) - balanceIn(value);
  }
  if (delta < 0n) throw new EvmInvariantError(`EVM execution created ${-delta} wei`);
  return delta;
}

function describeFailure(error: string, returnData: Uint8Array): string {
  if (error === EVMError.errorMessages.REVERT) {
    const reason = decodeRevertReason(returnData);
    return reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`;
  }
  return error;
}
