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
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The Compose v2 release built when the plugin is missing. */
export const COMPOSE_VERSION = 'v2.40.3';
const CACHE_DIR = join(process.env.CMTD_CACHE_DIR ?? join(homedir(), '.cache', 'cmtd'), 'docker');
const PLUGIN_PATH = join(homedir(), '.docker', 'cli-plugins', 'docker-compose');
/** Label on every stand-in image, so they are never mistaken for the real ones. */
const STANDIN_LABEL = 'org.cmtd.standin';
const LOCAL_CAS = '/usr/local/share/ca-certificates';

export type Log = (line: string) => void;

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command to completion; throws with the end of its output if it fails. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const missing = [...(onPath('dockerd') && onPath('docker') ? [] : ['docker.io']), ...(onPath('mmdebstrap') ? [] : ['mmdebstrap'])];
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
    const download = JSON.parse(await run('go', ['mod', 'download', '-json', `github.com/docker/compose/v2@${COMPOSE_VERSION}`], { cwd: tmpdir(), timeoutMs: 900_000 })) as {
      Dir: string;
    };
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
 * or Go (golang:*), the toolchains the Dockerfile expects, laid out as in
 * the official images and imported as one layer (vfs copies every layer).
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
  const work = mkdtempSync(join(tmpdir(), 'cmtd-standin-'));
  try {
    const rootfs = join(work, 'rootfs');
    const mirror = 'http://deb.debian.org/debian';
    log(`mmdebstrap bookworm (minbase, ca-certificates) from ${mirror}`);
    await run('mmdebstrap', ['--variant=minbase', '--include=ca-certificates', '--quiet', 'bookworm', rootfs, mirror], { timeoutMs: 1_200_000 });
    // This machine's own CAs (e.g. of a TLS-inspecting egress proxy), so the
    // stand-ins reach the package registries as the host does.
    if (existsSync(LOCAL_CAS) && readdirSync(LOCAL_CAS).length > 0) {
      log(`adding this machine's CAs from ${LOCAL_CAS}`);
      await run('cp', ['-a', `${LOCAL_CAS}/.`, join(rootfs, LOCAL_CAS)]);
      await run('chroot', [rootfs, 'update-ca-certificates']);
    }
    for (const image of missing) {
      if (imageExists(image)) continue; // tagged together with an earlier one
      const [name, tag = 'latest'] = image.split(':') as [string, string?];
      if (name === 'node' && tag.startsWith('20'))
        await importNodeStandin(
          rootfs,
          images.filter((i) => i.startsWith('node:20')),
          log,
        );
      else if (name === 'golang') await importGoStandin(rootfs, image, log);
      else throw new Error(`no stand-in recipe for base image ${image}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `docker import` of the root file system `dir` as every tag, with Dockerfile instructions. */
async function importRootfs(dir: string, tags: string[], changes: string[]): Promise<void> {
  const changeArgs = [`LABEL ${STANDIN_LABEL}=true`, ...changes].flatMap((c) => ['--change', c]);
  const id = (
    await run('bash', ['-o', 'pipefail', '-c', 'dir="$1"; shift; tar -C "$dir" -c . | docker import "$@" - ', 'import', dir, ...changeArgs], { timeoutMs: 900_000 })
  ).trim();
  for (const tag of tags) await run('docker', ['tag', id, tag]);
}

const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** node:20-bookworm and node:20-bookworm-slim: this machine's node and npm in /usr/local, user node (1000). */
async function importNodeStandin(base: string, tags: string[], log: Log): Promise<void> {
  const node = realpathSync(process.execPath);
  if (!process.version.startsWith('v20.')) throw new Error(`the node stand-in needs Node 20 on this machine, found ${process.version}`);
  const npmCli = realpathSync((await run('sh', ['-c', 'command -v npm'])).trim());
  const npmDir = join(dirname(npmCli), '..');
  log(`stand-in ${tags.join(', ')}: bookworm + ${node} (${process.version}) + ${npmDir}`);
  const rootfs = `${base}-node`;
  await run('cp', ['-a', base, rootfs]);
  try {
    copyFileSync(node, join(rootfs, 'usr/local/bin/node'));
    chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
    mkdirSync(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
    await run('cp', ['-a', npmDir, join(rootfs, 'usr/local/lib/node_modules/npm')]);
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));
    await run('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node']);
    await run('chroot', [rootfs, 'useradd', '--uid', '1000', '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node']);
    await importRootfs(rootfs, tags, [
      // Node has its own CA list: point it at the system's (which has this machine's CAs).
      `ENV PATH=${PATH_ENV} NODE_VERSION=${process.version.slice(1)} NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt`,
      'CMD ["node"]',
    ]);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** golang:<version>-bookworm: this machine's Go toolchain in /usr/local/go, GOPATH /go. */
async function importGoStandin(base: string, tag: string, log: Log): Promise<void> {
  const goroot = (await run('go', ['env', 'GOROOT'])).trim();
  const version = (await run('go', ['env', 'GOVERSION'])).trim();
  log(`stand-in ${tag}: bookworm + ${goroot} (${version})`);
  const rootfs = `${base}-go`;
  await run('cp', ['-a', base, rootfs]);
  try {
    await run('cp', ['-a', goroot, join(rootfs, 'usr/local/go')]);
    mkdirSync(join(rootfs, 'go/bin'), { recursive: true });
    mkdirSync(join(rootfs, 'go/src'), { recursive: true });
    await importRootfs(rootfs, [tag], [`ENV PATH=/go/bin:/usr/local/go/bin:${PATH_ENV} GOPATH=/go GOTOOLCHAIN=local`, 'WORKDIR /go']);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}
