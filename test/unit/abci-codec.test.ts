import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import {
  AbciDecodeError,
  decodeRequest,
  encodeResponse,
  encodeResponseFrame,
  methodCodec,
  type AbciResponse,
  type RequestMap,
  type RequestType,
  type ResponseMap,
  type ResponseType,
} from '../../src/abci/codec.js';
import * as pb from '../../src/abci/gen/tendermint/abci/types_pb.js';
import { BlockIDFlag } from '../../src/abci/gen/tendermint/types/validator_pb.js';
import { ABCI_SERVICES } from '../../src/abci/grpc-server.js';
import type { CommitInfo, ConsensusParams, Event, ExecTxResult, ExtendedCommitInfo, Header, Misbehavior, Snapshot, Timestamp } from '../../src/abci/types.js';
import { decodeResponse, encodeRequest, type WireRequest } from '../support/abci-wire.js';

/*
 * The server decodes requests and encodes responses (src/abci/codec.ts); the
 * other two directions here are the generated codec (test/support/abci-wire.ts),
 * so every case crosses from one to the other. Fixtures exist twice where the
 * application's view differs from the wire: string enums, the PublicKey
 * oneof, v0.37's signed_last_block.
 */

const b = (...xs: number[]): Uint8Array => new Uint8Array(xs);
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const toHex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.length).toString('hex');

/** Bytes compare by content (decoded bytes are Buffer views; fixtures are Uint8Array). */
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return `0x${toHex(v)}`;
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = norm(x);
    return out;
  }
  return v;
}

const BIG = 2n ** 62n + 12345n; // beyond 2^53
const time: Timestamp = { seconds: 1_700_000_000n, nanos: 123_456_789 };
const addr = (n: number): Uint8Array => new Uint8Array(20).fill(n);
const hash32 = (n: number): Uint8Array => new Uint8Array(32).fill(n);

const commitInfo: CommitInfo = {
  round: 2,
  votes: [
    { validator: { address: addr(1), power: 10n }, blockIdFlag: 'commit' },
    { validator: { address: addr(2), power: BIG }, blockIdFlag: 'absent' },
    { validator: { address: addr(3), power: 1n }, blockIdFlag: 'nil' },
  ],
};
const extendedCommitInfo: ExtendedCommitInfo = {
  round: 1,
  votes: [
    {
      validator: { address: addr(1), power: 10n },
      blockIdFlag: 'commit',
      voteExtension: b(1, 2, 3),
      extensionSignature: b(9, 9),
    },
    { validator: { address: addr(2), power: 5n }, blockIdFlag: 'absent', voteExtension: b(), extensionSignature: b() },
  ],
};
const misbehavior: Misbehavior[] = [
  {
    type: 'duplicate_vote',
    validator: { address: addr(7), power: 100n },
    height: 41n,
    time,
    totalVotingPower: 1000n,
  },
  {
    type: 'light_client_attack',
    validator: { address: addr(8), power: 3n },
    height: 40n,
    time: { seconds: -5n, nanos: 0 },
    totalVotingPower: 1000n,
  },
];
const consensusParams: ConsensusParams = {
  block: { maxBytes: 22_020_096n, maxGas: -1n },
  evidence: { maxAgeNumBlocks: 100_000n, maxAgeDuration: { seconds: 172_800n, nanos: 0 }, maxBytes: 1_048_576n },
  validator: { pubKeyTypes: ['ed25519', 'secp256k1'] },
  version: { app: 3n },
  abci: { voteExtensionsEnableHeight: 0n },
};
const events: Event[] = [
  {
    type: 'transfer',
    attributes: [
      { key: 'from', value: '0xabc', index: true },
      { key: 'amount', value: '1', index: false },
    ],
  },
];
const execResult: ExecTxResult = {
  code: 7,
  data: b(1, 2),
  log: 'insufficient funds',
  info: 'i',
  gasWanted: 21_000n,
  gasUsed: BIG,
  events,
  codespace: 'cmt',
};
const header: Header = {
  version: { block: 11n, app: 1n },
  chainId: 'cmt-test',
  height: 42n,
  time,
  lastBlockId: { hash: hash32(1), partSetHeader: { total: 3, hash: hash32(2) } },
  lastCommitHash: hash32(3),
  dataHash: hash32(4),
  validatorsHash: hash32(5),
  nextValidatorsHash: hash32(6),
  consensusHash: hash32(7),
  appHash: hash32(8),
  lastResultsHash: hash32(9),
  evidenceHash: hash32(10),
  proposerAddress: addr(11),
};
const snapshot: Snapshot = { height: 1000n, format: 1, chunks: 4, hash: hash32(12), metadata: b(5) };
const valUpdates = [
  { pubKey: { ed25519: hash32(13) }, power: 10n },
  { pubKey: { secp256k1: new Uint8Array(33).fill(14) }, power: 0n },
];

// The same fixtures as the wire carries them (generated init shapes).
const FLAG = { commit: BlockIDFlag.BLOCK_ID_FLAG_COMMIT, absent: BlockIDFlag.BLOCK_ID_FLAG_ABSENT, nil: BlockIDFlag.BLOCK_ID_FLAG_NIL } as const;
const wireCommitInfo = { round: 2, votes: commitInfo.votes.map((v) => ({ validator: v.validator, blockIdFlag: FLAG[v.blockIdFlag as keyof typeof FLAG] })) };
const wireExtendedCommitInfo = {
  round: 1,
  votes: extendedCommitInfo.votes.map((v) => ({ ...v, blockIdFlag: FLAG[v.blockIdFlag as keyof typeof FLAG] })),
};
const wireMisbehavior = misbehavior.map((m) => ({ ...m, type: m.type === 'duplicate_vote' ? pb.MisbehaviorType.DUPLICATE_VOTE : pb.MisbehaviorType.LIGHT_CLIENT_ATTACK }));
const wireValUpdates = [
  { pubKey: { sum: { case: 'ed25519' as const, value: hash32(13) } }, power: 10n },
  { pubKey: { sum: { case: 'secp256k1' as const, value: new Uint8Array(33).fill(14) } }, power: 0n },
];

/** Every request type: the message as sent (wire) and as the application must receive it (app). */
const REQUESTS: { [K in RequestType]: { wire: Extract<WireRequest, { type: K }>['value']; app: RequestMap[K] } } = {
  echo: { wire: { message: 'hello ✓' }, app: { message: 'hello ✓' } },
  flush: { wire: {}, app: {} },
  info: {
    wire: { version: '0.38.25', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' },
    app: { version: '0.38.25', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' },
  },
  initChain: {
    wire: { time, chainId: 'cmt-test', consensusParams, validators: wireValUpdates, appStateBytes: b(1, 2), initialHeight: 1n },
    app: { time, chainId: 'cmt-test', consensusParams, validators: valUpdates, appStateBytes: b(1, 2), initialHeight: 1n },
  },
  query: {
    wire: { data: b(1, 2, 3), path: '/store/acct', height: 17n, prove: true },
    app: { data: b(1, 2, 3), path: '/store/acct', height: 17n, prove: true },
  },
  beginBlock: {
    wire: { hash: hash32(20), header, lastCommitInfo: wireCommitInfo, byzantineValidators: wireMisbehavior },
    app: { hash: hash32(20), header, lastCommitInfo: commitInfo, byzantineValidators: misbehavior },
  },
  checkTx: { wire: { tx: b(0xde, 0xad), type: pb.CheckTxType.RECHECK }, app: { tx: b(0xde, 0xad), type: 'recheck' } },
  deliverTx: { wire: { tx: b(0xbe, 0xef) }, app: { tx: b(0xbe, 0xef) } },
  endBlock: { wire: { height: 42n }, app: { height: 42n } },
  commit: { wire: {}, app: {} },
  listSnapshots: { wire: {}, app: {} },
  offerSnapshot: { wire: { snapshot, appHash: hash32(21) }, app: { snapshot, appHash: hash32(21) } },
  loadSnapshotChunk: { wire: { height: 1000n, format: 1, chunk: 2 }, app: { height: 1000n, format: 1, chunk: 2 } },
  applySnapshotChunk: { wire: { index: 3, chunk: b(4, 5, 6), sender: 'peer1' }, app: { index: 3, chunk: b(4, 5, 6), sender: 'peer1' } },
  prepareProposal: {
    wire: {
      maxTxBytes: 22_019_254n,
      txs: [b(1), b(2, 2), b()],
      localLastCommit: wireExtendedCommitInfo,
      misbehavior: wireMisbehavior,
      height: 43n,
      time,
      nextValidatorsHash: hash32(22),
      proposerAddress: addr(23),
    },
    app: {
      maxTxBytes: 22_019_254n,
      txs: [b(1), b(2, 2), b()],
      localLastCommit: extendedCommitInfo,
      misbehavior,
      height: 43n,
      time,
      nextValidatorsHash: hash32(22),
      proposerAddress: addr(23),
    },
  },
  processProposal: {
    wire: {
      txs: [b(1), b(2, 2)],
      proposedLastCommit: wireCommitInfo,
      misbehavior: wireMisbehavior,
      hash: hash32(24),
      height: 43n,
      time,
      nextValidatorsHash: hash32(25),
      proposerAddress: addr(26),
    },
    app: {
      txs: [b(1), b(2, 2)],
      proposedLastCommit: commitInfo,
      misbehavior,
      hash: hash32(24),
      height: 43n,
      time,
      nextValidatorsHash: hash32(25),
      proposerAddress: addr(26),
    },
  },
  extendVote: {
    wire: { hash: hash32(27), height: 43n, time, txs: [b(3)], proposedLastCommit: wireCommitInfo, misbehavior: [], nextValidatorsHash: hash32(28), proposerAddress: addr(29) },
    app: { hash: hash32(27), height: 43n, time, txs: [b(3)], proposedLastCommit: commitInfo, misbehavior: [], nextValidatorsHash: hash32(28), proposerAddress: addr(29) },
  },
  verifyVoteExtension: {
    wire: { hash: hash32(30), validatorAddress: addr(31), height: 43n, voteExtension: b(7, 7) },
    app: { hash: hash32(30), validatorAddress: addr(31), height: 43n, voteExtension: b(7, 7) },
  },
  finalizeBlock: {
    wire: {
      txs: [b(1, 2, 3), b(4)],
      decidedLastCommit: wireCommitInfo,
      misbehavior: wireMisbehavior,
      hash: hash32(32),
      height: 43n,
      time,
      nextValidatorsHash: hash32(33),
      proposerAddress: addr(34),
    },
    app: {
      txs: [b(1, 2, 3), b(4)],
      decidedLastCommit: commitInfo,
      misbehavior,
      hash: hash32(32),
      height: 43n,
      time,
      nextValidatorsHash: hash32(33),
      proposerAddress: addr(34),
    },
  },
};

/** Every response type: as the application returns it (app) and what must arrive (wire, absent fields zero). */
const RESPONSES: { [K in ResponseType]: { app: ResponseMap[K]; schema: DescMessage; wire: object } } = {
  exception: { app: { error: 'boom' }, schema: pb.ResponseExceptionSchema, wire: { error: 'boom' } },
  echo: { app: { message: 'hello' }, schema: pb.ResponseEchoSchema, wire: { message: 'hello' } },
  flush: { app: {}, schema: pb.ResponseFlushSchema, wire: {} },
  info: {
    app: { data: 'cmtd', version: '0.1.0', appVersion: 1n, lastBlockHeight: BIG, lastBlockAppHash: hash32(40) },
    schema: pb.ResponseInfoSchema,
    wire: { data: 'cmtd', version: '0.1.0', appVersion: 1n, lastBlockHeight: BIG, lastBlockAppHash: hash32(40) },
  },
  initChain: {
    app: { consensusParams, validators: valUpdates, appHash: hash32(41) },
    schema: pb.ResponseInitChainSchema,
    wire: { consensusParams, validators: wireValUpdates, appHash: hash32(41) },
  },
  query: {
    app: {
      code: 3,
      log: 'not found',
      info: 'i',
      index: -1n,
      key: b(1),
      value: b(2),
      proofOps: { ops: [{ type: 'ics23:iavl', key: b(1), data: b(9, 9, 9) }] },
      height: 17n,
      codespace: 'store',
    },
    schema: pb.ResponseQuerySchema,
    wire: {
      code: 3,
      log: 'not found',
      info: 'i',
      index: -1n,
      key: b(1),
      value: b(2),
      proofOps: { ops: [{ type: 'ics23:iavl', key: b(1), data: b(9, 9, 9) }] },
      height: 17n,
      codespace: 'store',
    },
  },
  beginBlock: { app: { events }, schema: pb.ResponseBeginBlockSchema, wire: { events } },
  checkTx: { app: execResult, schema: pb.ResponseCheckTxSchema, wire: execResult },
  deliverTx: { app: execResult, schema: pb.ResponseDeliverTxSchema, wire: execResult },
  endBlock: {
    app: { validatorUpdates: valUpdates, consensusParamUpdates: { block: { maxBytes: 1n, maxGas: 2n } }, events },
    schema: pb.ResponseEndBlockSchema,
    wire: { validatorUpdates: wireValUpdates, consensusParamUpdates: { block: { maxBytes: 1n, maxGas: 2n } }, events },
  },
  commit: { app: { retainHeight: 10n, data: hash32(42) }, schema: pb.ResponseCommitSchema, wire: { retainHeight: 10n, data: hash32(42) } },
  listSnapshots: {
    app: { snapshots: [snapshot, { ...snapshot, format: 2 }] },
    schema: pb.ResponseListSnapshotsSchema,
    wire: { snapshots: [snapshot, { ...snapshot, format: 2 }] },
  },
  offerSnapshot: {
    app: { result: 'reject_sender' },
    schema: pb.ResponseOfferSnapshotSchema,
    wire: { result: pb.ResponseOfferSnapshot_Result.REJECT_SENDER },
  },
  loadSnapshotChunk: { app: { chunk: b(1, 2, 3) }, schema: pb.ResponseLoadSnapshotChunkSchema, wire: { chunk: b(1, 2, 3) } },
  applySnapshotChunk: {
    app: { result: 'retry_snapshot', refetchChunks: [1, 3], rejectSenders: ['p1', 'p2'] },
    schema: pb.ResponseApplySnapshotChunkSchema,
    wire: { result: pb.ResponseApplySnapshotChunk_Result.RETRY_SNAPSHOT, refetchChunks: [1, 3], rejectSenders: ['p1', 'p2'] },
  },
  prepareProposal: { app: { txs: [b(1), b(2)] }, schema: pb.ResponsePrepareProposalSchema, wire: { txs: [b(1), b(2)] } },
  processProposal: {
    app: { status: 'reject' },
    schema: pb.ResponseProcessProposalSchema,
    wire: { status: pb.ResponseProcessProposal_ProposalStatus.REJECT },
  },
  extendVote: { app: { voteExtension: b(8) }, schema: pb.ResponseExtendVoteSchema, wire: { voteExtension: b(8) } },
  verifyVoteExtension: {
    app: { status: 'accept' },
    schema: pb.ResponseVerifyVoteExtensionSchema,
    wire: { status: pb.ResponseVerifyVoteExtension_VerifyStatus.ACCEPT },
  },
  finalizeBlock: {
    app: {
      events,
      txResults: [execResult, { code: 0, gasUsed: 0n }],
      validatorUpdates: valUpdates,
      consensusParamUpdates: { abci: { voteExtensionsEnableHeight: 100n } },
      appHash: hash32(43),
    },
    schema: pb.ResponseFinalizeBlockSchema,
    wire: {
      events,
      txResults: [execResult, { code: 0, gasUsed: 0n }],
      validatorUpdates: wireValUpdates,
      consensusParamUpdates: { abci: { voteExtensionsEnableHeight: 100n } },
      appHash: hash32(43),
    },
  },
};

/** `body` behind its uvarint length, written out here independently of the codec. */
function lengthPrefixed(body: Uint8Array): Uint8Array {
  const len: number[] = [];
  for (let n = body.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      len.push(n);
      break;
    }
    len.push((n % 128) | 0x80);
  }
  return Buffer.concat([Buffer.from(len), body]);
}

const REQUEST_TYPES = Object.keys(REQUESTS) as RequestType[];
const RESPONSE_TYPES = Object.keys(RESPONSES) as ResponseType[];

/** The server-side codec of the gRPC method carrying `type` (both services together cover every type). */
function grpcCodec(type: RequestType) {
  const methods = [...ABCI_SERVICES.ABCI.desc.methods, ...ABCI_SERVICES.ABCIApplication.desc.methods];
  const m = methods.find((x) => x.localName === type);
  assert.ok(m, `a gRPC method for ${type}`);
  return { codec: methodCodec(type, m.input, m.output), input: m.input, output: m.output };
}

describe('abci codec: every message, across the generated codec', () => {
  it('covers every Request and Response oneof case', () => {
    assert.deepEqual(REQUEST_TYPES.sort(), pb.RequestSchema.oneofs[0]!.fields.map((f) => f.localName).sort());
    assert.deepEqual(RESPONSE_TYPES.sort(), pb.ResponseSchema.oneofs[0]!.fields.map((f) => f.localName).sort());
    assert.equal(REQUEST_TYPES.length, 19);
    assert.equal(RESPONSE_TYPES.length, 20);
  });

  for (const type of REQUEST_TYPES) {
    it(`Request.${type}: decoded into the application's view`, () => {
      const sample = REQUESTS[type];
      const decoded = decodeRequest(encodeRequest({ type, value: sample.wire } as WireRequest));
      assert.equal(decoded.type, type);
      assert.deepEqual(norm(decoded.value), norm(sample.app));
      // the bare inner message (gRPC path) decodes the same way
      const { codec, input } = grpcCodec(type);
      assert.deepEqual(norm(codec.decodeRequest(toBinary(input, create(input, sample.wire as never)))), norm(sample.app));
    });
  }

  for (const type of RESPONSE_TYPES) {
    it(`Response.${type}: encoded from the application's value`, () => {
      const sample = RESPONSES[type];
      const decoded = decodeResponse(encodeResponse({ type, value: sample.app } as AbciResponse));
      assert.equal(decoded.type, type);
      const expected = norm(create(sample.schema, sample.wire as never));
      assert.deepEqual(norm(decoded.value), expected);
      if (type !== 'exception') {
        const { codec, output } = grpcCodec(type);
        assert.deepEqual(norm(fromBinary(output, codec.encodeResponse(sample.app as never))), expected);
      }
    });
  }

  it('writes proto3 defaults for absent response fields (nothing on the wire)', () => {
    // Response.check_tx(9) holding an empty message
    assert.equal(toHex(encodeResponse({ type: 'checkTx', value: { code: 0 } })), '4a00');
  });

  it('round-trips extreme int64/uint64 values', () => {
    for (const h of [0n, 1n, -1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      const d = decodeRequest(encodeRequest({ type: 'endBlock', value: { height: h } }));
      assert.equal(d.type === 'endBlock' && d.value.height, h);
    }
    for (const v of [2n ** 64n - 1n, 2n ** 63n, 2n ** 32n]) {
      const d = decodeRequest(encodeRequest({ type: 'info', value: { blockVersion: v } }));
      assert.equal(d.type === 'info' && d.value.blockVersion, v);
    }
  });

  it('adds the uvarint length prefix in encodeResponseFrame', () => {
    const body = encodeResponse({ type: 'echo', value: { message: 'x'.repeat(200) } });
    const frame = Buffer.concat(encodeResponseFrame({ type: 'echo', value: { message: 'x'.repeat(200) } }));
    // 200-char message -> body > 127 bytes -> 2-byte varint
    assert.equal(frame.length, body.length + 2);
    assert.equal(frame[0], (body.length & 0x7f) | 0x80);
    assert.equal(frame[1], body.length >> 7);
    assert.equal(toHex(frame.subarray(2)), toHex(body));
    assert.equal(toHex(Buffer.concat(encodeResponseFrame({ type: 'flush', value: {} }))), '021a00');
    // a large response comes as [length, message]: the message is not copied
    const chunk = { type: 'loadSnapshotChunk', value: { chunk: new Uint8Array(100_000) } } as const;
    const big = encodeResponseFrame(chunk);
    assert.equal(big.length, 2);
    assert.equal(toHex(Buffer.concat(big)), toHex(lengthPrefixed(encodeResponse(chunk))));
  });
});

describe('abci codec: wire bytes match CometBFT field numbers', () => {
  it('decodes a RequestInfo built by hand', () => {
    // Request{info(3): {version(1)="0.38.25", block_version(2)=11, p2p_version(3)=8, abci_version(4)="2.0.0"}}
    const inner = '0a07' + Buffer.from('0.38.25').toString('hex') + '100b' + '1808' + '2205' + Buffer.from('2.0.0').toString('hex');
    const bytes = hex('1a' + (inner.length / 2).toString(16).padStart(2, '0') + inner);
    assert.deepEqual(decodeRequest(bytes), {
      type: 'info',
      value: { version: '0.38.25', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' },
    });
  });

  it('maps v0.38 block_id_flag (3) and v0.37 signed_last_block (2)', () => {
    const validator = '0a0101' + '180a'; // address(1)=01, power(3)=10
    const v038 = '0a05' + validator + '1803'; // block_id_flag(3) = NIL
    const v037signed = '0a05' + validator + '1001'; // signed_last_block(2) = true
    const v037absent = '0a05' + validator; // signed_last_block false (default)
    const commitInfo = (vote: string): string => {
      const ci = '0801' + '12' + (vote.length / 2).toString(16).padStart(2, '0') + vote;
      return '12' + (ci.length / 2).toString(16).padStart(2, '0') + ci;
    };
    for (const [vote, flag] of [
      [v038, 'nil'],
      [v037signed, 'commit'],
      [v037absent, 'absent'],
    ] as const) {
      // RequestFinalizeBlock{decided_last_commit(2), height(5)=7}, Request field 20 (tag a201)
      const fb = commitInfo(vote) + '2807';
      const d = decodeRequest(hex('a201' + (fb.length / 2).toString(16).padStart(2, '0') + fb));
      assert.equal(d.type, 'finalizeBlock');
      if (d.type !== 'finalizeBlock') return;
      assert.equal(d.value.height, 7n);
      assert.equal(d.value.decidedLastCommit.round, 1);
      assert.equal(d.value.decidedLastCommit.votes[0]?.blockIdFlag, flag);
      assert.equal(d.value.decidedLastCommit.votes[0]?.validator.power, 10n);
      // v0.37 BeginBlock carries the same CommitInfo as last_commit_info(3): Request field 7
      const bb = '1a' + commitInfo(vote).slice(2);
      const d37 = decodeRequest(hex('3a' + (bb.length / 2).toString(16).padStart(2, '0') + bb));
      assert.equal(d37.type === 'beginBlock' && d37.value.lastCommitInfo.votes[0]?.blockIdFlag, flag);
    }
  });

  it('writes v0.37 ResponseCommit.data at field 2 and retain_height at 3', () => {
    const bytes = encodeResponse({ type: 'commit', value: { retainHeight: 5n, data: b(0xaa, 0xbb) } });
    assert.equal(toHex(bytes), '6206' + '1202aabb' + '1805');
    // v0.38: no data
    assert.equal(toHex(encodeResponse({ type: 'commit', value: { retainHeight: 0n } })), '6200');
  });

  it('writes ExecTxResult gas fields (5, 6) and FinalizeBlock app_hash (5)', () => {
    const bytes = encodeResponse({
      type: 'finalizeBlock',
      value: { txResults: [{ code: 1, gasWanted: 2n, gasUsed: 3n }], appHash: b(0xcc) },
    });
    // Response field 21 (tag aa01) { tx_results(2) {code(1)=1, gas_wanted(5)=2, gas_used(6)=3}, app_hash(5)=cc }
    assert.equal(toHex(bytes), 'aa01' + '0b' + '1206' + '0801' + '2802' + '3003' + '2a01cc');
  });

  it('writes negative int64 as a 10-byte varint (ConsensusParams.block.max_gas = -1)', () => {
    const bytes = encodeResponse({
      type: 'initChain',
      value: { consensusParams: { block: { maxBytes: 1n, maxGas: -1n } } },
    });
    // Response.init_chain(6) { consensus_params(1) { block(1) { max_bytes(1)=1, max_gas(2)=-1 } } }
    assert.equal(toHex(bytes), '3211' + '0a0f' + '0a0d' + '0801' + '10ffffffffffffffffff01');
  });

  it('writes ValidatorUpdate pub_key oneof ed25519(1) / secp256k1(2) and power(2)', () => {
    const bytes = encodeResponse({
      type: 'endBlock',
      value: { validatorUpdates: [{ pubKey: { secp256k1: b(2, 3) }, power: 9n }] },
    });
    // Response.end_block(11) { validator_updates(1) { pub_key(1) { secp256k1(2) }, power(2)=9 } }
    assert.equal(toHex(bytes), '5a0a' + '0a08' + '0a04' + '12020203' + '1009');
  });

  it('encodes processProposal / verifyVoteExtension status enums as CometBFT numbers', () => {
    assert.equal(toHex(encodeResponse({ type: 'processProposal', value: { status: 'accept' } })), '92010208' + '01');
    assert.equal(toHex(encodeResponse({ type: 'verifyVoteExtension', value: { status: 'reject' } })), 'a20102' + '0802');
  });
});

describe('abci codec: decoding is cheap and safe', () => {
  it('returns tx bytes as views into the frame (no copy)', () => {
    const txs = Array.from({ length: 1000 }, (_, i) => new Uint8Array(100).fill(i & 0xff));
    const frame = Buffer.from(
      encodeRequest({
        type: 'finalizeBlock',
        value: { ...REQUESTS.finalizeBlock.wire, txs },
      }),
    );
    const d = decodeRequest(frame);
    assert.equal(d.type, 'finalizeBlock');
    if (d.type !== 'finalizeBlock') return;
    assert.equal(d.value.txs.length, 1000);
    for (let i = 0; i < 1000; i += 97) {
      const tx = d.value.txs[i] as Uint8Array;
      assert.equal(tx.buffer, frame.buffer, 'tx must share the frame buffer');
      assert.equal(toHex(tx), toHex(txs[i] as Uint8Array));
    }
  });

  it('decodes a 10,000-tx FinalizeBlock (~1.2 MB)', () => {
    const txs = Array.from({ length: 10_000 }, (_, i) => new Uint8Array(120).fill(i & 0xff));
    const frame = encodeRequest({ type: 'finalizeBlock', value: { ...REQUESTS.finalizeBlock.wire, txs } });
    assert.ok(frame.length > 1_200_000);
    const d = decodeRequest(frame);
    assert.equal(d.type === 'finalizeBlock' && d.value.txs.length, 10_000);
  });

  it('rejects garbage with AbciDecodeError', () => {
    for (const bad of [hex('ff'), hex('1a05'), hex('0a'), hex(''), hex('a201ff'), hex('0000')]) {
      assert.throws(() => decodeRequest(bad), AbciDecodeError, toHex(bad));
    }
  });

  it('rejects an out-of-range enum value', () => {
    // Request.check_tx(8) { type(2) = 7 }
    assert.throws(() => decodeRequest(hex('42021007')), AbciDecodeError);
  });

  it('refuses to encode an invalid enum from the application', () => {
    assert.throws(() => encodeResponse({ type: 'processProposal', value: { status: 'maybe' as 'accept' } }), /invalid ProposalStatus/);
  });
});
