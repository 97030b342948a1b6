/**
 * The ABCI socket server's defences (src/abci/README.md): block-lifecycle,
 * mempool and snapshot requests only on the one connection that holds that
 * role, a cap on connections, a bound on a half-sent frame, and a new
 * mempool connection telling the app to start its CheckTx view over.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CheckTxType, MisbehaviorType } from '../../src/abci/gen/tendermint/abci/types_pb.js';
import { startAbciServer } from '../../src/abci/server.js';
import type { AbciApplication, RequestFinalizeBlock } from '../../src/abci/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { AbciClient } from '../support/abci-client.js';
import type { WireRequest } from '../support/abci-wire.js';

const EMPTY = new Uint8Array(0);

/** Records the calls that reach it; FinalizeBlock can be held open by the test. */
class RecordingApp implements AbciApplication {
  readonly calls: string[] = [];
  mempoolConnections = 0;
  hold: Promise<void> | undefined;

  info = async () => {
    this.calls.push('info');
    return { lastBlockHeight: 0n, lastBlockAppHash: EMPTY };
  };
  initChain = async () => ({});
  checkTx = async () => {
    this.calls.push('checkTx');
    return { code: 0 };
  };
  query = async () => ({ code: 0 });
  prepareProposal = async (req: { txs: Uint8Array[] }) => ({ txs: req.txs });
  processProposal = async () => ({ status: 'accept' as const });
  finalizeBlock = async (req: RequestFinalizeBlock) => {
    this.calls.push(`finalizeBlock ${req.height}`);
    await this.hold;
    this.calls.push(`finalized ${req.height}`);
    return { txResults: [], appHash: EMPTY };
  };
  commit = async () => {
    this.calls.push('commit');
    return { retainHeight: 0n };
  };
  beginBlock = async () => ({});
  deliverTx = async () => ({ code: 0 });
  endBlock = async () => ({});
  commitV037 = async () => ({ retainHeight: 0n, data: EMPTY });
  offerSnapshot = async () => {
    this.calls.push('offerSnapshot');
    return { result: 'reject' as const };
  };
  mempoolConnected = () => {
    this.mempoolConnections++;
  };
  /** What checkTxQueued was told, one entry per call (tx first bytes). */
  readonly queued: number[][] = [];
  checkTxQueued = (txs: readonly Uint8Array[]) => {
    this.queued.push(txs.map((tx) => tx[0]!));
  };
}

const info: WireRequest = { type: 'info', value: { version: 'x', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' } };
const commit: WireRequest = { type: 'commit', value: {} };
const checkTx: WireRequest = { type: 'checkTx', value: { tx: new Uint8Array([1]), type: CheckTxType.NEW } };
const finalize = (height: bigint): WireRequest => ({
  type: 'finalizeBlock',
  value: {
    txs: [new Uint8Array([0xf0, 0x0d])],
    decidedLastCommit: { round: 0, votes: [] },
    misbehavior: [
      { type: MisbehaviorType.DUPLICATE_VOTE, validator: { address: new Uint8Array(20), power: 10n }, height: 1n, time: { seconds: 1n, nanos: 0 }, totalVotingPower: 10n },
    ],
    hash: EMPTY,
    height,
    time: { seconds: 4_000_000_000n, nanos: 0 },
    nextValidatorsHash: EMPTY,
    proposerAddress: EMPTY,
  },
});

async function withServer(options: { maxConnections?: number; maxMessageBytes?: number }, run: (address: string, app: RecordingApp) => Promise<void>): Promise<void> {
  const app = new RecordingApp();
  const server = await startAbciServer({ transport: 'socket', address: 'tcp://127.0.0.1:0', app, logger: silentLogger(), ...options });
  try {
    await run(server.address, app);
  } finally {
    await server.close();
  }
}

/** Polls `condition` until it holds or the deadline passes. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ABCI connection roles', () => {
  it('refuses a forged block on a fifth connection (Info answered, FinalizeBlock refused and the connection closed, Commit never reached)', async () => {
    await withServer({}, async (address, app) => {
      const query = await AbciClient.connect(address);
      const mempool = await AbciClient.connect(address);
      const consensus = await AbciClient.connect(address);
      assert.equal((await query.call(info)).type, 'info');
      assert.equal((await mempool.call(checkTx)).type, 'checkTx');
      assert.equal((await consensus.call(finalize(1n))).type, 'finalizeBlock');
      assert.equal((await consensus.call(commit)).type, 'commit');

      const intruder = await AbciClient.connect(address);
      assert.equal((await intruder.call(info)).type, 'info', 'read-only requests are served anywhere');
      intruder.send(finalize(2n), commit, { type: 'flush', value: {} });
      const refused = await intruder.next();
      assert.equal(refused?.type, 'exception');
      assert.match(refused?.type === 'exception' ? refused.value.error : '', /finalizeBlock refused .* the consensus connection is/);
      assert.equal(await intruder.next(), undefined, 'the connection is closed; Commit is never answered');
      assert.deepEqual(
        app.calls.filter((c) => c !== 'info'),
        ['checkTx', 'finalizeBlock 1', 'finalized 1', 'commit'],
      );

      // CometBFT's own connections carry on.
      assert.equal((await consensus.call(finalize(2n))).type, 'finalizeBlock');
      assert.equal((await mempool.call(checkTx)).type, 'checkTx');
      for (const c of [query, mempool, consensus]) c.close();
    });
  });

  it('gives a connection one role: the mempool connection cannot execute blocks, and CheckTx belongs to one connection', async () => {
    await withServer({}, async (address, app) => {
      const mempool = await AbciClient.connect(address);
      assert.equal((await mempool.call(checkTx)).type, 'checkTx');
      mempool.send(finalize(1n));
      const wrongRole = await mempool.next();
      assert.equal(wrongRole?.type, 'exception');
      assert.match(wrongRole?.type === 'exception' ? wrongRole.value.error : '', /is the mempool connection/);
      await mempool.closed;
      const other = await AbciClient.connect(address);
      const snapshot = await other.call({ type: 'offerSnapshot', value: { appHash: EMPTY } });
      assert.equal(snapshot.type, 'offerSnapshot');
      const second = await AbciClient.connect(address);
      second.send({ type: 'offerSnapshot', value: { appHash: EMPTY } });
      assert.equal((await second.next())?.type, 'exception', 'state sync requests belong to the one snapshot connection');
      assert.deepEqual(app.calls, ['checkTx', 'offerSnapshot']);
      other.close();
    });
  });

  it('hands the consensus role to a new connection once the old one is gone, never running two blocks at once', async () => {
    await withServer({}, async (address, app) => {
      const old = await AbciClient.connect(address);
      let release!: () => void;
      app.hold = new Promise((r) => (release = r));
      old.send(finalize(1n), { type: 'flush', value: {} });
      await until('FinalizeBlock 1 to start', () => app.calls.includes('finalizeBlock 1'));
      old.socket.end(); // CometBFT went away while the block executes
      const fresh = await AbciClient.connect(address);
      // Info's answer is released by the Flush after it; the server reaches FinalizeBlock in the same turn.
      fresh.send(info, { type: 'flush', value: {} }, finalize(1n), { type: 'flush', value: {} });
      assert.equal((await fresh.next())?.type, 'info');
      assert.equal((await fresh.next())?.type, 'flush');
      assert.deepEqual(app.calls, ['finalizeBlock 1', 'info'], 'the new connection waits for the old one to finish');
      release();
      assert.equal((await fresh.next())?.type, 'finalizeBlock');
      assert.deepEqual(app.calls, ['finalizeBlock 1', 'info', 'finalized 1', 'finalizeBlock 1', 'finalized 1']);
      fresh.close();
    });
  });

  it('tells the app about every new mempool connection (CometBFT restarted: its mempool is empty)', async () => {
    await withServer({}, async (address, app) => {
      const first = await AbciClient.connect(address);
      await first.call(checkTx);
      await first.call(checkTx);
      assert.equal(app.mempoolConnections, 1);
      first.socket.end();
      await first.closed;
      const second = await AbciClient.connect(address);
      assert.equal((await second.call(checkTx)).type, 'checkTx');
      assert.equal(app.mempoolConnections, 2);
      second.close();
    });
  });
});

describe('ABCI CheckTx look-ahead', () => {
  const tx = (n: number, type = CheckTxType.NEW): WireRequest => ({ type: 'checkTx', value: { tx: new Uint8Array([n]), type } });

  it('tells the app the new CheckTx requests queued on the mempool connection, in order, before the first runs', async () => {
    await withServer({}, async (address, app) => {
      const mempool = await AbciClient.connect(address);
      assert.equal((await mempool.call(tx(1))).type, 'checkTx'); // takes the mempool role
      assert.deepEqual(app.queued, [], 'a lone request is not announced');
      mempool.send(tx(2), tx(3, CheckTxType.RECHECK), tx(4), tx(5), { type: 'flush', value: {} });
      for (let i = 0; i < 5; i++) assert.ok(await mempool.next());
      assert.deepEqual(app.queued, [[2, 4, 5]], 'the new ones of the burst, in order, rechecks left out');
      assert.deepEqual(app.calls.filter((c) => c === 'checkTx').length, 5, 'every request still runs');
      mempool.close();
    });
  });

  it('announces nothing from a connection that is not the mempool one', async () => {
    await withServer({}, async (address, app) => {
      const mempool = await AbciClient.connect(address);
      await mempool.call(tx(1));
      const other = await AbciClient.connect(address);
      other.send(info, tx(7), tx(8), { type: 'flush', value: {} });
      assert.equal((await other.next())?.type, 'info');
      assert.equal((await other.next())?.type, 'exception', 'CheckTx belongs to the mempool connection');
      assert.deepEqual(app.queued, []);
      mempool.close();
    });
  });
});

describe('ABCI connection limits', () => {
  it('closes connections beyond maxConnections on arrival, and accepts again once one closes', async () => {
    await withServer({ maxConnections: 3 }, async (address) => {
      const open = await Promise.all([1, 2, 3].map(() => AbciClient.connect(address)));
      for (const c of open) assert.equal((await c.call(info)).type, 'info');
      const extra = await AbciClient.connect(address);
      extra.send(info);
      assert.equal(await extra.next(), undefined, 'the fourth connection is closed unanswered');
      open[0]!.close();
      await until('a free connection slot', async () => {
        const c = await AbciClient.connect(address);
        c.send(info, { type: 'flush', value: {} });
        const r = await c.next();
        c.close();
        return r?.type === 'info';
      });
      for (const c of open) c.close();
    });
  });

  it('closes a connection whose half-sent frame announces more than maxMessageBytes: 5 × 56 MB frames buffer nothing', async () => {
    await withServer({}, async (address, app) => {
      // A 56 MB FinalizeBlock announced, 1 MB of it sent, on five connections.
      const header = Buffer.from([0x80, 0x80, 0x80, 0x1b]); // uvarint 56,623,104
      const clients = await Promise.all([1, 2, 3, 4, 5].map(() => AbciClient.connect(address)));
      for (const c of clients) void c.writeRaw(Buffer.concat([header, Buffer.alloc(1024 * 1024, 0x0a)]));
      await Promise.all(clients.map((c) => c.closed));
      assert.deepEqual(app.calls, []);
    });
  });

  it('takes a frame up to maxMessageBytes', async () => {
    await withServer({ maxMessageBytes: 64 * 1024 }, async (address, app) => {
      const c = await AbciClient.connect(address);
      const big: WireRequest = { type: 'checkTx', value: { tx: new Uint8Array(60 * 1024), type: CheckTxType.NEW } };
      assert.equal((await c.call(big)).type, 'checkTx');
      c.send({ type: 'checkTx', value: { tx: new Uint8Array(65 * 1024), type: CheckTxType.NEW } });
      assert.equal(await c.next(), undefined, 'a frame over the limit closes the connection');
      assert.deepEqual(app.calls, ['checkTx']);
    });
  });
});

describe('ABCI unix socket', () => {
  it('is created with mode 0600 (owner only)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmtd-abci-sock-'));
    const path = join(dir, 'abci.sock');
    const server = await startAbciServer({ transport: 'socket', address: `unix://${path}`, app: new RecordingApp(), logger: silentLogger() });
    try {
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const socket = net.connect(path);
      await once(socket, 'connect');
      socket.destroy();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
