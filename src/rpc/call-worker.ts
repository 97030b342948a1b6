/**
 * A worker thread that runs eth_call / eth_estimateGas and traces
 * (src/rpc/call-pool.ts starts it). It has its own EVM engines (this
 * thread's instances of src/evm), so nothing it runs can touch the engines
 * that execute blocks, and it reads one pinned version of committed state
 * from the main thread one key at a time, synchronously: it posts the key,
 * numbered, on its read port and sleeps on a shared cell (Atomics.wait)
 * until the main thread has posted the value and written that number there.
 * Answers carry the number: an answer that is not the read's own (one a
 * read gave up on) is dropped, never taken for another key's value.
 */
import { setPriority } from 'node:os';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { KVReader } from '../store/kv.js';
import { evmCallRunner } from './call.js';
import { RpcCode, RpcError } from './errors.js';
import { type CallJob, READS_STOPPED, type ReadReply, type ReadRequest, type WorkerInit, type WorkerReply } from './call-pool.js';
import { runTrace, TraceLimitError } from './tracers.js';
import type { SystemContractResolver } from '../system/types.js';

const init = workerData as WorkerInit;
const flag = new Int32Array(init.signal);
const port = parentPort!;

/** The version a job reads became unreadable (pruned under it). */
class StateGone extends Error {
  override readonly name = 'StateGone';
}

/** The number of this worker's last state read (read numbers are positive int32s). */
let lastRead = 0;

/** The job's pinned state version, read from the main thread; each key once per job. */
class RemoteState implements KVReader {
  gone: StateGone | undefined;
  private readonly cache = new Map<string, Uint8Array | undefined>();

  get(key: string): Uint8Array | undefined {
    if (this.cache.has(key)) return this.cache.get(key);
    if (this.gone !== undefined) throw this.gone;
    const seq = (lastRead = lastRead === 0x7fff_ffff ? 1 : lastRead + 1);
    init.readPort.postMessage({ seq, key } satisfies ReadRequest);
    for (let seen = Atomics.load(flag, 0); seen !== seq; seen = Atomics.load(flag, 0)) {
      if (seen === READS_STOPPED) throw new Error('the call was stopped during a state read');
      Atomics.wait(flag, 0, seen);
    }
    let reply: ReadReply | undefined;
    do reply = receiveMessageOnPort(init.readPort)?.message as ReadReply | undefined;
    while (reply !== undefined && reply.seq !== seq);
    if (reply === undefined) throw new Error('the main thread did not answer a state read');
    if (reply.error !== undefined) throw (this.gone = new StateGone(reply.error));
    this.cache.set(key, reply.value);
    return reply.value;
  }
}

async function resolver(): Promise<SystemContractResolver> {
  if (init.resolverModule !== undefined) {
    const mod = (await import(init.resolverModule)) as { systemResolver(): SystemContractResolver };
    return mod.systemResolver();
  }
  const { createModules } = await import('../app/wiring.js');
  return createModules().resolveSystem;
}

async function run(job: CallJob, runner: ReturnType<typeof evmCallRunner>, resolveSystem: SystemContractResolver): Promise<WorkerReply> {
  const state = new RemoteState();
  try {
    let value;
    if (job.kind === 'trace') value = await runTrace(state, job.trace, resolveSystem);
    else if (job.kind === 'call') value = await runner.call(state, job.req, job.block);
    else value = await runner.estimateGas(state, job.req, job.block);
    if (state.gone !== undefined) throw state.gone;
    return { id: job.id, ok: true, value };
  } catch (err) {
    // A read of a pruned version may surface as any error (the EVM wraps them): the state decides.
    if (state.gone !== undefined) return { id: job.id, ok: false, error: { code: RpcCode.Server, message: `historical state unavailable: ${state.gone.message}` } };
    if (err instanceof RpcError) return { id: job.id, ok: false, error: { code: err.code, message: err.message, data: err.data } };
    if (err instanceof TraceLimitError) return { id: job.id, ok: false, error: { code: RpcCode.LimitExceeded, message: err.message } };
    return { id: job.id, ok: false, error: { message: err instanceof Error ? err.message : String(err) } };
  }
}

async function main(): Promise<void> {
  // Linux keeps a nice value per thread: this lowers only this thread, so a
  // busy call never takes CPU from consensus (ABCI, CometBFT) on a small machine.
  try {
    setPriority(19);
  } catch {
    // Not permitted or not supported: run at normal priority.
  }
  const resolveSystem = await resolver();
  const runner = evmCallRunner(resolveSystem);
  port.on('message', (job: CallJob) => {
    void run(job, runner, resolveSystem).then((reply) => port.postMessage(reply));
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
}

await main();
