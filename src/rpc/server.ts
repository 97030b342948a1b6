/**
 * HTTP and WebSocket transport of the JSON-RPC gateway, on one port (as
 * Hardhat and Anvil serve it): POST for HTTP requests, an Upgrade for
 * WebSocket connections (eth_subscribe). Bodies and messages are bounded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../util/logger.js';
import { corsHeaders, originAllowed, parseCorsOrigins } from './cors.js';
import { RpcCode } from './errors.js';
import { stringify, type JsonRpcDispatcher, type SubscriptionSink } from './jsonrpc.js';

/** The Ethereum JSON-RPC port wallets and tools expect (geth's, anvil's, Hardhat's). */
export const DEFAULT_ETH_RPC_PORT = 8545;
/** cmtd's Ethereum JSON-RPC listen address unless told otherwise: loopback only. */
export const DEFAULT_ETH_RPC_ADDRESS = `127.0.0.1:${DEFAULT_ETH_RPC_PORT}`;

export interface RpcServerOptions {
  host: string;
  port: number;
  dispatcher: JsonRpcDispatcher;
  /** Largest request body / WebSocket message, bytes. */
  maxBodyBytes: number;
  /** Most WebSocket connections at once; as many HTTP connections again. */
  maxConnections: number;
  /** Bytes a WebSocket connection may have unsent before it is closed as a slow consumer. */
  maxWsBufferedBytes: number;
  /** Web pages allowed to call (--rpc-cors, see cors.ts): '*', a comma-separated list of origins; undefined or '': none. */
  cors?: string;
  logger?: Logger;
}

export interface RpcServer {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /** ws://host:port */
  readonly wsUrl: string;
  /** WebSocket connections open now. */
  readonly wsConnections: number;
  close(): Promise<void>;
}

/**
 * Requests one WebSocket connection may have in progress; past it the
 * server stops reading the connection until some are answered, so a client
 * that pipelines requests without reading cannot pile up work.
 */
export const MAX_WS_IN_FLIGHT = 32;

/** Splits "host:port" (IPv6 as "[::1]:8545"). */
export function parseHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address.trim());
  if (m === null) throw new Error(`invalid RPC address '${address}': expected host:port, e.g. 127.0.0.1:8545`);
  const port = Number(m[3]);
  if (port > 65_535) throw new Error(`invalid RPC address '${address}': port above 65535`);
  return { host: m[1] ?? (m[2] === '' ? '127.0.0.1' : m[2]!), port };
}

function errorBody(code: number, message: string): string {
  return stringify({ jsonrpc: '2.0', id: null, error: { code, message } });
}

/** The remote IP address of a connection: the client its quotas count against. */
function clientOf(socket: { remoteAddress?: string | undefined }): string {
  return socket.remoteAddress ?? 'unknown';
}

class WsSink implements SubscriptionSink {
  private static next = 1;
  readonly id = WsSink.next++;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBuffered: number,
    private readonly log: Logger | undefined,
  ) {
    ws.once('close', () => {
      for (const listener of this.closeListeners.splice(0)) listener();
    });
  }

  notify(subscription: string, result: unknown): void {
    this.send(stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription, result } }));
  }

  send(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount + text.length > this.maxBuffered) {
      // A client that does not read: drop it and its buffer now (as geth
      // does); a closing handshake would wait for it to read.
      this.log?.info('closing a WebSocket client that does not read its messages', { buffered: this.ws.bufferedAmount, limit: this.maxBuffered });
      this.ws.terminate();
      return;
    }
    this.ws.send(text);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }
}

export async function startRpcServer(o: RpcServerOptions): Promise<RpcServer> {
  const log = o.logger;
  const cors = parseCorsOrigins(o.cors ?? '');

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const client = clientOf(req.socket);
    const origin = req.headers.origin;
    const reply = (status: number, body?: string): void => {
      if (res.headersSent) return;
      res.writeHead(status, { ...corsHeaders(cors, origin), ...(body === undefined ? {} : { 'content-type': 'application/json' }) });
      res.end(body);
    };
    if (req.method === 'OPTIONS') {
      // A browser's preflight: allowed origins learn what they may send; others get no CORS headers, so the browser refuses.
      const requestHeaders = req.headers['access-control-request-headers'];
      res.writeHead(204, corsHeaders(cors, origin, { requestHeaders: Array.isArray(requestHeaders) ? requestHeaders.join(',') : requestHeaders }));
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST, OPTIONS');
      return reply(405, errorBody(RpcCode.InvalidRequest, `HTTP ${req.method ?? '?'} is not supported: send JSON-RPC requests with POST`));
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    const tooLarge = (): void => {
      reply(413, errorBody(RpcCode.InvalidRequest, `request body too large: the limit is ${o.maxBodyBytes} bytes`));
      req.destroy();
    };
    if (declared > o.maxBodyBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.length;
      if (size > o.maxBodyBytes) {
        aborted = true;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      aborted = true;
    });
    req.on('end', () => {
      if (aborted) return;
      const text = Buffer.concat(chunks).toString('utf8');
      o.dispatcher.handleText(text, { client }).then(
        (body) => (body === undefined ? reply(204) : reply(200, body)),
        (err: unknown) => {
          log?.error('JSON-RPC request failed', { error: (err as Error).message });
          reply(500, errorBody(RpcCode.Internal, 'internal error'));
        },
      );
    });
  };

  const server: Server = createServer(onRequest);
  // Upgraded WebSocket sockets still count here: HTTP gets as many again.
  server.maxConnections = 2 * o.maxConnections;
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.requestTimeout = 120_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxBodyBytes });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Browsers apply no CORS to WebSockets: a page of a foreign origin would reach the node unless refused here.
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(cors, origin)) {
      log?.debug('refused a WebSocket connection from a web page not allowed by --rpc-cors', { origin: origin.slice(0, 100) });
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (wss.clients.size >= o.maxConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const sink = new WsSink(ws, o.maxWsBufferedBytes, log);
    const ctx = { subscriptions: sink, client: clientOf(req.socket) };
    let inFlight = 0;
    ws.on('error', (err) => log?.debug('WebSocket error', { error: err.message }));
    ws.on('message', (message: Buffer | ArrayBuffer | Buffer[]) => {
      const text = Array.isArray(message) ? Buffer.concat(message).toString('utf8') : Buffer.from(message as ArrayBuffer).toString('utf8');
      if (++inFlight >= MAX_WS_IN_FLIGHT) ws.pause();
      o.dispatcher
        .handleText(text, ctx)
        .then(
          (body) => {
            if (body !== undefined) sink.send(body);
          },
          (err: unknown) => {
            log?.error('JSON-RPC WebSocket request failed', { error: (err as Error).message });
            sink.send(errorBody(RpcCode.Internal, 'internal error'));
          },
        )
        .finally(() => {
          if (inFlight-- === MAX_WS_IN_FLIGHT && ws.readyState === ws.OPEN) ws.resume();
        });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log?.error('JSON-RPC server error', { error: err.message }));
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : o.port;
  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    host: o.host,
    port,
    url: `http://${hostPart}:${port}`,
    wsUrl: `ws://${hostPart}:${port}`,
    get wsConnections() {
      return wss.clients.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
