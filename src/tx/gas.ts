/**
 * Gas and fee rules of transactions (SPEC 9). Intrinsic gas follows
 * Ethereum's rules (EIP-2028 calldata, EIP-2930 access lists, EIP-3860
 * initcode, EIP-7702 authorizations); from Prague on a transaction also pays
 * at least the EIP-7623 calldata floor (src/evm/hardfork.ts says which fork
 * a chain runs).
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
/** EIP-7702 PER_EMPTY_ACCOUNT_COST: intrinsic gas of one authorization. */
export const PER_AUTHORIZATION_GAS = 25_000n;
/** EIP-7702 PER_AUTH_BASE_COST: what an authorization costs when its account exists (the rest is refunded). */
export const PER_AUTH_BASE_GAS = 12_500n;
/** EIP-7623 TOTAL_COST_FLOOR_PER_TOKEN. */
const FLOOR_GAS_PER_TOKEN = 10n;
/** EIP-3860: the largest initcode a creation may carry. */
export const MAX_INITCODE_SIZE = 49_152;

export function intrinsicGas(tx: Pick<DecodedTx, 'to' | 'data' | 'accessList' | 'authorizationList'>): bigint {
  let gas = tx.to === null ? TX_CREATE_GAS : TX_GAS;
  let zeros = 0n;
  for (const byte of tx.data) if (byte === 0) zeros++;
  const nonzeros = BigInt(tx.data.length) - zeros;
  gas += zeros * ZERO_BYTE_GAS + nonzeros * NONZERO_BYTE_GAS;
  for (const entry of tx.accessList) {
    gas += ACCESS_LIST_ADDRESS_GAS + BigInt(entry.storageKeys.length) * ACCESS_LIST_KEY_GAS;
  }
  if (tx.to === null) gas += ((BigInt(tx.data.length) + 31n) / 32n) * INITCODE_WORD_GAS;
  if (tx.authorizationList !== undefined) gas += BigInt(tx.authorizationList.length) * PER_AUTHORIZATION_GAS;
  return gas;
}

/**
 * EIP-7623 floor: 21,000 + 10 per calldata token (a zero byte is one token,
 * any other byte four). From Prague a transaction's gas limit must cover it
 * and it pays at least this much.
 */
export function calldataFloorGas(tx: Pick<DecodedTx, 'data'>): bigint {
  let tokens = 0;
  for (const byte of tx.data) tokens += byte === 0 ? 1 : 4;
  return TX_GAS + BigInt(tokens) * FLOOR_GAS_PER_TOKEN;
}

export function isFreeTx(tx: Pick<DecodedTx, 'maxFeePerGas'>): boolean {
  return tx.maxFeePerGas === 0n;
}

/** Price per gas the transaction pays, given the chain's constant base fee. */
export function effectiveGasPrice(tx: Pick<DecodedTx, 'type' | 'maxFeePerGas' | 'maxPriorityFeePerGas'>, baseFee: bigint): bigint {
  if (tx.type === 0 || tx.type === 1) return tx.maxFeePerGas;
  const capped = baseFee + tx.maxPriorityFeePerGas;
  return capped < tx.maxFeePerGas ? capped : tx.maxFeePerGas;
}
