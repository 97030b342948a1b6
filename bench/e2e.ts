/**
 * Issue-18 figures: end-to-end throughput of a real node. The same CometBFT
 * network (1 node, or 4 validators on this machine), the same config and the
 * same loader, once with CometBFT's built-in `kvstore` app, once with the
 * same kvstore as a separate process over the ABCI socket (CometBFT's
 * abci-cli, built by scripts/install-cometbft.sh; E2E_SOCKET_KVSTORE=0
 * leaves it out) and once with cmtd, in one run; printed: committed tx/s of
 * each, cmtd's ratio to both, the CPU seconds each process used, and the
 * share of the load's time cmtd's main thread was busy.
 *
 * Loader: signed CMT transfers from SENDERS senders (cmtd), or `key=value`
 * transactions of the same size (kvstore), sent by STREAMS concurrent
 * `broadcast_tx_async` streams over CometBFT's RPC (each sender on one
 * stream, so its nonces arrive in order; with 4 nodes the streams spread
 * over the nodes). Committed transactions are counted from the blocks.
 *
 * Blocks: 500 ms timeout_commit (the localnet default); block gas lifted to
 * 1,000,000,000 (consensus max_gas and the block_gas_limit param), as the
 * other throughput benches do, so gas never limits a block of transfers.
 *
 * Environment: E2E_TXS (30000), E2E_RUNS (3), E2E_NODES (1,4),
 * E2E_RECHECK (true,false), E2E_ABCI (socket: cmtd's transport, socket or
 * grpc), E2E_COMET_SET (CometBFT config.toml overrides for both apps,
 * `section.key=value` separated by commas, e.g.
 * `mempool.size=50000,mempool.broadcast=false`; a value that parses as a
 * number or boolean is written as one), E2E_KEEP=1 keeps the network directories,
 * E2E_PROFILE=<dir> writes a V8 CPU profile of each cmtd there (--cpu-prof),
 * and a CPU profile of node 0's CometBFT under load (pprof, `go tool pprof`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTomlValue } from '../src/localnet/cometbft.js';
import { freePort } from '../src/node/process.js';
import { defaultAppState, defaultCmtdCommand, Localnet, type LocalNode } from '../src/localnet/network.js';
import { benchAccounts, signLegacyTransfer } from './lib/txgen.js';
import { median } from './lib/median.js';

const TXS = Number(process.env.E2E_TXS ?? 30_000);
const RUNS = Number(process.env.E2E_RUNS ?? 3);
const NODE_COUNTS = (process.env.E2E_NODES ?? '1,4').split(',').map(Number);
const RECHECKS = (process.env.E2E_RECHECK ?? 'true,false').split(',').map((v) => v === 'true');
const PROFILE = process.env.E2E_PROFILE;
const ABCI = ((transport: string): 'socket' | 'grpc' => {
  if (transport !== 'socket' && transport !== 'grpc') throw new Error(`E2E_ABCI must be socket or grpc, not ${transport}`);
  return transport;
})(process.env.E2E_ABCI ?? 'socket');
const COMET_SET = (process.env.E2E_COMET_SET ?? '')
  .split(',')
  .filter((entry) => entry !== '')
  .map((entry) => {
    const match = /^(?:([\w.-]+)\.)?([\w-]+)=(.*)$/.exec(entry);
    if (match === null) throw new Error(`E2E_COMET_SET entry '${entry}' is not section.key=value`);
    const raw = match[3]!;
    const value: string | number | boolean = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
    return { section: match[1] ?? '', key: match[2]!, value };
  });
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The socket-kvstore baseline runs unless E2E_SOCKET_KVSTORE=0. */
const ABCI_CLI = process.env.E2E_SOCKET_KVSTORE === '0' ? undefined : abciCli();
const SENDERS = 200;
const STREAMS = 16;
const BLOCK_GAS = 1_000_000_000n;
/** No new block for this long while transactions are missing: the run has stalled. */
const STALL_MS = 20_000;

/**
 * `kvstore`: CometBFT's built-in app, inside its own process (no ABCI
 * connection at all). `socket-kvstore`: the same example app as a separate
 * process over the ABCI socket (CometBFT's abci-cli), the cheapest app a
 * real node can have: what CometBFT itself costs with any socket app.
 */
type AppKind = 'kvstore' | 'socket-kvstore' | 'cmtd';

interface RunResult {
  committed: number;
  txPerS: number;
  failed: number;
  /** CPU seconds of the CometBFT processes and of the app processes (none for the built-in kvstore). */
  cpu: { comet: number; app: number };
  /**
   * cmtd only: the busiest node's main thread, its share of the load's wall
   * time. Far below 1, the app's event loop is not what limits the node
   * (its other threads: sender recovery, V8's compiler and collector, LevelDB).
   */
  appMainThreadBusy?: number;
}

const senders = benchAccounts(SENDERS, 'e2e');
const recipient = benchAccounts(1, 'e2e-recipient')[0]!.address;

/** SENDERS × (TXS / SENDERS) transfers, per sender in nonce order. */
function transfers(): Uint8Array[][] {
  const perSender = Math.ceil(TXS / SENDERS);
  return senders.map((s) => Array.from({ length: perSender }, (_, n) => signLegacyTransfer(s, recipient, 1n, BigInt(n))));
}

/** kvstore transactions as long as the transfers, all distinct. */
function kvTxs(like: Uint8Array[][], run: number): Uint8Array[][] {
  return like.map((txs, s) =>
    txs.map((tx, n) => {
      const key = `r${run}s${s}n${n}=`;
      return Buffer.from(key + 'v'.repeat(Math.max(1, tx.length - key.length)));
    }),
  );
}

/** The fields of a /proc stat file after the command name (which may hold spaces): state, ppid, …. */
function statFields(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** user + system clock ticks of a /proc stat file's {@link statFields}. */
function cpuTicks(fields: string[]): number {
  return Number(fields[11]) + Number(fields[12]);
}

/** user + system CPU seconds of `pid` and its descendants. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = statFields(`/proc/${entry}/stat`);
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: cpuTicks(fields) });
    } catch {
      // gone meanwhile
    }
  }
  let ticks = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    ticks += stats.get(p)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === p) todo.push(child);
  }
  return ticks / 100; // USER_HZ
}

/** user + system CPU seconds of the main thread of `pid` alone. */
function mainThreadSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return cpuTicks(statFields(`/proc/${pid}/task/${pid}/stat`)) / 100; // USER_HZ
  } catch {
    return 0; // gone
  }
}

function rpcPost(agent: Agent, port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends every transaction; stream k carries senders k, k+STREAMS, … round-robin, to node k mod nodes. */
async function load(nodes: LocalNode[], txs: Uint8Array[][]): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: STREAMS });
  let refused = 0;
  await Promise.all(
    Array.from({ length: STREAMS }, async (_, k) => {
      const mine = txs.filter((_, s) => s % STREAMS === k);
      const port = nodes[k % nodes.length]!.rpcPort;
      const depth = Math.max(...mine.map((t) => t.length));
      for (let n = 0; n < depth; n++) {
        for (const list of mine) {
          const tx = list[n];
          if (tx === undefined) continue;
          const body = `{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_async","params":{"tx":"${Buffer.from(tx).toString('base64')}"}}`;
          const reply = await rpcPost(agent, port, body);
          if (reply.includes('"error"')) refused++;
        }
      }
    }),
  );
  agent.destroy();
  return refused;
}

/** Saves a 5-second CPU profile of a CometBFT (its pprof endpoint) to `path`. */
async function cometProfile(port: number, path: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=5`);
  writeFileSync(path, Buffer.from(await response.arrayBuffer()));
}

async function blockTxCounts(node: LocalNode, from: bigint, to: bigint): Promise<Map<bigint, number>> {
  const counts = new Map<bigint, number>();
  for (let hi = to; hi >= from; hi -= 20n) {
    const lo = hi - 19n < from ? from : hi - 19n;
    const r = await node.rpc.call<{ block_metas: Array<{ header: { height: string }; num_txs: string }> }>('blockchain', { minHeight: lo.toString(), maxHeight: hi.toString() });
    for (const meta of r.block_metas) counts.set(BigInt(meta.header.height), Number(meta.num_txs));
  }
  return counts;
}

/** CometBFT's abci-cli (scripts/install-cometbft.sh abci-cli): the socket-kvstore baseline. */
function abciCli(): string {
  return execFileSync('bash', [join(REPO, 'scripts', 'install-cometbft.sh'), 'abci-cli'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

async function runOnce(app: AppKind, nodeCount: number, recheck: boolean, run: number, signed: Uint8Array[][]): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), `cmtd-e2e-${app}-`));
  const net = await Localnet.create({
    dir,
    nodes: nodeCount,
    maxGas: BLOCK_GAS,
    abci: ABCI,
    cometLogLevel: 'info',
    ...(PROFILE === undefined ? {} : { cmtdCommand: [defaultCmtdCommand()[0]!, '--cpu-prof', `--cpu-prof-dir=${PROFILE}`, ...defaultCmtdCommand().slice(1)] }),
    appState: (ctx) => {
      const state = defaultAppState(ctx, 1_000_000n * 10n ** 18n) as { params: Record<string, unknown>; accounts: Array<{ address: string; balance: string }> };
      state.params.block_gas_limit = BLOCK_GAS.toString();
      state.accounts.push(...senders.map((s) => ({ address: s.address, balance: (10n ** 24n).toString() })));
      return state;
    },
  });
  const pprofPort = await freePort();
  const socketApps: ChildProcess[] = [];
  for (const node of net.nodes) {
    const path = join(node.home, 'config', 'config.toml');
    let text = readFileSync(path, 'utf8');
    if (PROFILE !== undefined && node.index === 0) text = setTomlValue(text, 'rpc', 'pprof_laddr', `127.0.0.1:${pprofPort}`);
    text = setTomlValue(text, 'mempool', 'recheck', recheck);
    for (const { section, key, value } of COMET_SET) text = setTomlValue(text, section, key, value);
    if (app === 'kvstore') text = setTomlValue(text, '', 'proxy_app', 'kvstore');
    if (app === 'socket-kvstore') {
      const address = `tcp://127.0.0.1:${await freePort()}`;
      text = setTomlValue(text, '', 'proxy_app', address);
      text = setTomlValue(text, '', 'abci', 'socket');
      // abci-cli's kvstore keeps its database in a temp dir it never removes: make that one ours.
      socketApps.push(spawn(ABCI_CLI!, ['kvstore', '--address', address, '--log_level', 'error'], { stdio: 'ignore', env: { ...process.env, TMPDIR: dir } }));
    }
    writeFileSync(path, text);
  }
  const appPids = (): Array<number | undefined> => (app === 'cmtd' ? net.nodes.map((n) => n.cmtd.pid) : socketApps.map((p) => p.pid));
  try {
    if (app === 'cmtd') for (const node of net.nodes) await net.startCmtd(node);
    for (const node of net.nodes) await net.startComet(node);
    await net.waitForHeight(2n, 120_000);
    const node = net.nodes[0]!;
    const txs = app === 'cmtd' ? signed : kvTxs(signed, run);
    const total = txs.reduce((n, list) => n + list.length, 0);
    const cpuBefore = { comet: net.nodes.reduce((c, n) => c + cpuSeconds(n.comet.pid), 0), app: appPids().reduce<number>((c, pid) => c + cpuSeconds(pid), 0) };
    const mainBefore = app === 'cmtd' ? net.nodes.map((n) => mainThreadSeconds(n.cmtd.pid)) : [];
    const startHeight = await node.rpc.height();
    const started = performance.now();
    const loading = load(net.nodes, txs);
    const profiling = PROFILE === undefined ? undefined : cometProfile(pprofPort, join(PROFILE, `comet-${app}-${nodeCount}-${recheck}-${run}.pb.gz`));
    let committed = 0;
    let seen = startHeight;
    let lastProgress = performance.now();
    let lastBlockAt = started;
    while (committed < total && performance.now() - lastProgress < STALL_MS) {
      await new Promise((r) => setTimeout(r, 100));
      const height = await node.rpc.height();
      if (height <= seen) continue;
      const counts = await blockTxCounts(node, seen + 1n, height);
      const added = [...counts.values()].reduce((a, b) => a + b, 0);
      seen = height;
      if (added > 0) {
        committed += added;
        lastProgress = performance.now();
        lastBlockAt = lastProgress;
      }
    }
    const elapsed = (lastBlockAt - started) / 1000;
    const refused = await loading;
    await profiling;
    const cpu = {
      comet: net.nodes.reduce((c, n) => c + cpuSeconds(n.comet.pid), 0) - cpuBefore.comet,
      app: appPids().reduce<number>((c, pid) => c + cpuSeconds(pid), 0) - cpuBefore.app,
    };
    const loadSeconds = (performance.now() - started) / 1000;
    const appMainThreadBusy = app === 'cmtd' ? Math.max(...net.nodes.map((n, i) => (mainThreadSeconds(n.cmtd.pid) - mainBefore[i]!) / loadSeconds)) : undefined;
    let failed = refused;
    if (app === 'cmtd') {
      for (let h = startHeight + 1n; h <= seen; h++) {
        const results = await node.rpc.blockResults(h);
        failed += (results.txs_results ?? []).filter((r) => (r.code ?? 0) !== 0).length;
      }
    }
    return { committed, txPerS: committed / elapsed, failed, cpu, ...(appMainThreadBusy === undefined ? {} : { appMainThreadBusy }) };
  } finally {
    await net.stop();
    for (const p of socketApps) p.kill('SIGKILL');
    if (process.env.E2E_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(
  `e2e benchmark: ${TXS} transactions, ${SENDERS} senders, ${STREAMS} broadcast_tx_async streams, ${RUNS} run(s), cmtd over ABCI ${ABCI}` +
    `${COMET_SET.length > 0 ? `, CometBFT config ${process.env.E2E_COMET_SET}` : ''} (Node ${process.version})`,
);
const signed = transfers();
const cpuText = (r: RunResult, app: string): string => `CometBFT ${r.cpu.comet.toFixed(1)} CPU-s${app === '' ? '' : `, ${app} ${r.cpu.app.toFixed(1)} CPU-s`}`;
for (const nodeCount of NODE_COUNTS) {
  for (const recheck of RECHECKS) {
    const ratios: number[] = [];
    const socketRatios: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const kv = await runOnce('kvstore', nodeCount, recheck, run, signed);
      const skv = ABCI_CLI === undefined ? undefined : await runOnce('socket-kvstore', nodeCount, recheck, run, signed);
      const cm = await runOnce('cmtd', nodeCount, recheck, run, signed);
      const ratio = cm.txPerS / kv.txPerS;
      ratios.push(ratio);
      if (skv !== undefined) socketRatios.push(cm.txPerS / skv.txPerS);
      console.log(
        `  ${nodeCount} node(s), recheck=${recheck}, run ${run + 1}: kvstore ${fmt(kv.txPerS)} tx/s (${kv.committed} committed, ${cpuText(kv, '')}) | ` +
          (skv === undefined ? '' : `socket kvstore ${fmt(skv.txPerS)} tx/s (${skv.committed} committed, ${cpuText(skv, 'kvstore')}) | `) +
          `cmtd ${fmt(cm.txPerS)} tx/s (${cm.committed} committed, ${cm.failed} refused or failed, ${cpuText(cm, 'cmtd')}, ` +
          `its main thread busy ${Math.round(100 * cm.appMainThreadBusy!)} % of the time) | ratio ${ratio.toFixed(2)}` +
          (skv === undefined ? '' : `, to socket kvstore ${(cm.txPerS / skv.txPerS).toFixed(2)}`),
      );
    }
    console.log(
      `  ${nodeCount} node(s), recheck=${recheck}: median ratio ${median(ratios).toFixed(2)} (goal >= 0.9)` +
        (socketRatios.length === 0 ? '' : `; to the socket kvstore ${median(socketRatios).toFixed(2)}`),
    );
  }
}
