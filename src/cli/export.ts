/**
 * `cmtd export`: the node's committed state as a genesis `app_state`
 * (SPEC 10 fields plus the exact records, docs/EXPORT.md). The node must be
 * stopped (its state store is locked while it runs).
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { exportHome } from '../export/export.js';
import { homeOption } from './options.js';

interface ExportFlags {
  height: string;
  home: string;
  output?: string;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("write the node's state at its last committed height as a genesis app_state (stop the node first)")
    .addOption(new Option('--height <height>', 'the height to export: must be the last committed height of the state in --home').env('CMTD_EXPORT_HEIGHT').makeOptionMandatory())
    .addOption(homeOption())
    // A file, unlike other commands' --output <text|json>: the export is always JSON.
    .addOption(new Option('--output <file>', 'write the app_state JSON to <file> (default: standard output)').env('CMTD_EXPORT_OUTPUT'))
    .addHelpText('after', '\nThe new chain\'s genesis.json needs consensus_params.block.max_gas and validators as printed on stderr; see docs/EXPORT.md.')
    .action(async (flags: ExportFlags) => {
      if (!/^[0-9]+$/.test(flags.height.trim())) throw new Error(`--height: expected a block height, got '${flags.height}'`);
      const result = await exportHome(flags.home, BigInt(flags.height.trim()));
      const text = `${JSON.stringify(result.appState, null, 2)}\n`;
      if (flags.output === undefined) process.stdout.write(text);
      else writeFileSync(flags.output, text);
      const notes = [
        `exported height ${result.height}, app hash ${Buffer.from(result.appHash).toString('hex').toUpperCase()} (verified: InitChain of this app_state gives it), ${result.records} exact records`,
        `for the new chain's genesis.json: initial_height ${result.height + 1n}, consensus_params.block.max_gas ${result.blockMaxGas}, validators:`,
        ...result.validators.map((v) => `  {"address": "${v.address}", "pub_key": {"type": "tendermint/PubKeyEd25519", "value": "${v.pubKey}"}, "power": "${v.power}"}`),
      ];
      process.stderr.write(`${notes.join('\n')}\n`);
    });
}
