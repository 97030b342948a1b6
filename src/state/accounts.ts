/**
 * Ethereum-style accounts in state: nonce, CMT balance and code hash.
 * Key `a/<40 hex>`; value RLP [nonce, balance, codeHash] (codeHash empty for
 * accounts without code).
 */
import type { KV, KVReader } from '../store/kv.js';
import type { Address } from '../util/address.js';
import { decodeFlatList, encodeFlatList } from '../util/rlp-flat.js';
import { STATE_PREFIXES } from './keys.js';

export interface Account {
  nonce: bigint;
  balance: bigint;
  /** keccak256 of the code, or empty for an account without code. */
  codeHash: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export function emptyAccount(): Account {
  return { nonce: 0n, balance: 0n, codeHash: EMPTY };
}

export function accountKey(address: Address): string {
  return `${STATE_PREFIXES.account}${address.slice(2)}`;
}

/** Integers up to this many bytes fit a double exactly (2^48 < 2^53): converted without a hex string. */
const NUMBER_BYTES = 6;
const NUMBER_MAX = 2n ** BigInt(8 * NUMBER_BYTES) - 1n;
const NUMBER_SHIFT = BigInt(8 * NUMBER_BYTES);

/** Minimal big-endian bytes (empty for 0): an RLP scalar. A Buffer. */
export function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new Error('negative value cannot be encoded');
  if (value === 0n) return EMPTY;
  if (value <= NUMBER_MAX) {
    let n = Number(value);
    let length = 0;
    for (let m = n; m > 0; m = Math.floor(m / 256)) length++;
    const out = Buffer.allocUnsafe(length);
    for (let i = length - 1; i >= 0; i--) {
      out[i] = n % 256;
      n = Math.floor(n / 256);
    }
    return out;
  }
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

/** The integer of big-endian bytes (leading zeros allowed; empty is 0). */
export function bytesToBigint(bytes: Uint8Array): bigint {
  const length = bytes.length;
  if (length <= NUMBER_BYTES) return BigInt(bytesToNumber(bytes, 0, length));
  // Balances (≈ 10 bytes) as two exact doubles rather than through hex.
  if (length <= 2 * NUMBER_BYTES) return (BigInt(bytesToNumber(bytes, 0, length - NUMBER_BYTES)) << NUMBER_SHIFT) + BigInt(bytesToNumber(bytes, length - NUMBER_BYTES, length));
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, length).toString('hex')}`);
}

/** bytes[from, to) as a big-endian number (at most {@link NUMBER_BYTES} of them). */
function bytesToNumber(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 256 + bytes[i]!;
  return n;
}

export function encodeAccount(account: Account): Uint8Array {
  return encodeFlatList([bigintToBytes(account.nonce), bigintToBytes(account.balance), account.codeHash]);
}

export function decodeAccount(bytes: Uint8Array): Account {
  const fields = decodeFlatList(bytes) as Uint8Array[];
  if (!Array.isArray(fields) || fields.length !== 3) throw new Error('corrupt account record');
  return { nonce: bytesToBigint(fields[0]!), balance: bytesToBigint(fields[1]!), codeHash: fields[2]! };
}

export class InsufficientBalanceError extends Error {
  constructor(
    readonly address: Address,
    readonly balance: bigint,
    readonly needed: bigint,
  ) {
    super(`insufficient balance: ${address} has ${balance} wei, needs ${needed} wei`);
    this.name = 'InsufficientBalanceError';
  }
}

/** Read-only account access. */
export class AccountReader {
  constructor(protected readonly kv: KVReader) {}

  get(address: Address): Account {
    const raw = this.kv.get(accountKey(address));
    return raw === undefined ? emptyAccount() : decodeAccount(raw);
  }

  exists(address: Address): boolean {
    return this.kv.get(accountKey(address)) !== undefined;
  }

  balance(address: Address): bigint {
    return this.get(address).balance;
  }

  nonce(address: Address): bigint {
    return this.get(address).nonce;
  }
}

/** Balance movements. The staking and governance ledgers only ever need this much of accounts. */
export interface Bank {
  balance(address: Address): bigint;
  credit(address: Address, amount: bigint): void;
  /** Throws InsufficientBalanceError (changing nothing) when the balance is short. */
  debit(address: Address, amount: bigint): void;
}

export class Accounts extends AccountReader implements Bank {
  constructor(protected override readonly kv: KV) {
    super(kv);
  }

  put(address: Address, account: Account): void {
    const empty = account.nonce === 0n && account.balance === 0n && account.codeHash.length === 0;
    // An empty account is no account (EIP-161): it leaves no key behind.
    if (empty) this.kv.delete(accountKey(address));
    else this.kv.set(accountKey(address), encodeAccount(account));
  }

  credit(address: Address, amount: bigint): void {
    if (amount < 0n) throw new Error(`credit of a negative amount ${amount}`);
    if (amount === 0n) return;
    const account = this.get(address);
    account.balance += amount;
    this.put(address, account);
  }

  debit(address: Address, amount: bigint): void {
    if (amount < 0n) throw new Error(`debit of a negative amount ${amount}`);
    if (amount === 0n) return;
    const account = this.get(address);
    if (account.balance < amount) throw new InsufficientBalanceError(address, account.balance, amount);
    account.balance -= amount;
    this.put(address, account);
  }
}
