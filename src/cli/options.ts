/**
 * Options every `cmtd` command that needs them takes the same way, each with
 * an environment variable: --home, --node (CometBFT RPC URL), --output,
 * --sender-threads.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Option } from 'commander';
import { DEFAULT_COMET_RPC_URL } from '../comet/rpc.js';
import { DEFAULT_SENDER_THREADS, MAX_SENDER_THREADS } from '../tx/sender-recovery.js';

export type OutputFormat = 'text' | 'json';

export function defaultHome(): string {
  return join(homedir(), '.cmtd');
}

export function homeOption(): Option {
  return new Option('--home <dir>', 'cmtd home directory (state in <home>/data, keys in <home>/keys)').env('CMTD_HOME').default(defaultHome());
}

export function nodeOption(): Option {
  return new Option('--node <url>', 'CometBFT RPC of the node to talk to').env('CMTD_NODE').default(DEFAULT_COMET_RPC_URL);
}

export function outputOption(): Option {
  return new Option('--output <format>', 'text for people, json for scripts').choices(['text', 'json']).env('CMTD_OUTPUT').default('text');
}

export function senderThreadsOption(): Option {
  return new Option('--sender-threads <n>', `worker threads recovering transaction senders ahead of CheckTx and blocks (0: on the main thread; at most ${MAX_SENDER_THREADS})`)
    .env('CMTD_SENDER_THREADS')
    .default(String(DEFAULT_SENDER_THREADS));
}

/** The value of --sender-threads; throws a readable error on anything but 0..MAX_SENDER_THREADS. */
export function parseSenderThreads(value: string): number {
  const n = Number(value.trim());
  if (!/^[0-9]+$/.test(value.trim()) || n > MAX_SENDER_THREADS) throw new Error(`--sender-threads: expected a whole number from 0 to ${MAX_SENDER_THREADS}, got '${value}'`);
  return n;
}
