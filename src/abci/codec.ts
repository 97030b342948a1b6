/**
 * Wire codec: CometBFT ABCI protobuf bytes <-> the plain TS types of types.ts.
 *
 * The schema is our own `proto/` tree (a union of CometBFT v0.37 and v0.38
 * `tendermint.abci`), loaded once with protobufjs; protobufjs generates the
 * per-type decoders/encoders, and this module converts between its message
 * objects and our types.
 *
 * Performance notes:
 * - bytes fields (txs above all) are decoded as views into the input buffer,
 *   never copied: a 10,000-tx FinalizeBlock costs one `subarray` per tx.
 * - int64s are converted once per field (Long -> bigint); there are none per
 *   tx in requests. On encode, a bigint in the safe-integer range is written as
 *   a number (fast path), anything else as {low, high} bits.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type {
  BlockId,
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
  ProofOps,
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
  VoteInfo,
} from './types.js';

// ---------------------------------------------------------------------------
// Wire-level unions

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

export type RequestType = keyof RequestMap;
export type ResponseType = keyof ResponseMap;

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
// Schema loading

/** Finds the repository's `proto/` directory from this module (src/ or dist/src/). */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'tendermint', 'abci', 'types.proto'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('cannot find proto/tendermint/abci/types.proto above ' + fileURLToPath(import.meta.url));
}

/** The ABCI entry file, relative to protoDir(). */
export const ABCI_PROTO_FILE = 'tendermint/abci/types.proto';

function loadRoot(): protobuf.Root {
  const base = protoDir();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => join(base, target);
  root.loadSync(ABCI_PROTO_FILE, { keepCase: false });
  root.resolveAll();
  return root;
}

let cachedRoot: protobuf.Root | undefined;
/** The loaded schema (loaded on first use, then cached). */
export function abciRoot(): protobuf.Root {
  cachedRoot ??= loadRoot();
  return cachedRoot;
}

const typeCache = new Map<string, protobuf.Type>();
function pbType(name: string): protobuf.Type {
  let t = typeCache.get(name);
  if (t === undefined) {
    t = abciRoot().lookupType(name);
    typeCache.set(name, t);
  }
  return t;
}

// ---------------------------------------------------------------------------
// Scalar helpers

// protobufjs message objects are dynamically shaped; this alias is internal only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Pb = any;

const EMPTY_BYTES = new Uint8Array(0);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

interface LongLike {
  low: number;
  high: number;
}

/** int64 from protobufjs (number or Long) -> bigint. */
function i64(v: number | LongLike | null | undefined): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  if (v.high === 0) return BigInt(v.low >>> 0);
  return (BigInt(v.high | 0) << 32n) | BigInt(v.low >>> 0);
}

/** uint64 from protobufjs (number or Long) -> bigint. */
function u64(v: number | LongLike | null | undefined): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  if (v.high === 0) return BigInt(v.low >>> 0);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

/** bigint (or a plain integer number) -> what protobufjs' writer takes for int64/uint64. */
function out64(v: bigint | number | undefined | null): number | LongLike | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`expected an integer, got ${v}`);
    return v;
  }
  if (v >= MIN_SAFE && v <= MAX_SAFE) return Number(v);
  return { low: Number(BigInt.asIntN(32, v)), high: Number(BigInt.asIntN(32, v >> 32n)) };
}

/** protobufjs leaves absent/empty bytes fields at a prototype default that is a plain `[]`. */
function bytes(v: Uint8Array | null | undefined): Uint8Array {
  return v instanceof Uint8Array ? v : EMPTY_BYTES;
}

function str(v: string | null | undefined): string {
  return v ?? '';
}

function list<T>(v: T[] | null | undefined): T[] {
  return v === undefined || v === null || v.length === 0 ? [] : v;
}

/** repeated bytes: protobufjs already yields Uint8Array views; only empty elements need fixing. */
function bytesList(v: Uint8Array[] | null | undefined): Uint8Array[] {
  if (v === undefined || v === null || v.length === 0) return [];
  for (let i = 0; i < v.length; i++) if (!(v[i] instanceof Uint8Array)) v[i] = EMPTY_BYTES;
  return v;
}

function mapList<S, T>(v: S[] | null | undefined, f: (s: S) => T): T[] {
  if (v === undefined || v === null || v.length === 0) return [];
  const out = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = f(v[i] as S);
  return out;
}

function mapOut<S, T>(v: S[] | undefined, f: (s: S) => T): T[] | undefined {
  if (v === undefined || v.length === 0) return undefined;
  const out = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = f(v[i] as S);
  return out;
}

function enumIn<T extends string>(names: readonly T[], v: number | null | undefined, what: string): T {
  const name = names[v ?? 0];
  if (name === undefined) throw new AbciDecodeError(`unknown ${what} value ${String(v)}`);
  return name;
}

function enumOut<T extends string>(names: readonly T[], v: T | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const i = names.indexOf(v);
  if (i < 0) throw new TypeError(`invalid ${what}: ${String(v)}`);
  return i;
}

const BLOCK_ID_FLAGS: readonly BlockIdFlag[] = ['unknown', 'absent', 'commit', 'nil'];
const CHECK_TX_TYPES: readonly CheckTxType[] = ['new', 'recheck'];
const MISBEHAVIOR_TYPES: readonly MisbehaviorType[] = ['unknown', 'duplicate_vote', 'light_client_attack'];
const PROPOSAL_STATUS = ['unknown', 'accept', 'reject'] as const;
const VERIFY_STATUS = ['unknown', 'accept', 'reject'] as const;
const OFFER_RESULTS = ['unknown', 'accept', 'abort', 'reject', 'reject_format', 'reject_sender'] as const;
const APPLY_RESULTS = ['unknown', 'accept', 'abort', 'retry', 'retry_snapshot', 'reject_snapshot'] as const;

// ---------------------------------------------------------------------------
// Shared message converters (pb -> TS: "from"; TS -> pb: "to")

function fromTimestamp(t: Pb): Timestamp {
  if (t === null || t === undefined) return { seconds: 0n, nanos: 0 };
  return { seconds: i64(t.seconds), nanos: t.nanos ?? 0 };
}
function toTimestamp(t: Timestamp | undefined): Pb {
  if (t === undefined) return undefined;
  return { seconds: out64(t.seconds), nanos: t.nanos };
}

function fromPublicKey(k: Pb): PublicKey {
  const out: PublicKey = {};
  if (k === null || k === undefined) return out;
  if (k.sum === 'ed25519') out.ed25519 = bytes(k.ed25519);
  else if (k.sum === 'secp256k1') out.secp256k1 = bytes(k.secp256k1);
  return out;
}
function toPublicKey(k: PublicKey): Pb {
  if (k.ed25519 !== undefined) return { ed25519: k.ed25519 };
  if (k.secp256k1 !== undefined) return { secp256k1: k.secp256k1 };
  return {};
}

function fromValidatorUpdate(v: Pb): ValidatorUpdate {
  return { pubKey: fromPublicKey(v.pubKey), power: i64(v.power) };
}
function toValidatorUpdate(v: ValidatorUpdate): Pb {
  return { pubKey: toPublicKey(v.pubKey), power: out64(v.power) };
}

function fromValidator(v: Pb): Validator {
  if (v === null || v === undefined) return { address: EMPTY_BYTES, power: 0n };
  return { address: bytes(v.address), power: i64(v.power) };
}
function toValidator(v: Validator): Pb {
  return { address: v.address, power: out64(v.power) };
}

/** v0.38 block_id_flag wins; v0.37 signed_last_block maps true->commit, false->absent. */
function voteFlag(v: Pb): BlockIdFlag {
  const flag: number = v.blockIdFlag ?? 0;
  if (flag !== 0) return enumIn(BLOCK_ID_FLAGS, flag, 'BlockIDFlag');
  return v.signedLastBlock === true ? 'commit' : 'absent';
}

function fromVoteInfo(v: Pb): VoteInfo {
  return { validator: fromValidator(v.validator), blockIdFlag: voteFlag(v) };
}
/** Writes both the v0.38 flag and the v0.37 bool; each version ignores the other's field. */
function toVoteInfo(v: VoteInfo): Pb {
  return {
    validator: toValidator(v.validator),
    signedLastBlock: v.blockIdFlag === 'commit',
    blockIdFlag: enumOut(BLOCK_ID_FLAGS, v.blockIdFlag, 'blockIdFlag'),
  };
}

function fromCommitInfo(c: Pb): CommitInfo {
  if (c === null || c === undefined) return { round: 0, votes: [] };
  return { round: c.round ?? 0, votes: mapList(c.votes, fromVoteInfo) };
}
function toCommitInfo(c: CommitInfo | undefined): Pb {
  if (c === undefined) return undefined;
  return { round: c.round, votes: mapOut(c.votes, toVoteInfo) };
}

function fromExtendedCommitInfo(c: Pb): ExtendedCommitInfo {
  if (c === null || c === undefined) return { round: 0, votes: [] };
  return {
    round: c.round ?? 0,
    votes: mapList(c.votes, (v: Pb) => ({
      validator: fromValidator(v.validator),
      blockIdFlag: voteFlag(v),
      voteExtension: bytes(v.voteExtension),
      extensionSignature: bytes(v.extensionSignature),
    })),
  };
}
function toExtendedCommitInfo(c: ExtendedCommitInfo | undefined): Pb {
  if (c === undefined) return undefined;
  return {
    round: c.round,
    votes: mapOut(c.votes, (v) => ({
      validator: toValidator(v.validator),
      signedLastBlock: v.blockIdFlag === 'commit',
      voteExtension: v.voteExtension,
      extensionSignature: v.extensionSignature,
      blockIdFlag: enumOut(BLOCK_ID_FLAGS, v.blockIdFlag, 'blockIdFlag'),
    })),
  };
}

function fromMisbehavior(m: Pb): Misbehavior {
  return {
    type: enumIn(MISBEHAVIOR_TYPES, m.type, 'MisbehaviorType'),
    validator: fromValidator(m.validator),
    height: i64(m.height),
    time: fromTimestamp(m.time),
    totalVotingPower: i64(m.totalVotingPower),
  };
}
function toMisbehavior(m: Misbehavior): Pb {
  return {
    type: enumOut(MISBEHAVIOR_TYPES, m.type, 'misbehavior type'),
    validator: toValidator(m.validator),
    height: out64(m.height),
    time: toTimestamp(m.time),
    totalVotingPower: out64(m.totalVotingPower),
  };
}

function fromEvent(e: Pb): Event {
  return {
    type: str(e.type),
    attributes: mapList(e.attributes, (a: Pb) => ({ key: str(a.key), value: str(a.value), index: a.index === true })),
  };
}
function toEvent(e: Event): Pb {
  return { type: e.type, attributes: mapOut(e.attributes, (a) => ({ key: a.key, value: a.value, index: a.index })) };
}

function fromExecTxResult(r: Pb): ExecTxResult {
  return {
    code: r.code ?? 0,
    data: bytes(r.data),
    log: str(r.log),
    info: str(r.info),
    gasWanted: i64(r.gasWanted),
    gasUsed: i64(r.gasUsed),
    events: mapList(r.events, fromEvent),
    codespace: str(r.codespace),
  };
}
function toExecTxResult(r: ExecTxResult): Pb {
  return {
    code: r.code,
    data: r.data,
    log: r.log,
    info: r.info,
    gasWanted: out64(r.gasWanted),
    gasUsed: out64(r.gasUsed),
    events: r.events === undefined || r.events.length === 0 ? undefined : r.events.map(toEvent),
    codespace: r.codespace,
  };
}

function fromDuration(d: Pb): { seconds: bigint; nanos: number } {
  if (d === null || d === undefined) return { seconds: 0n, nanos: 0 };
  return { seconds: i64(d.seconds), nanos: d.nanos ?? 0 };
}

function fromConsensusParams(p: Pb): ConsensusParams | undefined {
  if (p === null || p === undefined) return undefined;
  const out: ConsensusParams = {};
  if (p.block) out.block = { maxBytes: i64(p.block.maxBytes), maxGas: i64(p.block.maxGas) };
  if (p.evidence)
    out.evidence = {
      maxAgeNumBlocks: i64(p.evidence.maxAgeNumBlocks),
      maxAgeDuration: fromDuration(p.evidence.maxAgeDuration),
      maxBytes: i64(p.evidence.maxBytes),
    };
  if (p.validator) out.validator = { pubKeyTypes: [...list<string>(p.validator.pubKeyTypes)] };
  if (p.version) out.version = { app: u64(p.version.app) };
  if (p.abci) out.abci = { voteExtensionsEnableHeight: i64(p.abci.voteExtensionsEnableHeight) };
  return out;
}
function toConsensusParams(p: ConsensusParams | undefined): Pb {
  if (p === undefined) return undefined;
  return {
    block: p.block && { maxBytes: out64(p.block.maxBytes), maxGas: out64(p.block.maxGas) },
    evidence: p.evidence && {
      maxAgeNumBlocks: out64(p.evidence.maxAgeNumBlocks),
      maxAgeDuration: toTimestamp(p.evidence.maxAgeDuration),
      maxBytes: out64(p.evidence.maxBytes),
    },
    validator: p.validator && { pubKeyTypes: p.validator.pubKeyTypes },
    version: p.version && { app: out64(p.version.app) },
    abci: p.abci && { voteExtensionsEnableHeight: out64(p.abci.voteExtensionsEnableHeight) },
  };
}

function fromBlockId(b: Pb): BlockId {
  if (b === null || b === undefined) return { hash: EMPTY_BYTES, partSetHeader: { total: 0, hash: EMPTY_BYTES } };
  const psh = b.partSetHeader;
  return {
    hash: bytes(b.hash),
    partSetHeader: { total: psh?.total ?? 0, hash: bytes(psh?.hash) },
  };
}

function fromHeader(h: Pb): Header {
  h ??= {};
  return {
    version: { block: u64(h.version?.block), app: u64(h.version?.app) },
    chainId: str(h.chainId),
    height: i64(h.height),
    time: fromTimestamp(h.time),
    lastBlockId: fromBlockId(h.lastBlockId),
    lastCommitHash: bytes(h.lastCommitHash),
    dataHash: bytes(h.dataHash),
    validatorsHash: bytes(h.validatorsHash),
    nextValidatorsHash: bytes(h.nextValidatorsHash),
    consensusHash: bytes(h.consensusHash),
    appHash: bytes(h.appHash),
    lastResultsHash: bytes(h.lastResultsHash),
    evidenceHash: bytes(h.evidenceHash),
    proposerAddress: bytes(h.proposerAddress),
  };
}
function toHeader(h: Header): Pb {
  return {
    version: { block: out64(h.version.block), app: out64(h.version.app) },
    chainId: h.chainId,
    height: out64(h.height),
    time: toTimestamp(h.time),
    lastBlockId: { hash: h.lastBlockId.hash, partSetHeader: h.lastBlockId.partSetHeader },
    lastCommitHash: h.lastCommitHash,
    dataHash: h.dataHash,
    validatorsHash: h.validatorsHash,
    nextValidatorsHash: h.nextValidatorsHash,
    consensusHash: h.consensusHash,
    appHash: h.appHash,
    lastResultsHash: h.lastResultsHash,
    evidenceHash: h.evidenceHash,
    proposerAddress: h.proposerAddress,
  };
}

function fromSnapshot(s: Pb): Snapshot {
  return {
    height: u64(s.height),
    format: s.format ?? 0,
    chunks: s.chunks ?? 0,
    hash: bytes(s.hash),
    metadata: bytes(s.metadata),
  };
}
function toSnapshot(s: Snapshot): Pb {
  return { height: out64(s.height), format: s.format, chunks: s.chunks, hash: s.hash, metadata: s.metadata };
}

function fromProofOps(p: Pb): ProofOps | undefined {
  if (p === null || p === undefined) return undefined;
  return { ops: mapList(p.ops, (o: Pb) => ({ type: str(o.type), key: bytes(o.key), data: bytes(o.data) })) };
}

// ---------------------------------------------------------------------------
// Per-message converters

interface Conv<T> {
  /** protobufjs type name */
  type: string;
  from(m: Pb): T;
  to(v: T): Pb;
}

const EMPTY: Conv<Record<string, never>> = { type: '', from: () => ({}), to: () => ({}) };
function empty(type: string): Conv<Record<string, never>> {
  return { ...EMPTY, type };
}

const P = 'tendermint.abci.';

const REQUESTS: { [K in RequestType]: Conv<RequestMap[K]> } = {
  echo: { type: P + 'RequestEcho', from: (m) => ({ message: str(m.message) }), to: (v) => ({ message: v.message }) },
  flush: empty(P + 'RequestFlush'),
  info: {
    type: P + 'RequestInfo',
    from: (m) => ({
      version: str(m.version),
      blockVersion: u64(m.blockVersion),
      p2pVersion: u64(m.p2pVersion),
      abciVersion: str(m.abciVersion),
    }),
    to: (v) => ({
      version: v.version,
      blockVersion: out64(v.blockVersion),
      p2pVersion: out64(v.p2pVersion),
      abciVersion: v.abciVersion,
    }),
  },
  initChain: {
    type: P + 'RequestInitChain',
    from: (m) => {
      const out: RequestInitChain = {
        time: fromTimestamp(m.time),
        chainId: str(m.chainId),
        validators: mapList(m.validators, fromValidatorUpdate),
        appStateBytes: bytes(m.appStateBytes),
        initialHeight: i64(m.initialHeight),
      };
      const cp = fromConsensusParams(m.consensusParams);
      if (cp !== undefined) out.consensusParams = cp;
      return out;
    },
    to: (v) => ({
      time: toTimestamp(v.time),
      chainId: v.chainId,
      consensusParams: toConsensusParams(v.consensusParams),
      validators: mapOut(v.validators, toValidatorUpdate),
      appStateBytes: v.appStateBytes,
      initialHeight: out64(v.initialHeight),
    }),
  },
  query: {
    type: P + 'RequestQuery',
    from: (m) => ({ data: bytes(m.data), path: str(m.path), height: i64(m.height), prove: m.prove === true }),
    to: (v) => ({ data: v.data, path: v.path, height: out64(v.height), prove: v.prove }),
  },
  beginBlock: {
    type: P + 'RequestBeginBlock',
    from: (m) => ({
      hash: bytes(m.hash),
      header: fromHeader(m.header),
      lastCommitInfo: fromCommitInfo(m.lastCommitInfo),
      byzantineValidators: mapList(m.byzantineValidators, fromMisbehavior),
    }),
    to: (v) => ({
      hash: v.hash,
      header: toHeader(v.header),
      lastCommitInfo: toCommitInfo(v.lastCommitInfo),
      byzantineValidators: mapOut(v.byzantineValidators, toMisbehavior),
    }),
  },
  checkTx: {
    type: P + 'RequestCheckTx',
    from: (m) => ({ tx: bytes(m.tx), type: enumIn(CHECK_TX_TYPES, m.type, 'CheckTxType') }),
    to: (v) => ({ tx: v.tx, type: enumOut(CHECK_TX_TYPES, v.type, 'CheckTxType') }),
  },
  deliverTx: { type: P + 'RequestDeliverTx', from: (m) => ({ tx: bytes(m.tx) }), to: (v) => ({ tx: v.tx }) },
  endBlock: {
    type: P + 'RequestEndBlock',
    from: (m) => ({ height: i64(m.height) }),
    to: (v) => ({ height: out64(v.height) }),
  },
  commit: empty(P + 'RequestCommit'),
  listSnapshots: empty(P + 'RequestListSnapshots'),
  offerSnapshot: {
    type: P + 'RequestOfferSnapshot',
    from: (m) => {
      const out: RequestOfferSnapshot = { appHash: bytes(m.appHash) };
      if (m.snapshot) out.snapshot = fromSnapshot(m.snapshot);
      return out;
    },
    to: (v) => ({ snapshot: v.snapshot && toSnapshot(v.snapshot), appHash: v.appHash }),
  },
  loadSnapshotChunk: {
    type: P + 'RequestLoadSnapshotChunk',
    from: (m) => ({ height: u64(m.height), format: m.format ?? 0, chunk: m.chunk ?? 0 }),
    to: (v) => ({ height: out64(v.height), format: v.format, chunk: v.chunk }),
  },
  applySnapshotChunk: {
    type: P + 'RequestApplySnapshotChunk',
    from: (m) => ({ index: m.index ?? 0, chunk: bytes(m.chunk), sender: str(m.sender) }),
    to: (v) => ({ index: v.index, chunk: v.chunk, sender: v.sender }),
  },
  prepareProposal: {
    type: P + 'RequestPrepareProposal',
    from: (m) => ({
      maxTxBytes: i64(m.maxTxBytes),
      txs: bytesList(m.txs),
      localLastCommit: fromExtendedCommitInfo(m.localLastCommit),
      misbehavior: mapList(m.misbehavior, fromMisbehavior),
      height: i64(m.height),
      time: fromTimestamp(m.time),
      nextValidatorsHash: bytes(m.nextValidatorsHash),
      proposerAddress: bytes(m.proposerAddress),
    }),
    to: (v) => ({
      maxTxBytes: out64(v.maxTxBytes),
      txs: v.txs,
      localLastCommit: toExtendedCommitInfo(v.localLastCommit),
      misbehavior: mapOut(v.misbehavior, toMisbehavior),
      height: out64(v.height),
      time: toTimestamp(v.time),
      nextValidatorsHash: v.nextValidatorsHash,
      proposerAddress: v.proposerAddress,
    }),
  },
  processProposal: {
    type: P + 'RequestProcessProposal',
    from: (m) => ({
      txs: bytesList(m.txs),
      proposedLastCommit: fromCommitInfo(m.proposedLastCommit),
      misbehavior: mapList(m.misbehavior, fromMisbehavior),
      hash: bytes(m.hash),
      height: i64(m.height),
      time: fromTimestamp(m.time),
      nextValidatorsHash: bytes(m.nextValidatorsHash),
      proposerAddress: bytes(m.proposerAddress),
    }),
    to: (v) => ({
      txs: v.txs,
      proposedLastCommit: toCommitInfo(v.proposedLastCommit),
      misbehavior: mapOut(v.misbehavior, toMisbehavior),
      hash: v.hash,
      height: out64(v.height),
      time: toTimestamp(v.time),
      nextValidatorsHash: v.nextValidatorsHash,
      proposerAddress: v.proposerAddress,
    }),
  },
  extendVote: {
    type: P + 'RequestExtendVote',
    from: (m) => ({
      hash: bytes(m.hash),
      height: i64(m.height),
      time: fromTimestamp(m.time),
      txs: bytesList(m.txs),
      proposedLastCommit: fromCommitInfo(m.proposedLastCommit),
      misbehavior: mapList(m.misbehavior, fromMisbehavior),
      nextValidatorsHash: bytes(m.nextValidatorsHash),
      proposerAddress: bytes(m.proposerAddress),
    }),
    to: (v) => ({
      hash: v.hash,
      height: out64(v.height),
      time: toTimestamp(v.time),
      txs: v.txs,
      proposedLastCommit: toCommitInfo(v.proposedLastCommit),
      misbehavior: mapOut(v.misbehavior, toMisbehavior),
      nextValidatorsHash: v.nextValidatorsHash,
      proposerAddress: v.proposerAddress,
    }),
  },
  verifyVoteExtension: {
    type: P + 'RequestVerifyVoteExtension',
    from: (m) => ({
      hash: bytes(m.hash),
      validatorAddress: bytes(m.validatorAddress),
      height: i64(m.height),
      voteExtension: bytes(m.voteExtension),
    }),
    to: (v) => ({
      hash: v.hash,
      validatorAddress: v.validatorAddress,
      height: out64(v.height),
      voteExtension: v.voteExtension,
    }),
  },
  finalizeBlock: {
    type: P + 'RequestFinalizeBlock',
    from: (m) => ({
      txs: bytesList(m.txs),
      decidedLastCommit: fromCommitInfo(m.decidedLastCommit),
      misbehavior: mapList(m.misbehavior, fromMisbehavior),
      hash: bytes(m.hash),
      height: i64(m.height),
      time: fromTimestamp(m.time),
      nextValidatorsHash: bytes(m.nextValidatorsHash),
      proposerAddress: bytes(m.proposerAddress),
    }),
    to: (v) => ({
      txs: v.txs,
      decidedLastCommit: toCommitInfo(v.decidedLastCommit),
      misbehavior: mapOut(v.misbehavior, toMisbehavior),
      hash: v.hash,
      height: out64(v.height),
      time: toTimestamp(v.time),
      nextValidatorsHash: v.nextValidatorsHash,
      proposerAddress: v.proposerAddress,
    }),
  },
};

function fromCheckTx(m: Pb): ResponseCheckTx {
  return fromExecTxResult(m);
}

const RESPONSES: { [K in ResponseType]: Conv<ResponseMap[K]> } = {
  exception: { type: P + 'ResponseException', from: (m) => ({ error: str(m.error) }), to: (v) => ({ error: v.error }) },
  echo: { type: P + 'ResponseEcho', from: (m) => ({ message: str(m.message) }), to: (v) => ({ message: v.message }) },
  flush: empty(P + 'ResponseFlush'),
  info: {
    type: P + 'ResponseInfo',
    from: (m) => ({
      data: str(m.data),
      version: str(m.version),
      appVersion: u64(m.appVersion),
      lastBlockHeight: i64(m.lastBlockHeight),
      lastBlockAppHash: bytes(m.lastBlockAppHash),
    }),
    to: (v) => ({
      data: v.data,
      version: v.version,
      appVersion: out64(v.appVersion),
      lastBlockHeight: out64(v.lastBlockHeight),
      lastBlockAppHash: v.lastBlockAppHash,
    }),
  },
  initChain: {
    type: P + 'ResponseInitChain',
    from: (m) => {
      const out: ResponseInitChain = { validators: mapList(m.validators, fromValidatorUpdate), appHash: bytes(m.appHash) };
      const cp = fromConsensusParams(m.consensusParams);
      if (cp !== undefined) out.consensusParams = cp;
      return out;
    },
    to: (v) => ({
      consensusParams: toConsensusParams(v.consensusParams),
      validators: mapOut(v.validators, toValidatorUpdate),
      appHash: v.appHash,
    }),
  },
  query: {
    type: P + 'ResponseQuery',
    from: (m) => {
      const out: ResponseQuery = {
        code: m.code ?? 0,
        log: str(m.log),
        info: str(m.info),
        index: i64(m.index),
        key: bytes(m.key),
        value: bytes(m.value),
        height: i64(m.height),
        codespace: str(m.codespace),
      };
      const proofOps = fromProofOps(m.proofOps);
      if (proofOps !== undefined) out.proofOps = proofOps;
      return out;
    },
    to: (v) => ({
      code: v.code,
      log: v.log,
      info: v.info,
      index: out64(v.index),
      key: v.key,
      value: v.value,
      proofOps: v.proofOps && { ops: mapOut(v.proofOps.ops, (o) => ({ type: o.type, key: o.key, data: o.data })) },
      height: out64(v.height),
      codespace: v.codespace,
    }),
  },
  beginBlock: {
    type: P + 'ResponseBeginBlock',
    from: (m) => ({ events: mapList(m.events, fromEvent) }),
    to: (v) => ({ events: mapOut(v.events, toEvent) }),
  },
  checkTx: { type: P + 'ResponseCheckTx', from: fromCheckTx, to: toExecTxResult },
  deliverTx: { type: P + 'ResponseDeliverTx', from: fromExecTxResult, to: toExecTxResult },
  endBlock: {
    type: P + 'ResponseEndBlock',
    from: (m) => {
      const out: ResponseEndBlock = {
        validatorUpdates: mapList(m.validatorUpdates, fromValidatorUpdate),
        events: mapList(m.events, fromEvent),
      };
      const cp = fromConsensusParams(m.consensusParamUpdates);
      if (cp !== undefined) out.consensusParamUpdates = cp;
      return out;
    },
    to: (v) => ({
      validatorUpdates: mapOut(v.validatorUpdates, toValidatorUpdate),
      consensusParamUpdates: toConsensusParams(v.consensusParamUpdates),
      events: mapOut(v.events, toEvent),
    }),
  },
  commit: {
    type: P + 'ResponseCommit',
    from: (m) => ({ retainHeight: i64(m.retainHeight), data: bytes(m.data) }),
    to: (v) => ({ retainHeight: out64(v.retainHeight), data: v.data }),
  },
  listSnapshots: {
    type: P + 'ResponseListSnapshots',
    from: (m) => ({ snapshots: mapList(m.snapshots, fromSnapshot) }),
    to: (v) => ({ snapshots: mapOut(v.snapshots, toSnapshot) }),
  },
  offerSnapshot: {
    type: P + 'ResponseOfferSnapshot',
    from: (m) => ({ result: enumIn(OFFER_RESULTS, m.result, 'OfferSnapshot result') }),
    to: (v) => ({ result: enumOut(OFFER_RESULTS, v.result, 'OfferSnapshot result') }),
  },
  loadSnapshotChunk: {
    type: P + 'ResponseLoadSnapshotChunk',
    from: (m) => ({ chunk: bytes(m.chunk) }),
    to: (v) => ({ chunk: v.chunk }),
  },
  applySnapshotChunk: {
    type: P + 'ResponseApplySnapshotChunk',
    from: (m) => ({
      result: enumIn(APPLY_RESULTS, m.result, 'ApplySnapshotChunk result'),
      refetchChunks: [...list<number>(m.refetchChunks)],
      rejectSenders: [...list<string>(m.rejectSenders)],
    }),
    to: (v) => ({
      result: enumOut(APPLY_RESULTS, v.result, 'ApplySnapshotChunk result'),
      refetchChunks: v.refetchChunks,
      rejectSenders: v.rejectSenders,
    }),
  },
  prepareProposal: {
    type: P + 'ResponsePrepareProposal',
    from: (m) => ({ txs: bytesList(m.txs) }),
    to: (v) => ({ txs: v.txs }),
  },
  processProposal: {
    type: P + 'ResponseProcessProposal',
    from: (m) => ({ status: enumIn(PROPOSAL_STATUS, m.status, 'ProposalStatus') }),
    to: (v) => ({ status: enumOut(PROPOSAL_STATUS, v.status, 'ProposalStatus') }),
  },
  extendVote: {
    type: P + 'ResponseExtendVote',
    from: (m) => ({ voteExtension: bytes(m.voteExtension) }),
    to: (v) => ({ voteExtension: v.voteExtension }),
  },
  verifyVoteExtension: {
    type: P + 'ResponseVerifyVoteExtension',
    from: (m) => ({ status: enumIn(VERIFY_STATUS, m.status, 'VerifyStatus') }),
    to: (v) => ({ status: enumOut(VERIFY_STATUS, v.status, 'VerifyStatus') }),
  },
  finalizeBlock: {
    type: P + 'ResponseFinalizeBlock',
    from: (m) => {
      const out: ResponseFinalizeBlock = {
        events: mapList(m.events, fromEvent),
        txResults: mapList(m.txResults, fromExecTxResult),
        validatorUpdates: mapList(m.validatorUpdates, fromValidatorUpdate),
        appHash: bytes(m.appHash),
      };
      const cp = fromConsensusParams(m.consensusParamUpdates);
      if (cp !== undefined) out.consensusParamUpdates = cp;
      return out;
    },
    to: (v) => ({
      events: mapOut(v.events, toEvent),
      txResults: mapOut(v.txResults, toExecTxResult),
      validatorUpdates: mapOut(v.validatorUpdates, toValidatorUpdate),
      consensusParamUpdates: toConsensusParams(v.consensusParamUpdates),
      appHash: v.appHash,
    }),
  },
};

export const REQUEST_TYPES = Object.keys(REQUESTS) as RequestType[];
export const RESPONSE_TYPES = Object.keys(RESPONSES) as ResponseType[];

// ---------------------------------------------------------------------------
// Public encode / decode

function decodeWith<T>(typeName: string, buf: Uint8Array, from: (m: Pb) => T): T {
  let msg: Pb;
  try {
    msg = pbType(typeName).decode(buf);
  } catch (err) {
    throw new AbciDecodeError(`malformed ${typeName.slice(P.length)}: ${(err as Error).message}`, { cause: err });
  }
  return from(msg);
}

/** Decodes a `tendermint.abci.Request` (without length prefix). Throws AbciDecodeError. */
export function decodeRequest(buf: Uint8Array): AbciRequest {
  return decodeWith(P + 'Request', buf, (m: Pb) => {
    const type = m.value as RequestType | undefined;
    if (type === undefined || !(type in REQUESTS)) throw new AbciDecodeError('request has no known type');
    return { type, value: REQUESTS[type].from(m[type]) } as AbciRequest;
  });
}

/** Decodes a `tendermint.abci.Response` (without length prefix). Throws AbciDecodeError. */
export function decodeResponse(buf: Uint8Array): AbciResponse {
  return decodeWith(P + 'Response', buf, (m: Pb) => {
    const type = m.value as ResponseType | undefined;
    if (type === undefined || !(type in RESPONSES)) throw new AbciDecodeError('response has no known type');
    return { type, value: RESPONSES[type].from(m[type]) } as AbciResponse;
  });
}

function toPbRequest(req: AbciRequest): Pb {
  const conv = REQUESTS[req.type] as Conv<unknown>;
  return { [req.type]: conv.to(req.value) };
}
function toPbResponse(res: AbciResponse): Pb {
  const conv = RESPONSES[res.type] as Conv<unknown>;
  return { [res.type]: conv.to(res.value) };
}

/** Encodes a Request (no length prefix). */
export function encodeRequest(req: AbciRequest): Uint8Array {
  return pbType(P + 'Request').encode(toPbRequest(req)).finish();
}

/** Encodes a Response (no length prefix). Throws TypeError on an invalid value. */
export function encodeResponse(res: AbciResponse): Uint8Array {
  return pbType(P + 'Response').encode(toPbResponse(res)).finish();
}

/** Encodes a Request preceded by its unsigned-varint length (socket framing). */
export function encodeRequestFrame(req: AbciRequest): Uint8Array {
  return pbType(P + 'Request').encodeDelimited(toPbRequest(req)).finish();
}

/** Encodes a Response preceded by its unsigned-varint length (socket framing). */
export function encodeResponseFrame(res: AbciResponse): Uint8Array {
  return pbType(P + 'Response').encodeDelimited(toPbResponse(res)).finish();
}

/** Codec of one inner message type (for gRPC, where each call carries a bare message). */
export interface MessageCodec<T> {
  /** Fully-qualified protobuf type name, e.g. "tendermint.abci.RequestInfo". */
  typeName: string;
  decode(buf: Uint8Array): T;
  encode(value: T): Uint8Array;
}

function messageCodec<T>(conv: Conv<T>): MessageCodec<T> {
  return {
    typeName: conv.type,
    decode: (buf) => decodeWith(conv.type, buf, conv.from),
    encode: (value) => pbType(conv.type).encode(conv.to(value)).finish(),
  };
}

/** Codec of the inner request message of type K (e.g. RequestInfo). */
export function requestCodec<K extends RequestType>(type: K): MessageCodec<RequestMap[K]> {
  return messageCodec(REQUESTS[type] as Conv<RequestMap[K]>);
}

/** Codec of the inner response message of type K (e.g. ResponseInfo). */
export function responseCodec<K extends ResponseType>(type: K): MessageCodec<ResponseMap[K]> {
  return messageCodec(RESPONSES[type] as Conv<ResponseMap[K]>);
}

/** Loads the schema and generates the hot decoders now rather than on the first request. */
export function warmUpCodec(): void {
  for (const t of REQUEST_TYPES) pbType(REQUESTS[t].type).setup();
  for (const t of RESPONSE_TYPES) pbType(RESPONSES[t].type).setup();
  pbType(P + 'Request').setup();
  pbType(P + 'Response').setup();
}
