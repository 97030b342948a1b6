/**
 * SHA-256, the one implementation. Three forms: bytes for everyone, the
 * 32-character 'binary' (latin1) string the Merkle tree keeps its hashes in
 * (cheap to compare and use as Map keys), and many 64-byte blocks at once
 * (the tree's pair hashes, {@link sha256Pairs}).
 */
import { hash } from 'node:crypto';
import { createRequire } from 'node:module';

export function sha256(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}

/** SHA-256 as a 32-character latin1 string (src/store/tree.ts's hash form). */
export function sha256Binary(data: Uint8Array): string {
  return hash('sha256', data, 'binary');
}

type HashInto = (input: Uint8Array, output: Uint8Array) => void;

/**
 * @chainsafe/hashtree (prysm's hashtree: SHA-NI and AVX2 assembly behind
 * N-API) where its prebuilt binary loads; undefined elsewhere.
 */
function loadHashtree(): HashInto | undefined {
  try {
    const { hashInto } = createRequire(import.meta.url)('@chainsafe/hashtree') as { hashInto: HashInto };
    return hashInto;
  } catch {
    return undefined;
  }
}
const hashtreeInto = loadHashtree();

/** Whether {@link sha256Pairs} runs on hashtree's binary (`cmtd start` warns when not). */
export const NATIVE_PAIR_HASHING = hashtreeInto !== undefined;

/**
 * SHA-256 of each 64-byte block of `input`, into the 32-byte slots of
 * `output` (half as long). One call hashes a whole level of the tree's
 * binary folds: ≈ 40 ns a hash, against ≈ 400–800 ns for a call of Node's
 * hash, most of which is the call itself. Where hashtree's binary does not
 * load, Node's crypto hashes each block: the same bytes, slower.
 */
export function sha256Pairs(input: Uint8Array, output: Uint8Array): void {
  if (input.length % 64 !== 0 || output.length * 2 !== input.length) throw new RangeError(`sha256Pairs: ${input.length} input bytes for ${output.length} output bytes`);
  if (hashtreeInto !== undefined) hashtreeInto(input, output);
  else sha256PairsWithCrypto(input, output);
}

/** {@link sha256Pairs} by Node's crypto, a call a block: where hashtree's binary does not load. */
export function sha256PairsWithCrypto(input: Uint8Array, output: Uint8Array): void {
  // a latin1 string comes out of Node's hash ≈ 3× faster than a Buffer
  const out = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  for (let i = 0; i < input.length / 64; i++) out.write(hash('sha256', input.subarray(64 * i, 64 * i + 64), 'binary'), 32 * i, 'latin1');
}
