/**
 * Stable result codes of transactions (ABCI `code`, codespace `cmtd`).
 * Numbers never change meaning once released; add new ones at the end.
 */
export const CODESPACE = 'cmtd';

export enum TxCode {
  Ok = 0,
  /** Malformed RLP, bad field sizes, non-canonical integers. */
  Encoding = 1,
  /** Invalid or unrecoverable signature. */
  Signature = 2,
  /** Wrong chain id, or an unprotected (pre-EIP-155) signature. */
  ChainId = 3,
  /** Nonce below the account's: already used. */
  NonceTooLow = 4,
  /** Nonce above the next one expected: a gap. */
  NonceTooHigh = 5,
  /** Balance below gas limit × price + value. */
  InsufficientFunds = 6,
  /** Gas limit below the intrinsic gas of the transaction. */
  IntrinsicGas = 7,
  /** Gas limit above the block gas limit, or the block has no gas left for it. */
  BlockGasLimit = 8,
  /** Gas price below min_gas_price and not zero, or zero for a transaction that is not a common operation (SPEC 9). */
  GasPriceTooLow = 9,
  /** A zero-price transaction asks for more than free_tx_gas_limit. */
  FreeTxGasLimit = 10,
  /** The block already holds free_tx_slots zero-price transactions, or one from this sender. */
  FreeTxSlotsFull = 11,
  /** Executed and reverted (system-call refusal or EVM revert); gas was charged. */
  Reverted = 12,
  /** A kind of transaction this node cannot execute (see the log). */
  Unsupported = 13,
  /** Larger than MAX_TX_BYTES. */
  TooLarge = 14,
  /** Transaction type other than legacy, 0x01, 0x02. */
  UnsupportedType = 15,
  /** The same transaction is already in the mempool or a block. */
  Duplicate = 16,
  /** A fault in the node, not in the transaction. */
  Internal = 17,
}

export class TxError extends Error {
  constructor(
    readonly code: TxCode,
    message: string,
  ) {
    super(message);
    this.name = 'TxError';
  }
}

export function codeName(code: number): string {
  return TxCode[code] ?? `code${code}`;
}
