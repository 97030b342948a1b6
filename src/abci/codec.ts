/**
 * Wire codec: CometBFT ABCI protobuf bytes <-> the application's types
 * (types.ts), in the two directions the servers need: requests in, responses
 * out.
 *
 * The messages and their binary codec are generated from our `proto/` tree (a
 * union of CometBFT v0.37 and v0.38 `tendermint.abci`) into `./gen/` by
 * protoc-gen-es (`npm run generate:abci`); @bufbuild/protobuf reads and writes
 * them. This module only maps generated messages to the application's view
 * and back (string enums, filled defaults, v0.37's vote flag), and the
 * compiler checks that mapping against the generated types. Tests that need
 * the other directions (encode a request, decode a response) use the
 * generated codec directly (test/support/abci-wire.ts).
 *
 * Performance notes:
 * - bytes fields (txs above all) are decoded as views into the input buffer,
 *   never copied (protobuf-es's BinaryReader.bytes() is a subarray): a
 *   10,000-tx FinalizeBlock costs one `subarray` per tx, and the decoded
 *   `txs` array is handed to the application as it is.
 * - Responses are built as complete generated messages by hand (object
 *   literals the compiler checks field by field), not through `create()`,
 *   which would walk every field of the 10,000 results of a block again.
 *   bench/abci-wire.ts measures both directions.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, Message, MessageShape } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import * as pb from './gen/tendermint/abci/types_pb.js';
import { PublicKeySchema, type PublicKey as WirePublicKey } from './gen/tendermint/crypto/keys_pb.js';
import { ProofOpsSchema } from './gen/tendermint/crypto/proof_pb.js';
import { ConsensusParamsSchema, type ConsensusParams as WireConsensusParams } from './gen/tendermint/types/params_pb.js';
import type { Header as WireHeader } from './gen/tendermint/types/types_pb.js';
import { BlockIDFlag } from './gen/tendermint/types/validator_pb.js';
import type {
  BlockIdFlag,
  CheckTxType,
  CommitInfo,
  ConsensusParams,
  Event,
  ExecTxResult,
  ExtendedCommitInfo,
  Header,
  Misbehavior,
  MisbehaviorType,
  Plain,
  PublicKey,
  RequestApplySnapshotChunk,
  RequestBeginBlock,
  RequestCheckTx,
  RequestCommit,
  RequestDeliverTx,
  RequestEcho,
  RequestEndBlock,
  RequestExtendVote,
  RequestFinalizeBlock,
  RequestFlush,
  RequestInfo,
  RequestInitChain,
  RequestListSnapshots,
  RequestLoadSnapshotChunk,
  RequestOfferSnapshot,
  RequestPrepareProposal,
  RequestProcessProposal,
  RequestQuery,
  RequestVerifyVoteExtension,
  ResponseApplySnapshotChunk,
  ResponseBeginBlock,
  ResponseCheckTx,
  ResponseDeliverTx,
  ResponseEcho,
  ResponseEndBlock,
  ResponseExtendVote,
  ResponseFinalizeBlock,
  ResponseFlush,
  ResponseInfo,
  ResponseInitChain,
  ResponseListSnapshots,
  ResponseLoadSnapshotChunk,
  ResponseOfferSnapshot,
  ResponsePrepareProposal,
  ResponseProcessProposal,
  ResponseQuery,
  ResponseVerifyVoteExtension,
  Snapshot,
  Timestamp,
  Validator,
  ValidatorUpdate,
} from './types.js';

// ---------------------------------------------------------------------------
// Requests and responses as the servers pass them around

export interface ResponseException {
  error: string;
}

/**
 * ResponseCommit as it travels: v0.38 reads `retainHeight` only; v0.37 also
 * reads the app hash from `data`.
 */
export interface ResponseCommitWire {
  retainHeight: bigint;
  data?: Uint8Array;
}

/** The application's type of each `tendermint.abci.Request` oneof case. */
export interface RequestMap {
  echo: RequestEcho;
  flush: RequestFlush;
  info: RequestInfo;
  initChain: RequestInitChain;
  query: RequestQuery;
  beginBlock: RequestBeginBlock;
  checkTx: RequestCheckTx;
  deliverTx: RequestDeliverTx;
  endBlock: RequestEndBlock;
  commit: RequestCommit;
  listSnapshots: RequestListSnapshots;
  offerSnapshot: RequestOfferSnapshot;
  loadSnapshotChunk: RequestLoadSnapshotChunk;
  applySnapshotChunk: RequestApplySnapshotChunk;
  prepareProposal: RequestPrepareProposal;
  processProposal: RequestProcessProposal;
  extendVote: RequestExtendVote;
  verifyVoteExtension: RequestVerifyVoteExtension;
  finalizeBlock: RequestFinalizeBlock;
}

/** The application's type of each `tendermint.abci.Response` oneof case. */
export interface ResponseMap {
  exception: ResponseException;
  echo: ResponseEcho;
  flush: ResponseFlush;
  info: ResponseInfo;
  initChain: ResponseInitChain;
  query: ResponseQuery;
  beginBlock: ResponseBeginBlock;
  checkTx: ResponseCheckTx;
  deliverTx: ResponseDeliverTx;
  endBlock: ResponseEndBlock;
  commit: ResponseCommitWire;
  listSnapshots: ResponseListSnapshots;
  offerSnapshot: ResponseOfferSnapshot;
  loadSnapshotChunk: ResponseLoadSnapshotChunk;
  applySnapshotChunk: ResponseApplySnapshotChunk;
  prepareProposal: ResponsePrepareProposal;
  processProposal: ResponseProcessProposal;
  extendVote: ResponseExtendVote;
  verifyVoteExtension: ResponseVerifyVoteExtension;
  finalizeBlock: ResponseFinalizeBlock;
}

/** The generated oneof cases; RequestMap / ResponseMap must name exactly these. */
type WireRequest = Exclude<pb.Request['value'], { case: undefined }>;
type WireResponse = Exclude<pb.Response['value'], { case: undefined }>;
export type RequestType = WireRequest['case'];
export type ResponseType = WireResponse['case'];
type WireRequestOf<K extends RequestType> = Extract<WireRequest, { case: K }>['value'];
type WireResponseOf<K extends ResponseType> = Extract<WireResponse, { case: K }>['value'];

/** A decoded `tendermint.abci.Request`: the oneof case and its message. */
export type AbciRequest = { [K in RequestType]: { type: K; value: RequestMap[K] } }[RequestType];
/** A `tendermint.abci.Response`: the oneof case and its message. */
export type AbciResponse = { [K in ResponseType]: { type: K; value: ResponseMap[K] } }[ResponseType];

/** Thrown for bytes that are not a valid message of the expected type. */
export class AbciDecodeError extends Error {
  override readonly name = 'AbciDecodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------
// Enums: the application sees lower-case names (types.ts)

/** Number -> name table of one enum; `names[n]` is the name of value n. */
function enumNames<N extends string>(what: string, names: readonly N[]) {
  return {
    name(n: number): N {
      const name = names[n];
      if (name === undefined) throw new AbciDecodeError(`unknown ${what} value ${n}`);
      return name;
    },
    number(name: N): number {
      const n = names.indexOf(name);
      if (n < 0) throw new TypeError(`invalid ${what}: ${String(name)}`);
      return n;
    },
  };
}

const BLOCK_ID_FLAG = enumNames<BlockIdFlag>('BlockIDFlag', ['unknown', 'absent', 'commit', 'nil']);
const CHECK_TX_TYPE = enumNames<CheckTxType>('CheckTxType', ['new', 'recheck']);
const MISBEHAVIOR_TYPE = enumNames<MisbehaviorType>('MisbehaviorType', ['unknown', 'duplicate_vote', 'light_client_attack']);
const PROPOSAL_STATUS = enumNames<ResponseProcessProposal['status']>('ProposalStatus', ['unknown', 'accept', 'reject']);
const VERIFY_STATUS = enumNames<ResponseVerifyVoteExtension['status']>('VerifyStatus', ['unknown', 'accept', 'reject']);
const OFFER_RESULT = enumNames<ResponseOfferSnapshot['result']>('OfferSnapshot result', ['unknown', 'accept', 'abort', 'reject', 'reject_format', 'reject_sender']);
const APPLY_RESULT = enumNames<ResponseApplySnapshotChunk['result']>('ApplySnapshotChunk result', ['unknown', 'accept', 'abort', 'retry', 'retry_snapshot', 'reject_snapshot']);

// ---------------------------------------------------------------------------
// Requests: generated message -> application type

const EMPTY_BYTES = new Uint8Array(0);
const ZERO_TIME: Timestamp = { seconds: 0n, nanos: 0 };

/** The fields of a generated message, without protobuf-es's `$typeName` / `$unknown`. */
function plain<M extends Message>(m: M): Plain<M> {
  const { $typeName, $unknown, ...fields } = m;
  return fields;
}

function time(t: Timestamp | undefined): Timestamp {
  return t === undefined ? ZERO_TIME : { seconds: t.seconds, nanos: t.nanos };
}

function validator(v: pb.Validator | undefined): Validator {
  return v === undefined ? { address: EMPTY_BYTES, power: 0n } : { address: v.address, power: v.power };
}

/** v0.38 sends block_id_flag; v0.37 signed_last_block instead: true -> 'commit', false -> 'absent'. */
function voteFlag(v: { blockIdFlag: BlockIDFlag; signedLastBlock: boolean }): BlockIdFlag {
  if (v.blockIdFlag !== BlockIDFlag.BLOCK_ID_FLAG_UNKNOWN) return BLOCK_ID_FLAG.name(v.blockIdFlag);
  return v.signedLastBlock ? 'commit' : 'absent';
}

function commitInfo(c: pb.CommitInfo | undefined): CommitInfo {
  if (c === undefined) return { round: 0, votes: [] };
  return { round: c.round, votes: c.votes.map((v) => ({ validator: validator(v.validator), blockIdFlag: voteFlag(v) })) };
}

function extendedCommitInfo(c: pb.ExtendedCommitInfo | undefined): ExtendedCommitInfo {
  if (c === undefined) return { round: 0, votes: [] };
  return {
    round: c.round,
    votes: c.votes.map((v) => ({
      validator: validator(v.validator),
      blockIdFlag: voteFlag(v),
      voteExtension: v.voteExtension,
      extensionSignature: v.extensionSignature,
    })),
  };
}

function misbehavior(list: pb.Misbehavior[]): Misbehavior[] {
  return list.map((m) => ({
    type: MISBEHAVIOR_TYPE.name(m.type),
    validator: validator(m.validator),
    height: m.height,
    time: time(m.time),
    totalVotingPower: m.totalVotingPower,
  }));
}

function publicKey(k: WirePublicKey | undefined): PublicKey {
  switch (k?.sum.case) {
    case 'ed25519':
      return { ed25519: k.sum.value };
    case 'secp256k1':
      return { secp256k1: k.sum.value };
    default:
      return {};
  }
}

function consensusParams(p: WireConsensusParams | undefined): ConsensusParams | undefined {
  if (p === undefined) return undefined;
  const out: ConsensusParams = {};
  if (p.block) out.block = plain(p.block);
  if (p.evidence) out.evidence = { ...plain(p.evidence), maxAgeDuration: time(p.evidence.maxAgeDuration) };
  if (p.validator) out.validator = plain(p.validator);
  if (p.version) out.version = plain(p.version);
  if (p.abci) out.abci = plain(p.abci);
  return out;
}

function header(h: WireHeader | undefined): Header {
  const id = h?.lastBlockId;
  return {
    version: h?.version === undefined ? { block: 0n, app: 0n } : plain(h.version),
    chainId: h?.chainId ?? '',
    height: h?.height ?? 0n,
    time: time(h?.time),
    lastBlockId: {
      hash: id?.hash ?? EMPTY_BYTES,
      partSetHeader: id?.partSetHeader === undefined ? { total: 0, hash: EMPTY_BYTES } : plain(id.partSetHeader),
    },
    lastCommitHash: h?.lastCommitHash ?? EMPTY_BYTES,
    dataHash: h?.dataHash ?? EMPTY_BYTES,
    validatorsHash: h?.validatorsHash ?? EMPTY_BYTES,
    nextValidatorsHash: h?.nextValidatorsHash ?? EMPTY_BYTES,
    consensusHash: h?.consensusHash ?? EMPTY_BYTES,
    appHash: h?.appHash ?? EMPTY_BYTES,
    lastResultsHash: h?.lastResultsHash ?? EMPTY_BYTES,
    evidenceHash: h?.evidenceHash ?? EMPTY_BYTES,
    proposerAddress: h?.proposerAddress ?? EMPTY_BYTES,
  };
}

/**
 * Per request type, the generated message -> the application's request.
 * Messages the application sees as they travel (types.ts `Plain<...>`) only
 * lose protobuf-es's bookkeeping fields.
 */
const REQUEST_FROM_WIRE: { [K in RequestType]: (m: WireRequestOf<K>) => RequestMap[K] } = {
  echo: plain,
  flush: () => ({}),
  info: plain,
  initChain: (m) => {
    const out: RequestInitChain = {
      time: time(m.time),
      chainId: m.chainId,
      validators: m.validators.map((v) => ({ pubKey: publicKey(v.pubKey), power: v.power })),
      appStateBytes: m.appStateBytes,
      initialHeight: m.initialHeight,
    };
    const cp = consensusParams(m.consensusParams);
    if (cp !== undefined) out.consensusParams = cp;
    return out;
  },
  query: plain,
  beginBlock: (m) => ({
    hash: m.hash,
    header: header(m.header),
    lastCommitInfo: commitInfo(m.lastCommitInfo),
    byzantineValidators: misbehavior(m.byzantineValidators),
  }),
  checkTx: (m) => ({ tx: m.tx, type: CHECK_TX_TYPE.name(m.type) }),
  deliverTx: plain,
  endBlock: plain,
  commit: () => ({}),
  listSnapshots: () => ({}),
  offerSnapshot: (m) => {
    const out: RequestOfferSnapshot = { appHash: m.appHash };
    if (m.snapshot !== undefined) out.snapshot = plain(m.snapshot);
    return out;
  },
  loadSnapshotChunk: plain,
  applySnapshotChunk: plain,
  prepareProposal: (m) => ({
    maxTxBytes: m.maxTxBytes,
    txs: m.txs,
    localLastCommit: extendedCommitInfo(m.localLastCommit),
    misbehavior: misbehavior(m.misbehavior),
    height: m.height,
    time: time(m.time),
    nextValidatorsHash: m.nextValidatorsHash,
    proposerAddress: m.proposerAddress,
  }),
  processProposal: (m) => ({
    txs: m.txs,
    proposedLastCommit: commitInfo(m.proposedLastCommit),
    misbehavior: misbehavior(m.misbehavior),
    hash: m.hash,
    height: m.height,
    time: time(m.time),
    nextValidatorsHash: m.nextValidatorsHash,
    proposerAddress: m.proposerAddress,
  }),
  extendVote: (m) => ({
    hash: m.hash,
    height: m.height,
    time: time(m.time),
    txs: m.txs,
    proposedLastCommit: commitInfo(m.proposedLastCommit),
    misbehavior: misbehavior(m.misbehavior),
    nextValidatorsHash: m.nextValidatorsHash,
    proposerAddress: m.proposerAddress,
  }),
  verifyVoteExtension: plain,
  finalizeBlock: (m) => ({
    txs: m.txs,
    decidedLastCommit: commitInfo(m.decidedLastCommit),
    misbehavior: misbehavior(m.misbehavior),
    hash: m.hash,
    height: m.height,
    time: time(m.time),
    nextValidatorsHash: m.nextValidatorsHash,
    proposerAddress: m.proposerAddress,
  }),
};

// ---------------------------------------------------------------------------
// Responses: application type -> generated message

function eventToWire(e: Event): pb.Event {
  const attributes = new Array<pb.EventAttribute>(e.attributes.length);
  for (let i = 0; i < attributes.length; i++) {
    const a = e.attributes[i]!;
    attributes[i] = { $typeName: 'tendermint.abci.EventAttribute', key: a.key, value: a.value, index: a.index === true };
  }
  return { $typeName: 'tendermint.abci.Event', type: e.type, attributes };
}

function eventsToWire(events: Event[] | undefined): pb.Event[] {
  return events === undefined || events.length === 0 ? [] : events.map(eventToWire);
}

/** ExecTxResult, v0.37's ResponseDeliverTx and ResponseCheckTx have the same fields: `M` says which to build. */
function execTxResultToWire<M extends pb.ExecTxResult | pb.ResponseCheckTx | pb.ResponseDeliverTx>(r: ExecTxResult, $typeName: M['$typeName']): M {
  const m: Omit<pb.ExecTxResult, '$typeName'> & { $typeName: M['$typeName'] } = {
    $typeName,
    code: r.code,
    data: r.data ?? EMPTY_BYTES,
    log: r.log ?? '',
    info: r.info ?? '',
    gasWanted: r.gasWanted ?? 0n,
    gasUsed: r.gasUsed ?? 0n,
    events: eventsToWire(r.events),
    codespace: r.codespace ?? '',
  };
  return m as M;
}

function publicKeyToWire(k: PublicKey): WirePublicKey {
  if (k.ed25519 !== undefined) return create(PublicKeySchema, { sum: { case: 'ed25519', value: k.ed25519 } });
  if (k.secp256k1 !== undefined) return create(PublicKeySchema, { sum: { case: 'secp256k1', value: k.secp256k1 } });
  return create(PublicKeySchema);
}

function validatorUpdatesToWire(list: ValidatorUpdate[] | undefined): pb.ValidatorUpdate[] {
  return (list ?? []).map((v) => create(pb.ValidatorUpdateSchema, { pubKey: publicKeyToWire(v.pubKey), power: v.power }));
}

function consensusParamsToWire(p: ConsensusParams | undefined): WireConsensusParams | undefined {
  if (p === undefined) return undefined;
  const { evidence, ...rest } = p;
  return create(ConsensusParamsSchema, {
    ...rest,
    ...(evidence === undefined ? {} : { evidence: { ...evidence, maxAgeDuration: create(DurationSchema, evidence.maxAgeDuration) } }),
  });
}

function snapshotToWire(s: Snapshot): pb.Snapshot {
  return create(pb.SnapshotSchema, s);
}

const RESPONSE_TO_WIRE: { [K in ResponseType]: (v: ResponseMap[K]) => WireResponseOf<K> } = {
  exception: (v) => create(pb.ResponseExceptionSchema, v),
  echo: (v) => create(pb.ResponseEchoSchema, v),
  flush: () => create(pb.ResponseFlushSchema, {}),
  info: (v) => create(pb.ResponseInfoSchema, v),
  initChain: (v) =>
    create(pb.ResponseInitChainSchema, {
      consensusParams: consensusParamsToWire(v.consensusParams),
      validators: validatorUpdatesToWire(v.validators),
      appHash: v.appHash ?? EMPTY_BYTES,
    }),
  query: (v) => {
    const { proofOps, ...rest } = v;
    return create(pb.ResponseQuerySchema, {
      ...rest,
      ...(proofOps === undefined ? {} : { proofOps: create(ProofOpsSchema, proofOps) }),
    });
  },
  beginBlock: (v) => create(pb.ResponseBeginBlockSchema, { events: eventsToWire(v.events) }),
  checkTx: (v) => execTxResultToWire<pb.ResponseCheckTx>(v, 'tendermint.abci.ResponseCheckTx'),
  deliverTx: (v) => execTxResultToWire<pb.ResponseDeliverTx>(v, 'tendermint.abci.ResponseDeliverTx'),
  endBlock: (v) =>
    create(pb.ResponseEndBlockSchema, {
      validatorUpdates: validatorUpdatesToWire(v.validatorUpdates),
      consensusParamUpdates: consensusParamsToWire(v.consensusParamUpdates),
      events: eventsToWire(v.events),
    }),
  commit: (v) => create(pb.ResponseCommitSchema, { retainHeight: v.retainHeight, data: v.data ?? EMPTY_BYTES }),
  listSnapshots: (v) => create(pb.ResponseListSnapshotsSchema, { snapshots: v.snapshots.map(snapshotToWire) }),
  offerSnapshot: (v) => create(pb.ResponseOfferSnapshotSchema, { result: OFFER_RESULT.number(v.result) }),
  loadSnapshotChunk: (v) => create(pb.ResponseLoadSnapshotChunkSchema, v),
  applySnapshotChunk: (v) =>
    create(pb.ResponseApplySnapshotChunkSchema, {
      result: APPLY_RESULT.number(v.result),
      refetchChunks: v.refetchChunks ?? [],
      rejectSenders: v.rejectSenders ?? [],
    }),
  prepareProposal: (v) => create(pb.ResponsePrepareProposalSchema, v),
  processProposal: (v) => create(pb.ResponseProcessProposalSchema, { status: PROPOSAL_STATUS.number(v.status) }),
  extendVote: (v) => create(pb.ResponseExtendVoteSchema, v),
  verifyVoteExtension: (v) => create(pb.ResponseVerifyVoteExtensionSchema, { status: VERIFY_STATUS.number(v.status) }),
  finalizeBlock: (v) => {
    const txResults = new Array<pb.ExecTxResult>(v.txResults.length);
    for (let i = 0; i < txResults.length; i++) txResults[i] = execTxResultToWire<pb.ExecTxResult>(v.txResults[i]!, 'tendermint.abci.ExecTxResult');
    return {
      $typeName: 'tendermint.abci.ResponseFinalizeBlock',
      events: eventsToWire(v.events),
      txResults,
      validatorUpdates: validatorUpdatesToWire(v.validatorUpdates),
      consensusParamUpdates: consensusParamsToWire(v.consensusParamUpdates),
      appHash: v.appHash,
    };
  },
};

// ---------------------------------------------------------------------------
// Public encode / decode

function decodeWith<Desc extends DescMessage>(schema: Desc, buf: Uint8Array): MessageShape<Desc> {
  try {
    return fromBinary(schema, buf);
  } catch (err) {
    const name = schema.typeName.slice('tendermint.abci.'.length);
    throw new AbciDecodeError(`malformed ${name}: ${(err as Error).message}`, { cause: err });
  }
}

function requestFromWire<K extends RequestType>(type: K, m: WireRequestOf<K>): AbciRequest {
  return { type, value: REQUEST_FROM_WIRE[type](m) } as AbciRequest;
}

/** Decodes a `tendermint.abci.Request` (without length prefix). Throws AbciDecodeError. */
export function decodeRequest(buf: Uint8Array): AbciRequest {
  const { value } = decodeWith(pb.RequestSchema, buf);
  if (value.case === undefined) throw new AbciDecodeError('request has no known type');
  return requestFromWire(value.case, value.value);
}

function responseToWire(res: AbciResponse): pb.Response {
  const toWire = RESPONSE_TO_WIRE[res.type] as (v: AbciResponse['value']) => WireResponse['value'];
  return { $typeName: 'tendermint.abci.Response', value: { case: res.type, value: toWire(res.value) } as WireResponse };
}

/** Encodes a Response (no length prefix). Throws TypeError on an invalid value. */
export function encodeResponse(res: AbciResponse): Uint8Array {
  return toBinary(pb.ResponseSchema, responseToWire(res));
}

/** Below this size a frame is one buffer (a copy is cheaper than a second socket write). */
const ONE_BUFFER_FRAME_BYTES = 64 * 1024;

/**
 * Encodes a Response for the socket: its length as an unsigned varint, then
 * the message. A large message (a block's results) comes back as a second
 * buffer to write after the first, so it is not copied behind its length.
 * Throws TypeError on an invalid value.
 */
export function encodeResponseFrame(res: AbciResponse): Uint8Array[] {
  const body = encodeResponse(res);
  if (body.length >= ONE_BUFFER_FRAME_BYTES) return [varint(body.length), body];
  const frame = Buffer.allocUnsafe(varintSize(body.length) + body.length);
  const at = writeVarint(frame, body.length);
  frame.set(body, at);
  return [frame];
}

/** `n` (a length, < 2^53) as an unsigned varint: the socket framing's length prefix. */
export function varint(n: number): Uint8Array {
  const out = Buffer.allocUnsafe(varintSize(n));
  writeVarint(out, n);
  return out;
}

function varintSize(n: number): number {
  let size = 1;
  for (; n >= 0x80; n = Math.floor(n / 0x80)) size++;
  return size;
}

/** Writes `n` as an unsigned varint at the start of `out`; returns the bytes written. */
function writeVarint(out: Uint8Array, n: number): number {
  let i = 0;
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out[i++] = (n % 0x80) | 0x80;
  out[i++] = n;
  return i;
}

/**
 * Server side of one gRPC method: its bare request message in, its bare
 * response message out (gRPC carries no Request/Response envelope).
 */
export interface MethodCodec<K extends RequestType & ResponseType> {
  decodeRequest(buf: Uint8Array): RequestMap[K];
  encodeResponse(value: ResponseMap[K]): Uint8Array;
}

/** The server-side codec of the gRPC method whose request/response case is `type`. */
export function methodCodec<K extends RequestType & ResponseType>(type: K, requestSchema: DescMessage, responseSchema: DescMessage): MethodCodec<K> {
  const fromWire = REQUEST_FROM_WIRE[type] as (m: unknown) => RequestMap[K];
  const toWire = RESPONSE_TO_WIRE[type] as (v: ResponseMap[K]) => MessageShape<DescMessage>;
  return {
    decodeRequest: (buf) => fromWire(decodeWith(requestSchema, buf)),
    encodeResponse: (value) => toBinary(responseSchema, toWire(value)),
  };
}
