/**
 * A CometBFT node's files: finding the pinned binary, `cometbft init`,
 * config.toml settings, genesis.json, and the node's keys.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const COMETBFT_VERSIONS = ['v0.38.25', 'v0.37.18'] as const;
export type CometVersion = (typeof COMETBFT_VERSIONS)[number];
export const DEFAULT_COMETBFT_VERSION: CometVersion = 'v0.38.25';

export function cacheDir(): string {
  return process.env.CMTD_CACHE_DIR ?? join(homedir(), '.cache', 'cmtd');
}

/**
 * The cometbft binary for `version`: COMETBFT_BIN for the default version,
 * else the build that scripts/install-cometbft.sh caches. Throws with the
 * command to run when it is missing.
 */
export function cometbftBinary(version: CometVersion = DEFAULT_COMETBFT_VERSION): string {
  const override = process.env.COMETBFT_BIN;
  if (version === DEFAULT_COMETBFT_VERSION && override !== undefined && override !== '') return override;
  const path = join(cacheDir(), 'bin', `cometbft-${version}`);
  if (!existsSync(path)) {
    throw new Error(`CometBFT ${version} is not installed at ${path}: run 'scripts/install-cometbft.sh ${version}' (needs Go) or set COMETBFT_BIN`);
  }
  return path;
}

export async function cometbftInit(binary: string, home: string): Promise<void> {
  await run(binary, ['init', '--home', home]);
}

/** Sets `key = value` inside `[section]` of a TOML text ('' = the top-level table). */
export function setTomlValue(text: string, section: string, key: string, value: string | number | boolean): string {
  const lines = text.split('\n');
  let current = '';
  const rendered = typeof value === 'string' ? JSON.stringify(value) : String(value);
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(lines[i]!);
    if (header !== null) {
      current = header[1]!.trim();
      continue;
    }
    if (current === section && new RegExp(`^\\s*${key.replace(/[.]/g, '\\.')}\\s*=`).test(lines[i]!)) {
      lines[i] = `${key} = ${rendered}`;
      return lines.join('\n');
    }
  }
  throw new Error(`config.toml has no key '${key}' in [${section || 'top level'}]`);
}

/** The value of `key` inside `[section]` of a TOML text ('' = the top-level table), for strings, numbers and booleans. */
export function getTomlValue(text: string, section: string, key: string): string | undefined {
  let current = '';
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header !== null) {
      current = header[1]!.trim();
      continue;
    }
    if (current !== section) continue;
    const m = new RegExp(`^\\s*${key.replace(/[.]/g, '\\.')}\\s*=\\s*(.*?)\\s*$`).exec(line);
    if (m === null) continue;
    const raw = m[1]!;
    return raw.startsWith('"') ? (JSON.parse(raw.slice(0, raw.lastIndexOf('"') + 1)) as string) : raw.replace(/\s*#.*$/, '');
  }
  return undefined;
}

export interface NodeConfig {
  moniker: string;
  proxyApp: string;
  abci: 'socket' | 'grpc';
  rpcPort: number;
  p2pPort: number;
  persistentPeers: string[];
  /** e.g. '1s'; CometBFT's timeout_commit. */
  blockTime: string;
  logLevel?: string;
}

export function configureNode(home: string, cfg: NodeConfig): void {
  const path = join(home, 'config', 'config.toml');
  let text = readFileSync(path, 'utf8');
  const set = (section: string, key: string, value: string | number | boolean): void => {
    text = setTomlValue(text, section, key, value);
  };
  set('', 'moniker', cfg.moniker);
  set('', 'proxy_app', cfg.proxyApp);
  set('', 'abci', cfg.abci);
  set('', 'log_level', cfg.logLevel ?? 'info');
  set('rpc', 'laddr', `tcp://127.0.0.1:${cfg.rpcPort}`);
  set('rpc', 'max_body_bytes', 50_000_000);
  set('rpc', 'timeout_broadcast_tx_commit', '30s');
  set('p2p', 'laddr', `tcp://127.0.0.1:${cfg.p2pPort}`);
  set('p2p', 'persistent_peers', cfg.persistentPeers.join(','));
  set('p2p', 'addr_book_strict', false);
  set('p2p', 'allow_duplicate_ip', true);
  set('consensus', 'timeout_commit', cfg.blockTime);
  set('mempool', 'size', 50_000);
  set('mempool', 'max_txs_bytes', 1_073_741_824);
  set('mempool', 'cache_size', 100_000);
  set('tx_index', 'indexer', 'kv');
  writeFileSync(path, text);
}

export interface GenesisValidator {
  address: string;
  pub_key: { type: string; value: string };
  power: string;
  name: string;
}

export interface CometGenesis {
  genesis_time: string;
  chain_id: string;
  initial_height: string;
  consensus_params: {
    block: { max_bytes: string; max_gas: string; [k: string]: unknown };
    [k: string]: unknown;
  };
  validators?: GenesisValidator[];
  app_hash: string;
  app_state?: unknown;
}

export function readGenesis(home: string): CometGenesis {
  return JSON.parse(readFileSync(join(home, 'config', 'genesis.json'), 'utf8')) as CometGenesis;
}

export function writeGenesis(home: string, genesis: CometGenesis): void {
  writeFileSync(join(home, 'config', 'genesis.json'), `${JSON.stringify(genesis, null, 2)}\n`);
}

export interface ValidatorKey {
  /** CometBFT address, upper-case hex. */
  address: string;
  /** ed25519 public key, base64. */
  pubKey: string;
}

export function readValidatorKey(home: string): ValidatorKey {
  const key = JSON.parse(readFileSync(join(home, 'config', 'priv_validator_key.json'), 'utf8')) as {
    address: string;
    pub_key: { type: string; value: string };
  };
  if (key.pub_key.type !== 'tendermint/PubKeyEd25519') throw new Error(`expected an ed25519 validator key, got ${key.pub_key.type}`);
  return { address: key.address, pubKey: key.pub_key.value };
}

export async function nodeId(binary: string, home: string): Promise<string> {
  const { stdout } = await run(binary, ['show-node-id', '--home', home]);
  return stdout.trim();
}
