/**
 * Running the repository's Hardhat projects and `cmtd dev` from node:test:
 * a child process with its output collected, Mocha's JSON report, and a
 * `cmtd dev` on free ports, stopped with Ctrl-C.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCmtdCommand } from '../../src/localnet/network.js';
import { canListen } from '../../src/node/process.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Mocha's JSON report (reporter `json`), the parts the tests read. */
export interface MochaJsonReport {
  stats: { tests: number; passes: number; failures: number; pending: number };
  passes: Array<{ fullTitle: string }>;
  failures: Array<{ fullTitle: string; err: { message?: string; stack?: string } }>;
}

/** Environment that keeps Hardhat quiet and offline. */
export function hardhatEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', CI: 'true', NO_COLOR: '1', ...extra };
}

/**
 * `hardhat test --network cmtd` (test/hardhat/hardhat.config.cjs) with `env`,
 * which names the report file (CMTD_HARDHAT_REPORT): asserts that it wrote
 * the report, that no test failed and that it exited 0; returns the report.
 */
export async function runHardhatTests(env: NodeJS.ProcessEnv): Promise<MochaJsonReport> {
  const report = env.CMTD_HARDHAT_REPORT;
  assert.ok(report !== undefined, 'CMTD_HARDHAT_REPORT names the report file');
  const { code, output } = await run('npx', ['--no-install', 'hardhat', 'test', '--network', 'cmtd', '--config', 'test/hardhat/hardhat.config.cjs'], env, 480_000);
  assert.ok(existsSync(report), `hardhat wrote no test report (exit code ${code}):\n${output}`);
  const result = JSON.parse(readFileSync(report, 'utf8')) as MochaJsonReport;
  const failures = result.failures.map((f) => `${f.fullTitle}: ${f.err.stack ?? f.err.message ?? ''}`).join('\n\n');
  assert.equal(result.stats.failures, 0, failures);
  assert.equal(code, 0, output);
  return result;
}

/** Runs a command in the repository root; resolves with its exit code and the last 200 kB of its output. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-200_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

/**
 * A port p with p-5 … p free (cmtd dev's node takes the four below its JSON-RPC port, its staking
 * dashboard the fifth), below the ephemeral range.
 */
export async function freeRpcPort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_010 + 6 * Math.floor(Math.random() * 1_900);
    const free = await Promise.all([port - 5, port - 4, port - 3, port - 2, port - 1, port].map(canListen));
    if (free.every(Boolean)) return port;
  }
  throw new Error('no 6 free consecutive ports');
}

export interface DevChain {
  rpcUrl: string;
  child: ChildProcess;
  /** Everything cmtd dev printed so far. */
  output(): string;
  /** Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `cmtd dev` with `args` on free ports and waits until it is ready. */
export async function startDev(args: string[] = [], readyTimeoutMs = 120_000): Promise<DevChain> {
  const rpcPort = await freeRpcPort();
  const [command, ...base] = defaultCmtdCommand();
  const child = spawn(command!, [...base, 'dev', '--rpc-port', String(rpcPort), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  let output = '';
  const ready = new Promise<void>((resolveReady, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (/cmtd dev ready: /.test(output)) resolveReady();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`cmtd dev exited with ${code} before it was ready:\n${output}`)));
  });
  const timeout = setTimeout(() => child.kill('SIGINT'), readyTimeoutMs);
  try {
    await ready;
  } finally {
    clearTimeout(timeout);
  }
  return {
    rpcUrl: `http://127.0.0.1:${rpcPort}`,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
