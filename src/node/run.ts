/**
 * Runs one cmtd node: opens the store, builds the app and serves it to
 * CometBFT over the chosen ABCI transport until SIGINT/SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startAbciServer } from '../abci/server.js';
import { CmtdApp } from '../app/app.js';
import { createModules } from '../app/wiring.js';
import { CommittedStore } from '../store/committed-store.js';
import type { Logger } from '../util/logger.js';

export type AbciTransport = 'socket' | 'grpc';

export interface NodeOptions {
  home: string;
  abci: AbciTransport;
  address: string;
  logger: Logger;
}

export interface RunningNode {
  /** The address the ABCI server listens on (port resolved). */
  address: string;
  stop(): Promise<void>;
}

export function stateDir(home: string): string {
  return join(home, 'data', 'state.db');
}

export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const { logger } = options;
  mkdirSync(join(options.home, 'data'), { recursive: true });
  const store = await CommittedStore.open(stateDir(options.home), { logger });
  logger.info('state loaded', {
    module: 'node',
    home: options.home,
    height: store.height.toString(),
    appHash: Buffer.from(store.appHash).toString('hex'),
  });
  const app = new CmtdApp({ store, modules: createModules(), logger });
  const server = await startAbciServer({ transport: options.abci, address: options.address, app, logger });
  logger.info('ABCI server listening', { module: 'node', transport: options.abci, address: server.address });
  let stopping: Promise<void> | undefined;
  return {
    address: server.address,
    stop() {
      stopping ??= (async () => {
        await server.close();
        await store.close();
        logger.info('stopped', { module: 'node' });
      })();
      return stopping;
    },
  };
}
