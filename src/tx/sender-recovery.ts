/**
 * Sender recovery on other cores. ecrecover is ≈ 70 % of a CheckTx and of a
 * cold transaction in a block (BENCHMARKS.md); it is a pure function of a
 * decoded transaction's signing hash and signature, so worker threads may
 * compute it ahead of time while the main thread does everything else in
 * order.
 *
 * A batch of decoded transactions (a burst of CheckTx requests queued on the
 * mempool connection, a block's transactions) has its signatures copied into
 * shared memory and offered to the workers. Every transaction has a claim
 * word: a worker takes transactions from the back of the batch, the main
 * thread from the front, each with one compare-and-swap, so no signature is
 * recovered twice and neither side waits while there is work it could do
 * itself. When the main thread reaches a transaction a worker is
 * recovering, it sleeps on that word (Atomics.wait) for the few tens of
 * microseconds left.
 *
 * Purely an optimisation: a worker writes only the address its signature
 * recovers, with the same native call the main thread makes; anything else
 * (a signature that recovers no key, a worker that died, a batch withdrawn
 * before its turn) makes the main thread recover it itself, with the same
 * result or error. Nothing consensus computes depends on whether or where a
 * sender was recovered (DESIGN.md: determinism).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../util/logger.js';
import { nativeGuard, stopWorker } from '../util/worker-stop.js';
import type { DecodedTx } from './decode.js';

/** Default worker threads: one (a second core); none on a one-core machine. */
export const DEFAULT_SENDER_THREADS = Math.min(1, availableParallelism() - 1);
/** Most worker threads `--sender-threads` accepts. */
export const MAX_SENDER_THREADS = 16;
/** Most transactions offered and not yet taken; a batch beyond it waits its turn inline. */
export const MAX_OUTSTANDING_TXS = 32_768;
/** A batch smaller than this is recovered inline: a worker round trip would cost more than it saves. */
export const MIN_BATCH = 4;
/** The longest the main thread sleeps on one transaction a worker holds before recovering it itself. */
const WAIT_MS = 1000;

/**
 * Claim word values (shared with sender-recovery-worker.ts). `Failed`: the
 * signature recovers no key; the main thread refuses the transaction itself.
 */
export const Claim = Object.freeze({ Free: 0, Worker: 1, Main: 2, Recovered: 3, Failed: 4 });

/** What recovery needs of a decoded transaction. */
export type Signed = Pick<DecodedTx, 'signingHash' | 'r' | 's' | 'recovery'>;

/** Bytes per transaction of a job's signatures: signing hash, r and s (32 each, left-padded), recovery id. */
export const SIGNATURE_BYTES = 97;

/**
 * One batch of n transactions as the workers see it: one shared buffer
 * holding n Int32 claim words, then n 20-byte senders (valid once a claim
 * is {@link Claim.Recovered}), then n signatures of {@link SIGNATURE_BYTES}.
 * One buffer per batch: each costs an allocation and a transfer.
 */
export type RecoveryJob = SharedArrayBuffer;

/** The three views of a job of `n` transactions. */
export function jobViews(job: RecoveryJob, n: number): { claims: Int32Array; senders: Uint8Array; signatures: Uint8Array } {
  return { claims: new Int32Array(job, 0, n), senders: new Uint8Array(job, 4 * n, 20 * n), signatures: new Uint8Array(job, 24 * n, SIGNATURE_BYTES * n) };
}

interface Batch {
  claims: Int32Array;
  senders: Uint8Array;
  keys: Uint8Array[];
  /** Transactions of this batch not yet taken by the main thread. */
  open: number;
}

export interface SenderRecoveryOptions {
  /** Worker threads (0 = recover everything inline). */
  threads: number;
  logger: Logger;
}

export class SenderRecovery {
  private readonly workers: Worker[] = [];
  /** Per worker, settles when its thread has booted (it says so) or exited. */
  private readonly booted: Array<Promise<unknown>> = [];
  /** Per worker, its native-call guard (util/worker-stop.ts). */
  private readonly guards: SharedArrayBuffer[] = [];
  /** Offered transactions not yet taken, by the caller's key (its own byte array of the transaction). */
  private readonly offered = new Map<Uint8Array, { batch: Batch; index: number }>();
  private readonly batches: Batch[] = [];
  private outstanding = 0;
  private broken = false;
  private closed = false;
  private next = 0;
  private readonly log: Logger;

  constructor(options: SenderRecoveryOptions) {
    this.log = options.logger;
    const { threads } = options;
    if (!Number.isInteger(threads) || threads < 0 || threads > MAX_SENDER_THREADS) {
      throw new RangeError(`sender threads must be an integer from 0 to ${MAX_SENDER_THREADS}, not ${threads}`);
    }
    const fromSources = import.meta.url.endsWith('.ts');
    const entry = new URL(fromSources ? './sender-recovery-worker.ts' : './sender-recovery-worker.js', import.meta.url).href;
    const tsx = fromSources ? import.meta.resolve('tsx/esm/api') : undefined;
    for (let i = 0; i < threads; i++) {
      const guard = nativeGuard();
      const worker = new Worker(BOOT, { eval: true, workerData: { entry, tsx, nativeGuard: guard }, resourceLimits: { maxOldGenerationSizeMb: 128 } });
      this.guards.push(guard);
      worker.unref();
      worker.on('error', (err) => {
        if (!this.closed) this.fail(`a sender recovery thread failed: ${err.message}`);
      });
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(`a sender recovery thread exited (code ${code})`);
      });
      this.booted.push(
        new Promise((resolve) => {
          worker.once('message', resolve); // its only message: it has booted
          worker.once('exit', resolve);
        }),
      );
      this.workers.push(worker);
    }
  }

  /** Worker threads running (0 once one failed: everything is recovered inline then). */
  get threads(): number {
    return this.broken ? 0 : this.workers.length;
  }

  /**
   * Offers decoded transactions for recovery ahead of time, each under the
   * caller's own byte array (`keys[i]` for `txs[i]`); {@link take} then gets
   * each one's sender. A key already offered is not offered again; beyond
   * {@link MAX_OUTSTANDING_TXS}, the oldest offers are withdrawn.
   */
  offer(keys: readonly Uint8Array[], txs: readonly Signed[]): void {
    if (this.workers.length === 0 || this.broken || this.closed) return;
    const fresh: number[] = [];
    for (let i = 0; i < keys.length && fresh.length < MAX_OUTSTANDING_TXS; i++) if (!this.offered.has(keys[i]!)) fresh.push(i);
    if (fresh.length < MIN_BATCH) return;
    // Offers nobody took (a connection closed before its queued requests ran) make room for new ones.
    while (this.batches.length > 0 && this.outstanding + fresh.length > MAX_OUTSTANDING_TXS) this.withdraw(this.batches[0]!);
    const n = fresh.length;
    const job: RecoveryJob = new SharedArrayBuffer((24 + SIGNATURE_BYTES) * n);
    const { claims, senders, signatures } = jobViews(job, n);
    const batch: Batch = { claims, senders, keys: [], open: n };
    for (let j = 0; j < n; j++) {
      const tx = txs[fresh[j]!]!;
      const at = SIGNATURE_BYTES * j;
      signatures.set(tx.signingHash, at);
      signatures.set(tx.r, at + 64 - tx.r.length);
      signatures.set(tx.s, at + 96 - tx.s.length);
      signatures[at + 96] = tx.recovery;
      const key = keys[fresh[j]!]!;
      batch.keys.push(key);
      this.offered.set(key, { batch, index: j });
    }
    this.batches.push(batch);
    this.outstanding += n;
    // Round robin: with several workers, consecutive batches go to different cores.
    this.workers[this.next++ % this.workers.length]!.postMessage(job);
  }

  /**
   * The 20-byte sender of an offered transaction, if a worker recovered it;
   * undefined if the caller must recover it itself (not offered, claimed by
   * the main thread first, or its signature recovers no key).
   */
  take(key: Uint8Array): Uint8Array | undefined {
    const entry = this.offered.get(key);
    if (entry === undefined) return undefined;
    this.offered.delete(key);
    const { batch, index } = entry;
    if (--batch.open === 0) this.retire(batch);
    let claim = Atomics.compareExchange(batch.claims, index, Claim.Free, Claim.Main);
    if (claim === Claim.Free) return undefined;
    if (claim === Claim.Worker && !this.broken) {
      Atomics.wait(batch.claims, index, Claim.Worker, WAIT_MS);
      claim = Atomics.load(batch.claims, index);
    }
    if (claim !== Claim.Recovered) return undefined;
    return batch.senders.slice(20 * index, 20 * index + 20);
  }

  /** Withdraws one offer nobody will take (a rejected proposal's unread transactions): no worker starts it, and its key is let go. */
  release(key: Uint8Array): void {
    const entry = this.offered.get(key);
    if (entry === undefined) return;
    this.offered.delete(key);
    Atomics.compareExchange(entry.batch.claims, entry.index, Claim.Free, Claim.Main);
    if (--entry.batch.open === 0) this.retire(entry.batch);
  }

  /** Stops the workers (each once it has booted and is not in a native call: util/worker-stop.ts); later offers are ignored. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.forgetAll();
    await Promise.all(this.workers.map((worker, i) => stopWorker(worker, this.guards[i]!, this.booted[i]!)));
  }

  private retire(batch: Batch): void {
    const i = this.batches.indexOf(batch);
    if (i >= 0) this.batches.splice(i, 1);
    this.outstanding -= batch.keys.length;
  }

  /** Withdraws a batch's offers: its free transactions are claimed for the main thread, so no worker starts them. */
  private withdraw(batch: Batch): void {
    for (let i = 0; i < batch.keys.length; i++) {
      Atomics.compareExchange(batch.claims, i, Claim.Free, Claim.Main);
      const key = batch.keys[i]!;
      if (this.offered.get(key)?.batch === batch) this.offered.delete(key);
    }
    this.retire(batch);
  }

  private forgetAll(): void {
    while (this.batches.length > 0) this.withdraw(this.batches[0]!);
  }

  private fail(message: string): void {
    if (this.broken) return;
    this.broken = true;
    this.forgetAll();
    this.log.error(`${message}; senders are recovered on the main thread from now on`);
  }
}

/** The worker is started from a string so the same code loads TypeScript sources (through tsx) or the build. */
const BOOT = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx !== undefined) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((err) => setImmediate(() => { throw err; }));`;
