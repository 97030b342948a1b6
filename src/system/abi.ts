/**
 * The Solidity ABI codec of the system contracts, written here rather than
 * taken from ethers because its output is consensus:
 *
 * - decoding must refuse what a Solidity contract refuses (an address with
 *   dirty high bytes, a bool word other than 0/1, a `uint16` out of range,
 *   a string that is not UTF-8), with messages that never change with a
 *   library version (the message is the revert data, so it is in the
 *   receipt). ethers accepts `bool` 2 and out-of-range `uintN`, and puts its
 *   version into its error text; a dirty address even surfaced from it as a
 *   deferred, non-refusal error out of the contract;
 * - it is on the path of every staking and governance transaction: this
 *   codec decodes a call's arguments and encodes its events in a few
 *   microseconds, ethers in hundreds (address checksumming) — see
 *   docs/ARCHITECTURE.md "System contracts".
 *
 * What is decoded: the flat parameter types the system functions take
 * (`ArgType`). Trailing bytes after the arguments are ignored and the
 * padding of a string's last word is not required, as Solidity does.
 * What is encoded: any ABI value (tuples, arrays, strings) for return data,
 * and event logs (indexed fields are static types in both interfaces).
 */
import type { Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';
import { keccak256 } from '../util/crypto.js';

/** Parameter types a system function may take. */
export const ARG_TYPES = ['address', 'bool', 'bytes32', 'bytes', 'string', 'uint8', 'uint16', 'uint32', 'uint64', 'uint256'] as const;
export type ArgType = (typeof ARG_TYPES)[number];

/** The decoded value of each argument type: addresses lower-case, bytes32 as 0x-hex. */
export type ArgValue<T extends ArgType> = T extends 'address'
  ? Address
  : T extends 'bool'
    ? boolean
    : T extends 'bytes32'
      ? `0x${string}`
      : T extends 'bytes'
        ? Uint8Array
        : T extends 'string'
          ? string
          : bigint;

export type ArgValues<I extends readonly ArgType[]> = { readonly [K in keyof I]: ArgValue<I[K]> };

/** What the encoder takes: integers as bigint or number, addresses and bytes32 as 0x-hex, tuples as objects by field name. */
export type AbiValue = string | bigint | number | boolean | Uint8Array | readonly AbiValue[] | { readonly [field: string]: AbiValue };

/** One parameter of the ABI JSON (contracts/abi/*.json). */
export interface AbiParam {
  readonly name: string;
  readonly type: string;
  readonly indexed?: boolean;
  readonly components?: readonly AbiParam[];
}

/** One entry of the ABI JSON. */
export interface AbiEntry {
  readonly type: string;
  readonly name?: string;
  readonly stateMutability?: string;
  readonly inputs?: readonly AbiParam[];
  readonly outputs?: readonly AbiParam[];
}

/** Calldata that does not decode; `detail` is the stable explanation. */
export class AbiDecodeError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'AbiDecodeError';
  }
}

export function isArgType(type: string): type is ArgType {
  return (ARG_TYPES as readonly string[]).includes(type);
}

/** `name(type,…)` of an ABI function or event (tuples spelled out as Solidity does). */
export function signatureOf(name: string, params: readonly AbiParam[]): string {
  return `${name}(${params.map(canonicalType).join(',')})`;
}

function canonicalType(p: AbiParam): string {
  if (!p.type.startsWith('tuple')) return p.type;
  return `(${(p.components ?? []).map(canonicalType).join(',')})${p.type.slice('tuple'.length)}`;
}

/** The 4-byte selector of a function signature, as 0x-hex. */
export function selectorOf(signature: string): string {
  return `0x${Buffer.from(keccak256(Buffer.from(signature, 'utf8')))
    .subarray(0, 4)
    .toString('hex')}`;
}

// ------------------------------------------------------------------ decode

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function wordToBigint(data: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = at; i < at + 32; i += 8) {
    v = (v << 64n) | (BigInt((data[i]! * 2 ** 24 + data[i + 1]! * 2 ** 16 + data[i + 2]! * 2 ** 8 + data[i + 3]!) >>> 0) << 32n);
    v |= BigInt((data[i + 4]! * 2 ** 24 + data[i + 5]! * 2 ** 16 + data[i + 6]! * 2 ** 8 + data[i + 7]!) >>> 0);
  }
  return v;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

function decodeStatic(type: ArgType, body: Uint8Array, at: number, name: string): boolean | bigint | string {
  switch (type) {
    case 'address':
      for (let i = at; i < at + 12; i++) if (body[i] !== 0) throw new AbiDecodeError(`${name}: not an address`);
      return `0x${hex(body.subarray(at + 12, at + 32))}`;
    case 'bytes32':
      return `0x${hex(body.subarray(at, at + 32))}`;
    case 'bool': {
      const v = wordToBigint(body, at);
      if (v > 1n) throw new AbiDecodeError(`${name}: not a bool`);
      return v === 1n;
    }
    default: {
      const v = wordToBigint(body, at);
      if (v >= 1n << UINT_BITS.get(type)!) throw new AbiDecodeError(`${name}: out of range for ${type}`);
      return v;
    }
  }
}

/**
 * Strict decoding of a function's arguments from `body` (the calldata after
 * the selector): every head word present, static values in range, each
 * string/bytes inside the calldata, strings valid UTF-8 (a leading U+FEFF is
 * kept: it is part of the text). `fn` names the function in the messages.
 */
export function decodeArguments(fn: string, inputs: readonly ArgType[], body: Uint8Array): unknown[] {
  if (body.length < 32 * inputs.length) throw new AbiDecodeError(`${fn}: calldata too short`);
  return inputs.map((type, i) => {
    const head = 32 * i;
    if (type !== 'string' && type !== 'bytes') return decodeStatic(type, body, head, `${fn} argument ${i}`);
    const offset = wordToBigint(body, head);
    if (offset + 32n > BigInt(body.length)) throw new AbiDecodeError(`${fn}: ${type} offset out of bounds`);
    const length = wordToBigint(body, Number(offset));
    const start = Number(offset) + 32;
    if (BigInt(start) + length > BigInt(body.length)) throw new AbiDecodeError(`${fn}: ${type} runs past the calldata`);
    const raw = body.subarray(start, start + Number(length));
    if (type === 'bytes') return new Uint8Array(raw);
    try {
      return UTF8.decode(raw);
    } catch {
      throw new AbiDecodeError(`${fn}: string is not valid UTF-8`);
    }
  });
}

// ------------------------------------------------------------------ encode

/** A value that does not fit its ABI type: a bug in the contract, never the caller's input. */
function unencodable(p: AbiParam, why: string): never {
  throw new Error(`cannot ABI-encode ${p.name === '' ? p.type : `${p.name} (${p.type})`}: ${why}`);
}

/** Throws unless the encoder handles `p` (checked when a contract's table is built, not per call). */
export function assertEncodable(p: AbiParam): void {
  if (p.type.endsWith('[]')) return assertEncodable({ ...p, type: p.type.slice(0, -2) });
  if (p.type === 'tuple') return (p.components ?? []).forEach(assertEncodable);
  if (!['address', 'bool', 'bytes32', 'bytes', 'string'].includes(p.type) && !UINT_BITS.has(p.type)) unencodable(p, 'unsupported type');
}

function isDynamic(p: AbiParam): boolean {
  if (p.type === 'string' || p.type === 'bytes' || p.type.endsWith('[]')) return true;
  if (p.type === 'tuple') return (p.components ?? []).some(isDynamic);
  return false;
}

const HEX_OF_SIZE: Readonly<Record<number, RegExp>> = { 20: /^0x[0-9a-fA-F]{40}$/, 32: /^0x[0-9a-fA-F]{64}$/ };

function hexBytes(p: AbiParam, v: AbiValue, size: 20 | 32): Uint8Array {
  if (v instanceof Uint8Array) {
    if (v.length !== size) unencodable(p, `${v.length} bytes, expected ${size}`);
    return v;
  }
  if (typeof v !== 'string' || !HEX_OF_SIZE[size]!.test(v)) unencodable(p, `not ${size} bytes of 0x-hex`);
  return Buffer.from(v.slice(2), 'hex');
}

/** Bits of each unsigned integer type the encoder handles. */
const UINT_BITS: ReadonlyMap<string, bigint> = new Map([8, 16, 32, 64, 128, 256].map((n) => [`uint${n}`, BigInt(n)]));

function staticWord(p: AbiParam, v: AbiValue): Uint8Array {
  const out = new Uint8Array(32);
  if (p.type === 'address') {
    out.set(hexBytes(p, v, 20), 12);
  } else if (p.type === 'bytes32') {
    out.set(hexBytes(p, v, 32));
  } else if (p.type === 'bool') {
    if (typeof v !== 'boolean') unencodable(p, 'not a boolean');
    out[31] = v ? 1 : 0;
  } else if (UINT_BITS.has(p.type)) {
    if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isSafeInteger(v))) unencodable(p, 'not an integer');
    const n = BigInt(v);
    if (n < 0n || n >= 1n << UINT_BITS.get(p.type)!) unencodable(p, `${n} out of range`);
    out.set(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));
  } else {
    unencodable(p, 'unsupported type');
  }
  return out;
}

function lengthWord(n: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(28, n);
  return out;
}

function padded(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length / 32) * 32);
  out.set(bytes);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Heads then tails of a sequence of values (a tuple, the elements of an array, or a function's outputs). */
function encodeSequence(params: readonly AbiParam[], values: readonly AbiValue[]): Uint8Array {
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let tailOffset = 32 * params.length;
  params.forEach((p, i) => {
    const encoded = encodeValue(p, values[i]!);
    if (!isDynamic(p)) {
      heads.push(encoded);
      return;
    }
    heads.push(lengthWord(tailOffset));
    tails.push(encoded);
    tailOffset += encoded.length;
  });
  return concat([...heads, ...tails]);
}

function encodeValue(p: AbiParam, v: AbiValue): Uint8Array {
  if (v === undefined) unencodable(p, 'missing');
  if (p.type.endsWith('[]')) {
    if (!Array.isArray(v)) unencodable(p, 'not an array');
    const items = v as readonly AbiValue[];
    const element: AbiParam = { ...p, name: p.name, type: p.type.slice(0, -2) };
    return concat([
      lengthWord(items.length),
      encodeSequence(
        items.map(() => element),
        items,
      ),
    ]);
  }
  if (p.type === 'tuple') {
    const fields = p.components ?? [];
    if (typeof v !== 'object' || v instanceof Uint8Array || Array.isArray(v)) unencodable(p, 'not an object');
    const record = v as { readonly [field: string]: AbiValue };
    return encodeSequence(
      fields,
      fields.map((f) => record[f.name]!),
    );
  }
  if (p.type === 'string' || p.type === 'bytes') {
    let bytes: Uint8Array;
    if (p.type === 'string') {
      if (typeof v !== 'string') unencodable(p, 'not a string');
      bytes = Buffer.from(v, 'utf8');
    } else {
      if (!(v instanceof Uint8Array)) unencodable(p, 'not bytes');
      bytes = v;
    }
    return concat([lengthWord(bytes.length), padded(bytes)]);
  }
  return staticWord(p, v);
}

/** ABI encoding of a function's return values (`outputs` of its ABI entry). */
export function encodeResult(outputs: readonly AbiParam[], values: readonly AbiValue[]): Uint8Array {
  if (values.length !== outputs.length) throw new Error(`expected ${outputs.length} return values, got ${values.length}`);
  return encodeSequence(outputs, values);
}

/** An event of an ABI, ready to encode. */
export interface EventEncoder {
  readonly name: string;
  readonly topic: Uint8Array;
  readonly params: readonly AbiParam[];
}

export function eventEncoder(entry: AbiEntry): EventEncoder {
  const params = entry.inputs ?? [];
  for (const p of params) {
    assertEncodable(p);
    if (p.indexed === true && isDynamic(p)) throw new Error(`event ${entry.name}: indexed ${p.type} is not supported`);
  }
  return { name: entry.name!, topic: keccak256(Buffer.from(signatureOf(entry.name!, params), 'utf8')), params };
}

/** The log of event `e` emitted by `address`: topic 0 is the signature hash, indexed fields the other topics, the rest the data. */
export function encodeEventLog(address: Address, e: EventEncoder, values: readonly AbiValue[]): EvmLog {
  if (values.length !== e.params.length) throw new Error(`event ${e.name} has ${e.params.length} fields, got ${values.length}`);
  const topics = [e.topic];
  const dataParams: AbiParam[] = [];
  const dataValues: AbiValue[] = [];
  e.params.forEach((p, i) => {
    if (p.indexed === true) topics.push(staticWord(p, values[i]!));
    else {
      dataParams.push(p);
      dataValues.push(values[i]!);
    }
  });
  return { address, topics, data: encodeSequence(dataParams, dataValues) };
}
