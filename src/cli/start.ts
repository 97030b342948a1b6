/** `cmtd start`: serve the application to a CometBFT node. */
import { type Command, Option } from 'commander';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MESSAGE_BYTES } from '../abci/index.js';
import { defaultAbciAddress } from './client.js';
import { homeOption, parseSenderThreads, senderThreadsOption } from './options.js';
import { DEFAULT_SNAPSHOT_INTERVAL, DEFAULT_SNAPSHOT_KEEP_RECENT, startNode, type AbciTransport } from '../node/run.js';
import { loadedMalloc, mallocLibrary, parseMallocChoice } from '../node/malloc.js';
import { NATIVE_PAIR_HASHING } from '../util/sha256.js';
import { missingV8Flags } from '../node/v8-flags.js';
import { DEFAULT_COMET_RPC_URL } from '../comet/rpc.js';
import { parseCorsOrigins } from '../rpc/cors.js';
import { DEFAULT_ETH_RPC_ADDRESS, parseHostPort } from '../rpc/server.js';
import { startUiServer, uiOrigins, withUiOrigins, type UiServer } from '../ui/server.js';
import { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES } from '../statesync/format.js';
import { DEFAULT_RPC_LIMITS } from '../rpc/index.js';
import {
  DEFAULT_CACHE_BYTES,
  DEFAULT_OPEN_FILES,
  DEFAULT_STATE_HISTORY,
  DEFAULT_WRITE_BUFFER_BYTES,
  MAX_OPEN_FILES,
  MAX_WRITE_BUFFER_BYTES,
  MIN_OPEN_FILES,
} from '../store/committed-store.js';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from '../util/logger.js';

export function logOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices([...LOG_LEVELS])
        .env('CMTD_LOG_LEVEL')
        .default('info'),
    )
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'pretty']).env('CMTD_LOG_FORMAT').default('pretty'))
    .addOption(new Option('--log-file <file>', 'also append JSON logs to this file').env('CMTD_LOG_FILE'));
}

interface StartFlags {
  home: string;
  abci: AbciTransport;
  address?: string;
  abciMaxConnections: string;
  abciMaxMessageBytes: string;
  rpcAddress: string;
  cometRpc: string;
  rpcMaxBodyBytes: string;
  rpcMaxBatch: string;
  rpcMaxLogBlocks: string;
  rpcMaxLogs: string;
  rpcGasCap: string;
  rpcEvmTimeout: string;
  rpcEvmWorkers: string;
  rpcEvmQueue: string;
  rpcMaxConnections: string;
  rpcMaxSubscriptions: string;
  rpcMaxFilters: string;
  rpcMaxFiltersPerClient: string;
  rpcWsMaxBuffer: string;
  rpcTraceTimeout: string;
  rpcTraceMaxBytes: string;
  rpcTracesPerClient: string;
  rpcCors?: string;
  uiAddress: string;
  metricsAddress: string;
  stateHistory: string;
  stateCacheMb: string;
  stateWriteBufferMb: string;
  stateOpenFiles: string;
  senderThreads: string;
  snapshotInterval: string;
  snapshotKeepRecent: string;
  snapshotChunkBytes: string;
  minRetainBlocks: string;
  testCorruptSnapshotChunks?: boolean;
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
    .addOption(
      new Option('--address <url>', 'ABCI listen address: unix:///path (mode 0600: only this user can connect) or tcp://host:port (any local user can connect to loopback)')
        .env('CMTD_ADDRESS')
        .default(undefined, 'unix://<home>/abci.sock'),
    )
    .addOption(
      new Option('--abci-max-connections <n>', 'most ABCI connections open at once (CometBFT opens 4)').env('CMTD_ABCI_MAX_CONNECTIONS').default(String(DEFAULT_MAX_CONNECTIONS)),
    )
    .addOption(
      new Option('--abci-max-message-bytes <n>', "largest ABCI request (must exceed CometBFT's block.max_bytes); a larger one closes its connection")
        .env('CMTD_ABCI_MAX_MESSAGE_BYTES')
        .default(String(DEFAULT_MAX_MESSAGE_BYTES)),
    )
    .addOption(
      new Option('--rpc-address <host:port>', "Ethereum JSON-RPC (HTTP + WebSocket) listen address; '' disables it").env('CMTD_RPC_ADDRESS').default(DEFAULT_ETH_RPC_ADDRESS),
    )
    .addOption(
      new Option('--comet-rpc <url>', "CometBFT RPC that eth_sendRawTransaction broadcasts through; '' disables broadcasting").env('CMTD_COMET_RPC').default(DEFAULT_COMET_RPC_URL),
    )
    .addOption(
      new Option('--rpc-max-body-bytes <n>', 'largest JSON-RPC request body or WebSocket message').env('CMTD_RPC_MAX_BODY_BYTES').default(String(DEFAULT_RPC_LIMITS.maxBodyBytes)),
    )
    .addOption(new Option('--rpc-max-batch <n>', 'most requests in one JSON-RPC batch').env('CMTD_RPC_MAX_BATCH').default(String(DEFAULT_RPC_LIMITS.maxBatch)))
    .addOption(new Option('--rpc-max-log-blocks <n>', 'most blocks one eth_getLogs may span').env('CMTD_RPC_MAX_LOG_BLOCKS').default(String(DEFAULT_RPC_LIMITS.maxLogBlockRange)))
    .addOption(new Option('--rpc-max-logs <n>', 'most logs one eth_getLogs may return').env('CMTD_RPC_MAX_LOGS').default(String(DEFAULT_RPC_LIMITS.maxLogResults)))
    .addOption(new Option('--rpc-gas-cap <gas>', 'gas limit of eth_call and eth_estimateGas').env('CMTD_RPC_GAS_CAP').default(DEFAULT_RPC_LIMITS.gasCap.toString()))
    .addOption(
      new Option('--rpc-evm-timeout <ms>', 'wall-clock limit of one eth_call / eth_estimateGas, milliseconds')
        .env('CMTD_RPC_EVM_TIMEOUT')
        .default(String(DEFAULT_RPC_LIMITS.evmTimeoutMs)),
    )
    .addOption(
      new Option('--rpc-evm-workers <n>', 'worker threads running eth_call / eth_estimateGas (calls at once)')
        .env('CMTD_RPC_EVM_WORKERS')
        .default(String(DEFAULT_RPC_LIMITS.evmWorkers)),
    )
    .addOption(
      new Option('--rpc-evm-queue <n>', 'eth_call / eth_estimateGas requests that may wait for a worker').env('CMTD_RPC_EVM_QUEUE').default(String(DEFAULT_RPC_LIMITS.evmQueue)),
    )
    .addOption(
      new Option('--rpc-max-connections <n>', 'most WebSocket connections (and as many HTTP connections again)')
        .env('CMTD_RPC_MAX_CONNECTIONS')
        .default(String(DEFAULT_RPC_LIMITS.maxConnections)),
    )
    .addOption(
      new Option('--rpc-max-subscriptions <n>', 'most eth_subscribe subscriptions on one WebSocket connection')
        .env('CMTD_RPC_MAX_SUBSCRIPTIONS')
        .default(String(DEFAULT_RPC_LIMITS.maxSubscriptionsPerConnection)),
    )
    .addOption(new Option('--rpc-max-filters <n>', 'most installed filters, all clients together').env('CMTD_RPC_MAX_FILTERS').default(String(DEFAULT_RPC_LIMITS.maxFilters)))
    .addOption(
      new Option('--rpc-max-filters-per-client <n>', 'most installed filters of one client (IP address)')
        .env('CMTD_RPC_MAX_FILTERS_PER_CLIENT')
        .default(String(DEFAULT_RPC_LIMITS.maxFiltersPerClient)),
    )
    .addOption(
      new Option('--rpc-ws-max-buffer <bytes>', 'unsent bytes at which a WebSocket client that does not read is disconnected')
        .env('CMTD_RPC_WS_MAX_BUFFER')
        .default(String(DEFAULT_RPC_LIMITS.maxWsBufferedBytes)),
    )
    .addOption(
      new Option('--rpc-trace-timeout <ms>', 'wall-clock limit of one debug_trace* request, milliseconds')
        .env('CMTD_RPC_TRACE_TIMEOUT')
        .default(String(DEFAULT_RPC_LIMITS.traceTimeoutMs)),
    )
    .addOption(
      new Option('--rpc-trace-max-bytes <n>', 'largest debug_trace* result, bytes of JSON (approximate)')
        .env('CMTD_RPC_TRACE_MAX_BYTES')
        .default(String(DEFAULT_RPC_LIMITS.traceMaxBytes)),
    )
    .addOption(
      new Option('--rpc-traces-per-client <n>', 'debug_trace* / eth_createAccessList requests one client (IP address) may have running')
        .env('CMTD_RPC_TRACES_PER_CLIENT')
        .default(String(DEFAULT_RPC_LIMITS.maxTracesPerClient)),
    )
    .addOption(
      new Option('--rpc-cors <origins>', "web pages allowed to call the JSON-RPC: '*', or origins like http://localhost:3000,https://app.example (default: none)").env(
        'CMTD_RPC_CORS',
      ),
    )
    .addOption(
      new Option('--ui-address <host:port>', "staking dashboard (web pages over this node's JSON-RPC) listen address, e.g. 127.0.0.1:8540; '' (the default) disables it")
        .env('CMTD_UI_ADDRESS')
        .default(''),
    )
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
      new Option(
        '--state-write-buffer-mb <mib>',
        "LevelDB's write buffer of the state's values database (its tree nodes' takes at most 16), MiB (larger: less compaction CPU, more memory, a longer open after a crash)",
      )
        .env('CMTD_STATE_WRITE_BUFFER_MB')
        .default(String(DEFAULT_WRITE_BUFFER_BYTES / 1024 / 1024)),
    )
    .addOption(
      new Option(
        '--state-open-files <n>',
        `files LevelDB keeps open of the state's tree nodes database (its table cache), ${MIN_OPEN_FILES}–${MAX_OPEN_FILES}: holding all its tables saves CPU on every block and historical read; each one past the first 1,000 costs ≈ 230 KiB of memory`,
      )
        .env('CMTD_STATE_OPEN_FILES')
        .default(String(DEFAULT_OPEN_FILES)),
    )
    .addOption(senderThreadsOption())
    .addOption(
      new Option('--snapshot-interval <n>', 'take a state-sync snapshot every n heights (0: none; docs/STATE-SYNC.md)')
        .env('CMTD_SNAPSHOT_INTERVAL')
        .default(String(DEFAULT_SNAPSHOT_INTERVAL)),
    )
    .addOption(
      new Option('--snapshot-keep-recent <n>', 'snapshots kept on disk and offered to peers (the latest n)')
        .env('CMTD_SNAPSHOT_KEEP_RECENT')
        .default(String(DEFAULT_SNAPSHOT_KEEP_RECENT)),
    )
    .addOption(
      new Option('--snapshot-chunk-bytes <n>', `size at which snapshot chunks are cut (1024 to ${MAX_CHUNK_BYTES})`)
        .env('CMTD_SNAPSHOT_CHUNK_BYTES')
        .default(String(DEFAULT_CHUNK_BYTES)),
    )
    .addOption(
      new Option(
        '--min-retain-blocks <n>',
        'blocks to keep at least; older ones are pruned from CometBFT and the index (0: keep all; never below what snapshots, evidence and --state-history need)',
      )
        .env('CMTD_MIN_RETAIN_BLOCKS')
        .default('0'),
    )
    .addOption(new Option('--test-corrupt-snapshot-chunks', 'TEST ONLY: serve corrupted snapshot chunks (a lying peer)').env('CMTD_TEST_CORRUPT_SNAPSHOT_CHUNKS').hideHelp())
    .addOption(
      new Option('--metrics-address <host:port>', "Prometheus metrics (GET /metrics) listen address, e.g. 127.0.0.1:26660; '' (the default) disables them")
        .env('CMTD_METRICS_ADDRESS')
        .default(''),
    );
  logOptions(command).action(async (flags: StartFlags) => {
    const logger = createLogger({ level: flags.logLevel, format: flags.logFormat, ...(flags.logFile ? { file: flags.logFile } : {}) });
    const missing = missingV8Flags();
    if (missing.length > 0) {
      logger.warn(`node was started without ${missing.join(' ')}: blocks on a large state cost ≈ 10 % more CPU (start cmtd through its executable, or pass the flags to node)`, {
        module: 'node',
      });
    }
    if (loadedMalloc() === 'system' && parseMallocChoice(process.env['CMTD_MALLOC']).kind === 'auto') {
      const jemalloc = mallocLibrary({ kind: 'auto' });
      const remedy =
        jemalloc === undefined
          ? 'install jemalloc (Debian: apt-get install libjemalloc2); `cmtd node` and localnets then preload it'
          : `start cmtd through \`cmtd node\`, which preloads it, or with LD_PRELOAD=${jemalloc}`;
      logger.warn(
        `cmtd runs on the C library's malloc: with a large state it holds ≈ 10 % more memory and its blocks cost ≈ 5 % more CPU than with jemalloc; ${remedy} (CMTD_MALLOC=system: this is intended; docs/OPERATIONS.md)`,
        { module: 'node' },
      );
    }
    if (!NATIVE_PAIR_HASHING) {
      logger.warn(
        "@chainsafe/hashtree's prebuilt binary did not load on this platform: the state tree hashes with Node's crypto instead (the same app hashes, ≈ 0.2 s more CPU a 20,000-key block at 10,000,000 keys; docs/STORE.md)",
        { module: 'store' },
      );
    }
    if (flags.rpcCors !== undefined) parseCorsOrigins(flags.rpcCors); // a bad value stops the node before it opens anything
    const ui = flags.uiAddress === '' ? undefined : parseHostPort(flags.uiAddress);
    if (ui !== undefined && flags.rpcAddress === '') throw new Error("--ui-address needs the JSON-RPC (--rpc-address): the dashboard's pages read the chain through it");
    // The dashboard's pages call the JSON-RPC from the dashboard's origin: allow it.
    const cors = ui === undefined ? flags.rpcCors : withUiOrigins(flags.rpcCors, uiOrigins(ui.host, ui.port));
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
              evmTimeoutMs: positiveInt(flags.rpcEvmTimeout, '--rpc-evm-timeout'),
              evmWorkers: positiveInt(flags.rpcEvmWorkers, '--rpc-evm-workers'),
              evmQueue: positiveInt(flags.rpcEvmQueue, '--rpc-evm-queue'),
              maxConnections: positiveInt(flags.rpcMaxConnections, '--rpc-max-connections'),
              maxSubscriptionsPerConnection: positiveInt(flags.rpcMaxSubscriptions, '--rpc-max-subscriptions'),
              maxFilters: positiveInt(flags.rpcMaxFilters, '--rpc-max-filters'),
              maxFiltersPerClient: positiveInt(flags.rpcMaxFiltersPerClient, '--rpc-max-filters-per-client'),
              maxWsBufferedBytes: positiveInt(flags.rpcWsMaxBuffer, '--rpc-ws-max-buffer'),
              traceTimeoutMs: positiveInt(flags.rpcTraceTimeout, '--rpc-trace-timeout'),
              traceMaxBytes: positiveInt(flags.rpcTraceMaxBytes, '--rpc-trace-max-bytes'),
              maxTracesPerClient: positiveInt(flags.rpcTracesPerClient, '--rpc-traces-per-client'),
            },
            ...(cors === undefined ? {} : { cors }),
          };
    const node = await startNode({
      home: flags.home,
      abci: flags.abci,
      address: flags.address ?? defaultAbciAddress(flags.home),
      abciLimits: {
        maxConnections: positiveInt(flags.abciMaxConnections, '--abci-max-connections'),
        maxMessageBytes: positiveInt(flags.abciMaxMessageBytes, '--abci-max-message-bytes'),
      },
      logger,
      store: {
        stateHistory: wholeNumber(flags.stateHistory, '--state-history'),
        cacheBytes: positiveInt(flags.stateCacheMb, '--state-cache-mb') * 1024 * 1024,
        writeBufferBytes: writeBufferMb(flags.stateWriteBufferMb) * 1024 * 1024,
        openFiles: openFiles(flags.stateOpenFiles),
      },
      senderThreads: parseSenderThreads(flags.senderThreads),
      snapshots: {
        interval: wholeNumber(flags.snapshotInterval, '--snapshot-interval'),
        keepRecent: positiveInt(flags.snapshotKeepRecent, '--snapshot-keep-recent'),
        chunkBytes: positiveInt(flags.snapshotChunkBytes, '--snapshot-chunk-bytes'),
        minRetainBlocks: wholeNumber(flags.minRetainBlocks, '--min-retain-blocks'),
        ...(flags.testCorruptSnapshotChunks === true ? { testCorruptChunks: true } : {}),
      },
      ...(rpc === undefined ? {} : { rpc }),
      ...(flags.metricsAddress === '' ? {} : { metrics: { address: flags.metricsAddress } }),
    });
    let uiServer: UiServer | undefined;
    if (ui !== undefined) {
      try {
        uiServer = await startUiServer({ ...ui, config: { rpcUrl: node.rpcUrl! } });
      } catch (err) {
        await node.stop();
        throw err;
      }
      logger.info(`staking dashboard on ${uiServer.url}`, { module: 'ui' });
    }
    const shutdown = (signal: string): void => {
      logger.info(`received ${signal}, shutting down`, { module: 'node' });
      Promise.all([uiServer?.close(), node.stop()]).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error('shutdown failed', { module: 'node', error: (err as Error).message });
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    // The JSON-RPC and metrics addresses are in their modules' log lines; this one line on stdout
    // says the node is ready, with its bound address, for scripts to wait for (port 0 picks a free one).
    // Written after the signal handlers: a script that stops the node once it reads the line gets a clean stop.
    process.stdout.write(`cmtd listening on ${node.address}\n`);
  });
}

function wholeNumber(value: string, flag: string): number {
  if (!/^[0-9]+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new Error(`${flag}: expected a whole number, got '${value}'`);
  return Number(value);
}

function writeBufferMb(value: string): number {
  const mb = positiveInt(value, '--state-write-buffer-mb');
  if (mb > MAX_WRITE_BUFFER_BYTES / 1024 / 1024) throw new Error(`--state-write-buffer-mb: at most ${MAX_WRITE_BUFFER_BYTES / 1024 / 1024} (LevelDB's limit), got ${mb}`);
  return mb;
}

function openFiles(value: string): number {
  const n = positiveInt(value, '--state-open-files');
  if (n < MIN_OPEN_FILES || n > MAX_OPEN_FILES) throw new Error(`--state-open-files: from ${MIN_OPEN_FILES} to ${MAX_OPEN_FILES} (LevelDB's limits), got ${n}`);
  return n;
}

function positiveInt(value: string, flag: string): number {
  if (!/^[0-9]+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new Error(`${flag}: expected a positive integer, got '${value}'`);
  }
  return Number(value);
}
