/** `cmtd start`: serve the application to a CometBFT node. */
import { Command, Option } from 'commander';
import { homeOption } from './options.js';
import { startNode, type AbciTransport } from '../node/run.js';
import { DEFAULT_RPC_LIMITS } from '../rpc/index.js';
import { DEFAULT_CACHE_BYTES, DEFAULT_STATE_HISTORY } from '../store/committed-store.js';
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
  rpcAddress: string;
  cometRpc: string;
  rpcMaxBodyBytes: string;
  rpcMaxBatch: string;
  rpcMaxLogBlocks: string;
  rpcMaxLogs: string;
  rpcGasCap: string;
  rpcCors?: string;
  metricsAddress: string;
  stateHistory: string;
  stateCacheMb: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  logFile?: string;
}

export function registerStart(program: Command): void {
  const command = program
    .command('start')
    .description('serve the application to CometBFT over ABCI (run `cometbft node --proxy_app <address>` beside it)')
    .addOption(homeOption())
    .addOption(new Option('--abci <transport>', 'ABCI transport').choices(['socket', 'grpc']).env('CMTD_ABCI').default('socket'))
    .addOption(new Option('--address <url>', 'ABCI listen address: tcp://host:port or unix:///path').env('CMTD_ADDRESS').default('tcp://127.0.0.1:26658'))
    .addOption(
      new Option('--rpc-address <host:port>', "Ethereum JSON-RPC (HTTP + WebSocket) listen address; '' disables it")
        .env('CMTD_RPC_ADDRESS')
        .default('127.0.0.1:8545'),
    )
    .addOption(
      new Option('--comet-rpc <url>', "CometBFT RPC that eth_sendRawTransaction broadcasts through; '' disables broadcasting")
        .env('CMTD_COMET_RPC')
        .default('http://127.0.0.1:26657'),
    )
    .addOption(new Option('--rpc-max-body-bytes <n>', 'largest JSON-RPC request body or WebSocket message').env('CMTD_RPC_MAX_BODY_BYTES').default(String(DEFAULT_RPC_LIMITS.maxBodyBytes)))
    .addOption(new Option('--rpc-max-batch <n>', 'most requests in one JSON-RPC batch').env('CMTD_RPC_MAX_BATCH').default(String(DEFAULT_RPC_LIMITS.maxBatch)))
    .addOption(new Option('--rpc-max-log-blocks <n>', 'most blocks one eth_getLogs may span').env('CMTD_RPC_MAX_LOG_BLOCKS').default(String(DEFAULT_RPC_LIMITS.maxLogBlockRange)))
    .addOption(new Option('--rpc-max-logs <n>', 'most logs one eth_getLogs may return').env('CMTD_RPC_MAX_LOGS').default(String(DEFAULT_RPC_LIMITS.maxLogResults)))
    .addOption(new Option('--rpc-gas-cap <gas>', 'gas limit of eth_call and eth_estimateGas').env('CMTD_RPC_GAS_CAP').default(DEFAULT_RPC_LIMITS.gasCap.toString()))
    .addOption(new Option('--rpc-cors <origin>', 'Access-Control-Allow-Origin for browsers (default: no CORS)').env('CMTD_RPC_CORS'))
    .addOption(
      new Option('--state-history <n>', 'block heights of state kept for historical queries and proofs; older ones are pruned (0: keep all)')
        .env('CMTD_STATE_HISTORY')
        .default(String(DEFAULT_STATE_HISTORY)),
    )
    .addOption(
      new Option('--state-cache-mb <mib>', 'memory for cached state values and Merkle tree nodes, MiB')
        .env('CMTD_STATE_CACHE_MB')
        .default(String(DEFAULT_CACHE_BYTES / 1024 / 1024)),
    )
    .addOption(
      new Option('--metrics-address <host:port>', "Prometheus metrics (GET /metrics) listen address, e.g. 127.0.0.1:26660; '' (the default) disables them")
        .env('CMTD_METRICS_ADDRESS')
        .default(''),
    );
  logOptions(command).action(async (flags: StartFlags) => {
    const logger = createLogger({ level: flags.logLevel, format: flags.logFormat, ...(flags.logFile ? { file: flags.logFile } : {}) });
    const rpc =
      flags.rpcAddress === ''
        ? undefined
        : {
            address: flags.rpcAddress,
            cometRpcUrl: flags.cometRpc,
            limits: {
              maxBodyBytes: positiveInt(flags.rpcMaxBodyBytes, '--rpc-max-body-bytes'),
              maxBatch: positiveInt(flags.rpcMaxBatch, '--rpc-max-batch'),
              maxLogBlockRange: positiveInt(flags.rpcMaxLogBlocks, '--rpc-max-log-blocks'),
              maxLogResults: positiveInt(flags.rpcMaxLogs, '--rpc-max-logs'),
              gasCap: BigInt(positiveInt(flags.rpcGasCap, '--rpc-gas-cap')),
            },
            ...(flags.rpcCors === undefined ? {} : { cors: flags.rpcCors }),
          };
    const node = await startNode({
      home: flags.home,
      abci: flags.abci,
      address: flags.address,
      logger,
      store: { stateHistory: wholeNumber(flags.stateHistory, '--state-history'), cacheBytes: positiveInt(flags.stateCacheMb, '--state-cache-mb') * 1024 * 1024 },
      ...(rpc === undefined ? {} : { rpc }),
      ...(flags.metricsAddress === '' ? {} : { metrics: { address: flags.metricsAddress } }),
    });
    if (node.rpcUrl !== undefined) process.stdout.write(`cmtd JSON-RPC listening on ${node.rpcUrl}\n`);
    if (node.metricsUrl !== undefined) process.stdout.write(`cmtd metrics listening on ${node.metricsUrl}\n`);
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

function wholeNumber(value: string, flag: string): number {
  if (!/^[0-9]+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new Error(`${flag}: expected a whole number, got '${value}'`);
  return Number(value);
}

function positiveInt(value: string, flag: string): number {
  if (!/^[0-9]+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new Error(`${flag}: expected a positive integer, got '${value}'`);
  }
  return Number(value);
}
