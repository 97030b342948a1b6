/**
 * docker-compose.yml, its .env defaults and the Dockerfile agree with
 * `cmtd localnet` (no Docker engine needed): 4 node services built from the
 * Dockerfile, the localnet port scheme (RPC and metrics published on
 * loopback, p2p not), the init service's `cmtd localnet init --docker`
 * producing a genesis the app accepts and configs whose peers are the
 * compose services, the pinned CometBFT, a non-root image with a
 * HEALTHCHECK. `docker compose config` checks the file too when the compose
 * plugin is installed (`make docker-tools`; .ci/run installs it first).
 * test/docker/compose.test.ts runs it all in Docker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { parseAppGenesis } from '../../src/app/genesis.js';
import { createModules } from '../../src/app/wiring.js';
import { cometbftBinary, DEFAULT_COMETBFT_VERSION, readGenesis, type CometGenesis } from '../../src/localnet/cometbft.js';
import { defaultCmtdCommand, dockerHost } from '../../src/localnet/network.js';
import { Overlay } from '../../src/store/kv.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  entrypoint?: string[];
  command?: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  healthcheck?: { disable?: boolean };
}

interface Compose {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** The KEY=value lines of .env, which Compose reads for ${KEY} in docker-compose.yml. */
const dotenv = new Map(
  readFileSync(join(ROOT, '.env'), 'utf8')
    .split('\n')
    .map((line) => /^\s*([A-Z0-9_]+)=(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!.trim()]),
);

/** Compose's interpolation of ${VAR}, ${VAR:?error} and ${VAR:-default}, from .env. */
function interpolate(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
      const v = dotenv.get(name);
      if (v !== undefined && v !== '') return v;
      assert.notEqual(kind, '?', `${name} is set in .env`);
      return kind === '-' ? rest! : '';
    });
  }
  if (Array.isArray(value)) return value.map(interpolate);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v)]));
  return value;
}

const compose = interpolate(parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true })) as Compose;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const nodeNames = Object.keys(compose.services).filter((name) => name !== 'init');

/** The value after `flag` in an argument list. */
function flag(args: string[], name: string): string {
  const i = args.indexOf(name);
  assert.ok(i >= 0 && i + 1 < args.length, `${name} is given`);
  return args[i + 1]!;
}

const initArgs = compose.services.init?.command ?? [];
const BASE_PORT = Number(flag(initArgs, '--base-port'));
const VALIDATORS = Number(flag(initArgs, '--validators'));
const MOUNT = flag(initArgs, '--dir');

function cometbftAvailable(): boolean {
  try {
    cometbftBinary();
    return true;
  } catch {
    return false;
  }
}

function composePluginAvailable(): boolean {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** CometBFT's node id: the first 20 bytes of sha256 over the node key's ed25519 public key, hex. */
function nodeIdOf(home: string): string {
  const key = JSON.parse(readFileSync(join(home, 'config', 'node_key.json'), 'utf8')) as { priv_key: { value: string } };
  const publicKey = Buffer.from(key.priv_key.value, 'base64').subarray(32);
  return createHash('sha256').update(publicKey).digest().subarray(0, 20).toString('hex');
}

function tomlValue(text: string, section: string, key: string): string | undefined {
  let current = '';
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header !== null) current = header[1]!.trim();
    else if (current === section) {
      const m = new RegExp(`^\\s*${key}\\s*=\\s*"?([^"]*)"?\\s*$`).exec(line);
      if (m !== null) return m[1];
    }
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  it('runs 4 nodes, each a service built from the Dockerfile, after the init service', () => {
    assert.deepEqual(nodeNames, [0, 1, 2, 3].map(dockerHost));
    assert.equal(VALIDATORS, nodeNames.length);
    const images = new Set<string | undefined>();
    for (const [name, service] of Object.entries(compose.services)) {
      assert.deepEqual(service.build, { context: '.', dockerfile: 'Dockerfile' }, `${name} is built from the Dockerfile`);
      images.add(service.image);
    }
    assert.equal(images.size, 1, 'one image for every service');
    nodeNames.forEach((name, i) => {
      const service = compose.services[name]!;
      assert.deepEqual(service.entrypoint, ['node', '/app/docker/entrypoint.mjs']);
      assert.deepEqual(service.command, [String(i)], `${name} runs node ${i}`);
      assert.deepEqual(service.depends_on, { init: { condition: 'service_completed_successfully' } });
    });
  });

  it("publishes node i's RPC and metrics ports on loopback by default (.env): base+10i+9 JSON-RPC, +7 CometBFT RPC, +0/+1 metrics; not p2p", () => {
    assert.equal(BASE_PORT, 26600, "the default of 'cmtd localnet start'");
    assert.equal(dotenv.get('CMTD_HOST_IP'), '127.0.0.1');
    nodeNames.forEach((name, i) => {
      const ports = [9, 7, 0, 1].map((offset) => BASE_PORT + 10 * i + offset);
      assert.deepEqual(
        compose.services[name]!.ports,
        ports.map((p) => `127.0.0.1:${p}:${p}`),
        name,
      );
      assert.ok(!compose.services[name]!.ports!.some((p) => p.endsWith(`:${BASE_PORT + 10 * i + 6}`)), `${name}'s p2p port is not published`);
    });
  });

  it('restarts a node container that exits unless it was stopped; the one-shot init service has no health check', () => {
    for (const name of nodeNames) assert.equal(compose.services[name]!.restart, 'unless-stopped', name);
    assert.equal(compose.services.init!.restart, undefined);
    assert.deepEqual(compose.services.init!.healthcheck, { disable: true });
  });

  it('mounts the network that the init service writes with `cmtd localnet init --docker` into every node', () => {
    assert.deepEqual(initArgs.slice(0, 3), ['localnet', 'init', '--docker']);
    assert.equal(flag(initArgs, '--chain-id'), 'cmtd-localnet');
    assert.equal(Number(flag(initArgs, '--validators')) + Number(flag(initArgs, '--candidates')), nodeNames.length, 'every node service is a validator or a candidate');
    for (const [name, service] of Object.entries(compose.services)) {
      assert.deepEqual(service.volumes, [`localnet:${MOUNT}`], `${name} mounts the localnet volume at ${MOUNT}`);
    }
    assert.ok(compose.volumes !== undefined && 'localnet' in compose.volumes);
  });

  describe('the network the init service writes (needs the cometbft binary)', { skip: !cometbftAvailable() && 'cometbft is not installed (scripts/install-cometbft.sh)' }, () => {
    let tmp: string;
    let dir: string;
    let geneses: CometGenesis[];

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'cmtd-docker-'));
      dir = join(tmp, 'localnet');
      // The init service's own command line, with the volume replaced by a temporary directory.
      const args = initArgs.map((a, i) => (initArgs[i - 1] === '--dir' ? dir : a));
      const [command, ...base] = defaultCmtdCommand();
      await run(command!, [...base, ...args], { timeout: 60_000 });
      geneses = nodeNames.map((_, i) => readGenesis(join(dir, `node${i}`)));
    });

    after(() => rmSync(tmp, { recursive: true, force: true }));

    it('gives every node the same genesis: chain id, the 4 nodes as validators, an app_state InitChain accepts', () => {
      const [genesis] = geneses;
      for (const g of geneses) assert.deepEqual(g, genesis);
      assert.equal(genesis!.chain_id, flag(initArgs, '--chain-id'));
      const keys = nodeNames.map((_, i) => {
        const key = JSON.parse(readFileSync(join(dir, `node${i}`, 'config', 'priv_validator_key.json'), 'utf8')) as { pub_key: { value: string } };
        return key.pub_key.value;
      });
      assert.deepEqual(
        genesis!.validators?.map((v) => v.pub_key.value),
        keys,
      );
      // The node's own genesis validation: parse app_state and run InitChain over an empty state.
      const app = parseAppGenesis(Buffer.from(JSON.stringify(genesis!.app_state)));
      const elected = createModules().initGenesis(new Overlay({ get: () => undefined }), app, [], genesis!.chain_id as string);
      assert.deepEqual(elected.map((v) => Buffer.from(v.pubKey).toString('base64')).sort(), [...keys].sort(), 'InitChain elects the 4 nodes');
      assert.ok(app.accounts.length >= 4, 'funded development accounts');
    });

    it('configures each node for its container: ports as published, peers by service name', () => {
      const manifest = JSON.parse(readFileSync(join(dir, 'localnet.json'), 'utf8')) as {
        docker?: boolean;
        cometVersion: string;
        nodes: Array<{ index: number; p2pPort: number; rpcPort: number; abciPort: number; ethRpcPort: number }>;
      };
      assert.equal(manifest.docker, true);
      assert.equal(manifest.cometVersion, DEFAULT_COMETBFT_VERSION);
      const ids = nodeNames.map((_, i) => nodeIdOf(join(dir, `node${i}`)));
      nodeNames.forEach((name, i) => {
        const node = manifest.nodes[i]!;
        const port = (offset: number): number => BASE_PORT + 10 * i + offset;
        assert.deepEqual([node.p2pPort, node.rpcPort, node.abciPort, node.ethRpcPort], [port(6), port(7), port(8), port(9)]);
        const published = compose.services[name]!.ports!.map((p) => Number(p.split(':').at(-1)));
        assert.deepEqual(published.slice(0, 2), [node.ethRpcPort, node.rpcPort]);
        const config = readFileSync(join(dir, `node${i}`, 'config', 'config.toml'), 'utf8');
        assert.equal(tomlValue(config, '', 'proxy_app'), `tcp://127.0.0.1:${node.abciPort}`, 'ABCI inside the container');
        assert.equal(tomlValue(config, 'rpc', 'laddr'), `tcp://0.0.0.0:${node.rpcPort}`);
        assert.equal(tomlValue(config, 'p2p', 'laddr'), `tcp://0.0.0.0:${node.p2pPort}`);
        const peers = (tomlValue(config, 'p2p', 'persistent_peers') ?? '').split(',').sort();
        const expected = nodeNames
          .map((peer, j) => `${ids[j]}@${peer}:${manifest.nodes[j]!.p2pPort}`)
          .filter((_, j) => j !== i)
          .sort();
        assert.deepEqual(peers, expected, `${name}'s peers are the other services`);
      });
    });

    it('runs cmtd and cometbft of node i as the entrypoint says', async () => {
      const { stdout } = await run(process.execPath, [join(ROOT, 'docker', 'entrypoint.mjs'), '2', '--dry-run'], {
        env: { ...process.env, CMTD_DIR: dir, COMETBFT_BIN: '/usr/local/bin/cometbft' },
      });
      const plan = JSON.parse(stdout) as { node: string[]; cmtd: string[]; cometbft: string[]; cometMetrics: string; peerHosts: string[] };
      // Both run under `cmtd node`, the one supervisor, with the cmtd flags below passed through after '--'.
      assert.equal(plan.node[2], 'node');
      assert.equal(flag(plan.node, '--comet-home'), join(dir, 'node2'));
      assert.equal(flag(plan.node, '--cometbft'), '/usr/local/bin/cometbft');
      assert.equal(flag(plan.node, '--restart'), 'on-failure');
      assert.deepEqual(plan.node.slice(plan.node.indexOf('--') + 1), plan.cmtd.slice(plan.cmtd.indexOf('--abci')), "cmtd's flags passed through");
      const port = (offset: number): number => BASE_PORT + 20 + offset;
      assert.equal(flag(plan.cmtd, '--home'), join(dir, 'node2', 'cmtd'));
      assert.equal(flag(plan.cmtd, '--address'), `tcp://127.0.0.1:${port(8)}`);
      assert.equal(flag(plan.cmtd, '--rpc-address'), `0.0.0.0:${port(9)}`);
      assert.equal(flag(plan.cmtd, '--comet-rpc'), `http://127.0.0.1:${port(7)}`);
      assert.equal(flag(plan.cmtd, '--metrics-address'), `0.0.0.0:${port(1)}`, 'cmtd metrics on base+10i+1, as published');
      assert.equal(plan.cometMetrics, `:${port(0)}`, 'CometBFT metrics on base+10i+0, as published');
      assert.deepEqual(plan.cometbft, ['/usr/local/bin/cometbft', 'node', '--home', join(dir, 'node2')]);
      assert.deepEqual(plan.peerHosts.sort(), ['node0', 'node1', 'node3']);
    });
  });

  it('passes `docker compose config`, which reads it as this test does', { skip: !composePluginAvailable() && 'the docker compose plugin is not installed' }, async () => {
    await run('docker', ['compose', '-f', COMPOSE_FILE, 'config', '--quiet'], { cwd: ROOT, timeout: 30_000 });
    const { stdout } = await run('docker', ['compose', '-f', COMPOSE_FILE, 'config', '--format', 'json'], { cwd: ROOT, timeout: 30_000 });
    const resolved = JSON.parse(stdout) as {
      services: Record<
        string,
        {
          image: string;
          command: string[];
          restart?: string;
          ports?: Array<{ host_ip: string; target: number; published: string }>;
          volumes: Array<{ source: string; target: string }>;
        }
      >;
    };
    assert.deepEqual(Object.keys(resolved.services).sort(), Object.keys(compose.services).sort());
    for (const [name, service] of Object.entries(compose.services)) {
      const r = resolved.services[name]!;
      assert.equal(r.image, service.image);
      assert.deepEqual(r.command, service.command);
      assert.equal(r.restart, service.restart);
      assert.deepEqual(
        (r.ports ?? []).map((p) => `${p.host_ip}:${p.published}:${p.target}`),
        service.ports ?? [],
      );
      assert.deepEqual(
        r.volumes.map((v) => `${v.source}:${v.target}`),
        service.volumes,
      );
    }
  });
});

describe('Dockerfile', () => {
  it('builds the pinned CometBFT with go install', () => {
    assert.equal(/^ARG COMETBFT_VERSION=(\S+)$/m.exec(dockerfile)?.[1], DEFAULT_COMETBFT_VERSION);
    assert.equal(DEFAULT_COMETBFT_VERSION, 'v0.38.25');
    assert.match(dockerfile, /^FROM golang:\S+ AS cometbft$/m);
    assert.match(dockerfile, /go install [^\n]*"github\.com\/cometbft\/cometbft\/cmd\/cometbft@\$\{COMETBFT_VERSION\}"/);
    const install = readFileSync(join(ROOT, 'scripts', 'install-cometbft.sh'), 'utf8');
    assert.equal(/^DEFAULT_VERSION=(\S+)$/m.exec(install)?.[1], DEFAULT_COMETBFT_VERSION, 'the same pin as scripts/install-cometbft.sh');
  });

  it('builds cmtd on Node 20 (npm ci, build) and ships both in the runtime image', () => {
    assert.match(dockerfile, /^FROM node:20\S* AS build$/m);
    assert.match(dockerfile, /^RUN npm ci\b/m);
    assert.match(dockerfile, /npm run build/);
    const stages = dockerfile.split(/^FROM /m);
    const runtime = stages.at(-1)!;
    assert.match(runtime, /^node:20\S*/);
    assert.match(runtime, /COPY --from=cometbft \/out\/cometbft \/usr\/local\/bin\/cometbft/);
    assert.match(runtime, /COMETBFT_BIN=\/usr\/local\/bin\/cometbft/);
    assert.match(runtime, /COPY --from=build \/runtime \/app/);
    const build = stages.find((stage) => / AS build$/m.test(stage.split('\n')[0]!))!;
    assert.match(build, /mv package\.json node_modules dist bin proto contracts \/runtime\//, 'the compiled cmtd, its production packages and the ABCI schema (read at run time)');
    assert.match(build, /mv docker\/entrypoint\.mjs docker\/healthcheck\.mjs \/runtime\/docker\//, 'the entrypoint docker-compose.yml runs, and the health check');
  });

  it('runs as an unprivileged user, checks its health with docker/healthcheck.mjs, exposes the localnet ports', () => {
    const runtime = dockerfile.split(/^FROM /m).at(-1)!;
    const user = /^USER (\S+)$/m.exec(runtime)?.[1];
    assert.ok(user !== undefined && user !== 'root' && user !== '0', 'a USER that is not root');
    assert.match(runtime, new RegExp(`useradd [^\\n]*\\b${user}\\b`), `the image creates ${user}`);
    assert.match(runtime, /chown cmtd:cmtd \/localnet/, 'the compose volume mount point belongs to the user');
    assert.match(runtime, /^HEALTHCHECK [^\n]*(\\\n[^\n]*)*CMD \["node", "\/app\/docker\/healthcheck\.mjs"\]/m);
    assert.match(runtime, /^EXPOSE 26600-26639$/m);
  });
});
