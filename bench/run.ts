/**
 * `npm run bench`: runs every benchmark script, each in its own process (a
 * fresh heap, no interference), and prints the machine and date for
 * BENCHMARKS.md. `npm run bench -- abci staking` runs some.
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { withNodeMalloc } from '../src/node/malloc.js';
import { NODE_V8_FLAGS } from '../src/node/v8-flags.js';

const BENCHES = ['abci', 'abci-wire', 'store', 'leveldb-batch', 'prune', 'staking', 'system-abi', 'evm', 'rpc', 'blockgas', 'statesync', 'dev', 'e2e', 'replay'];

const wanted = process.argv.slice(2);
for (const name of wanted) if (!BENCHES.includes(name)) throw new Error(`unknown bench '${name}'; known: ${BENCHES.join(', ')}`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`);
console.log(`date: ${new Date().toISOString()}\n`);
let failed = false;
for (const name of BENCHES) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  // Run as a node runs: its V8 flags and its allocator (src/node/malloc.ts).
  const result = spawnSync(process.execPath, [...NODE_V8_FLAGS, '--import', 'tsx', join('bench', `${name}.ts`)], { stdio: 'inherit', env: withNodeMalloc() });
  if (result.status !== 0) {
    console.error(`bench ${name} failed (exit ${result.status})`);
    failed = true;
  }
  console.log('');
}
process.exit(failed ? 1 : 0);
