/**
 * `cmtd node --home DIR`: runs a node made by `cmtd init` (or `init --join`)
 * — cmtd and the pinned CometBFT — as one supervised unit
 * (src/node/supervisor.ts). cmtd's ABCI address and CometBFT's RPC come from
 * CometBFT's config.toml, the Ethereum JSON-RPC address from <home>/node.json;
 * arguments after `--` go to `cmtd start` and override them. Both logs are
 * files in <home>/logs; stdout gets a summary: what the supervisor does,
 * errors of either process, and the height every --status-interval.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { cometbftBinary, getTomlValue } from '../localnet/cometbft.js';
import { defaultCmtdCommand } from '../localnet/network.js';
import { withNodeMalloc } from '../node/malloc.js';
import { readNodeSettings } from '../node/home.js';
import { NodeSupervisor, RESTART_POLICIES, type RestartPolicy } from '../node/supervisor.js';
import { cometHomeOf } from './client.js';
import { opt } from './flags.js';
import { homeOption } from './options.js';

interface NodeFlags {
  home: string;
  cometHome?: string;
  cometbft?: string;
  restart: RestartPolicy;
  gracePeriod: string;
  statusInterval: string;
}

/** What `cmtd node` runs, derived from the home's files. */
export interface NodePlan {
  /** `env`: the environment with the node's allocator preloaded (src/node/malloc.ts). */
  cmtd: { command: string; args: string[]; env: NodeJS.ProcessEnv };
  comet: { command: string; args: string[] };
  cometRpcUrl: string;
  logDir: string;
}

function seconds(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!/^\s*[0-9]+\s*$/.test(value) || n < min || n > 3600) throw new Error(`${flag} must be a whole number of seconds from ${min} to 3600, got '${value}'`);
  return n;
}

/** http://127.0.0.1:<port> of CometBFT's RPC listen address (tcp://host:port). */
function rpcUrlOf(laddr: string): string {
  const m = /^tcp:\/\/([^:]*|\[[^\]]*\]):([0-9]+)$/.exec(laddr);
  if (m === null) throw new Error(`CometBFT's [rpc] laddr '${laddr}' is not tcp://host:port: cmtd node needs its RPC`);
  const host = m[1] === '0.0.0.0' || m[1] === '' || m[1] === '[::]' ? '127.0.0.1' : m[1];
  return `http://${host}:${m[2]}`;
}

export function planNode(flags: Pick<NodeFlags, 'home' | 'cometHome' | 'cometbft'>, startArgs: string[]): NodePlan {
  const home = resolve(flags.home);
  const cometHome = resolve(flags.cometHome ?? cometHomeOf(home));
  const configPath = join(cometHome, 'config', 'config.toml');
  let config: string;
  try {
    config = readFileSync(configPath, 'utf8');
  } catch {
    throw new Error(`no CometBFT config at ${configPath}: create the home with 'cmtd init' (or 'cmtd init --join')`);
  }
  const abci = getTomlValue(config, '', 'abci') ?? 'socket';
  if (abci !== 'socket' && abci !== 'grpc') throw new Error(`${configPath}: abci = '${abci}', cmtd serves socket or grpc`);
  const proxyApp = getTomlValue(config, '', 'proxy_app') ?? '';
  if (!/^(unix|tcp):\/\//.test(proxyApp) && !/^[^/]+:[0-9]+$/.test(proxyApp)) throw new Error(`${configPath}: proxy_app '${proxyApp}' is not a unix:// or tcp:// address of cmtd`);
  // CometBFT's gRPC client takes host:port; cmtd takes a URL.
  const address = /^(unix|tcp):\/\//.test(proxyApp) ? proxyApp : `tcp://${proxyApp}`;
  const cometRpcUrl = rpcUrlOf(getTomlValue(config, 'rpc', 'laddr') ?? '');
  const settings = readNodeSettings(home);
  const [command, ...baseArgs] = defaultCmtdCommand();
  return {
    cmtd: {
      command: command!,
      args: [
        ...baseArgs,
        'start',
        '--home',
        home,
        '--abci',
        abci,
        '--address',
        address,
        '--comet-rpc',
        cometRpcUrl,
        '--rpc-address',
        settings.ethRpcAddress,
        // JSON, so the summary can pick out warnings and errors; later arguments win.
        '--log-format',
        'json',
        ...startArgs,
      ],
      env: withNodeMalloc(),
    },
    comet: { command: flags.cometbft ?? cometbftBinary(), args: ['node', '--home', cometHome] },
    cometRpcUrl,
    logDir: join(home, 'logs'),
  };
}

function say(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** cmtd's JSON log lines at warn or error, shortened. */
function cmtdSummary(line: string): void {
  if (!line.startsWith('{')) return;
  try {
    const entry = JSON.parse(line) as { level?: string; msg?: string; message?: string };
    if (entry.level === 'error' || entry.level === 'warn') say(`cmtd ${entry.level}: ${(entry.msg ?? entry.message ?? line).slice(0, 300)}`);
  } catch {
    // not a log line
  }
}

/** CometBFT's errors (E[…]), panics, and what state sync does. */
function cometSummary(line: string): void {
  // Said on every clean stop: not news.
  if (/use of closed network connection|transport is closed/.test(line)) return;
  if (
    /^E\[/.test(line) ||
    /^panic/.test(line) ||
    /^I\[[^\]]*\] (Snapshot restored|Offering snapshot|Snapshot accepted|Applied snapshot chunk|Discovered new snapshot)/.test(line)
  ) {
    say(`cometbft: ${line.slice(0, 300)}`);
  }
}

async function runNode(startArgs: string[], flags: NodeFlags): Promise<void> {
  if (!RESTART_POLICIES.includes(flags.restart)) throw new Error(`--restart must be one of ${RESTART_POLICIES.join(', ')}, got '${flags.restart}'`);
  const graceMs = seconds(flags.gracePeriod, '--grace-period', 1) * 1000;
  const statusMs = seconds(flags.statusInterval, '--status-interval', 0) * 1000;
  const plan = planNode(flags, startArgs);
  mkdirSync(plan.logDir, { recursive: true });
  const pair = new NodeSupervisor({
    name: 'node',
    cometRpcUrl: plan.cometRpcUrl,
    graceMs,
    // Own process groups: a Ctrl-C reaches only this process, which stops CometBFT first.
    cmtd: { name: 'cmtd', ...plan.cmtd, logFile: join(plan.logDir, 'cmtd.log'), onLine: cmtdSummary, detached: true },
    comet: { name: 'cometbft', ...plan.comet, logFile: join(plan.logDir, 'cometbft.log'), onLine: cometSummary, detached: true },
    report: say,
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping cometbft, then cmtd`);
    void pair.stop().then(() => {
      say('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  say(`starting cmtd and cometbft; logs in ${plan.logDir}`);
  try {
    await pair.start();
  } catch (err) {
    if (stopping) return;
    stopping = true;
    await pair.stop();
    throw new Error(`${(err as Error).message} (logs in ${plan.logDir})`);
  }
  if (stopping) return;
  say(`node running: CometBFT RPC ${plan.cometRpcUrl}, restart policy ${flags.restart}`);
  const status =
    statusMs === 0
      ? undefined
      : setInterval(() => {
          void pair.rpc.status().then(
            (s) => say(`height ${s.sync_info.latest_block_height}${s.sync_info.catching_up ? ' (catching up)' : ''}`),
            () => undefined,
          );
        }, statusMs);
  const end = await pair.supervise(flags.restart);
  if (status !== undefined) clearInterval(status);
  if (stopping) return; // stop() exits
  say(`node stopped: ${end.reason}`);
  process.exit(end.code);
}

export function registerNode(program: Command): void {
  program
    .command('node')
    .description("run a node made by 'cmtd init': cmtd and CometBFT as one unit, restarted together when either dies")
    .argument('[start-args...]', "after '--': further 'cmtd start' options (e.g. -- --metrics-address 127.0.0.1:26660)")
    .addOption(homeOption())
    .addOption(opt('--comet-home <dir>', "the node's CometBFT home (default: <home>/cometbft)"))
    .addOption(opt('--cometbft <path>', 'the cometbft binary (default: COMETBFT_BIN, else the pinned build scripts/install-cometbft.sh installs)'))
    .addOption(
      new Option('--restart <policy>', 'on-failure: restart the pair with backoff when either process dies; no: exit 1')
        .choices([...RESTART_POLICIES])
        .env('CMTD_RESTART')
        .default('on-failure'),
    )
    .addOption(opt('--grace-period <seconds>', 'how long each process may take to stop after SIGTERM before SIGKILL', '10'))
    .addOption(opt('--status-interval <seconds>', 'print the height this often (0: never)', '60'))
    .action(runNode);
}
