/**
 * --rpc-cors: parsing the flag, and the JSON-RPC server's answers to
 * browsers (preflights, CORS headers on answers, WebSocket upgrades by
 * Origin) for no origins, a list of origins and '*'.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { parseCorsOrigins, MAX_CORS_ORIGINS } from '../../src/rpc/cors.js';
import { JsonRpcDispatcher } from '../../src/rpc/jsonrpc.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';

const dispatcher = new JsonRpcDispatcher({ methods: new Map([['eth_chainId', { maxParams: 0, handler: () => '0x12' }]]), maxBatch: 10 });

async function serve(cors: string | undefined): Promise<RpcServer> {
  return startRpcServer({ host: '127.0.0.1', port: 0, dispatcher, maxBodyBytes: 10_000, maxConnections: 10, maxWsBufferedBytes: 100_000, ...(cors === undefined ? {} : { cors }) });
}

function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-client' } });
}

function post(url: string, origin: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' });
}

/** The HTTP status of a WebSocket upgrade from a page of `origin` (101: accepted). */
function upgradeStatus(url: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('parseCorsOrigins', () => {
  it("takes '*', a list of origins (case and a trailing slash ignored), or nothing", () => {
    assert.equal(parseCorsOrigins('*').any, true);
    assert.deepEqual([...parseCorsOrigins('http://localhost:3000, https://App.Example.com/').origins], ['http://localhost:3000', 'https://app.example.com']);
    assert.equal(parseCorsOrigins('').origins.size, 0);
    assert.equal(parseCorsOrigins(' , ').any, false);
  });

  it('refuses what is not an origin, * with others, and too many', () => {
    assert.throws(() => parseCorsOrigins('localhost:3000'), /'localhost:3000' is not an origin/);
    assert.throws(() => parseCorsOrigins('http://a.example/path'), /not an origin/);
    assert.throws(() => parseCorsOrigins('*,http://a.example'), /cannot be combined/);
    const many = Array.from({ length: MAX_CORS_ORIGINS + 1 }, (_, i) => `http://h${i}.example`).join(',');
    assert.throws(() => parseCorsOrigins(many), new RegExp(`at most ${MAX_CORS_ORIGINS} origins`));
  });
});

describe('JSON-RPC server CORS', () => {
  const servers: RpcServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const start = async (cors: string | undefined): Promise<RpcServer> => {
    const server = await serve(cors);
    servers.push(server);
    return server;
  };

  it('without --rpc-cors: no CORS headers, WebSocket upgrades from pages refused, clients without Origin served', async () => {
    const server = await start(undefined);
    const pre = await preflight(server.url, 'http://dapp.example');
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    const answer = await post(server.url, 'http://dapp.example');
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
    assert.deepEqual(await answer.json(), { jsonrpc: '2.0', id: 1, result: '0x12' }); // the browser, not the server, withholds it
    assert.equal(await upgradeStatus(server.wsUrl, 'http://dapp.example'), 403);
    const plain = new WebSocket(server.wsUrl);
    await new Promise<void>((resolve, reject) => {
      plain.once('open', () => resolve());
      plain.once('error', reject);
    });
    plain.terminate();
  });

  it('a list of origins: those are answered with their own origin (Vary: Origin), others get nothing', async () => {
    const server = await start('http://localhost:3000,https://app.example');
    const pre = await preflight(server.url, 'https://app.example');
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type, x-client');
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal(pre.headers.get('vary'), 'origin');
    const answer = await post(server.url, 'http://localhost:3000');
    assert.equal(answer.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    const other = await preflight(server.url, 'https://evil.example');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(other.headers.get('access-control-allow-methods'), null);
    assert.equal(await upgradeStatus(server.wsUrl, 'https://app.example'), 101);
    assert.equal(await upgradeStatus(server.wsUrl, 'https://evil.example'), 403);
  });

  it("'*': every origin, with '*'", async () => {
    const server = await start('*');
    assert.equal((await preflight(server.url, 'http://any.example')).headers.get('access-control-allow-origin'), '*');
    assert.equal((await post(server.url, 'http://any.example')).headers.get('access-control-allow-origin'), '*');
    assert.equal(await upgradeStatus(server.wsUrl, 'http://any.example'), 101);
  });

  it('a bad --rpc-cors stops the server from starting', async () => {
    await assert.rejects(serve('ftp://files.example'), /--rpc-cors: 'ftp:\/\/files.example' is not an origin/);
  });
});
