/**
 * Decoding and signature recovery of signed Ethereum transactions (legacy
 * with EIP-155, EIP-2930, EIP-1559, EIP-7702 set-code), SPEC section 9.
 * Blob transactions (type 3, EIP-4844) are refused: the chain carries no
 * blobs (docs/EVM.md).
 *
 * The wire format is parsed with @ethereumjs/rlp and the field layout of the
 * three transaction types; the result is checked against @ethereumjs/tx in
 * test/unit/tx-decode.test.ts. We do not construct @ethereumjs/tx objects on
 * the hot path because each one deep-copies its `Common` (~40 µs a
 * transaction), which alone would exceed the CheckTx budget.
 */
import { RLP } from '@ethereumjs/rlp';
import { addressFromBytes, type Address } from '../util/address.js';
import type { AccessListEntry } from '../evm/engine.js';
import { keccak256, recoverAddress } from '../util/crypto.js';
import { TxCode, TxError } from './errors.js';

export type TxType = 0 | 1 | 2 | 4;

/**
 * One EIP-7702 authorization: `address`'s code becomes the account's code
 * for the account that signed keccak256(0x05 ‖ rlp([chainId, address, nonce])).
 * Decoding checks only the field bounds (an out-of-bounds tuple makes the
 * transaction invalid); an authorization whose signature, chain id or nonce
 * does not hold is skipped at execution (src/tx/authorization.ts).
 */
export interface Authorization {
  chainId: bigint;
  /** 20 bytes; the zero address clears a delegation. */
  address: Uint8Array;
  nonce: bigint;
  /** Below 2^8 (skipped at execution unless 0 or 1). */
  yParity: number;
  /** At most 32 bytes each, big-endian. */
  r: Uint8Array;
  s: Uint8Array;
}

export interface DecodedTx {
  type: TxType;
  /** The signed transaction as received. */
  raw: Uint8Array;
  /** keccak256(raw): the Ethereum transaction hash. */
  hash: Uint8Array;
  chainId: bigint;
  nonce: bigint;
  gasLimit: bigint;
  /** Legacy/EIP-2930: the gas price. EIP-1559: maxFeePerGas. */
  maxFeePerGas: bigint;
  /** Legacy/EIP-2930: the gas price. EIP-1559: maxPriorityFeePerGas. */
  maxPriorityFeePerGas: bigint;
  /** Recipient; null for contract creation. */
  to: Address | null;
  value: bigint;
  data: Uint8Array;
  accessList: AccessListEntry[];
  /** Type 4 only: the EIP-7702 authorization list (never empty). */
  authorizationList?: Authorization[];
  r: Uint8Array;
  s: Uint8Array;
  /** 0 or 1. */
  recovery: number;
  /** The hash that was signed. */
  signingHash: Uint8Array;
}

export interface SignedTx extends DecodedTx {
  sender: Address;
}

/** Largest transaction accepted (bytes), as Ethereum clients bound tx pool entries. */
export const MAX_TX_BYTES = 128 * 1024;

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP256K1_HALF_N = SECP256K1_N / 2n;
const MAX_UINT64 = 2n ** 64n - 1n;

function fail(message: string, code: TxCode = TxCode.Encoding): never {
  throw new TxError(code, message);
}

function bytesField(fields: unknown[], index: number, name: string): Uint8Array {
  const value = fields[index];
  if (!(value instanceof Uint8Array)) fail(`field ${name} must be a byte string, not a list`);
  return value;
}

function uintField(fields: unknown[], index: number, name: string, maxBytes: number): bigint {
  const bytes = bytesField(fields, index, name);
  if (bytes.length === 0) return 0n;
  if (bytes[0] === 0) fail(`field ${name} has leading zero bytes (non-canonical integer)`);
  if (bytes.length > maxBytes) fail(`field ${name} is longer than ${maxBytes} bytes`);
  if (bytes.length <= 6) {
    // Nonces, gas and most prices fit a double exactly: skip the hex round trip.
    let n = 0;
    for (const byte of bytes) n = n * 256 + byte;
    return BigInt(n);
  }
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
}

function toField(fields: unknown[], index: number): Address | null {
  const bytes = bytesField(fields, index, 'to');
  if (bytes.length === 0) return null;
  if (bytes.length !== 20) fail(`field to must be empty or 20 bytes, got ${bytes.length}`);
  return addressFromBytes(bytes);
}

/** An integer field of at most `maxBytes` bytes (leading zeros refused). */
function boundedUint(value: unknown, name: string, maxBytes: number): bigint {
  return uintField([value], 0, name, maxBytes);
}

function authorizationListField(fields: unknown[], index: number): Authorization[] {
  const list = fields[index];
  if (!Array.isArray(list)) fail('field authorizationList must be a list');
  if (list.length === 0) fail('a type-4 transaction needs at least one authorization (EIP-7702)');
  return list.map((entry: unknown, i: number) => {
    if (!Array.isArray(entry) || entry.length !== 6) fail(`authorizationList[${i}] must be [chainId, address, nonce, yParity, r, s]`);
    const address = entry[1] as unknown;
    if (!(address instanceof Uint8Array) || address.length !== 20) fail(`authorizationList[${i}] address must be 20 bytes`);
    const nonce = boundedUint(entry[2], `authorizationList[${i}].nonce`, 8);
    boundedUint(entry[4], `authorizationList[${i}].r`, 32);
    boundedUint(entry[5], `authorizationList[${i}].s`, 32);
    return {
      chainId: boundedUint(entry[0], `authorizationList[${i}].chainId`, 32),
      address,
      nonce,
      yParity: Number(boundedUint(entry[3], `authorizationList[${i}].yParity`, 1)),
      r: entry[4] as Uint8Array,
      s: entry[5] as Uint8Array,
    };
  });
}

function accessListField(fields: unknown[], index: number): AccessListEntry[] {
  const list = fields[index];
  if (!Array.isArray(list)) fail('field accessList must be a list');
  return list.map((entry: unknown, i: number) => {
    if (!Array.isArray(entry) || entry.length !== 2) fail(`accessList[${i}] must be [address, storageKeys]`);
    const [address, keys] = entry as [unknown, unknown];
    if (!(address instanceof Uint8Array) || address.length !== 20) fail(`accessList[${i}] address must be 20 bytes`);
    if (!Array.isArray(keys)) fail(`accessList[${i}] storage keys must be a list`);
    const storageKeys = keys.map((key: unknown, j: number) => {
      if (!(key instanceof Uint8Array) || key.length !== 32) fail(`accessList[${i}] storage key ${j} must be 32 bytes`);
      return key;
    });
    return { address, storageKeys };
  });
}

const N_BYTES = Buffer.from(SECP256K1_N.toString(16), 'hex');
const HALF_N_BYTES = Buffer.from(SECP256K1_HALF_N.toString(16).padStart(64, '0'), 'hex');

/** Compares a canonical big-endian integer (no leading zeros) with a 32-byte constant. */
function compareScalar(value: Uint8Array, constant: Uint8Array): number {
  if (value.length !== 32) return value.length < 32 ? -1 : 1;
  for (let i = 0; i < 32; i++) {
    if (value[i] !== constant[i]) return value[i]! < constant[i]! ? -1 : 1;
  }
  return 0;
}

function signatureScalar(fields: unknown[], index: number, name: 'r' | 's'): Uint8Array {
  const bytes = bytesField(fields, index, name);
  // Range checks on the bytes: no BigInt needed for r and s (hot path).
  if (bytes.length === 0) fail(`signature ${name} is out of range`, TxCode.Signature);
  if (bytes[0] === 0) fail(`field ${name} has leading zero bytes (non-canonical integer)`);
  if (bytes.length > 32 || compareScalar(bytes, N_BYTES) >= 0) fail(`signature ${name} is out of range`, TxCode.Signature);
  if (name === 's' && compareScalar(bytes, HALF_N_BYTES) > 0) fail('signature s is in the upper half of the curve order (EIP-2)', TxCode.Signature);
  return bytes;
}

function decodeList(bytes: Uint8Array): unknown[] {
  let decoded: unknown;
  try {
    decoded = RLP.decode(bytes);
  } catch (err) {
    fail(`malformed RLP: ${(err as Error).message}`);
  }
  if (!Array.isArray(decoded)) fail('a transaction must be an RLP list');
  return decoded;
}

/**
 * Parses a signed transaction. Throws TxError with a stable code on anything
 * malformed; does not recover the sender.
 */
export function decodeTx(raw: Uint8Array, knownHash?: Uint8Array): DecodedTx {
  if (raw.length === 0) fail('empty transaction');
  if (raw.length > MAX_TX_BYTES) fail(`transaction is ${raw.length} bytes, more than the ${MAX_TX_BYTES}-byte limit`, TxCode.TooLarge);
  const first = raw[0]!;
  const hash = knownHash ?? keccak256(raw);
  if (first >= 0xc0) return decodeLegacy(raw, hash);
  if (first === 0x01 || first === 0x02 || first === 0x04) return decodeTyped(raw, hash, first);
  if (first === 0x03) fail('blob transactions (type 0x03, EIP-4844) are not accepted: this chain carries no blobs', TxCode.UnsupportedType);
  return fail(`unsupported transaction type 0x${first.toString(16).padStart(2, '0')} (accepted: legacy, 0x01, 0x02, 0x04)`, TxCode.UnsupportedType);
}

function decodeLegacy(raw: Uint8Array, hash: Uint8Array): DecodedTx {
  const f = decodeList(raw);
  if (f.length !== 9) fail(`a legacy transaction has 9 fields, got ${f.length}`);
  const v = uintField(f, 6, 'v', 32);
  if (v === 27n || v === 28n) {
    fail('unprotected (pre-EIP-155) transactions are not accepted: sign with a chain id', TxCode.ChainId);
  }
  if (v < 37n) fail(`invalid signature v ${v}`, TxCode.Signature);
  const recovery = Number((v - 35n) % 2n);
  const chainId = (v - 35n - BigInt(recovery)) / 2n;
  const gasPrice = uintField(f, 1, 'gasPrice', 32);
  const unsignedFields: unknown[] = [f[0], f[1], f[2], f[3], f[4], f[5], uintBytes(chainId), new Uint8Array(0), new Uint8Array(0)];
  const unsigned = unsignedFields as Uint8Array[];
  return {
    type: 0,
    raw,
    hash,
    chainId,
    nonce: nonceField(f, 0),
    gasLimit: uintField(f, 2, 'gasLimit', 8),
    maxFeePerGas: gasPrice,
    maxPriorityFeePerGas: gasPrice,
    to: toField(f, 3),
    value: uintField(f, 4, 'value', 32),
    data: bytesField(f, 5, 'data'),
    accessList: [],
    r: signatureScalar(f, 7, 'r'),
    s: signatureScalar(f, 8, 's'),
    recovery,
    signingHash: keccak256(RLP.encode(unsigned)),
  };
}

const TYPED_FIELDS = { 0x01: 11, 0x02: 12, 0x04: 13 } as const;

function decodeTyped(raw: Uint8Array, hash: Uint8Array, type: 0x01 | 0x02 | 0x04): DecodedTx {
  const f = decodeList(raw.subarray(1));
  const expected = TYPED_FIELDS[type];
  if (f.length !== expected) fail(`a type-${type} transaction has ${expected} fields, got ${f.length}`);
  // 0x01: chainId, nonce, gasPrice, gasLimit, to, value, data, accessList, yParity, r, s
  // 0x02: chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, accessList, yParity, r, s
  // 0x04: chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, accessList, authorizationList, yParity, r, s
  const o = type === 0x01 ? 0 : type === 0x02 ? 1 : 2;
  const p = Math.min(o, 1);
  const authorizationList = type === 0x04 ? authorizationListField(f, 9) : undefined;
  const to = toField(f, 4 + p);
  if (type === 0x04 && to === null) fail('a type-4 transaction cannot create a contract: field to must be 20 bytes (EIP-7702)');
  const yParity = uintField(f, 8 + o, 'yParity', 1);
  if (yParity > 1n) fail(`yParity must be 0 or 1, got ${yParity}`, TxCode.Signature);
  const maxPriorityFeePerGas = uintField(f, 2, type === 0x01 ? 'gasPrice' : 'maxPriorityFeePerGas', 32);
  const maxFeePerGas = type === 0x01 ? maxPriorityFeePerGas : uintField(f, 3, 'maxFeePerGas', 32);
  if (maxPriorityFeePerGas > maxFeePerGas) fail('maxPriorityFeePerGas is above maxFeePerGas', TxCode.GasPriceTooLow);
  const signedFields = f.slice(0, 8 + o);
  const payload = RLP.encode(signedFields as Uint8Array[]);
  const toSign = new Uint8Array(payload.length + 1);
  toSign[0] = type;
  toSign.set(payload, 1);
  return {
    type,
    raw,
    hash,
    chainId: uintField(f, 0, 'chainId', 32),
    nonce: nonceField(f, 1),
    gasLimit: uintField(f, 3 + p, 'gasLimit', 8),
    maxFeePerGas,
    maxPriorityFeePerGas,
    to,
    value: uintField(f, 5 + p, 'value', 32),
    data: bytesField(f, 6 + p, 'data'),
    accessList: accessListField(f, 7 + p),
    ...(authorizationList === undefined ? {} : { authorizationList }),
    r: signatureScalar(f, 9 + o, 'r'),
    s: signatureScalar(f, 10 + o, 's'),
    recovery: Number(yParity),
    signingHash: keccak256(toSign),
  };
}

function nonceField(fields: unknown[], index: number): bigint {
  const nonce = uintField(fields, index, 'nonce', 8);
  if (nonce >= MAX_UINT64) fail('nonce must be below 2^64-1 (EIP-2681)');
  return nonce;
}

function uintBytes(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

/** Recovers the sender. Throws TxError(Signature) when the signature recovers no key. */
export function recoverSender(tx: DecodedTx): SignedTx {
  const address = recoverAddress(tx.signingHash, tx.r, tx.s, tx.recovery);
  if (address === undefined) fail('the signature does not recover a public key', TxCode.Signature);
  return Object.assign(tx, { sender: addressFromBytes(address) });
}

/** Decodes and recovers in one step. */
export function decodeSignedTx(raw: Uint8Array, knownHash?: Uint8Array): SignedTx {
  return recoverSender(decodeTx(raw, knownHash));
}

export function hashHex(hash: Uint8Array): string {
  return `0x${Buffer.from(hash).toString('hex')}`;
}

export { MAX_UINT64 };
