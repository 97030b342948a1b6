/**
 * Flags and logs that must mean what they say: the Makefile passes the
 * CMTD_<FLAG> variables (base port included) and refuses its old names;
 * `cmtd start` writes plain text (no ANSI colours) when its output is not a
 * terminal, one line per thing it opened, and no warning before InitChain;
 * `cmtd version` answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseSenderThreads, senderThreadsOption } from '../../src/cli/options.js';
import { DEFAULT_SENDER_THREADS } from '../../src/tx/sender-recovery.js';
import { useColor } from '../../src/util/logger.js';
import { waitFor } from '../../src/node/process.js';
import { defaultCmtdCommand } from '../../src/localnet/network.js';
import { withNodeMalloc } from '../../src/node/malloc.js';

const run = promisify(execFile);
const ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

async function make(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  try {
    const r = await run('make', ['-n', ...args], { env: { ...ENV, ...env } });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('Makefile variables', () => {
  it('passes the CMTD_ variables that are set, and only those, to localnet start', async () => {
    const given = await make(['localnet', 'CMTD_BASE_PORT=27000', 'CMTD_VALIDATORS=2', 'CMTD_BLOCK_TIME=5s']);
    assert.equal(given.code, 0, given.out);
    assert.match(given.out, /^node bin\/cmtd\.js localnet start --validators 2 --block-time 5s --base-port 27000$/m);
    const fromEnv = await make(['localnet'], { CMTD_DIR: '/tmp/x' });
    assert.match(fromEnv.out, /^node bin\/cmtd\.js localnet start --dir \/tmp\/x$/m);
    const none = await make(['localnet']);
    assert.match(none.out, /^node bin\/cmtd\.js localnet start$/m, 'an existing network runs as it is');
  });

  it('refuses the old names rather than ignoring them', async () => {
    for (const [old, now] of [
      ['VALIDATORS=2', 'CMTD_VALIDATORS'],
      ['BLOCK_TIME=5s', 'CMTD_BLOCK_TIME'],
      ['LOCALNET_DIR=x', 'CMTD_DIR'],
    ]) {
      const r = await make(['localnet', old!]);
      assert.notEqual(r.code, 0);
      assert.match(r.out, new RegExp(`${old!.split('=')[0]}= is now ${now}=`));
    }
  });
});

describe('cmtd start logs', () => {
  let home: string;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'cmtd-start-logs-'));
    await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'init', '--home', home], { env: ENV });
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('colours only a terminal, never with NO_COLOR', () => {
    assert.equal(useColor({ isTTY: true }, {}), true);
    assert.equal(useColor({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(useColor({ isTTY: true }, { NO_COLOR: '' }), true);
    assert.equal(useColor({ isTTY: false }, {}), false);
    assert.equal(useColor({}, {}), false);
  });

  it('writes plain text to a pipe, each banner line once, and no warning before InitChain', async () => {
    // launched as `cmtd node` and localnets launch it (with a node's V8 flags and allocator)
    const [command, ...base] = defaultCmtdCommand();
    const child = spawn(command!, [...base, 'start', '--home', home, '--address', 'tcp://127.0.0.1:0', '--rpc-address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], {
      env: withNodeMalloc(ENV),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor('cmtd ready', async () => (/cmtd listening on /.test(output) ? true : undefined), 60_000, 50);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    assert.ok(!output.includes('\u001b['), 'no ANSI escape codes');
    const count = (re: RegExp): number => output.split('\n').filter((l) => re.test(l)).length;
    assert.equal(count(/state (store opened|loaded)/), 1, output);
    assert.equal(count(/ABCI.*listening/), 1, output);
    assert.equal(count(/JSON-RPC listening/), 1, output);
    assert.equal(count(/metrics listening/), 1, output);
    assert.equal(count(/^cmtd listening on tcp:\/\/127\.0\.0\.1:[0-9]+$/), 1, output);
    assert.doesNotMatch(output, /warn|params are missing/, output);
  });
});

/** `cmtd start` with each value of `flag` exits 1 with its message, and creates nothing in its home. */
async function refusedBeforeOpening(flag: string, cases: ReadonlyArray<readonly [given: string, message: string]>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'cmtd-flag-'));
  try {
    const [command, ...base] = defaultCmtdCommand();
    for (const [given, message] of cases) {
      await assert.rejects(run(command!, [...base, 'start', '--home', home, '--rpc-address', '', flag, given], { env: ENV }), (err: { code?: number; stderr?: string }) => {
        assert.equal(err.code, 1);
        assert.ok(err.stderr?.includes(message), err.stderr);
        return true;
      });
    }
    assert.deepEqual(readdirSync(home), [], 'no state opened');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

describe('cmtd start --state-write-buffer-mb', () => {
  it('refuses a size that is not a whole number of MiB from 1 to 1024 (LevelDB clamps the rest), before it opens anything', async () => {
    await refusedBeforeOpening('--state-write-buffer-mb', [
      ['0', "--state-write-buffer-mb: expected a positive integer, got '0'"],
      ['1.5', "--state-write-buffer-mb: expected a positive integer, got '1.5'"],
      ['1025', "--state-write-buffer-mb: at most 1024 (LevelDB's limit), got 1025"],
    ]);
  });
});

describe('cmtd start --state-open-files', () => {
  it("refuses a count outside LevelDB's 74–50000 (it clamps the rest), before it opens anything", async () => {
    await refusedBeforeOpening('--state-open-files', [
      ['0', "--state-open-files: expected a positive integer, got '0'"],
      ['73', "--state-open-files: from 74 to 50000 (LevelDB's limits), got 73"],
      ['50001', "--state-open-files: from 74 to 50000 (LevelDB's limits), got 50001"],
    ]);
  });
});

describe('cmtd export flags', () => {
  async function cmtd(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
    try {
      await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...ENV, ...env } });
      return { code: 0, stderr: '' };
    } catch (err) {
      const e = err as { code?: number; stderr?: string };
      return { code: e.code ?? -1, stderr: e.stderr ?? '' };
    }
  }

  it('takes --output as a format and points a file name to --out; refuses the renamed variables', async () => {
    const file = await cmtd(['export', '--home', '/nonexistent', '--output', 'state.json']);
    assert.equal(file.code, 1);
    assert.match(file.stderr, /--output is a format \(json\), not a file: write the export to 'state.json' with --out state\.json/);
    const text = await cmtd(['export', '--home', '/nonexistent', '--output', 'text']);
    assert.match(text.stderr, /an export is JSON only: leave out --output/);
    const old = await cmtd(['export', '--home', '/nonexistent'], { CMTD_EXPORT_OUTPUT: 'x.json' });
    assert.match(old.stderr, /CMTD_EXPORT_OUTPUT is now CMTD_OUT/);
    // CMTD_OUTPUT=text, set for the other commands, is no error: the export goes on (to the missing home here).
    const shared = await cmtd(['export', '--home', '/nonexistent'], { CMTD_OUTPUT: 'text' });
    assert.doesNotMatch(shared.stderr, /--output|JSON only/);
  });
});

describe('cmtd version', () => {
  it("prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const text = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'version'], { env: ENV });
    assert.match(text.stdout, new RegExp(`^cmtd ${version.replace(/\./g, '\\.')}\\nNode\\.js v[0-9.]+\\nCometBFT v0\\.38\\.[0-9]+, v0\\.37\\.[0-9]+\\n$`));
    const json = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'version', '--output', 'json'], { env: ENV });
    assert.equal((JSON.parse(json.stdout) as { version: string }).version, version);
  });
});

describe('--sender-threads', () => {
  it('takes 0 to 16 from the flag or CMTD_SENDER_THREADS, defaulting to the one-thread default, and refuses the rest by name', () => {
    const option = senderThreadsOption();
    assert.equal(option.envVar, 'CMTD_SENDER_THREADS');
    assert.equal(option.defaultValue, String(DEFAULT_SENDER_THREADS));
    assert.equal(parseSenderThreads('0'), 0);
    assert.equal(parseSenderThreads(' 16 '), 16);
    for (const bad of ['17', '-1', '1.5', 'two', '']) {
      assert.throws(() => parseSenderThreads(bad), { message: `--sender-threads: expected a whole number from 0 to 16, got '${bad}'` });
    }
  });
});
