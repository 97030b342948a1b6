/**
 * The staking ledger's records in state: keys (all under `k/`) and their
 * canonical RLP encodings. Every record is a fixed-order RLP list of byte
 * strings (integers big-endian without leading zeros, addresses 20 bytes),
 * so equal states give byte-identical values on every node.
 *
 * Key layout (hex is lower-case, addresses without 0x):
 *   k/c/<addr>           candidate record (pools inline)
 *   k/cl                 sorted list of every candidate record's address
 *   k/pk/<pubkey>        ed25519 key → candidate address (kept forever: a key is never reused by another address)
 *   k/va/<cometaddr>     CometBFT validator address → candidate address (kept forever)
 *   k/d/<cand><deleg>    delegation: pool id, shares, principal, links of the candidate's delegation list
 *   k/dd/<deleg>         sorted list of candidates the delegator has a delegation at
 *   k/u/<id:16>          unstake request (or a withdrawn candidacy's payout entry)
 *   k/du/<deleg>         ascending ids of the delegator's waiting unstake requests
 *   k/q                  next request id and the maturity queues (one FIFO per waiting period)
 *   k/e/<addr>           enterprise account flag
 *   k/r                  ranking of the last end of block: validators, backups
 *   k/vs                 validator set last returned to CometBFT (pubkey, power), sorted by pubkey
 *   k/y                  award year: t0 (block 1's header time, ms), k, B_k, r_k, minted_k so far (wei, before the cap)
 *   k/chain              CometBFT chain id (UTF-8), written at InitChain: what candidacy proofs sign
 *   k/b                  this block's absent validators and slashes (written by beginBlock; absent when there are none)
 *   k/aw/<slot:16>       award record of a recent height, slot = height mod AWARD_HISTORY (none for a block that awarded nothing)
 */
import { RLP } from '@ethereumjs/rlp';
import type { KV } from '../store/kv.js';
import { bigintToBytes, bytesToBigint } from '../state/accounts.js';
import { addressFromBytes, type Address } from '../util/address.js';

import type { AwardYear } from './inflation.js';
import type { AwardEntry, BlockAwards, CandidateState, SlashInfo } from './types.js';

/** Pool id of a candidate's own stake (compensation rates are 0…9999). */
export const SELF_POOL = 10_000;
/** Shares minted per wei when a pool is (re)started: keeps share rounding far below 1 wei. */
export const SHARE_SCALE = 10n ** 18n;
/** Slots of the award record ring: a record stays readable for at least this many heights. */
export const AWARD_HISTORY = 100n;

type Rlp = Uint8Array | Rlp[];

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { ignoreBOM: true });

function u(n: number | bigint): Uint8Array {
  return bigintToBytes(BigInt(n));
}
function big(b: Rlp | undefined): bigint {
  if (!(b instanceof Uint8Array)) throw new Error('corrupt staking record: expected an integer');
  return bytesToBigint(b);
}
function num(b: Rlp | undefined): number {
  return Number(big(b));
}
function bytes(b: Rlp | undefined): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new Error('corrupt staking record: expected bytes');
  return b;
}
function list(b: Rlp | undefined): Rlp[] {
  if (!Array.isArray(b)) throw new Error('corrupt staking record: expected a list');
  return b;
}
/** Bytes of recently encoded addresses (bounded; cleared when full). */
const ADDR_BYTES = new Map<string, Uint8Array>();
function addr(a: Address | ''): Uint8Array {
  if (a === '') return EMPTY;
  let b = ADDR_BYTES.get(a);
  if (b === undefined) {
    if (ADDR_BYTES.size >= 4096) ADDR_BYTES.clear();
    b = new Uint8Array(Buffer.from(a.slice(2), 'hex'));
    ADDR_BYTES.set(a, b);
  }
  return b;
}
const TEXT_BYTES = new Map<string, Uint8Array>();
function text(t: string): Uint8Array {
  let b = TEXT_BYTES.get(t);
  if (b === undefined) {
    if (TEXT_BYTES.size >= 1024) TEXT_BYTES.clear();
    b = utf8.encode(t);
    TEXT_BYTES.set(t, b);
  }
  return b;
}
function toAddr(b: Rlp | undefined): Address | '' {
  const raw = bytes(b);
  return raw.length === 0 ? '' : addressFromBytes(raw);
}
function mustAddr(b: Rlp | undefined): Address {
  const a = toAddr(b);
  if (a === '') throw new Error('corrupt staking record: missing address');
  return a;
}
function decode(raw: Uint8Array): Rlp[] {
  return list(RLP.decode(raw) as Rlp);
}
function hex(a: Address): string {
  return a.slice(2);
}
export function hex16(n: bigint): string {
  return n.toString(16).padStart(16, '0');
}

// ---------------------------------------------------------------- candidates

export const STATE_CODES: readonly CandidateState[] = ['active', 'deactivated', 'withdrawn', 'removed'];

export interface Pool {
  /** Compensation rate in bp, or SELF_POOL for the candidate's own stake. */
  id: number;
  tokens: bigint;
  shares: bigint;
  /** Shares held by waiting unstake requests (all of them once the candidate withdrew). */
  waitingShares: bigint;
}

export interface CandidateRecord {
  address: Address;
  pubKey: Uint8Array;
  maxStake: bigint;
  compRateBp: number;
  description: string;
  verified: boolean;
  state: CandidateState;
  declareHeight: bigint;
  missed: number;
  /** Sorted by id. */
  pools: Pool[];
  /** Unstake requests (kind delegation) still waiting. */
  pendingRequests: bigint;
  delegationCount: bigint;
  /** First delegator of the candidate's delegation list ('' if none). */
  head: Address | '';
  /** When withdrawn: header time at which everything is paid out. */
  withdrawMatureTime: bigint;
  awarded: bigint;
  slashed: bigint;
  /**
   * Removed by slashing (absence or evidence), or slashed for evidence while
   * withdrawn, and not re-activated since: further evidence slashes nothing (SPEC 7).
   */
  penalized: boolean;
}

/** Decoded form of candidate record bytes, by identity of the bytes object (never consulted for equality). */
const DECODED = new WeakMap<Uint8Array, CandidateRecord>();

export function cloneCandidate(c: CandidateRecord): CandidateRecord {
  return { ...c, pubKey: c.pubKey, pools: c.pools.map((p) => ({ ...p })) };
}

/** A delegator's unbonding request ids: `k/du/<delegator hex>` (export reads them by prefix). */
export const UNBONDINGS_PREFIX = 'k/du/';
/** Enterprise-flagged candidates: `k/e/<address hex>`. */
export const ENTERPRISE_PREFIX = 'k/e/';

export function candidateKey(a: Address): string {
  return `k/c/${hex(a)}`;
}

export function encodeCandidate(c: CandidateRecord): Uint8Array {
  return RLP.encode([
    addr(c.address),
    c.pubKey,
    u(c.maxStake),
    u(c.compRateBp),
    text(c.description),
    u(c.verified ? 1 : 0),
    u(STATE_CODES.indexOf(c.state)),
    u(c.declareHeight),
    u(c.missed),
    c.pools.map((p) => [u(p.id), u(p.tokens), u(p.shares), u(p.waitingShares)]),
    u(c.pendingRequests),
    u(c.delegationCount),
    addr(c.head),
    u(c.withdrawMatureTime),
    u(c.awarded),
    u(c.slashed),
    u(c.penalized ? 1 : 0),
  ]);
}

export function decodeCandidate(raw: Uint8Array): CandidateRecord {
  const f = decode(raw);
  if (f.length !== 17) throw new Error('corrupt candidate record');
  const state = STATE_CODES[num(f[6])];
  if (state === undefined) throw new Error('corrupt candidate record: state');
  return {
    address: mustAddr(f[0]),
    pubKey: bytes(f[1]),
    maxStake: big(f[2]),
    compRateBp: num(f[3]),
    description: utf8d.decode(bytes(f[4])),
    verified: big(f[5]) === 1n,
    state,
    declareHeight: big(f[7]),
    missed: num(f[8]),
    pools: list(f[9]).map((p) => {
      const g = list(p);
      return { id: num(g[0]), tokens: big(g[1]), shares: big(g[2]), waitingShares: big(g[3]) };
    }),
    pendingRequests: big(f[10]),
    delegationCount: big(f[11]),
    head: toAddr(f[12]),
    withdrawMatureTime: big(f[13]),
    awarded: big(f[14]),
    slashed: big(f[15]),
    penalized: big(f[16]) === 1n,
  };
}

// --------------------------------------------------------------- delegations

export interface DelegationRecord {
  pool: number;
  shares: bigint;
  /** Wei delegated and not yet unstaked (docs/STAKING.md "Principal"); awards and slashes leave it alone. */
  principal: bigint;
  prev: Address | '';
  next: Address | '';
}

export function delegationKey(candidate: Address, delegator: Address): string {
  return `k/d/${hex(candidate)}${hex(delegator)}`;
}

export function encodeDelegation(d: DelegationRecord): Uint8Array {
  return RLP.encode([u(d.pool), u(d.shares), u(d.principal), addr(d.prev), addr(d.next)]);
}

export function decodeDelegation(raw: Uint8Array): DelegationRecord {
  const f = decode(raw);
  if (f.length !== 5) throw new Error('corrupt delegation record');
  return { pool: num(f[0]), shares: big(f[1]), principal: big(f[2]), prev: toAddr(f[3]), next: toAddr(f[4]) };
}

// ------------------------------------------------------------ unstake queue

export const REQUEST_DELEGATION = 0;
export const REQUEST_WITHDRAWAL = 1;

export interface RequestRecord {
  id: bigint;
  /** REQUEST_DELEGATION: shares of one delegation; REQUEST_WITHDRAWAL: a withdrawn candidacy's payout. */
  kind: number;
  delegator: Address | '';
  candidate: Address;
  pool: number;
  shares: bigint;
  matureTime: bigint;
  height: bigint;
  /** Next request of the same queue (0 = none). */
  next: bigint;
}

export function requestKey(id: bigint): string {
  return `k/u/${hex16(id)}`;
}

export function encodeRequest(r: RequestRecord): Uint8Array {
  return RLP.encode([u(r.id), u(r.kind), addr(r.delegator), addr(r.candidate), u(r.pool), u(r.shares), u(r.matureTime), u(r.height), u(r.next)]);
}

export function decodeRequest(raw: Uint8Array): RequestRecord {
  const f = decode(raw);
  if (f.length !== 9) throw new Error('corrupt unstake request record');
  return {
    id: big(f[0]),
    kind: num(f[1]),
    delegator: toAddr(f[2]),
    candidate: mustAddr(f[3]),
    pool: num(f[4]),
    shares: big(f[5]),
    matureTime: big(f[6]),
    height: big(f[7]),
    next: big(f[8]),
  };
}

export interface Queue {
  /** Waiting period (s) of every request in this FIFO: header time never decreases, so it stays time-ordered. */
  period: bigint;
  head: bigint;
  tail: bigint;
}

export interface QueueState {
  nextId: bigint;
  /** Sorted by period. */
  queues: Queue[];
}

// -------------------------------------------------------------- the store

export interface Ranking {
  validators: Address[];
  backups: Address[];
}

export interface SentValidator {
  pubKey: Uint8Array;
  power: bigint;
}

export interface BlockRecord {
  height: bigint;
  absent: Address[];
  slashes: SlashInfo[];
}

function encodeAddrList(a: readonly Address[]): Uint8Array {
  return RLP.encode(a.map(addr));
}
function decodeAddrList(raw: Uint8Array | undefined): Address[] {
  return raw === undefined ? [] : memo(raw, (r) => decode(r).map(mustAddr)).slice();
}

/** Decoded forms of small index records, by identity of their bytes object. */
const MEMO = new WeakMap<Uint8Array, unknown>();
function memo<T>(raw: Uint8Array, decodeRaw: (raw: Uint8Array) => T): T {
  let v = MEMO.get(raw) as T | undefined;
  if (v === undefined) {
    v = decodeRaw(raw);
    MEMO.set(raw, v);
  }
  return v;
}

/** Typed access to the ledger's records over a KV. */
export class StakingStore {
  constructor(readonly kv: KV) {}

  // candidates
  getCandidate(a: Address): CandidateRecord | undefined {
    const raw = this.kv.get(candidateKey(a));
    if (raw === undefined) return undefined;
    // Records this process wrote (or read) before come back as the same bytes object:
    // reuse their decoded form instead of decoding again (a copy, since callers mutate).
    let decoded = DECODED.get(raw);
    if (decoded === undefined) {
      decoded = decodeCandidate(raw);
      DECODED.set(raw, decoded);
    }
    return cloneCandidate(decoded);
  }
  putCandidate(c: CandidateRecord): void {
    c.pools = c.pools.filter((p) => p.shares > 0n || p.tokens > 0n);
    const raw = encodeCandidate(c);
    DECODED.set(raw, cloneCandidate(c));
    this.kv.set(candidateKey(c.address), raw);
  }
  deleteCandidate(a: Address): void {
    this.kv.delete(candidateKey(a));
    const all = this.candidateList();
    const i = all.indexOf(a);
    if (i >= 0) {
      all.splice(i, 1);
      this.kv.set('k/cl', encodeAddrList(all));
    }
  }
  candidateList(): Address[] {
    return decodeAddrList(this.kv.get('k/cl'));
  }
  addToCandidateList(a: Address): void {
    const all = this.candidateList();
    if (all.includes(a)) return;
    all.push(a);
    all.sort();
    this.kv.set('k/cl', encodeAddrList(all));
  }

  pubKeyOwner(pubKey: Uint8Array): Address | undefined {
    const raw = this.kv.get(`k/pk/${Buffer.from(pubKey).toString('hex')}`);
    return raw === undefined ? undefined : mustAddr(raw);
  }
  setPubKeyOwner(pubKey: Uint8Array, a: Address): void {
    this.kv.set(`k/pk/${Buffer.from(pubKey).toString('hex')}`, addr(a));
  }
  consensusOwner(validatorAddress: Uint8Array): Address | undefined {
    const raw = this.kv.get(`k/va/${Buffer.from(validatorAddress).toString('hex')}`);
    return raw === undefined ? undefined : mustAddr(raw);
  }
  setConsensusOwner(validatorAddress: Uint8Array, a: Address): void {
    this.kv.set(`k/va/${Buffer.from(validatorAddress).toString('hex')}`, addr(a));
  }

  // delegations
  getDelegation(candidate: Address, delegator: Address): DelegationRecord | undefined {
    const raw = this.kv.get(delegationKey(candidate, delegator));
    return raw === undefined ? undefined : decodeDelegation(raw);
  }
  putDelegation(candidate: Address, delegator: Address, d: DelegationRecord): void {
    this.kv.set(delegationKey(candidate, delegator), encodeDelegation(d));
  }
  deleteDelegationRecord(candidate: Address, delegator: Address): void {
    this.kv.delete(delegationKey(candidate, delegator));
  }
  delegatorCandidates(delegator: Address): Address[] {
    return decodeAddrList(this.kv.get(`k/dd/${hex(delegator)}`));
  }
  setDelegatorCandidates(delegator: Address, list: readonly Address[]): void {
    if (list.length === 0) this.kv.delete(`k/dd/${hex(delegator)}`);
    else this.kv.set(`k/dd/${hex(delegator)}`, encodeAddrList(list));
  }

  // requests
  getRequest(id: bigint): RequestRecord | undefined {
    const raw = this.kv.get(requestKey(id));
    return raw === undefined ? undefined : decodeRequest(raw);
  }
  putRequest(r: RequestRecord): void {
    this.kv.set(requestKey(r.id), encodeRequest(r));
  }
  deleteRequest(id: bigint): void {
    this.kv.delete(requestKey(id));
  }
  delegatorRequests(delegator: Address): bigint[] {
    const raw = this.kv.get(`${UNBONDINGS_PREFIX}${hex(delegator)}`);
    return raw === undefined ? [] : decode(raw).map(big);
  }
  setDelegatorRequests(delegator: Address, ids: readonly bigint[]): void {
    if (ids.length === 0) this.kv.delete(`${UNBONDINGS_PREFIX}${hex(delegator)}`);
    else this.kv.set(`${UNBONDINGS_PREFIX}${hex(delegator)}`, RLP.encode(ids.map(u)));
  }
  queueState(): QueueState {
    const raw = this.kv.get('k/q');
    if (raw === undefined) return { nextId: 1n, queues: [] };
    const q = memo(raw, (x): QueueState => {
      const f = decode(x);
      return {
        nextId: big(f[0]),
        queues: list(f[1]).map((e) => {
          const g = list(e);
          return { period: big(g[0]), head: big(g[1]), tail: big(g[2]) };
        }),
      };
    });
    return { nextId: q.nextId, queues: q.queues.map((e) => ({ ...e })) };
  }
  putQueueState(q: QueueState): void {
    const raw = RLP.encode([u(q.nextId), q.queues.map((x) => [u(x.period), u(x.head), u(x.tail)])]);
    MEMO.set(raw, { nextId: q.nextId, queues: q.queues.map((e) => ({ ...e })) });
    this.kv.set('k/q', raw);
  }

  // enterprise
  isEnterprise(a: Address): boolean {
    return this.kv.get(`${ENTERPRISE_PREFIX}${hex(a)}`) !== undefined;
  }
  setEnterprise(a: Address, on: boolean): void {
    if (on) this.kv.set(`${ENTERPRISE_PREFIX}${hex(a)}`, Uint8Array.of(1));
    else this.kv.delete(`${ENTERPRISE_PREFIX}${hex(a)}`);
  }

  // ranking and validator set
  ranking(): Ranking {
    const raw = this.kv.get('k/r');
    if (raw === undefined) return { validators: [], backups: [] };
    const r = memo(raw, (x): Ranking => {
      const f = decode(x);
      return { validators: list(f[0]).map(mustAddr), backups: list(f[1]).map(mustAddr) };
    });
    return { validators: r.validators.slice(), backups: r.backups.slice() };
  }
  putRanking(r: Ranking): void {
    const raw = RLP.encode([r.validators.map(addr), r.backups.map(addr)]);
    MEMO.set(raw, { validators: r.validators.slice(), backups: r.backups.slice() });
    this.kv.set('k/r', raw);
  }
  lastSent(): SentValidator[] {
    const raw = this.kv.get('k/vs');
    if (raw === undefined) return [];
    return memo(raw, (x) =>
      decode(x).map((e) => {
        const g = list(e);
        return { pubKey: bytes(g[0]), power: big(g[1]) };
      }),
    ).map((v) => ({ ...v }));
  }
  putLastSent(set: readonly SentValidator[]): void {
    const raw = RLP.encode(set.map((v) => [v.pubKey, u(v.power)]));
    MEMO.set(
      raw,
      set.map((v) => ({ ...v })),
    );
    this.kv.set('k/vs', raw);
  }

  // chain id
  chainId(): string | undefined {
    const raw = this.kv.get('k/chain');
    return raw === undefined ? undefined : utf8d.decode(raw);
  }
  setChainId(id: string): void {
    this.kv.set('k/chain', utf8.encode(id));
  }

  // award year and block records
  year(): AwardYear | undefined {
    const raw = this.kv.get('k/y');
    if (raw === undefined) return undefined;
    const f = decode(raw);
    if (f.length !== 5) throw new Error('corrupt award year record');
    return { t0: big(f[0]), year: big(f[1]), base: big(f[2]), rateBp: big(f[3]), minted: big(f[4]) };
  }
  putYear(y: AwardYear): void {
    this.kv.set('k/y', RLP.encode([u(y.t0), u(y.year), u(y.base), u(y.rateBp), u(y.minted)]));
  }
  block(): BlockRecord | undefined {
    const raw = this.kv.get('k/b');
    if (raw === undefined) return undefined;
    const f = decode(raw);
    return { height: big(f[0]), absent: list(f[1]).map(mustAddr), slashes: list(f[2]).map(decodeSlash) };
  }
  /** A block with no absentee and no slash leaves no record (and clears an older one): an idle block writes nothing. */
  putBlock(b: BlockRecord): void {
    if (b.absent.length === 0 && b.slashes.length === 0) this.kv.delete('k/b');
    else this.kv.set('k/b', RLP.encode([u(b.height), b.absent.map(addr), b.slashes.map(encodeSlash)]));
  }
  /** The award record of `height`, while its slot holds it; undefined for a block that awarded nothing. */
  awards(height: bigint): BlockAwards | undefined {
    const raw = this.kv.get(awardKey(height));
    if (raw === undefined) return undefined;
    const record = decodeAwards(raw);
    return record.height === height ? record : undefined;
  }
  /**
   * Records a block's awards in the slot of its height (a ring of
   * AWARD_HISTORY slots). A block that minted, collected and paid out nothing
   * and had no absentee or slash writes nothing, so an idle block leaves the
   * state as it was.
   */
  putAwards(a: BlockAwards): void {
    const idle = a.minted === 0n && a.fees === 0n && a.dustOut === a.dustIn && a.slashes.length === 0 && a.absent.length === 0;
    if (!idle) this.kv.set(awardKey(a.height), encodeAwards(a));
  }
}

function awardKey(height: bigint): string {
  return `k/aw/${hex16(height % AWARD_HISTORY)}`;
}

// Codes stored in award records (index = code); an unknown code is a corrupt record.
const SLASH_REASONS: readonly SlashInfo['reason'][] = ['absent', 'byzantine'];
const AWARD_GROUPS: readonly AwardEntry['group'][] = ['validator', 'backup'];
function encodeSlash(s: SlashInfo): Rlp {
  return [addr(s.candidate), u(s.amount), u(SLASH_REASONS.indexOf(s.reason))];
}
function decodeSlash(r: Rlp): SlashInfo {
  const g = list(r);
  const reason = SLASH_REASONS[num(g[2])];
  if (reason === undefined) throw new Error('corrupt staking record: slash reason');
  return { candidate: mustAddr(g[0]), amount: big(g[1]), reason };
}
function encodeAwards(a: BlockAwards): Uint8Array {
  return RLP.encode([
    u(a.height),
    u(a.minted),
    u(a.fees),
    u(a.dustIn),
    u(a.dustOut),
    a.awards.map((e) => [addr(e.candidate), u(AWARD_GROUPS.indexOf(e.group)), u(e.votingPower), u(e.delegatorsAward), u(e.compensation)]),
    a.slashes.map(encodeSlash),
    a.absent.map(addr),
  ]);
}
function decodeAwards(raw: Uint8Array): BlockAwards {
  const f = decode(raw);
  return {
    height: big(f[0]),
    minted: big(f[1]),
    fees: big(f[2]),
    dustIn: big(f[3]),
    dustOut: big(f[4]),
    awards: list(f[5]).map((e): AwardEntry => {
      const g = list(e);
      const group = AWARD_GROUPS[num(g[1])];
      if (group === undefined) throw new Error('corrupt staking record: award group');
      return {
        candidate: mustAddr(g[0]),
        group,
        votingPower: big(g[2]),
        delegatorsAward: big(g[3]),
        compensation: big(g[4]),
      };
    }),
    slashes: list(f[6]).map(decodeSlash),
    absent: list(f[7]).map(mustAddr),
  };
}
