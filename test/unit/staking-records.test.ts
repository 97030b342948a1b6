// The staking ledger's records (src/staking/store.ts, keeper.ts; key layout in
// docs/STAKING.md "State"): corrupt records are refused with their message,
// never misread; empty pools are dropped and every other pool kept; the
// candidate cache writes back in address order; the candidate index and a
// delegator's index stay sorted sets; the candidate's delegation list keeps
// prev/next right at head, middle and tail; public key ownership checks; the
// award ring (awards(height)) and the idle award rule.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { Overlay, type KV } from '../../src/store/kv.js';
import type { Address } from '../../src/util/address.js';
import { CandidateCache, StakingKeeper, dropEmptyPools, selfStakeOf } from '../../src/staking/keeper.js';
import { cometAddress } from '../../src/staking/power.js';
import {
  AWARD_HISTORY,
  SELF_POOL,
  SHARE_SCALE,
  StakingStore,
  candidateKey,
  decodeCandidate,
  decodeRequest,
  encodeCandidate,
  encodeRequest,
  type CandidateRecord,
  type Pool,
} from '../../src/staking/store.js';
import type { BlockAwards } from '../../src/staking/types.js';
import { testAddress, testCandidateRecord, testPubKey } from '../support/staking-testkit.js';

type Rlp = Uint8Array | Rlp[];

const memKV = (): Overlay => new Overlay({ get: () => undefined });
/** `n` distinct test addresses in ascending order. */
function sortedAddresses(tag: string, n: number): Address[] {
  return Array.from({ length: n }, (_, i) => testAddress(`rec-${tag}-${i}`)).sort();
}

function candidate(address: Address, pools: Pool[] = []): CandidateRecord {
  return testCandidateRecord(address, { pubKey: testPubKey(`rec-${address}`), compRateBp: 2000, description: '{"name":"r"}', pools });
}

/** The RLP fields of a well-formed candidate record, to corrupt one at a time. */
function candidateFields(): Rlp[] {
  return RLP.decode(encodeCandidate(candidate(testAddress('rec-corrupt'), [{ id: SELF_POOL, tokens: 5n, shares: 5n, waitingShares: 0n }]))) as Rlp[];
}

describe('corrupt staking records are refused with their message', () => {
  it('the well-formed record decodes (the corruptions below are the only change)', () => {
    const c = decodeCandidate(RLP.encode(candidateFields()));
    assert.equal(c.address, testAddress('rec-corrupt'));
    assert.equal(c.pools.length, 1);
  });
  it('a list where an integer belongs', () => {
    const f = candidateFields();
    f[2] = [];
    assert.throws(() => decodeCandidate(RLP.encode(f)), { message: 'corrupt staking record: expected an integer' });
  });
  it('a list where bytes belong (the public key)', () => {
    const f = candidateFields();
    f[1] = [];
    assert.throws(() => decodeCandidate(RLP.encode(f)), { message: 'corrupt staking record: expected bytes' });
  });
  it('bytes where a list belongs (the pools)', () => {
    const f = candidateFields();
    f[9] = new Uint8Array(0);
    assert.throws(() => decodeCandidate(RLP.encode(f)), { message: 'corrupt staking record: expected a list' });
  });
  it('an empty candidate address', () => {
    const f = candidateFields();
    f[0] = new Uint8Array(0);
    assert.throws(() => decodeCandidate(RLP.encode(f)), { message: 'corrupt staking record: missing address' });
  });
  it('a candidate record with 16 fields instead of 17', () => {
    const f = candidateFields();
    f.pop();
    assert.throws(() => decodeCandidate(RLP.encode(f)), { message: 'corrupt candidate record' });
  });
  it('a candidate state code outside 0…3', () => {
    const f = candidateFields();
    f[6] = Uint8Array.of(4);
    assert.throws(() => decodeCandidate(RLP.encode(f)), { message: 'corrupt candidate record: state' });
  });
  it('an unstake request record with 8 fields instead of 9', () => {
    const raw = encodeRequest({
      id: 3n,
      kind: 0,
      delegator: testAddress('rec-d'),
      candidate: testAddress('rec-c'),
      pool: 2000,
      shares: 9n,
      matureTime: 100n,
      height: 4n,
      next: 0n,
    });
    assert.equal(decodeRequest(raw).shares, 9n);
    const f = RLP.decode(raw) as Rlp[];
    f.pop();
    assert.throws(() => decodeRequest(RLP.encode(f)), { message: 'corrupt unstake request record' });
  });
  it('an award record with an unknown slash reason or award group code', () => {
    const kv = memKV();
    const s = new StakingStore(kv);
    const v = testAddress('rec-aw-v');
    const rec: BlockAwards = {
      height: 3n,
      minted: 10n,
      fees: 0n,
      dustIn: 0n,
      dustOut: 0n,
      awards: [{ candidate: v, group: 'backup', votingPower: 0n, delegatorsAward: 10n, compensation: 0n }],
      slashes: [{ candidate: v, amount: 1n, reason: 'byzantine' }],
      absent: [],
    };
    s.putAwards(rec);
    assert.deepEqual(s.awards(3n), rec);
    const key = kv
      .sortedChanges()
      .map(([k]) => k)
      .find((k) => k.startsWith('k/aw/'))!;
    const corrupt = (edit: (f: Rlp[][][]) => void): void => {
      const f = RLP.decode(kv.get(key)!) as unknown as Rlp[][][];
      edit(f);
      kv.set(key, RLP.encode(f as unknown as Rlp[]));
    };
    const good = kv.get(key)!;
    corrupt((f) => {
      f[6]![0]![2] = Uint8Array.of(2);
    });
    assert.throws(() => s.awards(3n), { message: 'corrupt staking record: slash reason' });
    kv.set(key, good);
    corrupt((f) => {
      f[5]![0]![1] = Uint8Array.of(2);
    });
    assert.throws(() => s.awards(3n), { message: 'corrupt staking record: award group' });
  });
  it('an award year record with 4 fields instead of 5', () => {
    const kv = memKV();
    const s = new StakingStore(kv);
    s.putYear({ t0: 1n, year: 0n, base: 2n, rateBp: 800n, minted: 3n });
    assert.deepEqual(s.year(), { t0: 1n, year: 0n, base: 2n, rateBp: 800n, minted: 3n });
    const f = RLP.decode(kv.get('k/y')!) as Rlp[];
    f.pop();
    kv.set('k/y', RLP.encode(f));
    assert.throws(() => s.year(), { message: 'corrupt award year record' });
  });
});

describe('pools kept in a candidate record', () => {
  const pools = (): Pool[] => [
    { id: 0, tokens: 0n, shares: 0n, waitingShares: 0n }, // empty: dropped
    { id: 1000, tokens: 0n, shares: 5n * SHARE_SCALE, waitingShares: 0n }, // slashed to nothing, still owned: kept
    { id: 2000, tokens: 7n, shares: 0n, waitingShares: 0n }, // tokens nobody holds shares of: kept
    { id: SELF_POOL, tokens: 9n, shares: 9n * SHARE_SCALE, waitingShares: 0n },
  ];
  it('dropEmptyPools drops only pools with neither shares nor tokens', () => {
    const c = candidate(testAddress('rec-pools-a'), pools());
    dropEmptyPools(c);
    assert.deepEqual(
      c.pools.map((p) => p.id),
      [1000, 2000, SELF_POOL],
    );
  });
  it('putCandidate writes the record without empty pools, and keeps every other pool', () => {
    const kv = memKV();
    const s = new StakingStore(kv);
    const c = candidate(testAddress('rec-pools-b'), pools());
    s.putCandidate(c);
    const stored = decodeCandidate(kv.get(candidateKey(c.address))!);
    assert.deepEqual(stored.pools, pools().slice(1));
    assert.deepEqual(s.getCandidate(c.address)!.pools, pools().slice(1));
  });
});

/** A KV that logs the candidate record writes and deletes, in order. */
function recording(): { kv: KV; log: string[] } {
  const inner = memKV();
  const log: string[] = [];
  const kv: KV = {
    get: (k) => inner.get(k),
    set: (k, v) => {
      if (k.startsWith('k/c/')) log.push(`set ${k}`);
      inner.set(k, v);
    },
    delete: (k) => {
      if (k.startsWith('k/c/')) log.push(`delete ${k}`);
      inner.delete(k);
    },
  };
  return { kv, log };
}

describe('candidate records and the candidate index', () => {
  it('the cache deletes removed candidates, then writes changed ones, each in address order', () => {
    const a = sortedAddresses('flush', 4);
    const { kv, log } = recording();
    const s = new StakingStore(kv);
    for (const x of a) {
      s.addToCandidateList(x);
      s.putCandidate(candidate(x));
    }
    log.length = 0;
    const cache = new CandidateCache(s);
    cache.remove(a[1]);
    cache.remove(a[0]);
    const c3 = cache.get(a[3])!;
    c3.missed = 3;
    cache.put(c3);
    const c2 = cache.get(a[2])!;
    c2.missed = 2;
    cache.put(c2);
    cache.flush();
    assert.deepEqual(log, [`delete ${candidateKey(a[0])}`, `delete ${candidateKey(a[1])}`, `set ${candidateKey(a[2])}`, `set ${candidateKey(a[3])}`]);
    assert.deepEqual(s.candidateList(), [a[2], a[3]]);
    assert.equal(s.getCandidate(a[2])!.missed, 2);
    assert.equal(s.getCandidate(a[0]), undefined);
  });
  it('the index is a sorted set: adding an address twice keeps one, deleting an unlisted one changes nothing', () => {
    const a = sortedAddresses('index', 3);
    const s = new StakingStore(memKV());
    s.addToCandidateList(a[2]);
    s.addToCandidateList(a[0]);
    s.addToCandidateList(a[2]);
    assert.deepEqual(s.candidateList(), [a[0], a[2]]);
    s.deleteCandidate(a[1]);
    assert.deepEqual(s.candidateList(), [a[0], a[2]]);
    s.deleteCandidate(a[0]);
    assert.deepEqual(s.candidateList(), [a[2]]);
  });
  it('changing the index in a discarded overlay leaves the index below as it was', () => {
    const a = sortedAddresses('overlay', 3);
    const base = memKV();
    const below = new StakingStore(base);
    below.addToCandidateList(a[0]);
    below.addToCandidateList(a[1]);
    const tx = new StakingStore(new Overlay(base)); // e.g. a failed transaction's scratch state, dropped
    tx.addToCandidateList(a[2]);
    tx.deleteCandidate(a[0]);
    assert.deepEqual(tx.candidateList(), [a[1], a[2]]);
    assert.deepEqual(below.candidateList(), [a[0], a[1]]);
  });
  it('reads of records never written: no owner, no request, an empty ranking', () => {
    const s = new StakingStore(memKV());
    assert.equal(s.pubKeyOwner(testPubKey('rec-nobody')), undefined);
    assert.equal(s.getRequest(99n), undefined);
    assert.deepEqual(s.ranking(), { validators: [], backups: [] });
  });
  it('the ranking read back is a copy: changing it, or the ranking once written, leaves the stored ranking alone', () => {
    const [v1, v2, b1] = sortedAddresses('rank', 3);
    const s = new StakingStore(memKV());
    const written = { validators: [v1, v2], backups: [b1] };
    s.putRanking(written);
    written.validators.pop();
    written.backups.push(v2);
    assert.deepEqual(s.ranking(), { validators: [v1, v2], backups: [b1] });
    const read = s.ranking();
    read.validators.reverse();
    read.backups.length = 0;
    assert.deepEqual(s.ranking(), { validators: [v1, v2], backups: [b1] });
  });
  it('the owner of a public key is read back by that key only', () => {
    const s = new StakingStore(memKV());
    const a = testAddress('rec-owner');
    s.setPubKeyOwner(testPubKey('rec-k1'), a);
    assert.equal(s.pubKeyOwner(testPubKey('rec-k1')), a);
    assert.equal(s.pubKeyOwner(testPubKey('rec-k2')), undefined);
  });
});

describe('public key checks', () => {
  const owner = testAddress('rec-pk-owner');
  const other = testAddress('rec-pk-other');
  it('refuses a key that is not 32 bytes', () => {
    const k = new StakingKeeper(memKV());
    assert.throws(() => k.checkPubKey(owner, new Uint8Array(31).fill(1), 'declareCandidacy'), {
      message: 'declareCandidacy: an ed25519 public key has 32 bytes, got 31',
    });
  });
  it('refuses the all-zero key', () => {
    const k = new StakingKeeper(memKV());
    assert.throws(() => k.checkPubKey(owner, new Uint8Array(32), 'declareCandidacy'), { message: 'declareCandidacy: the all-zero public key is not a key' });
  });
  it('refuses a key another candidate owns, accepts it for its owner', () => {
    const k = new StakingKeeper(memKV());
    const pk = testPubKey('rec-pk-1');
    k.store.setPubKeyOwner(pk, other);
    assert.throws(() => k.checkPubKey(owner, pk, 'updateCandidacy'), { message: `updateCandidacy: public key already used by ${other}` });
    k.checkPubKey(other, pk, 'updateCandidacy');
  });
  it('refuses a key whose CometBFT address belongs to another owner (a genesis validator), accepts it for that owner', () => {
    const k = new StakingKeeper(memKV());
    const pk = testPubKey('rec-pk-2');
    k.store.setConsensusOwner(cometAddress(pk), other);
    assert.throws(() => k.checkPubKey(owner, pk, 'declareCandidacy'), { message: `declareCandidacy: public key already used by ${other}` });
    k.checkPubKey(other, pk, 'declareCandidacy');
    k.checkPubKey(owner, testPubKey('rec-pk-3'), 'declareCandidacy');
  });
});

describe('stake and the delegation list', () => {
  it('self-stake is 0 without a self delegation, and 0 without a self pool', () => {
    const s = new StakingStore(memKV());
    const a = testAddress('rec-self');
    const withPool = candidate(a, [{ id: SELF_POOL, tokens: 10n, shares: 10n * SHARE_SCALE, waitingShares: 0n }]);
    assert.equal(selfStakeOf(s, withPool), 0n);
    s.putDelegation(a, a, { pool: SELF_POOL, shares: 10n * SHARE_SCALE, principal: 10n, prev: '', next: '' });
    assert.equal(selfStakeOf(s, candidate(a)), 0n);
    assert.equal(selfStakeOf(s, withPool), 10n);
  });
  it('compensation into a self pool slashed to nothing goes to the pool tokens and issues no shares', () => {
    const k = new StakingKeeper(memKV());
    const a = testAddress('rec-wiped');
    const c = candidate(a, [{ id: SELF_POOL, tokens: 0n, shares: 10n * SHARE_SCALE, waitingShares: 0n }]);
    const d = { pool: SELF_POOL, shares: 10n * SHARE_SCALE, principal: 10n, prev: '' as const, next: '' as const };
    k.store.putDelegation(a, a, d);
    assert.equal(k.addStake(c, a, 7n, true), 0n);
    assert.deepEqual(c.pools, [{ id: SELF_POOL, tokens: 7n, shares: 10n * SHARE_SCALE, waitingShares: 0n }]);
    assert.deepEqual(k.store.getDelegation(a, a), d);
  });
  it('new delegations go to the head; unlinking the tail, the head and the last one keeps prev/next right', () => {
    const k = new StakingKeeper(memKV());
    const c = candidate(testAddress('rec-list'));
    const [d1, d2, d3] = [testAddress('rec-l1'), testAddress('rec-l2'), testAddress('rec-l3')];
    for (const d of [d1, d2, d3]) k.addStake(c, d, 100n);
    const get = (d: Address) => k.store.getDelegation(c.address, d)!;
    assert.equal(c.head, d3);
    assert.equal(c.delegationCount, 3n);
    assert.deepEqual([get(d3).prev, get(d3).next], ['', d2]);
    assert.deepEqual([get(d2).prev, get(d2).next], [d3, d1]);
    assert.deepEqual([get(d1).prev, get(d1).next], [d2, '']);

    k.unlinkDelegation(c, d1, get(d1)); // the tail
    assert.equal(k.store.getDelegation(c.address, d1), undefined);
    assert.deepEqual([get(d2).prev, get(d2).next], [d3, '']);
    assert.deepEqual(k.store.delegatorCandidates(d1), []);

    k.unlinkDelegation(c, d3, get(d3)); // the head
    assert.equal(c.head, d2);
    assert.deepEqual([get(d2).prev, get(d2).next], ['', '']);

    k.unlinkDelegation(c, d2, get(d2)); // the only one
    assert.equal(c.head, '');
    assert.equal(c.delegationCount, 0n);
  });
  it('linkDelegation puts the record at the head: the record passed is the record written, prev cleared', () => {
    const k = new StakingKeeper(memKV());
    const c = candidate(testAddress('rec-link'));
    const [d1, d2] = [testAddress('rec-link-1'), testAddress('rec-link-2')];
    k.addStake(c, d1, 10n);
    const d = { pool: 2000, shares: 10n * SHARE_SCALE, principal: 10n, prev: testAddress('rec-stale') as Address | '', next: testAddress('rec-stale') as Address | '' };
    k.linkDelegation(c, d2, d);
    assert.deepEqual(d, { pool: 2000, shares: 10n * SHARE_SCALE, principal: 10n, prev: '', next: d1 });
    assert.deepEqual(k.store.getDelegation(c.address, d2), d);
    assert.equal(k.store.getDelegation(c.address, d1)!.prev, d2);
  });
  it("a delegator's index lists its candidates sorted", () => {
    const k = new StakingKeeper(memKV());
    const [lo, mid, hi] = sortedAddresses('didx', 3);
    const d = testAddress('rec-didx-delegator');
    const cs = [hi, lo, mid].map((a) => candidate(a));
    for (const c of cs) k.addStake(c, d, 50n);
    assert.deepEqual(k.store.delegatorCandidates(d), [lo, mid, hi]);
    k.unlinkDelegation(cs[2], d, k.store.getDelegation(mid, d)!);
    assert.deepEqual(k.store.delegatorCandidates(d), [lo, hi]);
  });
});

describe('award records (a ring of AWARD_HISTORY slots) and the idle rule', () => {
  const [v, b] = sortedAddresses('aw', 2);
  const idle = (height: bigint): BlockAwards => ({ height, minted: 0n, fees: 0n, dustIn: 3n, dustOut: 3n, awards: [], slashes: [], absent: [] });
  it('a record reads back in full at its height only, until a later height takes its slot', () => {
    const s = new StakingStore(memKV());
    const rec: BlockAwards = {
      height: 7n,
      minted: 100n,
      fees: 20n,
      dustIn: 1n,
      dustOut: 2n,
      awards: [
        { candidate: v, group: 'validator', votingPower: 5n, delegatorsAward: 60n, compensation: 10n },
        { candidate: b, group: 'backup', votingPower: 0n, delegatorsAward: 40n, compensation: 0n },
      ],
      slashes: [
        { candidate: v, amount: 9n, reason: 'byzantine' },
        { candidate: b, amount: 4n, reason: 'absent' },
      ],
      absent: [b],
    };
    s.putAwards(rec);
    assert.deepEqual(s.awards(7n), rec);
    assert.equal(s.awards(8n), undefined, 'nothing recorded at 8');
    assert.equal(s.awards(7n + AWARD_HISTORY), undefined, 'same slot, other height');
    const later = { ...idle(7n + AWARD_HISTORY), minted: 1n };
    s.putAwards(later);
    assert.equal(s.awards(7n), undefined);
    assert.deepEqual(s.awards(7n + AWARD_HISTORY), later);
  });
  it('an idle block (nothing minted, no fees, dust out = dust in, no slash, no absentee) writes nothing', () => {
    const kv = memKV();
    const s = new StakingStore(kv);
    s.putAwards(idle(5n));
    assert.equal(kv.size, 0);
    assert.equal(s.awards(5n), undefined);
  });
  const oneThing: Array<[string, Partial<BlockAwards>]> = [
    ['minted', { minted: 1n }],
    ['fees', { fees: 1n }],
    ['dust paid out differs from dust taken in', { dustOut: 4n }],
    ['a slash', { slashes: [{ candidate: v, amount: 1n, reason: 'absent' }] }],
    ['an absentee', { absent: [v] }],
  ];
  for (const [what, change] of oneThing) {
    it(`a block that is idle but for ${what} is recorded`, () => {
      const s = new StakingStore(memKV());
      const rec = { ...idle(6n), ...change };
      s.putAwards(rec);
      assert.deepEqual(s.awards(6n), rec);
    });
  }
});
