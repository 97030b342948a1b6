/**
 * The dapp template (examples/dapp/, README "Build a dapp") against a real
 * `cmtd dev`: `hardhat run scripts/deploy.cjs --network cmtdDev` compiles
 * the contracts with the local solc for the chain's EVM version and deploys
 * them; `scripts/interact.cjs` calls each of them. The chain is then read
 * with ethers to check that the script's steps really happened.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, getAddress } from 'ethers';
import { devAccounts } from '../../src/localnet/network.js';
import { loadContract } from '../support/contracts.js';
import { tempDir } from '../support/chain.js';
import { hardhatEnv, run, startDev, type DevChain } from '../support/hardhat.js';

const CONFIG = 'examples/dapp/hardhat.config.cjs';
const NAMES = ['LoyaltyToken', 'Escrow', 'LoanRepaymentPlan', 'InsurancePlan'] as const;

/** Runtime code without its trailing CBOR metadata (its length is in the last two bytes). */
function withoutMetadata(code: string): string {
  const length = Number.parseInt(code.slice(-4), 16);
  return code.slice(0, code.length - (length + 2) * 2);
}

describe('dapp template on cmtd dev', { timeout: 600_000 }, () => {
  let dev: DevChain;
  let provider: JsonRpcProvider;
  let out: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dev = await startDev(['--accounts', '10', '--block-time', '500ms']);
    provider = new JsonRpcProvider(dev.rpcUrl, 18, { staticNetwork: true, pollingInterval: 200 });
    out = tempDir('dapp');
    env = hardhatEnv({ CMTD_RPC_URL: dev.rpcUrl, CMTD_HARDHAT_OUT: out });
  });
  after(async () => {
    provider?.destroy();
    if (dev !== undefined) assert.equal(await dev.stop(), 0, dev.output());
    if (out !== undefined && process.env.CMTD_KEEP_TEST_FILES === undefined) rmSync(out, { recursive: true, force: true });
  });

  it('deploys the contracts with scripts/deploy.cjs', async () => {
    const { code, output } = await run('npx', ['--no-install', 'hardhat', 'run', '--config', CONFIG, '--network', 'cmtdDev', 'examples/dapp/scripts/deploy.cjs'], env, 300_000);
    assert.equal(code, 0, output);
    assert.match(output, /Compiled \d+ Solidity files? successfully \(evm target: cancun\)/);
    const file = join(out, 'deployments', 'cmtdDev.json');
    assert.ok(existsSync(file), output);
    const deployment = JSON.parse(readFileSync(file, 'utf8')) as { chainId: number; contracts: Record<string, string> };
    assert.equal(deployment.chainId, 18);
    for (const name of NAMES) {
      const address = deployment.contracts[name];
      assert.ok(address !== undefined, `${name} deployed`);
      const code = await provider.getCode(address);
      assert.notEqual(code, '0x', `${name} has code`);
      // InsurancePlan's code holds its immutables (filled in at deployment): compare the others.
      if (name === 'InsurancePlan') continue;
      const artifact = JSON.parse(readFileSync(join(out, 'artifacts', 'contracts', `${name}.sol`, `${name}.json`), 'utf8')) as { deployedBytecode: string };
      assert.equal(code, artifact.deployedBytecode, `${name}: the template's build is on the chain`);
      // The same code as the repository's own build (optimizer, EVM version), up to the metadata hash of the source paths.
      assert.equal(withoutMetadata(code), withoutMetadata(loadContract(name).deployedBytecode), `${name} code`);
    }
  });

  it('calls every contract with scripts/interact.cjs', async () => {
    const { code, output } = await run('npx', ['--no-install', 'hardhat', 'run', '--config', CONFIG, '--network', 'cmtdDev', 'examples/dapp/scripts/interact.cjs'], env, 300_000);
    assert.equal(code, 0, output);
    const line = /dapp summary: (\{.*\})/.exec(output);
    assert.ok(line !== null, output);
    const summary = JSON.parse(line[1]!) as Record<string, string>;
    assert.deepEqual(summary, { orderId: '1', orderStatus: '3', loanId: '1', loanStatus: '3', coverId: '1', premium: (4n * 10n ** 16n).toString(), points: '100' });

    const { contracts: at } = JSON.parse(readFileSync(join(out, 'deployments', 'cmtdDev.json'), 'utf8')) as { contracts: Record<string, string> };
    const contract = (name: (typeof NAMES)[number]): Contract => new Contract(at[name]!, loadContract(name).abi, provider);
    const [, seller, buyer, , depositor] = devAccounts(5).map((a) => getAddress(a.address));
    const order = (await contract('Escrow').getFunction('orders')(1n)) as { status: bigint; seller: string; buyer: string };
    assert.deepEqual([order.status, order.seller, order.buyer], [3n, seller, buyer]);
    assert.equal(((await contract('LoanRepaymentPlan').getFunction('loan')(1n)) as { status: bigint }).status, 3n);
    const pool = contract('InsurancePlan');
    assert.deepEqual([await pool.getFunction('solvencyRatioBps')(), await pool.getFunction('premiumBps')()], [5_000n, 200n]);
    assert.equal(await pool.getFunction('sharesOf')(depositor), 10n * 10n ** 18n);
    assert.equal(await pool.getFunction('activeCover')(), 2n * 10n ** 18n);
    assert.equal(await contract('LoyaltyToken').getFunction('balanceOf')(buyer), 100n);
  });
});
