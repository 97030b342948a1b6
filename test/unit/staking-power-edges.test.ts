/**
 * Edges of voting power, ranking and the validator set (SPEC 4.1–4.4,
 * docs/STAKING.md "Block work" steps 3–4): the exported pure functions of
 * power.ts and election.ts tested directly with exact values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CMT, DEFAULT_PARAMS, type Params } from '../../src/state/params.js';
import type { KV } from '../../src/store/kv.js';
import { capOf, desiredSet, electValidators } from '../../src/staking/election.js';
import type { StakingKeeper } from '../../src/staking/keeper.js';
import { MAX_TOTAL_VOTING_POWER, boundTotalPower, compareRank, diffSets, elect, sortSet, type RankEntry } from '../../src/staking/power.js';
import { SELF_POOL, StakingStore, type CandidateRecord, type SentValidator } from '../../src/staking/store.js';
import type { CandidateState } from '../../src/staking/types.js';
import type { Address } from '../../src/util/address.js';
import { testCandidateRecord } from '../support/staking-testkit.js';

/** Address whose 20 bytes are all `b` (so the address order is the order of `b`). */
function addr(b: number): Address {
  return `0x${b.toString(16).padStart(2, '0').repeat(20)}`;
}

/** A 32-byte key whose first bytes are `lead` and the rest 0 (byte order = order of `lead`). */
function key(...lead: number[]): Uint8Array {
  const k = new Uint8Array(32);
  k.set(lead);
  return k;
}

function candidate(b: number, stake: bigint, opts: { state?: CandidateState; declareHeight?: bigint; pubKey?: Uint8Array } = {}): CandidateRecord {
  return testCandidateRecord(addr(b), {
    pubKey: opts.pubKey ?? key(b),
    maxStake: 10n ** 9n * CMT,
    state: opts.state ?? 'active',
    declareHeight: opts.declareHeight ?? 1n,
    pools: stake === 0n ? [] : [{ id: SELF_POOL, tokens: stake, shares: stake, waitingShares: 0n }],
  });
}

/** Lexicographic byte order, written out independently of power.ts. */
function byteOrder(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A deterministic permutation of 0…n−1 (multiplication by a unit mod a prime > n). */
function scrambled(n: number): number[] {
  const p = 211;
  const out: number[] = [];
  for (let i = 1; i < p && out.length < n; i++) {
    const j = (i * 97) % p;
    if (j <= n) out.push(j - 1);
  }
  return out.filter((x) => x >= 0).slice(0, n);
}

/** An in-memory KV that counts the writes of each key. */
class CountingKV implements KV {
  readonly data = new Map<string, Uint8Array>();
  readonly writes = new Map<string, number>();
  get(k: string): Uint8Array | undefined {
    return this.data.get(k);
  }
  set(k: string, v: Uint8Array): void {
    this.data.set(k, v);
    this.writes.set(k, (this.writes.get(k) ?? 0) + 1);
  }
  delete(k: string): void {
    this.data.delete(k);
  }
}

const params: Params = { ...DEFAULT_PARAMS };

describe('MaxTotalVotingPower bound (SPEC 4.4)', () => {
  it('is int64 max / 8, truncated: 2^60 − 1', () => {
    // 2^63 − 1 = 8 · (2^60 − 1) + 7
    assert.equal(MAX_TOTAL_VOTING_POWER, 1_152_921_504_606_846_975n);
    assert.equal(MAX_TOTAL_VOTING_POWER, 2n ** 60n - 1n);
  });

  it('leaves a set whose total equals the bound as it is', () => {
    const set: SentValidator[] = [
      { pubKey: key(1), power: 2n ** 60n - 2n },
      { pubKey: key(2), power: 1n },
    ];
    const out = boundTotalPower(set);
    assert.deepEqual(
      out.map((v) => v.power),
      [2n ** 60n - 2n, 1n],
    );
  });

  it('halves once a total one above the bound', () => {
    const out = boundTotalPower([{ pubKey: key(1), power: 2n ** 60n }]);
    assert.deepEqual(
      out.map((v) => v.power),
      [2n ** 59n],
    );
  });

  it('halves as often as needed: 2 × 2^62 needs four halvings', () => {
    // shift 1: 2·2^61 = 2^62; shift 2: 2^61; shift 3: 2^60 (still > 2^60 − 1); shift 4: 2^59
    const out = boundTotalPower([
      { pubKey: key(1), power: 2n ** 62n },
      { pubKey: key(2), power: 2n ** 62n },
    ]);
    assert.deepEqual(
      out.map((v) => v.power),
      [2n ** 58n, 2n ** 58n],
    );
  });

  it('drops members whose halved power is 0', () => {
    // 2^61 + 1: shift 1 gives 2^60 + 0 (> bound), shift 2 gives 2^59 + 0
    const out = boundTotalPower([
      { pubKey: key(1), power: 1n },
      { pubKey: key(2), power: 2n ** 61n },
    ]);
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.pubKey, key(2));
    assert.equal(out[0]!.power, 2n ** 59n);
  });
});

describe('compareRank (SPEC 4.3)', () => {
  const lo: RankEntry = { address: addr(0x10), stake: 5n * CMT, declareHeight: 7n };
  const hi: RankEntry = { address: addr(0x20), stake: 5n * CMT, declareHeight: 7n };

  it('with equal stake and height, the lower address ranks first, both ways round', () => {
    assert.equal(compareRank(lo, hi), -1);
    assert.equal(compareRank(hi, lo), 1);
  });

  it('an entry ties with itself (and with an equal copy)', () => {
    assert.equal(compareRank(lo, lo), 0);
    assert.equal(compareRank(hi, { ...hi }), 0);
  });
});

describe('elect (SPEC 4.3)', () => {
  it('does not rank an active candidate without stake', () => {
    const all = [candidate(0x01, 0n), candidate(0x02, 3n * CMT), candidate(0x03, 0n, { declareHeight: 0n })];
    const r = elect(all, 1, 5);
    assert.deepEqual(r.validators, [addr(0x02)]);
    assert.deepEqual(r.backups, []);
  });
});

describe('sortSet and diffSets order by key (k/vs, SPEC 4.4)', () => {
  // max_validators may be up to 100 (params range): sets and update lists that long must sort too.
  const N = 100;
  const keys = Array.from({ length: N }, (_, i) => key(i >> 4, (i & 15) * 16 + 3));
  const order = scrambled(N);

  it('scrambled() is a permutation (test helper)', () => {
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      Array.from({ length: N }, (_, i) => i),
    );
  });

  it('sortSet puts 100 members in byte order of their keys', () => {
    const set = order.map((i) => ({ pubKey: keys[i]!, power: BigInt(i + 1) }));
    const out = sortSet(set);
    assert.deepEqual(
      out.map((v) => v.power),
      Array.from({ length: N }, (_, i) => BigInt(i + 1)),
    );
    for (let i = 1; i < N; i++) assert.ok(byteOrder(out[i - 1]!.pubKey, out[i]!.pubKey) < 0);
  });

  it('sortSet is stable: two entries with equal key bytes keep their order', () => {
    // distinct objects with the same bytes
    const out = sortSet([
      { pubKey: key(9), power: 5n },
      { pubKey: key(9), power: 7n },
    ]);
    assert.deepEqual(
      out.map((v) => v.power),
      [5n, 7n],
    );
  });

  it('diffSets lists 200 updates (100 leaving, 100 joining) in byte order of their keys', () => {
    const leaving = Array.from({ length: N }, (_, i) => key(0xf0, i));
    const last = order.map((i) => ({ pubKey: leaving[i]!, power: 1n }));
    const next = order.map((i) => ({ pubKey: keys[i]!, power: BigInt(i + 1) }));
    const updates = diffSets(last, next);
    assert.equal(updates.length, 2 * N);
    const expected = [...Array.from({ length: N }, (_, i) => BigInt(i + 1)), ...Array.from({ length: N }, () => 0n)];
    assert.deepEqual(
      updates.map((u) => u.power),
      expected,
    );
    for (let i = 1; i < updates.length; i++) assert.ok(byteOrder(updates[i - 1]!.pubKey, updates[i]!.pubKey) < 0);
  });
});

describe('capOf (SPEC 4.1, 4.2)', () => {
  const nine = Array.from({ length: 9 }, (_, i) => candidate(0x10 + i, 100n * CMT));

  it('S sums only the validators still active; a record that is gone counts nothing', () => {
    const deactivated = candidate(0x40, 1000n * CMT, { state: 'deactivated' });
    const byAddr = new Map([...nine, deactivated].map((c) => [c.address, c]));
    const validators = [...nine.map((c) => c.address), deactivated.address, addr(0x50)];
    // S = 9 × 100 CMT; cap = 12% of 900 CMT
    assert.equal(
      capOf(validators, (a) => byAddr.get(a), params),
      108n * CMT,
    );
  });

  it('a deactivated validator does not count towards the 9 that switch the cap on', () => {
    const eight = nine.slice(0, 8);
    const withdrawn = candidate(0x41, 100n * CMT, { state: 'withdrawn' });
    const byAddr = new Map([...eight, withdrawn].map((c) => [c.address, c]));
    assert.equal(
      capOf([...eight.map((c) => c.address), withdrawn.address], (a) => byAddr.get(a), params),
      undefined,
    );
  });
});

describe('desiredSet (SPEC 4.4)', () => {
  it('leaves out validators whose consensus power is 0 (V_i < 1 CMT)', () => {
    const all = [candidate(0x03, 5n * CMT + 1n), candidate(0x01, CMT - 1n), candidate(0x02, 2n * CMT)];
    // fewer than 9 validators: no cap, V_i = T_i; floor(V_i / 10^18)
    const set = desiredSet(all, [addr(0x03), addr(0x02), addr(0x01)], params);
    assert.deepEqual(set, [
      { pubKey: key(0x02), power: 2n },
      { pubKey: key(0x03), power: 5n },
    ]);
  });
});

describe('electValidators writes k/r and k/vs only when they change', () => {
  const all = [candidate(0x01, 10n * CMT), candidate(0x02, 5n * CMT), candidate(0x03, 1n * CMT)];
  const p: Params = { ...params, max_validators: 2, backup_validators: 1 };

  it('first election writes both and returns the new set; the same election again writes nothing', () => {
    const kv = new CountingKV();
    const k = { store: new StakingStore(kv) } as unknown as StakingKeeper;
    const first = electValidators(k, all, k.store.ranking(), p);
    assert.deepEqual(first, [
      { pubKey: key(0x01), power: 10n },
      { pubKey: key(0x02), power: 5n },
    ]);
    assert.deepEqual(k.store.ranking(), { validators: [addr(0x01), addr(0x02)], backups: [addr(0x03)] });
    assert.equal(kv.writes.get('k/r'), 1);
    assert.equal(kv.writes.get('k/vs'), 1);

    const again = electValidators(k, all, k.store.ranking(), p);
    assert.deepEqual(again, []);
    assert.equal(kv.writes.get('k/r'), 1, 'unchanged ranking is not rewritten');
    assert.equal(kv.writes.get('k/vs'), 1, 'no updates: the set last sent is not rewritten');
  });

  it('a changed ranking with the same validators is written (backups differ)', () => {
    const kv = new CountingKV();
    const k = { store: new StakingStore(kv) } as unknown as StakingKeeper;
    electValidators(k, all, k.store.ranking(), p);
    const more = [...all, candidate(0x04, 2n * CMT)];
    const updates = electValidators(k, more, k.store.ranking(), p);
    assert.deepEqual(updates, []);
    assert.deepEqual(k.store.ranking(), { validators: [addr(0x01), addr(0x02)], backups: [addr(0x04)] });
    assert.equal(kv.writes.get('k/r'), 2);
    assert.equal(kv.writes.get('k/vs'), 1);
  });
});
