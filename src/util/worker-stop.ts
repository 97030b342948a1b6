/**
 * Stopping worker threads that call native addons. Terminating a thread in
 * the middle of a native call aborts the whole process: the addon's call
 * fails in the tearing-down thread and node-addon-api's error path is a
 * fatal error ("Error::Error napi_create_reference", seen with the keccak
 * addon that util/crypto.ts calls). Two moments are covered:
 * - while the thread evaluates its modules (util/crypto.ts constructs native
 *   objects as it loads): it is terminated once it says it has booted, and
 *   before that only as a last resort, after a grace period;
 * - afterwards, through a guard the thread gets in its workerData
 *   ({@link nativeGuard}): util/crypto.ts marks each native call in it and
 *   starts none once a stop is asked, and the thread is terminated only
 *   when no native call is in progress.
 */
import type { Worker } from 'node:worker_threads';

/** How long {@link stopWorker} waits for a thread to boot, and then for a native call to return. */
export const BOOT_GRACE_MS = 30_000;

/** Thrown by util/crypto.ts in a thread asked to stop, instead of starting a native call. */
export class WorkerStoppingError extends Error {
  override readonly name = 'WorkerStoppingError';
  constructor() {
    super('this worker thread is stopping: no native call starts now');
  }
}

/** A guard for a worker's workerData (`{ nativeGuard }`): cell 0, a stop is asked; cell 1, a native call is in progress. */
export function nativeGuard(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

/** The guard cells of a worker's workerData, if it was given one. */
export function guardCells(data: unknown): Int32Array | undefined {
  const buffer = (data as { nativeGuard?: unknown } | null | undefined)?.nativeGuard;
  return buffer instanceof SharedArrayBuffer && buffer.byteLength >= 8 ? new Int32Array(buffer, 0, 2) : undefined;
}

/**
 * Terminates `worker` once it has booted (`booted` settled) and then no
 * native call of its is in progress, asking (through `guard`) that none
 * starts; each wait ends after `graceMs` as a last resort.
 */
export async function stopWorker(worker: Worker, guard: SharedArrayBuffer, booted: Promise<unknown>, graceMs = BOOT_GRACE_MS): Promise<void> {
  const cells = new Int32Array(guard, 0, 2);
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once('exit', () => resolve())).then(() => {
    exited = true;
  });
  await Promise.race([booted, grace, exit]);
  // Only now: a thread asked to stop while booting could fail to boot. Stop before reading "in a
  // native call": the thread marks a call before it reads the stop (util/crypto.ts).
  Atomics.store(cells, 0, 1);
  const deadline = performance.now() + graceMs;
  while (!exited && Atomics.load(cells, 1) !== 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
  clearTimeout(timer);
  await worker.terminate();
}
