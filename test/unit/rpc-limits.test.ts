/**
 * Per-client bounds of the JSON-RPC gateway over real HTTP and WebSocket
 * (issue 8.6 and 8.8): WebSocket clients that never read are disconnected
 * instead of buffering without bound, and the server keeps serving others;
 * subscription and filter quotas per connection and per client; deeply
 * nested or huge arguments answer -32602 with a short message.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { LOGGER_ADDRESS, startHarness, type Harness } from '../support/rpc-harness.js';

interface RpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

/** POSTs `body` from the local address `from` (Linux routes all of 127/8 to loopback). */
function postFrom(url: string, from: string, body: string): Promise<RpcReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RpcReply));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function until(what: string, condition: () => boolean | Promise<boolean>, step: () => Promise<void>, timeoutMs = 240_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await step();
  }
}

/** A WebSocket client that answers requests in order of ids. */
async function connect(url: string): Promise<{ ws: WebSocket; call(method: string, params: unknown[]): Promise<RpcReply> }> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  const waiting = new Map<number, (r: RpcReply) => void>();
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString('utf8')) as RpcReply;
    if (typeof msg.id === 'number') waiting.get(msg.id)?.(msg);
  });
  let next = 0;
  return {
    ws,
    call(method, params) {
      const id = ++next;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      });
    },
  };
}

describe('JSON-RPC per-client limits', { timeout: 300_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ maxFilters: 5, maxFiltersPerClient: 3 });
    await h.block();
  });
  after(async () => h?.cleanup());

  it('answers deeply nested params with -32602 and never echoes a huge argument', async () => {
    const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
    for (const depth of [40, 200_000]) {
      const res = await fetch(h.url, { method: 'POST', body: `{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[${deep(depth)},"latest"]}` });
      const r = (await res.json()) as RpcReply;
      assert.equal(r.error?.code, -32602, `depth ${depth}: ${JSON.stringify(r).slice(0, 200)}`);
      assert.match(r.error!.message, /nests arrays or objects deeper than 32 levels/);
    }
    // Nesting within the bound is still a plain invalid parameter, described briefly.
    const nested = (await h.rpc('eth_getBalance', [JSON.parse(deep(20)), 'latest'])) as RpcReply;
    assert.equal(nested.error?.code, -32602);
    assert.ok(nested.error!.message.length < 200, nested.error!.message);

    const huge = 'ab'.repeat(1_000_000);
    const wide = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, huge.slice(0, 20)]));
    for (const [method, params] of [
      ['eth_getBalance', [huge, 'latest']],
      ['eth_getBalance', [wide, 'latest']],
      ['eth_call', [{ to: LOGGER_ADDRESS, [huge]: 1 }]],
      ['eth_getLogs', [{ topics: [[huge]] }]],
      ['eth_getBlockByNumber', [huge, false]],
      [huge, []],
    ] as Array<[string, unknown[]]>) {
      const r = await h.rpc(method, params);
      assert.ok(r.error !== undefined && r.error.code !== -32603, JSON.stringify(r).slice(0, 300));
      assert.ok(r.error.message.length <= 512, `a ${r.error.message.length}-character message for ${method.slice(0, 20)}`);
    }
  });

  it('limits filters per client, so one client cannot take every filter', async () => {
    const newFilter = (from: string): Promise<RpcReply> => postFrom(h.url, from, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_newBlockFilter', params: [] }));
    for (let i = 0; i < 3; i++) assert.match(String((await newFilter('127.0.0.1')).result), /^0x[0-9a-f]+$/);
    const refused = await newFilter('127.0.0.1');
    assert.equal(refused.error?.code, -32005);
    assert.match(refused.error!.message, /one client may have at most 3/);
    // Another client still gets filters, up to the node's cap of 5.
    const other = await newFilter('127.0.0.2');
    assert.match(String(other.result), /^0x[0-9a-f]+$/);
    assert.match(String((await newFilter('127.0.0.3')).result), /^0x[0-9a-f]+$/);
    assert.match((await newFilter('127.0.0.4')).error?.message ?? '', /the node keeps at most 5/);
    // Uninstalling gives the quota back.
    assert.equal((await postFrom(h.url, '127.0.0.2', JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_uninstallFilter', params: [other.result] }))).result, true);
    assert.match(String((await newFilter('127.0.0.4')).result), /^0x[0-9a-f]+$/);
  });

  it("bounds the addresses and topics of one connection's log subscriptions", async () => {
    const client = await connect(h.gateway.wsUrl);
    try {
      const addresses = Array.from({ length: 1_000 }, (_, i) => `0x${i.toString(16).padStart(40, '0')}`);
      const subs: string[] = [];
      for (let i = 0; i < 5; i++) subs.push(String((await client.call('eth_subscribe', ['logs', { address: addresses }])).result));
      const over = await client.call('eth_subscribe', ['logs', { address: addresses.slice(0, 1) }]);
      assert.equal(over.error?.code, -32005);
      assert.match(over.error!.message, /limit 5000 in all/);
      assert.match(String((await client.call('eth_subscribe', ['newHeads'])).result), /^0x/, 'subscriptions without criteria still fit');
      assert.equal((await client.call('eth_unsubscribe', [subs[0]])).result, true);
      assert.match(String((await client.call('eth_subscribe', ['logs', { address: addresses }])).result), /^0x/);
    } finally {
      client.ws.close();
    }
  });

  it('disconnects 200 WebSocket clients × 100 subscriptions that never read, within bounded memory, and keeps serving a fresh client', async () => {
    const { maxConnections, maxSubscriptionsPerConnection, maxWsBufferedBytes } = h.gateway.limits;
    assert.equal(maxConnections, 200);
    assert.equal(maxSubscriptionsPerConnection, 100);
    const slow: WebSocket[] = [];
    for (let c = 0; c < maxConnections; c++) {
      const client = await connect(h.gateway.wsUrl);
      const subs = await Promise.all(Array.from({ length: maxSubscriptionsPerConnection }, (_, i) => client.call('eth_subscribe', i % 2 === 0 ? ['newHeads'] : ['logs', {}])));
      for (const s of subs) assert.match(String(s.result), /^0x/, JSON.stringify(s));
      if (c === 0) {
        const over = await client.call('eth_subscribe', ['newHeads']);
        assert.equal(over.error?.code, -32005, 'the per-connection subscription quota holds');
      }
      client.ws.pause(); // never reads again
      slow.push(client.ws);
    }
    assert.equal(h.gateway.wsConnections, maxConnections);
    // The connection cap holds while they are all there.
    const extra = new WebSocket(h.gateway.wsUrl);
    const [refusal] = (await Promise.race([once(extra, 'unexpected-response'), once(extra, 'error')])) as [unknown];
    assert.ok(refusal !== undefined);

    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    // Blocks with logs: every block sends ~100 KB of notifications to each connection.
    const signer = h.wallets[0]!;
    let nonce = 0;
    await until(
      'the server to drop every client that does not read',
      () => h.gateway.wsConnections === 0,
      async () => {
        const tx = await signer.signTransaction({ chainId: 18n, type: 0, gasPrice: 2n * 10n ** 9n, gasLimit: 100_000n, nonce: nonce++, to: LOGGER_ADDRESS, data: '0x01' });
        await h.block([Buffer.from(tx.slice(2), 'hex')]);
        peak = Math.max(peak, process.memoryUsage().rss);
      },
    );
    // What the server buffered is bounded by connections × the per-connection limit (plus room for the test's own garbage).
    const grown = peak - rssBefore;
    assert.ok(grown < maxConnections * maxWsBufferedBytes + 256 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1024 / 1024)} MB`);
    for (const ws of slow) ws.terminate();

    // A fresh client is served: requests and notifications.
    const fresh = await connect(h.gateway.wsUrl);
    assert.equal((await fresh.call('eth_blockNumber', [])).result, `0x${h.height.toString(16)}`);
    const sub = String((await fresh.call('eth_subscribe', ['newHeads'])).result);
    const note = new Promise<{ params: { subscription: string; result: { number: string } } }>((resolve) =>
      fresh.ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString('utf8')) as { method?: string; params: { subscription: string; result: { number: string } } };
        if (msg.method === 'eth_subscription') resolve(msg);
      }),
    );
    await h.block();
    const n = await note;
    assert.equal(n.params.subscription, sub);
    assert.equal(n.params.result.number, `0x${h.height.toString(16)}`);
    fresh.ws.close();
  });
});
