/**
 * Entry point of the ABCI transport: serve an `AbciApplication` to CometBFT
 * over its socket protocol (default) or gRPC.
 *
 *   const server = await startAbciServer({ transport: 'socket', address: 'tcp://127.0.0.1:26658', app, logger });
 *   ...
 *   await server.close();
 *
 * CometBFT v0.38 and v0.37 are both served; see dispatch.ts (ProtocolDetector)
 * for how the Commit flavour is chosen.
 */
import type { Logger } from '../util/logger.js';
import { AbciGrpcServer } from './grpc-server.js';
import { AbciSocketServer, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MESSAGE_BYTES } from './socket-server.js';
import type { AbciApplication, AbciProtocol } from './types.js';

export type AbciTransport = 'socket' | 'grpc';

export interface AbciServerOptions {
  transport: AbciTransport;
  /** `tcp://host:port` (port 0 = any free port) or `unix:///path`. */
  address: string;
  app: AbciApplication;
  logger: Logger;
  /**
   * Largest message accepted (socket: also the most bytes buffered for a
   * frame still arriving on one connection) or sent (gRPC), in bytes
   * (default 32 MiB); a larger request closes its connection.
   */
  maxMessageBytes?: number;
  /** Socket transport: most connections open at once (default 10). */
  maxConnections?: number;
  /**
   * Socket transport only: Commit flavour to assume before any Info or block
   * request revealed the CometBFT version (default 'v0.38').
   */
  defaultProtocol?: AbciProtocol;
}

export interface AbciServer {
  /** The bound address, e.g. `tcp://127.0.0.1:26658` (the real port when 0 was asked). */
  readonly address: string;
  readonly transport: AbciTransport;
  /** CometBFT protocol detected so far, if any. */
  readonly protocol: AbciProtocol | undefined;
  /** Stops accepting, ends connections / calls gracefully. Idempotent. */
  close(): Promise<void>;
}

export { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MESSAGE_BYTES };

export async function startAbciServer(options: AbciServerOptions): Promise<AbciServer> {
  const common = {
    app: options.app,
    logger: options.logger,
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
  };
  const server =
    options.transport === 'grpc'
      ? new AbciGrpcServer(common)
      : new AbciSocketServer({
          ...common,
          ...(options.defaultProtocol === undefined ? {} : { defaultProtocol: options.defaultProtocol }),
          ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
        });
  let address: string;
  try {
    address = await server.listen(options.address);
  } catch (err) {
    await server.close().catch(() => undefined);
    throw err;
  }
  return {
    address,
    transport: options.transport,
    get protocol() {
      return server.protocol;
    },
    close: () => server.close(),
  };
}
