/**
 * A localnet node's CometBFT [statesync] section, written by hand, for
 * bench/statesync.ts (its nodes are localnet nodes, with a 5 s discovery
 * time). Tests join by state sync as an operator does, with `cmtd init
 * --join --state-sync-rpc` (test/support/join.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTomlValue } from '../../src/localnet/cometbft.js';
import type { CometRpc } from '../../src/comet/rpc.js';

export interface TrustPoint {
  height: bigint;
  /** Block hash at `height`, hex upper-case as CometBFT prints it. */
  hash: string;
}

/** A recent height and its block hash, from a node's /commit (what an operator copies from a trusted node). */
export async function trustPoint(rpc: CometRpc): Promise<TrustPoint> {
  const commit = await rpc.call<{ signed_header: { header: { height: string }; commit: { block_id: { hash: string } } } }>('commit');
  return { height: BigInt(commit.signed_header.header.height), hash: commit.signed_header.commit.block_id.hash };
}

/** Enables state sync in the CometBFT home `home`: light-client RPC servers and the trust point. */
export function configureStateSync(home: string, options: { rpcServers: string[]; trust: TrustPoint; trustPeriod?: string }): void {
  const path = join(home, 'config', 'config.toml');
  let text = readFileSync(path, 'utf8');
  const set = (key: string, value: string | number | boolean): void => {
    text = setTomlValue(text, 'statesync', key, value);
  };
  set('enable', true);
  set('rpc_servers', options.rpcServers.join(','));
  set('trust_height', Number(options.trust.height));
  set('trust_hash', options.trust.hash);
  set('trust_period', options.trustPeriod ?? '168h0m0s');
  set('discovery_time', '5s');
  writeFileSync(path, text);
}
