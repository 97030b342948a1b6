/**
 * eth_call / eth_estimateGas: the call-object parameter and how calls run
 * against committed state.
 */
import { loadBlockGasLimit } from '../app/consensus.js';
import { estimateGas, EstimateGasError, ethCall, type CallContext as EvmCallContext, type CallRequest as EvmCallRequest } from '../tx/call.js';
import type { Address } from '../util/address.js';
import { loadParams } from '../state/params.js';
import type { KVReader } from '../store/kv.js';
import { bigintToBytes } from '../state/accounts.js';
import type { AccessListEntry } from '../evm/engine.js';
import type { Authorization } from '../tx/decode.js';
import { RpcCode, RpcError, invalidParams } from './errors.js';
import { data as hexData, parseAddress, parseData, parseHash, parseQuantity, describeValue } from './hex.js';
import type { SystemContractResolver } from '../system/types.js';

export interface CallRequest {
  from: Address | null;
  /** null: contract creation. */
  to: Address | null;
  /** Gas limit asked for; null: the gateway's cap. */
  gas: bigint | null;
  gasPrice: bigint | null;
  maxFeePerGas: bigint | null;
  maxPriorityFeePerGas: bigint | null;
  value: bigint;
  data: Uint8Array;
  nonce: bigint | null;
  accessList: AccessListEntry[];
  /** EIP-7702 authorizations applied before the call (a type-4 transaction). */
  authorizationList?: Authorization[];
}

/** Most authorizations a call object may carry (each costs a signature recovery). */
export const MAX_CALL_AUTHORIZATIONS = 64;

/** The block a call runs in: the one whose state it reads (as geth). */
export interface CallBlock {
  height: bigint;
  time: bigint;
}

/** One committed store version as calls read it: the state after block `height`. */
export interface CallState extends KVReader {
  readonly height: bigint;
}

const KNOWN_FIELDS = new Set([
  'from',
  'to',
  'gas',
  'gasPrice',
  'maxFeePerGas',
  'maxPriorityFeePerGas',
  'value',
  'data',
  'input',
  'nonce',
  'accessList',
  'authorizationList',
  'type',
  'chainId',
  'blobVersionedHashes',
  'maxFeePerBlobGas',
]);

function optional<T>(obj: Record<string, unknown>, key: string, parse: (v: unknown, name: string) => T): T | null {
  const v = obj[key];
  return v === undefined || v === null ? null : parse(v, key);
}

function parseAccessList(value: unknown): AccessListEntry[] {
  if (!Array.isArray(value)) throw invalidParams(`accessList: expected an array, got ${describeValue(value)}`);
  return value.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw invalidParams(`accessList[${i}]: expected {address, storageKeys}`);
    const e = entry as Record<string, unknown>;
    const keys = e.storageKeys ?? [];
    if (!Array.isArray(keys)) throw invalidParams(`accessList[${i}].storageKeys: expected an array`);
    return {
      address: Buffer.from(parseAddress(e.address, `accessList[${i}].address`).slice(2), 'hex'),
      storageKeys: keys.map((k: unknown, j) => parseHash(k, `accessList[${i}].storageKeys[${j}]`)),
    };
  });
}

function parseAuthorizationList(value: unknown): Authorization[] {
  if (!Array.isArray(value)) throw invalidParams(`authorizationList: expected an array, got ${describeValue(value)}`);
  if (value.length > MAX_CALL_AUTHORIZATIONS) throw invalidParams(`authorizationList: at most ${MAX_CALL_AUTHORIZATIONS} authorizations, got ${value.length}`);
  return value.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalidParams(`authorizationList[${i}]: expected {chainId, address, nonce, yParity, r, s}`);
    const e = entry as Record<string, unknown>;
    const field = (name: string, bits: number): bigint => parseQuantity(e[name], `authorizationList[${i}].${name}`, bits);
    // yParity, or a legacy-style v (27/28) as some clients send.
    const parity = e.yParity !== undefined && e.yParity !== null ? field('yParity', 8) : field('v', 8) - 27n;
    return {
      chainId: field('chainId', 256),
      address: Buffer.from(parseAddress(e.address, `authorizationList[${i}].address`).slice(2), 'hex'),
      nonce: field('nonce', 64),
      yParity: Number(parity < 0n ? 2n : parity),
      r: bigintToBytes(field('r', 256)),
      s: bigintToBytes(field('s', 256)),
    };
  });
}

/** Parses and checks a call object (eth_call, eth_estimateGas). */
export function parseCallRequest(value: unknown, maxDataBytes: number): CallRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidParams(`call object: expected an object like {"to": "0x…", "data": "0x…"}, got ${describeValue(value)}`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!KNOWN_FIELDS.has(key)) throw invalidParams(`call object: unknown field "${key.slice(0, 40)}"`);
  const input = optional(obj, 'input', (v, n) => parseData(v, n, maxDataBytes));
  const dataField = optional(obj, 'data', (v, n) => parseData(v, n, maxDataBytes));
  if (input !== null && dataField !== null && !Buffer.from(input).equals(Buffer.from(dataField))) {
    throw invalidParams('call object: "data" and "input" are both set and differ');
  }
  if (obj.gasPrice !== undefined && obj.gasPrice !== null && (obj.maxFeePerGas !== undefined || obj.maxPriorityFeePerGas !== undefined)) {
    throw invalidParams('call object: both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified');
  }
  if (obj.blobVersionedHashes !== undefined && obj.blobVersionedHashes !== null) throw invalidParams('blob transactions are not supported');
  const req: CallRequest = {
    from: optional(obj, 'from', parseAddress),
    to: optional(obj, 'to', parseAddress),
    gas: optional(obj, 'gas', (v, n) => parseQuantity(v, n, 64)),
    gasPrice: optional(obj, 'gasPrice', parseQuantity),
    maxFeePerGas: optional(obj, 'maxFeePerGas', parseQuantity),
    maxPriorityFeePerGas: optional(obj, 'maxPriorityFeePerGas', parseQuantity),
    value: optional(obj, 'value', parseQuantity) ?? 0n,
    data: input ?? dataField ?? new Uint8Array(0),
    nonce: optional(obj, 'nonce', (v, n) => parseQuantity(v, n, 64)),
    accessList: optional(obj, 'accessList', (v) => parseAccessList(v)) ?? [],
  };
  const authorizationList = optional(obj, 'authorizationList', (v) => parseAuthorizationList(v));
  if (authorizationList !== null && authorizationList.length > 0) req.authorizationList = authorizationList;
  if (req.authorizationList !== undefined && req.to === null) throw invalidParams('call object: a call with an authorizationList (type 4) cannot create a contract');
  if (req.maxFeePerGas !== null && req.maxPriorityFeePerGas !== null && req.maxPriorityFeePerGas > req.maxFeePerGas) {
    throw invalidParams('call object: maxPriorityFeePerGas is above maxFeePerGas');
  }
  return req;
}

export function reverted(message: string, revert: Uint8Array): RpcError {
  return new RpcError(RpcCode.ExecutionReverted, message.startsWith('execution reverted') ? message : `execution reverted: ${message}`, hexData(revert));
}

/**
 * The EVM runner (src/tx/call.ts) on the calling thread: contract code through @ethereumjs/evm,
 * system addresses natively. Failures map to geth's errors: a revert is
 * code 3 with the revert data, anything else (out of gas, insufficient
 * funds, invalid opcode) -32000 with the reason.
 */
export function evmCallRunner(resolveSystem: SystemContractResolver): {
  call(state: KVReader, req: CallRequest, block: CallBlock): Promise<Uint8Array>;
  estimateGas(state: KVReader, req: CallRequest, block: CallBlock): Promise<bigint>;
} {
  const toEvm = (state: KVReader, req: CallRequest, block: CallBlock): [EvmCallRequest, EvmCallContext] => {
    const request: EvmCallRequest = { to: req.to, data: req.data, value: req.value };
    if (req.from !== null) request.from = req.from;
    if (req.gas !== null) request.gas = req.gas;
    const price = req.gasPrice ?? req.maxFeePerGas;
    if (price !== null) request.gasPrice = price;
    if (req.authorizationList !== undefined) request.authorizationList = req.authorizationList;
    return [request, { height: block.height, time: block.time, params: loadParams(state), blockGasLimit: loadBlockGasLimit(state) }];
  };
  const failure = (message: string, returnData: Uint8Array): RpcError =>
    returnData.length > 0 || /^execution reverted/.test(message) ? reverted(message, returnData) : new RpcError(RpcCode.Server, message);
  return {
    async call(state, req, block) {
      const result = await ethCall(state, ...toEvm(state, req, block), resolveSystem);
      if (!result.success) throw failure(result.error ?? 'execution failed', result.returnData);
      return result.returnData;
    },
    async estimateGas(state, req, block) {
      try {
        return await estimateGas(state, ...toEvm(state, req, block), resolveSystem);
      } catch (err) {
        if (err instanceof EstimateGasError) throw failure(err.message, err.returnData);
        throw err;
      }
    },
  };
}
