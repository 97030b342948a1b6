/**
 * Consensus dependencies: the libraries whose behaviour is part of the
 * state transition (the EVM, whose internals engine.ts patches, RLP,
 * transaction decoding, signature recovery, the Merkle tree's batched
 * SHA-256). Every node must run exactly the
 * same versions, so package.json pins them exactly, the packed package
 * carries an npm-shrinkwrap.json (docs/EVM.md), and a node refuses to start
 * when the version it loaded differs from the pin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSENSUS_DEPENDENCIES = [
  '@chainsafe/hashtree',
  '@ethereumjs/common',
  '@ethereumjs/evm',
  '@ethereumjs/rlp',
  '@ethereumjs/tx',
  '@ethereumjs/util',
  '@ethereumjs/vm',
  'secp256k1',
] as const;

export class DependencyVersionError extends Error {
  override readonly name = 'DependencyVersionError';
}

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
}

function readJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
}

/** The nearest package.json named `name` at or above `dir`. */
function findPackageJson(dir: string, name: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const file = join(d, 'package.json');
    if (existsSync(file) && readJson(file).name === name) return file;
    if (dirname(d) === d) return undefined;
  }
}

/** cmtd's own package.json (this file is src/evm/ or dist/src/evm/ inside it). */
function ownPackageJson(): string {
  const file = findPackageJson(dirname(fileURLToPath(import.meta.url)), 'cmtd');
  if (file === undefined) throw new DependencyVersionError('cannot find the package.json of cmtd to read the pinned consensus dependencies');
  return file;
}

export interface DependencyVersion {
  name: string;
  pinned: string;
  loaded: string;
}

/** The pinned (in `packageJson`, default cmtd's own) and the installed version of every consensus dependency. */
export function consensusDependencyVersions(own: string = ownPackageJson()): DependencyVersion[] {
  const pins = readJson(own).dependencies ?? {};
  const require = createRequire(own);
  return CONSENSUS_DEPENDENCIES.map((name) => {
    const pinned = pins[name] ?? '(not a dependency)';
    const file = findPackageJson(dirname(require.resolve(name)), name);
    const loaded = file === undefined ? '(not found)' : (readJson(file).version ?? '(no version)');
    return { name, pinned, loaded };
  });
}

let checked = false;

/**
 * Throws DependencyVersionError unless every consensus dependency is
 * pinned to an exact version and the installed one is that version. Checked
 * once per process for cmtd's own package.json (`packageJson` is for tests).
 */
export function checkConsensusDependencies(packageJson?: string): void {
  if (checked && packageJson === undefined) return;
  const wrong = consensusDependencyVersions(packageJson).filter((d) => !/^\d+\.\d+\.\d+$/.test(d.pinned) || d.loaded !== d.pinned);
  if (wrong.length > 0) {
    throw new DependencyVersionError(
      `consensus dependencies differ from the versions cmtd pins: ${wrong.map((d) => `${d.name} ${d.loaded} (pinned ${d.pinned})`).join(', ')}. ` +
        'A node running other versions can compute another state than its peers; reinstall with `npm ci` or from the packed package, which carries npm-shrinkwrap.json (docs/EVM.md)',
    );
  }
  if (packageJson === undefined) checked = true;
}
