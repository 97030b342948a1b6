/**
 * `cmtd dev`: a one-node chain for dapp development, what `anvil` or
 * `hardhat node` give on Ethereum: a block as soon as a transaction arrives
 * (or one every --block-time), development accounts from a mnemonic that
 * the JSON-RPC signs with (eth_sendTransaction, personal_sign, …), every
 * mined transaction printed, browsers allowed (CORS), state in a temporary
 * directory (or --home to keep it). Ctrl-C stops cmtd and cometbft and
 * deletes the temporary state.
 *
 * It is a Localnet of one validator whose base port is chosen so that
 * CometBFT and the node take the four ports below --rpc-port (p2p port-4,
 * CometBFT RPC port-3, ABCI port-2, the node's JSON-RPC port-1). The public
 * JSON-RPC on --rpc-port is served from this process (src/rpc/dev-front.ts):
 * the keys stay here, and `cmtd start` never holds one.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { HDNodeWallet, Mnemonic } from 'ethers';
import { setTomlValue } from '../localnet/cometbft.js';
import { CMT } from '../state/params.js';
import { defaultAppState, DEV_MNEMONIC, Localnet, type LocalNode } from '../localnet/network.js';
import { waitFor } from '../node/process.js';
import { parseCorsOrigins } from '../rpc/cors.js';
import { devAccountMethods } from '../rpc/dev-accounts.js';
import { HttpNodeRpc, startDevFront } from '../rpc/dev-front.js';
import { DEFAULT_RPC_LIMITS } from '../rpc/eth.js';
import { DEFAULT_ETH_RPC_PORT, parseHostPort, type RpcServer } from '../rpc/server.js';
import { startUiServer, uiBuilt, uiOrigins, withUiOrigins, type UiServer } from '../ui/server.js';
import { parseAmount } from './amount.js';
import { logMinedTxs, type MinedTxLog } from './dev-log.js';
import { formatCmt } from './format.js';

interface DevFlags {
  home?: string;
  rpcPort: string;
  blockTime?: string;
  accounts: string;
  mnemonic: string;
  balance: string;
  rpcCors: string;
  uiAddress?: string;
  logLevel: string;
}

/**
 * Where the staking dashboard is served: --ui-address, else 127.0.0.1 five
 * ports below --rpc-port (the base port + 5, as node0 of a localnet). Off
 * with '' or, when not asked for, when the dashboard is not built.
 */
function dashboardAddress(flag: string | undefined, rpcPort: number): { host: string; port: number } | undefined {
  if (flag !== undefined) return flag.trim() === '' ? undefined : parseHostPort(flag);
  if (!uiBuilt()) return undefined;
  return { host: '127.0.0.1', port: rpcPort - BASE_PORT_BELOW + 5 };
}

/** Ports below --rpc-port that the node takes: base+6 p2p, +7 CometBFT RPC, +8 ABCI, +9 the node's JSON-RPC (src/localnet/network.ts). */
const BASE_PORT_BELOW = 10;

/**
 * CometBFT's commit timeout when blocks are made on demand: the least time
 * between two blocks. An idle block changes no state here (inflation 0 in
 * the dev genesis, src/app/block-hashes.ts), so CometBFT stops after the one
 * block that carries the last app hash; a short timeout lets the next
 * transaction in at once (README `cmtd dev`, BENCHMARKS.md).
 */
export const ON_DEMAND_COMMIT_TIMEOUT = '10ms';

/** The faucet that pays for anvil_setBalance: far more than the accounts hold. */
const FAUCET_BALANCE = 1_000_000_000n * CMT;

/** What a kept chain remembers of how it was made (dev.json, mode 0600: it holds the mnemonic). */
interface DevManifest {
  mnemonic: string;
  accounts: number;
}

const DEV_MANIFEST = 'dev.json';

function wholeNumber(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\s*[0-9]+\s*$/.test(value) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  return n;
}

/** --block-time: a CometBFT duration ('500ms', '2s') or seconds as anvil takes them ('2'); '' or 0: on demand. */
export function parseBlockTime(value: string | undefined): string | undefined {
  const text = (value ?? '').trim();
  if (text === '' || /^0+(\.0*)?(s|ms)?$/.test(text)) return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/.exec(text);
  if (m === null) throw new Error(`--block-time must be a duration like 2s, 500ms or 2 (seconds), or 0 for a block per transaction; got '${value}'`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1_000);
  if (ms < 10 || ms > 3_600_000) throw new Error(`--block-time must be from 10ms to 1 hour, got '${value}'`);
  return `${Math.round(ms)}ms`;
}

/** Where the faucet and the validator's operator are among the mnemonic's accounts: right after the developer's. */
const faucetIndex = (accounts: number): number => accounts;
const operatorIndex = (accounts: number): number => accounts + 1;

function parseMnemonic(phrase: string): Mnemonic {
  try {
    return Mnemonic.fromPhrase(phrase.trim().replace(/\s+/g, ' '));
  } catch (err) {
    throw new Error(`--mnemonic is not a valid BIP-39 phrase: ${(err as Error).message}`);
  }
}

/** The mnemonic's accounts m/44'/60'/0'/0/i, as anvil, Hardhat and MetaMask derive them (the seed is computed once: it is slow). */
function devWallets(mnemonic: Mnemonic): (i: number) => HDNodeWallet {
  const parent = HDNodeWallet.fromMnemonic(mnemonic, "m/44'/60'/0'/0");
  return (i) => parent.deriveChild(i);
}

/** Consensus timing for on-demand or interval blocks; written before every start, so a kept chain follows the flags. */
function configureBlocks(node: LocalNode, blockTime: string | undefined): void {
  const path = join(node.home, 'config', 'config.toml');
  let text = readFileSync(path, 'utf8');
  text = setTomlValue(text, 'consensus', 'create_empty_blocks', blockTime !== undefined);
  text = setTomlValue(text, 'consensus', 'create_empty_blocks_interval', '0s');
  text = setTomlValue(text, 'consensus', 'timeout_commit', blockTime ?? ON_DEMAND_COMMIT_TIMEOUT);
  text = setTomlValue(text, 'consensus', 'skip_timeout_commit', false);
  writeFileSync(path, text);
}

async function createChain(dir: string, flags: DevFlags, rpcPort: number): Promise<{ net: Localnet; manifest: DevManifest }> {
  const accounts = wholeNumber(flags.accounts, 'accounts', 1, 1000);
  const mnemonic = parseMnemonic(flags.mnemonic);
  const balance = parseAmount(flags.balance, '--balance');
  if (balance <= 0n) throw new Error('--balance must be above 0');
  // The mnemonic's first `accounts` are the developer's; the next one is the faucet, the one after operates the validator (and is the foundation).
  const wallet = devWallets(mnemonic);
  const address = (i: number): string => wallet(i).address.toLowerCase();
  const net = await Localnet.create({
    dir,
    nodes: 1,
    accounts,
    basePort: rpcPort - BASE_PORT_BELOW,
    chainId: 'cmtd-dev',
    cmtdLogLevel: flags.logLevel,
    appState: (ctx) => {
      const funded = [operatorIndex(accounts), ...Array.from({ length: accounts }, (_, i) => i)].map((i) => ({ address: address(i), privateKey: '' }));
      const state = defaultAppState({ ...ctx, accounts: funded }, balance) as { params: Record<string, unknown>; accounts: Array<{ address: string; balance: string }> };
      state.accounts.push({ address: address(faucetIndex(accounts)), balance: FAUCET_BALANCE.toString() });
      // No mint (SPEC 3 lets a genesis lower the rate; governance may raise it again up to 8%): a
      // block that mints changes the state, and CometBFT follows every state change with another block.
      state.params.inflation_rate_bp = 0;
      return state;
    },
  });
  const manifest: DevManifest = { mnemonic: mnemonic.phrase, accounts };
  const path = join(dir, DEV_MANIFEST);
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { net, manifest };
}

function loadChain(dir: string, flags: DevFlags, given: (name: keyof DevFlags) => boolean): { net: Localnet; manifest: DevManifest } {
  const path = join(dir, DEV_MANIFEST);
  if (!existsSync(path)) throw new Error(`${dir} holds a chain made by an older 'cmtd dev' (no ${DEV_MANIFEST}): delete it or use another --home`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as DevManifest;
  const ignored = (['mnemonic', 'accounts', 'balance'] as const).filter(given);
  if (ignored.length > 0) process.stdout.write(`note: ${ignored.map((n) => `--${n}`).join(', ')} apply to new chains only; ${dir} keeps its accounts\n`);
  return { net: Localnet.load(dir, { cmtdLogLevel: flags.logLevel }), manifest };
}

async function dev(flags: DevFlags, command: Command): Promise<void> {
  const rpcPort = wholeNumber(flags.rpcPort, 'rpc-port', BASE_PORT_BELOW, 65_535);
  const blockTime = parseBlockTime(flags.blockTime);
  parseCorsOrigins(flags.rpcCors); // refuse a bad value before anything starts
  const ui = dashboardAddress(flags.uiAddress, rpcPort);
  const temporary = flags.home === undefined;
  const dir = temporary ? mkdtempSync(join(tmpdir(), 'cmtd-dev-')) : resolve(flags.home!);
  const removeTemporary = (): void => {
    if (temporary) rmSync(dir, { recursive: true, force: true });
  };
  const given = (name: keyof DevFlags): boolean => ['cli', 'env'].includes(command.getOptionValueSource(name) ?? '');
  let net: Localnet;
  let manifest: DevManifest;
  try {
    ({ net, manifest } = existsSync(join(dir, 'localnet.json')) ? loadChain(dir, flags, given) : await createChain(dir, flags, rpcPort));
  } catch (err) {
    removeTemporary();
    throw err;
  }
  if (net.nodes.length !== 1 || net.docker) throw new Error(`${dir} holds a localnet of ${net.nodes.length} nodes, not a 'cmtd dev' chain`);
  const node = net.nodes[0]!;
  const nodeUrl = node.ethRpcUrl;
  if (nodeUrl === undefined || node.ethRpcPort === undefined) throw new Error(`${dir} was created before nodes had a JSON-RPC port: delete it`);
  const publicPort = node.ethRpcPort + 1;
  if (publicPort !== rpcPort) process.stdout.write(`note: ${dir} was created with JSON-RPC port ${publicPort}; --rpc-port applies to new chains only\n`);
  configureBlocks(node, blockTime);

  const wallet = devWallets(Mnemonic.fromPhrase(manifest.mnemonic));
  const wallets = Array.from({ length: manifest.accounts }, (_, i) => wallet(i));
  const faucet = wallet(faucetIndex(manifest.accounts));
  const operator = wallet(operatorIndex(manifest.accounts));
  const nodeRpc = new HttpNodeRpc(nodeUrl);

  let stopping = false;
  let front: RpcServer | undefined;
  let uiServer: UiServer | undefined;
  let txLog: MinedTxLog | undefined;
  const stop = async (reason: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    txLog?.stop();
    process.stdout.write(`\n${reason}: stopping...\n`);
    await uiServer?.close();
    await front?.close();
    await net.stop();
    removeTemporary();
    process.stdout.write(temporary ? 'stopped; the chain was temporary and is deleted\n' : `stopped; the chain is kept in ${dir}\n`);
    process.exit(code);
  };
  process.once('SIGINT', () => void stop('interrupted', 0));
  process.once('SIGTERM', () => void stop('terminated', 0));

  try {
    await net.start();
    // Ready once the first block is committed: before it the JSON-RPC has no state to answer from.
    await waitFor('the first block', async () => (BigInt(await nodeRpc.call<string>('eth_blockNumber', [])) >= 1n ? true : undefined), 60_000);
    front = await startDevFront({
      host: '127.0.0.1',
      port: publicPort,
      nodeUrl,
      local: devAccountMethods({ accounts: wallets, faucet, node: nodeRpc }),
      // The dashboard's pages call the JSON-RPC from the dashboard's origin.
      cors: ui === undefined ? flags.rpcCors : withUiOrigins(flags.rpcCors, uiOrigins(ui.host, ui.port)),
      maxBodyBytes: DEFAULT_RPC_LIMITS.maxBodyBytes,
      maxBatch: DEFAULT_RPC_LIMITS.maxBatch,
      // Each WebSocket client gets one to the node, which also serves the mined-transaction log's: one fewer here.
      maxConnections: DEFAULT_RPC_LIMITS.maxConnections - 1,
      maxWsBufferedBytes: DEFAULT_RPC_LIMITS.maxWsBufferedBytes,
    });
    if (ui !== undefined) uiServer = await startUiServer({ ...ui, config: { rpcUrl: front.url } });
  } catch (err) {
    if (stopping) return; // interrupted while starting
    stopping = true;
    await uiServer?.close();
    await front?.close();
    await net.stop();
    // A temporary chain's logs go with it: keep their ends in the message.
    const logs = temporary ? ['cmtd.log', 'cometbft.log'].map((name) => logTail(join(node.home, name), name)).join('') : ` (logs in ${node.home})`;
    removeTemporary();
    throw new Error(`${(err as Error).message}${logs}`);
  }
  if (stopping) return;
  const chainId = BigInt(await nodeRpc.call<string>('eth_chainId', []));
  const balances = await Promise.all([...wallets, faucet, operator].map(async (w) => BigInt(await nodeRpc.call<string>('eth_getBalance', [w.address, 'latest']))));
  printBanner({
    net,
    node,
    url: front.url,
    ...(uiServer === undefined ? {} : { uiUrl: uiServer.url }),
    chainId,
    temporary,
    blockTime,
    cors: flags.rpcCors,
    mnemonic: manifest.mnemonic,
    wallets,
    faucet,
    operator,
    balances,
  });
  // Ready line: scripts and tests wait for it.
  process.stdout.write(`cmtd dev ready: Ethereum JSON-RPC ${front.url} (chain id ${chainId})\n`);
  txLog = logMinedTxs(nodeUrl.replace(/^http/, 'ws'), nodeRpc, (text) => process.stdout.write(text));
  // The supervisor (src/node/supervisor.ts) ends the other process when one dies; the chain then stops.
  void net
    .supervise('no', () => undefined)
    .then(({ end }) => {
      if (end.code !== 0) void stop(`${end.reason} (logs in ${node.home})`, 1);
    });
}

/** The last lines of a log file, for an error message. */
function logTail(path: string, name: string, lines = 15): string {
  if (!existsSync(path)) return '';
  const tail = readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((l) => l.slice(0, 400));
  return `\n--- the end of ${name} ---\n${tail.join('\n')}`;
}

interface Banner {
  net: Localnet;
  node: LocalNode;
  url: string;
  /** The staking dashboard, when served. */
  uiUrl?: string;
  chainId: bigint;
  temporary: boolean;
  blockTime: string | undefined;
  cors: string;
  mnemonic: string;
  wallets: HDNodeWallet[];
  faucet: HDNodeWallet;
  operator: HDNodeWallet;
  /** Of the wallets, then the faucet, then the operator. */
  balances: bigint[];
}

function printBanner(b: Banner): void {
  const lines = [
    `cmtd dev chain '${b.net.chainId}': one validator, ${b.blockTime === undefined ? 'a block as soon as a transaction arrives' : `a block every ${b.blockTime}`}`,
    '',
    `Ethereum JSON-RPC   ${b.url} (HTTP and WebSocket), chain id ${b.chainId}`,
    `browsers (CORS)     ${b.cors.trim() === '' ? 'none allowed (--rpc-cors)' : b.cors}`,
    `staking dashboard   ${b.uiUrl ?? "off (--ui-address; 'npm run build:ui' builds it)"}`,
    `CometBFT RPC        http://127.0.0.1:${b.node.rpcPort}`,
    `state               ${b.net.dir}${b.temporary ? ' (temporary: deleted on exit; --home DIR keeps it)' : ''}`,
    `logs                ${b.node.home}/cmtd.log, ${b.node.home}/cometbft.log`,
    '',
    'Development accounts (eth_accounts; the JSON-RPC signs for them. Well-known keys: never use them for real funds)',
    `mnemonic            ${b.mnemonic}`,
    ...b.wallets.map((w, i) => `(${i}) ${w.address.toLowerCase()}  ${formatCmt(b.balances[i]!)} CMT  ${w.privateKey}`),
    `faucet              ${b.faucet.address.toLowerCase()}  ${formatCmt(b.balances[b.wallets.length]!)} CMT (anvil_setBalance pays from it; account ${b.wallets.length})`,
    `validator operator  ${b.operator.address.toLowerCase()}  ${formatCmt(b.balances[b.wallets.length + 1]!)} CMT (and the foundation; account ${b.wallets.length + 1})`,
    '',
    'Mined transactions are printed below. Ctrl-C stops the chain.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('a one-node development chain (like anvil or hardhat node): development accounts, Ethereum JSON-RPC on 127.0.0.1:8545')
    .addOption(new Option('--home <dir>', 'keep the chain in this directory (default: a temporary directory, deleted on exit)').env('CMTD_DEV_HOME'))
    .addOption(
      new Option('--rpc-port <port>', 'Ethereum JSON-RPC port; the node takes the four ports below it (p2p port-4, CometBFT RPC port-3, ABCI port-2, its own JSON-RPC port-1)')
        .env('CMTD_DEV_RPC_PORT')
        .default(String(DEFAULT_ETH_RPC_PORT)),
    )
    .addOption(
      new Option(
        '--block-time <duration>',
        "a block every <duration> ('2s', '500ms', or seconds like anvil: '2'), empty or not; default: a block as soon as a transaction arrives",
      ).env('CMTD_DEV_BLOCK_TIME'),
    )
    .addOption(new Option('--accounts <n>', 'development accounts: the first n of the mnemonic').env('CMTD_DEV_ACCOUNTS').default('10'))
    .addOption(new Option('--mnemonic <phrase>', 'BIP-39 phrase of the development accounts').env('CMTD_DEV_MNEMONIC').default(DEV_MNEMONIC))
    .addOption(new Option('--balance <cmt>', 'balance of each development account, CMT').env('CMTD_DEV_BALANCE').default('1000000'))
    .addOption(
      new Option('--rpc-cors <origins>', "web pages allowed to call the JSON-RPC: '*', or origins like http://localhost:3000,https://app.example; '' for none")
        .env('CMTD_DEV_RPC_CORS')
        .default('*'),
    )
    .addOption(
      new Option('--ui-address <host:port>', "staking dashboard listen address (default: 127.0.0.1, five ports below --rpc-port: 8540); '' disables it").env('CMTD_DEV_UI_ADDRESS'),
    )
    .addOption(new Option('--log-level <level>', 'cmtd log level (its log is a file in the chain directory)').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .action(dev);
}
