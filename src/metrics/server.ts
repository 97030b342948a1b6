/**
 * The Prometheus scrape endpoint: GET /metrics on its own HTTP listener
 * (`cmtd start --metrics-address`), separate from the JSON-RPC gateway so it
 * can be exposed to a monitoring network without exposing the API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../util/logger.js';

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

export async function startMetricsServer(options: { address: string; registry: Registry; logger: Logger }): Promise<MetricsServer> {
  const { host, port } = parseHostPort(options.address, 'metrics address');
  const log = options.logger.child({ module: 'metrics' });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('cmtd metrics are at /metrics\n');
      return;
    }
    options.registry.metrics().then(
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
