/**
 * Options every `cmtd` command that needs them takes the same way, each with
 * an environment variable: --home, --node (CometBFT RPC URL), --output.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Option } from 'commander';
import { DEFAULT_COMET_RPC_URL } from '../comet/rpc.js';

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
