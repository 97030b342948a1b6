#!/usr/bin/env node
// Runs the test suites with node's built-in runner (TypeScript through tsx).
//   node scripts/run-tests.mjs [unit|integration|e2e ...]   (default: all tiers)
// Test files are test/<tier>/**/*.test.ts; a tier with no files is skipped.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const TIERS = ['unit', 'integration', 'e2e'];
const tiers = process.argv.slice(2).length > 0 ? process.argv.slice(2) : TIERS;
for (const tier of tiers) {
  if (!TIERS.includes(tier)) {
    console.error(`unknown test tier '${tier}'; expected one of ${TIERS.join(', ')}`);
    process.exit(2);
  }
}

function findTests(dir) {
  let entries;
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

// The integration and e2e tiers run `cmtd` with its staking dashboard (and test it in Chromium): build it first.
if (tiers.some((t) => t !== 'unit')) {
  const built = spawnSync(process.execPath, ['scripts/build-ui.mjs'], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const files = tiers.flatMap((tier) => findTests(join('test', tier)));
if (files.length === 0) {
  console.error(`no test files found for ${tiers.join(', ')}`);
  process.exit(1);
}
// Integration tests start real CometBFT processes: run files one at a time so
// two of them never compete for the machine's two cores or for ports.
const concurrency = tiers.every((t) => t === 'unit') ? 2 : 1;
// TAP as it goes, then a list of what failed (scripts/test-failures-reporter.mjs).
const reporters = ['--test-reporter=tap', '--test-reporter-destination=stdout', '--test-reporter=./scripts/test-failures-reporter.mjs', '--test-reporter-destination=stdout'];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
