/**
 * Starts `cmtd start` on a fresh home until it listens, reads what it logged
 * and its command line and memory map, then stops it (tests of how cmtd is
 * launched: its V8 flags, its allocator).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StartedOnce {
  /** stdout and stderr until it listened */
  output: string;
  /** /proc/<pid>/cmdline, split */
  cmdline: string[];
  /** /proc/<pid>/maps */
  maps: string;
}

/** `command args… start` with `env` (NODE_OPTIONS removed) on an empty home; must exit 0 on SIGTERM. */
export async function startOnce(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<StartedOnce> {
  const home = mkdtempSync(join(tmpdir(), 'cmtd-start-once-'));
  try {
    const childEnv = { ...env };
    delete childEnv['NODE_OPTIONS'];
    const child = spawn(command, [...args, 'start', '--home', home, '--address', 'tcp://127.0.0.1:0', '--rpc-address', ''], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (output.includes('cmtd listening on')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`cmtd exited (${code}) before listening:\n${output}`)));
    });
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    const maps = readFileSync(`/proc/${child.pid}/maps`, 'utf8');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    return { output, cmdline, maps };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
