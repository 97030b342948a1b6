/**
 * Prometheus metrics of a node (prom-client), fed by the app's observer hook
 * (AppMetrics) and, after each commit, by the modules' typed read API over
 * committed state. The list and its meaning are in README.md ("Metrics").
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChainModules } from '../app/modules.js';
import type { KVReader } from '../store/kv.js';
import { type LevelRow, parseLevelDbStats, type StateDbStats } from '../store/leveldb-stats.js';
import { codeName } from '../tx/errors.js';
import type { Logger } from '../util/logger.js';
import type { AppMetrics, BlockObservation } from '../app/observer.js';

/** The committed state the gauges are read from (a CommittedStore). */
export interface CommittedState extends KVReader {
  readonly height: bigint;
  /** LevelDB's `leveldb.stats` tables, if the state lives in LevelDB (CommittedStore.levelDbStats). */
  levelDbStats?(): StateDbStats;
}

export interface NodeMetricsOptions {
  store: CommittedState;
  modules: ChainModules;
  logger: Logger;
  /** Node.js process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
}

/** wei → CMT as a float (exact to 1e-6 CMT, which is all a float gauge carries anyway). */
export function weiToCmt(wei: bigint): number {
  return Number(wei / 10n ** 12n) / 1e6;
}

export class NodeMetrics implements AppMetrics {
  readonly registry = new Registry();
  private readonly store: CommittedState;
  private readonly modules: ChainModules;
  private readonly log: Logger;
  private refreshScheduled = false;
  private refreshFailed = false;

  private readonly height: Gauge;
  private readonly blockTxs: Histogram;
  private readonly txsTotal: Counter;
  private readonly checkTxSeconds: Histogram;
  private readonly finalizeSeconds: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly rejected: Counter<'stage' | 'code'>;
  private readonly validators: Gauge;
  private readonly backups: Gauge;
  private readonly candidates: Gauge;
  private readonly supply: Gauge;
  private readonly staked: Gauge;
  private readonly stakedRatio: Gauge;

  constructor(options: NodeMetricsOptions) {
    this.store = options.store;
    this.modules = options.modules;
    this.log = options.logger.child({ module: 'metrics' });
    const registers = [this.registry];
    this.height = new Gauge({ name: 'cmtd_block_height', help: 'Height of the last committed block', registers });
    this.blockTxs = new Histogram({
      name: 'cmtd_block_txs',
      help: 'Transactions per committed block (executed and refused)',
      buckets: [0, 1, 5, 10, 50, 100, 500, 1000, 5000, 10000],
      registers,
    });
    this.txsTotal = new Counter({ name: 'cmtd_txs_total', help: 'Transactions in committed blocks since the node started (executed and refused)', registers });
    this.checkTxSeconds = new Histogram({
      name: 'cmtd_checktx_duration_seconds',
      help: 'Time the app spent answering a CheckTx',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
      registers,
    });
    this.finalizeSeconds = new Histogram({
      name: 'cmtd_finalize_block_duration_seconds',
      help: 'Time the app spent executing a block (FinalizeBlock, or BeginBlock to EndBlock on CometBFT v0.37)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'cmtd_commit_duration_seconds',
      help: 'Time the app spent writing a block at Commit',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.rejected = new Counter({
      name: 'cmtd_tx_rejected_total',
      help: 'Transactions answered with a non-zero code, by stage (check: CheckTx refused it; block: its result in a block) and code name (src/tx/errors.ts)',
      labelNames: ['stage', 'code'] as const,
      registers,
    });
    this.validators = new Gauge({ name: 'cmtd_validators', help: 'Validators in the staking ranking (committed state)', registers });
    this.backups = new Gauge({ name: 'cmtd_backup_validators', help: 'Backup validators in the staking ranking (committed state)', registers });
    this.candidates = new Gauge({ name: 'cmtd_candidates', help: 'Declared candidates, validators and backups included (committed state)', registers });
    this.supply = new Gauge({ name: 'cmtd_total_supply_cmt', help: 'Total CMT supply (committed state)', registers });
    this.staked = new Gauge({ name: 'cmtd_staked_cmt', help: 'CMT bonded in staking (committed state)', registers });
    this.stakedRatio = new Gauge({ name: 'cmtd_staked_ratio', help: 'Bonded CMT / total supply (committed state)', registers });
    this.registerLevelDbMetrics(registers);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.refreshState();
  }

  /**
   * The state database's levels and its background thread's work, read
   * from LevelDB's own table when Prometheus scrapes (a string LevelDB
   * formats under its lock in microseconds; nothing else is touched).
   * Compaction debt shows as seconds growing as fast as wall time and as
   * level 0 or 1 far above its size.
   */
  private registerLevelDbMetrics(registers: Registry[]): void {
    const store = this.store;
    if (store.levelDbStats === undefined) return;
    const rows = (): Array<LevelRow & { db: string }> => {
      try {
        const stats = store.levelDbStats!();
        return Object.entries(stats).flatMap(([db, table]) => parseLevelDbStats(table).map((row) => ({ ...row, db })));
      } catch {
        return []; // the store closed under a late scrape (shutdown): no samples rather than a failed scrape
      }
    };
    const perLevel = (name: string, help: string, value: (row: LevelRow) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['db', 'level'] as const,
        registers,
        collect() {
          this.reset();
          for (const row of rows()) this.set({ db: row.db, level: String(row.level) }, value(row));
        },
      });
    };
    const total = (name: string, help: string, value: (row: LevelRow) => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(rows().reduce((sum, row) => sum + value(row), 0));
        },
      });
    };
    perLevel('cmtd_state_db_level_files', 'Table files in each LevelDB level of the state databases (db: values, nodes)', (r) => r.files);
    perLevel('cmtd_state_db_level_bytes', 'Bytes in each LevelDB level of the state databases (db: values, nodes; LevelDB counts whole MiB)', (r) => r.sizeMb * 2 ** 20);
    total(
      'cmtd_state_db_compaction_seconds_total',
      "Seconds LevelDB's background thread spent flushing and compacting the state databases since the node started",
      (r) => r.timeSec,
    );
    total('cmtd_state_db_compaction_read_bytes_total', 'Bytes those flushes and compactions read (whole MiB)', (r) => r.readMb * 2 ** 20);
    total('cmtd_state_db_compaction_written_bytes_total', 'Bytes those flushes and compactions wrote (whole MiB)', (r) => r.writeMb * 2 ** 20);
  }

  onCheckTx(code: number, seconds: number): void {
    this.checkTxSeconds.observe(seconds);
    if (code !== 0) this.rejected.inc({ stage: 'check', code: codeName(code) });
  }

  onBlock(block: BlockObservation): void {
    this.height.set(Number(block.height));
    this.blockTxs.observe(block.txs);
    this.txsTotal.inc(block.txs);
    this.finalizeSeconds.observe(block.seconds);
    this.commitSeconds.observe(block.commitSeconds);
    for (const code of block.rejectedCodes) this.rejected.inc({ stage: 'block', code: codeName(code) });
    // The state gauges walk the candidates: do it after Commit has answered, not inside it.
    if (!this.refreshScheduled) {
      this.refreshScheduled = true;
      setImmediate(() => {
        this.refreshScheduled = false;
        this.refreshState();
      });
    }
  }

  /** Reads the state gauges from committed state (synchronous: one consistent state). */
  refreshState(): void {
    try {
      const height = this.store.height;
      this.height.set(Number(height));
      // Before InitChain's state is committed there is nothing to read yet: the gauges stay at 0, no warning.
      if (height === 0n) return;
      const reads = this.modules.reads(this.store);
      const ranking = reads.staking.validators();
      this.validators.set(ranking.filter((v) => v.role === 'validator').length);
      this.backups.set(ranking.filter((v) => v.role === 'backup').length);
      this.candidates.set(reads.staking.candidates().length);
      const { supply: total, staked } = reads.supply();
      this.supply.set(weiToCmt(total));
      this.staked.set(weiToCmt(staked));
      // In parts per million, computed in bigint so a large supply loses no precision.
      this.stakedRatio.set(total === 0n ? 0 : Number((staked * 1_000_000n) / total) / 1_000_000);
      this.refreshFailed = false;
    } catch (err) {
      // Once per failure streak: a broken query must not flood the log every block.
      if (!this.refreshFailed) this.log.warn('cannot read the state metrics', { error: (err as Error).message });
      this.refreshFailed = true;
    }
  }
}
