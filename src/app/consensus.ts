/**
 * Consensus params the app needs after a restart: the block gas limit
 * (CometBFT `block.max_gas`, -1 = unlimited), recorded at InitChain.
 */
import type { KV, KVReader } from '../store/kv.js';

const MAX_GAS_KEY = 'c/block_max_gas';

export function saveBlockGasLimit(kv: KV, maxGas: bigint): void {
  kv.set(MAX_GAS_KEY, Buffer.from(maxGas.toString(), 'utf8'));
}

/** The block gas limit, or null when unlimited. */
export function loadBlockGasLimit(kv: KVReader): bigint | null {
  const raw = kv.get(MAX_GAS_KEY);
  if (raw === undefined) return null;
  const value = BigInt(Buffer.from(raw).toString('utf8'));
  return value < 0n ? null : value;
}
