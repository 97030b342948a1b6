/**
 * A node's two processes, cmtd and CometBFT, run as one unit: the one
 * implementation behind `cmtd node`, `cmtd localnet`, `cmtd dev` and the
 * Docker entrypoint.
 *
 * - Start order: cmtd first (CometBFT connects to it at once), CometBFT once
 *   cmtd listens; the pair is up when CometBFT's RPC answers.
 * - Stop: CometBFT first, so it never sees its app vanish mid-block; each
 *   process gets SIGTERM, then SIGKILL after the grace period.
 * - Supervised (`supervise()`): when either process dies, the other is ended
 *   too. CometBFT does not exit when its app dies (its switch stops, the
 *   process stays), and a CometBFT restarted alone would start with an empty
 *   mempool beside an app that still counts the old one. With restart
 *   'on-failure' the pair is started again after a backoff (1 s, doubling to
 *   30 s; back to 1 s once the pair has run for a minute).
 */
import { describeExit, ManagedProcess, waitFor, type ProcessExit, type ProcessSpec } from './process.js';
import { CometRpc } from '../comet/rpc.js';

export type RestartPolicy = 'on-failure' | 'no';
export const RESTART_POLICIES: readonly RestartPolicy[] = ['on-failure', 'no'];

export interface PairSpec {
  /** The node's name in messages, e.g. 'node0' or its moniker. */
  name: string;
  cmtd: ProcessSpec;
  comet: ProcessSpec;
  /** CometBFT's RPC, e.g. http://127.0.0.1:26657: the pair is up once it answers. */
  cometRpcUrl: string;
  /** Awaited before CometBFT starts (the Docker entrypoint waits for its peers' names to resolve). */
  beforeComet?: () => Promise<void>;
  /** How long a process may take to stop after SIGTERM before SIGKILL (default 10 s). */
  graceMs?: number;
  /** How long each process may take to be ready (default 60 s). */
  startTimeoutMs?: number;
  /** Told what the supervisor does (processes started, exits, restarts), one line each. */
  report?: (message: string) => void;
}

/** How a supervised pair ended for good. */
export interface PairEnd {
  /** 0: stopped on request; 1: a process died and the policy is not to restart. */
  code: 0 | 1;
  reason: string;
}

const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** A pair that ran this long before failing is restarted after the first backoff again. */
const STABLE_MS = 60_000;

/** cmtd's ready line (src/cli/start.ts). */
const CMTD_READY = /cmtd listening on/;

export class NodeSupervisor {
  readonly cmtd: ManagedProcess;
  readonly comet: ManagedProcess;
  readonly rpc: CometRpc;
  private policy: RestartPolicy | undefined;
  private report: (message: string) => void;
  private stopping = false;
  private recovering: Promise<void> | undefined;
  private failures = 0;
  private upSince = 0;
  private wakeBackoff: (() => void) | undefined;
  private ended: ((end: PairEnd) => void) | undefined;

  constructor(readonly spec: PairSpec) {
    this.cmtd = new ManagedProcess(spec.cmtd);
    this.comet = new ManagedProcess(spec.comet);
    this.rpc = new CometRpc(spec.cometRpcUrl);
    this.report = spec.report ?? (() => undefined);
    this.cmtd.onExit((exit) => this.exited('cmtd', exit));
    this.comet.onExit((exit) => this.exited('cometbft', exit));
  }

  get running(): boolean {
    return this.cmtd.running && this.comet.running;
  }

  private get graceMs(): number {
    return this.spec.graceMs ?? 10_000;
  }

  /** Starts cmtd and waits until it listens. */
  async startCmtd(): Promise<void> {
    if (this.stopping) throw new Error(`${this.spec.name} is stopping`);
    this.cmtd.start();
    this.report(`cmtd started (pid ${this.cmtd.pid})`);
    await this.cmtd.waitForOutput(CMTD_READY, this.spec.startTimeoutMs ?? 60_000);
  }

  /** Starts CometBFT and waits until its RPC answers. */
  async startComet(): Promise<void> {
    await this.spec.beforeComet?.();
    if (this.stopping) throw new Error(`${this.spec.name} is stopping`);
    this.comet.start();
    this.report(`cometbft started (pid ${this.comet.pid})`);
    const state = await waitFor(
      `cometbft ${this.spec.name} RPC`,
      async () => (!this.comet.running ? 'exited' : (await this.rpc.status()).node_info.id ? 'up' : undefined),
      this.spec.startTimeoutMs ?? 60_000,
    );
    if (state === 'exited') throw new Error(`cometbft ${this.spec.name} exited while starting; see ${this.comet.spec.logFile}`);
  }

  /** Starts the pair: cmtd, then CometBFT. */
  async start(): Promise<void> {
    await this.startCmtd();
    await this.startComet();
    this.upSince = Date.now();
  }

  /**
   * Watches the started pair until stop(): a process that dies ends the
   * other, and the pair is restarted (policy 'on-failure') or ends for good
   * ('no'). `report`, when given, replaces the spec's.
   */
  supervise(policy: RestartPolicy, report?: (message: string) => void): Promise<PairEnd> {
    this.policy = policy;
    if (report !== undefined) this.report = report;
    this.upSince = Date.now();
    const end = new Promise<PairEnd>((resolve) => (this.ended = resolve));
    // A process may have died between start() and now.
    if (!this.stopping && !this.running) this.exited(this.cmtd.running ? 'cometbft' : 'cmtd', { code: null, signal: null });
    return end;
  }

  /** Stops the pair, CometBFT first; ends supervision. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeBackoff?.();
    await this.stopProcesses();
    await this.recovering?.catch(() => undefined);
    await this.stopProcesses(); // whatever a restart in progress started meanwhile
    this.finish({ code: 0, reason: 'stopped' });
    // Stopped and unsupervised: the pair may be started again.
    this.policy = undefined;
    this.stopping = false;
  }

  private async stopProcesses(): Promise<void> {
    await this.comet.stop(this.graceMs);
    await this.cmtd.stop(this.graceMs);
  }

  private finish(end: PairEnd): void {
    const ended = this.ended;
    this.ended = undefined;
    ended?.(end);
  }

  private exited(which: 'cmtd' | 'cometbft', exit: ProcessExit): void {
    if (this.policy === undefined || this.stopping || this.recovering !== undefined) return;
    this.recovering = this.recover(which, exit).finally(() => {
      this.recovering = undefined;
      // A process that died while the restart was finishing is seen only now.
      if (this.policy !== undefined && !this.stopping && !this.running) this.exited(this.cmtd.running ? 'cometbft' : 'cmtd', { code: null, signal: null });
    });
  }

  private async recover(which: 'cmtd' | 'cometbft', exit: ProcessExit): Promise<void> {
    const how = exit.code === null && exit.signal === null ? 'is not running' : `exited (${describeExit(exit)})`;
    const log = which === 'cmtd' ? this.cmtd.spec.logFile : this.comet.spec.logFile;
    this.report(`${which} ${how}; see ${log}. Stopping the other process (SIGKILL after ${this.graceMs / 1000} s)`);
    await this.stopProcesses();
    if (this.stopping) return;
    if (this.policy === 'no') {
      this.policy = undefined; // supervision is over: the pair stays down
      this.finish({ code: 1, reason: `${which} ${how} (see ${log})` });
      return;
    }
    if (Date.now() - this.upSince >= STABLE_MS) this.failures = 0;
    for (;;) {
      const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** this.failures);
      this.failures++;
      this.report(`restarting the pair in ${delay / 1000} s (restart ${this.failures} in a row)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeBackoff = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeBackoff = undefined;
      if (this.stopping) return;
      try {
        await this.start();
        const height = await this.rpc.height().catch(() => undefined);
        this.report(`running again${height === undefined ? '' : ` from height ${height}`}`);
        return;
      } catch (err) {
        if (this.stopping) return;
        this.report(`restart failed: ${(err as Error).message}`);
        await this.stopProcesses();
      }
    }
  }
}
