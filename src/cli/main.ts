#!/usr/bin/env node
/**
 * The `cmtd` command line. Every option has a flag and an environment
 * variable (CMTD_<NAME>); `cmtd <command> --help` lists them with defaults.
 */
import { Command } from 'commander';
import { registerDev } from './dev.js';
import { registerEconomics } from './economics.js';
import { registerExport } from './export.js';
import { registerGenesis } from './genesis.js';
import { registerInit } from './init.js';
import { registerKeys } from './keys.js';
import { registerLocalnet } from './localnet.js';
import { registerQuery } from './query.js';
import { registerReplay } from './replay.js';
import { registerSimulate } from './simulate.js';
import { registerStart } from './start.js';
import { registerTx } from './tx.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('cmtd')
    .description('CyberMiles-style DPoS blockchain application for CometBFT')
    .version('0.1.0')
    .showHelpAfterError();
  registerStart(program);
  registerLocalnet(program);
  registerDev(program);
  registerSimulate(program);
  registerEconomics(program);
  registerInit(program);
  registerGenesis(program);
  registerKeys(program);
  registerTx(program);
  registerQuery(program);
  registerReplay(program);
  registerExport(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`cmtd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
