/**
 * Native hashing and signature recovery. Both bindings are loaded explicitly:
 * the `secp256k1` and `keccak` packages silently fall back to pure JS when
 * their addon fails to load, which is ~25x slower; here a missing addon is a
 * startup error instead.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { isMainThread, workerData } from 'node:worker_threads';
import { WorkerStoppingError, guardCells } from './worker-stop.js';

const require = createRequire(import.meta.url);

interface KeccakStateNative {
  initialize(rate: number, capacity: number): void;
  absorb(data: Uint8Array): void;
  squeeze(length: number): Buffer;
}
type KeccakStateCtor = new () => KeccakStateNative;

interface Secp256k1Native {
  /** Output length picks the encoding: 65 bytes = uncompressed. Returns 0 on success. */
  ecdsaRecover(output: Uint8Array, sig: Uint8Array, recid: number, msg32: Uint8Array): number;
  ecdsaSign(output: { signature: Uint8Array; recid: number }, msg32: Uint8Array, seckey: Uint8Array, data: Uint8Array | undefined, noncefn: undefined): number;
  publicKeyCreate(output: Uint8Array, seckey: Uint8Array): number;
}

function loadNative<T>(pkg: string, check: (m: unknown) => m is T): T {
  let loaded: unknown;
  try {
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    loaded = nodeGypBuild(dirname(require.resolve(`${pkg}/package.json`)));
  } catch (err) {
    throw new Error(`the native ${pkg} addon failed to load (${(err as Error).message}); reinstall with 'npm ci' on linux-x64/arm64`);
  }
  if (!check(loaded)) throw new Error(`the native ${pkg} addon has an unexpected shape`);
  return loaded;
}

const KeccakState = loadNative<KeccakStateCtor>('keccak', (m): m is KeccakStateCtor => typeof m === 'function');
type Secp256k1Addon = { Secp256k1: new () => Secp256k1Native };
const secp = new (loadNative<Secp256k1Addon>('secp256k1', (m): m is Secp256k1Addon => typeof (m as { Secp256k1?: unknown }).Secp256k1 === 'function').Secp256k1)();

// One native sponge, re-initialised per hash (as the keccak package itself
// does): creating a native object per call was ~40% of decoding a transaction.
const keccakState = new KeccakState();

/**
 * In a worker thread started with a native-call guard (util/worker-stop.ts):
 * every native call says it is in one, and none starts once a stop is asked,
 * so the thread can be terminated without interrupting a native call (which
 * aborts the whole process). Absent on the main thread.
 */
const guard = isMainThread ? undefined : guardCells(workerData);

function enterNative(): void {
  if (guard === undefined) return;
  Atomics.store(guard, 1, 1); // in a native call: before the stop flag is read (util/worker-stop.ts)
  if (Atomics.load(guard, 0) !== 0) {
    Atomics.store(guard, 1, 0);
    throw new WorkerStoppingError();
  }
}

function leaveNative(): void {
  if (guard !== undefined) Atomics.store(guard, 1, 0);
}

/** keccak-256 (Ethereum's, not NIST SHA3). */
export function keccak256(data: Uint8Array): Uint8Array {
  enterNative();
  try {
    keccakState.initialize(1088, 512);
    keccakState.absorb(data);
    return keccakState.squeeze(32);
  } finally {
    leaveNative();
  }
}

/**
 * Recovers the 20-byte Ethereum address that signed `hash`, or undefined when
 * the signature is invalid. `r` and `s` are 32-byte big-endian.
 */
// Scratch buffers for recoverAddress: it is synchronous, so one pair serves every call.
const recoverSig = new Uint8Array(64);
const recoverPub = new Uint8Array(65);

export function recoverAddress(hash: Uint8Array, r: Uint8Array, s: Uint8Array, recovery: number): Uint8Array | undefined {
  const sig = recoverSig;
  sig.fill(0);
  sig.set(r, 32 - r.length);
  sig.set(s, 64 - s.length);
  const pub = recoverPub;
  // The binding returns 0 on success, non-zero for an unrecoverable signature.
  enterNative();
  let failed: boolean;
  try {
    failed = secp.ecdsaRecover(pub, sig, recovery, hash) !== 0;
  } finally {
    leaveNative();
  }
  if (failed) return undefined;
  return keccak256(pub.subarray(1)).subarray(12);
}

/** Signs a 32-byte hash; used by tools and tests that build transactions natively. */
export function signHash(hash: Uint8Array, privateKey: Uint8Array): { r: Uint8Array; s: Uint8Array; recovery: number } {
  const out = { signature: new Uint8Array(64), recid: -1 };
  enterNative();
  let status: number;
  try {
    status = secp.ecdsaSign(out, hash, privateKey, undefined, undefined);
  } finally {
    leaveNative();
  }
  if (status !== 0) throw new Error('signing failed: invalid private key');
  return { r: out.signature.slice(0, 32), s: out.signature.slice(32), recovery: out.recid };
}

export function privateKeyToAddress(privateKey: Uint8Array): Uint8Array {
  const pub = new Uint8Array(65);
  enterNative();
  let status: number;
  try {
    status = secp.publicKeyCreate(pub, privateKey);
  } finally {
    leaveNative();
  }
  if (status !== 0) throw new Error('invalid private key');
  return keccak256(pub.subarray(1)).subarray(12);
}
