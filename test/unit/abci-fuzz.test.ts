import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { AbciDecodeError, decodeRequest, methodCodec } from '../../src/abci/codec.js';
import { BlockIDFlag } from '../../src/abci/gen/tendermint/types/validator_pb.js';
import { CheckTxType } from '../../src/abci/gen/tendermint/abci/types_pb.js';
import { ABCI_SERVICES } from '../../src/abci/grpc-server.js';
import { startAbciServer, type AbciServer } from '../../src/abci/server.js';
import { FrameDecoder, FrameError } from '../../src/abci/socket-server.js';
import type { AbciApplication } from '../../src/abci/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { decodeResponse, encodeRequestFrame, type WireRequest, type WireResponse } from '../support/abci-wire.js';

const EMPTY = new Uint8Array(0);

/** Accepts any request and answers with minimal valid responses. */
const app: AbciApplication = {
  info: async () => ({ lastBlockHeight: 0n, lastBlockAppHash: EMPTY }),
  initChain: async () => ({}),
  checkTx: async () => ({ code: 0 }),
  query: async () => ({ code: 0 }),
  prepareProposal: async (req) => ({ txs: req.txs }),
  processProposal: async () => ({ status: 'accept' }),
  finalizeBlock: async (req) => ({ txResults: req.txs.map(() => ({ code: 0 })), appHash: EMPTY }),
  commit: async () => ({ retainHeight: 0n }),
  beginBlock: async () => ({}),
  deliverTx: async () => ({ code: 0 }),
  endBlock: async () => ({}),
  commitV037: async () => ({ retainHeight: 0n, data: EMPTY }),
};

const validRequests: WireRequest[] = [
  { type: 'echo', value: { message: 'x' } },
  { type: 'flush', value: {} },
  { type: 'info', value: { version: '0.38', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' } },
  { type: 'checkTx', value: { tx: new Uint8Array([1, 2, 3]), type: CheckTxType.NEW } },
  { type: 'endBlock', value: { height: 5n } },
  {
    type: 'finalizeBlock',
    value: {
      txs: [new Uint8Array([9, 9])],
      decidedLastCommit: { round: 1, votes: [{ validator: { address: new Uint8Array(20), power: 3n }, blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT }] },
      misbehavior: [],
      hash: EMPTY,
      height: 2n,
      time: { seconds: 1n, nanos: 2 },
      nextValidatorsHash: EMPTY,
      proposerAddress: EMPTY,
    },
  },
];

/** Valid frames with some bytes overwritten: close to real traffic, so it reaches deep into the decoder. */
const corruptedFrames = fc
  .tuple(fc.array(fc.constantFrom(...validRequests), { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
  .map(([reqs, edits]) => {
    const bytes = Buffer.concat(reqs.map((r) => encodeRequestFrame(r)));
    for (const [pos, value] of edits) bytes[pos % bytes.length] = value;
    return new Uint8Array(bytes);
  });

const fuzzBytes = fc.oneof(fc.uint8Array({ maxLength: 200 }), corruptedFrames);

describe('ABCI fuzz: decoders only ever throw their own errors', () => {
  it('FrameDecoder + decodeRequest', () => {
    fc.assert(
      fc.property(fuzzBytes, fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const decoder = new FrameDecoder(1 << 20);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        let start = 0;
        try {
          for (const end of [...points, bytes.length]) {
            for (const frame of decoder.push(bytes.subarray(start, end))) {
              try {
                decodeRequest(frame);
              } catch (err) {
                if (!(err instanceof AbciDecodeError)) throw err;
              }
            }
            start = end;
          }
        } catch (err) {
          if (!(err instanceof FrameError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the gRPC per-method request decoders', () => {
    const methods = [...ABCI_SERVICES.ABCI.desc.methods, ...ABCI_SERVICES.ABCIApplication.desc.methods];
    const codecs = methods.map((m) => methodCodec(m.localName as 'info', m.input, m.output));
    fc.assert(
      fc.property(fc.nat(), fuzzBytes, (i, bytes) => {
        try {
          codecs[i % codecs.length]!.decodeRequest(bytes);
        } catch (err) {
          if (!(err instanceof AbciDecodeError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ABCI fuzz: random bytes never hurt the server', () => {
  let server: AbciServer;
  let port: number;

  before(async () => {
    server = await startAbciServer({ transport: 'socket', address: 'tcp://127.0.0.1:0', app, logger: silentLogger() });
    port = Number(server.address.split(':').pop());
  });
  after(async () => {
    await server.close();
  });

  /** Sends bytes then half-closes; resolves with the responses once the server closed the connection. */
  async function session(bytes: Uint8Array): Promise<WireResponse[]> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const decoder = new FrameDecoder(1 << 26);
    const responses: WireResponse[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) responses.push(decodeResponse(f));
    });
    socket.on('error', () => undefined);
    const closed = once(socket, 'close');
    socket.end(bytes);
    await closed;
    return responses;
  }

  it('answers or closes, and keeps serving other connections', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzBytes, async (bytes) => {
        const responses = await session(bytes);
        for (const r of responses) assert.ok(typeof r.type === 'string');
      }),
      { numRuns: 150 },
    );
    // a well-formed session still works afterwards
    const responses = await session(Buffer.concat([encodeRequestFrame({ type: 'echo', value: { message: 'alive' } }), encodeRequestFrame({ type: 'flush', value: {} })]));
    assert.deepEqual(
      responses.map((r) => [r.type, r.type === 'echo' ? r.value.message : undefined]),
      [
        ['echo', 'alive'],
        ['flush', undefined],
      ],
    );
  });

  for (const [name, garbage] of [
    ['undecodable protobuf', [0x02, 0xff, 0xff]],
    ['a bad varint', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['an oversize length', [0xff, 0xff, 0xff, 0xff, 0x7f]],
  ] as const) {
    it(`answers the valid requests that precede ${name} in the same chunk, then closes`, async () => {
      const good = [
        { type: 'echo', value: { message: 'a' } },
        { type: 'echo', value: { message: 'b' } },
      ] as const;
      const bytes = Buffer.concat([...good.map((r) => encodeRequestFrame(r)), Buffer.from(garbage)]);
      const responses = await session(bytes);
      assert.deepEqual(
        responses.map((r) => [r.type, r.type === 'echo' ? r.value.message : undefined]),
        good.map((r) => [r.type, r.value.message]),
      );
    });
  }
});
