/**
 * A node joining a running test network as an operator does it, through the
 * real CLI (child processes): `cmtd init --join`, `cmtd node`, `cmtd keys
 * import`, `cmtd tx declare` / `tx delegate`. Shared by
 * test/integration/node-join.test.ts (join by replay) and statesync.test.ts
 * (join by state sync).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cometbftBinary, nodeId, readValidatorKey } from '../../src/localnet/cometbft.js';
import { defaultCmtdCommand, type LocalNode } from '../../src/localnet/network.js';
import { canListen, waitFor } from '../../src/node/process.js';
import { CometRpc } from '../../src/comet/rpc.js';
import type { DevAccount } from '../../src/localnet/network.js';

const run = promisify(execFile);
const [COMMAND, ...BASE_ARGS] = defaultCmtdCommand();
/** The password of the keys the joined node's operator imports. */
const PASSWORD = 'join test password';

/** Four consecutive free ports (a node's --base-port plan), below the ephemeral range. */
export async function freeBasePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const base = 20_000 + 4 * Math.floor(Math.random() * 3_000);
    if ((await Promise.all([0, 1, 2, 3].map((o) => canListen(base + o)))).every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

/** Runs the cmtd CLI; its stdout, or an error with everything it printed. */
export async function cmtd(...args: string[]): Promise<string> {
  try {
    return (await run(COMMAND!, [...BASE_ARGS, ...args], { timeout: 120_000, env: { ...process.env, CMTD_KEY_PASSWORD: PASSWORD } })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`cmtd ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`);
  }
}

/** `id@127.0.0.1:port` of each node: what an operator passes to --peers. */
export async function peerAddresses(nodes: LocalNode[]): Promise<string[]> {
  const binary = cometbftBinary();
  return Promise.all(nodes.map(async (n) => `${await nodeId(binary, n.home)}@127.0.0.1:${n.p2pPort}`));
}

/** A home made by `cmtd init --join --base-port`, run by `cmtd node` (a child process). */
export class JoinedNode {
  readonly rpc: CometRpc;
  readonly ethRpcUrl: string;
  /** Everything `cmtd node` printed (stdout and stderr). */
  output = '';
  private supervisor: ChildProcess | undefined;

  constructor(
    readonly home: string,
    basePort: number,
  ) {
    this.rpc = new CometRpc(`http://127.0.0.1:${basePort + 1}`);
    this.ethRpcUrl = `http://127.0.0.1:${basePort + 3}`;
  }

  get cometHome(): string {
    return join(this.home, 'cometbft');
  }

  get exited(): boolean {
    return this.supervisor !== undefined && this.supervisor.exitCode !== null;
  }

  /** Starts `cmtd node --home <home>`; `startArgs` go to `cmtd start` (after `--`). */
  start(startArgs: string[] = []): void {
    const args = [...BASE_ARGS, 'node', '--home', this.home, '--status-interval', '0', ...(startArgs.length > 0 ? ['--', ...startArgs] : [])];
    this.supervisor = spawn(COMMAND!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.supervisor.stdout!.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    this.supervisor.stderr!.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
  }

  /** The pid `cmtd node` last reported for `which` ('cmtd' or 'cometbft'). */
  lastPid(which: 'cmtd' | 'cometbft'): number {
    const pids = [...this.output.matchAll(new RegExp(`${which} started \\(pid (\\d+)\\)`, 'g'))].map((m) => Number(m[1]));
    assert.ok(pids.length > 0, `cmtd node reported no ${which} pid:\n${this.output}`);
    return pids.at(-1)!;
  }

  /** How often `cmtd node` restarted the pair so far. */
  restarts(): number {
    return (this.output.match(/running again/g) ?? []).length;
  }

  /** Waits until its CometBFT is past `height`; fails at once if `cmtd node` exits. */
  async waitPast(height: bigint, timeoutMs: number): Promise<void> {
    await waitFor(
      `the joined node past height ${height}`,
      async () => {
        if (this.exited) throw new Error(`cmtd node exited:\n${this.output}`);
        try {
          return (await this.rpc.height()) > height ? true : undefined;
        } catch {
          return undefined; // not serving yet (state sync, or starting)
        }
      },
      timeoutMs,
      250,
    );
  }

  /** SIGTERM to `cmtd node`; its exit code. */
  async stop(): Promise<number | null> {
    const supervisor = this.supervisor;
    if (supervisor === undefined || supervisor.exitCode !== null) return supervisor?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => supervisor.once('exit', (code) => resolve(code)));
    supervisor.kill('SIGTERM');
    return exited;
  }
}

/**
 * The joined node's operator declares it a candidate with its consensus key
 * (`tx declare --validator-key`), `delegator` delegates to it, and it is
 * elected: in CometBFT's validator set as `observer` sees it, then signing a
 * block. `dir` holds the key files imported.
 */
export async function becomeValidator(node: JoinedNode, options: { operator: DevAccount; delegator: DevAccount; observer: LocalNode; dir: string; name: string }): Promise<void> {
  const { operator, delegator, observer, dir, name } = options;
  for (const [keyName, key] of [
    ['operator', operator.privateKey],
    ['delegator', delegator.privateKey],
  ] as const) {
    const keyFile = join(dir, `${name}-${keyName}.key`);
    writeFileSync(keyFile, key.slice(2), { mode: 0o600 });
    await cmtd('keys', 'import', keyName, '--home', node.home, '--private-key-file', keyFile);
  }
  const via = ['--home', node.home, '--node', node.rpc.url, '--eth-rpc', node.ethRpcUrl, '--output', 'json'];
  const declared = JSON.parse(
    await cmtd(
      'tx',
      'declare',
      ...via,
      '--from',
      'operator',
      '--validator-key',
      join(node.cometHome, 'config', 'priv_validator_key.json'),
      '--max-stake',
      '100000',
      '--self-stake',
      '10000',
      '--comp-rate',
      '10%',
      '--name',
      name,
    ),
  ) as { status: string; log?: string };
  assert.equal(declared.status, 'ok', declared.log);
  const delegated = JSON.parse(await cmtd('tx', 'delegate', ...via, '--from', 'delegator', '--candidate', operator.address, '--amount', '5000')) as {
    status: string;
    log?: string;
  };
  assert.equal(delegated.status, 'ok', delegated.log);

  const key = readValidatorKey(node.cometHome);
  const elected = await waitFor(
    'the joined node in the validator set',
    async () => {
      const set = await observer.rpc.validators();
      return set.validators.some((v) => v.pub_key.value === key.pubKey) ? BigInt(set.block_height) : undefined;
    },
    120_000,
    500,
  );
  await waitFor(
    'a block signed by the joined node',
    async () => {
      const height = await observer.rpc.height();
      if (height <= elected + 1n) return undefined;
      const commit = await observer.rpc.call<{ signed_header: { commit: { signatures: Array<{ validator_address: string }> } } }>('commit', { height: String(height) });
      return commit.signed_header.commit.signatures.some((s) => s.validator_address === key.address) ? true : undefined;
    },
    60_000,
    500,
  );
}
