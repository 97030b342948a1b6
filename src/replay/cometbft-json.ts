/**
 * CometBFT RPC JSON (v0.38, v0.37) as replay reads it, and its translation
 * into the ABCI requests CometBFT itself sends the app: InitChain from the
 * genesis document, FinalizeBlock from a block, its last commit and the
 * validator set that signed it, and its evidence.
 *
 * Recordings (docs/REPLAY.md) store these JSON objects exactly as the RPC
 * returned them, so a recording and a live node go through the same code.
 */
import type { CommitInfo, Misbehavior, RequestFinalizeBlock, RequestInitChain, Timestamp, ValidatorUpdate, VoteInfo, BlockIdFlag } from '../abci/types.js';

export interface RawPubKey {
  type: string;
  value: string;
}

export interface RawGenesisValidator {
  address?: string;
  pub_key: RawPubKey;
  power: string;
  name?: string;
}

export interface RawGenesis {
  genesis_time: string;
  chain_id: string;
  initial_height?: string;
  consensus_params?: { block?: { max_bytes?: string; max_gas?: string }; [k: string]: unknown };
  validators?: RawGenesisValidator[] | null;
  app_hash?: string;
  app_state?: unknown;
}

export interface RawHeader {
  chain_id: string;
  height: string;
  time: string;
  validators_hash: string;
  next_validators_hash: string;
  app_hash: string;
  proposer_address: string;
  [k: string]: unknown;
}

export interface RawCommitSig {
  block_id_flag: number;
  validator_address: string;
  timestamp: string;
  signature: string | null;
}

export interface RawEvidence {
  type: string;
  value: Record<string, unknown>;
}

/** The `block` endpoint's result. */
export interface RawBlock {
  block_id: { hash: string; [k: string]: unknown };
  block: {
    header: RawHeader;
    data: { txs: string[] | null };
    evidence: { evidence: RawEvidence[] | null };
    last_commit: { height: string; round: number; signatures: RawCommitSig[] | null } | null;
  };
}

export interface RawTxResult {
  code: number;
  data: string | null;
  log?: string;
  gas_wanted: string;
  gas_used: string;
  codespace?: string;
  [k: string]: unknown;
}

/** The `block_results` endpoint's result (v0.38 adds `app_hash`, base64). */
export interface RawBlockResults {
  height: string;
  txs_results: RawTxResult[] | null;
  validator_updates: Array<{ pub_key: unknown; power: string }> | null;
  app_hash?: string;
  [k: string]: unknown;
}

export interface RawValidator {
  address: string;
  pub_key: RawPubKey;
  voting_power: string;
  proposer_priority?: string;
}

export class ReplayInputError extends Error {
  override readonly name = 'ReplayInputError';
}

export function hexBytes(text: string | null | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(text ?? '', 'hex'));
}

export function base64Bytes(text: string | null | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(text ?? '', 'base64'));
}

/**
 * An RFC 3339 time as CometBFT writes it (nanosecond fraction, `Z` or an
 * offset), exactly: no floating point, no Date rounding of the nanoseconds.
 */
export function parseTime(text: string): Timestamp {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (m === null) throw new ReplayInputError(`not an RFC 3339 time: '${text}'`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  let seconds = BigInt(ms / 1000);
  if (zone !== 'Z') {
    const sign = zone!.startsWith('-') ? -1n : 1n;
    const [zh, zm] = zone!
      .slice(1)
      .split(':')
      .map((x) => BigInt(x));
    seconds -= sign * (zh! * 3600n + zm! * 60n);
  }
  return { seconds, nanos: Number((frac ?? '').padEnd(9, '0')) };
}

function ed25519Key(key: RawPubKey, what: string): Uint8Array {
  if (!/ed25519/i.test(key.type)) throw new ReplayInputError(`${what}: only ed25519 validator keys are supported, got ${key.type}`);
  return base64Bytes(key.value);
}

/** InitChain as CometBFT sends it for this genesis document. */
export function initChainRequest(genesis: RawGenesis): RequestInitChain {
  const block = genesis.consensus_params?.block;
  return {
    time: parseTime(genesis.genesis_time),
    chainId: genesis.chain_id,
    consensusParams: {
      block: { maxBytes: BigInt(block?.max_bytes ?? '22020096'), maxGas: BigInt(block?.max_gas ?? '-1') },
    },
    validators: (genesis.validators ?? []).map((v, i) => ({ pubKey: { ed25519: ed25519Key(v.pub_key, `genesis validators[${i}]`) }, power: BigInt(v.power) })),
    // CometBFT hands over app_state's raw JSON; the app parses it as JSON, so re-serialising is equivalent.
    appStateBytes: genesis.app_state === undefined || genesis.app_state === null ? new Uint8Array(0) : Buffer.from(JSON.stringify(genesis.app_state), 'utf8'),
    initialHeight: initialHeight(genesis),
  };
}

export function initialHeight(genesis: RawGenesis): bigint {
  const h = BigInt(genesis.initial_height ?? '1');
  return h === 0n ? 1n : h;
}

const FLAGS: Record<number, BlockIdFlag> = { 0: 'unknown', 1: 'absent', 2: 'commit', 3: 'nil' };

/**
 * `decided_last_commit` of a block, as CometBFT builds it: one vote per
 * validator of the set at height − 1, in that set's order, paired with the
 * commit signature at the same index (an absent signature carries no
 * address). Empty for the chain's first block.
 */
export function lastCommitInfo(block: RawBlock, lastValidators: readonly RawValidator[] | undefined): CommitInfo {
  const commit = block.block.last_commit;
  const sigs = commit?.signatures ?? [];
  if (lastValidators === undefined || commit === null || sigs.length === 0) return { round: 0, votes: [] };
  const height = block.block.header.height;
  if (sigs.length !== lastValidators.length) {
    throw new ReplayInputError(`block ${height}: ${sigs.length} commit signatures but ${lastValidators.length} validators at height ${commit.height}`);
  }
  const votes = lastValidators.map((v, i): VoteInfo => {
    const sig = sigs[i]!;
    if (sig.validator_address !== '' && sig.validator_address.toUpperCase() !== v.address.toUpperCase()) {
      throw new ReplayInputError(`block ${height}: commit signature ${i} is by ${sig.validator_address}, but validator ${i} of height ${commit.height} is ${v.address}`);
    }
    return { validator: { address: hexBytes(v.address), power: BigInt(v.voting_power) }, blockIdFlag: FLAGS[sig.block_id_flag] ?? 'unknown' };
  });
  return { round: commit.round, votes };
}

function field(o: Record<string, unknown>, ...names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined) return o[n];
  return undefined;
}

function str(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new ReplayInputError(`evidence: ${what} missing`);
}

/** The block's evidence as ABCI misbehavior (CometBFT's Evidence.ABCI()). */
export function misbehavior(block: RawBlock): Misbehavior[] {
  const out: Misbehavior[] = [];
  for (const ev of block.block.evidence?.evidence ?? []) {
    const v = ev.value;
    const time = parseTime(str(field(v, 'Timestamp', 'timestamp'), 'timestamp'));
    const totalVotingPower = BigInt(str(field(v, 'TotalVotingPower', 'total_voting_power'), 'total voting power'));
    if (/DuplicateVoteEvidence/.test(ev.type)) {
      const voteA = field(v, 'vote_a', 'VoteA') as Record<string, unknown> | undefined;
      if (voteA === undefined) throw new ReplayInputError('duplicate vote evidence without vote_a');
      out.push({
        type: 'duplicate_vote',
        validator: { address: hexBytes(str(voteA.validator_address, 'validator address')), power: BigInt(str(field(v, 'ValidatorPower', 'validator_power'), 'validator power')) },
        height: BigInt(str(voteA.height, 'vote height')),
        time,
        totalVotingPower,
      });
    } else if (/LightClientAttackEvidence/.test(ev.type)) {
      const height = BigInt(str(field(v, 'CommonHeight', 'common_height'), 'common height'));
      for (const val of (field(v, 'ByzantineValidators', 'byzantine_validators') as RawValidator[] | null) ?? []) {
        out.push({ type: 'light_client_attack', validator: { address: hexBytes(val.address), power: BigInt(val.voting_power) }, height, time, totalVotingPower });
      }
    } else {
      throw new ReplayInputError(`block ${block.block.header.height}: unknown evidence type ${ev.type}`);
    }
  }
  return out;
}

/** FinalizeBlock as CometBFT sends it for `block` (v0.38). */
export function finalizeBlockRequest(block: RawBlock, lastValidators: readonly RawValidator[] | undefined): RequestFinalizeBlock {
  const header = block.block.header;
  return {
    txs: (block.block.data.txs ?? []).map((tx) => base64Bytes(tx)),
    decidedLastCommit: lastCommitInfo(block, lastValidators),
    misbehavior: misbehavior(block),
    hash: hexBytes(block.block_id.hash),
    height: BigInt(header.height),
    time: parseTime(header.time),
    nextValidatorsHash: hexBytes(header.next_validators_hash),
    proposerAddress: hexBytes(header.proposer_address),
  };
}

/** The ed25519 key (base64) in a block_results validator update, whatever JSON shape the pub_key has. */
export function updateKey(pubKey: unknown): string | undefined {
  if (typeof pubKey !== 'object' || pubKey === null) return undefined;
  const o = pubKey as Record<string, unknown>;
  if (typeof o.ed25519 === 'string') return o.ed25519;
  if (typeof o.type === 'string' && /ed25519/i.test(o.type) && typeof o.value === 'string') return o.value;
  for (const v of Object.values(o)) {
    const found = updateKey(v);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Validator updates as comparable text: `<base64 key>:<power>`, in order. */
export function updatesText(updates: readonly ValidatorUpdate[]): string[] {
  return updates.map((u) => `${Buffer.from(u.pubKey.ed25519 ?? new Uint8Array(0)).toString('base64')}:${u.power}`);
}

export function rawUpdatesText(raw: RawBlockResults['validator_updates']): string[] {
  return (raw ?? []).map((u) => `${updateKey(u.pub_key) ?? '?'}:${u.power}`);
}
