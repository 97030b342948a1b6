/**
 * The Prometheus scrape endpoint: GET /metrics on its own HTTP listener
 * (`cmtd start --metrics-address`), separate from the JSON-RPC gateway so it
 * can be exposed to a monitoring network without exposing the API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../util/logger.js';

/** Connections the metrics listener holds at once (a Prometheus server needs one or two). */
export const METRICS_MAX_CONNECTIONS = 16;
/**
 * Scrapes within this many ms of a collection get its text: collecting runs
 * on the event loop the app answers ABCI on, so a client scraping in a tight
 * loop must not be able to make it collect more than once a second.
 * Prometheus scrapes every 15 s or so.
 */
export const METRICS_MIN_INTERVAL_MS = 1_000;

export interface MetricsServer {
  /** http://host:port/metrics (port resolved when 0 was asked for) */
  url: string;
  close(): Promise<void>;
}

/** Splits `host:port` (`[::1]:port` for IPv6); the port may be 0 (a free one). */
export function parseHostPort(address: string, what = 'address'): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):([0-9]{1,5})$/.exec(address.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65_535) throw new Error(`${what}: expected host:port, got '${address}'`);
  return { host: match[1] ?? (match[2] === '' ? '0.0.0.0' : match[2]!), port };
}

export async function startMetricsServer(options: { address: string; registry: Registry; logger: Logger; minIntervalMs?: number }): Promise<MetricsServer> {
  const { host, port } = parseHostPort(options.address, 'metrics address');
  const log = options.logger.child({ module: 'metrics' });
  const minIntervalMs = options.minIntervalMs ?? METRICS_MIN_INTERVAL_MS;
  let last: { text: string; at: number } | undefined;
  let collecting: Promise<string> | undefined;
  /** The registry's text, collected at most once per minIntervalMs; concurrent scrapes share one collection. */
  const collect = (): Promise<string> => {
    if (last !== undefined && performance.now() - last.at < minIntervalMs) return Promise.resolve(last.text);
    collecting ??= options.registry.metrics().then(
      (text) => {
        last = { text, at: performance.now() };
        collecting = undefined;
        return text;
      },
      (err: unknown) => {
        collecting = undefined;
        throw err;
      },
    );
    return collecting;
  };
  const server: Server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('cmtd metrics are at /metrics\n');
      return;
    }
    collect().then(
      (text) => {
        res.writeHead(200, { 'content-type': options.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        log.error('cannot collect metrics', { error: (err as Error).message });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('cannot collect metrics\n');
      },
    );
  });
  server.maxConnections = METRICS_MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const url = `http://${shownHost}:${bound.port}/metrics`;
  log.info('metrics listening', { url });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
