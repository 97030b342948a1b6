/** Which earlier blocks the history charts read (no DOM: unit-tested in Node). */

/** Samples `count` heights evenly over the last `span` blocks, oldest first, the head last. */
export function sampleHeights(head: bigint, span: bigint, count: number): bigint[] {
  const first = head - span < 1n ? 1n : head - span;
  const out = new Set<bigint>();
  for (let i = 0; i < count; i++) out.add(first + ((head - first) * BigInt(i)) / BigInt(Math.max(1, count - 1)));
  out.add(head);
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
