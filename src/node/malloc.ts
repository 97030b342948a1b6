/**
 * The memory allocator a cmtd node runs with. LevelDB allocates and frees
 * its write buffers, table indexes and compaction buffers on several
 * threads, and glibc's malloc keeps what they free in per-thread arenas;
 * jemalloc gives it back. At a 10,000,000-key state over 20 blocks a node
 * held 140–230 MiB less anonymous memory with jemalloc, and its blocks took
 * ≈ 5 % less CPU (BENCHMARKS.md, 2026-12-05). A process picks its allocator
 * when it starts (LD_PRELOAD), so the launchers that start a node preload
 * it: `cmtd node` for its cmtd, localnets, the benches; the Docker image
 * installs it. `cmtd start` warns when it runs on the C library's malloc.
 *
 * CMTD_MALLOC chooses: `auto` (the default: jemalloc when it is installed at
 * one of {@link JEMALLOC_PATHS}), `system` (the C library's malloc), or the
 * path of a malloc library to preload.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Where distributions install jemalloc's shared library (Debian and Ubuntu: package libjemalloc2). */
export const JEMALLOC_PATHS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
  '/usr/local/lib/libjemalloc.so.2',
];

export type MallocChoice = { kind: 'auto' } | { kind: 'system' } | { kind: 'library'; path: string };

/** CMTD_MALLOC's value (unset or empty: auto). */
export function parseMallocChoice(value: string | undefined): MallocChoice {
  const v = value?.trim() ?? '';
  if (v === '' || v === 'auto') return { kind: 'auto' };
  if (v === 'system') return { kind: 'system' };
  if (!v.startsWith('/')) throw new Error(`CMTD_MALLOC must be auto, system or the absolute path of a malloc library, got '${v}'`);
  return { kind: 'library', path: v };
}

/** The library to preload for a node process; undefined: the C library's malloc. */
export function mallocLibrary(choice: MallocChoice, exists: (path: string) => boolean = existsSync): string | undefined {
  switch (choice.kind) {
    case 'system':
      return undefined;
    case 'library':
      if (!exists(choice.path)) throw new Error(`CMTD_MALLOC=${choice.path}: no such file`);
      return choice.path;
    case 'auto':
      return JEMALLOC_PATHS.find((path) => exists(path));
  }
}

/**
 * `env` for a child process that runs a node, with the allocator CMTD_MALLOC
 * chooses preloaded (LD_PRELOAD, Linux only). A library the operator
 * already preloads stays, after it.
 */
export function withNodeMalloc(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  exists: (path: string) => boolean = existsSync,
): NodeJS.ProcessEnv {
  if (platform !== 'linux') return env;
  const library = mallocLibrary(parseMallocChoice(env['CMTD_MALLOC']), exists);
  if (library === undefined) return env;
  // ld.so takes a list separated by spaces or colons.
  const preloaded = (env['LD_PRELOAD'] ?? '').split(/[\s:]+/).filter((entry) => entry !== '');
  if (preloaded.includes(library)) return env;
  return { ...env, LD_PRELOAD: [library, ...preloaded].join(' ') };
}

/**
 * The allocator of the process whose memory map `maps` is (default: this
 * one's, /proc/self/maps): 'jemalloc' when a jemalloc library is mapped,
 * else 'system'; undefined where there is no /proc (not Linux).
 */
export function loadedMalloc(maps?: string): 'jemalloc' | 'system' | undefined {
  let text = maps;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/maps', 'utf8');
    } catch {
      return undefined;
    }
  }
  return /\/libjemalloc[^/\s]*\.so/.test(text) ? 'jemalloc' : 'system';
}
