/**
 * `cmtd genesis add-account|add-candidate|add-delegation|validate` and
 * `cmtd init`: edits produce a genesis the node accepts, and validation
 * (the app's parser + InitChain on a throw-away state) catches an invalid
 * candidate with a message that says what is wrong.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultAppState, validateGenesisDoc, type GenesisDoc } from '../../src/cli/genesis.js';
import { cometbftBinary } from '../../src/localnet/cometbft.js';
import { DEFAULT_BLOCK_GAS_LIMIT } from '../../src/state/params.js';

const run = promisify(execFile);
const CMT = 10n ** 18n;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cmtd(args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...(process.env.COMETBFT_BIN ? { COMETBFT_BIN: process.env.COMETBFT_BIN } : {}), ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A CometBFT priv_validator_key.json for a fresh ed25519 key; returns the public key in base64. */
function writeValidatorKey(path: string): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const pub = raw.toString('base64');
  writeFileSync(path, JSON.stringify({ address: '', pub_key: { type: 'tendermint/PubKeyEd25519', value: pub }, priv_key: { type: 'tendermint/PrivKeyEd25519', value: '' } }));
  return pub;
}

function cometGenesis(): GenesisDoc {
  const { publicKey } = generateKeyPairSync('ed25519');
  return {
    genesis_time: '2024-01-01T00:00:00Z',
    chain_id: 'cli-test',
    initial_height: '1',
    consensus_params: { block: { max_bytes: '22020096', max_gas: '-1' } },
    validators: [
      {
        address: '',
        pub_key: { type: 'tendermint/PubKeyEd25519', value: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64') },
        power: '10',
        name: 'n0',
      },
    ],
    app_hash: '',
    app_state: defaultAppState(),
  };
}

const OPERATOR = '0x00000000000000000000000000000000000000a1';
const DELEGATOR = '0x00000000000000000000000000000000000000d1';

describe('cmtd genesis', () => {
  let dir: string;
  let file: string;
  let keyFile: string;
  let pubKey: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-cli-genesis-'));
    file = join(dir, 'genesis.json');
    keyFile = join(dir, 'priv_validator_key.json');
    pubKey = writeValidatorKey(keyFile);
    writeFileSync(file, JSON.stringify(cometGenesis(), null, 2));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the default app_state is valid: CometBFT's own validators stand", () => {
    const report = validateGenesisDoc(cometGenesis());
    assert.equal(report.validatorSource, 'cometbft');
    assert.equal(report.supply, 0n);
  });

  it('adds accounts, a candidate and a delegation that the node accepts', async () => {
    const g = ['--genesis', file, '--home', dir];
    const account = await cmtd(['genesis', 'add-account', ...g, '--account', OPERATOR, '--balance', '1000.5']);
    assert.equal(account.code, 0, account.stderr);
    const delegatorAccount = await cmtd(['genesis', 'add-account', ...g, '--balance', '2000000wei'], { CMTD_ACCOUNT: DELEGATOR });
    assert.equal(delegatorAccount.code, 0, delegatorAccount.stderr);
    const twice = await cmtd(['genesis', 'add-account', ...g, '--account', OPERATOR, '--balance', '1']);
    assert.match(twice.stderr, /already a genesis account/);

    const candidate = await cmtd([
      'genesis',
      'add-candidate',
      ...g,
      '--candidate',
      OPERATOR,
      '--pub-key',
      keyFile,
      '--max-stake',
      '100000',
      '--comp-rate',
      '20%',
      '--name',
      'alpha',
      '--website',
      'https://alpha.example',
    ]);
    assert.equal(candidate.code, 0, candidate.stderr);
    const delegation = await cmtd(['genesis', 'add-delegation', ...g, '--delegator', DELEGATOR, '--candidate', OPERATOR, '--amount', '5000']);
    assert.equal(delegation.code, 0, delegation.stderr);

    const doc = JSON.parse(readFileSync(file, 'utf8')) as GenesisDoc & { app_state: Record<string, unknown[]> };
    assert.deepEqual(doc.app_state.accounts, [
      { address: OPERATOR, balance: (1000n * CMT + CMT / 2n).toString() },
      { address: DELEGATOR, balance: '2000000' },
    ]);
    assert.deepEqual(doc.app_state.candidates, [
      {
        address: OPERATOR,
        pub_key: pubKey,
        max_stake: (100_000n * CMT).toString(),
        self_stake: (10_000n * CMT).toString(), // default: 10% of max_stake
        comp_rate_bp: 2000,
        description: { name: 'alpha', website: 'https://alpha.example' },
        verified: false,
      },
    ]);
    assert.deepEqual(doc.app_state.delegations, [{ delegator: DELEGATOR, candidate: OPERATOR, amount: (5000n * CMT).toString() }]);
    assert.equal(doc.chain_id, 'cli-test', 'the rest of the file is kept');

    const validated = await cmtd(['genesis', 'validate', '--genesis', file, '--output', 'json']);
    assert.equal(validated.code, 0, validated.stderr);
    const report = JSON.parse(validated.stdout) as {
      valid: boolean;
      supply: string;
      validatorSource: string;
      validators: Array<{ pubKey: string; operator: string; power: string }>;
    };
    assert.equal(report.valid, true);
    assert.equal(report.supply, (1000n * CMT + CMT / 2n + 2_000_000n + 10_000n * CMT + 5000n * CMT).toString());
    assert.equal(report.validatorSource, 'app');
    assert.equal(report.validators.length, 1);
    assert.equal(report.validators[0]!.pubKey, pubKey);
    assert.equal(report.validators[0]!.operator, OPERATOR);
  });

  it('refuses an edit that would make the genesis invalid, and leaves the file as it was', async () => {
    const before = readFileSync(file, 'utf8');
    const other = join(dir, 'other_key.json');
    writeValidatorKey(other);
    const low = await cmtd([
      'genesis',
      'add-candidate',
      '--genesis',
      file,
      '--candidate',
      '0x00000000000000000000000000000000000000a2',
      '--pub-key',
      other,
      '--max-stake',
      '100000',
      '--self-stake',
      '9999.99',
    ]);
    assert.equal(low.code, 1);
    assert.match(low.stderr, /refusing to write .*genesis\.json.*0x00000000000000000000000000000000000000a2: self_stake must be at least 10% of max_stake/);
    const reused = await cmtd([
      'genesis',
      'add-candidate',
      '--genesis',
      file,
      '--candidate',
      '0x00000000000000000000000000000000000000a3',
      '--pub-key',
      keyFile,
      '--max-stake',
      '1000',
    ]);
    assert.equal(reused.code, 1);
    assert.match(reused.stderr, /pub_key/);
    const noCandidate = await cmtd(['genesis', 'add-delegation', '--genesis', file, '--delegator', DELEGATOR, '--candidate', DELEGATOR, '--amount', '1']);
    assert.match(noCandidate.stderr, /is not a genesis candidate/);
    const badKey = await cmtd([
      'genesis',
      'add-candidate',
      '--genesis',
      file,
      '--candidate',
      '0x00000000000000000000000000000000000000a4',
      '--pub-key',
      'abc',
      '--max-stake',
      '1000',
    ]);
    assert.match(badKey.stderr, /--pub-key must be an ed25519 public key/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  it('validate catches an invalid candidate written by hand, with a readable error', async () => {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as GenesisDoc & { app_state: { candidates: Array<Record<string, unknown>> } };
    doc.app_state.candidates[0]!.max_stake = (200_000n * CMT).toString(); // self-stake 10,000 is now 5%
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(doc));
    const result = await cmtd(['genesis', 'validate', '--genesis', bad]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`bad\\.json is invalid: genesis app_state: genesis candidate ${OPERATOR}: self_stake must be at least 10% of max_stake`));

    doc.app_state.candidates[0]!.comp_rate_bp = 10_000;
    assert.throws(() => validateGenesisDoc(doc), /candidates\[0\]\.comp_rate_bp: expected an integer from 0 to 9999/);
    doc.app_state.candidates[0]!.comp_rate_bp = 100;
    doc.app_state.candidates[0]!.max_stake = (100_000n * CMT).toString();
    doc.app_state.candidates[0]!.description = { name: 7 };
    assert.throws(() => validateGenesisDoc(doc), /description field 'name' must be a string/);
  });

  it('cmtd init creates a home whose genesis validates', async (t) => {
    try {
      cometbftBinary();
    } catch {
      t.skip('no cometbft binary');
      return;
    }
    const home = join(dir, 'node');
    const init = await cmtd(['init', '--home', home, '--chain-id', 'init-test', '--moniker', 'm0', '--output', 'json']);
    assert.equal(init.code, 0, init.stderr);
    const result = JSON.parse(init.stdout) as { genesis: string; keysDir: string; dataDir: string };
    assert.ok(existsSync(result.keysDir) && existsSync(result.dataDir));
    assert.equal(result.genesis, join(home, 'cometbft', 'config', 'genesis.json'));
    const written = JSON.parse(readFileSync(result.genesis, 'utf8')) as { consensus_params: { block: { max_gas: string } } };
    assert.equal(written.consensus_params.block.max_gas, DEFAULT_BLOCK_GAS_LIMIT.toString(), 'CometBFT and the app share one block gas limit (SPEC 9)');
    const config = readFileSync(join(home, 'cometbft', 'config', 'config.toml'), 'utf8');
    assert.match(config, new RegExp(`^proxy_app = "unix://${join(home, 'abci.sock')}"$`, 'm'), "cmtd start's default ABCI address");
    const validated = await cmtd(['genesis', 'validate', '--home', home]);
    assert.equal(validated.code, 0, validated.stderr);
    assert.match(validated.stdout, /is valid\nchain id +init-test/);
    const again = await cmtd(['init', '--home', home]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already: this home is initialised/);
  });
});
