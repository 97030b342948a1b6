/**
 * Gas and fee rules of transactions (SPEC 9). Intrinsic gas follows
 * Ethereum's Cancun rules (EIP-2028 calldata, EIP-2930 access lists,
 * EIP-3860 initcode), the fork the EVM runs.
 *
 * Base-fee policy: the chain has a constant base fee equal to `min_gas_price`.
 * An EIP-1559 transaction pays min(maxFeePerGas, baseFee + maxPriorityFeePerGas)
 * per gas; legacy and EIP-2930 transactions pay their gas price. Nothing is
 * burned: every fee goes to the block award (SPEC 5.1). A transaction whose
 * price (gas price, or maxFeePerGas) is zero is a free transaction (SPEC 9).
 */
import type { DecodedTx } from './decode.js';

export const TX_GAS = 21_000n;
export const TX_CREATE_GAS = 53_000n;
const ZERO_BYTE_GAS = 4n;
const NONZERO_BYTE_GAS = 16n;
const ACCESS_LIST_ADDRESS_GAS = 2_400n;
const ACCESS_LIST_KEY_GAS = 1_900n;
const INITCODE_WORD_GAS = 2n;
/** EIP-3860: the largest initcode a creation may carry. */
export const MAX_INITCODE_SIZE = 49_152;

export function intrinsicGas(tx: Pick<DecodedTx, 'to' | 'data' | 'accessList'>): bigint {
  let gas = tx.to === null ? TX_CREATE_GAS : TX_GAS;
  let zeros = 0n;
  for (const byte of tx.data) if (byte === 0) zeros++;
  const nonzeros = BigInt(tx.data.length) - zeros;
  gas += zeros * ZERO_BYTE_GAS + nonzeros * NONZERO_BYTE_GAS;
  for (const entry of tx.accessList) {
    gas += ACCESS_LIST_ADDRESS_GAS + BigInt(entry.storageKeys.length) * ACCESS_LIST_KEY_GAS;
  }
  if (tx.to === null) gas += ((BigInt(tx.data.length) + 31n) / 32n) * INITCODE_WORD_GAS;
  return gas;
}

export function isFreeTx(tx: Pick<DecodedTx, 'maxFeePerGas'>): boolean {
  return tx.maxFeePerGas === 0n;
}

/** Price per gas the transaction pays, given the chain's constant base fee. */
export function effectiveGasPrice(tx: Pick<DecodedTx, 'type' | 'maxFeePerGas' | 'maxPriorityFeePerGas'>, baseFee: bigint): bigint {
  if (tx.type !== 2) return tx.maxFeePerGas;
  const capped = baseFee + tx.maxPriorityFeePerGas;
  return capped < tx.maxFeePerGas ? capped : tx.maxFeePerGas;
}
