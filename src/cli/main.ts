#!/usr/bin/env node
/**
 * The `cmtd` command line. Every option has a flag and an environment
 * variable (CMTD_<NAME>); `cmtd <command> --help` lists them with defaults.
 *
 * Commands are loaded on demand: `cmtd query …` does not load the ABCI
 * server, the EVM or the metrics, which keeps a CLI call quick. `cmtd --help`
 * (or an unknown command) loads them all to list them.
 */
import { Command } from 'commander';
import { CMTD_VERSION } from '../util/version.js';
import { registerVersion } from './version.js';

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  start: async () => (await import('./start.js')).registerStart,
  node: async () => (await import('./node.js')).registerNode,
  localnet: async () => (await import('./localnet.js')).registerLocalnet,
  dev: async () => (await import('./dev.js')).registerDev,
  simulate: async () => (await import('./simulate.js')).registerSimulate,
  economics: async () => (await import('./economics.js')).registerEconomics,
  init: async () => (await import('./init.js')).registerInit,
  genesis: async () => (await import('./genesis.js')).registerGenesis,
  keys: async () => (await import('./keys.js')).registerKeys,
  tx: async () => (await import('./tx.js')).registerTx,
  query: async () => (await import('./query.js')).registerQuery,
  replay: async () => (await import('./replay.js')).registerReplay,
  export: async () => (await import('./export.js')).registerExport,
  version: async () => registerVersion,
};

export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command();
  program.name('cmtd').description('CyberMiles-style DPoS blockchain application for CometBFT').version(CMTD_VERSION).showHelpAfterError();
  const invoked = argv[2];
  const names = invoked !== undefined && invoked in COMMANDS ? [invoked] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!())(program);
  return program;
}

buildProgram(process.argv)
  .then((program) => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    process.stderr.write(`cmtd: ${err instanceof Error ? err.message : String(err)}\n`);
    // A command may ask for another status (2: a flag out of range).
    const code = err instanceof Error && 'exitCode' in err && typeof err.exitCode === 'number' ? err.exitCode : 1;
    process.exit(code);
  });
