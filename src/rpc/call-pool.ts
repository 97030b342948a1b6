/**
 * eth_call / eth_estimateGas off the event loop (docs/RPC.md "EVM calls").
 *
 * ABCI is served on the same event loop as JSON-RPC, so a call that loops
 * for seconds must not run there. The pool keeps a few worker threads
 * (src/rpc/call-worker.ts), each with its own EVM engines, and hands each
 * a call at a time. A worker reads committed state through the main
 * thread, one key per message, answered from the store in this thread's
 * message handler: the main thread only ever serves small reads.
 *
 * Each call has a wall-clock limit counted from the moment a worker takes
 * it: a worker still running then is terminated and replaced. At most
 * `workers + queue` calls are accepted at once; beyond that a call is
 * refused at once (-32005). A waiting call waits at most for the calls
 * ahead of it, each of which ends by its limit.
 *
 * A call runs in the last block committed when a worker takes it. A read
 * that finds the state at another height (a block committed under the
 * call) stops it, and the same worker runs it again on the new block, at
 * most MAX_CALL_RUNS times in all (until the store keeps versions). A read that finds the state at another height
 * than the call started at (a block committed under it) stops the call with
 * StateMovedError, for the caller to restart it on the new state.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Logger } from '../util/logger.js';
import type { BlockSource, CallBlock, CallRequest, CallRunner, CallState } from './call.js';
import { RpcCode, RpcError } from './errors.js';

export interface CallPoolOptions {
  /** Worker threads, i.e. calls that run at once. */
  workers: number;
  /** Calls that may wait for a worker; more are refused. */
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

/** Runs of one call when blocks commit under it. */
export const MAX_CALL_RUNS = 3;

// ---- messages between the pool and its workers (call-worker.ts) -------------

/** workerData of a call worker. */
export interface WorkerInit {
  /** The port state reads go through (the worker end). */
  readPort: MessagePort;
  /** Int32 flag the main thread raises when a read's answer is posted. */
  signal: SharedArrayBuffer;
  resolverModule?: string;
}

export interface CallJob {
  id: number;
  kind: 'call' | 'estimate';
  req: CallRequest;
  block: CallBlock;
}

/** The answer to a state read: the committed height and the value of the key there. */
export interface ReadReply {
  height: bigint;
  value: Uint8Array | undefined;
}

export type WorkerReply =
  | { ready: true }
  | { id: number; ok: true; value: Uint8Array | bigint }
  | { id: number; ok: false; error: { code?: number; message: string; data?: unknown } }
  | { id: number; moved: true };

// ---- the pool ----------------------------------------------------------------

interface Pending {
  id: number;
  kind: CallJob['kind'];
  req: CallRequest;
  state: CallState;
  at: BlockSource;
  /** Runs started so far. */
  runs: number;
  /** Height of the current run (for the message when it moves). */
  height: bigint;
  timer: NodeJS.Timeout | undefined;
  resolve(value: Uint8Array | bigint): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  readPort: MessagePort;
  flag: Int32Array;
  ready: boolean;
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
  private readonly waiting: Pending[] = [];
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
    return { running: this.slots.filter((s) => s.running !== undefined).length, waiting: this.waiting.length };
  }

  /** Resolves once every worker started so far is ready (calls wait for workers anyway: tests). */
  async ready(): Promise<void> {
    while (this.slots.some((s) => !s.ready)) {
      if (this.closed) return;
      await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    }
  }

  call(state: CallState, req: CallRequest, at: BlockSource): Promise<Uint8Array> {
    return this.submit('call', state, req, at) as Promise<Uint8Array>;
  }

  estimateGas(state: CallState, req: CallRequest, at: BlockSource): Promise<bigint> {
    return this.submit('estimate', state, req, at) as Promise<bigint>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.readyWaiters.splice(0)) wake();
    const gone = new RpcError(RpcCode.ResourceUnavailable, 'the node is shutting down');
    for (const p of this.waiting.splice(0)) this.settle(p, gone);
    await Promise.all(
      this.slots.splice(0).map(async (slot) => {
        if (slot.running !== undefined) this.settle(slot.running, gone);
        slot.readPort.close();
        await slot.worker.terminate();
      }),
    );
  }

  private submit(kind: CallJob['kind'], state: CallState, req: CallRequest, at: BlockSource): Promise<Uint8Array | bigint> {
    if (this.closed) return Promise.reject(new RpcError(RpcCode.ResourceUnavailable, 'the node is shutting down'));
    if (this.broken && this.slots.length === 0) return Promise.reject(new RpcError(RpcCode.Internal, 'EVM call workers cannot start (see the node log)'));
    if (this.waiting.length + this.load.running >= this.o.workers + this.o.queue) {
      return Promise.reject(
        new RpcError(
          RpcCode.LimitExceeded,
          `too many eth_call/eth_estimateGas requests: ${this.o.workers} run at once and ${this.o.queue} wait; retry later`,
          { workers: this.o.workers, queue: this.o.queue },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const p: Pending = {
        id: this.nextId++,
        kind,
        req,
        state,
        at,
        runs: 0,
        height: 0n,
        timer: undefined,
        resolve,
        reject,
      };
      this.waiting.push(p);
      // Workers start on demand, up to the limit: an idle node keeps none.
      const free = this.slots.filter((slot) => slot.running === undefined).length;
      if (!this.broken && this.waiting.length > free && this.slots.length < this.o.workers) this.slots.push(this.spawn());
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.waiting.length === 0) return;
      if (!slot.ready || slot.running !== undefined) continue;
      const p = this.waiting.shift()!;
      slot.running = p;
      p.timer = setTimeout(() => this.expire(p), this.o.timeoutMs);
      this.run(slot, p);
    }
  }

  /** Starts a run of `p` on `slot`, in the block committed now. */
  private run(slot: Slot, p: Pending): void {
    p.runs++;
    p.at().then(
      (block) => {
        if (slot.running !== p) return; // timed out or closed meanwhile
        p.height = block.height;
        slot.worker.postMessage({ id: p.id, kind: p.kind, req: p.req, block } satisfies CallJob);
      },
      (err: unknown) => {
        if (slot.running !== p) return;
        slot.running = undefined;
        this.settle(p, err instanceof Error ? err : new Error(String(err)));
        this.pump();
      },
    );
  }

  private settle(p: Pending, outcome: Error | Uint8Array | bigint): void {
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  /** The call ran out of time: stop its worker and start another. */
  private expire(p: Pending): void {
    const timeout = new RpcError(RpcCode.Server, `execution aborted (timeout = ${this.o.timeoutMs / 1000}s)`, { timeoutMs: this.o.timeoutMs });
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
    Atomics.store(slot.flag, 0, 1);
    Atomics.notify(slot.flag, 0);
    slot.readPort.close();
    void slot.worker.terminate();
  }

  private spawn(): Slot {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const init: WorkerInit & { entry: string; tsx?: string } = {
      readPort: port2,
      signal,
      entry: this.entry,
      ...(this.tsx === undefined ? {} : { tsx: this.tsx }),
      ...(this.o.resolverModule === undefined ? {} : { resolverModule: this.o.resolverModule }),
    };
    const worker = new Worker(BOOT, { eval: true, workerData: init, transferList: [port2], resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    const slot: Slot = { worker, readPort: port1, flag: new Int32Array(signal), ready: false, running: undefined };

    port1.on('message', (key: string) => {
      const state = slot.running?.state;
      const reply: ReadReply = state === undefined ? { height: -1n, value: undefined } : { height: state.height, value: state.get(key) };
      port1.postMessage(reply);
      Atomics.store(slot.flag, 0, 1);
      Atomics.notify(slot.flag, 0);
    });
    worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        slot.ready = true;
        for (const wake of this.readyWaiters.splice(0)) wake();
        this.pump();
        return;
      }
      const p = slot.running;
      if (p === undefined || p.id !== reply.id) return;
      if ('moved' in reply) {
        if (p.runs < MAX_CALL_RUNS) {
          this.run(slot, p);
          return;
        }
        slot.running = undefined;
        this.settle(p, new RpcError(RpcCode.Server, `state changed during the call: blocks committed under it ${p.runs} times (last at height ${p.height}); retry`));
        this.pump();
        return;
      }
      slot.running = undefined;
      if (reply.ok) this.settle(p, reply.value);
      else this.settle(p, new RpcError(reply.error.code ?? RpcCode.Internal, reply.error.message, reply.error.data));
      this.pump();
    });
    worker.on('error', (err) => {
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
        for (const w of this.waiting.splice(0)) this.settle(w, broken);
      }
    });
    return slot;
  }
}
