/** `cmtd version`: the cmtd release, its Node.js, and the CometBFT versions it runs with. */
import type { Command } from 'commander';
import { COMETBFT_VERSIONS } from '../localnet/cometbft.js';
import { CMTD_VERSION } from '../util/version.js';
import { printJson } from './format.js';
import { outputOption } from './options.js';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('the cmtd version, its Node.js and the CometBFT versions it supports')
    .addOption(outputOption())
    .action((flags: { output: string }) => {
      const info = { version: CMTD_VERSION, node: process.version, cometbft: [...COMETBFT_VERSIONS] };
      if (flags.output === 'json') printJson(info);
      else process.stdout.write(`cmtd ${info.version}\nNode.js ${info.node}\nCometBFT ${info.cometbft.join(', ')}\n`);
    });
}
