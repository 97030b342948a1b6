/**
 * The EVM's view of our state: an implementation of ethereumjs's
 * `StateManagerInterface` over the app's synchronous KV (docs/EVM.md).
 *
 * Layout (all keys are part of the Merkle-committed state):
 *
 *   a/<40 hex>               account, RLP [nonce, balance, codeHash] (src/state/accounts.ts);
 *                            codeHash is empty for an account without code
 *   code/<64 hex>            contract code, keyed by its keccak-256 (content-addressed,
 *                            shared by every account with the same code, never deleted)
 *   st/<40 hex>/<64 hex>     storage slot value, big-endian without leading zeros;
 *                            a zero slot has no key
 *
 * There is no Ethereum state trie: the app hash is the store's own Merkle root
 * over these keys. `getStateRoot` returns 32 zero bytes and `setStateRoot`
 * refuses; nothing in Cancun execution needs them. Accounts report the
 * empty-trie storage root (we keep no per-account storage root), so the
 * EIP-7610 "non-empty storage" create collision cannot be detected; it needs
 * storage at an address with neither code nor nonce, which only a crafted
 * genesis could produce.
 *
 * Checkpoints are a stack of Overlays over a base KV (the transaction's
 * scratch state): `checkpoint` pushes, `commit` folds the top into the one
 * below, `revert` drops it. Reads walk down the stack; nothing is copied.
 */
import type { AccountFields, StateManagerInterface } from '@ethereumjs/common';
import { Account as EthAccountClass, KECCAK256_NULL, KECCAK256_RLP, equalsBytes, type Account as EthAccount, type Address as EthAddress } from '@ethereumjs/util';
import { decodeAccount, encodeAccount, type Account } from '../state/accounts.js';
import { STATE_PREFIXES } from '../state/keys.js';
import { Overlay, type KV, type KVReader } from '../store/kv.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../system/types.js';
import { keccak256 } from '../util/crypto.js';

const EMPTY = new Uint8Array(0);
const ZERO_ROOT = new Uint8Array(32);

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** Key of code by its hash (32 bytes). */
export function codeKey(codeHash: Uint8Array): string {
  return STATE_PREFIXES.code + hex(codeHash);
}

/** Key of a storage slot: address 20 bytes, slot 32 bytes. */
export function storageKey(address: Uint8Array, slot: Uint8Array): string {
  return `${STATE_PREFIXES.storage}${hex(address)}/${hex(slot)}`;
}

/**
 * Hex of an address, remembered by the identity of its bytes: the EVM reuses
 * one Address object per frame (the executing contract, the caller), so a
 * frame's storage and account accesses hex it once. Callers never mutate
 * address bytes.
 */
const addressHex = new WeakMap<Uint8Array, string>();

function hexOfAddress(address: Uint8Array): string {
  let h = addressHex.get(address);
  if (h === undefined) {
    h = hex(address);
    addressHex.set(address, h);
  }
  return h;
}

/**
 * The code the EVM sees at a system address (SPEC 6 "From contracts"): one
 * INVALID byte, so EXTCODESIZE is 1 and contracts can tell it exists. It is
 * never stored: the account record of a system address (if any) keeps an
 * empty code hash, and calls to it never run code (src/evm/system-calls.ts).
 */
export const SYSTEM_CODE = new Uint8Array([0xfe]);
const SYSTEM_CODE_HASH = keccak256(SYSTEM_CODE);
const SYSTEM_HEX: ReadonlySet<string> = new Set([STAKING_ADDRESS.slice(2), GOVERNANCE_ADDRESS.slice(2)]);

/** Whether 20 address bytes are a system address (staking 0x…1000, governance 0x…1001). */
export function isSystemAddress(address: Uint8Array): boolean {
  return SYSTEM_HEX.has(hexOfAddress(address));
}

function accountKeyOf(address: Uint8Array): string {
  return `${STATE_PREFIXES.account}${hexOfAddress(address)}`;
}

/** storageKey with the address hex remembered (see hexOfAddress). */
function slotKey(address: Uint8Array, slot: Uint8Array): string {
  return `${STATE_PREFIXES.storage}${hexOfAddress(address)}/${hex(slot)}`;
}

/**
 * A stored slot value as the EVM reads it: left-padded to 32 bytes (empty for
 * zero). Stored values are minimal; the interpreter pads what it reads for
 * the SSTORE gas rules with a slow generic helper that returns a 32-byte
 * input as it is. Values are immutable, so the padding is remembered per
 * stored value.
 */
const padded = new WeakMap<Uint8Array, Uint8Array>();

function storageWord(value: Uint8Array | undefined): Uint8Array {
  if (value === undefined) return EMPTY;
  if (value.length === 32) return value;
  let word = padded.get(value);
  if (word === undefined) {
    word = new Uint8Array(32);
    word.set(value, 32 - value.length);
    padded.set(value, word);
  }
  return word;
}

/** Strips leading zero bytes (storage values are stored minimal; zero = absent). */
export function unpad(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  return i === 0 ? value : value.subarray(i);
}

/**
 * Decoded accounts by the identity of their stored bytes. Values in the KV
 * are immutable, so the same bytes always decode the same; this saves the
 * RLP decode on the EVM's many repeated reads of one account.
 */
const decodedAccounts = new WeakMap<Uint8Array, Account>();

function encodeAccountRecord(nonce: bigint, balance: bigint, codeHash: Uint8Array): Uint8Array {
  const account = { nonce, balance, codeHash };
  const raw = encodeAccount(account);
  // The next read of this account decodes these very bytes: remember what they hold.
  decodedAccounts.set(raw, account);
  return raw;
}

function decode(raw: Uint8Array): Account {
  let d = decodedAccounts.get(raw);
  if (d === undefined) {
    d = decodeAccount(raw);
    decodedAccounts.set(raw, d);
  }
  return d;
}

/**
 * Code by hash, shared across blocks and engines, so the same code is the
 * same Uint8Array and the interpreter's jump analysis is cached by identity
 * (engine.ts). It only canonicalises: the store is always read first, so a
 * node never runs code its store lacks (a warm node and a cold one must
 * agree). Code records hash to their keys (writeCode; checked at InitChain
 * by verifyGenesisCode), so equal keys mean equal bytes.
 */
const codeCache = new Map<string, Uint8Array>();
const CODE_CACHE_MAX = 2048;

function cacheCode(key: string, code: Uint8Array): Uint8Array {
  if (codeCache.size >= CODE_CACHE_MAX) codeCache.clear();
  codeCache.set(key, code);
  return code;
}

/** Reads the code of `codeHash` from `kv` (empty hash: no code). */
export function readCode(kv: KVReader, codeHash: Uint8Array): Uint8Array {
  if (codeHash.length === 0) return EMPTY;
  const key = codeKey(codeHash);
  const code = kv.get(key);
  if (code === undefined) throw new Error(`state has no code for hash 0x${hex(codeHash)}`);
  return codeCache.get(key) ?? cacheCode(key, code);
}

/** Writes `code` under its hash (if not already there) and returns the hash; empty code has the empty hash. */
export function writeCode(kv: KV, code: Uint8Array): Uint8Array {
  if (code.length === 0) return EMPTY;
  const hash = keccak256(code);
  const key = codeKey(hash);
  if (kv.get(key) === undefined) kv.set(key, code);
  return hash;
}

/** A storage slot as a 32-byte-key read, for tools and tests. */
export function readStorage(kv: KVReader, address: Uint8Array, slot: Uint8Array): Uint8Array {
  return kv.get(storageKey(address, slot)) ?? EMPTY;
}

export class KvStateManager implements StateManagerInterface {
  private base: KV;
  private readonly layers: Overlay[] = [];
  /** Storage keys written in the current transaction, by address: what clearStorage can find. */
  private written = new Map<string, Set<string>>();
  /** CMT system functions took out of balances (stakes, deposits) in the open frames; journaled with the layers. */
  private inflow = 0n;
  private readonly inflowMarks: bigint[] = [];

  /**
   * Pre-transaction storage values (EIP-2200/3529 gas). The base is the
   * transaction's own scratch state, which the EVM writes only through
   * checkpoint layers while it runs, so it still holds the original values.
   */
  readonly originalStorageCache: StateManagerInterface['originalStorageCache'];

  constructor(base: KV) {
    this.base = base;
    this.originalStorageCache = {
      get: async (address: EthAddress, key: Uint8Array): Promise<Uint8Array> => this.originalStorageSync(address.bytes, key),
      clear: (): void => {},
    };
  }

  /** Starts a transaction over `base`: drops any layers and tracking left by the previous one. */
  reset(base: KV): void {
    this.base = base;
    this.layers.length = 0;
    this.written = new Map();
    this.inflow = 0n;
    this.inflowMarks.length = 0;
  }

  /** Records CMT a system function took out of balances in the current frame (undone if the frame reverts). */
  noteSystemInflow(amount: bigint): void {
    this.inflow += amount;
  }

  /** CMT system functions took out of balances in this transaction, counting only frames that were not reverted. */
  get systemInflow(): bigint {
    return this.inflow;
  }

  /** Number of open checkpoints. */
  get depth(): number {
    return this.layers.length;
  }

  /** The current view (top of the checkpoint stack). */
  get view(): KV {
    const n = this.layers.length;
    return n === 0 ? this.base : this.layers[n - 1]!;
  }

  // ---- accounts ---------------------------------------------------------------

  async getAccount(address: EthAddress): Promise<EthAccount | undefined> {
    return this.account(address.bytes);
  }

  /** Synchronous account read (ethereumjs Account, or undefined when absent). */
  account(address: Uint8Array): EthAccountClass | undefined {
    const raw = this.view.get(accountKeyOf(address));
    if (isSystemAddress(address)) {
      // Always present, with SYSTEM_CODE; its balance is 0 but for CMT a SELFDESTRUCT sent there (burned after the run).
      return new EthAccountClass(0n, raw === undefined ? 0n : decode(raw).balance, KECCAK256_RLP, SYSTEM_CODE_HASH);
    }
    if (raw === undefined) return undefined;
    const d = decode(raw);
    return new EthAccountClass(d.nonce, d.balance, KECCAK256_RLP, d.codeHash.length === 0 ? KECCAK256_NULL : d.codeHash);
  }

  async putAccount(address: EthAddress, account?: EthAccount): Promise<void> {
    if (account === undefined) {
      this.view.delete(accountKeyOf(address.bytes));
      return;
    }
    const system = isSystemAddress(address.bytes);
    const codeHash = system || equalsBytes(account.codeHash, KECCAK256_NULL) ? EMPTY : account.codeHash;
    const key = accountKeyOf(address.bytes);
    const view = this.view;
    if (system && account.balance === 0n) {
      // A system address keeps no record of its own (SYSTEM_CODE is virtual, its nonce 0).
      if (view.get(key) !== undefined) view.delete(key);
      return;
    }
    // The EVM rewrites accounts it did not change (a call moving no value
    // writes caller and callee): skip the encode and the write then.
    const current = view.get(key);
    if (current !== undefined) {
      const d = decode(current);
      if (d.nonce === account.nonce && d.balance === account.balance && equalsBytes(d.codeHash, codeHash)) return;
    }
    view.set(key, encodeAccountRecord(account.nonce, account.balance, codeHash));
  }

  async deleteAccount(address: EthAddress): Promise<void> {
    this.view.delete(accountKeyOf(address.bytes));
    this.clearStorageSync(address.bytes);
  }

  async modifyAccountFields(address: EthAddress, fields: AccountFields): Promise<void> {
    const account = this.account(address.bytes) ?? new EthAccountClass();
    if (fields.nonce !== undefined) account.nonce = fields.nonce;
    if (fields.balance !== undefined) account.balance = fields.balance;
    if (fields.codeHash !== undefined) account.codeHash = fields.codeHash;
    await this.putAccount(address, account);
  }

  // ---- code ---------------------------------------------------------------------

  async putCode(address: EthAddress, value: Uint8Array): Promise<void> {
    const hash = writeCode(this.view, value);
    const account = this.account(address.bytes) ?? new EthAccountClass();
    account.codeHash = hash.length === 0 ? KECCAK256_NULL : hash;
    await this.putAccount(address, account);
  }

  async getCode(address: EthAddress): Promise<Uint8Array> {
    return this.code(address.bytes);
  }

  code(address: Uint8Array): Uint8Array {
    if (isSystemAddress(address)) return SYSTEM_CODE;
    const raw = this.view.get(accountKeyOf(address));
    if (raw === undefined) return EMPTY;
    return readCode(this.view, decode(raw).codeHash);
  }

  async getCodeSize(address: EthAddress): Promise<number> {
    return this.code(address.bytes).length;
  }

  // ---- storage ------------------------------------------------------------------

  /** The slot's value, left-padded to 32 bytes; empty when zero. */
  async getStorage(address: EthAddress, key: Uint8Array): Promise<Uint8Array> {
    return this.storageSync(address.bytes, key);
  }

  /** getStorage without a promise (the synchronous interpreter loop, fast-step.ts). */
  storageSync(address: Uint8Array, key: Uint8Array): Uint8Array {
    return storageWord(this.view.get(slotKey(address, key)));
  }

  /** The slot's value before the transaction (EIP-2200 gas), left-padded; empty when zero. */
  originalStorageSync(address: Uint8Array, key: Uint8Array): Uint8Array {
    return storageWord(this.base.get(slotKey(address, key)));
  }

  async putStorage(address: EthAddress, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.putStorageSync(address.bytes, key, value);
  }

  /** putStorage without a promise (the synchronous interpreter loop, fast-step.ts). */
  putStorageSync(address: Uint8Array, key: Uint8Array, value: Uint8Array): void {
    const k = slotKey(address, key);
    const v = unpad(value);
    const view = this.view;
    if (v.length === 0) {
      if (view.get(k) !== undefined) view.delete(k);
    } else {
      view.set(k, v.slice());
    }
    const addr = hexOfAddress(address);
    let keys = this.written.get(addr);
    if (keys === undefined) this.written.set(addr, (keys = new Set()));
    keys.add(k);
  }

  /**
   * Clears the slots this transaction wrote for `address`. Called by CREATE
   * (on an address that passed the collision check) and by EIP-6780
   * self-destruct of a contract created in the same transaction: in both
   * cases the only storage the address can hold was written in this
   * transaction (see the module comment for the EIP-7610 caveat).
   */
  async clearStorage(address: EthAddress): Promise<void> {
    this.clearStorageSync(address.bytes);
  }

  private clearStorageSync(address: Uint8Array): void {
    const keys = this.written.get(hexOfAddress(address));
    if (keys === undefined) return;
    const view = this.view;
    for (const k of [...keys].sort()) if (view.get(k) !== undefined) view.delete(k);
  }

  // ---- checkpoints ----------------------------------------------------------------

  async checkpoint(): Promise<void> {
    this.layers.push(new Overlay(this.view));
    this.inflowMarks.push(this.inflow);
  }

  async commit(): Promise<void> {
    const top = this.layers.pop();
    if (top === undefined) throw new Error('KvStateManager.commit without a checkpoint');
    this.inflowMarks.pop();
    top.commitTo(this.view);
  }

  async revert(): Promise<void> {
    if (this.layers.pop() === undefined) throw new Error('KvStateManager.revert without a checkpoint');
    this.inflow = this.inflowMarks.pop()!;
  }

  // ---- state roots (none: see the module comment) ---------------------------------

  async getStateRoot(): Promise<Uint8Array> {
    return ZERO_ROOT;
  }

  async setStateRoot(): Promise<void> {
    throw new Error('KvStateManager has no state trie: setStateRoot is not supported');
  }

  async hasStateRoot(): Promise<boolean> {
    return false;
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    return new KvStateManager(this.view);
  }
}
