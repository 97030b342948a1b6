/** The median of `xs` (the upper of the two middle values when their count is even); `xs` is not changed. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
