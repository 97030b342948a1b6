/** `cmtd version`: the cmtd release, its Node.js, and the CometBFT versions it runs with. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { COMETBFT_VERSIONS } from '../localnet/cometbft.js';
import { printJson } from './format.js';
import { outputOption } from './options.js';

// src/cli/version.ts, or dist/src/cli/version.js once built.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', import.meta.url.endsWith('.ts') ? '' : '..');

/** The version in package.json: one place to change at a release. */
export const CMTD_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

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
