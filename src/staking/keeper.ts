/**
 * The staking keeper: what every part of the ledger (genesis, operations,
 * block phases) works through — the records (StakingStore), balances, the
 * supply and the params — and the bookkeeping they share: candidate records
 * cached per operation, pools, and adding stake to a candidate's delegation
 * list. Queries read through StakingQueries (queries.ts) instead.
 */
import type { KV } from '../store/kv.js';
import { Accounts, type Bank } from '../state/accounts.js';
import type { Address } from '../util/address.js';
import { loadParams, type Params } from '../state/params.js';
import { Supply } from '../state/supply.js';
import { deposit, isWiped, shareValue } from './pool.js';
import { cometAddress } from './power.js';
import { SELF_POOL, StakingStore, type CandidateRecord, type DelegationRecord, type Pool } from './store.js';
import { StakingError } from './types.js';

export interface StakingDeps {
  /** Balance access (default: `Accounts` over the same kv). */
  bank?: Bank;
  /** Supply bookkeeping (default: `Supply` over the same kv). */
  supply?: Supply;
  /** Params source (default: `loadParams(kv)` at each call). */
  params?: () => Params;
}

/** Basis points in one whole (rates and ratios are in basis points). */
export const BP = 10_000n;

/** Refuses an operation: a StakingError with a stable reason code. */
export function fail(reason: string, message: string): never {
  throw new StakingError(reason, message);
}

export function findPool(c: CandidateRecord, id: number): Pool | undefined {
  return c.pools.find((p) => p.id === id);
}

export function poolOf(c: CandidateRecord, id: number): Pool {
  let p = findPool(c, id);
  if (p === undefined) {
    p = { id, tokens: 0n, shares: 0n, waitingShares: 0n };
    c.pools.push(p);
    c.pools.sort((a, b) => a.id - b.id);
  }
  return p;
}

export function dropEmptyPools(c: CandidateRecord): void {
  c.pools = c.pools.filter((p) => p.shares > 0n || p.tokens > 0n);
}

export function poolWaiting(p: Pool): bigint {
  return shareValue(p, p.waitingShares);
}

/** Per-operation cache of candidate records; written back (sorted) by `flush`. */
export class CandidateCache {
  private readonly loaded = new Map<Address, CandidateRecord | undefined>();
  private readonly dirty = new Set<Address>();
  private readonly removed = new Set<Address>();

  constructor(private readonly store: StakingStore) {}

  get(a: Address): CandidateRecord | undefined {
    if (!this.loaded.has(a)) this.loaded.set(a, this.store.getCandidate(a));
    return this.loaded.get(a);
  }
  put(c: CandidateRecord): void {
    this.loaded.set(c.address, c);
    this.dirty.add(c.address);
    this.removed.delete(c.address);
  }
  remove(a: Address): void {
    this.loaded.set(a, undefined);
    this.dirty.delete(a);
    this.removed.add(a);
  }
  flush(): void {
    for (const a of [...this.removed].sort()) this.store.deleteCandidate(a);
    for (const a of [...this.dirty].sort()) {
      const c = this.loaded.get(a);
      if (c !== undefined) {
        dropEmptyPools(c);
        this.store.putCandidate(c);
      }
    }
    this.dirty.clear();
    this.removed.clear();
  }
}

/** Every candidate record, in address order. */
export function loadCandidates(store: StakingStore): CandidateRecord[] {
  return store.candidateList().map((a) => store.getCandidate(a)!);
}

/** The candidate's own stake in itself (its waiting requests not included). */
export function selfStakeOf(store: StakingStore, c: CandidateRecord): bigint {
  const d = store.getDelegation(c.address, c.address);
  const p = findPool(c, SELF_POOL);
  return d === undefined || p === undefined ? 0n : shareValue(p, d.shares);
}

export class StakingKeeper {
  readonly store: StakingStore;
  readonly bank: Bank;
  readonly supply: Supply;
  private readonly paramsSource: () => Params;

  constructor(
    readonly kv: KV,
    deps: StakingDeps = {},
  ) {
    this.store = new StakingStore(kv);
    this.bank = deps.bank ?? new Accounts(kv);
    this.supply = deps.supply ?? new Supply(kv);
    this.paramsSource = deps.params ?? (() => loadParams(kv));
  }

  params(): Params {
    return this.paramsSource();
  }

  loadAll(): CandidateRecord[] {
    return loadCandidates(this.store);
  }

  newCandidate(address: Address, pubKey: Uint8Array, maxStake: bigint, compRateBp: number, description: string, height: bigint): CandidateRecord {
    this.store.addToCandidateList(address);
    this.store.setPubKeyOwner(pubKey, address);
    this.store.setConsensusOwner(cometAddress(pubKey), address);
    return {
      address,
      pubKey: new Uint8Array(pubKey),
      maxStake,
      compRateBp,
      description,
      verified: false,
      state: 'active',
      declareHeight: height,
      missed: 0,
      pools: [],
      pendingRequests: 0n,
      delegationCount: 0n,
      head: '',
      withdrawMatureTime: 0n,
      awarded: 0n,
      slashed: 0n,
      penalized: false,
    };
  }

  checkPubKey(owner: Address, pubKey: Uint8Array, where: string): void {
    if (pubKey.length !== 32) throw new Error(`${where}: an ed25519 public key has 32 bytes, got ${pubKey.length}`);
    if (pubKey.every((b) => b === 0)) throw new Error(`${where}: the all-zero public key is not a key`);
    const used = this.store.pubKeyOwner(pubKey);
    if (used !== undefined && used !== owner) throw new Error(`${where}: public key already used by ${used}`);
    const comet = this.store.consensusOwner(cometAddress(pubKey));
    if (comet !== undefined && comet !== owner) throw new Error(`${where}: public key already used by ${comet}`);
  }

  /** The candidate's own stake in itself (its waiting requests not included). */
  selfStake(c: CandidateRecord): bigint {
    return selfStakeOf(this.store, c);
  }

  /**
   * Adds `amount` to `delegator`'s stake at `c` (creating the delegation at
   * the candidate's default rate, or in the self pool for the candidate
   * itself) and returns the shares issued. The amount joins the principal
   * unless it is compensation (`inAward`): that is earned. Writes the
   * delegation record; the caller writes `c`.
   */
  addStake(c: CandidateRecord, delegator: Address, amount: bigint, inAward = false): bigint {
    const self = delegator === c.address;
    const existing = this.store.getDelegation(c.address, delegator);
    const poolId = self ? SELF_POOL : (existing?.pool ?? c.compRateBp);
    const pool = poolOf(c, poolId);
    if (inAward && isWiped(pool)) {
      // Compensation into a self pool slashed to nothing: the tokens belong to the candidate alone.
      pool.tokens += amount;
      return 0n;
    }
    const shares = deposit(pool, amount);
    const principal = inAward ? 0n : amount;
    if (existing !== undefined) {
      existing.shares += shares;
      existing.principal += principal;
      this.store.putDelegation(c.address, delegator, existing);
    } else {
      this.linkDelegation(c, delegator, { pool: poolId, shares, principal, prev: '', next: '' });
    }
    return shares;
  }

  /** Inserts a new delegation at the head of the candidate's list and into the delegator's index. */
  linkDelegation(c: CandidateRecord, delegator: Address, d: DelegationRecord): void {
    d.prev = '';
    d.next = c.head;
    if (c.head !== '') {
      const h = this.store.getDelegation(c.address, c.head)!;
      h.prev = delegator;
      this.store.putDelegation(c.address, c.head, h);
    }
    c.head = delegator;
    c.delegationCount += 1n;
    this.store.putDelegation(c.address, delegator, d);
    const idx = this.store.delegatorCandidates(delegator);
    if (!idx.includes(c.address)) {
      idx.push(c.address);
      idx.sort();
      this.store.setDelegatorCandidates(delegator, idx);
    }
  }

  /** Removes a delegation record from the candidate's list and the delegator's index. */
  unlinkDelegation(c: CandidateRecord, delegator: Address, d: DelegationRecord): void {
    if (d.prev !== '') {
      const p = this.store.getDelegation(c.address, d.prev)!;
      p.next = d.next;
      this.store.putDelegation(c.address, d.prev, p);
    } else {
      c.head = d.next;
    }
    if (d.next !== '') {
      const n = this.store.getDelegation(c.address, d.next)!;
      n.prev = d.prev;
      this.store.putDelegation(c.address, d.next, n);
    }
    c.delegationCount -= 1n;
    this.store.deleteDelegationRecord(c.address, delegator);
    this.store.setDelegatorCandidates(
      delegator,
      this.store.delegatorCandidates(delegator).filter((a) => a !== c.address),
    );
  }
}
