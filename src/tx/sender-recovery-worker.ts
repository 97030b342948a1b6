/**
 * A sender recovery thread (src/tx/sender-recovery.ts starts it): for each
 * batch it is sent, it claims transactions from the back (the main thread
 * works from the front), recovers each signature with the same native call
 * the main thread uses, writes the 20-byte sender and wakes a main thread
 * that may be waiting for it. It says when it has booted (the pool then
 * may terminate it: util/worker-stop.ts).
 */
import { parentPort } from 'node:worker_threads';
import { Claim, jobViews, SIGNATURE_BYTES, type RecoveryJob } from './sender-recovery.js';
import { recoverAddress } from '../util/crypto.js';

parentPort!.on('message', (job: RecoveryJob) => {
  const n = job.byteLength / (24 + SIGNATURE_BYTES);
  const { claims, senders, signatures } = jobViews(job, n);
  for (let i = n - 1; i >= 0; i--) {
    if (Atomics.compareExchange(claims, i, Claim.Free, Claim.Worker) !== Claim.Free) continue;
    const at = SIGNATURE_BYTES * i;
    // Copies: the native call must not read shared memory another thread could write.
    const sender = recoverAddress(signatures.slice(at, at + 32), signatures.slice(at + 32, at + 64), signatures.slice(at + 64, at + 96), signatures[at + 96]!);
    if (sender !== undefined) senders.set(sender, 20 * i);
    Atomics.store(claims, i, sender === undefined ? Claim.Failed : Claim.Recovered);
    Atomics.notify(claims, i);
  }
});
parentPort!.postMessage('booted');
