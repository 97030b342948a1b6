/**
 * Child processes of a localnet (cmtd and cometbft): started with their
 * output in a log file, waited on by condition, stopped gently or killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private output = '';
  private exitPromise: Promise<number | null> | undefined;
  private waiters: Array<() => void> = [];

  constructor(readonly spec: ProcessSpec) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.running) throw new Error(`${this.spec.name} is already running`);
    this.output = '';
    this.log = createWriteStream(this.spec.logFile, { flags: 'a' });
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onData = (chunk: Buffer): void => {
      this.log?.write(chunk);
      // Keep only a tail in memory for waitForOutput.
      this.output = (this.output + chunk.toString('utf8')).slice(-65_536);
      for (const wake of this.waiters.splice(0)) wake();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code) => {
        for (const wake of this.waiters.splice(0)) wake();
        resolve(code);
      });
    });
  }

  /** Resolves when the output so far matches `pattern`; rejects if the process exits first or on timeout. */
  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output);
      if (match !== null) return match;
      if (!this.running) throw new Error(`${this.spec.name} exited before printing ${pattern}; see ${this.spec.logFile}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.spec.name} did not print ${pattern} within ${timeoutMs} ms; see ${this.spec.logFile}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return this.closeLog();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
    await this.closeLog();
  }

  /** kill -9: no chance to clean up (crash tests). */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return this.closeLog();
    child.kill('SIGKILL');
    await this.exitPromise;
    await this.closeLog();
  }

  private closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (log === undefined) return Promise.resolve();
    return new Promise((resolve) => log.end(resolve));
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value other than undefined, or times out with `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
