/**
 * `cmtd localnet start|status|stop|reset`: a network of validators on
 * loopback ports for testing. `start` runs in the foreground and stops every
 * process on Ctrl-C (or `cmtd localnet stop` from another terminal).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { COMETBFT_VERSIONS, type CometVersion } from '../localnet/cometbft.js';
import { Localnet, type AbciTransport } from '../localnet/network.js';

const PID_FILE = 'localnet.pid';

interface CommonFlags {
  dir: string;
}

interface StartFlags extends CommonFlags {
  validators: string;
  accounts: string;
  blockTime: string;
  abci: AbciTransport;
  cometVersion: CometVersion;
  logLevel: string;
  basePort: string;
}

function dirOption(): Option {
  return new Option('--dir <dir>', 'localnet directory').env('CMTD_LOCALNET_DIR').default('.localnet');
}

function positiveInt(value: string, name: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be a whole number from 1 to ${max}, got '${value}'`);
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

async function start(flags: StartFlags): Promise<void> {
  const dir = resolve(flags.dir);
  const running = readPid(dir);
  if (running !== undefined) throw new Error(`a localnet is already running from ${dir} (pid ${running}); stop it with 'cmtd localnet stop'`);
  const validators = positiveInt(flags.validators, 'validators', 24);
  const accounts = positiveInt(flags.accounts, 'accounts', 1000);
  const net = existsSync(join(dir, 'localnet.json'))
    ? Localnet.load(dir, { cmtdLogLevel: flags.logLevel })
    : await Localnet.create({
        dir,
        nodes: validators,
        accounts,
        blockTime: flags.blockTime,
        abci: flags.abci,
        cometVersion: flags.cometVersion,
        cmtdLogLevel: flags.logLevel,
        basePort: positiveInt(flags.basePort, 'base-port', 65_000),
      });
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
    await net.stop();
    rmSync(join(dir, PID_FILE), { force: true });
    throw err;
  }
  printSummary(net);
  // Report progress until stopped; a node that dies is reported, not hidden.
  for (;;) {
    await new Promise((r) => setTimeout(r, 5_000));
    if (stopping) return;
    const dead = net.nodes.filter((n) => !n.cmtd.running || !n.comet.running).map((n) => `node${n.index}`);
    const heights = await Promise.all(net.nodes.map((n) => n.rpc.height().then(String, () => 'down')));
    process.stdout.write(`heights: ${heights.join(' ')}${dead.length > 0 ? `  (stopped: ${dead.join(', ')}; see their logs)` : ''}\n`);
  }
}

function printSummary(net: Localnet): void {
  const lines = [
    `localnet '${net.chainId}' running from ${net.dir} (Ctrl-C to stop)`,
    '',
    'node   cometbft RPC             ABCI    logs',
    ...net.nodes.map((n) => `node${n.index}  http://127.0.0.1:${n.rpcPort}   ${n.abci.padEnd(6)}  ${n.home}/{cmtd,cometbft}.log`),
    '',
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
      process.stdout.write(`node${node.index}  height ${s.sync_info.latest_block_height}  app hash ${s.sync_info.latest_app_hash}  power ${s.validator_info.voting_power}\n`);
    } catch {
      process.stdout.write(`node${node.index}  down\n`);
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

export function registerLocalnet(program: Command): void {
  const localnet = program.command('localnet').description('run a local test network of cmtd + CometBFT validators on loopback');
  localnet
    .command('start')
    .description('create (first time) and start the network in the foreground; Ctrl-C stops it')
    .addOption(dirOption())
    .addOption(new Option('--validators <n>', 'number of validator nodes (1-24)').env('CMTD_LOCALNET_VALIDATORS').default('4'))
    .addOption(new Option('--accounts <n>', 'funded development accounts').env('CMTD_LOCALNET_ACCOUNTS').default('10'))
    .addOption(new Option('--block-time <duration>', "CometBFT timeout_commit ('10s' is the protocol's real pace)").env('CMTD_LOCALNET_BLOCK_TIME').default('1s'))
    .addOption(new Option('--base-port <port>', 'node i listens on base+10i+6 (p2p), +7 (RPC), +8 (ABCI)').env('CMTD_LOCALNET_BASE_PORT').default('26600'))
    .addOption(new Option('--abci <transport>', 'ABCI transport of every node').choices(['socket', 'grpc']).default('socket'))
    .addOption(new Option('--comet-version <version>', 'pinned CometBFT version').choices([...COMETBFT_VERSIONS]).default('v0.38.25'))
    .addOption(new Option('--log-level <level>', 'cmtd log level').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .action(start);
  localnet.command('status').description('height and app hash of every node').addOption(dirOption()).action(status);
  localnet.command('stop').description('stop a localnet started from another terminal').addOption(dirOption()).action(stopCommand);
  localnet.command('reset').description('delete the network (chain data, keys, genesis)').addOption(dirOption()).action(reset);
}
