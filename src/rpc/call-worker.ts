/**
 * A worker thread that runs eth_call / eth_estimateGas (src/rpc/call-pool.ts
 * starts it). It has its own EVM engines (this thread's instances of
 * src/evm), so nothing it runs can touch the engines that execute blocks, and
 * it reads committed state from the main thread one key at a time,
 * synchronously: it posts the key on its read port and sleeps on a shared
 * flag (Atomics.wait) until the main thread has posted the value and raised
 * the flag. Every answer carries the committed height; when it is not the
 * height the call started at, a block committed under the call, which then
 * stops and reports `moved` so the pool can restart it on the new state.
 */
import { setPriority } from 'node:os';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { SystemContractResolver } from '../tx/executor.js';
import type { KVReader } from '../store/kv.js';
import { evmCallRunner } from './call.js';
import { RpcError } from './errors.js';
import type { CallJob, ReadReply, WorkerInit, WorkerReply } from './call-pool.js';

const init = workerData as WorkerInit;
const flag = new Int32Array(init.signal);
const port = parentPort!;

/** A block committed under the call: its reads no longer come from one state. */
class StateMoved extends Error {
  override readonly name = 'StateMoved';
}

/** Committed state at `height`, read from the main thread; each key once per call. */
class RemoteState implements KVReader {
  moved = false;
  private readonly cache = new Map<string, Uint8Array | undefined>();

  constructor(private readonly height: bigint) {}

  get(key: string): Uint8Array | undefined {
    if (this.cache.has(key)) return this.cache.get(key);
    if (this.moved) throw new StateMoved('state moved');
    Atomics.store(flag, 0, 0);
    init.readPort.postMessage(key);
    Atomics.wait(flag, 0, 0);
    const reply = receiveMessageOnPort(init.readPort)?.message as ReadReply | undefined;
    if (reply === undefined) throw new Error('the main thread did not answer a state read');
    if (reply.height !== this.height) {
      this.moved = true;
      throw new StateMoved(`state moved from height ${this.height} to ${reply.height}`);
    }
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

async function run(job: CallJob, runner: ReturnType<typeof evmCallRunner>): Promise<WorkerReply> {
  const state = new RemoteState(job.block.height);
  try {
    const value = job.kind === 'call' ? await runner.call(state, job.req, job.block) : await runner.estimateGas(state, job.req, job.block);
    return state.moved ? { id: job.id, moved: true } : { id: job.id, ok: true, value };
  } catch (err) {
    // A read that saw a newer block may surface as any error (the EVM wraps them): the state decides.
    if (state.moved) return { id: job.id, moved: true };
    if (err instanceof RpcError) return { id: job.id, ok: false, error: { code: err.code, message: err.message, data: err.data } };
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
  const runner = evmCallRunner(await resolver());
  port.on('message', (job: CallJob) => {
    void run(job, runner).then((reply) => port.postMessage(reply));
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
}

await main();
