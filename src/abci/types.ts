/**
 * ABCI request/response types as the application sees them.
 *
 * The wire messages are generated from `proto/` into `./gen/` (protoc-gen-es,
 * `npm run generate:abci`). Where the application sees a message exactly as
 * it travels, its type here is the generated one without protobuf-es's
 * bookkeeping (`Plain<...>`). Where the application's view differs, the type
 * is written out below with the reason:
 * - enums are lower-case string unions ('commit', 'recheck', 'accept'...);
 * - nested messages of requests are always present (the decoder fills the
 *   proto3 defaults), where protobuf-es makes them optional;
 * - v0.37's `signed_last_block` arrives as a `blockIdFlag` (see VoteInfo);
 * - the `tendermint.crypto.PublicKey` oneof is `{ ed25519 } | { secp256k1 }`;
 * - response fields an app rarely sets are optional (proto3 zero value).
 * `codec.ts` maps between the two, in the directions the server needs.
 *
 * Conventions: int64 / uint64 -> `bigint`; int32 / uint32 -> `number`; bytes
 * -> `Uint8Array` (on decode: a view into the received frame, not a copy; copy
 * it if you keep it for long and care about retaining the whole frame's
 * memory); field names are camelCase of the proto names.
 */
import type { Message } from '@bufbuild/protobuf';
import type { Duration as WireDuration, Timestamp as WireTimestamp } from '@bufbuild/protobuf/wkt';
import type * as wire from './gen/tendermint/abci/types_pb.js';
import type * as wireParams from './gen/tendermint/types/params_pb.js';
import type * as wireProof from './gen/tendermint/crypto/proof_pb.js';
import type * as wireTypes from './gen/tendermint/types/types_pb.js';
import type * as wireVersion from './gen/tendermint/version/types_pb.js';

/** A generated message without protobuf-es's `$typeName` / `$unknown`: a plain object of its fields. */
export type Plain<M extends Message> = Omit<M, '$typeName' | '$unknown'>;

// ---------------------------------------------------------------------------
// Common types

export type Timestamp = Plain<WireTimestamp>;

export type Duration = Plain<WireDuration>;

/** `tendermint.crypto.PublicKey` (a oneof: set exactly one). */
export interface PublicKey {
  ed25519?: Uint8Array;
  secp256k1?: Uint8Array;
}

export interface ValidatorUpdate {
  pubKey: PublicKey;
  power: bigint;
}

/** `tendermint.abci.Validator`: address = first 20 bytes of sha256(pubkey). */
export type Validator = Plain<wire.Validator>;

/** `tendermint.types.BlockIDFlag`. */
export type BlockIdFlag = 'unknown' | 'absent' | 'commit' | 'nil';

/**
 * How a validator voted on the last block.
 * v0.37 sends `signed_last_block` instead of a flag: true -> 'commit',
 * false -> 'absent'.
 */
export interface VoteInfo {
  validator: Validator;
  blockIdFlag: BlockIdFlag;
}

export interface ExtendedVoteInfo {
  validator: Validator;
  blockIdFlag: BlockIdFlag;
  voteExtension: Uint8Array;
  /** v0.38 only (empty under v0.37). */
  extensionSignature: Uint8Array;
}

export interface CommitInfo {
  round: number;
  votes: VoteInfo[];
}

export interface ExtendedCommitInfo {
  round: number;
  votes: ExtendedVoteInfo[];
}

export type MisbehaviorType = 'unknown' | 'duplicate_vote' | 'light_client_attack';

export interface Misbehavior {
  type: MisbehaviorType;
  validator: Validator;
  height: bigint;
  time: Timestamp;
  totalVotingPower: bigint;
}

export interface EventAttribute {
  key: string;
  value: string;
  /** Whether CometBFT's tx indexer should index this attribute. */
  index?: boolean;
}

export interface Event {
  type: string;
  attributes: EventAttribute[];
}

/** Result of executing one transaction (v0.38 ExecTxResult; v0.37 ResponseDeliverTx). */
export interface ExecTxResult {
  code: number;
  data?: Uint8Array;
  log?: string;
  info?: string;
  gasWanted?: bigint;
  gasUsed?: bigint;
  events?: Event[];
  codespace?: string;
}

// ---------------------------------------------------------------------------
// Consensus params (`tendermint.types.ConsensusParams`)

export type BlockParams = Plain<wireParams.BlockParams>;

export interface EvidenceParams {
  maxAgeNumBlocks: bigint;
  maxAgeDuration: Duration;
  maxBytes: bigint;
}

export type ValidatorParams = Plain<wireParams.ValidatorParams>;

export type VersionParams = Plain<wireParams.VersionParams>;

/** v0.38 only. */
export type AbciParams = Plain<wireParams.ABCIParams>;

/** Each part is optional: in updates, an absent part means "unchanged". */
export interface ConsensusParams {
  block?: BlockParams;
  evidence?: EvidenceParams;
  validator?: ValidatorParams;
  version?: VersionParams;
  abci?: AbciParams;
}

// ---------------------------------------------------------------------------
// Block header (v0.37 BeginBlock)

export type PartSetHeader = Plain<wireTypes.PartSetHeader>;

export interface BlockId {
  hash: Uint8Array;
  partSetHeader: PartSetHeader;
}

export type ConsensusVersion = Plain<wireVersion.Consensus>;

export interface Header {
  version: ConsensusVersion;
  chainId: string;
  height: bigint;
  time: Timestamp;
  lastBlockId: BlockId;
  lastCommitHash: Uint8Array;
  dataHash: Uint8Array;
  validatorsHash: Uint8Array;
  nextValidatorsHash: Uint8Array;
  consensusHash: Uint8Array;
  appHash: Uint8Array;
  lastResultsHash: Uint8Array;
  evidenceHash: Uint8Array;
  proposerAddress: Uint8Array;
}

// ---------------------------------------------------------------------------
// Proofs (ResponseQuery)

export type ProofOp = Plain<wireProof.ProofOp>;

export interface ProofOps {
  ops: ProofOp[];
}

// ---------------------------------------------------------------------------
// Echo / Flush (answered by the transport; here for the codec)

export type RequestEcho = Plain<wire.RequestEcho>;
export type ResponseEcho = Plain<wire.ResponseEcho>;
export type RequestFlush = Record<string, never>;
export type ResponseFlush = Record<string, never>;

// ---------------------------------------------------------------------------
// Info / InitChain / Query / CheckTx

/** `version`: CometBFT software version, e.g. "0.38.25"; `abciVersion`: "2.0.0" from CometBFT v0.38, "1.0.0" from v0.37. */
export type RequestInfo = Plain<wire.RequestInfo>;

export interface ResponseInfo {
  data?: string;
  version?: string;
  appVersion?: bigint;
  lastBlockHeight: bigint;
  lastBlockAppHash: Uint8Array;
}

export interface RequestInitChain {
  time: Timestamp;
  chainId: string;
  consensusParams?: ConsensusParams;
  validators: ValidatorUpdate[];
  appStateBytes: Uint8Array;
  initialHeight: bigint;
}

export interface ResponseInitChain {
  consensusParams?: ConsensusParams;
  validators?: ValidatorUpdate[];
  appHash?: Uint8Array;
}

export type RequestQuery = Plain<wire.RequestQuery>;

export interface ResponseQuery {
  code?: number;
  log?: string;
  info?: string;
  index?: bigint;
  key?: Uint8Array;
  value?: Uint8Array;
  proofOps?: ProofOps;
  height?: bigint;
  codespace?: string;
}

export type CheckTxType = 'new' | 'recheck';

export interface RequestCheckTx {
  tx: Uint8Array;
  type: CheckTxType;
}

export interface ResponseCheckTx {
  code: number;
  data?: Uint8Array;
  log?: string;
  info?: string;
  gasWanted?: bigint;
  gasUsed?: bigint;
  events?: Event[];
  codespace?: string;
}

// ---------------------------------------------------------------------------
// Proposals and vote extensions (v0.38; Prepare/ProcessProposal also v0.37)

export interface RequestPrepareProposal {
  maxTxBytes: bigint;
  txs: Uint8Array[];
  localLastCommit: ExtendedCommitInfo;
  misbehavior: Misbehavior[];
  height: bigint;
  time: Timestamp;
  nextValidatorsHash: Uint8Array;
  proposerAddress: Uint8Array;
}

export type ResponsePrepareProposal = Plain<wire.ResponsePrepareProposal>;

export interface RequestProcessProposal {
  txs: Uint8Array[];
  proposedLastCommit: CommitInfo;
  misbehavior: Misbehavior[];
  hash: Uint8Array;
  height: bigint;
  time: Timestamp;
  nextValidatorsHash: Uint8Array;
  proposerAddress: Uint8Array;
}

/** 'unknown' only appears when decoding a malformed response; CometBFT panics on it. */
export type ProposalStatus = 'unknown' | 'accept' | 'reject';

export interface ResponseProcessProposal {
  status: ProposalStatus;
}

export interface RequestExtendVote {
  hash: Uint8Array;
  height: bigint;
  time: Timestamp;
  txs: Uint8Array[];
  proposedLastCommit: CommitInfo;
  misbehavior: Misbehavior[];
  nextValidatorsHash: Uint8Array;
  proposerAddress: Uint8Array;
}

export type ResponseExtendVote = Plain<wire.ResponseExtendVote>;

export type RequestVerifyVoteExtension = Plain<wire.RequestVerifyVoteExtension>;

export type VerifyStatus = 'unknown' | 'accept' | 'reject';

export interface ResponseVerifyVoteExtension {
  status: VerifyStatus;
}

// ---------------------------------------------------------------------------
// FinalizeBlock / Commit (v0.38)

export interface RequestFinalizeBlock {
  txs: Uint8Array[];
  decidedLastCommit: CommitInfo;
  misbehavior: Misbehavior[];
  hash: Uint8Array;
  height: bigint;
  time: Timestamp;
  nextValidatorsHash: Uint8Array;
  proposerAddress: Uint8Array;
}

export interface ResponseFinalizeBlock {
  events?: Event[];
  /** One per tx of the request, in the same order. */
  txResults: ExecTxResult[];
  validatorUpdates?: ValidatorUpdate[];
  consensusParamUpdates?: ConsensusParams;
  appHash: Uint8Array;
}

export type RequestCommit = Record<string, never>;

/** v0.38 ResponseCommit. */
export interface ResponseCommit {
  retainHeight: bigint;
}

/** v0.37 ResponseCommit: the app hash is returned here, in `data`. */
export interface ResponseCommitV037 {
  retainHeight: bigint;
  data: Uint8Array;
}

// ---------------------------------------------------------------------------
// v0.37 block flow

export interface RequestBeginBlock {
  hash: Uint8Array;
  header: Header;
  lastCommitInfo: CommitInfo;
  byzantineValidators: Misbehavior[];
}

export interface ResponseBeginBlock {
  events?: Event[];
}

export type RequestDeliverTx = Plain<wire.RequestDeliverTx>;

export type ResponseDeliverTx = ExecTxResult;

export type RequestEndBlock = Plain<wire.RequestEndBlock>;

export interface ResponseEndBlock {
  validatorUpdates?: ValidatorUpdate[];
  consensusParamUpdates?: ConsensusParams;
  events?: Event[];
}

// ---------------------------------------------------------------------------
// State sync

export type Snapshot = Plain<wire.Snapshot>;

export type RequestListSnapshots = Record<string, never>;

export interface ResponseListSnapshots {
  snapshots: Snapshot[];
}

export interface RequestOfferSnapshot {
  snapshot?: Snapshot;
  appHash: Uint8Array;
}

export type OfferSnapshotResult = 'unknown' | 'accept' | 'abort' | 'reject' | 'reject_format' | 'reject_sender';

export interface ResponseOfferSnapshot {
  result: OfferSnapshotResult;
}

export type RequestLoadSnapshotChunk = Plain<wire.RequestLoadSnapshotChunk>;

export type ResponseLoadSnapshotChunk = Plain<wire.ResponseLoadSnapshotChunk>;

export type RequestApplySnapshotChunk = Plain<wire.RequestApplySnapshotChunk>;

export type ApplySnapshotChunkResult = 'unknown' | 'accept' | 'abort' | 'retry' | 'retry_snapshot' | 'reject_snapshot';

export interface ResponseApplySnapshotChunk {
  result: ApplySnapshotChunkResult;
  refetchChunks?: number[];
  rejectSenders?: string[];
}

// ---------------------------------------------------------------------------
// The application interface the transport calls

/**
 * What an ABCI application implements. The transport calls these methods,
 * strictly in order per CometBFT connection (consensus, mempool, query,
 * snapshot); calls on different connections may interleave at `await`s.
 *
 * Echo and Flush are answered by the transport. Snapshot methods are
 * optional: if absent the transport answers "no snapshots" / reject / abort.
 * Vote-extension methods are optional: if absent, an empty extension / accept.
 *
 * A method that throws (or rejects) makes the transport answer
 * `ResponseException{error}` on that request; CometBFT treats that as fatal
 * for consensus-connection requests, so throw only for internal faults.
 *
 * Which Commit is called: `commit()` under CometBFT v0.38 (ABCI 2.0),
 * `commitV037()` under v0.37 (ABCI 1.0). See `AbciProtocol` in server.ts.
 */
export interface AbciApplication {
  info(req: RequestInfo): Promise<ResponseInfo>;
  initChain(req: RequestInitChain): Promise<ResponseInitChain>;
  checkTx(req: RequestCheckTx): Promise<ResponseCheckTx>;
  /**
   * New transactions whose CheckTx requests are queued on the mempool
   * connection behind the one being handled (socket transport): a hint that
   * lets the app start on them early (sender recovery on other cores).
   * Their CheckTx requests follow, in order, with the same byte arrays.
   */
  checkTxQueued?(txs: readonly Uint8Array[]): void;
  query(req: RequestQuery): Promise<ResponseQuery>;
  prepareProposal(req: RequestPrepareProposal): Promise<ResponsePrepareProposal>;
  processProposal(req: RequestProcessProposal): Promise<ResponseProcessProposal>;

  // v0.38 block flow
  finalizeBlock(req: RequestFinalizeBlock): Promise<ResponseFinalizeBlock>;
  extendVote?(req: RequestExtendVote): Promise<ResponseExtendVote>;
  verifyVoteExtension?(req: RequestVerifyVoteExtension): Promise<ResponseVerifyVoteExtension>;
  commit(): Promise<ResponseCommit>;

  // v0.37 block flow
  beginBlock(req: RequestBeginBlock): Promise<ResponseBeginBlock>;
  deliverTx(req: RequestDeliverTx): Promise<ResponseDeliverTx>;
  endBlock(req: RequestEndBlock): Promise<ResponseEndBlock>;
  /** v0.37 Commit: returns the app hash in `data`. */
  commitV037(): Promise<ResponseCommitV037>;

  // State sync (optional)
  listSnapshots?(req: RequestListSnapshots): Promise<ResponseListSnapshots>;
  offerSnapshot?(req: RequestOfferSnapshot): Promise<ResponseOfferSnapshot>;
  loadSnapshotChunk?(req: RequestLoadSnapshotChunk): Promise<ResponseLoadSnapshotChunk>;
  applySnapshotChunk?(req: RequestApplySnapshotChunk): Promise<ResponseApplySnapshotChunk>;

  /**
   * CometBFT opened a new mempool connection (at start, or after it
   * restarted alone): its mempool is empty, so CheckTx state kept for the old
   * mempool must start over (socket transport).
   */
  mempoolConnected?(): void;
}

/** ABCI protocol generation spoken by the connected CometBFT. */
export type AbciProtocol = 'v0.37' | 'v0.38';
