/**
 * eth_call / eth_estimateGas off the event loop (issue 8.2, src/rpc/call-pool.ts):
 * while looping calls run, the app's ABCI socket keeps answering; a call
 * ends at its wall-clock limit with a clear error and its worker is
 * replaced; the waiting queue is bounded; a call reads the store version it
 * was given while blocks commit, and fails clearly when that version is pruned;
 * a client flooding the queue cannot lock another client out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Worker } from 'node:worker_threads';
import { startAbciServer, type AbciServer } from '../../src/abci/server.js';
import { FrameDecoder } from '../../src/abci/socket-server.js';
import { EvmCallPool } from '../../src/rpc/call-pool.js';
import type { CallBlock, CallRequest, CallState } from '../../src/rpc/call.js';
import type { CallRunner } from '../../src/rpc/call-runner.js';
import { silentLogger } from '../../src/util/logger.js';
import { AccountReader } from '../../src/state/accounts.js';
import { decodeResponse, encodeRequestFrame, type WireRequest, type WireResponse } from '../support/abci-wire.js';
import { GWEI, startHarness, type Harness } from '../support/rpc-harness.js';

/** Init code JUMPDEST PUSH1 0 JUMP: loops until its gas runs out (hours at the gas given here). */
const LOOP = '0x5b600056';
/** Long enough for the ABCI exchanges below on a loaded machine: calls must outlive them. */
// Short enough that no interpreter burns the block's 1e9 gas before it (4 s would need ~60M opcodes/s).
const TIMEOUT_MS = 4_000;
const GAS = 10n ** 12n;
const RESOLVER = new URL('../support/rpc-harness.ts', import.meta.url).href;

/** A minimal ABCI socket client: requests in, responses out in order. */
class AbciClient {
  private readonly decoder = new FrameDecoder();
  private readonly waiters: Array<(r: WireResponse) => void> = [];
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.waiters.shift()?.(decodeResponse(frame));
    });
  }
  static async connect(address: string): Promise<AbciClient> {
    const socket = net.connect(Number(address.split(':').pop()), '127.0.0.1');
    await once(socket, 'connect');
    return new AbciClient(socket);
  }
  /** Sends `req` and a flush; resolves with the response to `req`. */
  request(req: WireRequest): Promise<WireResponse> {
    const answer = new Promise<WireResponse>((resolve) => this.waiters.push(resolve));
    this.waiters.push(() => {}); // the flush
    this.socket.write(Buffer.concat([encodeRequestFrame(req), encodeRequestFrame({ type: 'flush', value: {} })]));
    return answer;
  }
  close(): void {
    this.socket.destroy();
  }
}

/** Counts calls in flight through any runner. */
function counting(inner: CallRunner): CallRunner & { inFlight: number } {
  const r = {
    inFlight: 0,
    async call(state: CallState, req: CallRequest, block: CallBlock) {
      r.inFlight++;
      try {
        return await inner.call(state, req, block);
      } finally {
        r.inFlight--;
      }
    },
    async estimateGas(state: CallState, req: CallRequest, block: CallBlock) {
      r.inFlight++;
      try {
        return await inner.estimateGas(state, req, block);
      } finally {
        r.inFlight--;
      }
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  };
  return r;
}

async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A JSON-RPC request sent from another loopback address, i.e. as another client (the gateway counts clients by IP address). */
async function rpcFrom(localAddress: string, url: string, method: string, params: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } }, resolve);
    req.on('error', reject);
    req.end(body);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: unknown; error?: { code: number; message: string } };
}

describe('EVM calls off the event loop', { timeout: 120_000 }, () => {
  let h: Harness;
  let pool: EvmCallPool;
  let calls: ReturnType<typeof counting>;
  let abci: AbciServer;

  before(async () => {
    pool = new EvmCallPool({ workers: 2, queue: 1, timeoutMs: TIMEOUT_MS, resolverModule: RESOLVER });
    calls = counting(pool);
    // The largest block gas limit a chain may set, so the loop outlasts the wall-clock limit rather than its gas.
    h = await startHarness({ gasCap: GAS }, { calls, maxGas: GAS, params: { block_gas_limit: '1000000000' } });
    await h.block();
    await pool.ready();
    // Warm both runners (engines are made on first use), so the looping calls below start executing at once.
    for (const r of await Promise.all([0, 1].map(() => h.rpc('eth_call', [{ to: h.wallets[1]!.address }])))) assert.equal(r.result, '0x');
    abci = await startAbciServer({ transport: 'socket', address: 'tcp://127.0.0.1:0', app: h.app, logger: silentLogger() });
  });
  after(async () => {
    await abci?.close();
    await h?.cleanup();
  });

  it('answers ABCI while looping calls run, stops each call at its limit, then serves calls again', async () => {
    const events: string[] = [];
    const looping = [0, 1].map(async (i) => {
      const r = await h.rpc(i === 0 ? 'eth_call' : 'eth_estimateGas', [{ data: LOOP }]);
      events.push('call');
      return r;
    });
    await until('both calls to run', () => pool.load.running === 2);

    const client = await AbciClient.connect(abci.address);
    try {
      for (let i = 0; i < 5; i++) {
        const info = await client.request({ type: 'info', value: { version: '0.38.25', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' } });
        assert.equal(info.type, 'info');
        events.push('abci');
        const echo = await client.request({ type: 'echo', value: { message: `ping ${i}` } });
        assert.equal(echo.type, 'echo');
        events.push('abci');
      }
    } finally {
      client.close();
    }
    assert.deepEqual(events, Array(10).fill('abci'), 'every ABCI request was answered before any looping call finished');

    for (const r of await Promise.all(looping)) {
      assert.equal(r.error?.code, -32000, JSON.stringify(r));
      assert.match(r.error!.message, /execution aborted \(timeout = 4s\)/);
    }
    // The timed-out workers were replaced: calls run again (waiting for the new workers to start).
    assert.equal((await h.rpc('eth_call', [{ to: h.wallets[1]!.address }])).result, '0x');
    assert.equal((await h.rpc('eth_estimateGas', [{ from: h.wallets[0]!.address, to: h.wallets[1]!.address }])).result, '0x5208');
  });

  it("takes only a read's own answer: a stray answer on a worker's read port is dropped, not taken for the next key's value", async () => {
    await pool.ready();
    const expected = (await h.rpc('eth_getBalance', [h.wallets[0]!.address, 'latest'])).result;
    // An answer no read is waiting for (as one a read gave up on would be), on every worker's port.
    const slots = (pool as unknown as { slots: Array<{ readPort: { postMessage(m: unknown): void } }> }).slots;
    assert.equal(slots.length, 2);
    for (const slot of slots) slot.readPort.postMessage({ seq: 0, value: new Uint8Array([0xde, 0xad]) });
    // Balance of wallet 0 through the EVM (BALANCE of CALLER), on each worker: it reads the account after the stray answer.
    const balanceOfCaller = '0x3331600052602060' + '00f3';
    for (const r of await Promise.all([0, 1].map(() => h.rpc('eth_call', [{ from: h.wallets[0]!.address, data: balanceOfCaller }])))) {
      assert.equal(r.error, undefined, JSON.stringify(r));
      assert.equal(BigInt(r.result as string), BigInt(expected as string));
    }
  });

  it('refuses a call at once when every worker is busy and the queue is full (-32005)', async () => {
    await pool.ready();
    const busy = [0, 1, 2].map(() => h.rpc('eth_call', [{ data: LOOP }]));
    await until('two running and one waiting', () => pool.load.running === 2 && pool.load.waiting === 1);
    const refused = await h.rpc('eth_call', [{ data: LOOP }]);
    assert.equal(refused.error?.code, -32005);
    assert.match(refused.error!.message, /2 run at once and 1 wait/);
    for (const r of await Promise.all(busy)) assert.match(r.error?.message ?? '', /timeout/);
  });

  it('reads the pinned version while blocks commit, and fails clearly when that version is pruned under the call', async () => {
    const addr = h.wallets[1]!.address.toLowerCase() as `0x${string}`;
    // A creation whose init code returns BALANCE(wallet 1) ( PUSH20 addr BALANCE PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN).
    const code = Buffer.from(`73${addr.slice(2)}3160005260206000f3`, 'hex');
    const req: CallRequest = {
      from: null,
      to: null,
      gas: null,
      gasPrice: null,
      maxFeePerGas: null,
      maxPriorityFeePerGas: null,
      value: 0n,
      data: code,
      nonce: null,
      accessList: [],
    };
    const pinned = h.store.at(h.store.height);
    const before = BigInt(`0x${Buffer.from(await pool.call(pinned, req, { height: pinned.height, time: 0n })).toString('hex')}`);
    const tx = await h.wallets[0]!.signTransaction({
      chainId: 18n,
      gasLimit: 21_000n,
      type: 0,
      gasPrice: 2n * GWEI,
      nonce: Number(new AccountReader(h.store).nonce(h.wallets[0]!.address.toLowerCase() as `0x${string}`)),
      to: addr,
      value: 5n,
    });
    await h.block([Buffer.from(tx.slice(2), 'hex')]);
    assert.equal(BigInt(`0x${Buffer.from(await pool.call(pinned, req, { height: pinned.height, time: 0n })).toString('hex')}`), before, 'the old version is read');
    const latest = h.store.at(h.store.height);
    assert.equal(BigInt(`0x${Buffer.from(await pool.call(latest, req, { height: latest.height, time: 0n })).toString('hex')}`), before + 5n);

    const gone: CallState = {
      height: 1n,
      get: () => {
        throw new Error('the state at height 1 was pruned');
      },
    };
    await assert.rejects(pool.call(gone, req, { height: 1n, time: 0n }), (err: Error & { code?: number }) => {
      assert.equal(err.code, -32000);
      assert.match(err.message, /historical state unavailable: the state at height 1 was pruned/);
      return true;
    });
  });
});

describe('EVM calls shared between clients', { timeout: 120_000 }, () => {
  let h: Harness;
  let pool: EvmCallPool;

  before(async () => {
    pool = new EvmCallPool({ workers: 1, queue: 4, timeoutMs: 1_500, resolverModule: RESOLVER });
    h = await startHarness({ gasCap: GAS }, { calls: pool, maxGas: GAS, params: { block_gas_limit: '1000000000' } });
    await h.block();
    await pool.ready();
  });
  after(async () => {
    await h?.cleanup();
  });

  it('a client that fills the queue gives way to another, which is served in turn, not after the whole queue', async () => {
    const done: string[] = [];
    // Client 127.0.0.2 takes the worker and all 4 waiting places; its sixth call is refused (its own line is the longest).
    const flood = Array.from({ length: 5 }, async (_, i) => {
      const r = await rpcFrom('127.0.0.2', h.url, 'eth_call', [{ data: LOOP }]);
      done.push(`flood ${i}`);
      return r;
    });
    await until('one running and four waiting', () => pool.load.running === 1 && pool.load.waiting === 4);
    const refused = await rpcFrom('127.0.0.2', h.url, 'eth_call', [{ data: LOOP }]);
    assert.equal(refused.error?.code, -32005);
    assert.match(refused.error!.message, /1 run at once and 4 wait; retry later/);

    // Client 127.0.0.1 (the harness) gets a place: the flooder's newest call gives way.
    const light = h.rpc('eth_call', [{ to: h.wallets[1]!.address }]).then((r) => {
      done.push('light');
      return r;
    });
    const results = await Promise.all(flood);
    assert.equal((await light).result, '0x');
    const displaced = results.filter((r) => r.error?.code === -32005);
    assert.equal(displaced.length, 1, JSON.stringify(results));
    assert.match(displaced[0]!.error!.message, /served in turn and this one had the most waiting/);
    assert.equal(results.filter((r) => /execution aborted/.test(r.error?.message ?? '')).length, 4);
    // Served in turn: the running call, then one waiting call of the flooder, then the light client's, before the flooder's other two.
    const lightAt = done.indexOf('light');
    const loopsBefore = done.slice(0, lightAt).filter((d) => d.startsWith('flood') && results[Number(d.split(' ')[1])]!.error?.code !== -32005).length;
    assert.equal(loopsBefore, 2, done.join(', '));
  });
});

describe('EVM call workers at shutdown', () => {
  it('a worker still booting when the pool closes is terminated once it is ready, not before (terminating a booting thread can abort the process)', async () => {
    const pool = new EvmCallPool({ workers: 1, queue: 1, timeoutMs: TIMEOUT_MS, resolverModule: RESOLVER });
    const state = { height: 1n, get: () => undefined } as unknown as CallState;
    const call = pool.call(state, { to: `0x${'11'.repeat(20)}`, data: new Uint8Array(0) } as unknown as CallRequest, { height: 1n, time: 0n } as unknown as CallBlock);
    const [slot] = (pool as unknown as { slots: Array<{ worker: Worker; ready: boolean }> }).slots;
    assert.ok(slot !== undefined && !slot.ready, 'the call started a worker that is still booting');
    const readyAtTerminate: boolean[] = [];
    const terminate = slot.worker.terminate.bind(slot.worker);
    slot.worker.terminate = () => {
      readyAtTerminate.push(slot.ready);
      return terminate();
    };
    const refused = assert.rejects(call, /the node is shutting down/);
    await pool.close();
    await refused;
    assert.deepEqual(readyAtTerminate, [true]);
  });
});
