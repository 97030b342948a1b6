/**
 * Stopping worker threads that load native addons. Terminating a thread
 * while it still evaluates its modules aborts the whole process when the
 * interrupted module was constructing a native object: napi_wrap fails in
 * the tearing-down thread and node-addon-api's error path is a fatal error
 * ("Error::Error napi_create_reference", seen with the keccak addon that
 * util/crypto.ts loads). So a thread is terminated once it has booted, and
 * before that only as a last resort, after a grace period.
 */
import type { Worker } from 'node:worker_threads';

/** How long {@link terminateAfterBoot} waits for a thread to boot. */
export const BOOT_GRACE_MS = 30_000;

/** Terminates `worker` once `booted` settles (its thread is past loading its modules), or after `graceMs`. */
export async function terminateAfterBoot(worker: Worker, booted: Promise<unknown>, graceMs = BOOT_GRACE_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([booted, grace]);
  clearTimeout(timer);
  await worker.terminate();
}
