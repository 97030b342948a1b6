/**
 * The allocator a node runs with (src/node/malloc.ts): CMTD_MALLOC, the
 * environment the launchers give a node, what a process has loaded, and a
 * real child preloading the machine's jemalloc when it has one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { fileURLToPath } from 'node:url';

import { planNode } from '../../src/cli/node.js';
import { JEMALLOC_PATHS, loadedMalloc, mallocLibrary, parseMallocChoice, withNodeMalloc } from '../../src/node/malloc.js';
import { startOnce } from '../support/start-once.js';

const EXECUTABLE = fileURLToPath(new URL('../../bin/cmtd.js', import.meta.url));
const WARNING = "cmtd runs on the C library's malloc";
/** This machine's jemalloc, if it has one at a known place. */
const JEMALLOC = process.platform === 'linux' ? mallocLibrary({ kind: 'auto' }) : undefined;

const DEBIAN = JEMALLOC_PATHS[0]!;
const only =
  (...paths: string[]) =>
  (path: string): boolean =>
    paths.includes(path);

describe('CMTD_MALLOC', () => {
  it('is auto when unset or empty, else system or an absolute path', () => {
    assert.deepEqual(parseMallocChoice(undefined), { kind: 'auto' });
    assert.deepEqual(parseMallocChoice(' '), { kind: 'auto' });
    assert.deepEqual(parseMallocChoice('auto'), { kind: 'auto' });
    assert.deepEqual(parseMallocChoice('system'), { kind: 'system' });
    assert.deepEqual(parseMallocChoice('/opt/lib/libtcmalloc.so'), { kind: 'library', path: '/opt/lib/libtcmalloc.so' });
  });

  it('refuses anything else, naming what it takes', () => {
    for (const bad of ['jemalloc', 'libjemalloc.so.2', 'SYSTEM']) assert.throws(() => parseMallocChoice(bad), /CMTD_MALLOC must be auto, system or the absolute path/);
  });
});

describe('mallocLibrary', () => {
  it('auto: the first jemalloc installed at a known place, none if there is none', () => {
    assert.equal(mallocLibrary({ kind: 'auto' }, only(JEMALLOC_PATHS[2]!, JEMALLOC_PATHS[4]!)), JEMALLOC_PATHS[2]);
    assert.equal(mallocLibrary({ kind: 'auto' }, only()), undefined);
  });

  it('system: none; a path: that one, which must exist', () => {
    assert.equal(mallocLibrary({ kind: 'system' }, only(DEBIAN)), undefined);
    assert.equal(mallocLibrary({ kind: 'library', path: '/x/libm.so' }, only('/x/libm.so')), '/x/libm.so');
    assert.throws(() => mallocLibrary({ kind: 'library', path: '/x/libm.so' }, only()), /CMTD_MALLOC=\/x\/libm\.so: no such file/);
  });
});

describe('withNodeMalloc', () => {
  it('preloads jemalloc when installed, keeping the rest of the environment', () => {
    const env = withNodeMalloc({ PATH: '/bin', CMTD_HOME: '/h' }, 'linux', only(DEBIAN));
    assert.deepEqual(env, { PATH: '/bin', CMTD_HOME: '/h', LD_PRELOAD: DEBIAN });
  });

  it('puts it before what the operator preloads, and never twice', () => {
    assert.equal(withNodeMalloc({ LD_PRELOAD: '/a.so:/b.so' }, 'linux', only(DEBIAN))['LD_PRELOAD'], `${DEBIAN} /a.so /b.so`);
    const already = { LD_PRELOAD: `/a.so ${DEBIAN}` };
    assert.equal(withNodeMalloc(already, 'linux', only(DEBIAN)), already);
  });

  it('changes nothing with CMTD_MALLOC=system, without a jemalloc, or off Linux', () => {
    for (const [env, platform, exists] of [
      [{ CMTD_MALLOC: 'system' }, 'linux', only(DEBIAN)],
      [{}, 'linux', only()],
      [{}, 'darwin', only(DEBIAN)],
    ] as const) {
      const given = { ...env };
      assert.equal(withNodeMalloc(given, platform, exists), given, `${JSON.stringify(env)} on ${platform}`);
    }
  });

  it('preloads the library CMTD_MALLOC names, and stops on one that is missing', () => {
    assert.equal(withNodeMalloc({ CMTD_MALLOC: '/opt/libtcmalloc.so' }, 'linux', only('/opt/libtcmalloc.so'))['LD_PRELOAD'], '/opt/libtcmalloc.so');
    assert.throws(() => withNodeMalloc({ CMTD_MALLOC: '/opt/libtcmalloc.so' }, 'linux', only(DEBIAN)), /no such file/);
  });

  it('is what `cmtd node` gives its cmtd', () => {
    const home = mkdtempSync(join(tmpdir(), 'cmtd-malloc-'));
    try {
      mkdirSync(join(home, 'cometbft', 'config'), { recursive: true });
      writeFileSync(join(home, 'cometbft', 'config', 'config.toml'), 'proxy_app = "tcp://127.0.0.1:26658"\nabci = "socket"\n\n[rpc]\nladdr = "tcp://127.0.0.1:26657"\n');
      const plan = planNode({ home }, []);
      assert.deepEqual(plan.cmtd.env, withNodeMalloc());
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('loadedMalloc', () => {
  it('reads a process map', () => {
    const glibc = '7f00-7f10 r-xp 00000000 fe:01 1 /usr/lib/x86_64-linux-gnu/libc.so.6\n';
    assert.equal(loadedMalloc(glibc), 'system');
    assert.equal(loadedMalloc(`${glibc}7f20-7f30 r-xp 00000000 fe:01 2 ${DEBIAN}\n`), 'jemalloc');
    assert.equal(loadedMalloc(`${glibc}7f20-7f30 r-xp 00000000 fe:01 2 /usr/local/lib/libjemalloc.so\n`), 'jemalloc');
  });

  it('a node process started with withNodeMalloc runs on the jemalloc this machine has (or on the C library’s without one)', () => {
    const env = withNodeMalloc();
    const script = "import('./src/node/malloc.ts').then((m) => process.stdout.write(String(m.loadedMalloc())))";
    const reported = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { env, encoding: 'utf8' });
    const expected = process.platform !== 'linux' ? 'undefined' : mallocLibrary({ kind: 'auto' }) === undefined || env['CMTD_MALLOC'] === 'system' ? 'system' : 'jemalloc';
    assert.equal(reported, expected);
  });
});

describe('`cmtd start` on each allocator', () => {
  const bare = { ...process.env };
  delete bare['LD_PRELOAD'];
  delete bare['CMTD_MALLOC'];

  it("on the C library's malloc it warns, saying how to get jemalloc", async () => {
    const { output, maps } = await startOnce(EXECUTABLE, [], bare);
    assert.equal(loadedMalloc(maps), 'system');
    const line = output.split('\n').find((l) => l.includes(WARNING));
    assert.ok(line !== undefined, output);
    assert.ok(line.includes(JEMALLOC === undefined ? 'apt-get install libjemalloc2' : `LD_PRELOAD=${JEMALLOC}`), line);
  });

  it('with CMTD_MALLOC=system it does not', async () => {
    const { output } = await startOnce(EXECUTABLE, [], { ...bare, CMTD_MALLOC: 'system' });
    assert.ok(!output.includes(WARNING), output);
  });

  it('started as the launchers start it, it runs on jemalloc when the machine has one, and does not warn then', async () => {
    const { output, maps } = await startOnce(EXECUTABLE, [], withNodeMalloc(bare));
    assert.equal(loadedMalloc(maps), JEMALLOC === undefined ? 'system' : 'jemalloc');
    assert.equal(output.includes(WARNING), JEMALLOC === undefined, output);
  });
});
