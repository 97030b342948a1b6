/**
 * The Hardhat project (test/hardhat/) against `cmtd dev` as a developer
 * runs it: `hardhat test --network cmtd` with no private key anywhere in its
 * configuration. `ethers.getSigners()` are the dev chain's accounts
 * (eth_accounts) and every transaction is signed by cmtd dev
 * (eth_sendTransaction); the escrow and loyalty-token tests pass as they do
 * with local keys (test/integration/hardhat.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/chain.js';
import { hardhatEnv, runHardhatTests, startDev, type DevChain } from '../support/hardhat.js';

describe('Hardhat project against cmtd dev, signers from eth_accounts', { timeout: 600_000 }, () => {
  let dev: DevChain;
  let out: string;

  before(async () => {
    dev = await startDev(['--accounts', '6']);
    out = tempDir('hardhat-dev-out');
  });
  after(async () => {
    await dev?.stop();
    if (out !== undefined && process.env.CMTD_KEEP_TEST_FILES === undefined) rmSync(out, { recursive: true, force: true });
  });

  it('runs `hardhat test --network cmtd` with no keys in its config: every test passes, every transaction signed by cmtd dev', async () => {
    const report = join(out, 'report.json');
    const env = hardhatEnv({ CMTD_RPC_URL: dev.rpcUrl, CMTD_HARDHAT_OUT: out, CMTD_HARDHAT_REPORT: report });
    delete env.CMTD_PRIVATE_KEYS;
    const result = await runHardhatTests(env);
    assert.ok(result.stats.passes >= 11, `the escrow and loyalty-token tests ran (${result.stats.passes} passed)`);
    assert.equal(result.stats.pending, 0);
    // The transactions came from the dev accounts and were printed as mined, deployments as contracts created.
    const printed = dev.output();
    assert.match(printed, /contract created 0x[0-9a-f]{40}/);
    const accounts = [...printed.matchAll(/^\((\d)\) (0x[0-9a-f]{40})/gm)].map((m) => m[2]!);
    assert.equal(accounts.length, 6, printed);
    const senders = new Set([...printed.matchAll(/^ {2}0x[0-9a-f]{64} {2}(0x[0-9a-f]{40}) → /gm)].map((m) => m[1]!));
    assert.ok(senders.size >= 3, `several dev accounts sent transactions: ${[...senders].join(', ')}`);
    // The faucet sends evm_mine's blocks (the escrow test waits for block time on a chain that is otherwise idle).
    const faucet = /^faucet +(0x[0-9a-f]{40})/m.exec(printed)?.[1];
    for (const sender of senders) assert.ok(accounts.includes(sender) || sender === faucet, `${sender} is a development account or the faucet`);
  });
});
