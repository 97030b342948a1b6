/**
 * Replay: re-execute a chain from genesis in a fresh state through the real
 * CmtdApp, feeding it exactly what CometBFT fed the node (InitChain from the
 * genesis document, then FinalizeBlock + Commit per block, v0.38 flow), and
 * check after every block what the chain recorded:
 *
 *   - the app hash: the next block's header `app_hash` (the state after
 *     this block), else this block's `block_results.app_hash` (v0.38);
 *   - the transaction results CometBFT hashes into `last_results_hash`:
 *     code, data, gas_wanted, gas_used;
 *   - the validator updates.
 *
 * The first height where anything differs is reported, and replay stops
 * there. InitChain's app hash is checked against the first block's header
 * (a divergence "at height initial − 1" is one in genesis).
 *
 * Every block is executed and committed through the app as on a node, but
 * the store writes LevelDB once per FLUSH_BLOCKS blocks (deferred writes,
 * src/store/committed-store.ts): reads see every commit at once, so app
 * hashes are the same; the state on disk is always some replayed height.
 */
import { CmtdApp, type TestRuleOverride } from '../app/app.js';
import type { ExecTxResult, ResponseFinalizeBlock } from '../abci/types.js';
import { createModules } from '../app/wiring.js';
import { cometTxHash } from '../comet/rpc.js';
import { DEFAULT_SENDER_THREADS, SenderRecovery } from '../tx/sender-recovery.js';
import { CommittedStore } from '../store/committed-store.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { base64Bytes, finalizeBlockRequest, initChainRequest, initialHeight, rawUpdatesText, ReplayInputError, updatesText, type RawTxResult } from './cometbft-json.js';
import { heightOf, type HeightData, type ReplaySource } from './source.js';

/** Blocks whose store writes go to LevelDB in one batch. */
const FLUSH_BLOCKS = 1_000;
/** ...or fewer, once this many records wait (bounds the memory they hold). */
const FLUSH_RECORDS = 500_000;

export interface ReplayOptions {
  source: ReplaySource;
  /** Last height to replay; default: the last the source has. */
  to?: bigint;
  /** Directory of the state store; must be empty (a fresh state). */
  stateDir: string;
  /** TEST ONLY (docs/REPLAY.md): a deliberately altered rule. */
  testRule?: TestRuleOverride;
  /** The app's own log (default: silent). */
  logger?: Logger;
  /** Called after each height is replayed and matched. */
  onHeight?: (height: bigint, first: bigint, last: bigint) => void;
  /** Blocks per LevelDB write (default 1,000; 1 writes every block as a node does). */
  flushBlocks?: number;
  /** Worker threads recovering the blocks' senders (default {@link DEFAULT_SENDER_THREADS}; 0: inline). */
  senderThreads?: number;
}

export interface TxDifference {
  /** Index of the transaction in its block. */
  index: number;
  /** CometBFT transaction hash (sha256 of the bytes, upper-case hex). */
  hash: string;
  field: 'code' | 'data' | 'gas_wanted' | 'gas_used';
  expected: string;
  got: string;
}

export interface Divergence {
  /** The first height whose result differs; the chain's initial height − 1 means InitChain (genesis). */
  height: bigint;
  appHash?: { expected: string; got: string; from: string };
  /** The number of transaction results, when it differs. */
  txCount?: { expected: number; got: number };
  txs: TxDifference[];
  validatorUpdates?: { expected: string[]; got: string[] };
}

export interface ReplayReport {
  source: string;
  chainId: string;
  first: bigint;
  last: bigint;
  /** Heights replayed and found equal (InitChain not counted). */
  matched: bigint;
  /** Heights whose app hash could not be checked (no next header, no block_results app_hash): their tx results still were. */
  unverified: bigint[];
  divergence?: Divergence;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase();
}

function txHash(tx: string): string {
  return cometTxHash(Buffer.from(tx, 'base64'));
}

/** The app hash the chain recorded for the state after `data.block`, and where it comes from. */
function expectedAppHash(data: HeightData): { hash: string; from: string } | undefined {
  if (data.nextHeader !== undefined) return { hash: data.nextHeader.app_hash.toUpperCase(), from: `header of block ${data.nextHeader.height}` };
  if (data.results.app_hash !== undefined && data.results.app_hash !== '') {
    return { hash: hex(base64Bytes(data.results.app_hash)), from: `block_results of block ${data.results.height}` };
  }
  return undefined;
}

function compareTxs(data: HeightData, got: readonly ExecTxResult[]): Pick<Divergence, 'txCount' | 'txs'> {
  const expected: RawTxResult[] = data.results.txs_results ?? [];
  const txs = data.block.block.data.txs ?? [];
  const out: Pick<Divergence, 'txCount' | 'txs'> = { txs: [] };
  if (expected.length !== got.length) out.txCount = { expected: expected.length, got: got.length };
  for (let i = 0; i < Math.min(expected.length, got.length); i++) {
    const e = expected[i]!;
    const g = got[i]!;
    const hash = txHash(txs[i] ?? '');
    const fields: Array<[TxDifference['field'], string, string]> = [
      ['code', String(e.code ?? 0), String(g.code)],
      ['data', Buffer.from(e.data ?? '', 'base64').toString('hex'), Buffer.from(g.data ?? new Uint8Array(0)).toString('hex')],
      ['gas_wanted', e.gas_wanted ?? '0', (g.gasWanted ?? 0n).toString()],
      ['gas_used', e.gas_used ?? '0', (g.gasUsed ?? 0n).toString()],
    ];
    for (const [field, ev, gv] of fields) if (ev !== gv) out.txs.push({ index: i, hash, field, expected: ev, got: gv });
  }
  return out;
}

function compareBlock(data: HeightData, response: ResponseFinalizeBlock): { divergence?: Divergence; verified: boolean } {
  const height = heightOf(data.block);
  const divergence: Divergence = { height, ...compareTxs(data, response.txResults) };
  let diverged = divergence.txCount !== undefined || divergence.txs.length > 0;
  const expected = expectedAppHash(data);
  const got = hex(response.appHash);
  if (expected !== undefined && expected.hash !== got) {
    divergence.appHash = { expected: expected.hash, got, from: expected.from };
    diverged = true;
  }
  const wantUpdates = rawUpdatesText(data.results.validator_updates);
  const gotUpdates = updatesText(response.validatorUpdates ?? []);
  if (wantUpdates.join(',') !== gotUpdates.join(',')) {
    divergence.validatorUpdates = { expected: wantUpdates, got: gotUpdates };
    diverged = true;
  }
  return diverged ? { divergence, verified: expected !== undefined } : { verified: expected !== undefined };
}

/** Replays the chain of `options.source` into a fresh state; see the module comment. */
export async function replayChain(options: ReplayOptions): Promise<ReplayReport> {
  const { source } = options;
  const genesis = await source.genesis();
  const first = initialHeight(genesis);
  const available = await source.lastHeight();
  const last = options.to ?? available;
  if (last > available) throw new ReplayInputError(`--to ${last} is beyond the last height ${source.description} has (${available})`);
  if (last < first) throw new ReplayInputError(`--to ${last} is below the chain's initial height ${first}`);

  const store = await CommittedStore.open(options.stateDir);
  if (store.height !== 0n) {
    await store.close();
    throw new ReplayInputError(`the state in ${options.stateDir} is at height ${store.height}: replay starts from genesis and needs a fresh one`);
  }
  const report: ReplayReport = { source: source.description, chainId: genesis.chain_id, first, last, matched: 0n, unverified: [] };
  const logger = options.logger ?? silentLogger();
  const senderRecovery = new SenderRecovery({ threads: options.senderThreads ?? DEFAULT_SENDER_THREADS, logger });
  try {
    const app = new CmtdApp({
      store,
      modules: createModules(),
      logger,
      senderRecovery,
      ...(options.testRule === undefined ? {} : { testRuleOverride: options.testRule }),
    });
    const init = await app.initChain(initChainRequest(genesis));
    const flushBlocks = options.flushBlocks ?? FLUSH_BLOCKS;
    let unflushed = 0;
    let expectedHeight = first;
    for await (const data of source.heights(first, last)) {
      const height = heightOf(data.block);
      if (height !== expectedHeight) throw new ReplayInputError(`${source.description} gave block ${height} where block ${expectedHeight} was expected`);
      const header = data.block.block.header;
      if (header.chain_id !== genesis.chain_id) throw new ReplayInputError(`block ${height} is of chain '${header.chain_id}', the genesis of '${genesis.chain_id}'`);
      if (height === first) {
        const got = hex(init.appHash ?? new Uint8Array(0));
        if (header.app_hash.toUpperCase() !== got) {
          report.divergence = { height: first - 1n, appHash: { expected: header.app_hash.toUpperCase(), got, from: `header of block ${first}` }, txs: [] };
          return report;
        }
      }
      const response = await app.finalizeBlock(finalizeBlockRequest(data.block, data.lastValidators?.validators));
      const { divergence, verified } = compareBlock(data, response);
      if (divergence !== undefined) {
        report.divergence = divergence;
        return report;
      }
      if (!verified) report.unverified.push(height);
      if (unflushed === 0 && flushBlocks > 1) store.deferWrites();
      await app.commit();
      unflushed++;
      if (unflushed >= flushBlocks || store.deferredRecords >= FLUSH_RECORDS) {
        await store.flush();
        unflushed = 0;
      }
      report.matched++;
      options.onHeight?.(height, first, last);
      expectedHeight++;
    }
    if (expectedHeight <= last) throw new ReplayInputError(`${source.description} ended at height ${expectedHeight - 1n}, before height ${last}`);
    return report;
  } finally {
    await senderRecovery.close();
    // What matched is kept (--home): also after a divergence or an error.
    await store.flush();
    await store.close();
  }
}
