/**
 * The observer hook the app offers (AppOptions.metrics): plain callbacks,
 * so the app depends on no metrics library. `src/metrics/metrics.ts`
 * implements it with prom-client. Callbacks must be cheap and must not throw:
 * onCheckTx runs on the mempool's hot path.
 */

/** What the app reports once a block is committed. */
export interface BlockObservation {
  /** The committed height. */
  height: bigint;
  /** Transactions in the block, executed and refused. */
  txs: number;
  /** Seconds spent executing the block: FinalizeBlock (v0.38), or BeginBlock to EndBlock (v0.37). */
  seconds: number;
  /** Seconds Commit spent writing the block. */
  commitSeconds: number;
  /** The ABCI code of every transaction whose result was not Ok (src/tx/errors.ts), in block order. */
  rejectedCodes: number[];
}

export interface AppMetrics {
  /** A CheckTx answered with `code` (0: accepted) after `seconds`. */
  onCheckTx(code: number, seconds: number): void;
  /** A block was committed. */
  onBlock(block: BlockObservation): void;
}
