/**
 * `cmtd init`: a new node home.
 *
 *   <home>/                      (default ~/.cmtd)
 *     data/                      cmtd's state (data/state.db, written by `cmtd start`)
 *     keys/                      account keys, keystore v3 (`cmtd keys`)
 *     cometbft/                  CometBFT's home, when a cometbft binary is available:
 *       config/config.toml       proxy_app unix://<home>/abci.sock (cmtd start's default)
 *       config/genesis.json      chain id, this node as the CometBFT validator, app_state = defaults,
 *                                consensus_params.block.max_gas = the default block_gas_limit
 *       config/priv_validator_key.json, node_key.json
 *       data/
 *     node.json                  what `cmtd node` needs beyond config.toml (the Ethereum JSON-RPC address)
 *
 * `cmtd init --join` makes the home of a node of an existing network
 * instead: its genesis (a file or a node's CometBFT /genesis), peers or
 * seeds, ports, and optionally state sync (a trust height and hash fetched
 * from --state-sync-rpc). `cmtd node --home <home>` starts it as it is.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { cometbftBinary, cometbftInit, readValidatorKey, setTomlValue } from '../localnet/cometbft.js';
import { DEFAULT_BLOCK_GAS_LIMIT } from '../state/params.js';
import { cometHomeOf, defaultAbciAddress, homeHint, keysDir } from './client.js';
import { opt } from './flags.js';
import { printJson } from './format.js';
import { defaultAppState, readGenesisFile, validateGenesisDoc, writeGenesisFile } from './genesis.js';
import { homeOption, outputOption } from './options.js';
import { writeNodeSettings } from '../node/home.js';
import { DEFAULT_TRUST_OFFSET, loadGenesis, MAX_TRUST_OFFSET, parsePeers, stateSyncTrust, type StateSyncTrust } from '../node/join.js';
import type { GenesisDoc } from './genesis.js';

export interface InitFlags {
  home: string;
  chainId: string;
  moniker: string;
  cometHome?: string;
  output: string;
  join?: boolean;
  genesis?: string;
  peers?: string;
  seeds?: string;
  basePort?: string;
  p2pPort?: string;
  rpcPort?: string;
  abciPort?: string;
  ethPort?: string;
  externalAddress?: string;
  privateNetwork?: boolean;
  stateSyncRpc?: string;
  stateSyncTrustPeriod: string;
  /** Blocks below the tip for the trust height (default DEFAULT_TRUST_OFFSET). */
  stateSyncTrustOffset?: string;
}

/** The node's ports; abci undefined: a unix socket in the home. */
interface Ports {
  p2p: number;
  rpc: number;
  abci?: number;
  eth: number;
}

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\s*[0-9]+\s*$/.test(value) || n < 1 || n > 65_535) throw new Error(`${flag} must be a port from 1 to 65535, got '${value}'`);
  return n;
}

/**
 * --base-port B: p2p B, CometBFT RPC B+1, ABCI B+2 (TCP on loopback), Ethereum
 * JSON-RPC B+3; a port flag overrides its one. Without either: CometBFT's
 * 26656/26657, ABCI on a unix socket, JSON-RPC 8545.
 */
function portsOf(flags: InitFlags): Ports {
  const base = port(flags.basePort, '--base-port');
  if (base !== undefined && base > 65_532) throw new Error(`--base-port must leave room for 4 ports (at most 65532), got ${base}`);
  const ports: Ports = {
    p2p: port(flags.p2pPort, '--p2p-port') ?? (base === undefined ? 26_656 : base),
    rpc: port(flags.rpcPort, '--rpc-port') ?? (base === undefined ? 26_657 : base + 1),
    eth: port(flags.ethPort, '--eth-port') ?? (base === undefined ? 8_545 : base + 3),
  };
  const abci = port(flags.abciPort, '--abci-port') ?? (base === undefined ? undefined : base + 2);
  if (abci !== undefined) ports.abci = abci;
  const used = [ports.p2p, ports.rpc, ports.eth, ...(abci === undefined ? [] : [abci])];
  if (new Set(used).size !== used.length) throw new Error(`the node's ports must differ, got p2p ${ports.p2p}, RPC ${ports.rpc}, ABCI ${abci ?? 'socket'}, JSON-RPC ${ports.eth}`);
  return ports;
}

function trustOffset(value: string | undefined): bigint {
  if (value === undefined) return DEFAULT_TRUST_OFFSET;
  if (!/^\s*[0-9]+\s*$/.test(value) || BigInt(value) > MAX_TRUST_OFFSET)
    throw new Error(`--state-sync-trust-offset must be a number of blocks from 0 to ${MAX_TRUST_OFFSET}, got '${value}'`);
  return BigInt(value);
}

function checkTrustPeriod(value: string): void {
  // A Go duration, as CometBFT parses it.
  if (!/^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$/.test(value)) throw new Error(`--state-sync-trust-period must be a duration such as 168h or 336h0m0s, got '${value}'`);
}

export interface InitResult {
  home: string;
  dataDir: string;
  keysDir: string;
  /** Absent when no cometbft binary was found. */
  cometHome?: string;
  genesis?: string;
  /** Base64 ed25519 key of the node's CometBFT validator. */
  validatorPubKey?: string;
  /** Why the CometBFT home was not created. */
  cometSkipped?: string;
  /** --join: the chain joined and how the node will sync. */
  joined?: {
    chainId: string;
    genesisSource: string;
    peers: string[];
    seeds: string[];
    stateSync?: { rpcServers: string[]; trustHeight: string; trustHash: string; trustPeriod: string };
  };
  ports?: Ports;
}

function checkChainId(id: string): void {
  // CometBFT: at most 50 characters.
  if (id === '' || id.length > 50 || /\s/.test(id)) throw new Error(`--chain-id must be 1 to 50 characters without spaces, got '${id}'`);
}

export async function initHome(flags: InitFlags): Promise<InitResult> {
  const joining = flags.join === true;
  if (!joining) checkChainId(flags.chainId);
  if (joining && flags.genesis === undefined) throw new Error("--join needs --genesis FILE|URL: the genesis of the network to join (a URL may be a node's CometBFT RPC)");
  const ports = portsOf(flags);
  const peers = parsePeers(flags.peers ?? '', '--peers');
  const seeds = parsePeers(flags.seeds ?? '', '--seeds');
  if (joining && peers.length === 0 && seeds.length === 0) throw new Error('--join needs --peers or --seeds (node-id@host:port,...): the nodes to connect to');
  checkTrustPeriod(flags.stateSyncTrustPeriod);
  const offset = trustOffset(flags.stateSyncTrustOffset);
  const home = resolve(flags.home);
  const cometHome = resolve(flags.cometHome ?? cometHomeOf(home));
  const genesisPath = join(cometHome, 'config', 'genesis.json');
  if (existsSync(genesisPath)) {
    throw new Error(`${genesisPath} exists already: this home is initialised (remove ${cometHome} to start over, or pick another --home)`);
  }
  // Everything fetched and checked before a file is written: a failed join leaves no half-made home.
  let joinedGenesis: GenesisDoc | undefined;
  let trust: StateSyncTrust | undefined;
  if (joining) {
    joinedGenesis = (await loadGenesis(flags.genesis!)) as unknown as GenesisDoc;
    validateGenesisDoc(joinedGenesis);
    const servers = (flags.stateSyncRpc ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
    if (servers.length > 0) trust = await stateSyncTrust(servers, joinedGenesis.chain_id ?? '', offset);
  } else if (flags.stateSyncRpc !== undefined) {
    throw new Error('--state-sync-rpc is for --join: a new chain has no snapshots to sync from');
  }

  const dataDir = join(home, 'data');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(keysDir(home), { recursive: true, mode: 0o700 });
  const result: InitResult = { home, dataDir, keysDir: keysDir(home) };

  let binary: string;
  try {
    binary = cometbftBinary();
  } catch (err) {
    if (joining) throw err;
    result.cometSkipped = (err as Error).message;
    return result;
  }
  await cometbftInit(binary, cometHome);
  const configPath = join(cometHome, 'config', 'config.toml');
  let config = readFileSync(configPath, 'utf8');
  const set = (section: string, key: string, value: string | number | boolean): void => {
    config = setTomlValue(config, section, key, value);
  };
  set('', 'moniker', flags.moniker);
  set('', 'proxy_app', ports.abci === undefined ? defaultAbciAddress(home) : `tcp://127.0.0.1:${ports.abci}`);
  set('tx_index', 'indexer', 'kv'); // `cmtd tx` finds its transactions by hash
  // The RPC stays on loopback (cmtd's tools and JSON-RPC use it); p2p is for the network.
  set('rpc', 'laddr', `tcp://127.0.0.1:${ports.rpc}`);
  set('p2p', 'laddr', `tcp://0.0.0.0:${ports.p2p}`);
  set('p2p', 'persistent_peers', peers.join(','));
  set('p2p', 'seeds', seeds.join(','));
  if (flags.externalAddress !== undefined) set('p2p', 'external_address', flags.externalAddress);
  if (flags.privateNetwork === true) {
    // Peers on private or loopback addresses, several on one IP (a LAN, or one machine).
    set('p2p', 'addr_book_strict', false);
    set('p2p', 'allow_duplicate_ip', true);
  }
  if (trust !== undefined) {
    set('statesync', 'enable', true);
    set('statesync', 'rpc_servers', trust.rpcServers.join(','));
    set('statesync', 'trust_height', Number(trust.trustHeight));
    set('statesync', 'trust_hash', trust.trustHash);
    set('statesync', 'trust_period', flags.stateSyncTrustPeriod);
  }
  writeFileSync(configPath, config);
  writeNodeSettings(home, { ethRpcAddress: `127.0.0.1:${ports.eth}` });

  if (joinedGenesis !== undefined) {
    writeGenesisFile(genesisPath, joinedGenesis);
    result.joined = {
      chainId: joinedGenesis.chain_id ?? '',
      genesisSource: flags.genesis!,
      peers,
      seeds,
      ...(trust === undefined
        ? {}
        : { stateSync: { rpcServers: trust.rpcServers, trustHeight: trust.trustHeight.toString(), trustHash: trust.trustHash, trustPeriod: flags.stateSyncTrustPeriod } }),
    };
    return { ...result, ports, cometHome, genesis: genesisPath, validatorPubKey: readValidatorKey(cometHome).pubKey };
  }
  const doc = readGenesisFile(genesisPath);
  doc.chain_id = flags.chainId;
  doc.app_state = defaultAppState();
  // SPEC 9: CometBFT's block gas limit is the app's (its own default, -1, is unlimited).
  doc.consensus_params = { ...doc.consensus_params, block: { ...doc.consensus_params?.block, max_gas: DEFAULT_BLOCK_GAS_LIMIT.toString() } };
  for (const v of doc.validators ?? []) v.name = flags.moniker;
  validateGenesisDoc(doc); // the default must be one the node accepts
  writeGenesisFile(genesisPath, doc);
  return { ...result, ports, cometHome, genesis: genesisPath, validatorPubKey: readValidatorKey(cometHome).pubKey };
}

function printJoined(r: InitResult, flags: InitFlags): void {
  const j = r.joined!;
  const h = homeHint(flags.home);
  const key = join(r.cometHome!, 'config', 'priv_validator_key.json');
  const rpc = `http://127.0.0.1:${r.ports!.rpc}`;
  const lines = [
    `initialised ${r.home} to join chain '${j.chainId}' (genesis from ${j.genesisSource})`,
    `  data/      ${r.dataDir}`,
    `  keys/      ${r.keysDir}`,
    `  cometbft/  ${r.cometHome} (consensus key ${r.validatorPubKey})`,
    `  ports      p2p ${r.ports!.p2p}, CometBFT RPC ${r.ports!.rpc} (loopback), ABCI ${r.ports!.abci === undefined ? 'unix socket' : `${r.ports!.abci} (loopback)`}, Ethereum JSON-RPC ${r.ports!.eth} (loopback)`,
    `  peers      ${[...j.peers, ...j.seeds.map((s) => `${s} (seed)`)].join(', ')}`,
    j.stateSync === undefined
      ? '  sync       by replaying every block from genesis (--state-sync-rpc syncs from a snapshot instead)'
      : `  sync       state sync, trusting block ${j.stateSync.trustHeight} (${j.stateSync.trustHash}) from ${[...new Set(j.stateSync.rpcServers)].join(', ')}`,
    '',
    'Next: start the node (cmtd and CometBFT, supervised), and once it has caught up make it a validator:',
    `  cmtd node${h}`,
    `  curl -s ${rpc}/status | grep catching_up      # false: caught up`,
    `  cmtd keys add operator${h}                     # then fund its address`,
    `  cmtd tx declare${h} --node ${rpc} --eth-rpc http://127.0.0.1:${r.ports!.eth} --from operator --validator-key ${key} --max-stake 100000 --self-stake 10000 --comp-rate 10% --name ${flags.moniker}`,
    'See README "Run a validator" and docs/OPERATIONS.md.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function print(r: InitResult, flags: InitFlags): void {
  if (flags.output === 'json') {
    printJson(r);
    return;
  }
  if (r.joined !== undefined) return printJoined(r, flags);
  const h = homeHint(flags.home);
  const lines = [`initialised ${r.home}`, `  data/      ${r.dataDir} (cmtd's state, written by 'cmtd start')`, `  keys/      ${r.keysDir} (account keys: 'cmtd keys')`];
  if (r.cometHome === undefined) {
    lines.push('', `no CometBFT home was created: ${r.cometSkipped ?? 'no cometbft binary'}`, "run 'cmtd init' again once cometbft is installed.");
  } else {
    const key = join(r.cometHome, 'config', 'priv_validator_key.json');
    const g = r.cometHome === cometHomeOf(r.home) ? h : `${h} --genesis ${r.genesis}`;
    lines.push(
      `  cometbft/  ${r.cometHome} (CometBFT home; genesis ${r.genesis})`,
      '',
      `chain '${flags.chainId}': this node (consensus key ${r.validatorPubKey}) is its only CometBFT validator; app_state has the default params and no accounts.`,
      'Next: fund accounts and make the node a staking candidate, then start both processes:',
      `  cmtd keys add operator${h}`,
      `  cmtd genesis add-account${g} --account operator --balance 1000000`,
      `  cmtd genesis add-candidate${g} --candidate operator --pub-key ${key} --max-stake 100000 --self-stake 10000 --comp-rate 20% --name ${flags.moniker}`,
      `  cmtd genesis validate${g}`,
      `  cmtd node --home ${r.home}     # runs cmtd and CometBFT together, restarts them if one dies`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a node home: data and keys directories, and a CometBFT home with the genesis of a new chain, or with --join of an existing network')
    .addOption(homeOption())
    .addOption(opt('--chain-id <id>', 'CometBFT chain id of the new chain', 'cmtd-1'))
    .addOption(opt('--moniker <name>', "this node's name", 'cmtd-node'))
    .addOption(opt('--comet-home <dir>', 'where to create the CometBFT home (default: <home>/cometbft)'))
    .addOption(opt('--join', 'join an existing network (needs --genesis and --peers or --seeds) instead of creating a chain'))
    .addOption(opt('--genesis <file|url>', "--join: the network's genesis: a file, or a node's CometBFT RPC URL (its /genesis)"))
    .addOption(opt('--peers <list>', 'persistent peers, node-id@host:port,...'))
    .addOption(opt('--seeds <list>', 'seed nodes, node-id@host:port,...'))
    .addOption(opt('--base-port <port>', 'ports from here: p2p +0, CometBFT RPC +1, ABCI +2, Ethereum JSON-RPC +3'))
    .addOption(opt('--p2p-port <port>', 'CometBFT p2p port, on all interfaces (default 26656)'))
    .addOption(opt('--rpc-port <port>', 'CometBFT RPC port, on loopback (default 26657)'))
    .addOption(opt('--abci-port <port>', 'ABCI over TCP on loopback (default: a unix socket in the home, mode 0600)'))
    .addOption(opt('--eth-port <port>', "cmtd's Ethereum JSON-RPC port, on loopback (default 8545)"))
    .addOption(opt('--external-address <host:port>', 'the p2p address peers should dial (behind NAT)'))
    .addOption(opt('--private-network', 'peers on private or loopback addresses, several per IP (a LAN or one machine): addr_book_strict off, allow_duplicate_ip on'))
    .addOption(
      opt(
        '--state-sync-rpc <urls>',
        '--join by state sync: CometBFT RPC URLs of nodes of the network (two or more, comma-separated); the trust height and hash are fetched from them',
      ),
    )
    .addOption(
      opt(
        '--state-sync-trust-offset <blocks>',
        "how far below the servers' tip the trust height is: at or below their newest snapshot (1.5 snapshot intervals), so the light client verifies forward",
        DEFAULT_TRUST_OFFSET.toString(),
      ),
    )
    .addOption(opt('--state-sync-trust-period <duration>', 'how long a trusted header is trusted (below the unbonding period)', '168h0m0s'))
    .addOption(outputOption())
    .action(async (flags: InitFlags, command: Command) => {
      // CMTD_GENESIS also names the genesis file of 'cmtd genesis': only --join uses it here.
      if (flags.join !== true && command.getOptionValueSource('genesis') === 'cli') throw new Error('--genesis is for --join (a new chain gets a new genesis)');
      print(await initHome(flags), flags);
    });
}
