/** `cmtd start`: serve the application to a CometBFT node. */
import { Command, Option } from 'commander';
import { startNode, type AbciTransport } from '../node/run.js';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from '../util/logger.js';

export function logOptions(command: Command): Command {
  return command
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]).env('CMTD_LOG_LEVEL').default('info'))
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'pretty']).env('CMTD_LOG_FORMAT').default('pretty'))
    .addOption(new Option('--log-file <file>', 'also append JSON logs to this file').env('CMTD_LOG_FILE'));
}

interface StartFlags {
  home: string;
  abci: AbciTransport;
  address: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  logFile?: string;
}

export function registerStart(program: Command): void {
  const command = program
    .command('start')
    .description('serve the application to CometBFT over ABCI (run `cometbft node --proxy_app <address>` beside it)')
    .addOption(new Option('--home <dir>', 'cmtd home directory (state in <home>/data)').env('CMTD_HOME').default(`${process.env.HOME ?? '.'}/.cmtd`))
    .addOption(new Option('--abci <transport>', 'ABCI transport').choices(['socket', 'grpc']).env('CMTD_ABCI').default('socket'))
    .addOption(new Option('--address <url>', 'ABCI listen address: tcp://host:port or unix:///path').env('CMTD_ADDRESS').default('tcp://127.0.0.1:26658'));
  logOptions(command).action(async (flags: StartFlags) => {
    const logger = createLogger({ level: flags.logLevel, format: flags.logFormat, ...(flags.logFile ? { file: flags.logFile } : {}) });
    const node = await startNode({ home: flags.home, abci: flags.abci, address: flags.address, logger });
    // Print the bound address on stdout so scripts can wait for it (a port of 0 picks a free one).
    process.stdout.write(`cmtd listening on ${node.address}\n`);
    const shutdown = (signal: string): void => {
      logger.info(`received ${signal}, shutting down`, { module: 'node' });
      node.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error('shutdown failed', { module: 'node', error: (err as Error).message });
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
