/**
 * `cmtd simulate`: runs the node's staking and governance code over N blocks
 * from a genesis, with chosen validators absent, without CometBFT.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { outputOption } from './options.js';
import { simulate, type AbsentRange } from '../sim/simulate.js';
import { formatCmt, printJson, printTable } from './format.js';

interface Flags {
  genesis: string;
  blocks: string;
  absent: string[];
  blockTime: string;
  json?: boolean;
  output: string;
}

function parseAbsent(spec: string): AbsentRange {
  const m = /^(0x[0-9a-fA-F]{40}):([0-9]+)-([0-9]+)$/.exec(spec);
  if (m === null) throw new Error(`--absent takes ADDRESS:FROM-TO (e.g. 0xab…12:100-120), got '${spec}'`);
  const from = Number(m[2]);
  const to = Number(m[3]);
  if (from > to) throw new Error(`--absent ${spec}: FROM is after TO`);
  return { address: m[1]!, from, to };
}

/** The genesis file may be CometBFT's genesis.json (app_state inside) or a bare app_state. */
function readAppState(path: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read genesis ${path}: ${(err as Error).message}`);
  }
  if (typeof json === 'object' && json !== null && 'app_state' in json) return (json as { app_state: unknown }).app_state;
  return json;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description("run the real staking ledger over N blocks from a genesis and report every address's outcome")
    .requiredOption('--genesis <file>', 'CometBFT genesis.json, or just its app_state')
    .requiredOption('--blocks <n>', 'number of blocks to run')
    .option('--absent <addr:from-to>', 'a validator absent over a height range (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--block-time <seconds>', 'seconds between blocks', '10')
    .option('--json', 'JSON output (same as --output json)')
    .addOption(outputOption())
    .action((flags: Flags) => {
      const blocks = Number(flags.blocks);
      if (!Number.isInteger(blocks) || blocks < 1) throw new Error(`--blocks must be a positive whole number, got '${flags.blocks}'`);
      const blockTimeS = Number(flags.blockTime);
      if (!Number.isInteger(blockTimeS) || blockTimeS < 1) throw new Error(`--block-time must be whole seconds, got '${flags.blockTime}'`);
      const result = simulate({ genesis: readAppState(flags.genesis), blocks, blockTimeS, absent: flags.absent.map(parseAbsent) });
      if (flags.json === true || flags.output === 'json') {
        printJson({
          blocks: result.blocks,
          supply: result.supply,
          genesis_supply: result.genesisSupply,
          minted: result.minted,
          burned: result.burned,
          carried_dust: result.dust,
          addresses: result.addresses,
          removals: result.removals,
        });
        return;
      }
      printTable(
        ['address', 'balance', 'stake', 'earned', 'slashed'],
        result.addresses.map((a) => [a.address, formatCmt(a.balance), formatCmt(a.stake), formatCmt(a.earned), formatCmt(a.slashed)]),
      );
      process.stdout.write(
        `\n${result.blocks} blocks: supply ${formatCmt(result.supply)} CMT (genesis ${formatCmt(result.genesisSupply)}, minted ${formatCmt(result.minted)}, burned ${formatCmt(result.burned)})\n`,
      );
      for (const r of result.removals) process.stdout.write(`removed by slashing: ${r.address} at height ${r.height}\n`);
    });
}
