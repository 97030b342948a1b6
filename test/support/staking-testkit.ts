/**
 * Helpers to drive the real ledger the way the node does, for tests, the
 * benchmark and the fixture recorder: deterministic keys and addresses,
 * a transaction run like the executor runs a system call (scratch overlay,
 * value debited, committed only on success), and the whitepaper genesis of
 * SPEC 5.6. Test support: production code never imports it (.dependency-cruiser.cjs).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Overlay, type KV } from '../../src/store/kv.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { CMT, DEFAULT_PARAMS, paramsToJson, saveParams, type Params } from '../../src/state/params.js';
import { Supply } from '../../src/state/supply.js';
import { SystemCallError, type SystemCallResult } from '../../src/system/types.js';
import { StakingContract, STAKING_INTERFACE } from '../../src/staking/contract.js';
import { StakingLedger } from '../../src/staking/ledger.js';
import { ed25519PublicKey, signCandidacy } from '../../src/staking/pop.js';
import { cometAddress } from '../../src/staking/power.js';
import type { CandidateRecord } from '../../src/staking/store.js';

/** The CometBFT chain id of test chains (what candidacy proofs sign). */
export const TEST_CHAIN_ID = 'cmtd-test';

/** Deterministic ed25519 seed number `i`. */
export function testKeySeed(i: number | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`cmtd-test-key-${i}`).digest());
}

const TEST_KEYS = new Map<string, Uint8Array>();
/** Deterministic ed25519 public key number `i` (of `testKeySeed(i)`). */
export function testPubKey(i: number | string): Uint8Array {
  let k = TEST_KEYS.get(String(i));
  if (k === undefined) {
    k = ed25519PublicKey(testKeySeed(i));
    TEST_KEYS.set(String(i), k);
  }
  return k;
}

/** 0x-hex proof of possession of key `i` for `candidate` (SPEC 6), for declareCandidacy. */
export function testPop(i: number | string, candidate: Address, chainId = TEST_CHAIN_ID): string {
  return `0x${Buffer.from(signCandidacy(testKeySeed(i), chainId, candidate)).toString('hex')}`;
}

/** Deterministic address number `i` (or named). */
export function testAddress(i: number | string): Address {
  return `0x${createHash('sha256').update(`cmtd-test-address-${i}`).digest('hex').slice(0, 40)}`;
}

export interface TestChain {
  base: Map<string, Uint8Array>;
  kv: Overlay;
  ledger: StakingLedger;
  accounts: Accounts;
  supply: Supply;
  params: Params;
}

/** An empty state (Overlay over an empty Map) with params saved and the given balances minted as genesis supply. */
export function newTestChain(overrides: Partial<Params> = {}, balances: Array<[Address, bigint]> = []): TestChain {
  const base = new Map<string, Uint8Array>();
  const kv = new Overlay({ get: (k) => base.get(k) });
  const params: Params = { ...DEFAULT_PARAMS, ...overrides };
  saveParams(kv, params);
  const accounts = new Accounts(kv);
  const supply = new Supply(kv);
  let total = 0n;
  for (const [a, v] of balances) {
    accounts.credit(a, v);
    total += v;
  }
  supply.setGenesis(total);
  const ledger = new StakingLedger(kv);
  ledger.setChainId(TEST_CHAIN_ID);
  return { base, kv, ledger, accounts, supply, params };
}

export type TxOutcome = { ok: true; result: SystemCallResult } | { ok: false; error: SystemCallError };

/**
 * Runs one staking transaction as the executor does: a scratch overlay over
 * `kv`, the value debited from the sender there, the call, then the scratch
 * state committed on success or dropped on a refusal (gas is not modelled).
 */
export function sendStakingTx(kv: KV, tx: { sender: Address; value?: bigint; height: bigint; time: bigint }, fn: string, args: readonly unknown[] = []): TxOutcome {
  const scratch = new Overlay(kv);
  const value = tx.value ?? 0n;
  new Accounts(scratch).debit(tx.sender, value);
  const data = STAKING_INTERFACE.encodeFunctionData(fn, args);
  try {
    const result = StakingContract.over(scratch).call(
      { sender: tx.sender, value, height: tx.height, time: tx.time, txHash: new Uint8Array(32) },
      new Uint8Array(Buffer.from(data.slice(2), 'hex')),
    );
    scratch.commitTo(kv);
    return { ok: true, result };
  } catch (e) {
    if (e instanceof SystemCallError) return { ok: false, error: e };
    throw e;
  }
}

/** Decodes a view call's answer. */
export function stakingView(kv: KV, fn: string, args: readonly unknown[] = []): unknown {
  const c = StakingContract.over(kv);
  const out = c.view(new Uint8Array(Buffer.from(STAKING_INTERFACE.encodeFunctionData(fn, args).slice(2), 'hex')));
  return STAKING_INTERFACE.decodeFunctionResult(fn, out)[0];
}

export interface WhitepaperKind {
  selfStakeRatioBp: number;
  compRateBp: number;
}

export interface WhitepaperSetup {
  /** Genesis app_state (SPEC 10 JSON shape). */
  genesis: Record<string, unknown>;
  /** candidate address → its kind; delegator address → its candidate. */
  candidates: Array<{ address: Address; delegator: Address; backup: boolean; kind: WhitepaperKind; self: bigint; delegated: bigint }>;
  staked: bigint;
  total: bigint;
}

/**
 * SPEC 5.6's setting: `total` supply, of which stakeRatioBp is staked;
 * 19 validators hold 90% of the stake and 5 backups 10%, each candidate
 * self-staking its kind's SSR of its stake and one delegator the rest at
 * its kind's rate. Kinds are assigned round-robin (validators, then backups).
 */
export function whitepaperGenesis(opts: {
  stakeRatioBp: number;
  kinds: WhitepaperKind[];
  total?: bigint;
  params?: Partial<Record<keyof Params, string | number | boolean>>;
  validators?: number;
  backups?: number;
}): WhitepaperSetup {
  const total = opts.total ?? 1_000_000_000n * CMT;
  const nv = opts.validators ?? 19;
  const nb = opts.backups ?? 5;
  const S = (total * BigInt(opts.stakeRatioBp)) / 10_000n;
  const Tv = (S * 9n) / (10n * BigInt(nv));
  const Tb = nb > 0 ? S / (10n * BigInt(nb)) : 0n;
  const candidates: WhitepaperSetup['candidates'] = [];
  for (let i = 0; i < nv + nb; i++) {
    const backup = i >= nv;
    const kind = opts.kinds[(backup ? i - nv : i) % opts.kinds.length]!;
    const T = backup ? Tb : Tv;
    const self = (T * BigInt(kind.selfStakeRatioBp) + 9_999n) / 10_000n;
    candidates.push({
      address: testAddress(`wp-candidate-${i}`),
      delegator: testAddress(`wp-delegator-${i}`),
      backup,
      kind,
      self,
      delegated: T - self,
    });
  }
  const staked = candidates.reduce((s, c) => s + c.self + c.delegated, 0n);
  const treasury = testAddress('wp-treasury');
  const genesis = {
    params: {
      ...paramsToJson({ ...DEFAULT_PARAMS }),
      ...(opts.params ?? {}),
    },
    accounts: [{ address: treasury, balance: (total - staked).toString() }],
    candidates: candidates.map((c, i) => ({
      address: c.address,
      pub_key: Buffer.from(testPubKey(`wp-${i}`)).toString('base64'),
      max_stake: (c.self + c.delegated).toString(),
      self_stake: c.self.toString(),
      comp_rate_bp: c.kind.compRateBp,
      description: { name: `candidate ${i}` },
      verified: false,
    })),
    delegations: candidates.map((c) => ({ delegator: c.delegator, candidate: c.address, amount: c.delegated.toString() })),
    enterprise_accounts: [],
  };
  return { genesis, candidates, staked, total };
}

/**
 * A chain driven block by block for tests: transactions through the real
 * contract (scratch overlays), blocks with chosen absentees/evidence/fees,
 * and the SPEC 5.3 conservation identity over every address it has seen.
 * The last-commit votes are those of the set last sent to CometBFT (the
 * two-block delay of CometBFT is not modelled here; `simulate` models it).
 */
export class TestNet {
  readonly chain: TestChain;
  height = 0n;
  time: bigint;
  readonly seen = new Set<Address>();

  constructor(overrides: Partial<Params> = {}, balances: Array<[Address, bigint]> = [], startTime = 1_000_000n) {
    this.chain = newTestChain(overrides, balances);
    for (const [a] of balances) this.seen.add(a);
    this.time = startTime;
  }

  get ledger(): StakingLedger {
    return this.chain.ledger;
  }

  /** Sends a transaction in the block being built (height + 1). */
  tx(sender: Address, fn: string, args: readonly unknown[] = [], value = 0n): TxOutcome {
    this.seen.add(sender);
    for (const a of args) if (typeof a === 'string' && /^0x[0-9a-f]{40}$/.test(a)) this.seen.add(a as Address);
    return sendStakingTx(this.chain.kv, { sender, value, height: this.height + 1n, time: this.time + 10n }, fn, args);
  }

  /** Like `tx` but throws the refusal. */
  ok(sender: Address, fn: string, args: readonly unknown[] = [], value = 0n): SystemCallResult {
    const r = this.tx(sender, fn, args, value);
    if (!r.ok) throw r.error;
    return r.result;
  }

  /** Like `tx` but expects a refusal and returns its reason. */
  refused(sender: Address, fn: string, args: readonly unknown[] = [], value = 0n): string {
    const r = this.tx(sender, fn, args, value);
    if (r.ok) throw new Error(`${fn} was expected to be refused`);
    return r.error.reason;
  }

  /** Runs one block: beginBlock (votes of the last sent set, `absent` ones ABSENT), fees, endBlock. */
  block(opts: { absent?: Address[]; evidence?: Address[]; fees?: Array<[Address, bigint]>; dt?: bigint } = {}): {
    begin: ReturnType<StakingLedger['beginBlock']>;
    end: ReturnType<StakingLedger['endBlockDetailed']>;
  } {
    this.height += 1n;
    this.time += opts.dt ?? 10n;
    const ctx = { height: this.height, time: this.time };
    const byKey = new Map(this.ledger.candidates().map((c) => [c.pubKey.slice(2), c.address]));
    const absent = new Set(opts.absent ?? []);
    const votes =
      this.height === 1n
        ? []
        : this.ledger.lastValidatorSet().map((v) => {
            const who = byKey.get(Buffer.from(v.pubKey).toString('hex'));
            return { validatorAddress: cometAddress(v.pubKey), absent: who !== undefined && absent.has(who) };
          });
    const evidence = (opts.evidence ?? []).map((a) => {
      const c = this.ledger.candidate(a)!;
      return {
        validatorAddress: new Uint8Array(Buffer.from(c.consensusAddress.slice(2), 'hex')),
        height: this.height - 1n,
        kind: 'duplicate_vote' as const,
      };
    });
    const begin = this.ledger.beginBlock(ctx, votes, evidence);
    for (const [payer, fee] of opts.fees ?? []) {
      this.seen.add(payer);
      this.chain.accounts.debit(payer, fee);
      this.chain.supply.addFees(fee);
    }
    const end = this.ledger.endBlockDetailed(ctx);
    return { begin, end };
  }

  /** Runs `n` blocks. */
  blocks(n: number, opts: Parameters<TestNet['block']>[0] = {}): void {
    for (let i = 0; i < n; i++) this.block(opts);
  }

  balance(a: Address): bigint {
    return this.chain.accounts.balance(a);
  }

  /** SPEC 5.3: supply = Σ balances + Σ stakes (waiting included) + fee pool + dust. Returns both sides. */
  conservation(): { supply: bigint; held: bigint } {
    const t = this.ledger.stakingTotals();
    let balances = 0n;
    for (const a of this.seen) balances += this.chain.accounts.balance(a);
    return { supply: t.supply, held: balances + t.bonded + t.dust + t.feePool };
  }
}

/** A candidate description with every field set (SPEC 6), for declareCandidacy. */
export const TEST_DESCRIPTION = JSON.stringify({ name: 'n', website: 'https://x', location: 'l', email: 'e@x' });

/** A test file's deterministic actors: foundation `F`, candidates, delegators and the candidates' consensus keys. */
export interface TestActors {
  readonly F: Address;
  readonly cand: (i: number) => Address;
  readonly del: (i: number) => Address;
  /** Consensus public key of candidate `i`. */
  readonly key: (i: number) => Uint8Array;
  /** `key(i)` as 0x-hex, as declareCandidacy takes it. */
  readonly pk: (i: number) => string;
  /** Proof of possession of `key(i)` for `who`. */
  readonly pop: (i: number, who: Address, chainId?: string) => string;
}

/**
 * Actors named `<prefix>cand-<i>`, `<prefix>del-<i>` and `<prefix>foundation`
 * (or `foundation`), with keys named `<keyPrefix><i>` (default `<prefix>cand-<i>`).
 * Each file keeps its own names, so its addresses, keys and their order stay as they were.
 */
export function testActors(prefix = '', opts: { keyPrefix?: string; foundation?: string } = {}): TestActors {
  const keyName = (i: number): string => `${opts.keyPrefix ?? `${prefix}cand-`}${i}`;
  const key = (i: number): Uint8Array => testPubKey(keyName(i));
  return {
    F: testAddress(opts.foundation ?? `${prefix}foundation`),
    cand: (i) => testAddress(`${prefix}cand-${i}`),
    del: (i) => testAddress(`${prefix}del-${i}`),
    key,
    pk: (i) => `0x${Buffer.from(key(i)).toString('hex')}`,
    pop: (i, who, chainId) => testPop(keyName(i), who, chainId),
  };
}

/**
 * A TestNet with `F` as foundation (holding `funds.foundation`, 1,000 CMT unless
 * told; 0n leaves it out of the balances), candidates and delegators 0 … count-1
 * holding `funds.each` (10,000,000 CMT unless told) and a 100 s unstake wait.
 */
export function fundedTestNet(actors: TestActors, count: number, overrides: Partial<Params> = {}, funds: { foundation?: bigint; each?: bigint } = {}): TestNet {
  const foundation = funds.foundation ?? 1_000n * CMT;
  const each = funds.each ?? 10_000_000n * CMT;
  const balances: Array<[Address, bigint]> = foundation > 0n ? [[actors.F, foundation]] : [];
  for (let i = 0; i < count; i++) balances.push([actors.cand(i), each], [actors.del(i), each]);
  return new TestNet({ foundation_address: actors.F, unstake_waiting_period_s: 100n, ...overrides }, balances);
}

/** Candidate `i` declares itself: `self` staked, maxStake `max` (10 × self unless told), rate `rate` bp (0), description `desc` (TEST_DESCRIPTION). */
export function declareCandidate(n: TestNet, actors: TestActors, i: number, opts: { self: bigint; max?: bigint; rate?: number; desc?: string }): SystemCallResult {
  const who = actors.cand(i);
  return n.ok(who, 'declareCandidacy', [actors.pk(i), actors.pop(i, who), opts.max ?? opts.self * 10n, opts.rate ?? 0, opts.desc ?? TEST_DESCRIPTION], opts.self);
}

/** Asserts SPEC 5.3 conservation on `n`. */
export function assertConserved(n: TestNet): void {
  const { supply, held } = n.conservation();
  assert.equal(held, supply, 'supply = balances + stakes + dust');
}

/** A stored candidate record with neutral defaults (active, no pools, nothing missed, awarded or slashed), for code that reads records. */
export function testCandidateRecord(address: Address, fields: Partial<CandidateRecord> & Pick<CandidateRecord, 'pubKey'>): CandidateRecord {
  return {
    address,
    maxStake: 1_000n,
    compRateBp: 0,
    description: '',
    verified: false,
    state: 'active',
    declareHeight: 1n,
    missed: 0,
    pools: [],
    pendingRequests: 0n,
    delegationCount: 0n,
    head: '',
    withdrawMatureTime: 0n,
    awarded: 0n,
    slashed: 0n,
    penalized: false,
    ...fields,
  };
}
