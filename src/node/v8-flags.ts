/**
 * The V8 flags a cmtd node runs with. V8 reads them only at process start,
 * so every launcher passes them: the `cmtd` executable's first line,
 * `cmtd node` and localnets (localnet/network.ts defaultCmtdCommand), the
 * Docker image, the benches (bench/run.ts).
 *
 * --max-semi-space-size=64: a block keeps what it builds (changes, tree
 * nodes, records) until its commit, so with V8's default 16 MiB young
 * generation much of it is copied by several scavenges and promoted. At
 * 1,000,000 accounts a 10,000-transfer block spent ≈ 840 ms of main thread
 * with the default and ≈ 750 ms with 64 MiB, for ≈ 200 MiB more RSS
 * (BENCHMARKS.md, 2026-12-04 23:38).
 */
export const NODE_V8_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** A flag's name as V8 reads it ('_' and '-' are the same to V8). */
function flagName(arg: string): string {
  return arg.split('=')[0]!.replaceAll('_', '-');
}

/**
 * The flags of {@link NODE_V8_FLAGS} this process was started without, on
 * its command line or in NODE_OPTIONS. A flag given with another value
 * counts as given: that is the operator's choice.
 */
export function missingV8Flags(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env['NODE_OPTIONS'] ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  return NODE_V8_FLAGS.filter((flag) => !given.has(flagName(flag)));
}
