/**
 * A Hardhat project (test/hardhat/) against a real one-node chain: `npx
 * hardhat test --network cmtd` compiles contracts/*.sol with the local solc
 * package, deploys the escrow and the loyalty token with ethers through the
 * node's JSON-RPC gateway and runs its Mocha tests (escrow flow, events,
 * reverts with reasons). Telemetry and compiler downloads are off: nothing
 * leaves the machine.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalnet, tempDir } from '../support/chain.js';
import { ROOT, hardhatEnv, runHardhatTests } from '../support/hardhat.js';

/** The tests the Hardhat project must pass (test/hardhat/test/*.cjs). */
const EXPECTED = [
  'Escrow deploys the escrow contract',
  'Escrow pays the seller when the buyer confirms a shipped order',
  'Escrow refunds the buyer when the seller cancels',
  'Escrow lets the arbiter split a disputed order',
  'Escrow lets the seller claim payment once the confirmation window has passed',
  'Escrow reverts refused steps with Escrow reasons',
  'LoyaltyToken deploys the loyalty token with the merchant as owner',
  'LoyaltyToken mints points to customers with Transfer events',
  'LoyaltyToken transfers points between customers and through an allowance',
  'LoyaltyToken redeems points with a Redeemed event',
  'LoyaltyToken reverts with the custom errors of OpenZeppelin',
];

describe('Hardhat project against a cmtd node', { timeout: 600_000 }, () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let out: string;

  before(async () => {
    net = await startLocalnet('hardhat', { nodes: 1, accounts: 6, blockTime: '200ms' });
    await net.waitForHeight(2n);
    out = tempDir('hardhat-out');
  });
  after(async () => {
    await net?.cleanup();
    if (out !== undefined && process.env.CMTD_KEEP_TEST_FILES === undefined) rmSync(out, { recursive: true, force: true });
  });

  it('runs `hardhat test --network cmtd`: compiles, deploys and passes every test', async () => {
    const node = net.nodes[0]!;
    assert.ok(node.ethRpcUrl, 'the localnet serves the gateway');
    const report = join(out, 'report.json');
    const hardhatCli = join(ROOT, 'node_modules', '.bin', 'hardhat');
    assert.ok(existsSync(hardhatCli), 'hardhat is installed (npm install)');
    const env = hardhatEnv({
      CMTD_RPC_URL: node.ethRpcUrl,
      // Dev accounts 1-5 (account 0 operates the validator).
      CMTD_PRIVATE_KEYS: net.accounts
        .slice(1, 6)
        .map((a) => a.privateKey)
        .join(','),
      CMTD_HARDHAT_OUT: out,
      CMTD_HARDHAT_REPORT: report,
    });
    const result = await runHardhatTests(env);
    const passed = new Set(result.passes.map((p) => p.fullTitle));
    for (const name of EXPECTED) assert.ok(passed.has(name), `'${name}' passed`);
    assert.equal(result.stats.pending, 0);
    // The contracts were compiled by the local solc (no download) into our own output directory.
    assert.ok(existsSync(join(out, 'artifacts', 'contracts', 'Escrow.sol', 'Escrow.json')));
    assert.ok(existsSync(join(out, 'artifacts', 'contracts', 'LoyaltyToken.sol', 'LoyaltyToken.json')));
  });
});
