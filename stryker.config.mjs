// Mutation testing of the consensus code (docs/TESTING.md "Mutation testing").
//   npm run mutate                                # every consensus folder (hours on a loaded machine)
//   npm run mutate -- --mutate 'src/staking/**/*.ts'   # one folder
// Not part of CI. Each mutant runs, through the tap runner, only the unit test
// files that cover it (coverage per test file); the TypeScript checker drops
// mutants that do not compile before they run.

/**
 * The unit tests that exercise each consensus folder (fast ones: the
 * staking-whitepaper and simulator tests take minutes each and are left
 * out). The recorded chain pins the app hash of 240 blocks, so it runs for
 * every folder. `--mutate <folder glob>` picks the tests of the folders it
 * names; a run over everything uses all of them.
 */
const TESTS = {
  staking: [
    'test/unit/staking-{abi,blocks,inflation,limits,math,ops,principal,property,exact,records,slashing-edges,award-edges,power-edges,economics-edges,queries-edges,genesis-edges}.test.ts',
    'test/unit/staking-operations-*.test.ts',
    'test/unit/idle-block.test.ts',
    'test/unit/evm-system-calls.test.ts',
    // staking/queries.ts answers through the app's query routes
    'test/unit/app-query-routes.test.ts',
    'test/unit/rpc-cmt.test.ts',
    'test/unit/system-dispatcher.test.ts',
    'test/unit/system-events.test.ts',
  ],
  gov: [
    'test/unit/gov-edges.test.ts',
    'test/unit/gov-codec.test.ts',
    'test/unit/gov-proposals.test.ts',
    'test/unit/gov-contract.test.ts',
    'test/unit/gov-contract-edges.test.ts',
    'test/unit/gov-queries-edges.test.ts',
    'test/unit/system-events.test.ts',
    'test/unit/app-query-routes.test.ts',
    'test/unit/rpc-cmt.test.ts',
  ],
  app: [
    'test/unit/app*.test.ts',
    'test/unit/genesis-canonical.test.ts',
    'test/unit/export-roundtrip.test.ts',
    'test/unit/idle-block.test.ts',
    'test/unit/block-opening.test.ts',
    'test/unit/metrics.test.ts',
    'test/unit/statesync.test.ts',
    'test/unit/rpc-cmt.test.ts',
    'test/unit/state-keys.test.ts',
  ],
  tx: [
    'test/unit/tx-*.test.ts',
    'test/unit/app-admission.test.ts',
    'test/unit/app-recheck.test.ts',
    'test/unit/pending-pool-delegation.test.ts',
    'test/unit/evm-system-calls.test.ts',
    'test/unit/evm-call.test.ts',
  ],
  store: [
    'test/unit/store-{keys,off-heap-cache,off-heap-cache-policy,kv,tree,committed,deferred,bulk-load,proof-shapes,proof-forgery,tree-codec-edges,tree-update-edges,tree-proof-edges,committed-codec-edges,node-cache,bulk-load-edges,committed-open-edges,committed-read-edges,committed-defer-prune-edges,committed-commit-edges}.test.ts',
  ],
  state: ['test/unit/state-names.test.ts', 'test/unit/state-records.test.ts', 'test/unit/params.test.ts', 'test/unit/genesis-canonical.test.ts'],
  system: [
    'test/unit/system-dispatcher.test.ts',
    'test/unit/evm-system-calls.test.ts',
    'test/unit/staking-abi.test.ts',
    'test/unit/gov-contract.test.ts',
    'test/unit/gov-contract-edges.test.ts',
  ],
};
const ALWAYS = ['test/unit/recorded-chain.test.ts'];

/** The consensus folders a `--mutate` argument names (all of them without one). */
function foldersFor(argv) {
  const i = argv.findIndex((a) => a === '--mutate' || a === '-m');
  const target = i >= 0 ? (argv[i + 1] ?? '') : '';
  const folders = Object.keys(TESTS).filter((f) => target.includes(`src/${f}`));
  return folders.length > 0 ? folders : Object.keys(TESTS);
}
const folders = foldersFor(process.argv);
// CMTD_MUTATE_TESTS (comma-separated globs) replaces the folders' lists for a
// run whose file every test reaches (src/app/genesis.ts): the score is then
// that of the tests named, a lower bound of the suite's.
const chosenTests = process.env.CMTD_MUTATE_TESTS?.split(',').filter((t) => t !== '');
const testFiles = [...new Set([...(chosenTests ?? folders.flatMap((f) => TESTS[f])), ...ALWAYS])];
// One incremental file and report per folder, so a run of one folder does not
// throw away what a run of another remembered. CMTD_MUTATE_SCOPE names a
// narrower run (a few files of a folder) so it keeps its own.
const scope = process.env.CMTD_MUTATE_SCOPE ?? (folders.length === 1 ? folders[0] : 'all');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'tap',
  tap: {
    testFiles,
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
    forceBail: true,
  },
  // CMTD_MUTATE_NO_CHECK=1 skips the TypeScript checker: much faster where a
  // mutated file has many dependents to re-check (src/gov, src/staking), but
  // mutants that would not compile then run too (see docs/TESTING.md).
  checkers: process.env.CMTD_MUTATE_NO_CHECK === '1' ? [] : ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: ['src/{staking,gov,app,tx,store,state,system}/**/*.ts'],
  coverageAnalysis: 'perTest',
  // A static mutant (module-level code) would need every test file for itself.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${scope}.incremental.json`,
  // One test runner (and one checker): the machine is small and shared.
  concurrency: 1,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${scope}.html` },
  jsonReporter: { fileName: `reports/mutation/${scope}.json` },
  tempDirName: '.stryker-tmp',
  // Another run's sandbox (a second run with its own --tempDirName) is not
  // project code: copying it is slow and fails when that run ends first.
  ignorePatterns: ['/.stryker-tmp*', '/reports'],
  cleanTempDir: true,
};
