/**
 * EIP-7702 authorizations of a type-4 transaction, applied to state before
 * its call runs (as @ethereumjs/vm's runTx does, after the sender's nonce is
 * bumped). Each valid authorization bumps its signer's nonce and sets the
 * signer's code to the delegation indicator 0xef0100 ‖ address (the zero
 * address clears it). An invalid one is skipped, never fails the
 * transaction: wrong chain id, nonce out of range or not the signer's,
 * malleable or unrecoverable signature, or a signer holding ordinary code.
 * What was applied stays applied even if the call then reverts.
 */
import { RLP } from '@ethereumjs/rlp';
import { Accounts, bigintToBytes } from '../state/accounts.js';
import { addressFromBytes, type Address } from '../util/address.js';
import type { KV } from '../store/kv.js';
import { keccak256, recoverAddress } from '../util/crypto.js';
import { readCode, writeCode } from '../evm/state.js';
import { MAX_UINT64, type Authorization } from './decode.js';
import { PER_AUTH_BASE_GAS, PER_AUTHORIZATION_GAS } from './gas.js';

/** The first bytes of a delegated account's code (EIP-7702 delegation indicator). */
export const DELEGATION_PREFIX = new Uint8Array([0xef, 0x01, 0x00]);
/** EIP-7702 MAGIC: the domain byte of an authorization's signed message. */
const AUTHORIZATION_MAGIC = 0x05;
const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Whether `code` is a delegation indicator (0xef0100 ‖ 20-byte address). */
export function isDelegation(code: Uint8Array): boolean {
  return code.length === 23 && code[0] === 0xef && code[1] === 0x01 && code[2] === 0x00;
}

/** The address an authorization's signature recovers, or undefined when it recovers none. */
export function authorizationSigner(auth: Authorization): Address | undefined {
  if (auth.yParity > 1) return undefined;
  if (auth.s.length === 0 || BigInt(`0x${Buffer.from(auth.s).toString('hex')}`) > SECP256K1_HALF_N) return undefined;
  const payload = RLP.encode([bigintToBytes(auth.chainId), auth.address, bigintToBytes(auth.nonce)]);
  const message = new Uint8Array(payload.length + 1);
  message[0] = AUTHORIZATION_MAGIC;
  message.set(payload, 1);
  const signer = recoverAddress(keccak256(message), auth.r, auth.s, auth.yParity);
  return signer === undefined ? undefined : addressFromBytes(signer);
}

export interface AppliedAuthorizations {
  /** Every recovered signer (EIP-7702 warms them, applied or not). */
  warm: Address[];
  /** PER_EMPTY_ACCOUNT_COST − PER_AUTH_BASE_COST for each applied authorization whose signer existed. */
  refund: bigint;
  /** How many were applied. */
  applied: number;
}

/** Applies the authorizations in order to `state` for a chain `chainId`. */
export function applyAuthorizations(list: readonly Authorization[], state: KV, chainId: bigint): AppliedAuthorizations {
  const accounts = new Accounts(state);
  const warm: Address[] = [];
  let refund = 0n;
  let applied = 0;
  for (const auth of list) {
    if (auth.chainId !== 0n && auth.chainId !== chainId) continue;
    if (auth.nonce >= MAX_UINT64) continue;
    const signer = authorizationSigner(auth);
    if (signer === undefined) continue;
    warm.push(signer);
    const exists = accounts.exists(signer);
    const account = accounts.get(signer);
    if (account.codeHash.length > 0 && !isDelegation(readCode(state, account.codeHash))) continue;
    if (account.nonce !== auth.nonce) continue;
    if (exists) refund += PER_AUTHORIZATION_GAS - PER_AUTH_BASE_GAS;
    account.nonce += 1n;
    const clear = auth.address.every((b) => b === 0);
    account.codeHash = clear ? new Uint8Array(0) : writeCode(state, Buffer.concat([DELEGATION_PREFIX, auth.address]));
    accounts.put(signer, account);
    applied++;
  }
  return { warm, refund, applied };
}
