/**
 * The staking dashboard's web server (`--ui-address`): serves the built
 * files of ui/ (dist/ui, `npm run build:ui`) and nothing else. The page
 * talks to the node's public Ethereum JSON-RPC itself (the URL is in
 * /config.json), so this server holds no state and answers no queries.
 *
 * Bounded and safe by construction: the files are read into memory once at
 * start (regular files only: symbolic links are skipped) and looked up by
 * exact path, so no request reaches the file system (no traversal); only GET and HEAD; no request body
 * is read; a strict Content-Security-Policy and the usual hardening headers
 * on every answer; a connection cap and short timeouts (docs/SECURITY.md).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', import.meta.url.endsWith('.ts') ? '' : '..');
/** Where `npm run build:ui` writes the dashboard. */
export const UI_BUILD_DIR = join(ROOT, 'dist', 'ui');

/** Most connections the dashboard server keeps open at once. */
export const UI_MAX_CONNECTIONS = 64;
/** Most files (and bytes) loaded from the build directory: it holds a handful. */
const MAX_FILES = 64;
const MAX_TOTAL_BYTES = 16 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Scripts and styles only from this origin; JSON-RPC calls to any http(s)
 * or ws(s) node (the page may be pointed at another node with ?rpc=); no
 * frames, plugins, forms or base-URL changes.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' http: https: ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** What the page reads from /config.json: where the node's JSON-RPC is. */
export interface UiConfig {
  /** The JSON-RPC URL; a host of 0.0.0.0 or [::] means "the host this page came from". */
  rpcUrl: string;
}

export interface UiServerOptions {
  /** host:port to listen on (port 0: any free port). */
  host: string;
  port: number;
  config: UiConfig;
  /** The built files (default: dist/ui of this checkout or package). */
  dir?: string;
}

export interface UiServer {
  /** http://host:port/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Asset {
  body: Buffer;
  type: string;
}

/** Whether the dashboard has been built (dist/ui/index.html exists). */
export function uiBuilt(dir: string = UI_BUILD_DIR): boolean {
  return existsSync(join(dir, 'index.html'));
}

/** Every regular file under `dir` by its URL path ('/app.js'); nested folders are walked. */
function loadAssets(dir: string): Map<string, Asset> {
  if (!uiBuilt(dir)) throw new Error(`the staking dashboard is not built (no ${join(dir, 'index.html')}): run 'npm run build:ui', or disable it with --ui-address ''`);
  const assets = new Map<string, Asset>();
  let total = 0;
  const walk = (folder: string, prefix: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stat = lstatSync(path); // a symbolic link is neither: it is skipped, never followed out of the build
      if (stat.isDirectory()) {
        walk(path, `${prefix}${name}/`);
        continue;
      }
      if (!stat.isFile()) continue;
      total += stat.size;
      if (assets.size >= MAX_FILES || total > MAX_TOTAL_BYTES) throw new Error(`${dir} holds more than ${MAX_FILES} files or ${MAX_TOTAL_BYTES} bytes: not a dashboard build`);
      assets.set(`${prefix}${name}`, { body: readFileSync(path), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  };
  walk(dir, '/');
  return assets;
}

/** The page origins a dashboard on host:port is loaded from, for the JSON-RPC's CORS list. */
export function uiOrigins(host: string, port: number): string[] {
  if (host === '127.0.0.1' || host === 'localhost') return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  if (host === '::1') return [`http://[::1]:${port}`, `http://localhost:${port}`];
  // All interfaces: the origin depends on the name the browser used; loopback ones are known.
  if (host === '0.0.0.0' || host === '::') return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  return [`http://${host.includes(':') ? `[${host}]` : host}:${port}`];
}

/**
 * An --rpc-cors value that also lets the dashboard's pages call: '*' stays
 * '*', otherwise the dashboard's origins are added to the list.
 */
export function withUiOrigins(cors: string | undefined, origins: readonly string[]): string {
  const items = (cors ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.includes('*')) return '*';
  return [...new Set([...items, ...origins])].join(',');
}

export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  const assets = loadAssets(o.dir ?? UI_BUILD_DIR);
  assets.set('/config.json', { body: Buffer.from(JSON.stringify(o.config)), type: TYPES['.json']! });
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const headers = { ...SECURITY_HEADERS };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    // The path without its query; the page routes with the #fragment, which never reaches the server.
    const path = (req.url ?? '/').split('?')[0]!;
    const asset = assets.get(path === '/' ? '/index.html' : path);
    if (asset === undefined) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': asset.type,
      'content-length': String(asset.body.length),
      // index.html and config.json change with a new build or node; the bundles are small.
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, onRequest);
  server.maxConnections = UI_MAX_CONNECTIONS;
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}
