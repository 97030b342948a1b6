/** State keys: validity and byte order (shared by the store, genesis and export). */

/**
 * True when `key` can be a state key: a well-formed UTF-16 string (no lone
 * surrogate, so its UTF-8 encoding is lossless) without U+0000 (the history
 * index ends a key with a 0x00 byte, see docs/STORE.md).
 */
export function isWellFormedKey(key: string): boolean {
  return (key as unknown as { isWellFormed(): boolean }).isWellFormed() && !key.includes('\0');
}

/**
 * Compares two keys by the byte order of their UTF-8 encodings, without
 * encoding them. UTF-16 code-unit order equals UTF-8 byte order except that
 * surrogates (0xD800-0xDFFF, which encode code points >= 0x10000) must sort
 * after 0xE000-0xFFFF.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}
