/**
 * Issue 19.4: consensus dependencies are pinned exactly in package.json,
 * and a node refuses to start when an installed version differs from its pin.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSENSUS_DEPENDENCIES, checkConsensusDependencies, consensusDependencyVersions } from '../../src/evm/dependencies.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };

/** A package.json named cmtd with these dependencies, over the real node_modules. */
function fakePackage(dependencies: Record<string, string>): { file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-deps-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'cmtd', dependencies }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return { file: join(dir, 'package.json'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('consensus dependency versions', () => {
  it('are pinned exactly, to the lockfile versions, and are the ones installed', () => {
    for (const name of CONSENSUS_DEPENDENCIES) {
      assert.match(pkg.dependencies[name] ?? '', /^\d+\.\d+\.\d+$/, `${name} is pinned exactly`);
      assert.equal(lock.packages[`node_modules/${name}`]?.version, pkg.dependencies[name], `${name}: package-lock.json agrees`);
    }
    for (const d of consensusDependencyVersions()) assert.equal(d.loaded, d.pinned, d.name);
    checkConsensusDependencies();
  });

  it('refuses to start when an installed version differs from the pin, or a pin is a range', () => {
    const evm = pkg.dependencies['@ethereumjs/evm']!;
    const secp = pkg.dependencies.secp256k1!;
    const otherVersion = fakePackage({ ...pkg.dependencies, '@ethereumjs/evm': '0.0.1' });
    const range = fakePackage({ ...pkg.dependencies, secp256k1: `^${secp}` });
    try {
      assert.throws(
        () => checkConsensusDependencies(otherVersion.file),
        (e: Error) => e.message.includes(`@ethereumjs/evm ${evm} (pinned 0.0.1)`),
      );
      assert.throws(
        () => checkConsensusDependencies(range.file),
        (e: Error) => e.message.includes(`secp256k1 ${secp} (pinned ^${secp})`),
      );
    } finally {
      otherVersion.cleanup();
      range.cleanup();
    }
  });
});
