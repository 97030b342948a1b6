/**
 * src/abci/gen is committed (a fresh clone, `npm pack` and the Docker build
 * need no code generator); this keeps it equal to what `npm run
 * generate:abci` makes from proto/ today, so an edit of proto/ without
 * regenerating, or a hand edit of the generated code, fails CI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GEN = join('src', 'abci', 'gen');

/** Every file under `dir`, as paths relative to it, sorted. */
function files(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((name) => {
      const path = join(d, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(dir, path)];
    });
  return walk(dir).sort();
}

describe('generated ABCI code', () => {
  it('src/abci/gen is what proto/ generates (run `npm run generate:abci` after editing proto/)', () => {
    const out = mkdtempSync(join(tmpdir(), 'cmtd-abci-gen-'));
    try {
      // The same command as the npm script, into a scratch output directory.
      execFileSync(join(ROOT, 'node_modules', '.bin', 'buf'), ['generate', '--template', 'proto/buf.gen.yaml', '-o', out], {
        cwd: ROOT,
        env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const committed = join(ROOT, GEN);
      const fresh = join(out, GEN);
      assert.deepEqual(files(committed), files(fresh), 'the same generated files');
      for (const f of files(fresh)) {
        assert.equal(readFileSync(join(committed, f), 'utf8'), readFileSync(join(fresh, f), 'utf8'), `${GEN}/${f} is out of date`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
