/**
 * `npm run bench`: runs every benchmark and prints its figures as a table and
 * JSON (for BENCHMARKS.md). `npm run bench -- abci` runs one.
 */
import { cpus } from 'node:os';
import { benchAbci } from './abci.js';

const BENCHES: Record<string, () => Promise<Record<string, number>>> = {
  abci: benchAbci,
};

const wanted = process.argv.slice(2);
for (const name of wanted) if (!(name in BENCHES)) throw new Error(`unknown bench '${name}'; known: ${Object.keys(BENCHES).join(', ')}`);
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
console.log(`machine: ${machine}\ndate: ${new Date().toISOString()}`);
const all: Record<string, Record<string, number>> = {};
for (const [name, run] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const figures = await run();
  all[name] = figures;
  for (const [key, value] of Object.entries(figures)) console.log(`${name}.${key}: ${Math.round(value).toLocaleString('en-US')}`);
}
console.log(JSON.stringify({ machine, results: all }));
