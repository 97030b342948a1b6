/**
 * `cmtd localnet init|start|status|stop|reset`: a network of validators (and
 * optionally further candidate nodes) on loopback ports for testing. `start`
 * runs in the foreground and stops every process on Ctrl-C (or `cmtd
 * localnet stop` from another terminal). `init --docker` writes the files
 * docker-compose.yml runs.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { COMETBFT_VERSIONS, type CometVersion } from '../localnet/cometbft.js';
import { Localnet, type AbciTransport, type LocalNode } from '../localnet/network.js';

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
}

interface InitFlags extends CreateFlags {
  docker?: boolean;
}

function dirOption(): Option {
  return new Option('--dir <dir>', 'localnet directory').env('CMTD_LOCALNET_DIR').default('.localnet');
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

async function init(flags: InitFlags): Promise<void> {
  const dir = resolve(flags.dir);
  if (existsSync(join(dir, 'localnet.json'))) {
    const net = Localnet.load(dir);
    process.stdout.write(`${dir} already holds localnet '${net.chainId}' (${net.nodes.length} nodes); 'cmtd localnet reset' deletes it\n`);
    return;
  }
  const net = await create(dir, flags, { docker: flags.docker ?? false });
  process.stdout.write(`created localnet '${net.chainId}' in ${dir}${net.docker ? ' (configured for docker-compose.yml)' : ''}\n\n`);
  printNodes(net);
  printAccounts(net);
}

async function start(flags: StartFlags): Promise<void> {
  const dir = resolve(flags.dir);
  const running = readPid(dir);
  if (running !== undefined) throw new Error(`a localnet is already running from ${dir} (pid ${running}); stop it with 'cmtd localnet stop'`);
  const net = existsSync(join(dir, 'localnet.json')) ? Localnet.load(dir, { cmtdLogLevel: flags.logLevel }) : await create(dir, flags, { cmtdLogLevel: flags.logLevel });
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
  printAccounts(net);
  // Report progress until stopped; a node that dies is reported, not hidden.
  for (;;) {
    await new Promise((r) => setTimeout(r, 5_000));
    if (stopping) return;
    const dead = net.nodes.filter((n) => !n.cmtd.running || !n.comet.running).map((n) => `node${n.index}`);
    const heights = await Promise.all(net.nodes.map((n) => n.rpc.height().then(String, () => 'down')));
    process.stdout.write(`heights: ${heights.join(' ')}${dead.length > 0 ? `  (stopped: ${dead.join(', ')}; see their logs)` : ''}\n`);
  }
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

function printAccounts(net: Localnet): void {
  const lines = [
    'funded development accounts (well-known test keys: never use them for real funds):',
    ...net.accounts.map((a, i) => `  ${String(i).padStart(2)}  ${a.address}  ${a.privateKey}`),
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

/** The options that shape a new network (ignored by `start` when the directory already holds one). */
function createOptions(command: Command): Command {
  return command
    .addOption(dirOption())
    .addOption(new Option('--validators <n>', `number of validator nodes (1-${MAX_LOCALNET_NODES})`).env('CMTD_LOCALNET_VALIDATORS').default('4'))
    .addOption(
      new Option('--candidates <n>', 'further nodes that are staking candidates with a lower stake: backups, then plain candidates').env('CMTD_LOCALNET_CANDIDATES').default('0'),
    )
    .addOption(new Option('--accounts <n>', 'funded development accounts').env('CMTD_LOCALNET_ACCOUNTS').default('10'))
    .addOption(new Option('--block-time <duration>', "CometBFT timeout_commit ('10s' is the protocol's real pace)").env('CMTD_LOCALNET_BLOCK_TIME').default('1s'))
    .addOption(
      new Option('--base-port <port>', 'node i listens on base+10i+6 (p2p), +7 (CometBFT RPC), +8 (ABCI), +9 (Ethereum JSON-RPC)').env('CMTD_LOCALNET_BASE_PORT').default('26600'),
    )
    .addOption(new Option('--chain-id <id>', 'CometBFT chain id').env('CMTD_LOCALNET_CHAIN_ID').default('cmtd-localnet'))
    .addOption(new Option('--abci <transport>', 'ABCI transport of every node').choices(['socket', 'grpc']).default('socket'))
    .addOption(new Option('--comet-version <version>', 'pinned CometBFT version').choices([...COMETBFT_VERSIONS]).default('v0.38.25'));
}

export function registerLocalnet(program: Command): void {
  const localnet = program.command('localnet').description('run a local test network of cmtd + CometBFT validators on loopback');
  createOptions(localnet.command('init').description('create the network files (keys, genesis, configs) without starting it'))
    .addOption(new Option('--docker', 'configure the nodes for docker-compose.yml: listen on all interfaces, peers by service name (node0, node1, ...)'))
    .action(init);
  createOptions(localnet.command('start').description('create (first time) and start the network in the foreground; Ctrl-C stops it'))
    .addOption(new Option('--log-level <level>', 'cmtd log level').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .action(start);
  localnet.command('status').description('height and app hash of every node').addOption(dirOption()).action(status);
  localnet.command('stop').description('stop a localnet started from another terminal').addOption(dirOption()).action(stopCommand);
  localnet.command('reset').description('delete the network (chain data, keys, genesis)').addOption(dirOption()).action(reset);
}
