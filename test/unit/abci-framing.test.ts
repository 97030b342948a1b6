import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import winston from 'winston';
import Transport from 'winston-transport';
import { CheckTxType } from '../../src/abci/gen/tendermint/abci/types_pb.js';
import { startAbciServer, type AbciServer } from '../../src/abci/server.js';
import { AbciClient as Client } from '../support/abci-client.js';
import { encodeRequest, encodeRequestFrame, type WireRequest, type WireResponse } from '../support/abci-wire.js';
import { FrameDecoder, FrameError } from '../../src/abci/socket-server.js';
import type { AbciApplication, RequestFinalizeBlock } from '../../src/abci/types.js';

// ---------------------------------------------------------------------------
// Fixtures

interface LogEntry {
  level: string;
  message: string;
  [key: string]: unknown;
}

/** A winston logger that records entries and lets a test await one. */
class CaptureTransport extends Transport {
  readonly entries: LogEntry[] = [];
  private waiters: { match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[] = [];

  override log(info: LogEntry, next: () => void): void {
    this.entries.push(info);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(info)) return true;
      w.resolve(info);
      return false;
    });
    next();
  }

  waitFor(match: (e: LogEntry) => boolean): Promise<LogEntry> {
    const found = this.entries.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

function captureLogger(): { logger: winston.Logger; capture: CaptureTransport } {
  const capture = new CaptureTransport();
  return { logger: winston.createLogger({ level: 'debug', transports: [capture] }), capture };
}

const EMPTY = new Uint8Array(0);
const sha = (parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** Minimal application: records calls, checks that calls on one connection never overlap. */
class TestApp implements AbciApplication {
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  commitV037Calls = 0;
  commitCalls = 0;

  private async enter<T>(name: string, work: () => Promise<T> | T, turns = 0): Promise<T> {
    this.calls.push(name);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
      return await work();
    } finally {
      this.inFlight--;
    }
  }

  info = async () => this.enter('info', () => ({ lastBlockHeight: 0n, lastBlockAppHash: EMPTY }));
  initChain = async () => this.enter('initChain', () => ({}));
  // The tx's first byte decides how many event-loop turns the handler takes: later
  // requests finish "faster" than earlier ones unless the transport serializes them.
  checkTx = async (req: { tx: Uint8Array }) => this.enter('checkTx', () => ({ code: 0, data: req.tx }), (req.tx[0] ?? 0) % 5);
  query = async (req: { path: string; data: Uint8Array }) =>
    this.enter('query', () => {
      if (req.path === '/boom') throw new Error('query exploded');
      if (req.path === '/bad-enum') return { code: 0, value: req.data, log: 'ok' };
      return { code: 0, value: req.data };
    });
  prepareProposal = async (req: { txs: Uint8Array[] }) => this.enter('prepareProposal', () => ({ txs: req.txs }));
  processProposal = async () => this.enter('processProposal', () => ({ status: 'maybe' as unknown as 'accept' }));
  finalizeBlock = async (req: RequestFinalizeBlock) =>
    this.enter('finalizeBlock', () => ({
      txResults: req.txs.map((tx) => ({ code: 0, gasUsed: BigInt(tx.length) })),
      appHash: sha(req.txs),
    }));
  commit = async () =>
    this.enter('commit', () => {
      this.commitCalls++;
      return { retainHeight: 0n };
    });
  beginBlock = async () => this.enter('beginBlock', () => ({}));
  deliverTx = async () => this.enter('deliverTx', () => ({ code: 0 }));
  endBlock = async () => this.enter('endBlock', () => ({}));
  commitV037 = async () =>
    this.enter('commitV037', () => {
      this.commitV037Calls++;
      return { retainHeight: 0n, data: new Uint8Array([0xab, 0xcd]) };
    });
}

const flush: WireRequest = { type: 'flush', value: {} };
/** The message of an Echo response ('not an echo' for anything else). */
const echoed = (r: WireResponse | undefined): string => (r?.type === 'echo' ? r.value.message : 'not an echo');
const echo = (message: string): WireRequest => ({ type: 'echo', value: { message } });
const time = { seconds: 1n, nanos: 0 };
const finalize = (txs: Uint8Array[]): WireRequest => ({
  type: 'finalizeBlock',
  value: {
    txs,
    decidedLastCommit: { round: 0, votes: [] },
    misbehavior: [],
    hash: EMPTY,
    height: 1n,
    time,
    nextValidatorsHash: EMPTY,
    proposerAddress: EMPTY,
  },
});

// ---------------------------------------------------------------------------
// FrameDecoder

describe('FrameDecoder', () => {
  const reqs: WireRequest[] = [echo('a'), echo('b'.repeat(300)), flush, finalize([new Uint8Array(70_000).fill(1)])];
  const frames = reqs.map((r) => encodeRequestFrame(r));
  const stream = Buffer.concat(frames);
  const bodies = reqs.map((r) => Buffer.from(encodeRequest(r)));

  it('reassembles frames fed one byte at a time', () => {
    const d = new FrameDecoder();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
    assert.deepEqual(out, bodies);
    assert.equal(d.bufferedBytes, 0);
  });

  it('splits several frames merged in one chunk, without copying them', () => {
    const d = new FrameDecoder();
    const out = d.push(stream);
    assert.deepEqual(out, bodies);
    for (const f of out) assert.equal(f.buffer, stream.buffer);
  });

  it('handles every split point of a stream into two chunks', () => {
    const small = Buffer.concat(frames.slice(0, 3));
    for (let cut = 0; cut <= small.length; cut++) {
      const d = new FrameDecoder();
      const out = [...d.push(small.subarray(0, cut)), ...d.push(small.subarray(cut))];
      assert.deepEqual(out, bodies.slice(0, 3), `cut at ${cut}`);
    }
  });

  it('returns an empty frame for length 0', () => {
    assert.deepEqual(new FrameDecoder().push(Buffer.from([0])), [Buffer.alloc(0)]);
  });

  it('rejects a length above the maximum as soon as the varint shows it', () => {
    const d = new FrameDecoder(1000);
    assert.deepEqual(d.push(Buffer.from([0xe8, 0x07])), []); // 1000: ok, waiting for the body
    assert.throws(() => new FrameDecoder(1000).push(Buffer.from([0xe9, 0x07])), FrameError); // 1001
    // rejected before the varint even ends
    assert.throws(() => new FrameDecoder(1000).push(Buffer.from([0xff, 0xff])), FrameError);
  });

  it('rejects an over-long varint', () => {
    const d = new FrameDecoder(Number.MAX_SAFE_INTEGER);
    assert.throws(() => d.push(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), FrameError);
  });
});

// ---------------------------------------------------------------------------
// Socket server

describe('ABCI socket server', () => {
  let app: TestApp;
  let server: AbciServer;
  let capture: CaptureTransport;

  before(async () => {
    app = new TestApp();
    const l = captureLogger();
    capture = l.capture;
    server = await startAbciServer({
      transport: 'socket',
      address: 'tcp://127.0.0.1:0',
      app,
      logger: l.logger,
      maxMessageBytes: 32 * 1024 * 1024,
    });
  });
  after(async () => {
    await server.close();
  });

  it('reports the bound port for port 0', () => {
    assert.match(server.address, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.address, 'tcp://127.0.0.1:0');
  });

  it('answers Echo and Flush itself', async () => {
    const c = await Client.connect(server.address);
    const res = await c.call(echo('ping'));
    assert.equal(echoed(res), 'ping');
    c.close();
  });

  it('serves a request written one byte per write', async () => {
    const c = await Client.connect(server.address);
    const bytes = Buffer.concat([encodeRequestFrame(echo('slow')), encodeRequestFrame(flush)]);
    for (let i = 0; i < bytes.length; i++) await c.writeRaw(bytes.subarray(i, i + 1));
    assert.equal(echoed(await c.next()), 'slow');
    assert.equal((await c.next())?.type, 'flush');
    c.close();
  });

  it('answers pipelined requests in FIFO order, one at a time per connection', async () => {
    const c = await Client.connect(server.address);
    const n = 300;
    const reqs: WireRequest[] = [];
    for (let i = 0; i < n; i++) reqs.push({ type: 'checkTx', value: { tx: new Uint8Array([i % 7, i & 0xff, i >> 8]), type: CheckTxType.NEW } });
    app.maxInFlight = 0;
    c.send(...reqs, flush); // all in one write
    for (let i = 0; i < n; i++) {
      const res = await c.next();
      assert.equal(res?.type, 'checkTx');
      if (res?.type !== 'checkTx') return;
      assert.deepEqual([...(res.value.data ?? [])], [i % 7, i & 0xff, i >> 8], `response ${i} out of order`);
    }
    assert.equal((await c.next())?.type, 'flush');
    assert.equal(app.maxInFlight, 1, 'requests of one connection must not overlap');
    c.close();
  });

  it('keeps connections independent and each in order', async () => {
    const [a, b] = await Promise.all([Client.connect(server.address), Client.connect(server.address)]);
    // Query requests: any connection may send them (CheckTx belongs to the one mempool connection).
    const reqs = (tag: number): WireRequest[] =>
      Array.from({ length: 50 }, (_, i) => ({ type: 'query', value: { data: new Uint8Array([i % 5, tag, i]), path: '/ok', height: 0n, prove: false } }) as WireRequest);
    a.send(...reqs(1), flush);
    b.send(...reqs(2), flush);
    for (const [c, tag] of [
      [a, 1],
      [b, 2],
    ] as const) {
      for (let i = 0; i < 50; i++) {
        const res = await c.next();
        assert.ok(res?.type === 'query');
        assert.deepEqual([...(res.value.value ?? [])], [i % 5, tag, i]);
      }
      assert.equal((await c.next())?.type, 'flush');
    }
    a.close();
    b.close();
  });

  it('answers ResponseException when a handler throws, logs it, and keeps serving', async () => {
    const c = await Client.connect(server.address);
    const res = await c.call({ type: 'query', value: { data: EMPTY, path: '/boom', height: 0n, prove: false } });
    assert.equal(res.type, 'exception');
    assert.match(res.type === 'exception' ? res.value.error : '', /query exploded/);
    await capture.waitFor((e) => e.message === 'ABCI handler failed' && e.request === 'query');
    const ok = await c.call({ type: 'query', value: { data: new Uint8Array([5]), path: '/ok', height: 0n, prove: false } });
    assert.equal(ok.type, 'query');
    assert.deepEqual([...(ok.type === 'query' ? (ok.value.value ?? []) : [])], [5]);
    c.close();
  });

  it('answers ResponseException when the application returns an unencodable response', async () => {
    const c = await Client.connect(server.address);
    const res = await c.call({
      type: 'processProposal',
      value: {
        txs: [],
        proposedLastCommit: { round: 0, votes: [] },
        misbehavior: [],
        hash: EMPTY,
        height: 1n,
        time,
        nextValidatorsHash: EMPTY,
        proposerAddress: EMPTY,
      },
    });
    assert.equal(res.type, 'exception');
    assert.match(res.type === 'exception' ? res.value.error : '', /invalid ProposalStatus/);
    assert.equal((await c.call(echo('still here'))).type, 'echo');
    c.close();
  });

  it('carries a 21 MB FinalizeBlock intact', async () => {
    const txs = Array.from({ length: 21 }, (_, i) => {
      const tx = new Uint8Array(1024 * 1024);
      for (let j = 0; j < tx.length; j += 4096) tx[j] = (i * 31 + j) & 0xff;
      return tx;
    });
    const c = await Client.connect(server.address);
    const res = await c.call(finalize(txs));
    assert.equal(res.type, 'finalizeBlock');
    if (res.type !== 'finalizeBlock') return;
    assert.equal(res.value.txResults.length, 21);
    assert.equal(res.value.txResults[20]?.gasUsed, 1024n * 1024n);
    assert.equal(Buffer.from(res.value.appHash).toString('hex'), Buffer.from(sha(txs)).toString('hex'), 'app hash over the received txs');
    c.close();
  });

  for (const [name, bytes] of [
    ['a bad varint', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['an oversize length', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x01])],
    ['undecodable protobuf', Buffer.from([0x03, 0x1a, 0x05, 0x0a])],
    ['an empty Request', Buffer.from([0x00])],
  ] as const) {
    it(`closes only the connection that sent ${name}, and logs it`, async () => {
      const good = await Client.connect(server.address);
      assert.equal((await good.call(echo('before'))).type, 'echo');
      const bad = await Client.connect(server.address);
      // a valid request first: it is answered before the bad frame closes the connection
      bad.send(echo('first'), flush);
      assert.equal((await bad.next())?.type, 'echo');
      assert.equal((await bad.next())?.type, 'flush');
      const seen = capture.entries.length;
      const logged = capture.waitFor((e) => e.message === 'closing ABCI connection' && capture.entries.indexOf(e) >= seen);
      await bad.writeRaw(bytes);
      await bad.closed;
      const entry = await logged;
      assert.equal(entry.level, 'error');
      assert.ok(typeof entry.reason === 'string');
      // the other connection is unaffected, and new ones are accepted
      assert.equal(echoed(await good.call(echo('after'))), 'after');
      const fresh = await Client.connect(server.address);
      assert.equal((await fresh.call(echo('fresh'))).type, 'echo');
      good.close();
      fresh.close();
    });
  }

  it('answers everything a client sent before it half-closed', async () => {
    const c = await Client.connect(server.address);
    c.send(echo('1'), echo('2'), echo('3'));
    c.socket.end();
    assert.deepEqual(
      [await c.next(), await c.next(), await c.next()].map((r) => r?.type === 'echo' && r.value.message),
      ['1', '2', '3'],
    );
    await c.closed;
  });
});

// ---------------------------------------------------------------------------
// v0.37 / v0.38 Commit

describe('ABCI socket server: protocol detection', () => {
  async function withServer(run: (address: string, app: TestApp) => Promise<void>): Promise<void> {
    const app = new TestApp();
    const server = await startAbciServer({
      transport: 'socket',
      address: 'tcp://127.0.0.1:0',
      app,
      logger: captureLogger().logger,
    });
    try {
      await run(server.address, app);
    } finally {
      await server.close();
    }
  }
  const info = (abciVersion: string): WireRequest => ({
    type: 'info',
    value: { version: 'x', blockVersion: 11n, p2pVersion: 8n, abciVersion },
  });
  const commit: WireRequest = { type: 'commit', value: {} };

  it('defaults to v0.38 Commit (no data)', async () => {
    await withServer(async (address, app) => {
      const c = await Client.connect(address);
      const res = await c.call(commit);
      assert.deepEqual(res.type === 'commit' && [...(res.value.data ?? [])], []);
      assert.equal(app.commitCalls, 1);
      c.close();
    });
  });

  it('uses v0.37 Commit after Info announced ABCI 1.0.0 on another connection', async () => {
    await withServer(async (address, app) => {
      const query = await Client.connect(address);
      const consensus = await Client.connect(address);
      await query.call(info('1.0.0'));
      const res = await consensus.call(commit);
      assert.equal(res.type, 'commit');
      assert.deepEqual(res.type === 'commit' && [...(res.value.data ?? [])], [0xab, 0xcd]);
      assert.equal(app.commitV037Calls, 1);
      query.close();
      consensus.close();
    });
  });

  it('uses v0.38 Commit after Info announced ABCI 2.0.0', async () => {
    await withServer(async (address, app) => {
      const c = await Client.connect(address);
      await c.call(info('2.0.0'));
      await c.call(commit);
      assert.equal(app.commitCalls, 1);
      assert.equal(app.commitV037Calls, 0);
      c.close();
    });
  });

  it('follows the block flow seen on the connection: BeginBlock.. -> v0.37, FinalizeBlock -> v0.38', async () => {
    await withServer(async (address, app) => {
      const c = await Client.connect(address);
      const hdr = {
        version: { block: 11n, app: 0n },
        chainId: 'c',
        height: 1n,
        time,
        lastBlockId: { hash: EMPTY, partSetHeader: { total: 0, hash: EMPTY } },
        lastCommitHash: EMPTY,
        dataHash: EMPTY,
        validatorsHash: EMPTY,
        nextValidatorsHash: EMPTY,
        consensusHash: EMPTY,
        appHash: EMPTY,
        lastResultsHash: EMPTY,
        evidenceHash: EMPTY,
        proposerAddress: EMPTY,
      };
      c.send(
        { type: 'beginBlock', value: { hash: EMPTY, header: hdr, lastCommitInfo: { round: 0, votes: [] }, byzantineValidators: [] } },
        { type: 'deliverTx', value: { tx: new Uint8Array([1]) } },
        { type: 'endBlock', value: { height: 1n } },
        commit,
        flush,
      );
      const types = [];
      for (let i = 0; i < 5; i++) types.push((await c.next())?.type);
      assert.deepEqual(types, ['beginBlock', 'deliverTx', 'endBlock', 'commit', 'flush']);
      assert.equal(app.commitV037Calls, 1);
      const res = await c.call(finalize([]));
      assert.equal(res.type, 'finalizeBlock');
      await c.call(commit);
      assert.equal(app.commitCalls, 1);
      c.close();
    });
  });
});

// ---------------------------------------------------------------------------
// Close and addresses

describe('ABCI socket server: lifecycle', () => {
  it('close() stops accepting and ends open connections', async () => {
    const server = await startAbciServer({
      transport: 'socket',
      address: 'tcp://127.0.0.1:0',
      app: new TestApp(),
      logger: captureLogger().logger,
    });
    const c = await Client.connect(server.address);
    assert.equal((await c.call(echo('x'))).type, 'echo');
    const ended = once(c.socket, 'end');
    const closing = server.close();
    await ended; // the server ended its side
    c.socket.end();
    await closing;
    await c.closed;
    const refused = net.connect(Number(server.address.split(':').pop()), '127.0.0.1');
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
    await server.close(); // idempotent
  });

  it('listens on a unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmtd-abci-'));
    try {
      const address = `unix://${join(dir, 'app.sock')}`;
      const server = await startAbciServer({ transport: 'socket', address, app: new TestApp(), logger: captureLogger().logger });
      assert.equal(server.address, address);
      const c = await Client.connect(address);
      assert.equal(echoed(await c.call(echo('unix'))), 'unix');
      c.close();
      await server.close();
      // a stale socket file from an earlier run does not prevent listening again
      const again = await startAbciServer({ transport: 'socket', address, app: new TestApp(), logger: captureLogger().logger });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad address', async () => {
    await assert.rejects(startAbciServer({ transport: 'socket', address: 'http://x:1', app: new TestApp(), logger: captureLogger().logger }), /unsupported scheme/);
  });
});
