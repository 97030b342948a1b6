#!/usr/bin/env node
// Runs node <index> of the localnet that `cmtd localnet init --docker` wrote
// to $CMTD_DIR (default /localnet) inside one container, under `cmtd node`
// (the supervisor every node uses, src/node/supervisor.ts): once the peers'
// service names resolve, cmtd first, then cometbft. SIGTERM/SIGINT (docker
// stop, Ctrl-C) stop cometbft, then cmtd. If either process dies, the other
// is ended and the pair restarted with backoff inside the container; the
// restart policy of docker-compose.yml covers the container itself.
// Both serve Prometheus metrics: CometBFT's on base+10i+0, cmtd's on +1 (the
// localnet scheme leaves +0..+5 free). The node's RPC addresses go to
// $CMTD_HEALTH_FILE (default /tmp/cmtd-health.json) for docker/healthcheck.mjs.
//
//   node docker/entrypoint.mjs <index> [--dry-run]
//
// --dry-run prints the command lines (`cmtd node`, and the cmtd and cometbft
// ones it runs) and the peer host names as JSON and exits (the
// docker-compose unit test uses it).
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = process.env.CMTD_DIR || '/localnet';
const COMETBFT = process.env.COMETBFT_BIN || 'cometbft';
const HEALTH_FILE = process.env.CMTD_HEALTH_FILE || '/tmp/cmtd-health.json';
// A child that ignores SIGTERM this long is killed (docker-compose.yml's stop_grace_period is 30s):
// cometbft and cmtd get 12 s each.
const GRACE_SECONDS = '12';

function fail(message) {
  process.stderr.write(`entrypoint: ${message}\n`);
  process.exit(2);
}

const [indexArg, ...flags] = process.argv.slice(2);
if (indexArg === undefined || !/^[0-9]+$/.test(indexArg)) fail('usage: entrypoint.mjs <node index> [--dry-run]');
const index = Number(indexArg);
const manifest = JSON.parse(readFileSync(join(DIR, 'localnet.json'), 'utf8'));
if (manifest.docker !== true) fail(`${DIR} was not created with 'cmtd localnet init --docker'`);
const node = manifest.nodes.find((n) => n.index === index);
if (node === undefined) fail(`${DIR} has no node ${index}`);
const home = join(DIR, `node${index}`);
const slot = node.p2pPort - 6; // base+10i
const cometMetrics = `:${slot}`;
const cmtdMetrics = `0.0.0.0:${slot + 1}`;

// What `cmtd node` passes to `cmtd start` after its own derived flags (which these override).
const startArgs = [
  '--abci',
  node.abci,
  '--address',
  `tcp://127.0.0.1:${node.abciPort}`,
  '--rpc-address',
  `0.0.0.0:${node.ethRpcPort}`,
  '--comet-rpc',
  `http://127.0.0.1:${node.rpcPort}`,
  '--metrics-address',
  cmtdMetrics,
  '--log-format',
  'json',
];
const cmtdArgs = [join(APP, 'bin', 'cmtd.js'), 'start', '--home', join(home, 'cmtd'), ...startArgs];
const cometArgs = ['node', '--home', home];
const nodeArgs = [
  join(APP, 'bin', 'cmtd.js'),
  'node',
  '--home',
  join(home, 'cmtd'),
  '--comet-home',
  home,
  '--cometbft',
  COMETBFT,
  '--restart',
  'on-failure',
  '--grace-period',
  GRACE_SECONDS,
  '--',
  ...startArgs,
];
// CometBFT reads CMT_<SECTION>_<KEY> over its config.toml.
const cometEnv = { ...process.env, CMT_INSTRUMENTATION_PROMETHEUS: 'true', CMT_INSTRUMENTATION_PROMETHEUS_LISTEN_ADDR: cometMetrics };
const config = readFileSync(join(home, 'config', 'config.toml'), 'utf8');
const peers = (/^\s*persistent_peers\s*=\s*"([^"]*)"/m.exec(config)?.[1] ?? '').split(',').filter((p) => p !== '');
const peerHosts = peers.map((p) => p.slice(p.indexOf('@') + 1, p.lastIndexOf(':')));

if (flags.includes('--dry-run')) {
  process.stdout.write(
    `${JSON.stringify({ node: [process.execPath, ...nodeArgs], cmtd: [process.execPath, ...cmtdArgs], cometbft: [COMETBFT, ...cometArgs], cometMetrics, peerHosts })}\n`,
  );
  process.exit(0);
}

// A fresh start: the health check's last seen height belongs to the previous run.
rmSync(`${HEALTH_FILE}.height`, { force: true });
writeFileSync(HEALTH_FILE, `${JSON.stringify({ cometRpc: `http://127.0.0.1:${node.rpcPort}`, ethRpc: `http://127.0.0.1:${node.ethRpcPort}` })}\n`);

let stopping = false;
let supervisor;
function stop() {
  stopping = true;
  if (supervisor === undefined) process.exit(0);
  supervisor.kill('SIGTERM'); // `cmtd node` stops cometbft, then cmtd, and exits
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

// CometBFT refuses to start if a persistent peer's name does not resolve:
// wait until docker's DNS knows every peer container.
for (const host of peerHosts) {
  for (;;) {
    if (stopping) process.exit(0);
    try {
      await lookup(host);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
supervisor = spawn(process.execPath, nodeArgs, { stdio: 'inherit', env: cometEnv });
supervisor.once('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
