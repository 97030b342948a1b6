/**
 * The V8 flags a node runs with (src/node/v8-flags.ts): which launchers
 * pass them, and the warning of `cmtd start` when they are missing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultCmtdCommand } from '../../src/localnet/network.js';
import { missingV8Flags, NODE_V8_FLAGS } from '../../src/node/v8-flags.js';
import { startOnce } from '../support/start-once.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXECUTABLE = join(ROOT, 'bin', 'cmtd.js');
const WARNING = 'node was started without';

describe('missingV8Flags', () => {
  it('names every flag when node got none', () => {
    assert.deepEqual(missingV8Flags([], ''), [...NODE_V8_FLAGS]);
  });

  it('finds the flags on the command line or in NODE_OPTIONS, with either spelling', () => {
    assert.deepEqual(missingV8Flags([...NODE_V8_FLAGS], ''), []);
    assert.deepEqual(missingV8Flags(['--import', 'tsx'], `--inspect ${NODE_V8_FLAGS.join(' ')}`), []);
    assert.deepEqual(
      missingV8Flags(
        NODE_V8_FLAGS.map((f) => f.replace(/^--([^=]*)/, (_, name: string) => `--${name.replaceAll('-', '_')}`)),
        '',
      ),
      [],
    );
  });

  it('takes a flag given with another value as the operator’s choice', () => {
    assert.deepEqual(
      missingV8Flags(
        NODE_V8_FLAGS.map((f) => `${f.split('=')[0]}=8`),
        '',
      ),
      [],
    );
  });
});

describe('the launchers pass the flags', () => {
  it('localnets and `cmtd node` (defaultCmtdCommand)', () => {
    const command = defaultCmtdCommand();
    for (const flag of NODE_V8_FLAGS)
      assert.ok(command.indexOf(flag) > 0 && command.indexOf(flag) < command.findIndex((a) => a.endsWith('main.ts') || a.endsWith('main.js')), `${flag} before the script`);
  });

  it('the Docker image', () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    assert.ok(entrypoint !== undefined, 'the Dockerfile has an exec-form ENTRYPOINT');
    const args = JSON.parse(entrypoint) as string[];
    for (const flag of NODE_V8_FLAGS) assert.ok(args.indexOf(flag) > 0 && args.indexOf(flag) < args.indexOf('/app/bin/cmtd.js'), `${flag} before the script`);
  });

  describe('`cmtd start`', () => {
    it('run as an executable, node gets the flags and cmtd does not warn', async () => {
      const { output, cmdline } = await startOnce(EXECUTABLE, []);
      for (const flag of NODE_V8_FLAGS) assert.ok(cmdline.includes(flag), `${flag} in ${cmdline.join(' ')}`);
      assert.ok(!output.includes(WARNING), output);
    });

    it('run by a bare `node`, it warns and names the flags', async () => {
      const { output } = await startOnce(process.execPath, [EXECUTABLE]);
      const line = output.split('\n').find((l) => l.includes(WARNING));
      assert.ok(line !== undefined, output);
      for (const flag of NODE_V8_FLAGS) assert.ok(line.includes(flag), line);
    });
  });
});
