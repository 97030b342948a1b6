/**
 * The project's example business contracts (contracts/*.sol): compilation
 * with the `solc` npm package (solc-js) and loading of the build artifacts
 * that scripts/compile-contracts.ts writes to contracts/build/<Name>.json.
 *
 * `loadContract` uses the artifact when its `sourceHash` matches the current
 * sources, compiler and settings, and compiles in memory otherwise, so tests
 * never run against stale bytecode. Settings: optimizer on (200 runs), EVM
 * version Cancun (the fork the chain runs).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonFragment } from 'ethers';

const require = createRequire(import.meta.url);

/** Repository root (this file is test/support/contracts.ts). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONTRACTS_DIR = join(ROOT, 'contracts');
export const BUILD_DIR = join(CONTRACTS_DIR, 'build');

/** The example contracts, each in contracts/<Name>.sol. */
export const CONTRACT_NAMES = ['Escrow', 'LoyaltyToken', 'LoanRepaymentPlan', 'InsurancePlan'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface CompiledContract {
  contractName: string;
  /** solc version that produced it. */
  compiler: string;
  /** sha256 over compiler version, settings and every source file it was built from. */
  sourceHash: string;
  abi: JsonFragment[];
  /** Creation bytecode, 0x-prefixed. */
  bytecode: string;
  /** Runtime bytecode, 0x-prefixed. */
  deployedBytecode: string;
}

interface SolcModule {
  version(): string;
  compile(input: string, callbacks?: { import: (path: string) => { contents: string } | { error: string } }): string;
}

let solcModule: SolcModule | undefined;
function solc(): SolcModule {
  solcModule ??= require('solc') as SolcModule;
  return solcModule;
}

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

/** Resolves an import path: a file under contracts/, or a package under node_modules. */
function readSource(path: string): string | undefined {
  const local = join(CONTRACTS_DIR, path);
  if (existsSync(local)) return readFileSync(local, 'utf8');
  try {
    return readFileSync(require.resolve(path), 'utf8');
  } catch {
    return undefined;
  }
}

/** Every source a contract file needs, by import path (the file itself and its imports, transitively). */
function collectSources(entry: string): Map<string, string> {
  const sources = new Map<string, string>();
  const pending = [entry];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (sources.has(path)) continue;
    const text = readSource(path);
    if (text === undefined) throw new Error(`cannot find Solidity source '${path}'`);
    sources.set(path, text);
    for (const match of text.matchAll(/^\s*import\s+(?:[^'"]*\sfrom\s+)?["']([^"']+)["']/gm)) {
      const target = match[1]!;
      pending.push(target.startsWith('.') ? join(dirname(path), target).replace(/\\/g, '/') : target);
    }
  }
  return sources;
}

function solcPackageVersion(): string {
  return (require('solc/package.json') as { version: string }).version;
}

function hashSources(sources: Map<string, string>): string {
  const h = createHash('sha256');
  h.update(solcPackageVersion());
  h.update(JSON.stringify(SETTINGS));
  for (const path of [...sources.keys()].sort()) {
    h.update(`\0${path}\0`);
    h.update(sources.get(path)!);
  }
  return h.digest('hex');
}

interface SolcOutput {
  errors?: Array<{ severity: string; formattedMessage: string }>;
  contracts?: Record<string, Record<string, { abi: JsonFragment[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

/** Compiles contracts/<name>.sol with solc-js; throws with the compiler's messages on errors. */
export function compileContract(name: string): CompiledContract {
  return compileSources(`${name}.sol`, name, collectSources(`${name}.sol`));
}

/**
 * Compiles Solidity source text (for tests); imports resolve as for the
 * files in contracts/ (e.g. "@openzeppelin/...").
 */
export function compileSolidity(source: string, name: string): CompiledContract {
  return compileSources(`${name}.sol`, name, new Map([[`${name}.sol`, source]]));
}

function compileSources(entry: string, name: string, sources: Map<string, string>): CompiledContract {
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries([...sources].map(([path, content]) => [path, { content }])),
    settings: SETTINGS,
  };
  const output = JSON.parse(
    solc().compile(JSON.stringify(input), {
      import: (path) => {
        const text = readSource(path);
        return text === undefined ? { error: `not found: ${path}` } : { contents: text };
      },
    }),
  ) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed on ${entry}:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const compiled = output.contracts?.[entry]?.[name];
  if (compiled === undefined) throw new Error(`solc produced no contract ${name} in ${entry}`);
  return {
    contractName: name,
    compiler: solc().version(),
    sourceHash: hashSources(sources),
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
  };
}

const loaded = new Map<string, CompiledContract>();

/**
 * The compiled contract: contracts/build/<name>.json when it is up to date
 * with the sources, otherwise a fresh in-memory compilation. Cached per process.
 */
export function loadContract(name: string): CompiledContract {
  const cached = loaded.get(name);
  if (cached !== undefined) return cached;
  let contract: CompiledContract | undefined;
  const artifact = join(BUILD_DIR, `${name}.json`);
  if (existsSync(artifact)) {
    const built = JSON.parse(readFileSync(artifact, 'utf8')) as CompiledContract;
    if (built.sourceHash === hashSources(collectSources(`${name}.sol`))) contract = built;
  }
  contract ??= compileContract(name);
  loaded.set(name, contract);
  return contract;
}
