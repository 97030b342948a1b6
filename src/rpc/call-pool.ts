/**
 * eth_call / eth_estimateGas and traces off the event loop (docs/RPC.md
 * "EVM calls", "Traces").
 *
 * ABCI is served on the same event loop as JSON-RPC, so a call that loops
 * for seconds must not run there. The pool keeps a few worker threads
 * (src/rpc/call-worker.ts), each with its own EVM engines, and hands each
 * a job at a time. A worker reads committed state through the main
 * thread, one key per message, answered from the store in this thread's
 * message handler: the main thread only ever serves small reads.
 *
 * Every job reads one pinned store version (a VersionView), so a block
 * committed under it changes nothing it sees. A version pruned under a
 * long job (a short `--state-history`) fails the job with a clear error.
 *
 * Each job has a wall-clock limit counted from the moment a worker takes
 * it: a worker still running then is terminated and replaced. At most
 * `workers + queue` jobs are accepted at once; beyond that a job is
 * refused at once (-32005), or takes the place of a job of the client with
 * the most waiting (fair-queue.ts): clients are served in turn, so one that
 * floods cannot lock the others out. A waiting job waits at most for the
 * jobs ahead of it, each of which ends by its limit.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Logger } from '../util/logger.js';
import { nativeGuard, stopWorker } from '../util/worker-stop.js';
import type { CallBlock, CallRequest, CallState } from './call.js';
import type { CallRunner } from './call-runner.js';
import { RpcCode, RpcError } from './errors.js';
import { FairQueue } from './fair-queue.js';
import type { TraceOutput, TraceRequest } from './tracers.js';

export interface CallPoolOptions {
  /** Worker threads, i.e. jobs that run at once. */
  workers: number;
  /** Jobs that may wait for a worker; more are refused. */
  queue: number;
  /** Wall-clock limit of one call's execution, ms. */
  timeoutMs: number;
  /**
   * URL of an ES module whose `systemResolver()` gives the system contracts
   * calls see (tests); default: the chain's modules (src/app/wiring.ts).
   */
  resolverModule?: string;
  logger?: Logger;
}

// ---- messages between the pool and its workers (call-worker.ts) -------------

/** workerData of a call worker. */
export interface WorkerInit {
  /** The port state reads go through (the worker end). */
  readPort: MessagePort;
  /** Int32 cell: the number of the last read whose answer is posted ({@link READS_STOPPED}: the worker is being stopped). */
  signal: SharedArrayBuffer;
  /** What lets the pool terminate the worker between native calls (util/worker-stop.ts). */
  nativeGuard: SharedArrayBuffer;
  resolverModule?: string;
}

export type CallJob = { id: number; kind: 'call' | 'estimate'; req: CallRequest; block: CallBlock } | { id: number; kind: 'trace'; trace: TraceRequest };

/** A state read: the key, numbered by the worker (1, 2, …) so that its answer can be told from any other. */
export interface ReadRequest {
  seq: number;
  key: string;
}

/** The answer to read `seq`: the value of the key in the job's version, or why that version cannot be read. */
export interface ReadReply {
  seq: number;
  value: Uint8Array | undefined;
  error?: string;
}

/** The signal cell's value once the pool stops a worker: a read waiting then gives up. */
export const READS_STOPPED = -1;

type JobValue = Uint8Array | bigint | TraceOutput;

export type WorkerReply = { ready: true } | { id: number; ok: true; value: JobValue } | { id: number; ok: false; error: { code?: number; message: string; data?: unknown } };

// ---- the pool ----------------------------------------------------------------

interface Pending {
  job: CallJob;
  state: CallState;
  timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  resolve(value: JobValue): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  readPort: MessagePort;
  flag: Int32Array;
  ready: boolean;
  /** Settles when the worker is ready or has exited. */
  booted: Promise<void>;
  /** The worker's native-call guard (util/worker-stop.ts). */
  guard: SharedArrayBuffer;
  running: Pending | undefined;
}

/** The worker thread is started from a string so the same code loads TypeScript sources (through tsx) or the build. */
const BOOT = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx !== undefined) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((err) => setImmediate(() => { throw err; }));`;

/** Heap of one worker: a call's memory is bounded by its gas, far below this. */
const WORKER_HEAP_MB = 512;

export class EvmCallPool implements CallRunner {
  private readonly slots: Slot[] = [];
  private readonly waiting = new FairQueue<Pending>();
  private readonly readyWaiters: Array<() => void> = [];
  private nextId = 1;
  private closed = false;
  /** A worker died while starting: no more are started. */
  private broken = false;
  private readonly entry: string;
  private readonly tsx: string | undefined;

  constructor(private readonly o: CallPoolOptions) {
    const fromSources = import.meta.url.endsWith('.ts');
    this.entry = new URL(fromSources ? './call-worker.ts' : './call-worker.js', import.meta.url).href;
    this.tsx = fromSources ? import.meta.resolve('tsx/esm/api') : undefined;
  }

  /** Calls running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.slots.filter((s) => s.running !== undefined).length, waiting: this.waiting.size };
  }

  /** Resolves once every worker started so far is ready (calls wait for workers anyway: tests). */
  async ready(): Promise<void> {
    while (this.slots.some((s) => !s.ready)) {
      if (this.closed) return;
      await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    }
  }

  call(state: CallState, req: CallRequest, block: CallBlock, client = ''): Promise<Uint8Array> {
    return this.submit({ id: this.nextId++, kind: 'call', req, block }, state, this.o.timeoutMs, client) as Promise<Uint8Array>;
  }

  estimateGas(state: CallState, req: CallRequest, block: CallBlock, client = ''): Promise<bigint> {
    return this.submit({ id: this.nextId++, kind: 'estimate', req, block }, state, this.o.timeoutMs, client) as Promise<bigint>;
  }

  trace(state: CallState, trace: TraceRequest, timeoutMs: number, client = ''): Promise<TraceOutput> {
    return this.submit({ id: this.nextId++, kind: 'trace', trace }, state, timeoutMs, client) as Promise<TraceOutput>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.readyWaiters.splice(0)) wake();
    const gone = new RpcError(RpcCode.ResourceUnavailable, 'the node is shutting down');
    for (const p of this.waiting.drain()) this.settle(p, gone);
    await Promise.all(
      this.slots.splice(0).map(async (slot) => {
        if (slot.running !== undefined) this.settle(slot.running, gone);
        slot.readPort.close();
        await stopWorker(slot.worker, slot.guard, slot.booted);
      }),
    );
  }

  private submit(job: CallJob, state: CallState, timeoutMs: number, client: string): Promise<JobValue> {
    if (this.closed) return Promise.reject(new RpcError(RpcCode.ResourceUnavailable, 'the node is shutting down'));
    if (this.broken && this.slots.length === 0) return Promise.reject(new RpcError(RpcCode.Internal, 'EVM call workers cannot start (see the node log)'));
    if (this.waiting.size + this.load.running >= this.o.workers + this.o.queue) {
      const displaced = this.waiting.yieldLongest(this.waiting.waitingOf(client));
      if (displaced === undefined) return Promise.reject(this.full('retry later'));
      this.settle(displaced, this.full('other clients are served in turn and this one had the most waiting; retry later'));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push(client, { job, state, timeoutMs, timer: undefined, resolve, reject });
      // Workers start on demand, up to the limit: an idle node keeps none.
      const free = this.slots.filter((slot) => slot.running === undefined).length;
      if (!this.broken && this.waiting.size > free && this.slots.length < this.o.workers) this.slots.push(this.spawn());
      this.pump();
    });
  }

  private full(why: string): RpcError {
    return new RpcError(RpcCode.LimitExceeded, `too many eth_call/eth_estimateGas/trace requests: ${this.o.workers} run at once and ${this.o.queue} wait; ${why}`, {
      workers: this.o.workers,
      queue: this.o.queue,
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.waiting.size === 0) return;
      if (!slot.ready || slot.running !== undefined) continue;
      const p = this.waiting.shift()!;
      slot.running = p;
      p.timer = setTimeout(() => this.expire(p), p.timeoutMs);
      slot.worker.postMessage(p.job);
    }
  }

  private settle(p: Pending, outcome: Error | JobValue): void {
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  /** The call ran out of time: stop its worker and start another. */
  private expire(p: Pending): void {
    const timeout = new RpcError(RpcCode.Server, `execution aborted (timeout = ${p.timeoutMs / 1000}s)`, { timeoutMs: p.timeoutMs });
    const i = this.slots.findIndex((s) => s.running === p);
    if (i < 0) return;
    const slot = this.slots[i]!;
    slot.running = undefined;
    this.settle(p, timeout);
    this.retire(slot);
    this.slots[i] = this.spawn();
  }

  private retire(slot: Slot): void {
    // Wake a worker asleep on a read so terminate does not wait for it.
    Atomics.store(slot.flag, 0, READS_STOPPED);
    Atomics.notify(slot.flag, 0);
    slot.readPort.close();
    void stopWorker(slot.worker, slot.guard, slot.booted);
  }

  private spawn(): Slot {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const guard = nativeGuard();
    const init: WorkerInit & { entry: string; tsx?: string } = {
      readPort: port2,
      signal,
      nativeGuard: guard,
      entry: this.entry,
      ...(this.tsx === undefined ? {} : { tsx: this.tsx }),
      ...(this.o.resolverModule === undefined ? {} : { resolverModule: this.o.resolverModule }),
    };
    const worker = new Worker(BOOT, { eval: true, workerData: init, transferList: [port2], resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    let booted = (): void => {};
    const slot: Slot = {
      worker,
      readPort: port1,
      flag: new Int32Array(signal),
      ready: false,
      booted: new Promise((resolve) => {
        booted = resolve;
      }),
      guard,
      running: undefined,
    };
    worker.once('exit', () => booted());

    port1.on('message', ({ seq, key }: ReadRequest) => {
      port1.postMessage({ seq, ...read(slot.running?.state, key) } satisfies ReadReply);
      // Posted first: the worker finds the answer as soon as it sees its number.
      Atomics.store(slot.flag, 0, seq);
      Atomics.notify(slot.flag, 0);
    });
    worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        slot.ready = true;
        booted();
        for (const wake of this.readyWaiters.splice(0)) wake();
        this.pump();
        return;
      }
      const p = slot.running;
      if (p === undefined || p.job.id !== reply.id) return;
      slot.running = undefined;
      if (reply.ok) this.settle(p, reply.value);
      else this.settle(p, new RpcError(reply.error.code ?? RpcCode.Internal, reply.error.message, reply.error.data));
      this.pump();
    });
    worker.on('error', (err) => {
      if (!this.slots.includes(slot)) return; // retired: being stopped (util/worker-stop.ts)
      this.o.logger?.error('EVM call worker failed', { error: err.message });
    });
    worker.on('exit', () => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return; // retired on purpose
      const p = slot.running;
      slot.running = undefined;
      if (p !== undefined) this.settle(p, new RpcError(RpcCode.Internal, 'the EVM call worker stopped during the call'));
      if (this.closed) return;
      if (slot.ready) {
        this.slots[i] = this.spawn();
        return;
      }
      // It died starting up: another would too. Without workers, calls cannot run.
      this.broken = true;
      this.slots.splice(i, 1);
      for (const wake of this.readyWaiters.splice(0)) wake();
      if (this.slots.length === 0) {
        const broken = new RpcError(RpcCode.Internal, 'EVM call workers cannot start (see the node log)');
        for (const w of this.waiting.drain()) this.settle(w, broken);
      }
    });
    return slot;
  }
}

/** Reads `key` from a job's pinned version; a version pruned meanwhile (or no job) answers with the reason. */
function read(state: CallState | undefined, key: string): Omit<ReadReply, 'seq'> {
  if (state === undefined) return { value: undefined, error: 'the job was stopped' };
  try {
    return { value: state.get(key) };
  } catch (err) {
    return { value: undefined, error: err instanceof Error ? err.message : String(err) };
  }
}
