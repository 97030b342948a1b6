/**
 * The contract library's own checks, as CI runs them: solhint over
 * contracts/ with no warning allowed, and the Hardhat unit tests
 * (test/hardhat/unit/, Hardhat's in-process network with time travel) under
 * solidity-coverage, which must pass every test and cover at least 95 % of
 * the branches of the library (contracts/*.sol and contracts/utils/).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/chain.js';
import { hardhatEnv, run, type MochaJsonReport } from '../support/hardhat.js';

const MIN_BRANCH_PCT = 95;
/** The contracts whose branches are measured (test doubles and interfaces are skipped in .solcover.cjs). */
const MEASURED = ['Escrow.sol', 'LoanRepaymentPlan.sol', 'InsurancePlan.sol', 'LoyaltyToken.sol', 'utils/Payouts.sol'];

interface CoverageSummary {
  [file: string]: { branches: { total: number; covered: number; pct: number } };
}

describe('contract library: lint, unit tests and coverage', { timeout: 900_000 }, () => {
  let out: string;
  before(() => {
    out = tempDir('contracts');
  });
  after(() => {
    if (process.env.CMTD_KEEP_TEST_FILES === undefined) rmSync(out, { recursive: true, force: true });
  });

  it('solhint finds nothing in contracts/', async () => {
    const { code, output } = await run('npx', ['--no-install', 'solhint', '--max-warnings', '0', '--disc', '-f', 'unix', 'contracts/**/*.sol'], hardhatEnv({}), 120_000);
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /\[(Warning|Error)\//, output);
  });

  it('passes every unit test under solidity-coverage with ≥ 95 % of branches covered', async () => {
    const report = join(out, 'report.json');
    const { code, output } = await run(
      'npx',
      ['--no-install', 'hardhat', 'coverage', '--config', 'test/hardhat/hardhat.unit.config.cjs', '--solcoverjs', 'test/hardhat/.solcover.cjs'],
      hardhatEnv({ CMTD_HARDHAT_OUT: out, CMTD_HARDHAT_REPORT: report }),
      840_000,
    );
    assert.ok(existsSync(report), `hardhat coverage wrote no test report (exit code ${code}):\n${output}`);
    const result = JSON.parse(readFileSync(report, 'utf8')) as MochaJsonReport;
    const failures = result.failures.map((f) => `${f.fullTitle}: ${f.err.stack ?? f.err.message ?? ''}`).join('\n\n');
    assert.equal(result.stats.failures, 0, failures);
    assert.equal(result.stats.pending, 0);
    assert.ok(result.stats.passes >= 30, `${result.stats.passes} unit tests passed`);
    for (const suite of ['Escrow (unit)', 'LoanRepaymentPlan (unit)', 'InsurancePlan (unit)', 'LoyaltyToken (unit)']) {
      assert.ok(
        result.passes.some((p) => p.fullTitle.startsWith(suite)),
        `${suite} ran`,
      );
    }
    assert.equal(code, 0, output);

    const summary = JSON.parse(readFileSync(join(out, 'coverage', 'coverage-summary.json'), 'utf8')) as CoverageSummary;
    const files = Object.keys(summary).filter((f) => f !== 'total');
    for (const name of MEASURED)
      assert.ok(
        files.some((f) => f.endsWith(`contracts/${name}`)),
        `${name} is measured`,
      );
    const { pct, covered, total } = summary['total']!.branches;
    assert.ok(total > 100, `${total} branches measured`);
    assert.ok(pct >= MIN_BRANCH_PCT, `branch coverage ${pct} % (${covered}/${total}) is below ${MIN_BRANCH_PCT} %:\n${output}`);
  });
});
