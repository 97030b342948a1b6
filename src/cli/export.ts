/**
 * `cmtd export`: the node's committed state as a genesis `app_state`
 * (SPEC 10 fields plus the exact records, docs/EXPORT.md). The node must be
 * stopped (its state store is locked while it runs). A node keeps only its
 * last committed state, so that is the height exported; --height only
 * checks it.
 */
import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { exportHome } from '../export/export.js';
import { opt } from './flags.js';
import { homeOption } from './options.js';

interface ExportFlags {
  height?: string;
  home: string;
  out?: string;
  output?: string;
}

/** Variables of the flags before they followed the CMTD_<FLAG> rule (and --output meant a file). */
const RENAMED_ENV: Record<string, string> = { CMTD_EXPORT_OUTPUT: 'CMTD_OUT', CMTD_EXPORT_HEIGHT: 'CMTD_HEIGHT' };

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("write the node's state at its last committed height as a genesis app_state, JSON (stop the node first)")
    .addOption(opt('--height <height>', 'check that the last committed height is this one (default: export the last committed height, the only one a node keeps)'))
    .addOption(homeOption())
    .addOption(opt('--out <file>', 'write the app_state JSON to <file> (default: standard output)'))
    // --output is a format everywhere; the export is JSON, so json is all it takes.
    .addOption(new Option('--output <format>', 'json (the only format of an export)').env('CMTD_OUTPUT').default('json'))
    .addHelpText('after', "\nThe new chain's genesis.json needs consensus_params.block.max_gas and validators as printed on stderr; see docs/EXPORT.md.")
    .action(async (flags: ExportFlags, command: Command) => {
      for (const [old, now] of Object.entries(RENAMED_ENV)) {
        if (process.env[old] !== undefined) throw new Error(`${old} is now ${now} (every variable is CMTD_ + its flag): rename it`);
      }
      // CMTD_OUTPUT=text, set for the other commands, does not stop an export.
      if (flags.output !== undefined && flags.output !== 'json' && !(flags.output === 'text' && command.getOptionValueSource('output') === 'env')) {
        throw new Error(
          flags.output === 'text'
            ? 'an export is JSON only: leave out --output'
            : `--output is a format (json), not a file: write the export to '${flags.output}' with --out ${flags.output}`,
        );
      }
      let height: bigint | undefined;
      if (flags.height !== undefined) {
        if (!/^[0-9]+$/.test(flags.height.trim())) throw new Error(`--height: expected a block height, got '${flags.height}'`);
        height = BigInt(flags.height.trim());
      }
      const result = await exportHome(flags.home, height);
      const text = `${JSON.stringify(result.appState, null, 2)}\n`;
      if (flags.out === undefined) process.stdout.write(text);
      else writeFileSync(flags.out, text);
      const notes = [
        `exported height ${result.height} (the last committed one), app hash ${Buffer.from(result.appHash).toString('hex').toUpperCase()} (verified: InitChain of this app_state gives it), ${result.records} exact records`,
        `for the new chain's genesis.json: initial_height ${result.height + 1n}, consensus_params.block.max_gas ${result.blockMaxGas}, validators:`,
        ...result.validators.map((v) => `  {"address": "${v.address}", "pub_key": {"type": "tendermint/PubKeyEd25519", "value": "${v.pubKey}"}, "power": "${v.power}"}`),
      ];
      process.stderr.write(`${notes.join('\n')}\n`);
    });
}
