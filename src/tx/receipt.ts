/**
 * The deterministic outcome of a transaction, carried in ABCI
 * `ExecTxResult.data` (CometBFT hashes `data` into LastResultsHash, so it must
 * be identical on every node; `log` is for people and may differ).
 *
 * Encoding: RLP [status(0|1), gasUsed, effectiveGasPrice, logs, contractAddress, returnData]
 * with logs as [[address, [topic...], data] ...] and contractAddress empty when none.
 */
import { RLP } from '@ethereumjs/rlp';
import { bigintToBytes, bytesToBigint } from '../state/accounts.js';
import { addressFromBytes, type Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';

export interface Receipt {
  status: 0 | 1;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  logs: EvmLog[];
  contractAddress: Address | null;
  /** Return data of a successful call, or the revert data of a failed one. */
  returnData: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function addressBytes(address: Address): Uint8Array {
  return Buffer.from(address.slice(2), 'hex');
}

export function encodeReceipt(r: Receipt): Uint8Array {
  return RLP.encode([
    bigintToBytes(BigInt(r.status)),
    bigintToBytes(r.gasUsed),
    bigintToBytes(r.effectiveGasPrice),
    r.logs.map((log) => [addressBytes(log.address), log.topics, log.data]),
    r.contractAddress === null ? EMPTY : addressBytes(r.contractAddress),
    r.returnData,
  ]);
}

export function decodeReceipt(bytes: Uint8Array): Receipt {
  const f = RLP.decode(bytes) as unknown as [Uint8Array, Uint8Array, Uint8Array, [Uint8Array, Uint8Array[], Uint8Array][], Uint8Array, Uint8Array];
  if (!Array.isArray(f) || f.length !== 6) throw new Error('corrupt receipt');
  return {
    status: bytesToBigint(f[0]) === 1n ? 1 : 0,
    gasUsed: bytesToBigint(f[1]),
    effectiveGasPrice: bytesToBigint(f[2]),
    logs: f[3].map(([address, topics, data]) => ({ address: addressFromBytes(address), topics, data })),
    contractAddress: f[4].length === 0 ? null : addressFromBytes(f[4]),
    returnData: f[5],
  };
}
