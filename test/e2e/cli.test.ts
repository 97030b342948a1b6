/**
 * The `cmtd` command line against a real CometBFT localnet (1 node), run as
 * a user would run it (a child process per command): keys, a transfer, a new
 * candidate that gets elected, a delegation, a compensation rate, an
 * unstake, and a parameter change proposed and passed by the validator.
 *
 * The new candidate's consensus key is held by no node, so it never signs:
 * slashing is off (it would be removed after 12 blocks) and its stake is kept
 * small enough that the one real validator keeps more than 2/3 of the power.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalnet, tempDir } from '../support/chain.js';

const run = promisify(execFile);
const CMT = 10n ** 18n;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface TxJson {
  status: string;
  code: number;
  log: string;
  height: string;
  gasUsed: string;
  events: Array<{ event?: string; args?: Record<string, string | boolean> }>;
  returned?: Record<string, string>;
}

describe('cmtd CLI on a real localnet', () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let dir: string;
  let env: Record<string, string>;

  async function cmtd(...args: string[]): Promise<Run> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  async function json<T>(...args: string[]): Promise<T> {
    const r = await cmtd(...args, '--output', 'json');
    assert.equal(r.code, 0, `cmtd ${args.join(' ')} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Sends a transaction; asserts it succeeded in a block. */
  async function tx(...args: string[]): Promise<TxJson> {
    const r = await cmtd('tx', ...args, '--output', 'json');
    assert.equal(r.code, 0, `cmtd tx ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    const out = JSON.parse(r.stdout) as TxJson;
    assert.equal(out.status, 'ok', out.log);
    assert.ok(BigInt(out.height) > 0n && BigInt(out.gasUsed) > 0n);
    return out;
  }

  before(async () => {
    net = await startLocalnet('cli', {
      nodes: 1,
      accounts: 4,
      blockTime: '300ms',
      appState: ({ accounts, validatorKeys }) => ({
        params: {
          max_validators: 4,
          backup_validators: 1,
          slash_enabled: false,
          address_min_stake: (10n * CMT).toString(),
          unstake_waiting_period_s: '600',
          proposal_period_s: '600',
          foundation_address: accounts[0]!.address,
        },
        accounts: accounts.map((a) => ({ address: a.address, balance: (1_000_000n * CMT).toString() })),
        candidates: [
          {
            address: accounts[0]!.address,
            pub_key: validatorKeys[0]!.pubKey,
            max_stake: (100_000n * CMT).toString(),
            self_stake: (10_000n * CMT).toString(),
            comp_rate_bp: 2000,
            description: { name: 'node0' },
          },
        ],
      }),
    });
    await net.waitForHeight(2n);
    dir = tempDir('cli-home');
    // Only what the CLI needs: no CMTD_* of the environment running the tests leaks in.
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      CMTD_HOME: join(dir, 'home'),
      CMTD_NODE: `http://127.0.0.1:${net.nodes[0]!.rpcPort}`,
      CMTD_KEY_PASSWORD: 'e2e password',
    };
  });

  after(async () => {
    await net?.cleanup();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('keys, transfer, declare, delegate, comp rate, unstake, and a governance change', async () => {
    const [validator, funded] = net.accounts;
    // Keys: the validator's operator and a funded dev account imported, a new one created.
    const keyFile = join(dir, 'val.hex');
    writeFileSync(keyFile, `${validator!.privateKey}\n`);
    const val = await json<{ address: string }>('keys', 'import', 'val', '--private-key-file', keyFile);
    assert.equal(val.address.toLowerCase(), validator!.address);
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, 'alice password\n');
    const aliceKeyFile = join(dir, 'alice.hex');
    writeFileSync(aliceKeyFile, funded!.privateKey);
    await json('keys', 'import', 'alice', '--private-key-file', aliceKeyFile, '--password-file', passwordFile);
    const carol = (await json<{ address: string }>('keys', 'add', 'carol')).address.toLowerCase();
    const alice = funded!.address;

    // A transfer to the new key.
    await tx('transfer', '--from', 'alice', '--password-file', passwordFile, '--to', 'carol', '--amount', '1000.5');
    const carolAccount = await json<{ balance: string; nonce: string }>('query', 'account', 'carol');
    assert.equal(carolAccount.balance, (1000n * CMT + CMT / 2n).toString());
    const text = await cmtd('query', 'account', carol);
    assert.match(text.stdout, /balance +1,000\.5 CMT/);

    // Carol declares candidacy with a fresh ed25519 consensus key, in CometBFT's key file format:
    // the CLI signs the proof of possession with it.
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const pubKey = Buffer.from(jwk.x!, 'base64url').toString('base64');
    const validatorKeyFile = join(dir, 'carol_priv_validator_key.json');
    writeFileSync(
      validatorKeyFile,
      JSON.stringify({
        pub_key: { type: 'tendermint/PubKeyEd25519', value: pubKey },
        priv_key: { type: 'tendermint/PrivKeyEd25519', value: Buffer.concat([Buffer.from(jwk.d!, 'base64url'), Buffer.from(jwk.x!, 'base64url')]).toString('base64') },
      }),
    );
    const declared = await tx('declare', '--from', 'carol', '--validator-key', validatorKeyFile, '--pub-key', pubKey, '--max-stake', '1000', '--self-stake', '100', '--comp-rate', '10%', '--name', 'carol', '--website', 'https://carol.example');
    const declaredEvent = declared.events.find((e) => e.event === 'CandidacyDeclared');
    assert.equal(declaredEvent?.args?.candidate, carol);
    assert.equal(declaredEvent?.args?.selfStake, (100n * CMT).toString());

    // Alice delegates to her; she is elected (max_validators 4 > 2 candidates).
    const delegated = await tx('delegate', '--from', 'alice', '--password-file', passwordFile, '--candidate', carol, '--amount', '200');
    assert.equal(delegated.events[0]?.event, 'Delegated');
    assert.equal(delegated.events[0]?.args?.compRateBp, '1000');
    const candidates = await json<Array<{ address: string; state: string; role: string; totalStake: string }>>('query', 'candidates');
    const asCandidate = candidates.find((c) => c.address === carol);
    assert.equal(asCandidate?.state, 'active');
    // 300 CMT, plus what awards it may have earned since (less than 1 CMT at these stakes).
    assert.ok(BigInt(asCandidate!.totalStake) >= 300n * CMT && BigInt(asCandidate!.totalStake) < 301n * CMT, asCandidate!.totalStake);
    const validators = await json<Array<{ address: string; role: string; consensusPower: string }>>('query', 'validators');
    const asValidator = validators.find((v) => v.address === carol);
    assert.equal(asValidator?.role, 'validator');
    assert.equal(asValidator?.consensusPower, '300');
    const table = await cmtd('query', 'candidates');
    assert.match(table.stdout, new RegExp(`validator +${carol} +carol +active +300(\\.[0-9]+)? `));

    // Carol lowers Alice's compensation rate; Alice unstakes part of her stake.
    await tx('set-comp-rate', '--from', 'carol', '--delegator', 'alice', '--rate', '5%');
    const delegations = await json<Array<{ candidate: string; compRateBp: number; amount: string }>>('query', 'delegations', alice);
    assert.equal(delegations.find((d) => d.candidate === carol)?.compRateBp, 500);
    const unstaked = await tx('unstake', '--from', 'alice', '--password-file', passwordFile, '--candidate', carol, '--amount', '50');
    assert.equal(unstaked.returned?.requestId, '1');
    const unstakes = await json<Array<{ candidate: string; amount: string }>>('query', 'unstakes', 'alice');
    assert.equal(unstakes.length, 1);
    assert.equal(unstakes[0]!.candidate, carol);
    assert.ok(BigInt(unstakes[0]!.amount) >= 50n * CMT);

    // Governance: a non-validator's vote fails in its block with the reason; the validator proposes and passes a change.
    const params = await json<{ inflation_rate_bp: number }>('query', 'params');
    assert.equal(params.inflation_rate_bp, 800);
    const proposed = await tx('propose-param', '--from', 'val', '--param', 'inflation_rate_bp', '--value', '700', '--reason', 'e2e: lower inflation');
    const id = proposed.returned?.proposalId;
    assert.ok(id !== undefined, JSON.stringify(proposed));
    const refused = await cmtd('tx', 'vote', '--from', 'alice', '--password-file', passwordFile, '--proposal', id, '--vote', 'yes');
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /FAILED: .* code 12 \(Reverted\)\nlog: .*only validators may vote/);
    const voted = await tx('vote', '--from', 'val', '--proposal', id, '--vote', 'yes', '--gas-price', '0');
    assert.deepEqual(
      voted.events.map((e) => e.event),
      ['Voted', 'ProposalPassed', 'ParamChanged'],
    );
    const proposal = await json<{ status: string }>('query', 'proposal', id);
    assert.equal(proposal.status, 'passed');
    const changed = await json<{ inflation_rate_bp: number }>('query', 'params');
    assert.equal(changed.inflation_rate_bp, 700);
  });
});
