/**
 * Builds the index records of the block being executed (see records.ts) and
 * tells listeners (the JSON-RPC gateway) about each block once it is
 * committed.
 *
 * The app calls, per block: `beginBlock`, `addTx` for every transaction of
 * the CometBFT block in order (with its typed outcome), `finishBlock` after the
 * block's state is final (returns the records for `CommittedStore.commit`'s
 * `extra`, so they are written in the same batch as the state), and
 * `committed` once that batch is on disk. A block that is re-executed (replay
 * after a crash) simply starts over with `beginBlock`.
 *
 * Nothing here affects consensus: the records are outside the Merkle state,
 * and a failure to index a transaction is logged, never thrown into the block.
 */
import type { SignedTx } from '../tx/decode.js';
import type { BlockInfo, ChainRules } from '../tx/executor.js';
import type { Receipt } from '../tx/receipt.js';
import { keccak256 } from '../util/crypto.js';
import type { Logger } from '../util/logger.js';
import { emptyBloom, logsBloom } from './bloom.js';
import {
  blockHashKey,
  encodeBlock,
  encodeHeight,
  encodeOpening,
  encodeRejected,
  encodeTx,
  heightKey,
  openingKey,
  type BlockOpening,
  rejectedKey,
  txKey,
  type BlockRecord,
  type RejectedTxRecord,
  type TxRecord,
} from './records.js';

/** A transaction of the block as the app executed it. */
export interface ExecutedTx {
  /** Undefined when the bytes are not a valid signed transaction. */
  tx: SignedTx | undefined;
  /** Undefined when the transaction was refused rather than executed. */
  receipt: Receipt | undefined;
  /** The ABCI code and log CometBFT got. */
  code: number;
  log: string;
}

export interface BlockStart {
  info: BlockInfo;
  rules: ChainRules;
  /** CometBFT block hash (FinalizeBlock / BeginBlock `hash`). */
  hash: Uint8Array;
  /** CometBFT address of the proposer. */
  proposer: Uint8Array;
}

/** A committed block with its executed transactions, as handed to listeners. */
export interface IndexedBlock {
  block: BlockRecord;
  txs: TxRecord[];
}

export type BlockListener = (block: IndexedBlock) => void;

interface PendingBlock {
  start: BlockStart;
  txs: TxRecord[];
  hashes: Uint8Array[];
  rejected: Array<{ hash: Uint8Array; record: RejectedTxRecord }>;
  position: number;
  gasUsed: bigint;
  logCount: number;
  txBytes: bigint;
  opening?: BlockOpening;
}

export interface BlockIndexerOptions {
  logger?: Logger;
}

export class BlockIndexer {
  private pending: PendingBlock | undefined;
  private finished: IndexedBlock | undefined;
  private readonly listeners = new Set<BlockListener>();
  private readonly log: Logger | undefined;

  constructor(options: BlockIndexerOptions = {}) {
    this.log = options.logger?.child({ module: 'index' });
  }

  beginBlock(start: BlockStart): void {
    this.pending = { start, txs: [], hashes: [], rejected: [], position: 0, gasUsed: 0n, logCount: 0, txBytes: 0n };
    this.finished = undefined;
  }

  /** What the block wrote before its first transaction (see BlockOpening); traces start there. */
  setOpening(opening: BlockOpening): void {
    if (this.pending !== undefined) this.pending.opening = opening;
  }

  /** Records the next transaction of the CometBFT block and its outcome. */
  addTx(raw: Uint8Array, result: ExecutedTx): void {
    const p = this.pending;
    if (p === undefined) return;
    const position = p.position++;
    p.txBytes += BigInt(raw.length);
    const { tx, receipt } = result;
    if (tx === undefined || receipt === undefined) {
      const hash = tx?.hash ?? keccak256(raw);
      p.rejected.push({
        hash,
        record: { height: p.start.info.height, position, code: result.code, log: result.log, sender: tx?.sender ?? null },
      });
      return;
    }
    p.gasUsed += receipt.gasUsed;
    p.hashes.push(tx.hash);
    p.txs.push({
      height: p.start.info.height,
      index: p.txs.length,
      raw,
      sender: tx.sender,
      status: receipt.status,
      gasUsed: receipt.gasUsed,
      cumulativeGasUsed: p.gasUsed,
      effectiveGasPrice: receipt.effectiveGasPrice,
      contractAddress: receipt.contractAddress,
      logs: receipt.logs,
      firstLogIndex: p.logCount,
      code: result.code,
      log: result.log,
      returnData: receipt.status === 1 ? new Uint8Array(0) : receipt.returnData,
    });
    p.logCount += receipt.logs.length;
  }

  /**
   * The block's index records, for `CommittedStore.commit(..., extra)`.
   * `stateRoot` is the app hash after the block.
   */
  finishBlock(stateRoot: Uint8Array): Array<[string, Uint8Array]> {
    const p = this.pending;
    this.pending = undefined;
    if (p === undefined) return [];
    const { start } = p;
    const bloom = emptyBloom();
    for (const tx of p.txs) if (tx.logs.length > 0) logsBloom(tx.logs, bloom);
    const block: BlockRecord = {
      height: start.info.height,
      hash: start.hash,
      time: start.info.time,
      proposer: start.proposer,
      gasLimit: start.rules.blockGasLimit,
      gasUsed: p.gasUsed,
      baseFee: start.rules.params.min_gas_price,
      stateRoot,
      logsBloom: bloom,
      txs: p.txs.map((t, i) => ({ hash: p.hashes[i]!, gasUsed: t.gasUsed, effectiveGasPrice: t.effectiveGasPrice, logCount: t.logs.length })),
      rejected: p.rejected.map((r) => r.hash),
      txBytes: p.txBytes,
    };
    const records: Array<[string, Uint8Array]> = [[heightKey(block.height), encodeBlock(block)]];
    // A hash of another length (a bench or a test driving the app without CometBFT) is not indexed.
    if (block.hash.length === 32) records.push([blockHashKey(block.hash), encodeHeight(block.height)]);
    for (let i = 0; i < p.txs.length; i++) records.push([txKey(block.txs[i]!.hash), encodeTx(p.txs[i]!)]);
    for (const r of p.rejected) records.push([rejectedKey(r.hash), encodeRejected(r.record)]);
    if (p.opening !== undefined) records.push([openingKey(block.height), encodeOpening(p.opening)]);
    this.finished = { block, txs: p.txs };
    return records;
  }

  /** The block at `height` is on disk: tell the listeners. */
  committed(height: bigint): void {
    const finished = this.finished;
    this.finished = undefined;
    if (finished === undefined || finished.block.height !== height) return;
    for (const listener of this.listeners) {
      try {
        listener(finished);
      } catch (err) {
        this.log?.error('block listener failed', { height: height.toString(), error: (err as Error).message });
      }
    }
  }

  /** Subscribes to committed blocks; returns the unsubscribe function. */
  onBlock(listener: BlockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
