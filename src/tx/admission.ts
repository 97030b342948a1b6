/**
 * Which transactions may join a block (SPEC 9): the free-slot rule and the
 * block gas limit. One rule, used by PrepareProposal (to build a block),
 * ProcessProposal (to vote on one) and block execution (FinalizeBlock /
 * DeliverTx), so the three can never disagree.
 *
 * Free slots: a zero-price transaction must be a common operation (a plain
 * CMT transfer to an address without code, or a call to a system address),
 * ask for at most `free_tx_gas_limit` gas, and find a slot: at most
 * `free_tx_slots` per block and one per sender per block.
 *
 * Block gas: the gas counted so far plus this transaction's gas limit must
 * not exceed the block gas limit. The proposal steps count gas limits (as
 * CometBFT does); execution counts the gas transactions really used.
 */
import type { Address } from '../util/address.js';
import { Accounts } from '../state/accounts.js';
import type { KV } from '../store/kv.js';
import type { SignedTx } from './decode.js';
import { TxCode, TxError } from './errors.js';
import { isPrecompile, type ChainRules } from './executor.js';
import { isFreeTx } from './gas.js';
import { forkRules } from '../evm/hardfork.js';
import type { SystemContractResolver } from '../system/types.js';

/**
 * Whether `tx` is a common operation (SPEC 9) on `state`: a call to a system
 * address, or a transfer to an address that holds no code and is no
 * precompile. Contract creation, calls into code and set-code (type-4)
 * transactions are not.
 */
export function isCommonOperation(tx: SignedTx, state: KV, resolveSystem: SystemContractResolver, rules: ChainRules): boolean {
  const to = tx.to;
  if (to === null || tx.authorizationList !== undefined) return false;
  if (resolveSystem(to, state) !== undefined) return true;
  if (isPrecompile(to, forkRules(rules.params.evm_hardfork))) return false;
  return new Accounts(state).get(to).codeHash.length === 0;
}

/** The refusal of a zero-price transaction that is not a common operation (CheckTx and blocks alike). */
function notCommonError(): TxError {
  return new TxError(
    TxCode.GasPriceTooLow,
    'a zero-price transaction must be a plain transfer to an address without code or a call to a system address; contract creation and calls into contract code pay a gas price',
  );
}

/** CheckTx's part of the rule: a zero-price transaction that is no common operation on `state` is refused. */
export function commonOperationRefusal(tx: SignedTx, state: KV, resolveSystem: SystemContractResolver, rules: ChainRules): TxError | undefined {
  return isFreeTx(tx) && !isCommonOperation(tx, state, resolveSystem, rules) ? notCommonError() : undefined;
}

/** The admission state of one block being built, checked or executed. */
export class BlockAdmission {
  private gas = 0n;
  private freeTxs = 0;
  private readonly freeSenders = new Set<Address>();

  /**
   * @param isCommon tells whether a zero-price transaction is a common
   *   operation, on the state the caller admits against.
   */
  constructor(
    private readonly rules: ChainRules,
    private readonly isCommon: (tx: SignedTx) => boolean,
  ) {}

  /** The admission of a block whose zero-price transactions are judged on `state` (committed state for proposals, the block's for execution). */
  static on(state: KV, rules: ChainRules, resolveSystem: SystemContractResolver): BlockAdmission {
    return new BlockAdmission(rules, (tx) => isCommonOperation(tx, state, resolveSystem, rules));
  }

  /** Why `tx` may not join the block now, or undefined when it may. Changes nothing. */
  refusal(tx: SignedTx): TxError | undefined {
    const { params, blockGasLimit } = this.rules;
    if (isFreeTx(tx)) {
      if (tx.gasLimit > params.free_tx_gas_limit) {
        return new TxError(TxCode.FreeTxGasLimit, `a zero-price transaction may ask for at most ${params.free_tx_gas_limit} gas, this one asks for ${tx.gasLimit}`);
      }
      if (this.freeSenders.has(tx.sender)) {
        return new TxError(TxCode.FreeTxSlotsFull, `${tx.sender} already has a zero-price transaction in this block (one per sender)`);
      }
      if (this.freeTxs >= params.free_tx_slots) {
        return new TxError(TxCode.FreeTxSlotsFull, `the block's ${params.free_tx_slots} free slots are used`);
      }
      if (!this.isCommon(tx)) return notCommonError();
    }
    if (blockGasLimit !== null && this.gas + tx.gasLimit > blockGasLimit) {
      return new TxError(TxCode.BlockGasLimit, `not enough gas left in the block: ${this.gas} of ${blockGasLimit} counted, this transaction asks for ${tx.gasLimit}`);
    }
    return undefined;
  }

  /** The proposal steps: admits `tx` counting its gas limit, or says why it may not join (and counts nothing). */
  admitProposed(tx: SignedTx): TxError | undefined {
    const refusal = this.refusal(tx);
    if (refusal === undefined) this.admit(tx, tx.gasLimit);
    return refusal;
  }

  /** Counts an admitted transaction: `gas` is its gas limit (proposals) or the gas it used (execution). */
  admit(tx: SignedTx, gas: bigint): void {
    this.gas += gas;
    if (isFreeTx(tx)) {
      this.freeTxs++;
      this.freeSenders.add(tx.sender);
    }
  }
}
