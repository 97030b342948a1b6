/**
 * What test/docker/compose.test.ts needs from the machine, installed or
 * started when missing: the Docker engine (Debian's docker.io, dockerd with
 * the vfs storage driver), the Compose v2 CLI plugin (built from its Go
 * module, cached in ~/.cache/cmtd/docker) and, where Docker Hub does not
 * answer, local stand-ins for the Dockerfile's base images built from
 * Debian packages (mmdebstrap bookworm) plus this machine's Node 20 and Go.
 * Nothing here is needed where Docker, Compose v2 and Docker Hub are present:
 * then every step finds its part in place and does nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The Compose v2 release built when the plugin is missing. */
export const COMPOSE_VERSION = 'v2.40.3';
const CACHE_DIR = join(process.env.CMTD_CACHE_DIR ?? join(homedir(), '.cache', 'cmtd'), 'docker');
const PLUGIN_PATH = join(homedir(), '.docker', 'cli-plugins', 'docker-compose');
/** Label on every stand-in image, so they are never mistaken for the real ones. */
const STANDIN_LABEL = 'org.cmtd.standin';
const DEBIAN_BASE = 'cmtd-standin/debian:bookworm';

export type Log = (line: string) => void;

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  input?: string;
}

/** Runs a command to completion; throws with the end of its output if it fails. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-20_000)));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            err += `\n(killed after ${options.timeoutMs} ms)`;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdin.end(options.input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}):\n${(err || out).slice(-6_000)}`));
    });
  });
}

function succeeds(command: string, args: string[], timeoutMs = 30_000): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: timeoutMs });
  return result.status === 0;
}

function onPath(name: string): boolean {
  return succeeds('sh', ['-c', `command -v ${name}`]);
}

/** Why Docker cannot run on this machine at all, or undefined if it can. */
export function dockerUnavailableReason(): string | undefined {
  if (succeeds('docker', ['info'])) return undefined;
  if (process.getuid?.() !== 0) return 'no running Docker daemon, and starting one needs root';
  if (!existsSync('/sys/fs/cgroup') || readdirSync('/sys/fs/cgroup').length === 0) return 'no cgroup filesystem at /sys/fs/cgroup: containers cannot run here';
  return undefined;
}

/** apt-get installs docker.io (and mmdebstrap, for the stand-ins) when missing. */
export async function ensurePackages(log: Log): Promise<void> {
  const missing = [
    ...(onPath('dockerd') && onPath('docker') ? [] : ['docker.io']),
    ...(onPath('mmdebstrap') ? [] : ['mmdebstrap']),
  ];
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, timeoutMs: 600_000 });
  await run('apt-get', ['install', '-y', '-qq', ...missing], { env, timeoutMs: 1_200_000 });
}

export interface Daemon {
  /** Whether this process started it (and stop() stops it). */
  started: boolean;
  stop(): Promise<void>;
}

/** Uses the running Docker daemon, or starts `dockerd --storage-driver=vfs`. */
export async function ensureDaemon(log: Log, logFile: string): Promise<Daemon> {
  if (succeeds('docker', ['info'])) return { started: false, stop: async () => undefined };
  log(`starting dockerd --storage-driver=vfs (log: ${logFile})`);
  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn('dockerd', ['--storage-driver=vfs'], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  while (!succeeds('docker', ['info'], 10_000)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`dockerd did not start:\n${readFileSync(logFile, 'utf8').slice(-4_000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    started: true,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Installs the Compose v2 plugin when `docker compose` is missing: `go mod
 * download` of github.com/docker/compose/v2, `go build ./cmd` in a writable
 * copy (go install refuses the module for its replace directives), cached in
 * ~/.cache/cmtd/docker.
 */
export async function ensureComposePlugin(log: Log): Promise<void> {
  if (succeeds('docker', ['compose', 'version'])) return;
  const binary = join(CACHE_DIR, `docker-compose-${COMPOSE_VERSION}`);
  if (!existsSync(binary)) {
    if (!onPath('go')) throw new Error('the Compose v2 plugin is missing and Go (needed to build it) is not installed');
    log(`building the Compose ${COMPOSE_VERSION} plugin from its Go module (first time only)`);
    const download = JSON.parse(await run('go', ['mod', 'download', '-json', `github.com/docker/compose/v2@${COMPOSE_VERSION}`], { cwd: tmpdir(), timeoutMs: 900_000 })) as { Dir: string };
    mkdirSync(CACHE_DIR, { recursive: true });
    const src = mkdtempSync(join(CACHE_DIR, 'compose-src-'));
    try {
      cpSync(download.Dir, src, { recursive: true });
      makeWritable(src);
      // -p 1: other work shares this machine's cores.
      await run('go', ['build', '-p', '1', '-trimpath', '-ldflags', `-s -w -X github.com/docker/compose/v2/internal.Version=${COMPOSE_VERSION}`, '-o', `${binary}.tmp`, './cmd'], {
        cwd: src,
        timeoutMs: 2_400_000,
      });
      copyFileSync(`${binary}.tmp`, binary);
      chmodSync(binary, 0o755);
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(`${binary}.tmp`, { force: true });
    }
  }
  mkdirSync(dirname(PLUGIN_PATH), { recursive: true });
  copyFileSync(binary, PLUGIN_PATH);
  chmodSync(PLUGIN_PATH, 0o755);
  await run('docker', ['compose', 'version']);
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(path);
    else if (entry.isFile()) chmodSync(path, 0o644);
  }
}

/** The external images a Dockerfile's FROM lines name (not its own stages). */
export function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const m of dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$/gim)) {
    const image = m[1]!;
    if (!stages.has(image.toLowerCase()) && !images.includes(image)) images.push(image);
    if (m[2] !== undefined) stages.add(m[2].toLowerCase());
  }
  return images;
}

function imageExists(image: string): boolean {
  return succeeds('docker', ['image', 'inspect', image]);
}

/**
 * Makes every base image available: present already, pulled from Docker Hub,
 * or (where Hub does not answer) a stand-in built here. A stand-in is
 * Debian bookworm (mmdebstrap minbase) plus this machine's Node (node:20-*)
 * or Go (golang:*): the toolchains the Dockerfile expects, under its names.
 */
export async function ensureBaseImages(images: string[], log: Log): Promise<void> {
  const missing = images.filter((image) => !imageExists(image));
  if (missing.length === 0) return;
  log(`pulling ${missing[0]} from Docker Hub`);
  const hub = await run('docker', ['pull', missing[0]!], { timeoutMs: 60_000 }).then(
    () => true,
    (err: Error) => {
      log(`Docker Hub does not answer (${err.message.split('\n').slice(-2).join(' ').trim()}): building local stand-ins for ${missing.join(', ')}`);
      return false;
    },
  );
  if (hub) {
    for (const image of missing.slice(1)) await run('docker', ['pull', image], { timeoutMs: 900_000 });
    return;
  }
  if (!imageExists(DEBIAN_BASE)) {
    const mirror = 'http://deb.debian.org/debian';
    log(`mmdebstrap bookworm (minbase, ca-certificates) from ${mirror} into ${DEBIAN_BASE}`);
    const tar = join(mkdtempSync(join(tmpdir(), 'cmtd-standin-')), 'bookworm.tar');
    try {
      await run('mmdebstrap', ['--variant=minbase', '--include=ca-certificates', '--quiet', 'bookworm', tar, mirror], { timeoutMs: 1_200_000 });
      await run('docker', ['import', '--change', `LABEL ${STANDIN_LABEL}=true`, '--change', 'CMD ["bash"]', tar, DEBIAN_BASE], { timeoutMs: 600_000 });
    } finally {
      rmSync(dirname(tar), { recursive: true, force: true });
    }
  }
  for (const image of missing) {
    if (imageExists(image)) continue; // tagged together with an earlier one
    const [name, tag = 'latest'] = image.split(':') as [string, string?];
    if (name === 'node' && tag.startsWith('20')) await buildNodeStandin(images.filter((i) => i.startsWith('node:20')), log);
    else if (name === 'golang') await buildGoStandin(image, log);
    else throw new Error(`no stand-in recipe for base image ${image}`);
  }
}

async function dockerBuild(context: string, tags: string[], dockerfile: string): Promise<void> {
  writeFileSync(join(context, 'Dockerfile'), dockerfile);
  await run('docker', ['build', '-q', ...tags.flatMap((t) => ['-t', t]), context], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 900_000 });
}

/** node:20-bookworm and node:20-bookworm-slim: this machine's node and npm, laid out as the official images do. */
async function buildNodeStandin(tags: string[], log: Log): Promise<void> {
  const node = realpathSync(process.execPath);
  if (!process.version.startsWith('v20.')) throw new Error(`the node stand-in needs Node 20 on this machine, found ${process.version}`);
  const npmCli = realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
  const npmDir = join(dirname(npmCli), '..');
  log(`building stand-in ${tags.join(', ')} from ${DEBIAN_BASE} + ${node} (${process.version}) + ${npmDir}`);
  const context = mkdtempSync(join(tmpdir(), 'cmtd-standin-node-'));
  try {
    copyFileSync(node, join(context, 'node'));
    cpSync(npmDir, join(context, 'npm'), { recursive: true });
    await dockerBuild(
      context,
      tags,
      `FROM ${DEBIAN_BASE}
LABEL ${STANDIN_LABEL}=true
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN chmod 755 /usr/local/bin/node \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=${process.version.slice(1)}
CMD ["node"]
`,
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** golang:<version>-bookworm: this machine's Go toolchain in /usr/local/go, GOPATH /go, as the official image. */
async function buildGoStandin(tag: string, log: Log): Promise<void> {
  const goroot = (await run('go', ['env', 'GOROOT'])).trim();
  const version = (await run('go', ['env', 'GOVERSION'])).trim();
  log(`building stand-in ${tag} from ${DEBIAN_BASE} + ${goroot} (${version})`);
  const context = mkdtempSync(join(tmpdir(), 'cmtd-standin-go-'));
  try {
    cpSync(goroot, join(context, 'go'), { recursive: true });
    await dockerBuild(
      context,
      [tag],
      `FROM ${DEBIAN_BASE}
LABEL ${STANDIN_LABEL}=true
COPY go /usr/local/go
ENV GOTOOLCHAIN=local GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /go/bin /go/src && go version
WORKDIR /go
`,
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
