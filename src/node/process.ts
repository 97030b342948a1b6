/**
 * Child processes of a node (cmtd and cometbft): started with their output
 * in a log file, waited on by condition, stopped gently or killed. The pair
 * supervisor (src/node/supervisor.ts) builds on this.
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
  /**
   * Run in its own process group, so a Ctrl-C in the terminal reaches only
   * the parent, which stops its children in order.
   */
  detached?: boolean;
  /** Told each complete output line (the supervisor's summary to stdout). */
  onLine?: (line: string) => void;
}

/** How a process ended: its exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(exit: ProcessExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private output = '';
  private exitPromise: Promise<number | null> | undefined;
  private waiters: Array<() => void> = [];
  private exitListeners: Array<(exit: ProcessExit) => void> = [];
  private partialLine = '';

  constructor(readonly spec: ProcessSpec) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Calls `listener` every time the process exits (whoever ended it). */
  onExit(listener: (exit: ProcessExit) => void): void {
    this.exitListeners.push(listener);
  }

  start(): void {
    if (this.running) throw new Error(`${this.spec.name} is already running`);
    this.output = '';
    this.partialLine = '';
    this.log = createWriteStream(this.spec.logFile, { flags: 'a' });
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.spec.detached ?? false,
    });
    this.child = child;
    const onData = (chunk: Buffer): void => {
      this.log?.write(chunk);
      // Keep only a tail in memory for waitForOutput.
      this.output = (this.output + chunk.toString('utf8')).slice(-65_536);
      for (const wake of this.waiters.splice(0)) wake();
      if (this.spec.onLine !== undefined) this.splitLines(chunk.toString('utf8'), this.spec.onLine);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        for (const wake of this.waiters.splice(0)) wake();
        resolve(code);
        for (const listener of this.exitListeners) listener({ code, signal });
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

  private splitLines(text: string, onLine: (line: string) => void): void {
    const parts = (this.partialLine + text).split('\n');
    // A line longer than this is cut: a summary needs no more.
    this.partialLine = parts.pop()!.slice(-16_384);
    for (const line of parts) if (line.trim() !== '') onLine(line);
  }

  private closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (log === undefined) return Promise.resolve();
    return new Promise((resolve) => log.end(resolve));
  }
}

/**
 * Ports below Linux's ephemeral range (32768+ by default), so outgoing
 * connections can never take a port between our check and the node's bind;
 * the start is random so concurrent test runs rarely meet.
 */
const PORT_RANGE = { from: 20_000, to: 32_000 };
const handedOut = new Set<number>();
let nextPort = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from));

/** Whether something could listen on 127.0.0.1:`port` right now. */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that is free now and not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORT_RANGE.to - PORT_RANGE.from; tries++) {
    const port = nextPort;
    nextPort = nextPort + 1 >= PORT_RANGE.to ? PORT_RANGE.from : nextPort + 1;
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${PORT_RANGE.from} and ${PORT_RANGE.to}`);
}

/** Polls `check` until it returns a value other than undefined, or times out with `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      lastError = undefined; // an error that later checks got past is not why it timed out
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
