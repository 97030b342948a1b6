/**
 * A local network of N cmtd + cometbft pairs on loopback ports: files,
 * genesis, start, stop. Used by `cmtd localnet`, `make localnet` and the
 * integration tests, so what the tests exercise is what operators run.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HDNodeWallet, Mnemonic } from 'ethers';
import { CMT, DEFAULT_BLOCK_GAS_LIMIT } from '../state/params.js';
import {
  cometbftBinary,
  cometbftInit,
  configureNode,
  DEFAULT_COMETBFT_VERSION,
  nodeId,
  readGenesis,
  readValidatorKey,
  setTomlValue,
  writeGenesis,
  type CometVersion,
  type ValidatorKey,
} from './cometbft.js';
import { NodeSupervisor, type PairEnd, type RestartPolicy } from '../node/supervisor.js';
import { freePort, type ManagedProcess, waitFor } from '../node/process.js';
import { withNodeMalloc } from '../node/malloc.js';
import { NODE_V8_FLAGS } from '../node/v8-flags.js';
import type { CometRpc } from '../comet/rpc.js';

/** The well-known development mnemonic (Hardhat/Anvil): never use its keys for real funds. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

export interface DevAccount {
  address: string;
  privateKey: string;
}

export function devAccounts(count: number): DevAccount[] {
  const mnemonic = Mnemonic.fromPhrase(DEV_MNEMONIC);
  return Array.from({ length: count }, (_, i) => {
    const wallet = HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`);
    return { address: wallet.address.toLowerCase(), privateKey: wallet.privateKey };
  });
}

export type AbciTransport = 'socket' | 'grpc';

export interface AppStateContext {
  accounts: DevAccount[];
  /** Keys of the validator nodes (0 … nodes-1), in CometBFT's genesis validator set. */
  validatorKeys: ValidatorKey[];
  /** Keys of the further candidate nodes (LocalnetOptions.candidates), not in CometBFT's genesis set. */
  candidateKeys: ValidatorKey[];
}

/** A node's part: a genesis validator, or a further candidate (a backup or below). */
export type NodeRole = 'validator' | 'candidate';

export interface LocalnetOptions {
  dir: string;
  /** Number of validator nodes. */
  nodes: number;
  /**
   * Further nodes (indexes nodes … nodes+candidates-1) that run cmtd and
   * cometbft and are staking candidates with a lower stake, outside the
   * genesis validator set; the default genesis then sets max_validators to
   * `nodes`, so they rank as backups (then plain candidates). Default 0.
   */
  candidates?: number;
  /**
   * Write CometBFT configs for docker-compose.yml instead of loopback: every
   * node listens on all interfaces and reaches its peers by service name
   * (`node<i>`), each node's cmtd and cometbft sharing one container.
   */
  docker?: boolean;
  cometVersion?: CometVersion;
  /** ABCI transport of node i. */
  abci?: AbciTransport | ((index: number) => AbciTransport);
  /** Serve ABCI on TCP loopback also for the socket transport (default: a unix socket). */
  abciTcp?: boolean;
  /** CometBFT timeout_commit, e.g. '1s'. */
  blockTime?: string;
  /** Funded development accounts (the DEV_MNEMONIC's first N). */
  accounts?: number;
  accountBalance?: bigint;
  chainId?: string;
  /**
   * Fixed ports: node i uses basePort+10i+6 (p2p), +7 (RPC), +8 (ABCI), +9 (Ethereum JSON-RPC).
   * Default: free ports picked at random (tests).
   */
  basePort?: number;
  /** CometBFT's consensus param block.max_gas (default: the default param block_gas_limit, SPEC 9). */
  maxGas?: bigint;
  /** Builds genesis app_state; default: funded dev accounts and default params. */
  appState?: (ctx: AppStateContext) => unknown;
  /** How to run cmtd; default: this checkout (sources through tsx, or dist when built). */
  cmtdCommand?: string[];
  cmtdLogLevel?: string;
  cometLogLevel?: string;
  /** host:port where node0's cmtd serves the staking dashboard (`cmtd start --ui-address`); default: none. */
  uiAddress?: string;
}

export interface LocalNode {
  index: number;
  role: NodeRole;
  home: string;
  cmtdHome: string;
  rpc: CometRpc;
  rpcPort: number;
  p2pPort: number;
  abciPort: number;
  /** cmtd's ABCI listen address: unix:///…/cmtd/abci.sock, or tcp://127.0.0.1:<abciPort> (gRPC, docker). */
  abciAddress: string;
  /** Port of cmtd's Ethereum JSON-RPC gateway (HTTP and WebSocket); undefined for a localnet created before it existed. */
  ethRpcPort?: number;
  /** http://127.0.0.1:<ethRpcPort> */
  ethRpcUrl?: string;
  abci: AbciTransport;
  validatorKey: ValidatorKey;
  /** The node's cmtd and cometbft as one unit (src/node/supervisor.ts). */
  pair: NodeSupervisor;
  /** pair.cmtd */
  cmtd: ManagedProcess;
  /** pair.comet */
  comet: ManagedProcess;
}

interface LocalnetManifest {
  chainId: string;
  cometVersion: CometVersion;
  nodes: Array<{
    index: number;
    rpcPort: number;
    p2pPort: number;
    abciPort: number;
    /** cmtd's ABCI listen address (its cometbft's proxy_app); absent in older localnets: tcp://127.0.0.1:<abciPort>. */
    abciAddress?: string;
    ethRpcPort?: number;
    abci: AbciTransport;
    role?: NodeRole;
  }>;
  accounts: DevAccount[];
  /** Configured for docker-compose.yml (LocalnetOptions.docker). */
  docker?: boolean;
}

/** Longest unix socket path the OS takes (sun_path is 108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

/**
 * Where node i's cmtd serves ABCI: a unix socket (mode 0600) in its cmtd
 * home, so no other user of the machine can reach it; TCP on loopback for
 * gRPC, inside docker (the entrypoint's choice) and when the path would be
 * too long for a socket.
 */
function localAbciAddress(home: string, abci: AbciTransport, port: number, tcp: boolean): string {
  const socket = join(home, 'cmtd', 'abci.sock');
  if (abci === 'socket' && !tcp && socket.length <= MAX_SOCKET_PATH) return `unix://${socket}`;
  return `tcp://127.0.0.1:${port}`;
}

function abciAddressOf(node: { abciAddress?: string; abciPort: number }): string {
  return node.abciAddress ?? `tcp://127.0.0.1:${node.abciPort}`;
}

/** The host name of node i inside docker-compose.yml (its service name). */
export function dockerHost(index: number): string {
  return `node${index}`;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', import.meta.url.endsWith('.ts') ? '' : '..');

/** How to launch this checkout's cmtd. */
export function defaultCmtdCommand(): string[] {
  if (import.meta.url.endsWith('.ts')) return [process.execPath, ...NODE_V8_FLAGS, '--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
  return [process.execPath, ...NODE_V8_FLAGS, join(ROOT, 'dist', 'src', 'cli', 'main.js')];
}

/** Stake each localnet validator holds in itself at genesis, and its declared maximum. */
export const LOCALNET_SELF_STAKE = 10_000n * CMT;
export const LOCALNET_MAX_STAKE = 100_000n * CMT;
/** Self-stake of the first further candidate node; each next one 100 CMT less, so they rank in node order. */
export const LOCALNET_CANDIDATE_STAKE = 5_000n * CMT;

/**
 * Localnet genesis: funded dev accounts; node i (validator or further
 * candidate) is a staking candidate operated by dev account i; waits
 * shortened for testing. With further candidates, max_validators is the
 * number of validator nodes, so the candidates (lower stakes) rank below.
 */
export function defaultAppState(ctx: AppStateContext, balance: bigint): unknown {
  const keys = [...ctx.validatorKeys, ...(ctx.candidateKeys ?? [])];
  const params: Record<string, unknown> = { unstake_waiting_period_s: '120', proposal_period_s: '600', foundation_address: ctx.accounts[0]?.address ?? '' };
  if (keys.length > ctx.validatorKeys.length) params.max_validators = ctx.validatorKeys.length;
  return {
    params,
    accounts: ctx.accounts.map((a) => ({ address: a.address, balance: balance.toString() })),
    candidates: keys.map((key, i) => {
      const operator = ctx.accounts[i];
      if (operator === undefined) throw new Error(`localnet needs at least as many accounts as nodes (${keys.length})`);
      const candidateRank = i - ctx.validatorKeys.length;
      const selfStake = candidateRank < 0 ? LOCALNET_SELF_STAKE : LOCALNET_CANDIDATE_STAKE - BigInt(candidateRank) * 100n * CMT;
      return {
        address: operator.address,
        pub_key: key.pubKey,
        // A further candidate declares 10 × its stake: the least self-stake ratio (10%) allows.
        max_stake: (candidateRank < 0 ? LOCALNET_MAX_STAKE : 10n * selfStake).toString(),
        self_stake: selfStake.toString(),
        comp_rate_bp: 2000,
        description: { name: `node${i}`, website: '', location: 'localhost', email: '', jurisdiction: '', data_centre: '', security: '', technical_setup: '' },
        verified: false,
      };
    }),
  };
}

/**
 * Inside a container, CometBFT listens on every interface so the published
 * ports and the other containers reach it; cmtd (ABCI) stays on loopback,
 * shared with its cometbft in the same container.
 */
function dockerizeConfig(home: string, node: { rpcPort: number; p2pPort: number }): void {
  const path = join(home, 'config', 'config.toml');
  let text = readFileSync(path, 'utf8');
  text = setTomlValue(text, 'rpc', 'laddr', `tcp://0.0.0.0:${node.rpcPort}`);
  text = setTomlValue(text, 'p2p', 'laddr', `tcp://0.0.0.0:${node.p2pPort}`);
  writeFileSync(path, text);
}

export class Localnet {
  private constructor(
    readonly dir: string,
    readonly manifest: LocalnetManifest,
    readonly nodes: LocalNode[],
  ) {}

  get accounts(): DevAccount[] {
    return this.manifest.accounts;
  }

  get chainId(): string {
    return this.manifest.chainId;
  }

  /** Whether the files are configured for docker-compose.yml (LocalnetOptions.docker). */
  get docker(): boolean {
    return this.manifest.docker === true;
  }

  /** The nodes in CometBFT's genesis validator set. */
  get validatorNodes(): LocalNode[] {
    return this.nodes.filter((n) => n.role === 'validator');
  }

  /** The further candidate nodes (LocalnetOptions.candidates). */
  get candidateNodes(): LocalNode[] {
    return this.nodes.filter((n) => n.role === 'candidate');
  }

  /** Creates the files of a new network in `dir` (which must not hold one). */
  static async create(options: LocalnetOptions): Promise<Localnet> {
    const dir = resolve(options.dir);
    if (existsSync(join(dir, 'localnet.json'))) throw new Error(`${dir} already holds a localnet: reset it first`);
    mkdirSync(dir, { recursive: true });
    const version = options.cometVersion ?? DEFAULT_COMETBFT_VERSION;
    const binary = cometbftBinary(version);
    const chainId = options.chainId ?? 'cmtd-localnet';
    const candidates = options.candidates ?? 0;
    const total = options.nodes + candidates;
    const accounts = devAccounts(Math.max(options.accounts ?? 10, total));
    const manifestNodes: LocalnetManifest['nodes'] = [];
    const ids: string[] = [];
    for (let i = 0; i < total; i++) {
      const home = join(dir, `node${i}`);
      await cometbftInit(binary, home);
      mkdirSync(join(home, 'cmtd'), { recursive: true });
      const abci = typeof options.abci === 'function' ? options.abci(i) : (options.abci ?? 'socket');
      const ports =
        options.basePort === undefined
          ? { p2pPort: await freePort(), rpcPort: await freePort(), abciPort: await freePort(), ethRpcPort: await freePort() }
          : {
              p2pPort: options.basePort + 10 * i + 6,
              rpcPort: options.basePort + 10 * i + 7,
              abciPort: options.basePort + 10 * i + 8,
              ethRpcPort: options.basePort + 10 * i + 9,
            };
      manifestNodes.push({
        index: i,
        ...ports,
        abciAddress: localAbciAddress(home, abci, ports.abciPort, (options.docker ?? false) || (options.abciTcp ?? false)),
        abci,
        role: i < options.nodes ? 'validator' : 'candidate',
      });
      ids.push(await nodeId(binary, home));
    }
    const keys = manifestNodes.map((n) => readValidatorKey(join(dir, `node${n.index}`)));
    const genesis = readGenesis(join(dir, 'node0'));
    genesis.chain_id = chainId;
    genesis.consensus_params.block.max_gas = (options.maxGas ?? DEFAULT_BLOCK_GAS_LIMIT).toString();
    const validatorKeys = keys.slice(0, options.nodes);
    genesis.validators = validatorKeys.map((key, i) => ({
      address: key.address,
      pub_key: { type: 'tendermint/PubKeyEd25519', value: key.pubKey },
      power: '10',
      name: `node${i}`,
    }));
    const ctx: AppStateContext = { accounts, validatorKeys, candidateKeys: keys.slice(options.nodes) };
    genesis.app_state = options.appState?.(ctx) ?? defaultAppState(ctx, options.accountBalance ?? 1_000_000n * CMT);
    const docker = options.docker ?? false;
    for (const node of manifestNodes) {
      const home = join(dir, `node${node.index}`);
      writeGenesis(home, genesis);
      configureNode(home, {
        moniker: `node${node.index}`,
        // CometBFT's gRPC client takes host:port; its socket client takes a URL.
        proxyApp: node.abci === 'grpc' ? `127.0.0.1:${node.abciPort}` : abciAddressOf(node),
        abci: node.abci,
        rpcPort: node.rpcPort,
        p2pPort: node.p2pPort,
        persistentPeers: manifestNodes.filter((p) => p.index !== node.index).map((p) => `${ids[p.index]}@${docker ? dockerHost(p.index) : '127.0.0.1'}:${p.p2pPort}`),
        blockTime: options.blockTime ?? '500ms',
        logLevel: options.cometLogLevel ?? 'info',
      });
      if (docker) dockerizeConfig(home, node);
    }
    const manifest: LocalnetManifest = { chainId, cometVersion: version, nodes: manifestNodes, accounts, ...(docker ? { docker } : {}) };
    writeFileSync(join(dir, 'localnet.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return Localnet.load(dir, options);
  }

  /** Opens the network whose files are in `dir`. */
  static load(dirPath: string, options: Pick<LocalnetOptions, 'cmtdCommand' | 'cmtdLogLevel' | 'uiAddress'> = {}): Localnet {
    const dir = resolve(dirPath);
    const manifestPath = join(dir, 'localnet.json');
    if (!existsSync(manifestPath)) throw new Error(`no localnet in ${dir}: create one with 'cmtd localnet start'`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as LocalnetManifest;
    const binary = cometbftBinary(manifest.cometVersion);
    const [command, ...baseArgs] = options.cmtdCommand ?? defaultCmtdCommand();
    const cmtdEnv = withNodeMalloc();
    const nodes = manifest.nodes.map((n): LocalNode => {
      const home = join(dir, `node${n.index}`);
      const cmtdHome = join(home, 'cmtd');
      const pair = new NodeSupervisor({
        name: `node${n.index}`,
        cometRpcUrl: `http://127.0.0.1:${n.rpcPort}`,
        cmtd: {
          name: `cmtd node${n.index}`,
          command: command!,
          args: [
            ...baseArgs,
            'start',
            '--home',
            cmtdHome,
            '--abci',
            n.abci,
            '--address',
            abciAddressOf(n),
            '--rpc-address',
            n.ethRpcPort === undefined ? '' : `127.0.0.1:${n.ethRpcPort}`,
            '--comet-rpc',
            `http://127.0.0.1:${n.rpcPort}`,
            '--log-format',
            'json',
            '--log-level',
            options.cmtdLogLevel ?? 'info',
            // Always given: a CMTD_UI_ADDRESS in the environment every node inherits would have them all bind one port.
            '--ui-address',
            n.index === 0 ? (options.uiAddress ?? '') : '',
          ],
          logFile: join(home, 'cmtd.log'),
          env: cmtdEnv,
        },
        comet: {
          name: `cometbft node${n.index}`,
          command: binary,
          args: ['node', '--home', home],
          logFile: join(home, 'cometbft.log'),
        },
      });
      return {
        ...n,
        abciAddress: abciAddressOf(n),
        role: n.role ?? 'validator',
        home,
        cmtdHome,
        rpc: pair.rpc,
        ...(n.ethRpcPort === undefined ? {} : { ethRpcUrl: `http://127.0.0.1:${n.ethRpcPort}` }),
        validatorKey: readValidatorKey(home),
        pair,
        cmtd: pair.cmtd,
        comet: pair.comet,
      };
    });
    return new Localnet(dir, manifest, nodes);
  }

  async startCmtd(node: LocalNode): Promise<void> {
    await node.pair.startCmtd();
  }

  async startComet(node: LocalNode): Promise<void> {
    await node.pair.startComet();
  }

  /** Starts every node's cmtd, then every node's cometbft. */
  async start(): Promise<void> {
    for (const node of this.nodes) await this.startCmtd(node);
    for (const node of this.nodes) await this.startComet(node);
  }

  /**
   * Supervises every started node (src/node/supervisor.ts); `report` is told
   * what happens, prefixed with the node. Resolves with the first node
   * that ends for good (policy 'no') or once stop() is called.
   */
  supervise(policy: RestartPolicy, report: (message: string) => void): Promise<{ node: LocalNode; end: PairEnd }> {
    return Promise.race(this.nodes.map((node) => node.pair.supervise(policy, (m) => report(`node${node.index}: ${m}`)).then((end) => ({ node, end }))));
  }

  async stop(): Promise<void> {
    // Each pair stops its CometBFT first, so it never sees its app vanish mid-block.
    await Promise.all(this.nodes.map((n) => n.pair.stop()));
  }

  /** Waits until every running node reports at least `height`. */
  async waitForHeight(height: bigint, timeoutMs = 60_000, nodes: LocalNode[] = this.nodes): Promise<void> {
    await waitFor(
      `height ${height} on ${nodes.length} node(s)`,
      async () => {
        const heights = await Promise.all(nodes.map((n) => n.rpc.height()));
        return heights.every((h) => h >= height) ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** Deletes the network's files (stop it first). */
  static reset(dirPath: string): void {
    rmSync(resolve(dirPath), { recursive: true, force: true });
  }
}
