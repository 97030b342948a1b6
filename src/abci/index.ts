/** The ABCI transport's public surface. */
export { startAbciServer, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MESSAGE_BYTES } from './server.js';
export type { AbciServer, AbciServerOptions, AbciTransport } from './server.js';
export type * from './types.js';
