// Block-level rules: awards (SPEC 5), slashing (7), election and validator
// updates (4), genesis (10).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CMT, type Params, saveParams } from '../../src/state/params.js';
import { MAX_TOTAL_VOTING_POWER, boundTotalPower } from '../../src/staking/power.js';
import { type TestNet, assertConserved, declareCandidate, fundedTestNet, newTestChain, testActors, testPubKey } from '../support/staking-testkit.js';
import { parseAppGenesis } from '../../src/app/genesis.js';
import { genesisStake } from '../../src/staking/genesis.js';

const actors = testActors();
const { F, cand, del, key, pk } = actors;

function net(overrides: Partial<Params> = {}): TestNet {
  return fundedTestNet(actors, 30, overrides, { foundation: 0n });
}

function declare(n: TestNet, i: number, self: bigint, rate = 0, max = self * 10n): void {
  declareCandidate(n, actors, i, { self, rate, max, desc: '{"name":"x"}' });
}

describe('block award', () => {
  it('mints B_k · inflation · elapsed / Y, splits by capped power and compensation, carries dust', () => {
    const n = net({ seconds_per_year: 1000n });
    declare(n, 0, 10_000n * CMT, 2000);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    declare(n, 1, 60_000n * CMT, 3000);
    n.block(); // elects them; nothing is minted before there are validators
    const B = n.ledger.stakingTotals().supply;
    const { end } = n.block();
    const M = (B * 800n * 10_000n) / (10_000n * 1_000_000n); // 10 s of a 1,000 s year
    assert.equal(end.awards.minted, M);
    const A = M; // no fees, no dust yet
    // two candidates of 60k: both capped at 12% of S = 14.4k, V_g = 28.8k
    const T = 60_000n * CMT;
    const V = (120_000n * CMT * 1200n) / 10_000n;
    const Vg = 2n * V;
    const den = T * Vg * 10_000n;
    const delegPool = (A * V * 50_000n * CMT * 8000n) / den;
    const selfPool = (A * V * 10_000n * CMT * 10_000n) / den;
    const comp = (A * V * (50_000n * CMT * 2000n)) / den;
    const other = (A * V * T * 10_000n) / den;
    assert.equal(n.ledger.delegation(cand(0), del(0))!.amount, 50_000n * CMT + delegPool);
    assert.equal(n.ledger.candidate(cand(0))!.selfStake, 10_000n * CMT + selfPool + comp);
    assert.equal(n.ledger.candidate(cand(1))!.selfStake, 60_000n * CMT + other);
    assert.equal(end.awards.dustOut, A - delegPool - selfPool - comp - other);
    const e0 = end.awards.awards.find((a) => a.candidate === cand(0))!;
    assert.equal(e0.compensation, comp);
    // the next block's award is M + D
    const { end: end2 } = n.block();
    assert.equal(end2.awards.dustIn, end.awards.dustOut);
    assertConserved(n);
  });

  it('includes the fees of the block', () => {
    const n = net({ inflation_rate_bp: 0 });
    declare(n, 0, 100_000n * CMT);
    const before = n.ledger.candidate(cand(0))!.totalStake;
    const { end } = n.block({ fees: [[del(5), 7n * CMT]] });
    assert.equal(end.awards.minted, 0n);
    assert.equal(end.awards.fees, 7n * CMT);
    assert.equal(n.ledger.candidate(cand(0))!.totalStake + end.awards.dustOut, before + 7n * CMT);
    assertConserved(n);
  });

  it('gives backups 10% when one has power, all to validators otherwise', () => {
    const n = net({ max_validators: 2, backup_validators: 1, inflation_rate_bp: 0 });
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    n.block();
    const { end } = n.block({ fees: [[del(5), 1000n * CMT]] });
    const sum = (g: string): bigint => end.awards.awards.filter((a) => a.group === g).reduce((s, a) => s + a.delegatorsAward + a.compensation, 0n);
    assert.equal(sum('validator') + end.awards.dustOut, 1000n * CMT + end.awards.dustIn);
    declare(n, 2, 50_000n * CMT);
    n.block();
    const { end: e2 } = n.block({ fees: [[del(5), 1000n * CMT]] });
    const A = 1000n * CMT + e2.awards.dustIn;
    const Av = (A * 9000n) / 10_000n;
    const got = (g: string): bigint => e2.awards.awards.filter((a) => a.group === g).reduce((s, a) => s + a.delegatorsAward + a.compensation, 0n);
    assert.ok(Av - got('validator') < 10n, 'validators get 90%');
    assert.ok(A - Av - got('backup') < 10n, 'backups get 10%');
    assert.equal(e2.awards.awards.find((a) => a.group === 'backup')!.candidate, cand(2));
    assertConserved(n);
  });

  it('an absent validator earns nothing; the others share its part', () => {
    const n = net({ inflation_rate_bp: 0, slash_enabled: false });
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    n.block();
    const T0 = n.ledger.candidate(cand(0))!.totalStake;
    const T1 = n.ledger.candidate(cand(1))!.totalStake;
    const { end } = n.block({ absent: [cand(0)], fees: [[del(5), 100n * CMT]] });
    assert.deepEqual(end.awards.absent, [cand(0)]);
    assert.equal(n.ledger.candidate(cand(0))!.totalStake, T0, 'absent: no award, and no slash when disabled');
    assert.equal(n.ledger.candidate(cand(1))!.totalStake + end.awards.dustOut, T1 + 100n * CMT + end.awards.dustIn);
    assertConserved(n);
  });

  it('counts award years in header time: B_k and r_k at entering year k, late rate after inflation_years, stops at the cap (SPEC 5.1)', () => {
    // A one-minute year (a test genesis may shorten it): 6 blocks of 10 s.
    const n = net({ seconds_per_year: 60n, inflation_years: 2, late_inflation_rate_bp: 100 });
    declare(n, 0, 100_000n * CMT);
    n.block(); // block 1: t0; nothing has elapsed
    const B0 = n.ledger.stakingTotals().supply;
    const minted = (blocks: number, dt?: bigint): bigint => {
      let m = 0n;
      for (let i = 0; i < blocks; i++) m += n.block({ dt }).end.awards.minted;
      return m;
    };
    assert.equal(minted(6), (B0 * 800n) / 10_000n, 'year 0 mints exactly B_0 · 8%');
    const B1 = n.ledger.stakingTotals().supply;
    // Governance lowers the rate mid-year: the year keeps the rate it started with.
    saveParams(n.chain.kv, { ...n.ledger.params(), inflation_rate_bp: 400 });
    assert.equal(minted(3, 20n), (B1 * 800n) / 10_000n, 'year 1, in 20 s blocks: B_1 · 8%');
    const B2 = n.ledger.stakingTotals().supply;
    assert.equal(minted(1, 60n), (B2 * 100n) / 10_000n, 'year 2 is past inflation_years: late_inflation_rate_bp');
    // One block spanning two whole years completes both, each on its own base.
    const B3 = n.ledger.stakingTotals().supply;
    const two = minted(1, 120n);
    const y3 = (B3 * 100n) / 10_000n;
    assert.equal(two, y3 + ((B3 + y3) * 100n) / 10_000n);
    assertConserved(n);

    const capped = net({ seconds_per_year: 60n });
    declare(capped, 0, 100_000n * CMT);
    capped.block();
    capped.block();
    const supply = capped.ledger.stakingTotals().supply;
    saveParams(capped.chain.kv, { ...capped.ledger.params(), supply_cap: supply + 5n });
    assert.equal(capped.block().end.awards.minted, 5n);
    assert.equal(capped.block().end.awards.minted, 0n);
    assert.equal(capped.ledger.stakingTotals().supply, supply + 5n);
  });

  it('mints the same over the same header time whatever the block interval', () => {
    const run = (dt: bigint, blocks: number): bigint => {
      const n = net({ seconds_per_year: 3_600n });
      declare(n, 0, 100_000n * CMT);
      n.block();
      for (let i = 0; i < blocks; i++) n.block({ dt });
      return n.ledger.stakingTotals().minted;
    };
    const oneSecond = run(1n, 600);
    assert.equal(run(10n, 60), oneSecond);
    assert.equal(run(600n, 1), oneSecond);
  });
});

describe('slashing', () => {
  it('absent: burns slash_ratio of every pool, waiting requests included', () => {
    const n = net({ inflation_rate_bp: 0 });
    declare(n, 0, 100_000n * CMT, 1000);
    declare(n, 1, 100_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    n.ok(del(0), 'unstake', [cand(0), 20_000n * CMT]);
    n.block();
    const T = n.ledger.candidate(cand(0))!.totalStake;
    const req = n.ledger.unstakes(del(0))[0]!.amount;
    const burned0 = n.ledger.stakingTotals().burned;
    const { begin } = n.block({ absent: [cand(0)] });
    assert.equal(begin.slashes.length, 1);
    assert.equal(begin.slashes[0]!.reason, 'absent');
    const after = n.ledger.candidate(cand(0))!;
    assert.equal(T - after.totalStake, begin.slashes[0]!.amount);
    assert.ok(begin.slashes[0]!.amount >= (T * 10n) / 10_000n - 3n && begin.slashes[0]!.amount <= (T * 10n) / 10_000n);
    assert.equal(n.ledger.stakingTotals().burned - burned0, begin.slashes[0]!.amount);
    assert.equal(n.ledger.unstakes(del(0))[0]!.amount, req - (req * 10n) / 10_000n);
    assert.equal(after.missedBlocks, 1);
    n.block();
    assert.equal(n.ledger.candidate(cand(0))!.missedBlocks, 0, 'a signed block resets the count');
    assertConserved(n);
  });

  it('removes at max_slash_blocks consecutive misses and promotes the next in line', () => {
    const n = net({ max_validators: 2, backup_validators: 1, inflation_rate_bp: 0 });
    declare(n, 0, 300_000n * CMT);
    declare(n, 1, 200_000n * CMT);
    declare(n, 2, 100_000n * CMT);
    n.block();
    const keys = (): string[] =>
      n.ledger
        .lastValidatorSet()
        .map((v) => `0x${Buffer.from(v.pubKey).toString('hex')}`)
        .sort();
    assert.deepEqual(keys(), [pk(0), pk(1)].sort());
    const T0 = n.ledger.candidate(cand(0))!.totalStake;
    for (let i = 0; i < 11; i++) n.block({ absent: [cand(0)] });
    assert.equal(n.ledger.candidate(cand(0))!.state, 'active');
    const { begin, end } = n.block({ absent: [cand(0)] });
    assert.deepEqual(begin.removed, [cand(0)]);
    assert.equal(n.ledger.candidate(cand(0))!.state, 'removed');
    assert.ok(!end.awards.awards.some((a) => a.candidate === cand(0)));
    assert.deepEqual(keys(), [pk(1), pk(2)].sort(), 'the backup is promoted');
    const T12 = n.ledger.candidate(cand(0))!.totalStake;
    assert.ok(T0 - T12 <= (T0 * 120n) / 10_000n + 12n, 'at most ~1.2% lost');
    n.block({ absent: [cand(0)] });
    assert.equal(n.ledger.candidate(cand(0))!.totalStake, T12, 'slashed no further');
    // delegators may leave, the candidate may run again
    n.ok(cand(0), 'activateCandidacy');
    n.block();
    assert.deepEqual(keys(), [pk(0), pk(1)].sort());
    assertConserved(n);
  });

  it('byzantine evidence slashes 1.2% once and removes', () => {
    const n = net({ inflation_rate_bp: 0 });
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    n.block();
    const T = n.ledger.candidate(cand(0))!.totalStake;
    const { begin } = n.block({ evidence: [cand(0)] });
    assert.equal(begin.slashes[0]!.reason, 'byzantine');
    assert.equal(begin.slashes[0]!.amount, (T * 120n) / 10_000n);
    assert.equal(n.ledger.candidate(cand(0))!.state, 'removed');
    assertConserved(n);
  });

  it('slashes at most 1.2% per incident: later evidence against a removed validator slashes nothing (SPEC 7)', () => {
    const n = net({ inflation_rate_bp: 0 });
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    declare(n, 2, 100_000n * CMT);
    n.block();
    const T = n.ledger.candidate(cand(0))!.totalStake;
    // Two evidences of one incident in one block.
    const { begin } = n.block({ evidence: [cand(0), cand(0)] });
    assert.deepEqual(
      begin.slashes.map((x) => [x.reason, x.amount]),
      [
        ['byzantine', (T * 120n) / 10_000n],
        ['byzantine', 0n],
      ],
    );
    assert.deepEqual(begin.removed, [cand(0)]);
    // More evidence in a later block: recorded, nothing slashed or removed.
    const later = n.block({ evidence: [cand(0)] });
    assert.deepEqual(
      later.begin.slashes.map((x) => x.amount),
      [0n],
    );
    assert.deepEqual(later.begin.removed, []);
    const c = n.ledger.candidate(cand(0))!;
    assert.equal(c.slashed, (T * 120n) / 10_000n);
    assert.equal(c.totalStake, T - c.slashed);
    // Once re-activated it answers for a new incident.
    n.ok(cand(0), 'activateCandidacy');
    n.block();
    const T2 = n.ledger.candidate(cand(0))!.totalStake;
    const again = n.block({ evidence: [cand(0)] });
    assert.equal(again.begin.slashes[0]!.amount, (T2 * 120n) / 10_000n);
    // A validator removed for absence is not slashed again by evidence.
    const T1 = n.ledger.candidate(cand(1))!.totalStake;
    for (let i = 0; i < 12; i++) n.block({ absent: [cand(1)] });
    assert.equal(n.ledger.candidate(cand(1))!.state, 'removed');
    const lost = T1 - n.ledger.candidate(cand(1))!.totalStake;
    n.block({ evidence: [cand(1)] });
    assert.equal(T1 - n.ledger.candidate(cand(1))!.totalStake, lost);
    // Evidence against a withdrawn validator slashes its waiting stake once.
    n.ok(cand(2), 'withdrawCandidacy');
    const T3 = n.ledger.candidate(cand(2))!.totalStake;
    n.block({ evidence: [cand(2)] });
    n.block({ evidence: [cand(2)] });
    assert.equal(n.ledger.candidate(cand(2))!.totalStake, T3 - (T3 * 120n) / 10_000n);
    assertConserved(n);
  });

  it('slash_enabled = false: nothing is slashed or removed', () => {
    const n = net({ slash_enabled: false, inflation_rate_bp: 0 });
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    n.block();
    const T = n.ledger.candidate(cand(0))!.totalStake;
    for (let i = 0; i < 13; i++) n.block({ absent: [cand(0)] });
    n.block({ evidence: [cand(0)] });
    const c = n.ledger.candidate(cand(0))!;
    assert.equal(c.totalStake, T);
    assert.equal(c.state, 'active');
    assert.equal(n.ledger.stakingTotals().burned, 0n);
  });
});

describe('election and validator updates', () => {
  it('ranks by stake, then earlier declaration, then lower address; 19 + 5', () => {
    const n = net({ inflation_rate_bp: 0 });
    for (let i = 0; i < 26; i++) {
      declare(n, i, BigInt(100_000 + (i % 5 === 0 ? 0 : i)) * CMT);
      if (i === 10) n.block();
    }
    n.block();
    const vs = n.ledger.validators();
    assert.equal(vs.filter((v) => v.role === 'validator').length, 19);
    assert.equal(vs.filter((v) => v.role === 'backup').length, 5);
    for (let i = 1; i < vs.length; i++) {
      const a = n.ledger.candidate(vs[i - 1]!.address)!;
      const b = n.ledger.candidate(vs[i]!.address)!;
      assert.ok(
        a.totalStake > b.totalStake || (a.totalStake === b.totalStake && (a.declareHeight < b.declareHeight || (a.declareHeight === b.declareHeight && a.address < b.address))),
      );
    }
    // the five equal stakes: i = 0, 5, 10 declared in block 1 come before 15, 20 (block 2)
    const equal = vs.filter((v) => v.totalStake === 100_000n * CMT).map((v) => v.address);
    const early = [0, 5, 10].map(cand).sort();
    assert.deepEqual(equal.slice(0, 3), early);
    assert.equal(n.ledger.lastValidatorSet().length, 19);
  });

  it('gives power by stake with fewer than 9 validators (no cap) and sends only changes', () => {
    const n = net({ inflation_rate_bp: 0 });
    declare(n, 0, 100_000n * CMT);
    const { end } = n.block();
    assert.equal(end.updates.length, 1);
    assert.equal(end.updates[0]!.power, 100_000n);
    assert.equal(n.block().end.updates.length, 0, 'nothing changed, nothing sent');
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    const { end: e3 } = n.block();
    assert.deepEqual(
      e3.updates.map((u) => u.power),
      [150_000n],
    );
    // A small newcomer weighs by its stake, not as much as the largest (issue 8.1: it could halt consensus).
    declare(n, 1, 2_000n * CMT);
    n.block();
    const powers = new Map(n.ledger.validators().map((v) => [v.address, v.consensusPower]));
    assert.equal(powers.get(cand(0)), 150_000n);
    assert.equal(powers.get(cand(1)), 2_000n);
  });

  it('S sums the validators only; the cap applies after ranking by T_i, to backups with the same S (SPEC 4.1, 4.2)', () => {
    const n = net({ inflation_rate_bp: 0, max_validators: 9, backup_validators: 1 });
    declare(n, 0, 200_000n * CMT, 0, 2_000_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    for (let i = 1; i <= 8; i++) declare(n, i, 100_000n * CMT);
    declare(n, 9, 50_000n * CMT); // the backup
    declare(n, 10, 40_000n * CMT); // a plain candidate
    n.block();
    // S = 250k + 8 × 100k = 1,050k over the 9 validators; backup and candidate stake are not in it.
    const cap = (1_050_000n * CMT * 1200n) / 10_000n;
    const byAddr = new Map(n.ledger.candidates().map((c) => [c.address, c]));
    assert.equal(byAddr.get(cand(0))!.votingPower, cap);
    assert.equal(byAddr.get(cand(0))!.rank, 1, 'ranked by T_i: first although capped');
    assert.equal(byAddr.get(cand(1))!.votingPower, 100_000n * CMT);
    assert.equal(byAddr.get(cand(9))!.role, 'backup');
    assert.equal(byAddr.get(cand(9))!.votingPower, 50_000n * CMT);
    const sent = new Map(n.ledger.lastValidatorSet().map((v) => [Buffer.from(v.pubKey).toString('hex'), v.power]));
    assert.equal(sent.get(pk(0).slice(2)), cap / CMT);
    assert.equal(sent.size, 9);
  });

  it('never sends an update leaving CometBFT without power', () => {
    const n = net({ inflation_rate_bp: 0 });
    declare(n, 0, 100_000n * CMT);
    n.block();
    n.ok(cand(0), 'withdrawCandidacy');
    const { end } = n.block();
    assert.deepEqual(end.updates, []);
    assert.equal(n.ledger.lastValidatorSet().length, 1, 'the last set stands');
    declare(n, 1, 100_000n * CMT);
    const { end: e2 } = n.block();
    assert.equal(e2.updates.length, 2);
  });

  it('bounds the total power under MaxTotalVotingPower', () => {
    const big = MAX_TOTAL_VOTING_POWER;
    const set = [
      { pubKey: testPubKey(1), power: big },
      { pubKey: testPubKey(2), power: big / 2n },
      { pubKey: testPubKey(3), power: 1n },
    ];
    const out = boundTotalPower(set);
    const total = out.reduce((s, v) => s + v.power, 0n);
    assert.ok(total <= MAX_TOTAL_VOTING_POWER && total > 0n);
    assert.equal(out.length, 2);
  });
});

describe('genesis', () => {
  it('writes candidates and delegations, adds their stake to the supply, returns the elected set', () => {
    const chain = newTestChain({}, [[F, 1000n * CMT]]);
    const app = {
      candidates: Array.from({ length: 21 }, (_, i) => ({
        address: cand(i),
        pub_key: Buffer.from(key(i)).toString('base64'),
        max_stake: (1_000_000n * CMT).toString(),
        self_stake: ((100_000n + BigInt(i)) * CMT).toString(),
        comp_rate_bp: 1000,
        description: { website: 'w', name: `c${i}` },
        verified: i === 0,
      })),
      delegations: [{ delegator: del(0), candidate: cand(0), amount: (500_000n * CMT).toString() }],
      enterprise_accounts: [del(1)],
    };
    const g = parseAppGenesis(Buffer.from(JSON.stringify(app))); // the node's parser; its staking lists are what initGenesis takes
    chain.supply.setGenesis(chain.supply.read().genesis + genesisStake(g)); // the app's part of genesis
    const set = chain.ledger.initGenesis(g);
    assert.equal(set.length, 19);
    assert.equal(chain.ledger.delegation(cand(0), del(0))!.amount, 500_000n * CMT, 'not held to the stake limits');
    assert.equal(chain.ledger.candidate(cand(0))!.description, '{"name":"c0","website":"w"}');
    assert.equal(chain.ledger.candidate(cand(0))!.verified, true);
    assert.equal(chain.ledger.isEnterprise(del(1)), true);
    const staked = 500_000n * CMT + Array.from({ length: 21 }, (_, i) => (100_000n + BigInt(i)) * CMT).reduce((a, b) => a + b);
    assert.equal(chain.supply.read().genesis, 1000n * CMT + staked);
    assert.equal(chain.ledger.stakingTotals().bonded, staked);
    assert.ok(!set.some((u) => Buffer.from(u.pubKey).equals(key(1))), 'the two smallest are not elected');
  });

  it('with no candidates returns [] and replaces the CometBFT genesis set at the first election', () => {
    const n = net({ inflation_rate_bp: 0 });
    const comet = [{ pubKey: testPubKey('comet'), power: 10n }];
    assert.deepEqual(n.ledger.initGenesis({ candidates: [], delegations: [], enterpriseAccounts: [] }, comet), []);
    declare(n, 0, 100_000n * CMT);
    const { end } = n.block();
    assert.deepEqual(
      end.updates.map((u) => u.power),
      Buffer.compare(testPubKey('comet'), key(0)) < 0 ? [0n, 100_000n] : [100_000n, 0n],
    );
  });

  it('refuses inconsistent genesis', () => {
    const chain = newTestChain();
    const c = {
      address: cand(0),
      pubKey: testPubKey(0),
      maxStake: 1000n,
      selfStake: 99n,
      compRateBp: 0,
      description: '{}',
      verified: false,
    };
    assert.throws(() => chain.ledger.initGenesis({ candidates: [c], delegations: [], enterpriseAccounts: [] }), /self_stake/);
    assert.throws(
      () =>
        chain.ledger.initGenesis({
          candidates: [{ ...c, selfStake: 100n }],
          delegations: [{ delegator: del(0), candidate: cand(0), amount: 901n }],
          enterpriseAccounts: [],
        }),
      /exceeds max_stake/,
    );
  });
});
