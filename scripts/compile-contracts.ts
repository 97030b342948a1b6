/**
 * Compiles the example contracts (contracts/*.sol, see test/support/contracts.ts)
 * with solc-js and writes contracts/build/<Name>.json (abi, bytecode,
 * deployedBytecode, compiler, sourceHash).
 *
 *   node --import tsx scripts/compile-contracts.ts [Name ...]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, CONTRACT_NAMES, compileContract } from '../test/support/contracts.js';

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : [...CONTRACT_NAMES];
mkdirSync(BUILD_DIR, { recursive: true });
for (const name of names) {
  const started = performance.now();
  const contract = compileContract(name);
  const file = join(BUILD_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(contract, null, 2)}\n`);
  const size = (contract.deployedBytecode.length - 2) / 2;
  console.log(`${name}: ${size} bytes of runtime code -> ${file} (${Math.round(performance.now() - started)} ms)`);
}
