/**
 * `cmtd localnet init|start|status|stop|reset`: a network of validators (and
 * optionally further candidate nodes) on loopback ports for testing. `start`
 * runs in the foreground and stops every process on Ctrl-C (or `cmtd
 * localnet stop` from another terminal). `init --docker` writes the files
 * docker-compose.yml runs.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { queryPath, type QueryJson } from '../app/query-routes.js';
import { toAddress } from '../util/address.js';
import { parseCorsOrigins } from '../rpc/cors.js';
import { parseHostPort } from '../rpc/server.js';
import { uiBuilt } from '../ui/server.js';
import { COMETBFT_VERSIONS, DEFAULT_COMETBFT_VERSION, type CometVersion } from '../localnet/cometbft.js';
import { Localnet, type AbciTransport, type LocalNode } from '../localnet/network.js';
import { opt } from './flags.js';
import { formatCmt } from './format.js';
import { formatDuration } from './human.js';

const PID_FILE = 'localnet.pid';
/** Nodes in all, validators and further candidates. */
export const MAX_LOCALNET_NODES = 24;

interface CommonFlags {
  dir: string;
}

interface CreateFlags extends CommonFlags {
  validators: string;
  candidates: string;
  accounts: string;
  blockTime: string;
  abci: AbciTransport;
  cometVersion: CometVersion;
  basePort: string;
  chainId: string;
}

interface StartFlags extends CreateFlags {
  logLevel: string;
  rpcCors?: string;
  uiAddress?: string;
  reset?: boolean;
}

interface InitFlags extends CreateFlags {
  docker?: boolean;
}

function dirOption(): Option {
  return opt('--dir <dir>', 'localnet directory', '.localnet');
}

/** The names these options' variables had before they followed the CMTD_<FLAG> rule. */
const RENAMED_ENV = ['DIR', 'VALIDATORS', 'CANDIDATES', 'ACCOUNTS', 'BLOCK_TIME', 'BASE_PORT', 'CHAIN_ID'];

/** An old variable that is set would be silently ignored: say what it is called now. */
function refuseRenamedEnv(): void {
  const set = RENAMED_ENV.filter((name) => process.env[`CMTD_LOCALNET_${name}`] !== undefined);
  if (set.length > 0) {
    throw new Error(
      `${set.map((n) => `CMTD_LOCALNET_${n}`).join(', ')} ${set.length === 1 ? 'is' : 'are'} now ${set.map((n) => `CMTD_${n}`).join(', ')} (every variable is CMTD_ + its flag): rename ${set.length === 1 ? 'it' : 'them'}`,
    );
  }
}

/** CometBFT's timeout_commit (the block time) of a node, as its config.toml says. */
function configuredBlockTime(node: LocalNode): string | undefined {
  const text = readFileSync(join(node.home, 'config', 'config.toml'), 'utf8');
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header !== null) section = header[1]!.trim();
    const value = /^\s*timeout_commit\s*=\s*"([^"]*)"/.exec(line);
    if (section === 'consensus' && value !== null) return value[1];
  }
  return undefined;
}

/**
 * What the flags the user gave (on the command line or in the environment)
 * ask for that the network in `net` is not: one line each. Defaults are not
 * compared: `start --dir D` runs whatever D holds.
 */
export function localnetDifferences(net: Localnet, flags: CreateFlags, given: (name: keyof CreateFlags) => boolean): string[] {
  const out: string[] = [];
  const differs = (name: keyof CreateFlags, flag: string, has: string | undefined): void => {
    if (!given(name)) return;
    const wanted = String(flags[name]).trim();
    if (has !== wanted) out.push(`${flag} ${wanted}: it has ${has ?? 'unknown'}`);
  };
  differs('validators', '--validators', String(net.validatorNodes.length));
  differs('candidates', '--candidates', String(net.candidateNodes.length));
  differs('accounts', '--accounts', String(net.accounts.length));
  differs('blockTime', '--block-time', net.nodes[0] === undefined ? undefined : configuredBlockTime(net.nodes[0]));
  differs('chainId', '--chain-id', net.chainId);
  differs('cometVersion', '--comet-version', net.manifest.cometVersion);
  const abcis = [...new Set(net.nodes.map((n) => n.abci))];
  differs('abci', '--abci', abcis.join(','));
  const first = net.nodes[0];
  if (given('basePort') && first !== undefined && first.p2pPort !== Number(flags.basePort) + 6) {
    out.push(
      `--base-port ${flags.basePort}: its node0 listens on p2p ${first.p2pPort}, RPC ${first.rpcPort}${first.p2pPort % 10 === 6 ? ` (base port ${first.p2pPort - 6})` : ''}`,
    );
  }
  return out;
}

/** Refuses flags that an existing network would silently not follow. */
function refuseDifferences(dir: string, net: Localnet, flags: CreateFlags, command: Command, verb: string): void {
  const source = (name: keyof CreateFlags): boolean => ['cli', 'env'].includes(command.getOptionValueSource(name) ?? '');
  const differences = localnetDifferences(net, flags, source);
  if (differences.length === 0) return;
  throw new Error(
    `${dir} already holds localnet '${net.chainId}', which does not match what was asked:\n${differences.map((d) => `  ${d}`).join('\n')}\n` +
      `${verb} it as it is by leaving out ${differences.length === 1 ? 'this flag' : 'these flags'}, or add --reset to delete it (chain data, keys) and create a new one`,
  );
}

function wholeNumber(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\s*[0-9]+\s*$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

function readPid(dir: string): number | undefined {
  const path = join(dir, PID_FILE);
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined; // stale: the process is gone
  }
}

/** Creates the network's files from the flags. */
async function create(dir: string, flags: CreateFlags, extra: { cmtdLogLevel?: string; docker?: boolean } = {}): Promise<Localnet> {
  const validators = wholeNumber(flags.validators, 'validators', 1, MAX_LOCALNET_NODES);
  const candidates = wholeNumber(flags.candidates, 'candidates', 0, MAX_LOCALNET_NODES - validators);
  return Localnet.create({
    dir,
    nodes: validators,
    candidates,
    accounts: wholeNumber(flags.accounts, 'accounts', 1, 1000),
    blockTime: flags.blockTime,
    abci: flags.abci,
    cometVersion: flags.cometVersion,
    basePort: wholeNumber(flags.basePort, 'base-port', 1, 65_535 - 10 * (validators + candidates)),
    chainId: flags.chainId,
    ...(extra.cmtdLogLevel === undefined ? {} : { cmtdLogLevel: extra.cmtdLogLevel }),
    ...(extra.docker === undefined ? {} : { docker: extra.docker }),
  });
}

async function init(flags: InitFlags, command: Command): Promise<void> {
  const dir = resolve(flags.dir);
  if (existsSync(join(dir, 'localnet.json'))) {
    const net = Localnet.load(dir);
    refuseDifferences(dir, net, flags, command, 'use');
    process.stdout.write(`${dir} already holds localnet '${net.chainId}' (${net.nodes.length} nodes); 'cmtd localnet reset' deletes it\n`);
    return;
  }
  const net = await create(dir, flags, { docker: flags.docker ?? false });
  process.stdout.write(`created localnet '${net.chainId}' in ${dir}${net.docker ? ' (configured for docker-compose.yml)' : ''}\n\n`);
  printNodes(net);
  printAccounts(net, new Map(), undefined);
}

async function start(flags: StartFlags, command: Command): Promise<void> {
  const dir = resolve(flags.dir);
  if (flags.rpcCors !== undefined) {
    parseCorsOrigins(flags.rpcCors); // refuse a bad value before anything starts
    // Every node's `cmtd start` reads CMTD_RPC_CORS from the environment it inherits.
    process.env.CMTD_RPC_CORS = flags.rpcCors;
  }
  const running = readPid(dir);
  if (running !== undefined) throw new Error(`a localnet is already running from ${dir} (pid ${running}); stop it with 'cmtd localnet stop'`);
  if (flags.reset === true && existsSync(join(dir, 'localnet.json'))) {
    Localnet.reset(dir);
    process.stdout.write(`--reset: removed the localnet in ${dir}\n`);
  }
  let net: Localnet;
  if (existsSync(join(dir, 'localnet.json'))) {
    net = Localnet.load(dir, { cmtdLogLevel: flags.logLevel });
    refuseDifferences(dir, net, flags, command, 'start');
  } else net = await create(dir, flags, { cmtdLogLevel: flags.logLevel });
  // node0 serves the staking dashboard: on its base port + 5 unless told otherwise ('' : none).
  const uiAddress = dashboardAddress(net, flags.uiAddress);
  if (uiAddress !== undefined) net = Localnet.load(dir, { cmtdLogLevel: flags.logLevel, uiAddress });
  if (net.docker) throw new Error(`${dir} is configured for docker-compose.yml (nodes reach each other by service name): run it with 'docker compose up'`);
  writeFileSync(join(dir, PID_FILE), `${process.pid}\n`);
  let stopping = false;
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${reason}: stopping ${net.nodes.length} nodes...\n`);
    await net.stop();
    rmSync(join(dir, PID_FILE), { force: true });
    process.stdout.write('stopped\n');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('interrupted'));
  process.once('SIGTERM', () => void stop('terminated'));
  try {
    await net.start();
  } catch (err) {
    stopping = true;
    await net.stop();
    rmSync(join(dir, PID_FILE), { force: true });
    throw err;
  }
  if (stopping) return; // a signal arrived while the nodes were starting
  process.stdout.write(`localnet '${net.chainId}' running from ${net.dir} (Ctrl-C to stop)\n\n`);
  printNodes(net);
  if (uiAddress !== undefined) process.stdout.write(`staking dashboard   http://${uiAddress}/ (served by node0)\n\n`);
  await printChain(net);
  // A node whose cmtd or cometbft dies is restarted as a pair (src/node/supervisor.ts), and said so.
  void net.supervise('on-failure', (message) => process.stdout.write(`${message}\n`));
  // Report progress until stopped; a node that is down is reported, not hidden.
  for (;;) {
    await new Promise((r) => setTimeout(r, 5_000));
    if (stopping) return;
    const dead = net.nodes.filter((n) => !n.cmtd.running || !n.comet.running).map((n) => `node${n.index}`);
    const heights = await Promise.all(net.nodes.map((n) => n.rpc.height().then(String, () => 'down')));
    process.stdout.write(`heights: ${heights.join(' ')}${dead.length > 0 ? `  (stopped: ${dead.join(', ')}; see their logs)` : ''}\n`);
  }
}

/** Where node0 serves the dashboard: --ui-address, else 127.0.0.1 on node0's base port + 5 (the port below its p2p port's group). */
function dashboardAddress(net: Localnet, flag: string | undefined): string | undefined {
  if (flag !== undefined) {
    if (flag.trim() === '') return undefined;
    parseHostPort(flag); // a bad value stops here, before the nodes start
    return flag.trim();
  }
  const node0 = net.nodes[0];
  if (node0 === undefined) return undefined;
  if (!uiBuilt()) {
    process.stdout.write("note: no staking dashboard: it is not built ('npm run build:ui')\n");
    return undefined;
  }
  return `127.0.0.1:${node0.p2pPort - 1}`;
}

function ethRpc(node: LocalNode): string {
  return node.ethRpcUrl ?? '-';
}

function printNodes(net: Localnet): void {
  const rows = net.nodes.map((n) => [`node${n.index}`, n.role, `http://127.0.0.1:${n.rpcPort}`, ethRpc(n), n.abci, `${n.home}/{cmtd,cometbft}.log`]);
  const header = ['node', 'role', 'cometbft RPC', 'Ethereum JSON-RPC', 'ABCI', 'logs'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n\n`);
}

/** The chain as its node0 answers: chain id, the shortened waits, the foundation, the balances. */
async function printChain(net: Localnet): Promise<void> {
  const rpc = net.nodes[0]!.rpc;
  // State is there once the first block is committed (InitChain's writes with it). CometBFT's
  // height counts a block once it is stored, before the app commits it: height 2 means block 1 is.
  await net.waitForHeight(2n, 120_000, [net.nodes[0]!]);
  const params = await rpc.queryJson<QueryJson<'params'>>(queryPath('params'));
  const balances = new Map<string, bigint>();
  await Promise.all(
    net.accounts.map(async (a) => balances.set(a.address, BigInt((await rpc.queryJson<QueryJson<'account'>>(queryPath('account', toAddress(a.address)))).balance))),
  );
  const seconds = (name: string): string => formatDuration(Number(params[name]));
  const lines = [
    `Ethereum chain id ${String(params.chain_id)} (for wallets and eth_chainId); CometBFT chain id '${net.chainId}'`,
    `shortened for testing: unstaked stake is paid out after ${seconds('unstake_waiting_period_s')}, proposals are open for ${seconds('proposal_period_s')}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  printAccounts(net, balances, String(params.foundation_address ?? ''));
}

function printAccounts(net: Localnet, balances: Map<string, bigint>, foundation: string | undefined): void {
  const lines = [
    'funded development accounts (well-known test keys: never use them for real funds):',
    ...net.accounts.map((a, i) => {
      const balance = balances.get(a.address);
      const notes = [
        ...(balance === undefined ? [] : [`${formatCmt(balance)} CMT`]),
        ...(a.address === foundation?.toLowerCase() ? ['foundation'] : []),
        ...(i < net.nodes.length ? [`operates node${i}`] : []),
      ];
      return `  ${String(i).padStart(2)}  ${a.address}  ${a.privateKey}${notes.length > 0 ? `  ${notes.join(', ')}` : ''}`;
    }),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function status(flags: CommonFlags): Promise<void> {
  const dir = resolve(flags.dir);
  const net = Localnet.load(dir);
  const pid = readPid(dir);
  process.stdout.write(`localnet ${net.chainId} in ${dir}: ${pid === undefined ? 'not running' : `running (pid ${pid})`}\n`);
  for (const node of net.nodes) {
    try {
      const s = await node.rpc.status();
      process.stdout.write(
        `node${node.index}  ${node.role.padEnd(9)}  height ${s.sync_info.latest_block_height}  app hash ${s.sync_info.latest_app_hash}  power ${s.validator_info.voting_power}\n`,
      );
    } catch {
      process.stdout.write(`node${node.index}  ${node.role.padEnd(9)}  down\n`);
    }
  }
}

async function stopCommand(flags: CommonFlags): Promise<void> {
  const dir = resolve(flags.dir);
  const pid = readPid(dir);
  if (pid === undefined) {
    process.stdout.write(`no localnet is running from ${dir}\n`);
    return;
  }
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 300 && readPid(dir) !== undefined; i++) await new Promise((r) => setTimeout(r, 100));
  if (readPid(dir) !== undefined) throw new Error(`localnet (pid ${pid}) did not stop within 30 s`);
  process.stdout.write('stopped\n');
}

function reset(flags: CommonFlags): void {
  const dir = resolve(flags.dir);
  const pid = readPid(dir);
  if (pid !== undefined) throw new Error(`the localnet in ${dir} is running (pid ${pid}): stop it first`);
  if (!existsSync(join(dir, 'localnet.json'))) {
    process.stdout.write(`nothing to reset in ${dir}\n`);
    return;
  }
  Localnet.reset(dir);
  process.stdout.write(`removed ${dir}\n`);
}

/** The options that shape a new network (`start` refuses them when the directory holds a different one). */
function createOptions(command: Command): Command {
  return command
    .addOption(dirOption())
    .addOption(opt('--validators <n>', `number of validator nodes (1-${MAX_LOCALNET_NODES})`, '4'))
    .addOption(opt('--candidates <n>', 'further nodes that are staking candidates with a lower stake: backups, then plain candidates', '0'))
    .addOption(opt('--accounts <n>', 'funded development accounts', '10'))
    .addOption(opt('--block-time <duration>', "CometBFT timeout_commit ('10s' is the protocol's real pace)", '1s'))
    .addOption(opt('--base-port <port>', 'node i listens on base+10i+6 (p2p), +7 (CometBFT RPC), +8 (ABCI), +9 (Ethereum JSON-RPC)', '26600'))
    .addOption(opt('--chain-id <id>', 'CometBFT chain id', 'cmtd-localnet'))
    .addOption(opt('--abci <transport>', 'ABCI transport of every node', 'socket').choices(['socket', 'grpc']))
    .addOption(opt('--comet-version <version>', 'pinned CometBFT version', DEFAULT_COMETBFT_VERSION).choices([...COMETBFT_VERSIONS]));
}

export function registerLocalnet(program: Command): void {
  const localnet = program.command('localnet').description('run a local test network of cmtd + CometBFT validators on loopback').hook('preAction', refuseRenamedEnv);
  createOptions(localnet.command('init').description('create the network files (keys, genesis, configs) without starting it'))
    .addOption(new Option('--docker', 'configure the nodes for docker-compose.yml: listen on all interfaces, peers by service name (node0, node1, ...)'))
    .action(init);
  createOptions(localnet.command('start').description('create (first time) and start the network in the foreground; Ctrl-C stops it'))
    .addOption(opt('--log-level <level>', 'cmtd log level', 'info').choices(['error', 'warn', 'info', 'debug']))
    .addOption(opt('--rpc-cors <origins>', "web pages allowed to call the nodes' JSON-RPC: '*', or origins like http://localhost:3000 (default: none)"))
    .addOption(opt('--ui-address <host:port>', "where node0 serves the staking dashboard (default: 127.0.0.1 on the base port + 5, e.g. 26605); '' disables it"))
    // Deliberately no environment variable: deleting a chain must be asked for each time.
    .addOption(new Option('--reset', 'delete the network in --dir first (chain data, keys) and create a new one from the flags'))
    .action(start);
  localnet.command('status').description('height and app hash of every node').addOption(dirOption()).action(status);
  localnet.command('stop').description('stop a localnet started from another terminal').addOption(dirOption()).action(stopCommand);
  localnet.command('reset').description('delete the network (chain data, keys, genesis)').addOption(dirOption()).action(reset);
}
