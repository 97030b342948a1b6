// Mutation testing of the consensus code (docs/TESTING.md "Mutation testing").
//   npm run mutate                                # every consensus folder (hours on a loaded machine)
//   npm run mutate -- --mutate 'src/staking/**/*.ts'   # one folder
// Not part of CI. Each mutant runs, through the tap runner, only the unit test
// files that cover it (coverage per test file); the TypeScript checker drops
// mutants that do not compile before they run.

/** Fast unit tests of the consensus folders (staking-whitepaper and the simulator take minutes each: left out). */
const testFiles = [
  'test/unit/staking-{abi,blocks,inflation,limits,math,ops,principal,property,exact}.test.ts',
  'test/unit/gov-*.test.ts',
  'test/unit/app*.test.ts',
  'test/unit/tx-*.test.ts',
  'test/unit/store-{committed,kv,lru,tree}.test.ts',
  'test/unit/{params,genesis-canonical,export-roundtrip,evm-system-calls,recorded-chain,replay-divergence}.test.ts',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'tap',
  tap: {
    testFiles,
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
    forceBail: true,
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    'src/{staking,gov,app,tx,store,state}/**/*.ts',
    // Test helpers that live in src/ but are no consensus code.
    '!src/staking/testkit.ts',
  ],
  coverageAnalysis: 'perTest',
  // A static mutant (module-level code) would need every test file for itself.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  concurrency: 2,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
