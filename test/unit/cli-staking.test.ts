/** `cmtd simulate` and `cmtd economics` through the real CLI entry point. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';

const run = promisify(execFile);
const CMT = 10n ** 18n;

function cmtd(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]);
}

function address(i: number): string {
  return `0x${(0xc0ffee00 + i).toString(16).padStart(40, '0')}`;
}

function pubKey(i: number): string {
  return createHash('sha256').update(`sim-key-${i}`).digest('base64');
}

describe('cmtd simulate / economics', () => {
  let dir: string;
  let genesisPath: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-cli-'));
    genesisPath = join(dir, 'genesis.json');
    const candidates = [0, 1, 2, 3].map((i) => ({
      address: address(i),
      pub_key: pubKey(i),
      max_stake: (100_000n * CMT).toString(),
      self_stake: (10_000n * CMT).toString(),
      comp_rate_bp: 2000,
      description: { name: `v${i}` },
      verified: false,
    }));
    const appState = { params: { max_validators: 4, backup_validators: 0 }, accounts: [{ address: address(9), balance: (1_000n * CMT).toString() }], candidates };
    // A CometBFT genesis.json: the app_state is read from inside it.
    writeFileSync(genesisPath, JSON.stringify({ chain_id: 'sim', app_state: appState }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('slashes and removes a validator absent for 12 blocks, and keeps supply = genesis + minted − burned', async () => {
    const { stdout } = await cmtd('simulate', '--genesis', genesisPath, '--blocks', '40', '--absent', `${address(1)}:5-30`, '--json');
    const result = JSON.parse(stdout) as {
      supply: string;
      genesis_supply: string;
      minted: string;
      burned: string;
      addresses: Array<{ address: string; stake: string; earned: string; slashed: string }>;
      removals: Array<{ address: string; height: string }>;
    };
    assert.equal(BigInt(result.supply), BigInt(result.genesis_supply) + BigInt(result.minted) - BigInt(result.burned));
    assert.ok(BigInt(result.minted) > 0n);
    const absent = result.addresses.find((a) => a.address === address(1))!;
    const present = result.addresses.find((a) => a.address === address(0))!;
    // 12 misses of 0.1% each before removal: just under 1.2% of its stake.
    const slashed = BigInt(absent.slashed);
    assert.ok(slashed > (10_000n * CMT * 115n) / 10_000n && slashed <= (10_100n * CMT * 120n) / 10_000n, `slashed ${slashed}`);
    assert.equal(BigInt(result.burned), slashed);
    assert.equal(BigInt(present.slashed), 0n);
    assert.ok(BigInt(present.earned) > BigInt(absent.earned), 'the absent validator earned less');
    assert.deepEqual(
      result.removals.map((r) => r.address),
      [address(1)],
    );
  });

  it('prints a table for people', async () => {
    const { stdout } = await cmtd('simulate', '--genesis', genesisPath, '--blocks', '5');
    assert.match(stdout, /address\s+balance\s+stake\s+earned\s+slashed/);
    assert.match(stdout, /5 blocks: supply/);
  });

  it('refuses bad flags with a message that says what to do', async () => {
    await assert.rejects(cmtd('simulate', '--genesis', genesisPath, '--blocks', '5', '--absent', 'nope'), /ADDRESS:FROM-TO/);
  });

  it('economics refuses out-of-range inputs with a clear error and exit status 2 (issue 9.7)', async () => {
    const base = ['economics', '--stake-ratio', '25%', '--self-stake-ratio', '10%', '--comp-rate', '20%'];
    for (const [args, message] of [
      [['--award-share', '90%', '--stake-share', '0'], /--stake-share must be above 0 and at most 100%, got '0'/],
      [['--stake-ratio', '0'], /--stake-ratio must be above 0/],
      [['--self-stake-ratio', '0%'], /--self-stake-ratio must be above 0/],
      [['--comp-rate', '100%'], /--comp-rate must be from 0 to below 100%/],
      [['--inflation', '9%'], /--inflation must be from 0 to 8%/],
      [['--stake-ratio', '2'], /at most 100%/],
      [['--award-share', '90%'], /go together/],
    ] as const) {
      await assert.rejects(cmtd(...base, ...args), (err: { code?: number; stderr?: string }) => {
        assert.equal(err.code, 2, `${args.join(' ')}: ${err.stderr}`);
        assert.match(err.stderr ?? '', message);
        return true;
      });
    }
  });

  it('economics reproduces the whitepaper row (25%, SSR 10%, C 50%): 176 and 16 per 100 CMT', async () => {
    const { stdout } = await cmtd('economics', '--stake-ratio', '25%', '--self-stake-ratio', '10%', '--comp-rate', '50%', '--output', 'json');
    const r = JSON.parse(stdout) as { validator_income_per_cmt: string; delegator_income_per_cmt: string };
    assert.equal(r.validator_income_per_cmt, '1.760000');
    assert.equal(r.delegator_income_per_cmt, '0.160000');
  });
});
