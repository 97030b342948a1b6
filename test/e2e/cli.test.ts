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
import { Transaction, Wallet } from 'ethers';
import { broadcast, cometHash, startLocalnet, tempDir, waitForTx } from '../support/chain.js';

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
      CMTD_ETH_RPC: net.nodes[0]!.ethRpcUrl!,
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
    const declared = await tx(
      'declare',
      '--from',
      'carol',
      '--validator-key',
      validatorKeyFile,
      '--pub-key',
      pubKey,
      '--max-stake',
      '1000',
      '--self-stake',
      '100',
      '--comp-rate',
      '10%',
      '--name',
      'carol',
      '--website',
      'https://carol.example',
    );
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
    type DelegationJson = { candidate: string; compRateBp: number; amount: string; principal: string; earned: string };
    const atCarol = async (): Promise<DelegationJson> => {
      const d = (await json<DelegationJson[]>('query', 'delegations', alice)).find((x) => x.candidate === carol)!;
      assert.equal(BigInt(d.earned), BigInt(d.amount) - BigInt(d.principal), 'earned = value − principal, exact wei');
      return d;
    };
    const delegation = await atCarol();
    assert.equal(delegation.compRateBp, 500);
    assert.equal(delegation.principal, (200n * CMT).toString(), 'a rate change keeps the principal');
    const unstaked = await tx('unstake', '--from', 'alice', '--password-file', passwordFile, '--candidate', carol, '--amount', '50');
    assert.equal(unstaked.returned?.requestId, '1');
    // The unstake takes its share of the principal: 50 CMT of a value grown by awards is a little under a quarter of it.
    const left = BigInt((await atCarol()).principal);
    assert.ok(left > 149n * CMT && left < 151n * CMT, `principal left ${left}`);
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
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /refused before signing: .*only validators may vote/);
    const mined = await cmtd('tx', 'vote', '--from', 'alice', '--password-file', passwordFile, '--proposal', id, '--vote', 'yes', '--no-simulate');
    assert.equal(mined.code, 1);
    assert.match(mined.stdout, /FAILED: .* code 12 \(Reverted\)\nlog: .*only validators may vote/);
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

  it('refuses doomed calls before signing (exit 2, reasons in CMT, no fee); dry runs, unsigned transactions; no wei or Unix times for people', async () => {
    const passwordFile = join(dir, 'password');
    /** Every output meant for people in this run, checked for wei and raw Unix times at the end. */
    const human: Array<{ command: string; text: string }> = [];
    async function text(...args: string[]): Promise<Run> {
      const r = await cmtd(...args);
      human.push({ command: args.join(' '), text: `${r.stdout}\n${r.stderr}` });
      return r;
    }
    /** The CLI without any key password: a command that tried to sign would fail asking for one. */
    async function unsignable(...args: string[]): Promise<Run> {
      const { CMTD_KEY_PASSWORD: _, ...rest } = env;
      let r: Run;
      try {
        const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: rest });
        r = { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        r = { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
      // --output json is for scripts (exact wei); --generate-only's stdout is the transaction's hex.
      if (!args.includes('json')) human.push({ command: args.join(' '), text: `${args.includes('--generate-only') ? '' : r.stdout}\n${r.stderr}` });
      return r;
    }
    const accountOf = (who: string): Promise<{ balance: string; nonce: string }> => json('query', 'account', who);
    const carol = (await json<{ address: string }>('keys', 'show', 'carol')).address.toLowerCase();

    // Dave: a new key with 100 CMT.
    const dave = (await json<{ address: string }>('keys', 'add', 'dave')).address.toLowerCase();
    const sent = await text('tx', 'transfer', '--from', 'alice', '--password-file', passwordFile, '--to', 'dave', '--amount', '100');
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /^ok: 0x[0-9a-f]{64} in block [0-9]+\ngas used 21000 of 21000 at 2 gwei: fee 0\.000042 CMT/);
    const transferHash = /^ok: (0x[0-9a-f]{64})/.exec(sent.stdout)![1]!;

    // Doomed calls: refused before signing (no password is available), with the chain's reason in CMT, nothing spent.
    const before = { dave: await accountOf('dave'), alice: await accountOf('alice') };
    const doomed: Array<{ args: string[]; reason: RegExp }> = [
      { args: ['tx', 'unstake', '--from', 'alice', '--candidate', 'carol', '--amount', '145'], reason: /below_min_stake: .*at least 10 CMT \(would be [0-9.]+ CMT\)/ },
      { args: ['tx', 'delegate', '--from', 'dave', '--candidate', 'carol', '--amount', '5'], reason: /below_min_stake: .*at least 10 CMT \(would be 5 CMT\)/ },
      { args: ['tx', 'unstake', '--from', 'dave', '--candidate', 'carol', '--amount', '20'], reason: new RegExp(`no_delegation: ${dave} has no stake at ${carol}`) },
      {
        args: ['tx', 'transfer', '--from', 'dave', '--to', 'alice', '--amount', '1000'],
        reason: /insufficient funds: .* has 100 CMT, the transaction needs at least 1,000\.000042 CMT/,
      },
    ];
    for (const { args, reason } of doomed) {
      const r = await unsignable(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^cmtd: refused before signing: /);
      assert.match(r.stderr, reason);
      assert.match(r.stderr, /nothing was signed or sent and no fee was charged/);
    }
    const json2 = await unsignable('tx', 'delegate', '--from', 'dave', '--candidate', 'carol', '--amount', '5', '--output', 'json');
    assert.equal(json2.code, 2);
    assert.match((JSON.parse(json2.stdout) as { reason: string }).reason, /at least 10000000000000000000 \(would be 5000000000000000000\)/, 'scripts get the exact wei');
    assert.deepEqual({ dave: await accountOf('dave'), alice: await accountOf('alice') }, before, 'no fee, no nonce spent');

    // The same call with --no-simulate is mined, fails, and costs its fee: what the preflight saves.
    const charged = await text('tx', 'delegate', '--from', 'dave', '--candidate', 'carol', '--amount', '5', '--no-simulate');
    assert.equal(charged.code, 1);
    assert.match(charged.stdout, /FAILED: .*\nlog: .*at least 10 CMT \(would be 5 CMT\)/);
    assert.ok(BigInt((await accountOf('dave')).balance) < BigInt(before.dave.balance));

    // A dry run: gas, fee and effect, nothing sent; then the real one costs exactly that.
    const dry = await unsignable('tx', 'delegate', '--from', 'dave', '--candidate', 'carol', '--amount', '20', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^dry run \(nothing signed or sent\): delegate 20 CMT to 0x[0-9a-f]{40}\n/);
    assert.match(dry.stdout, /\ngas [0-9]+ at 2 gwei: fee 0\.[0-9]+ CMT\n/);
    assert.match(dry.stdout, new RegExp(`\\neffect: balance of ${dave} [0-9.,]+ CMT → [0-9.,]+ CMT \\(sends 20 CMT \\+ fee\\)`));
    const plan = JSON.parse((await unsignable('tx', 'delegate', '--from', 'dave', '--candidate', 'carol', '--amount', '20', '--dry-run', '--output', 'json')).stdout) as {
      fee: string;
      balanceAfter: string;
      gasLimit: string;
    };
    const unchanged = await accountOf('dave');
    assert.equal(BigInt(plan.balanceAfter), BigInt(unchanged.balance) - 20n * CMT - BigInt(plan.fee));
    const delegated = await tx('delegate', '--from', 'dave', '--candidate', 'carol', '--amount', '20');
    assert.equal(delegated.gasUsed, plan.gasLimit);
    assert.equal((await accountOf('dave')).balance, plan.balanceAfter);

    // An unsigned transaction for offline signing: signed here with the key, then sent; it goes through.
    const generated = await unsignable('tx', 'transfer', '--from', 'dave', '--to', 'alice', '--amount', '1', '--generate-only');
    assert.equal(generated.code, 0, generated.stderr);
    const unsigned = Transaction.from(generated.stdout.trim());
    assert.equal(unsigned.chainId, 18n);
    assert.equal(unsigned.to?.toLowerCase(), net.accounts[1]!.address);
    assert.equal(unsigned.value, CMT);
    assert.equal(BigInt(unsigned.nonce), BigInt((await accountOf('dave')).nonce));
    const daveKey = (await json<{ privateKey: string }>('keys', 'export', 'dave', '--unsafe-export-private-key')).privateKey;
    const signed = Buffer.from((await new Wallet(daveKey).signTransaction(unsigned)).slice(2), 'hex');
    const aliceBefore = BigInt((await accountOf('alice')).balance);
    await broadcast(net.nodes[0]!.rpc, signed);
    assert.equal((await waitForTx(net.nodes[0]!.rpc, cometHash(signed))).result.code, 0);
    assert.equal(BigInt((await accountOf('alice')).balance), aliceBefore + CMT);

    // Unstake maturity and proposal expiry as dates with a duration.
    const unstaked = await text('tx', 'unstake', '--from', 'alice', '--password-file', passwordFile, '--candidate', 'carol', '--amount', '20');
    assert.equal(unstaked.code, 0, unstaked.stderr);
    assert.match(unstaked.stdout, /Unstaked .*amount=20(\.[0-9]+)? CMT matureTime=20[0-9-]+ [0-9:]+ UTC \(in (9|10) min( [0-9]+ s)?\)/);
    const proposed = await text('tx', 'propose-param', '--from', 'val', '--param', 'inflation_rate_bp', '--value', '600');
    assert.match(proposed.stdout, /ProposalCreated .*expiresAt=20[0-9-]+ [0-9:]+ UTC \(in (9|10) min/);

    // Queries: names, what a stake earns, and what waiting stake still risks.
    const validators = await text('query', 'validators');
    assert.match(validators.stdout, new RegExp(`validator +${carol} +carol `));
    const delegations = await text('query', 'delegations', 'alice');
    assert.match(delegations.stdout, /candidate +name +earns +principal +value now +earned +unstaking +comp/);
    assert.match(delegations.stdout, new RegExp(`${carol} +carol +yes \\(validator\\) +1[0-9]{2}(\\.[0-9]+)? +1[0-9]{2}(\\.[0-9]+)? +-?[0-9.]+ +[0-9.]+ +5%`));
    assert.match(delegations.stdout, /earned: value now − principal/);
    assert.match(delegations.stdout, /waiting stake still earns awards and can still be slashed/);
    const unstakes = await text('query', 'unstakes', 'alice');
    assert.match(unstakes.stdout, /20[0-9-]+ [0-9:]+ UTC \(in [0-9]+ min/);
    assert.match(unstakes.stdout, /waiting stake still earns awards and can still be slashed until it is paid out/);
    const found = await text('query', 'tx', transferHash);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, new RegExp(`^ok: ${transferHash} in block [0-9]+\\n`));
    assert.match(found.stdout, /value 100 CMT/);
    const byCometHash = await json<{ hash: string; status: string }>('query', 'tx', cometHash(signed));
    assert.equal(byCometHash.hash, Transaction.from(`0x${signed.toString('hex')}`).hash);
    assert.equal(byCometHash.status, 'ok');
    for (const args of [
      ['query', 'account', 'dave'],
      ['query', 'candidate', 'carol'],
      ['query', 'candidates'],
      ['query', 'params'],
      ['query', 'proposals'],
      ['query', 'proposal', '1'],
      ['query', 'supply'],
      ['query', 'awards'],
      ['keys', 'list'],
      ['version'],
    ]) {
      const r = await text(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }

    // Wei (19+ digit integers) and raw Unix times (10 digits, 2020-2033) appear nowhere people read.
    for (const { command, text: out } of human) {
      assert.doesNotMatch(out, /(?<![0-9a-zA-Z.])[0-9]{19,}(?![0-9])/, `wei in the output of cmtd ${command}:\n${out}`);
      assert.doesNotMatch(out, /(?<![0-9a-zA-Z.])1[6-9][0-9]{8}(?![0-9])/, `a raw Unix time in the output of cmtd ${command}:\n${out}`);
    }
    assert.ok(human.length >= 20, `${human.length} outputs checked`);
  });
});
