#!/usr/bin/env node
// Runs node <index> of the localnet that `cmtd localnet init --docker` wrote
// to $CMTD_DIR (default /localnet) inside one container: cmtd first,
// then cometbft once cmtd's ABCI server listens and the peers' service names
// resolve. SIGTERM/SIGINT (docker stop, Ctrl-C) stop cometbft, then cmtd.
// If either process exits on its own, the other is stopped and the container
// exits non-zero, so the restart policy of docker-compose.yml starts it again.
// Both serve Prometheus metrics: CometBFT's on base+10i+0, cmtd's on +1 (the
// localnet scheme leaves +0..+5 free). The node's RPC addresses go to
// $CMTD_HEALTH_FILE (default /tmp/cmtd-health.json) for docker/healthcheck.mjs.
//
//   node docker/entrypoint.mjs <index> [--dry-run]
//
// --dry-run prints the two command lines and the peer host names as JSON and
// exits (the docker-compose unit test uses it).
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = process.env.CMTD_DIR || '/localnet';
const COMETBFT = process.env.COMETBFT_BIN || 'cometbft';
const HEALTH_FILE = process.env.CMTD_HEALTH_FILE || '/tmp/cmtd-health.json';
// A child that ignores SIGTERM this long is killed (docker-compose.yml's stop_grace_period is 30s).
const KILL_AFTER_MS = 20_000;

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

const cmtdArgs = [
  join(APP, 'bin', 'cmtd.js'),
  'start',
  '--home', join(home, 'cmtd'),
  '--abci', node.abci,
  '--address', `tcp://127.0.0.1:${node.abciPort}`,
  '--rpc-address', `0.0.0.0:${node.ethRpcPort}`,
  '--comet-rpc', `http://127.0.0.1:${node.rpcPort}`,
  '--metrics-address', cmtdMetrics,
  '--log-format', 'json',
];
const cometArgs = ['node', '--home', home];
// CometBFT reads CMT_<SECTION>_<KEY> over its config.toml.
const cometEnv = { ...process.env, CMT_INSTRUMENTATION_PROMETHEUS: 'true', CMT_INSTRUMENTATION_PROMETHEUS_LISTEN_ADDR: cometMetrics };
const config = readFileSync(join(home, 'config', 'config.toml'), 'utf8');
const peers = (/^\s*persistent_peers\s*=\s*"([^"]*)"/m.exec(config)?.[1] ?? '').split(',').filter((p) => p !== '');
const peerHosts = peers.map((p) => p.slice(p.indexOf('@') + 1, p.lastIndexOf(':')));

if (flags.includes('--dry-run')) {
  process.stdout.write(`${JSON.stringify({ cmtd: [process.execPath, ...cmtdArgs], cometbft: [COMETBFT, ...cometArgs], cometMetrics, peerHosts })}\n`);
  process.exit(0);
}

// A fresh start: the health check's last seen height belongs to the previous run.
rmSync(`${HEALTH_FILE}.height`, { force: true });
writeFileSync(HEALTH_FILE, `${JSON.stringify({ cometRpc: `http://127.0.0.1:${node.rpcPort}`, ethRpc: `http://127.0.0.1:${node.ethRpcPort}` })}\n`);

let stopping = false;
let comet;
const cmtd = spawn(process.execPath, cmtdArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
const exited = (child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

async function stop(code) {
  if (stopping) return;
  stopping = true;
  // CometBFT first, so it never sees its app vanish mid-block.
  for (const child of [comet, cmtd]) {
    if (child === undefined) continue;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    await exited(child);
    clearTimeout(timer);
  }
  process.exit(code);
}
process.once('SIGTERM', () => void stop(0));
process.once('SIGINT', () => void stop(0));

cmtd.once('exit', (code, signal) => {
  if (stopping) return;
  process.stderr.write(`entrypoint: cmtd exited (${signal ?? code})\n`);
  void stop(1);
});

// Pass cmtd's output through; start cometbft once cmtd says it listens.
let seen = '';
let started = false;
cmtd.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (started) return;
  seen = (seen + chunk.toString('utf8')).slice(-4096);
  if (!/cmtd listening on /.test(seen)) return;
  started = true;
  void startComet();
});

async function startComet() {
  // CometBFT refuses to start if a persistent peer's name does not resolve:
  // wait until docker's DNS knows every peer container.
  for (const host of peerHosts) {
    for (;;) {
      if (stopping) return;
      try {
        await lookup(host);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
  if (stopping) return;
  comet = spawn(COMETBFT, cometArgs, { stdio: 'inherit', env: cometEnv });
  comet.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`entrypoint: cometbft exited (${signal ?? code})\n`);
    void stop(1);
  });
}
