#!/usr/bin/env node
/**
 * The `cmtd` command line. Every option has a flag and an environment
 * variable (CMTD_<NAME>); `cmtd <command> --help` lists them with defaults.
 */
import { Command } from 'commander';
import { registerEconomics } from './economics.js';
import { registerLocalnet } from './localnet.js';
import { registerSimulate } from './simulate.js';
import { registerStart } from './start.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('cmtd')
    .description('CyberMiles-style DPoS blockchain application for CometBFT')
    .version('0.1.0')
    .showHelpAfterError();
  registerStart(program);
  registerLocalnet(program);
  registerSimulate(program);
  registerEconomics(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`cmtd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
