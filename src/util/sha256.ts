/**
 * SHA-256, the one implementation (Node's one-shot native hash). Two forms:
 * bytes for everyone, and the 32-character 'binary' (latin1) string the
 * Merkle tree keeps its hashes in (cheap to compare and use as Map keys).
 */
import { hash } from 'node:crypto';

export function sha256(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}

/** SHA-256 as a 32-character latin1 string (src/store/tree.ts's hash form). */
export function sha256Binary(data: Uint8Array): string {
  return hash('sha256', data, 'binary');
}
