/** README and `--help` agree: every flag a command's help lists is documented in its README section, and the reverse. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const README = readFileSync('README.md', 'utf8');

/** The README text from heading `from` to the next heading of the same level. */
function section(from: string): string {
  const start = README.indexOf(`\n${from}\n`);
  assert.ok(start >= 0, `README has a section '${from}'`);
  const level = /^#+/.exec(from)![0];
  const next = README.slice(start + from.length + 2).search(new RegExp(`\\n${level} `));
  return README.slice(start, next < 0 ? undefined : start + from.length + 2 + next);
}

async function helpFlags(args: string[]): Promise<Set<string>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--help'], { env: { PATH: process.env.PATH ?? '' } });
  const options = stdout.slice(stdout.indexOf('Options:'));
  return new Set([...options.matchAll(/^\s+(?:-[a-zA-Z], )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((f) => f !== '--help'));
}

const flagsIn = (text: string): Set<string> => new Set([...text.matchAll(/(?<![a-z-])--[a-z][a-z-]*/g)].map((m) => m[0]));

describe('README and --help', () => {
  const commandLine = section('## Command line');
  for (const [args, docs] of [
    [['tx', 'delegate'], `${section('### `cmtd tx`: transactions')}${commandLine.slice(0, commandLine.indexOf('### '))}`],
    [['tx', 'transfer'], `${section('### `cmtd tx`: transactions')}${commandLine.slice(0, commandLine.indexOf('### '))}`],
    [['keys', 'add'], `${section('### `cmtd keys`: account keys')}${commandLine.slice(0, commandLine.indexOf('### '))}`],
    [['localnet', 'start'], section('## Local network')],
    [['dev'], section('## Development chain: `cmtd dev`')],
  ] as Array<[string[], string]>) {
    it(`documents every flag of cmtd ${args.join(' ')}`, async () => {
      const help = await helpFlags(args);
      const documented = flagsIn(docs);
      const missing = [...help].filter((f) => !documented.has(f));
      assert.deepEqual(missing, [], `flags of cmtd ${args.join(' ')} --help missing from the README`);
    });
  }

  it('documents no tx flag that --help does not list', async () => {
    const table = section('### `cmtd tx`: transactions');
    const rows = [...table.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1]!);
    const help = await helpFlags(['tx', 'delegate']);
    assert.ok(rows.length >= 10);
    assert.deepEqual(
      rows.filter((f) => !help.has(f)),
      [],
    );
  });
});
