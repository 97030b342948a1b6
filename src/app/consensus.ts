/**
 * The block gas limit (SPEC 9): the smaller of CometBFT's consensus param
 * `block.max_gas` (recorded at InitChain; -1 = unlimited) and the chain
 * param `block_gas_limit`.
 */
import { loadParams, type Params } from '../state/params.js';
import { STATE_PREFIXES } from '../state/keys.js';
import type { KV, KVReader } from '../store/kv.js';

export const MAX_GAS_KEY = `${STATE_PREFIXES.consensus}block_max_gas`;

export function saveBlockGasLimit(kv: KV, maxGas: bigint): void {
  kv.set(MAX_GAS_KEY, Buffer.from(maxGas.toString(), 'utf8'));
}

/** The block gas limit of the state in `kv` (`params`: its params, when already loaded). */
export function loadBlockGasLimit(kv: KVReader, params: Params = loadParams(kv)): bigint {
  const raw = kv.get(MAX_GAS_KEY);
  const maxGas = raw === undefined ? -1n : BigInt(Buffer.from(raw).toString('utf8'));
  return maxGas >= 0n && maxGas < params.block_gas_limit ? maxGas : params.block_gas_limit;
}
