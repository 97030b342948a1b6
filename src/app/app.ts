/**
 * The ABCI application: the lifecycle of a block over the committed store,
 * the CheckTx view, and the v0.38 (FinalizeBlock) and v0.37
 * (BeginBlock/DeliverTx/EndBlock) flows, which share one block executor.
 *
 * State views (DESIGN.md): `store` is the last committed state; `genesis`
 * holds InitChain's writes until block 1 commits them (CometBFT re-runs
 * InitChain if we crash before that); `block` is the write cache of the block
 * being executed; `check` is CheckTx's read-only view of the committed (or
 * genesis) state, renewed after every Commit; `pending` holds what CheckTx
 * accepted and no block included yet (src/tx/pending-pool.ts). Commit
 * writes the block's changes, height and app hash in one LevelDB batch.
 */
import type {
  AbciApplication,
  CommitInfo,
  Event,
  ExecTxResult,
  Misbehavior,
  RequestApplySnapshotChunk,
  RequestBeginBlock,
  RequestCheckTx,
  RequestDeliverTx,
  RequestEndBlock,
  RequestFinalizeBlock,
  RequestInfo,
  RequestInitChain,
  RequestLoadSnapshotChunk,
  RequestOfferSnapshot,
  RequestPrepareProposal,
  RequestProcessProposal,
  RequestQuery,
  ResponseApplySnapshotChunk,
  ResponseBeginBlock,
  ResponseCheckTx,
  ResponseCommit,
  ResponseCommitV037,
  ResponseDeliverTx,
  ResponseEndBlock,
  ResponseFinalizeBlock,
  ResponseInfo,
  ResponseInitChain,
  ResponseListSnapshots,
  ResponseLoadSnapshotChunk,
  ResponseOfferSnapshot,
  ResponsePrepareProposal,
  ResponseProcessProposal,
  ResponseQuery,
  Timestamp,
  ValidatorUpdate,
} from '../abci/types.js';
import { BlockIndexer } from '../index/indexer.js';
import { IndexPruner, indexBaseRecord } from '../index/pruner.js';
import { SnapshotRestorer } from '../statesync/restore.js';
import type { SnapshotStore } from '../statesync/snapshots.js';
import { Accounts, accountKey } from '../state/accounts.js';
import type { Address } from '../util/address.js';
import { bytesEqual } from '../util/bytes.js';
import { STATE_PREFIXES } from '../state/keys.js';
import { loadParams } from '../state/params.js';
import type { CommittedStore, PendingRoot } from '../store/committed-store.js';
import { Overlay, type Change } from '../store/kv.js';
import type { SignedTx } from '../tx/decode.js';
import { BlockAdmission, commonOperationRefusal } from '../tx/admission.js';
import { CODESPACE, TxCode, TxError, codeName } from '../tx/errors.js';
import { checkConsensusDependencies } from '../evm/dependencies.js';
import { verifyGenesisCode } from '../evm/genesis.js';
import { executeTx, rejected, validateStatic, type BlockInfo, type ChainRules } from '../tx/executor.js';
import { encodeReceipt, type Receipt } from '../tx/receipt.js';
import { PendingPool } from '../tx/pending-pool.js';
import { SenderCache } from '../tx/sender-cache.js';
import type { SenderRecovery } from '../tx/sender-recovery.js';
import type { Logger } from '../util/logger.js';
import { CMTD_VERSION } from '../util/version.js';
import { IDLE_BLOCK_HASHES_KEY, changesState, decodeIdleHashes, encodeIdleHashes, withBlock, writeRing, type BlockHashEntry } from './block-hashes.js';
import { loadBlockGasLimit, saveBlockGasLimit } from './consensus.js';
import { parseAppGenesis } from './genesis.js';
import type { ChainModules, Evidence, LastCommitVote, PowerUpdate } from './modules.js';
import { answerQuery } from './query.js';
import type { AppMetrics } from './observer.js';
import type { BlockRetention } from './retention.js';

export const APP_VERSION = 1n;

interface BlockInProgress {
  info: BlockInfo;
  rules: ChainRules;
  /** Free slots and gas used so far (SPEC 9). */
  admission: BlockAdmission;
  txHashes: Uint8Array[];
  /** For AppOptions.metrics: performance.now() at the start, results seen, codes of those not Ok. */
  started: number;
  txResults: number;
  rejectedCodes: number[];
  /** BLOCKHASH ring entries the block has yet to write (src/app/block-hashes.ts); undefined once written. */
  ringEntries: BlockHashEntry[] | undefined;
  /** What the block wrote before its first transaction (BLOCKHASH ring, begin-block staking work). */
  opening?: Array<[string, Change]>;
}

interface ExecutedBlock {
  height: bigint;
  appHash: Uint8Array;
  /** The hashed changes, handed to Commit so nothing is hashed twice. */
  pending: PendingRoot;
  txHashes: Uint8Array[];
  /** Addresses whose account the block changed: their CheckTx queues are re-evaluated after Commit. */
  changedAccounts: Address[];
  /** Block/tx/log index records (src/index) and other non-consensus records, written in the same batch. */
  extra: Array<[string, Change]>;
  /** For AppOptions.metrics. */
  observed: { seconds: number; txs: number; rejectedCodes: number[] };
  /** Hashes of the idle blocks up to this one, not in the ring yet (src/app/block-hashes.ts). */
  idleHashes: BlockHashEntry[];
}

export interface AppOptions {
  store: CommittedStore;
  modules: ChainModules;
  logger: Logger;
  /** The block/transaction/log index (outside consensus); default: a new one. */
  indexer?: BlockIndexer;
  /** Told about every CheckTx and committed block (src/metrics); never consulted by consensus. */
  metrics?: AppMetrics;
  /** The snapshots this node takes and serves for state sync (docs/STATE-SYNC.md); none when absent. */
  snapshots?: SnapshotStore;
  /** Block pruning (`--min-retain-blocks`); keeps every block when absent. */
  retention?: BlockRetention;
  /** Worker threads recovering senders ahead of CheckTx bursts and blocks (`--sender-threads`); the caller closes it. Inline when absent. */
  senderRecovery?: SenderRecovery;
  /**
   * TEST ONLY: a deliberate change of a consensus rule, so that `cmtd replay
   * --test-alter-rule` can prove replay catches one (docs/REPLAY.md). A node
   * never sets it (`cmtd start` has no way to); an app with it computes a
   * state no other node has.
   */
  testRuleOverride?: TestRuleOverride;
}

/** TEST ONLY (see `AppOptions.testRuleOverride`): runs after every successful transaction of a block. */
export interface TestRuleOverride {
  readonly name: string;
  afterTx(state: Overlay, tx: SignedTx, height: bigint): void;
}

/** Adds the accounts a transaction starts from (sender, recipient) to `keys`, as state keys. */
function addAccountsOf(tx: SignedTx, keys: Set<string>): void {
  keys.add(accountKey(tx.sender));
  if (tx.to !== null) keys.add(accountKey(tx.to));
}

function sameTransactions(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!bytesEqual(a[i]!, b[i]!)) return false;
  return true;
}

export class CmtdApp implements AbciApplication {
  private readonly store: CommittedStore;
  private readonly modules: ChainModules;
  private readonly log: Logger;
  private readonly senders: SenderCache;
  /**
   * The block's transactions as readAhead decoded them, by the request's own
   * byte arrays: execution takes them from here without hashing each raw
   * transaction again for the sender cache. Emptied when the block's
   * FinalizeBlock ends.
   */
  private readonly readAheadTxs = new Map<Uint8Array, SignedTx>();
  /**
   * The reads started for the last accepted proposal (its block hash): on a
   * network the prevote and precommit rounds pass between ProcessProposal
   * and FinalizeBlock, and the reads happen meanwhile. FinalizeBlock of the
   * same block waits for them instead of starting its own, and takes the
   * proposal's decoded transactions instead of hashing each one again.
   */
  private proposalReadAhead: { hash: Uint8Array; raws: readonly Uint8Array[]; txs: readonly SignedTx[]; done: Promise<void> } | undefined;
  /** CheckTx's accepted, not yet included transactions. */
  private readonly pending = new PendingPool();
  /** TEST ONLY (AppOptions.testRuleOverride). */
  private readonly testRuleOverride: TestRuleOverride | undefined;
  readonly indexer: BlockIndexer;
  private readonly metrics: AppMetrics | undefined;
  /** InitChain's writes, until block 1 commits them. */
  private genesis: Overlay | undefined;
  /** Write cache of the block being executed. */
  private block: Overlay;
  /** CheckTx's read-only view of committed state (writes go to `pending`). */
  private check: Overlay;
  private current: BlockInProgress | undefined;
  private executed: ExecutedBlock | undefined;
  /** Rules of the committed state, read once per height (CheckTx is hot). */
  private committedRulesCache: ChainRules | undefined;
  private readonly snapshots: SnapshotStore | undefined;
  private readonly restorer: SnapshotRestorer;
  private readonly retention: BlockRetention | undefined;
  private readonly indexPruner: IndexPruner;
  /** Non-consensus records InitChain leaves for block 1's commit. */
  private genesisExtra: Array<[string, Change]> = [];
  /** Committed: hashes of the idle blocks since the last BLOCKHASH ring write (src/app/block-hashes.ts). */
  private idleHashes: BlockHashEntry[] = [];

  constructor(options: AppOptions) {
    checkConsensusDependencies(); // refuse to run other EVM/crypto versions than pinned (docs/EVM.md)
    this.store = options.store;
    this.modules = options.modules;
    this.log = options.logger.child({ module: 'app' });
    this.senders = new SenderCache(undefined, options.senderRecovery);
    this.indexer = options.indexer ?? new BlockIndexer({ logger: options.logger });
    this.testRuleOverride = options.testRuleOverride;
    if (this.testRuleOverride !== undefined) this.log.warn('TEST ONLY: consensus rule altered, this app does not follow the protocol', { rule: this.testRuleOverride.name });
    this.metrics = options.metrics;
    this.block = new Overlay(this.store);
    this.check = new Overlay(this.store);
    this.snapshots = options.snapshots;
    this.retention = options.retention;
    this.indexPruner = new IndexPruner(this.store, { logger: options.logger });
    this.restorer = new SnapshotRestorer({
      target: this.store,
      logger: options.logger,
      // The index starts after the snapshot: older blocks are not on this node.
      extraFor: (height) => [indexBaseRecord(height + 1n)],
      onRestored: (height) => this.restored(height),
    });
  }

  /** Reads what the app keeps outside the Merkle state (index base, evidence age); call before serving. */
  async open(): Promise<void> {
    await this.indexPruner.open();
    await this.retention?.load(this.store);
    const idle = await this.store.getExtra(IDLE_BLOCK_HASHES_KEY);
    this.idleHashes = idle === undefined ? [] : decodeIdleHashes(idle);
  }

  // ---- connection handshake and genesis --------------------------------

  async info(req: RequestInfo): Promise<ResponseInfo> {
    this.log.info('info', { cometbft: req.version, abci: req.abciVersion, height: this.store.height.toString() });
    return {
      data: 'cmtd',
      version: CMTD_VERSION,
      appVersion: APP_VERSION,
      lastBlockHeight: this.store.height,
      lastBlockAppHash: this.store.height === 0n ? new Uint8Array(0) : this.store.appHash,
    };
  }

  async initChain(req: RequestInitChain): Promise<ResponseInitChain> {
    if (this.store.height !== 0n) throw new Error(`InitChain on a store already at height ${this.store.height}`);
    const genesis = parseAppGenesis(req.appStateBytes);
    if (req.chainId === '') throw new Error('InitChain without a chain id');
    const state = new Overlay(this.store);
    saveBlockGasLimit(state, req.consensusParams?.block?.maxGas ?? -1n);
    const cometValidators = req.validators.flatMap((v) => (v.pubKey.ed25519 === undefined ? [] : [{ pubKey: v.pubKey.ed25519, power: v.power }]));
    const validators = this.modules.initGenesis(state, genesis, cometValidators, req.chainId);
    verifyGenesisCode(state.sortedChanges(), state); // every account's code present (docs/EVM.md)
    const appHash = this.store.computeRoot(state.sortedChanges()).root;
    this.genesisExtra = this.retention === undefined ? [] : [this.retention.setEvidenceMaxAge(req.consensusParams?.evidence?.maxAgeNumBlocks ?? 0n)];
    this.genesis = state;
    this.block = new Overlay(state);
    this.check = new Overlay(state);
    this.pending.clear();
    this.committedRulesCache = undefined;
    this.log.info('genesis loaded', {
      chainId: req.chainId,
      accounts: genesis.accounts.length,
      candidates: genesis.candidates.length,
      validators: validators.length,
    });
    return { validators: validators.map(toValidatorUpdate), appHash };
  }

  // ---- mempool -----------------------------------------------------------

  async checkTx(req: RequestCheckTx): Promise<ResponseCheckTx> {
    if (this.metrics === undefined) return this.checkTxNow(req);
    const started = performance.now();
    const response = this.checkTxNow(req);
    this.metrics.onCheckTx(response.code, (performance.now() - started) / 1000);
    return response;
  }

  /**
   * CheckTx requests queued behind the one being handled (socket
   * transport): their senders are recovered on other cores meanwhile.
   */
  checkTxQueued(txs: readonly Uint8Array[]): void {
    this.senders.offer(txs);
  }

  private checkTxNow(req: RequestCheckTx): ResponseCheckTx {
    try {
      const tx = this.senders.resolve(req.tx);
      const rules = this.committedRules();
      validateStatic(tx, rules);
      const refusal = commonOperationRefusal(tx, this.check, this.modules.resolveSystem, rules);
      if (refusal !== undefined) throw refusal;
      // A recheck of a queued transaction: its sender's queue was already
      // re-evaluated against the block that just committed.
      const verdict = req.type === 'recheck' ? this.pending.recheck(tx, this.store.height) : 'unknown';
      if (verdict instanceof TxError) throw verdict;
      if (verdict === 'unknown') this.pending.admit(tx, () => new Accounts(this.check).get(tx.sender), this.check);
      return { code: TxCode.Ok, gasWanted: tx.gasLimit, data: tx.hash };
    } catch (err) {
      if (!(err instanceof TxError)) throw err;
      return { code: err.code, codespace: CODESPACE, log: `${codeName(err.code)}: ${err.message}` };
    }
  }

  /** A new mempool (CometBFT restarted alone): forget the old mempool's reservations. */
  mempoolConnected(): void {
    this.pending.clear();
    this.log.info('CheckTx view reset to committed state: new mempool connection', { height: this.store.height.toString() });
  }

  // ---- proposals (SPEC 9: free slots, block gas) ----------------------

  /**
   * The block this node proposes: the mempool's transactions in its order,
   * except that each sender's go in nonce order from its committed nonce.
   * CometBFT's mempool can hold a sender's transactions out of order (its
   * gRPC client adds CheckTx answers as their calls return, from several
   * peers at once); proposed as they stand, the later nonce would fail
   * (code 5) and be dropped from every mempool. A transaction whose nonce
   * is ahead waits for the one before it; one that never comes leaves it
   * for a later block. Stale nonces are left out, and a sender whose
   * transaction does not fit (bytes, SPEC 9 admission) loses its later ones
   * too: their nonces would not follow.
   */
  async prepareProposal(req: RequestPrepareProposal): Promise<ResponsePrepareProposal> {
    const committed = new Overlay(this.genesis ?? this.store);
    const admission = BlockAdmission.on(committed, this.committedRules(), this.modules.resolveSystem);
    const accounts = new Accounts(committed);
    const txs: Uint8Array[] = [];
    const nextNonce = new Map<Address, bigint>();
    const ahead = new Map<Address, Map<bigint, { raw: Uint8Array; tx: SignedTx }>>();
    const skipped = new Set<Address>();
    let bytes = 0n;
    const place = (raw: Uint8Array, tx: SignedTx): boolean => {
      // CometBFT counts each tx's protobuf framing too; 8 bytes covers it.
      const size = BigInt(raw.length) + 8n;
      if (bytes + size > req.maxTxBytes || admission.admitProposed(tx) !== undefined) {
        skipped.add(tx.sender);
        return false;
      }
      bytes += size;
      txs.push(raw);
      nextNonce.set(tx.sender, tx.nonce + 1n);
      return true;
    };
    this.senders.offer(req.txs);
    for (const raw of req.txs) {
      let tx: SignedTx;
      try {
        tx = this.senders.resolve(raw);
      } catch {
        continue; // undecodable: never worth a place in a block
      }
      if (skipped.has(tx.sender)) continue;
      const expected = nextNonce.get(tx.sender) ?? accounts.get(tx.sender).nonce;
      if (tx.nonce < expected) continue;
      if (tx.nonce > expected) {
        const waiting = ahead.get(tx.sender) ?? new Map<bigint, { raw: Uint8Array; tx: SignedTx }>();
        if (!waiting.has(tx.nonce)) waiting.set(tx.nonce, { raw, tx });
        ahead.set(tx.sender, waiting);
        continue;
      }
      if (!place(raw, tx)) continue;
      const waiting = ahead.get(tx.sender);
      for (let next = waiting?.get(tx.nonce + 1n); next !== undefined; next = waiting!.get(next.tx.nonce + 1n)) {
        waiting!.delete(next.tx.nonce);
        if (!place(next.raw, next.tx)) break;
      }
    }
    return { txs };
  }

  async processProposal(req: RequestProcessProposal): Promise<ResponseProcessProposal> {
    const admission = this.committedAdmission();
    this.senders.offer(req.txs);
    const accounts = new Set<string>();
    const decoded: SignedTx[] = [];
    try {
      for (const raw of req.txs) {
        let tx: SignedTx;
        try {
          tx = this.senders.resolve(raw);
        } catch (err) {
          this.log.warn('rejecting proposal: undecodable transaction', { height: req.height.toString(), error: (err as Error).message });
          return { status: 'reject' };
        }
        const refusal = admission.admitProposed(tx);
        if (refusal !== undefined) {
          this.log.warn('rejecting proposal: a transaction breaks the block rules', { height: req.height.toString(), code: codeName(refusal.code), error: refusal.message });
          return { status: 'reject' };
        }
        addAccountsOf(tx, accounts);
        decoded.push(tx);
      }
      // Started after this answer is sent (setImmediate runs after the response's write): the vote waits for no part of it.
      const afterAnswer = new Promise<void>((resolve) => setImmediate(resolve));
      this.proposalReadAhead = accounts.size === 0 ? undefined : { hash: req.hash, raws: req.txs, txs: decoded, done: afterAnswer.then(() => this.prefetch(accounts, req.height)) };
      return { status: 'accept' };
    } finally {
      // A rejected proposal's transactions after the bad one were offered and never read.
      this.senders.release(req.txs);
    }
  }

  /** The admission rule (src/tx/admission.ts) over committed state, for the proposal steps. */
  private committedAdmission(): BlockAdmission {
    return BlockAdmission.on(new Overlay(this.genesis ?? this.store), this.committedRules(), this.modules.resolveSystem);
  }

  // ---- block execution (shared by both flows) --------------------------

  private beginBlockWork(height: bigint, timestamp: Timestamp, commit: CommitInfo, misbehavior: Misbehavior[], hash: Uint8Array, proposer: Uint8Array): void {
    const time = timestamp.seconds;
    const expected = this.store.height + 1n;
    if (this.store.height !== 0n && height !== expected) {
      throw new Error(`asked to execute block ${height}, but the last committed block is ${this.store.height}`);
    }
    const info: BlockInfo = { height, time, timeMs: time * 1000n + BigInt(timestamp.nanos) / 1_000_000n, hash };
    // Start from committed state: CometBFT replays a block whose execution we
    // finished but never committed (after its own crash or a reconnect).
    this.block = new Overlay(this.genesis ?? this.store);
    const rules = this.rulesFor(this.block);
    // Execution judges a zero-price transaction on the block's state as it is when the transaction runs.
    const admission = BlockAdmission.on(this.block, rules, this.modules.resolveSystem);
    this.current = { info, rules, admission, txHashes: [], started: performance.now(), txResults: 0, rejectedCodes: [], ringEntries: withBlock(this.idleHashes, height, hash) };
    this.indexer.beginBlock({ info, rules: this.current.rules, hash, proposer });
    this.executed = undefined;
    this.modules.beginBlock(this.block, info, toVotes(commit), toEvidence(misbehavior));
  }

  /** Before the block's first transaction: the BLOCKHASH ring is written, and what the transactions start from is indexed for traces. */
  private openForTransactions(current: BlockInProgress): void {
    if (current.ringEntries === undefined) return;
    writeRing(this.block, current.ringEntries);
    current.ringEntries = undefined;
    current.opening = this.block.sortedChanges();
    // Traces re-execute from here (src/rpc/trace.ts); block 1's opening is written at its end (endBlockWork).
    if (this.genesis === undefined) this.indexer.setOpening({ on: 'parent', writes: current.opening });
  }

  /**
   * The next transaction of the block: executed or refused, answered to
   * CometBFT, and told to the block index and the metrics from its typed
   * outcome (nothing re-decodes the ABCI result).
   */
  private async deliver(raw: Uint8Array): Promise<ExecTxResult> {
    const current = this.current;
    if (current === undefined) throw new Error('DeliverTx outside a block');
    this.openForTransactions(current);
    const { result, tx, receipt } = await this.execute(current, raw);
    this.indexer.addTx(raw, { tx, receipt, code: result.code, log: result.log ?? '' });
    if (this.metrics !== undefined) {
      current.txResults++;
      if (result.code !== TxCode.Ok) current.rejectedCodes.push(result.code);
    }
    return result;
  }

  /** Runs one transaction of the block: its ABCI result, the decoded transaction (if it decoded) and its receipt (if it ran). */
  private async execute(current: BlockInProgress, raw: Uint8Array): Promise<{ result: ExecTxResult; tx?: SignedTx; receipt?: Receipt }> {
    let tx: SignedTx;
    try {
      tx = this.readAheadTxs.get(raw) ?? this.senders.resolve(raw);
    } catch (err) {
      if (!(err instanceof TxError)) throw err;
      return { result: toExecResult(rejected(err)) };
    }
    current.txHashes.push(tx.hash);
    const { rules } = current;
    const refusal = current.admission.refusal(tx);
    if (refusal !== undefined) return { result: toExecResult(rejected(refusal, tx.gasLimit), tx), tx };
    try {
      const outcome = await executeTx(tx, this.block, rules, current.info, this.modules.resolveSystem);
      if (this.testRuleOverride !== undefined && outcome.code === TxCode.Ok) this.testRuleOverride.afterTx(this.block, tx, current.info.height); // TEST ONLY
      current.admission.admit(tx, outcome.gasUsed);
      const result: ExecTxResult = {
        code: outcome.code,
        codespace: outcome.code === TxCode.Ok ? '' : CODESPACE,
        log: outcome.code === TxCode.Ok ? '' : `${codeName(outcome.code)}: ${outcome.log}`,
        data: encodeReceipt(outcome.receipt),
        gasWanted: outcome.gasWanted,
        gasUsed: outcome.gasUsed,
        events: [txEvent(tx)],
      };
      return { result, tx, receipt: outcome.receipt };
    } catch (err) {
      if (!(err instanceof TxError)) throw err;
      return { result: toExecResult(rejected(err, tx.gasLimit), tx), tx };
    }
  }

  private endBlockWork(): { updates: PowerUpdate[]; appHash: Uint8Array } {
    const current = this.current;
    if (current === undefined) throw new Error('EndBlock outside a block');
    const updates = this.modules.endBlock(this.block, current.info);
    // A block without transactions writes the ring only if it changed something else (src/app/block-hashes.ts).
    let idleHashes: BlockHashEntry[] = [];
    if (current.ringEntries !== undefined) {
      if (changesState(this.block.sortedChanges(), this.genesis ?? this.store)) writeRing(this.block, current.ringEntries);
      else idleHashes = current.ringEntries;
    }
    if (this.genesis !== undefined && current.opening !== undefined) this.indexer.setOpening({ on: 'self', writes: this.undoToOpening(this.genesis, current.opening) });
    const changes = this.pendingChanges();
    const pending = this.store.computeRoot(changes);
    const appHash = pending.root;
    const changedAccounts = changedAccountsOf(changes);
    const observed = { seconds: (performance.now() - current.started) / 1000, txs: current.txResults, rejectedCodes: current.rejectedCodes };
    const extra: Array<[string, Change]> = this.indexer.finishBlock(appHash);
    if (idleHashes.length > 0) extra.push([IDLE_BLOCK_HASHES_KEY, encodeIdleHashes(idleHashes)]);
    else if (this.idleHashes.length > 0) extra.push([IDLE_BLOCK_HASHES_KEY, null]);
    this.executed = { height: current.info.height, appHash, pending, txHashes: current.txHashes, changedAccounts, extra, observed, idleHashes };
    this.current = undefined;
    return { updates, appHash };
  }

  private async commitWork(): Promise<ExecutedBlock & { retainHeight: bigint }> {
    const executed = this.executed;
    if (executed === undefined) throw new Error('Commit without an executed block');
    const started = performance.now();
    const retainHeight = this.retainHeight(executed.height);
    // Pruning deletes first: a record the block rewrites (a transaction refused again) stays.
    const extra = [...this.indexPruner.take(retainHeight), ...(this.genesis === undefined ? [] : this.genesisExtra), ...executed.extra];
    await this.store.commit(executed.height, executed.pending, executed.appHash, extra);
    this.genesis = undefined;
    this.genesisExtra = [];
    this.idleHashes = executed.idleHashes;
    this.block = new Overlay(this.store);
    this.check = new Overlay(this.store);
    this.committedRulesCache = undefined;
    this.senders.forget(executed.txHashes);
    const accounts = new Accounts(this.check);
    for (const address of executed.changedAccounts) if (this.pending.has(address)) this.pending.settle(address, accounts.get(address), this.store);
    this.executed = undefined;
    this.indexer.committed(executed.height);
    // Guarded: building the fields costs even when nothing is written (a replay logs nothing).
    if (this.log.isInfoEnabled()) {
      this.log.info('committed block', {
        height: executed.height.toString(),
        txs: executed.txHashes.length,
        keys: executed.pending.size,
        appHash: Buffer.from(executed.appHash).toString('hex'),
        commitMs: Math.round(performance.now() - started),
      });
    }
    this.metrics?.onBlock({ height: executed.height, ...executed.observed, commitSeconds: (performance.now() - started) / 1000 });
    // In the background; a snapshot waits for a height whose BLOCKHASH entries are all in the state it carries.
    this.snapshots?.committed(executed.height, this.idleHashes.length === 0);
    return { ...executed, retainHeight };
  }

  /**
   * The retain height for CometBFT after committing `height` (0: keep all).
   * 0 too while it is not above the oldest block this node has: nothing to prune.
   */
  private retainHeight(height: bigint): bigint {
    const retain = this.retention?.retainHeight(height) ?? 0n;
    return retain > this.indexPruner.oldest ? retain : 0n;
  }

  // ---- state sync (docs/STATE-SYNC.md) ---------------------------------

  async listSnapshots(): Promise<ResponseListSnapshots> {
    return { snapshots: this.snapshots?.list() ?? [] };
  }

  async loadSnapshotChunk(req: RequestLoadSnapshotChunk): Promise<ResponseLoadSnapshotChunk> {
    return { chunk: (await this.snapshots?.loadChunk(req.height, req.format, req.chunk)) ?? new Uint8Array(0) };
  }

  async offerSnapshot(req: RequestOfferSnapshot): Promise<ResponseOfferSnapshot> {
    return this.restorer.offer(req);
  }

  async applySnapshotChunk(req: RequestApplySnapshotChunk): Promise<ResponseApplySnapshotChunk> {
    return this.restorer.apply(req);
  }

  /** The store now holds a restored snapshot: every view starts over from it. */
  private restored(height: bigint): void {
    this.genesis = undefined;
    this.idleHashes = []; // snapshots are taken only at heights without idle hashes
    this.block = new Overlay(this.store);
    this.check = new Overlay(this.store);
    this.committedRulesCache = undefined;
    this.indexPruner.restored(height);
  }

  // ---- v0.38 flow --------------------------------------------------------

  async finalizeBlock(req: RequestFinalizeBlock): Promise<ResponseFinalizeBlock> {
    await this.readAhead(req.txs, req.hash, req.height);
    const txResults: ExecTxResult[] = [];
    try {
      this.beginBlockWork(req.height, req.time, req.decidedLastCommit, req.misbehavior, req.hash, req.proposerAddress);
      for (const raw of req.txs) txResults.push(await this.deliver(raw)); // in order: the EVM is async
    } finally {
      this.readAheadTxs.clear();
    }
    const { updates, appHash } = this.endBlockWork();
    return { txResults, validatorUpdates: updates.map(toValidatorUpdate), appHash };
  }

  /**
   * Reads ahead (store.prefetch) the accounts the block's transactions
   * start from, senders and recipients: their values and the tree nodes on
   * their paths are then read in parallel on LevelDB's threads, not one by
   * one on the main thread during execution and computeRoot. Advisory: no
   * result depends on it. The decoded transactions stay in the sender cache
   * for execution. For the proposal this node accepted last (same `hash`),
   * ProcessProposal decoded the transactions and started the reads: those
   * are taken and awaited instead.
   */
  private async readAhead(txs: readonly Uint8Array[], hash: Uint8Array, height: bigint): Promise<void> {
    this.readAheadTxs.clear();
    const started = this.proposalReadAhead;
    this.proposalReadAhead = undefined;
    // The block ProcessProposal accepted: its hash commits to its transactions, which are compared
    // all the same (a byte comparison costs far less than hashing them), so no caller's hash is trusted.
    if (started !== undefined && bytesEqual(started.hash, hash) && sameTransactions(started.raws, txs)) {
      for (let i = 0; i < txs.length; i++) this.readAheadTxs.set(txs[i]!, started.txs[i]!);
      await started.done;
      return;
    }
    const keys = new Set<string>();
    this.senders.offer(txs);
    for (const raw of txs) {
      let tx: SignedTx;
      try {
        tx = this.senders.resolve(raw);
      } catch {
        continue; // execution refuses it (or throws) the same way
      }
      this.readAheadTxs.set(raw, tx);
      addAccountsOf(tx, keys);
    }
    if (keys.size > 0) await this.prefetch(keys, height);
  }

  /** store.prefetch, which is advisory: a failure is logged, and the reads it missed happen when needed. */
  private prefetch(keys: Set<string>, height: bigint): Promise<void> {
    return this.store.prefetch(keys).catch((err: unknown) => {
      this.log.warn('reading ahead failed; the block reads its accounts as it runs', { height: height.toString(), error: (err as Error).message });
    });
  }

  async commit(): Promise<ResponseCommit> {
    const { retainHeight } = await this.commitWork();
    return { retainHeight };
  }

  // ---- v0.37 flow --------------------------------------------------------

  async beginBlock(req: RequestBeginBlock): Promise<ResponseBeginBlock> {
    this.beginBlockWork(req.header.height, req.header.time, req.lastCommitInfo, req.byzantineValidators, req.hash, req.header.proposerAddress);
    return {};
  }

  async deliverTx(req: RequestDeliverTx): Promise<ResponseDeliverTx> {
    return this.deliver(req.tx);
  }

  async endBlock(req: RequestEndBlock): Promise<ResponseEndBlock> {
    if (this.current !== undefined && this.current.info.height !== req.height) {
      throw new Error(`EndBlock for height ${req.height} inside block ${this.current.info.height}`);
    }
    const { updates } = this.endBlockWork();
    return { validatorUpdates: updates.map(toValidatorUpdate) };
  }

  async commitV037(): Promise<ResponseCommitV037> {
    const executed = await this.commitWork();
    return { retainHeight: executed.retainHeight, data: executed.appHash };
  }

  // ---- queries -----------------------------------------------------------

  async query(req: RequestQuery): Promise<ResponseQuery> {
    return answerQuery(req, this.store, this.modules);
  }

  /** Committed hashes of idle blocks not in the BLOCKHASH ring yet (src/app/block-hashes.ts); the JSON-RPC's calls read them. */
  get idleBlockHashes(): readonly BlockHashEntry[] {
    return this.idleHashes;
  }

  /** The sender's next nonce as CheckTx sees it: the committed nonce plus its transactions in the mempool. */
  pendingNonce(address: Address): bigint {
    return this.pending.nextNonce(address, new Accounts(this.check).get(address), this.check);
  }

  /**
   * Block 1's opening for traces: genesis is no committed version, so the
   * state before its first transaction is given as writes over block 1's
   * own version: each key the block wrote, back to its value then.
   */
  private undoToOpening(genesis: Overlay, opening: Array<[string, Change]>): Array<[string, Change]> {
    const atOpening = new Map(opening);
    return this.block.sortedChanges().map(([key]) => [key, atOpening.has(key) ? atOpening.get(key)! : (genesis.get(key) ?? null)]);
  }

  /** The changes the next Commit writes: the block's, on top of genesis for block 1. */
  private pendingChanges(): Array<[string, Change]> {
    if (this.genesis === undefined) return this.block.sortedChanges();
    const merged = new Map(this.genesis.sortedChanges());
    for (const [key, change] of this.block.sortedChanges()) merged.set(key, change);
    return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private rulesFor(state: Overlay | CommittedStore): ChainRules {
    const params = loadParams(state);
    return { params, blockGasLimit: loadBlockGasLimit(state, params) };
  }

  private committedRules(): ChainRules {
    this.committedRulesCache ??= this.rulesFor(this.genesis ?? this.store);
    return this.committedRulesCache;
  }
}

/** The addresses whose account record (`a/<hex>`, src/state/accounts.ts) the block changes. */
function changedAccountsOf(changes: Array<[string, Change]>): Address[] {
  const changed: Address[] = [];
  for (const [key] of changes)
    if (key.startsWith(STATE_PREFIXES.account) && key.length === STATE_PREFIXES.account.length + 40) changed.push(`0x${key.slice(STATE_PREFIXES.account.length)}`);
  return changed;
}

function toValidatorUpdate(update: PowerUpdate): ValidatorUpdate {
  return { pubKey: { ed25519: update.pubKey }, power: update.power };
}

function toVotes(commit: CommitInfo): LastCommitVote[] {
  return commit.votes.map((vote) => ({ validatorAddress: vote.validator.address, absent: vote.blockIdFlag === 'absent' }));
}

function toEvidence(misbehavior: Misbehavior[]): Evidence[] {
  return misbehavior.filter((m) => m.type !== 'unknown').map((m) => ({ validatorAddress: m.validator.address, height: m.height, kind: m.type as Evidence['kind'] }));
}

function txEvent(tx: SignedTx): Event {
  return {
    type: 'ethereum_tx',
    attributes: [
      { key: 'hash', value: `0x${Buffer.from(tx.hash).toString('hex')}`, index: true },
      { key: 'from', value: tx.sender, index: true },
      { key: 'to', value: tx.to ?? '', index: true },
      { key: 'nonce', value: tx.nonce.toString(), index: false },
    ],
  };
}

function toExecResult(r: ReturnType<typeof rejected>, tx?: SignedTx): ExecTxResult {
  return {
    code: r.code,
    codespace: CODESPACE,
    log: `${codeName(r.code)}: ${r.log}`,
    gasWanted: r.gasWanted,
    gasUsed: 0n,
    events: tx === undefined ? [] : [txEvent(tx)],
  };
}
