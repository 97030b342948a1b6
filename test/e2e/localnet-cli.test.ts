/**
 * `cmtd localnet` as an operator runs it, each command a child process:
 * start 2 validators + 1 further candidate on a free port range, watch the
 * heights through `localnet status`, see the candidate rank as a backup,
 * `localnet stop` from "another terminal", start again (the chain goes on)
 * and Ctrl-C it, then `reset`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultCmtdCommand, devAccounts } from '../../src/localnet/network.js';
import { canListen } from '../../src/node/process.js';
import { alive, descendants } from '../support/processes.js';
import { waitFor } from '../../src/node/process.js';
import { CometRpc } from '../../src/comet/rpc.js';

const run = promisify(execFile);
const [COMMAND, ...BASE_ARGS] = defaultCmtdCommand();
const NODES = 3;

/** A base port whose nodes' ports (base+10i+6 … +9) and the dashboard's (base+5) are free, below the ephemeral range. */
async function freeBasePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const base = 20_000 + 10 * Math.floor(Math.random() * 1_150);
    const ports = [base + 5, ...Array.from({ length: NODES }, (_, i) => [6, 7, 8, 9].map((o) => base + 10 * i + o)).flat()];
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

function cmtd(...args: string[]): Promise<string> {
  return run(COMMAND!, [...BASE_ARGS, ...args], { timeout: 60_000 }).then((r) => r.stdout);
}

/** A command's exit code and output, with only PATH, HOME and `env` in its environment. */
async function cmtdRun(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(COMMAND!, [...BASE_ARGS, ...args], { timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface Started {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

/** `cmtd localnet start …` in the background; resolves once it printed its summary. */
async function startLocalnet(args: string[]): Promise<Started> {
  const child = spawn(COMMAND!, [...BASE_ARGS, 'localnet', 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (/funded development accounts/.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`localnet start exited with ${code}:\n${output}`)));
  });
  return { child, exited, output: () => output };
}

/** The heights `localnet status` reports, by node. */
async function statusHeights(dir: string): Promise<Map<number, bigint>> {
  const out = await cmtd('localnet', 'status', '--dir', dir);
  const heights = new Map<number, bigint>();
  for (const m of out.matchAll(/^node(\d+)\s+(validator|candidate)\s+height (\d+)/gm)) heights.set(Number(m[1]), BigInt(m[3]!));
  return heights;
}

describe('cmtd localnet (command line)', () => {
  let parent: string;
  let dir: string;
  let base: number;
  let running: Started | undefined;

  before(async () => {
    parent = mkdtempSync(join(tmpdir(), 'cmtd-localnet-cli-'));
    dir = join(parent, 'net');
    base = await freeBasePort();
  });

  after(async () => {
    if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    if (process.env.CMTD_KEEP_TEST_FILES === undefined) rmSync(parent, { recursive: true, force: true });
  });

  it('starts 2 validators and 1 candidate: the summary lists every node with its Ethereum JSON-RPC', async () => {
    running = await startLocalnet([
      '--dir',
      dir,
      '--validators',
      '2',
      '--candidates',
      '1',
      '--base-port',
      String(base),
      '--block-time',
      '300ms',
      '--rpc-cors',
      'http://localhost:3000',
    ]);
    const summary = running.output();
    for (let i = 0; i < NODES; i++) {
      const role = i < 2 ? 'validator' : 'candidate';
      assert.match(summary, new RegExp(`^node${i}\\s+${role}\\s+http://127\\.0\\.0\\.1:${base + 10 * i + 7}\\s+http://127\\.0\\.0\\.1:${base + 10 * i + 9}\\s`, 'm'));
      assert.ok(existsSync(join(dir, `node${i}`, 'cmtd.log')) && existsSync(join(dir, `node${i}`, 'cometbft.log')), `node${i} has its log files`);
    }
    // The chain as a wallet and a tester need it: chain id, the shortened waits, balances, the foundation.
    assert.match(summary, /Ethereum chain id 18 \(for wallets and eth_chainId\); CometBFT chain id 'cmtd-localnet'/);
    assert.match(summary, /unstaked stake is paid out after 2 min, proposals are open for 10 min/);
    const [first, second] = devAccounts(2);
    assert.match(summary, new RegExp(`^ +0 +${first!.address} +0x[0-9a-f]{64} +1,000,000 CMT, foundation, operates node0$`, 'm'));
    assert.match(summary, new RegExp(`^ +1 +${second!.address} +0x[0-9a-f]{64} +1,000,000 CMT, operates node1$`, 'm'));
  });

  it('passes --rpc-cors to every node: the listed origin is allowed, others are not', async () => {
    for (let i = 0; i < NODES; i++) {
      const url = `http://127.0.0.1:${base + 10 * i + 9}`;
      const preflight = (origin: string): Promise<Response> => fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      assert.equal((await preflight('http://localhost:3000')).headers.get('access-control-allow-origin'), 'http://localhost:3000', `node${i}`);
      assert.equal((await preflight('http://elsewhere.example')).headers.get('access-control-allow-origin'), null, `node${i}`);
    }
  });

  it("serves the staking dashboard from node0 on the base port + 5, its origin allowed by node0's JSON-RPC beside --rpc-cors", async () => {
    const ui = `http://127.0.0.1:${base + 5}`;
    assert.match(running!.output(), new RegExp(`staking dashboard\\s+${ui.replace(/\./g, '\\.')}/ \\(served by node0\\)`));
    const page = await fetch(`${ui}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="app\.js">/);
    assert.deepEqual(await (await fetch(`${ui}/config.json`)).json(), { rpcUrl: `http://127.0.0.1:${base + 9}` });
    const preflight = await fetch(`http://127.0.0.1:${base + 9}`, { method: 'OPTIONS', headers: { origin: ui, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), ui);
  });

  it('reports growing heights on every node through `localnet status`', async () => {
    await waitFor(
      'every node at height 3 in localnet status',
      async () => {
        const heights = await statusHeights(dir);
        return heights.size === NODES && [...heights.values()].every((h) => h >= 3n) ? heights : undefined;
      },
      90_000,
      0,
    );
  });

  it('ranks the further candidate as a backup, outside CometBFT validator set', async () => {
    const rpc = new CometRpc(`http://127.0.0.1:${base + 7}`);
    const candidates = await rpc.queryJson<Array<{ address: string; role: string }>>('/candidates');
    assert.equal(candidates.length, NODES);
    // Node i is operated by development account i.
    const operators = devAccounts(NODES).map((a) => a.address);
    const roles = Object.fromEntries(candidates.map((c) => [`node${operators.indexOf(c.address.toLowerCase())}`, c.role]));
    assert.deepEqual(roles, { node0: 'validator', node1: 'validator', node2: 'backup' });
    assert.equal((await rpc.validators()).validators.length, 2);
    // The candidate node follows the chain as a full node.
    const candidateRpc = new CometRpc(`http://127.0.0.1:${base + 27}`);
    assert.equal((await candidateRpc.status()).validator_info.voting_power, '0');
  });

  it('stops from another terminal with `localnet stop`: every process exits', async () => {
    const children = descendants(running!.child.pid!);
    assert.ok(children.length >= 2 * NODES, `cmtd and cometbft of every node run (found ${children.length})`);
    assert.match(await cmtd('localnet', 'stop', '--dir', dir), /stopped/);
    assert.equal(await running!.exited, 0, running!.output());
    assert.deepEqual(children.filter(alive), []);
    assert.ok(!existsSync(join(dir, 'localnet.pid')));
  });

  it('refuses flags the existing network does not match, naming each difference', async () => {
    const refused = await cmtdRun(['localnet', 'start', '--dir', dir, '--validators', '2', '--candidates', '1', '--block-time', '5s', '--base-port', String(base + 100)]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /already holds localnet 'cmtd-localnet', which does not match what was asked:\n {2}--block-time 5s: it has 300ms\n {2}--base-port [0-9]+: its node0 listens on p2p [0-9]+, RPC [0-9]+ \(base port [0-9]+\)\n/,
    );
    assert.doesNotMatch(refused.stderr, /--validators|--candidates/, 'flags that match are not listed');
    assert.match(refused.stderr, /leaving out these flags, or add --reset/);
    // From the environment too (CMTD_ + the flag); the old variable names are refused rather than ignored.
    const fromEnv = await cmtdRun(['localnet', 'start', '--dir', dir], { CMTD_VALIDATORS: '4' });
    assert.match(fromEnv.stderr, /--validators 4: it has 2/);
    const oldName = await cmtdRun(['localnet', 'start', '--dir', dir], { CMTD_LOCALNET_VALIDATORS: '4' });
    assert.match(oldName.stderr, /CMTD_LOCALNET_VALIDATORS is now CMTD_VALIDATORS/);
    assert.ok(!existsSync(join(dir, 'localnet.pid')), 'nothing was started');
  });

  it('starts again where it stopped, and Ctrl-C stops it', async () => {
    running = await startLocalnet(['--dir', dir]);
    const before = (await statusHeights(dir)).get(0) ?? 0n;
    assert.ok(before >= 3n, 'the chain was kept');
    await waitFor('a new block after the restart', async () => (((await statusHeights(dir)).get(0) ?? 0n) > before ? true : undefined), 60_000, 0);
    const children = descendants(running.child.pid!);
    running.child.kill('SIGINT');
    assert.equal(await running.exited, 0, running.output());
    assert.match(running.output(), /interrupted: stopping 3 nodes/);
    assert.deepEqual(children.filter(alive), []);
  });

  it('starts over with --reset: a new network from the flags', async () => {
    running = await startLocalnet(['--dir', dir, '--reset', '--validators', '1', '--base-port', String(base), '--block-time', '300ms', '--rpc-cors', 'http://localhost:3000']);
    assert.match(running.output(), /--reset: removed the localnet in /);
    assert.doesNotMatch(running.output(), /^node1 /m);
    const net = JSON.parse(readFileSync(join(dir, 'localnet.json'), 'utf8')) as { nodes: unknown[] };
    assert.equal(net.nodes.length, 1);
    running.child.kill('SIGINT');
    assert.equal(await running.exited, 0, running.output());
  });

  it('resets: the files are gone', async () => {
    assert.match(await cmtd('localnet', 'reset', '--dir', dir), /removed/);
    assert.ok(!existsSync(dir));
  });
});
