import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { abciServiceDefinition } from '../../src/abci/grpc-server.js';
import { startAbciServer, type AbciServer } from '../../src/abci/server.js';
import type { AbciApplication, RequestFinalizeBlock, RequestInfo } from '../../src/abci/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { ABCI_PROTO_FILE, PROTO_DIR } from '../support/abci-wire.js';

const EMPTY = new Uint8Array(0);
const MAX = 64 * 1024 * 1024;

/** Test application: records the order in which consensus calls start and end. */
class GrpcTestApp implements AbciApplication {
  lastInfo: RequestInfo | undefined;
  readonly trace: string[] = [];
  commits = 0;
  commits037 = 0;

  info = async (req: RequestInfo) => {
    this.lastInfo = req;
    return { data: 'grpc-test', version: '1.2.3', appVersion: 4n, lastBlockHeight: 2n ** 60n, lastBlockAppHash: new Uint8Array([1, 2]) };
  };
  initChain = async () => ({});
  checkTx = async () => ({ code: 0 });
  query = async () => {
    throw new Error('no such path');
  };
  prepareProposal = async (req: { txs: Uint8Array[] }) => ({ txs: req.txs });
  processProposal = async () => ({ status: 'accept' as const });
  finalizeBlock = async (req: RequestFinalizeBlock) => {
    this.trace.push(`start ${req.height}`);
    // later calls would overtake earlier ones without serialization
    for (let i = 0; i < Number(10n - req.height); i++) await new Promise<void>((r) => setImmediate(r));
    this.trace.push(`end ${req.height}`);
    const h = createHash('sha256');
    for (const tx of req.txs) h.update(tx);
    return {
      txResults: req.txs.map((tx, i) => ({
        code: i % 2,
        gasUsed: BigInt(tx.length),
        events: [{ type: 'tx', attributes: [{ key: 'i', value: String(i), index: true }] }],
      })),
      appHash: new Uint8Array(h.digest()),
      events: [{ type: 'block', attributes: [] }],
    };
  };
  commit = async () => {
    this.commits++;
    return { retainHeight: 7n };
  };
  beginBlock = async () => ({});
  deliverTx = async () => ({ code: 0 });
  endBlock = async () => ({});
  commitV037 = async () => {
    this.commits037++;
    return { retainHeight: 0n, data: new Uint8Array([0xaa, 0xbb]) };
  };
}

// A client made from the .proto files by proto-loader: an independent decoding path.
type Callback = (err: grpc.ServiceError | null, res: Record<string, unknown>) => void;
type LoadedClient = grpc.Client & Record<string, (req: object, cb: Callback) => void>;

function call(client: LoadedClient, method: string, req: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const fn = client[method];
    assert.ok(fn, `method ${method}`);
    fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

describe('ABCI gRPC server', () => {
  let app: GrpcTestApp;
  let server: AbciServer;
  let abci: LoadedClient;
  let abci037: LoadedClient;

  before(async () => {
    app = new GrpcTestApp();
    server = await startAbciServer({ transport: 'grpc', address: 'tcp://127.0.0.1:0', app, logger: silentLogger() });
    const def = protoLoader.loadSync(ABCI_PROTO_FILE, {
      includeDirs: [PROTO_DIR],
      longs: String,
      defaults: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      tendermint: { abci: Record<string, new (addr: string, creds: grpc.ChannelCredentials, opts: object) => LoadedClient> };
    };
    const target = server.address.replace('tcp://', '');
    const opts = { 'grpc.max_receive_message_length': MAX, 'grpc.max_send_message_length': MAX };
    const ABCI = pkg.tendermint.abci.ABCI;
    const ABCIApplication = pkg.tendermint.abci.ABCIApplication;
    assert.ok(ABCI && ABCIApplication);
    abci = new ABCI(target, grpc.credentials.createInsecure(), opts);
    abci037 = new ABCIApplication(target, grpc.credentials.createInsecure(), opts);
  });

  after(async () => {
    abci.close();
    abci037.close();
    await server.close();
  });

  it('answers Info', async () => {
    const res = await call(abci, 'Info', { version: '0.38.25', blockVersion: '11', p2pVersion: '8', abciVersion: '2.0.0' });
    assert.equal(res.data, 'grpc-test');
    assert.equal(res.version, '1.2.3');
    assert.equal(res.appVersion, '4');
    assert.equal(res.lastBlockHeight, String(2n ** 60n));
    assert.deepEqual([...(res.lastBlockAppHash as Buffer)], [1, 2]);
    assert.deepEqual(app.lastInfo, { version: '0.38.25', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' });
  });

  it('answers Echo and Flush', async () => {
    assert.equal((await call(abci, 'Echo', { message: 'hi' })).message, 'hi');
    assert.deepEqual(await call(abci, 'Flush', {}), {});
  });

  it('answers FinalizeBlock, including a 5 MB block', async () => {
    const txs = Array.from({ length: 5 }, (_, i) => Buffer.alloc(1024 * 1024, i + 1));
    const res = await call(abci, 'FinalizeBlock', {
      txs,
      height: '3',
      decidedLastCommit: { round: 0, votes: [{ validator: { address: Buffer.alloc(20, 1), power: '10' }, blockIdFlag: 'BLOCK_ID_FLAG_COMMIT' }] },
      time: { seconds: '1700000000', nanos: 0 },
    });
    const results = res.txResults as { code: number; gasUsed: string; events: { attributes: { value: string }[] }[] }[];
    assert.equal(results.length, 5);
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 1, 0, 1, 0],
    );
    assert.equal(results[4]?.gasUsed, String(1024 * 1024));
    assert.equal(results[3]?.events[0]?.attributes[0]?.value, '3');
    const h = createHash('sha256');
    for (const tx of txs) h.update(tx);
    assert.deepEqual(res.appHash, h.digest());
  });

  it('serializes concurrent consensus calls in arrival order', async () => {
    app.trace.length = 0;
    const heights = [4, 5, 6];
    await Promise.all(heights.map((h) => call(abci, 'FinalizeBlock', { height: String(h) })));
    // each call ends before the next starts (they would interleave otherwise)
    for (let i = 0; i < app.trace.length; i += 2) {
      const start = app.trace[i]?.split(' ');
      assert.equal(start?.[0], 'start');
      assert.equal(app.trace[i + 1], `end ${start?.[1]}`);
    }
    assert.equal(app.trace.length, 6);
  });

  it('maps Commit on ABCI to commit() and on ABCIApplication (v0.37) to commitV037()', async () => {
    const r38 = await call(abci, 'Commit', {});
    assert.equal(r38.retainHeight, '7');
    assert.equal((r38.data as Buffer).length, 0);
    assert.equal(app.commits, 1);
    const r37 = await call(abci037, 'Commit', {});
    assert.deepEqual([...(r37.data as Buffer)], [0xaa, 0xbb]);
    assert.equal(app.commits037, 1);
  });

  it('serves the v0.37 block flow on ABCIApplication', async () => {
    await call(abci037, 'BeginBlock', { hash: Buffer.alloc(32), header: { height: '9', chainId: 'c' } });
    const d = await call(abci037, 'DeliverTx', { tx: Buffer.from([1]) });
    assert.equal(d.code, 0);
    await call(abci037, 'EndBlock', { height: '9' });
  });

  it('fails the call with the handler error (and keeps serving)', async () => {
    await assert.rejects(call(abci, 'Query', { path: '/x' }), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.UNKNOWN);
      assert.match(err.details, /no such path/);
      return true;
    });
    assert.equal((await call(abci, 'Echo', { message: 'again' })).message, 'again');
  });

  it('answers snapshot calls with defaults when the app has none', async () => {
    assert.deepEqual((await call(abci, 'ListSnapshots', {})).snapshots, []);
    // proto-loader yields enum numbers: REJECT = 3, ABORT = 2, ACCEPT = 1
    assert.equal((await call(abci, 'OfferSnapshot', {})).result, 3);
    assert.equal((await call(abci, 'ApplySnapshotChunk', {})).result, 2);
    assert.equal((await call(abci, 'VerifyVoteExtension', {})).status, 1);
  });

  it('works with a client built from our own service definition too', async () => {
    const Ctor = grpc.makeGenericClientConstructor(abciServiceDefinition('ABCI'), 'ABCI');
    const client = new Ctor(server.address.replace('tcp://', ''), grpc.credentials.createInsecure()) as unknown as LoadedClient;
    try {
      const res = await call(client, 'Info', { version: 'v', blockVersion: 1n, p2pVersion: 2n, abciVersion: '2.0.0' });
      assert.equal(res.lastBlockHeight, 2n ** 60n);
      const fb = await call(client, 'FinalizeBlock', {
        txs: [new Uint8Array([1, 2, 3])],
        decidedLastCommit: { round: 0, votes: [] },
        misbehavior: [],
        hash: EMPTY,
        height: 8n,
        time: { seconds: 0n, nanos: 0 },
        nextValidatorsHash: EMPTY,
        proposerAddress: EMPTY,
      });
      assert.equal((fb.txResults as unknown[]).length, 1);
    } finally {
      client.close();
    }
  });
});
