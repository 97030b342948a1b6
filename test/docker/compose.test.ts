/**
 * The docker-compose localnet in a real Docker engine, as README's Docker
 * section tells an operator: `docker compose up -d --build` with the .env
 * defaults, then the published ports from the host. It checks that the 4
 * containers make blocks with equal app hashes, that a transfer sent with
 * ethers through node0's JSON-RPC reaches node3, that a stopped container
 * started again catches up, that every container's HEALTHCHECK says
 * healthy (and unhealthy while the chain is halted), and ends with
 * `docker compose down -v`, removing the image it built.
 *
 * What is missing is installed first (test/docker/engine.ts): docker.io,
 * dockerd (vfs storage driver; stopped again at the end if started here),
 * the Compose v2 plugin, and stand-ins for the Dockerfile's base images
 * where Docker Hub does not answer. Those stay cached; the build cache does
 * not (with vfs it costs a full file-system copy per layer), so every run
 * builds the image from its base images. Run alone with `make test-docker`
 * (also run by .ci/run); each phase's time is printed. Skipped only where
 * Docker cannot run at all.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { devAccounts } from '../../src/localnet/network.js';
import { baseImages, dockerUnavailableReason, ensureBaseImages, ensureComposePlugin, ensureDaemon, ensurePackages, run, type Daemon } from './engine.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PROJECT = 'cmtd-localnet';
const NODES = ['node0', 'node1', 'node2', 'node3'];
const EVM_CHAIN_ID = 18;

/** The defaults docker-compose.yml reads from .env (KEY=value lines). */
const dotenv = Object.fromEntries(
  readFileSync(join(ROOT, '.env'), 'utf8')
    .split('\n')
    .map((line) => /^\s*([A-Z0-9_]+)=(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, process.env[m[1]!] ?? m[2]!.trim()]),
);
const hostIp = dotenv.CMTD_HOST_IP!;
const cometRpc = (i: number): string => `http://${hostIp}:${dotenv[`NODE${i}_COMET_RPC_PORT`]}`;
const ethRpc = (i: number): string => `http://${hostIp}:${dotenv[`NODE${i}_ETH_RPC_PORT`]}`;

const elapsed = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const log = (line: string): void => console.log(`[docker] ${line}`);

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/**
 * GET a JSON body with node:http. Not fetch: undici leaves a request through
 * docker-proxy to a container port nobody listens on yet pending with no
 * handle that keeps the event loop alive, and the test runner gives up.
 */
function getJson<T>(url: string): Promise<T> {
  return new Promise((resolveBody, reject) => {
    const req = get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
        try {
          resolveBody(JSON.parse(body) as T);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`${url}: no answer in 5 s`)));
    req.on('error', reject);
  });
}

async function height(i: number): Promise<number> {
  const body = await getJson<{ result: { sync_info: { latest_block_height: string } } }>(`${cometRpc(i)}/status`);
  return Number(body.result.sync_info.latest_block_height);
}

async function appHash(i: number, h: number): Promise<string> {
  const body = await getJson<{ result: { block: { header: { app_hash: string } } } }>(`${cometRpc(i)}/block?height=${h}`);
  return body.result.block.header.app_hash;
}

/** Waits until the given nodes all passed `above` and agree on the app hash of a common height; returns it. */
async function agreeAbove(nodes: number[], above: number, timeoutMs: number): Promise<number> {
  return waitFor(`nodes ${nodes.join(', ')} to pass height ${above} with equal app hashes`, timeoutMs, async () => {
    const heights = await Promise.all(nodes.map(height));
    const common = Math.min(...heights);
    if (common <= above) return undefined;
    const hashes = await Promise.all(nodes.map((i) => appHash(i, common)));
    assert.ok(hashes[0]!.length > 0, `an app hash at height ${common}`);
    for (const [k, hash] of hashes.entries()) assert.equal(hash, hashes[0], `node${nodes[k]}'s app hash at height ${common}`);
    return common;
  });
}

function compose(args: string[], timeoutMs = 300_000): Promise<string> {
  return run('docker', ['compose', ...args], { cwd: ROOT, timeoutMs });
}

async function health(service: string): Promise<string> {
  const id = (await compose(['ps', '-q', service])).trim();
  assert.ok(id !== '', `${service} has a container`);
  return (await run('docker', ['inspect', '--format', '{{.State.Health.Status}}', id])).trim();
}

async function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, host, () => server.close(() => resolvePort(true)));
  });
}

const skip = dockerUnavailableReason();
if (skip !== undefined) {
  const bar = '!'.repeat(78);
  console.error(`${bar}\n!! SKIPPING the Docker tests: ${skip}\n!! docker-compose.yml and the Dockerfile were NOT built or run.\n${bar}`);
}

describe('docker compose: the 4-node localnet in a real Docker engine', { skip: skip ?? false }, () => {
  const t0 = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'cmtd-docker-test-'));
  let daemon: Daemon | undefined;
  let builtImage = false;
  let imagesBefore = new Set<string>();
  /** The daemon's log (in workDir) is kept for reading when setup or a test failed, else removed with workDir. */
  let failed = true; // until setup has finished
  afterEach((t) => {
    if ('passed' in t && !t.passed) failed = true;
  });

  async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      log(`${name}: ${elapsed(started)}`);
    }
  }

  before(async () => {
    await phase('install docker.io, mmdebstrap (if missing)', () => ensurePackages(log));
    daemon = await phase('Docker daemon', () => ensureDaemon(log, join(workDir, 'dockerd.log')));
    await phase('Compose v2 plugin', () => ensureComposePlugin(log));
    log((await run('docker', ['compose', 'version'])).trim());
    const images = baseImages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    await phase(`base images (${images.join(', ')})`, () => ensureBaseImages(images, log));

    const existing = (await compose(['ps', '-a', '-q'])).trim();
    assert.equal(existing, '', `compose project ${PROJECT} already has containers: 'docker compose down -v' it first`);
    for (const [key, value] of Object.entries(dotenv)) {
      if (key.endsWith('_PORT')) assert.ok(await portFree(hostIp, Number(value)), `host port ${hostIp}:${value} (${key} in .env) is free`);
    }
    imagesBefore = new Set((await run('docker', ['images', '-a', '-q', '--no-trunc'])).split('\n').filter(Boolean));
    builtImage = true;
    await phase('docker compose up -d --build', () => compose(['up', '-d', '--build'], 2_400_000));
    failed = false;
  });

  after(async () => {
    try {
      if (builtImage) {
        // On failure, what the containers said is the first thing to read.
        log(`docker compose ps -a:\n${await compose(['ps', '-a']).catch((e: Error) => e.message)}`);
        log(`last log lines:\n${await compose(['logs', '--no-color', '--tail', '15']).catch((e: Error) => e.message)}`);
        await phase('docker compose down -v --rmi all', () => compose(['down', '-v', '--rmi', 'all', '--timeout', '30']));
        // Untagged stage images the build left (the classic builder makes them).
        await phase('remove untagged build stages', async () => {
          const dangling = (await run('docker', ['images', '-q', '--no-trunc', '--filter', 'dangling=true'])).split('\n').filter((id) => id !== '' && !imagesBefore.has(id));
          if (dangling.length > 0) await run('docker', ['rmi', ...new Set(dangling)]);
        });
        // And the build cache: with the vfs storage driver every cached layer is a full copy of
        // its file system, so keeping it grew /var/lib/docker by ≈ 5 GB a run (69 GB here, until
        // a run failed with "no space left on device"). The base images stay cached.
        await phase('docker builder prune', () => run('docker', ['builder', 'prune', '--all', '--force']));
      }
    } finally {
      if (daemon?.started) await phase('stop the Docker daemon started here', () => daemon!.stop());
      if (failed) log(`kept ${workDir} (the Docker daemon's log, if it was started here)`);
      else rmSync(workDir, { recursive: true, force: true });
      log(`total: ${elapsed(t0)}`);
    }
  });

  it('runs 4 containers that make blocks with equal app hashes', async () => {
    const started = Date.now();
    const h = await agreeAbove([0, 1, 2, 3], 2, 300_000);
    log(`4 nodes agree on the app hash at height ${h}: ${elapsed(started)}`);
  });

  it('runs every cmtd on jemalloc (the image installs it, `cmtd node` preloads it)', async () => {
    // In each container: the memory map of the process running `main.js start`.
    const probe =
      "const fs=require('fs');for(const p of fs.readdirSync('/proc')){if(!/^[0-9]+$/.test(p))continue;let c;try{c=fs.readFileSync('/proc/'+p+'/cmdline','utf8')}catch{continue}" +
      "if(c.includes('main.js\\0start\\0')){process.stdout.write(/libjemalloc/.test(fs.readFileSync('/proc/'+p+'/maps','utf8'))?'jemalloc':'system');process.exit(0)}}process.stdout.write('no cmtd process')";
    for (const i of [0, 1, 2, 3]) assert.equal((await compose(['exec', '-T', `node${i}`, 'node', '-e', probe], 60_000)).trim(), 'jemalloc', `node${i}`);
  });

  it("takes a transfer signed with ethers through node0's published JSON-RPC; node3 sees it", async () => {
    const started = Date.now();
    const provider = new JsonRpcProvider(ethRpc(0), { chainId: EVM_CHAIN_ID, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 500 });
    const sender = new Wallet(devAccounts(1)[0]!.privateKey, provider);
    const to = Wallet.createRandom().address;
    const value = parseEther('1.5');
    const tx = await sender.sendTransaction({ to, value });
    const receipt = await tx.wait(1, 120_000);
    assert.equal(receipt?.status, 1);
    const far = new JsonRpcProvider(ethRpc(3), { chainId: EVM_CHAIN_ID, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1 });
    await waitFor('node3 to show the transfer', 60_000, async () => ((await far.getBalance(to)) === value ? true : undefined));
    provider.destroy();
    far.destroy();
    log(`transfer in block ${receipt?.blockNumber}, seen by node3: ${elapsed(started)}`);
  });

  it('keeps making blocks with node2 stopped; node2 catches up once started again', async () => {
    const started = Date.now();
    await compose(['stop', 'node2'], 120_000);
    const before = await height(0);
    const during = await agreeAbove([0, 1, 3], before + 2, 120_000);
    await compose(['start', 'node2'], 120_000);
    const caughtUp = await agreeAbove([0, 1, 2, 3], during, 300_000);
    log(`node2 stopped at ~${before}, the 3 others went on to ${during}, node2 caught up to ${caughtUp}: ${elapsed(started)}`);
  });

  it('reports every container healthy while the chain advances, unhealthy while it is halted', async () => {
    const started = Date.now();
    const allHealthy = async (): Promise<true | undefined> => ((await Promise.all(NODES.map(health))).every((s) => s === 'healthy') ? true : undefined);
    await waitFor('every node to be healthy', 300_000, allHealthy);
    log(`all 4 healthy: ${elapsed(started)}`);
    // 2 of 4 validators (half the power) cannot commit: the chain halts, and the running nodes' checks fail.
    const halted = Date.now();
    await compose(['stop', 'node2', 'node3'], 120_000);
    await waitFor('node0 and node1 to turn unhealthy', 300_000, async () =>
      (await Promise.all(['node0', 'node1'].map(health))).every((s) => s === 'unhealthy') ? true : undefined,
    );
    log(`node0, node1 unhealthy with the chain halted: ${elapsed(halted)}`);
    const resumed = Date.now();
    await compose(['start', 'node2', 'node3'], 120_000);
    await agreeAbove([0, 1, 2, 3], await height(0), 300_000);
    await waitFor('every node to be healthy again', 300_000, allHealthy);
    log(`chain resumed, all 4 healthy again: ${elapsed(resumed)}`);
  });
});
