/**
 * Ethereum-style accounts in state: nonce, CMT balance and code hash.
 * Key `a/<40 hex>`; value RLP [nonce, balance, codeHash] (codeHash empty for
 * accounts without code).
 */
import { RLP } from '@ethereumjs/rlp';
import type { KV, KVReader } from '../store/kv.js';
import type { Address } from '../util/address.js';
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

export function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new Error('negative value cannot be encoded');
  if (value === 0n) return EMPTY;
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

export function encodeAccount(account: Account): Uint8Array {
  return RLP.encode([bigintToBytes(account.nonce), bigintToBytes(account.balance), account.codeHash]);
}

export function decodeAccount(bytes: Uint8Array): Account {
  const fields = RLP.decode(bytes) as Uint8Array[];
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
