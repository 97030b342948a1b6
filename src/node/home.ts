/**
 * `<home>/node.json`: what `cmtd node` needs to run cmtd beside the node's
 * CometBFT that CometBFT's config.toml does not say (the ABCI address and
 * CometBFT's RPC are read from config.toml). Written by `cmtd init`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ETH_RPC_ADDRESS } from '../rpc/server.js';

export interface NodeSettings {
  /** host:port of cmtd's Ethereum JSON-RPC ('' : not served). */
  ethRpcAddress: string;
}

export const DEFAULT_NODE_SETTINGS: NodeSettings = { ethRpcAddress: DEFAULT_ETH_RPC_ADDRESS };

export function nodeSettingsPath(home: string): string {
  return join(home, 'node.json');
}

export function writeNodeSettings(home: string, settings: NodeSettings): void {
  writeFileSync(nodeSettingsPath(home), `${JSON.stringify(settings, null, 2)}\n`);
}

/** The home's settings; the defaults for a home made before node.json existed. */
export function readNodeSettings(home: string): NodeSettings {
  const path = nodeSettingsPath(home);
  if (!existsSync(path)) return DEFAULT_NODE_SETTINGS;
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<NodeSettings>;
  if (raw.ethRpcAddress !== undefined && typeof raw.ethRpcAddress !== 'string') throw new Error(`${path}: ethRpcAddress must be a string`);
  return { ...DEFAULT_NODE_SETTINGS, ...raw };
}
