/** Byte-array helpers every room uses. */

/** Whether two byte arrays hold the same bytes (views of any offset compare by content). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
