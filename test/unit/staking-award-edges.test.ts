/**
 * Edge cases of the staking award arithmetic found by mutation testing
 * (issue 15): inflation.ts bounds, pool.ts guards, award.ts zero shortcut.
 * Every expected value follows from the documented contract (SPEC 5.1, 5.2, 5.5).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CMT, DEFAULT_PARAMS, type Params } from '../../src/state/params.js';
import { distributeGroup } from '../../src/staking/award.js';
import { type AwardYear, mintedAt, runMint } from '../../src/staking/inflation.js';
import { isWiped, redeem, shareValue, sharesForDeposit } from '../../src/staking/pool.js';
import { type Pool, SELF_POOL, SHARE_SCALE } from '../../src/staking/store.js';
import { TestNet, testAddress, testPop, testPubKey } from '../support/staking-testkit.js';

const Y_S = 100n;
const Y = Y_S * 1000n; // one award year in ms
const PARAMS: Params = { ...DEFAULT_PARAMS, seconds_per_year: Y_S, inflation_rate_bp: 1000, inflation_years: 10, supply_cap: 10n ** 30n };

const pool = (tokens: bigint, shares: bigint): Pool => ({ tokens, shares }) as Pool;

describe('inflation edges (SPEC 5.1)', () => {
  it('mintedAt is 0 before its year starts: e_k(t) = max(t - t0 - kY, 0)', () => {
    const y: AwardYear = { t0: 1000n, year: 1n, base: 10_000n, rateBp: 1000n, minted: 0n };
    // t lies half way through year 0, so e_1(t) clamps to 0 and nothing is minted for year 1.
    assert.equal(mintedAt(y, 1000n + Y / 2n, Y), 0n);
    // sanity: half way through year 1 it is B·r·(Y/2)/(10^4·Y) = 10000·1000/2/10000 = 500.
    assert.equal(mintedAt(y, 1000n + Y + Y / 2n, Y), 500n);
  });

  it('a supply already above supply_cap mints nothing (never past the cap, never negative)', () => {
    const params = { ...PARAMS, supply_cap: 1000n };
    const first = runMint(undefined, 0n, 2000n, params, true);
    assert.equal(first.minted, 0n);
    // half a year at 10 %: uncapped 2000·1000·(Y/2)/(10^4·Y) = 100, but the cap leaves no room.
    const r = runMint(first.year, Y / 2n, 2000n, params, true);
    assert.equal(r.minted, 0n);
  });

  it('a header time that goes back mints nothing and keeps the record', () => {
    const prev: AwardYear = { t0: 0n, year: 0n, base: 10_000n, rateBp: 1000n, minted: 500n };
    // minted_0(Y/4) = 10000·1000/4/10000 = 250 < 500 already minted.
    const r = runMint(prev, Y / 4n, 10_500n, PARAMS, true);
    assert.equal(r.minted, 0n);
    assert.equal(r.year.minted, 500n);
    assert.equal(r.year.year, 0n);
  });
});

describe('pool edges (SPEC 5.5)', () => {
  it("the pool's last shares take all its tokens, even when asked about more shares", () => {
    assert.equal(shareValue(pool(10n, 4n), 8n), 10n);
    assert.equal(shareValue(pool(10n, 4n), 4n), 10n);
  });

  it('an empty pool (no shares, no tokens) is not wiped', () => {
    assert.equal(isWiped(pool(0n, 0n)), false);
    assert.equal(isWiped(pool(0n, 3n)), true);
  });

  it('a deposit into a pool with owners is priced at its share/token ratio, not the initial scale', () => {
    // 100 wei bought 100·SCALE shares, then a slash halved the tokens: 10 wei now buy 10·100·SCALE/50.
    assert.equal(sharesForDeposit(pool(50n, 100n * SHARE_SCALE), 10n), 20n * SHARE_SCALE);
  });

  it('a deposit into a wiped pool is refused with its own error', () => {
    assert.throws(() => sharesForDeposit(pool(0n, 5n), 1n), { message: 'deposit into a wiped pool' });
  });

  it('redeeming more shares than the pool has is refused and leaves the pool as it was', () => {
    const p = pool(10n, 4n);
    assert.throws(() => redeem(p, 5n), { message: 'redeeming 5 shares of a pool of 4' });
    assert.equal(p.tokens, 10n);
    assert.equal(p.shares, 4n);
  });
});

describe('award zero shortcut (SPEC 5.2)', () => {
  it('a member with no stake (T = 0) gets nothing instead of dividing by zero', () => {
    const r = distributeGroup(100n, [{ V: 1n, T: 0n, pools: [] }]);
    assert.deepEqual(r.awards, [{ pools: [], compensation: 0n }]);
    assert.equal(r.distributed, 0n);
  });

  it('a group with no power (V_g = 0) awards nothing instead of dividing by zero', () => {
    const r = distributeGroup(100n, [{ V: 0n, T: 10n, pools: [{ id: SELF_POOL, tokens: 10n }] }]);
    assert.deepEqual(r.awards, [{ pools: [0n], compensation: 0n }]);
    assert.equal(r.distributed, 0n);
  });
});

describe('block mint with no earning validator (runMint contract: no validator to award, nothing minted)', () => {
  it('a block whose only validator was absent mints nothing, and the time passes unminted', () => {
    const cand = testAddress('cand-0');
    const n = new TestNet({ foundation_address: testAddress('foundation'), slash_enabled: false }, [[cand, 10_000_000n * CMT]]);
    n.ok(cand, 'declareCandidacy', [`0x${Buffer.from(testPubKey('cand-0')).toString('hex')}`, testPop('cand-0', cand), 1_000_000n * CMT, 0, '{"name":"x"}'], 100_000n * CMT);
    n.block(); // elects it
    assert.ok(n.block().end.awards.minted > 0n, 'an earning validator: the year mints');
    const { end } = n.block({ absent: [cand] });
    assert.equal(end.awards.minted, 0n);
    const { supply, held } = n.conservation();
    assert.equal(held, supply);
  });
});

describe('award split uses capped voting power (SPEC 5.2 with V_i = min(T_i, threshold · S))', () => {
  it('a validator above the cap earns on its capped power, not its stake', () => {
    const c0 = testAddress('cand-0');
    const c1 = testAddress('cand-1');
    const bal: Array<[typeof c0, bigint]> = [
      [c0, 10_000_000n * CMT],
      [c1, 10_000_000n * CMT],
      [testAddress('payer'), 10_000_000n * CMT],
    ];
    // threshold 50 %: the cap binds with 2 validators, cap = S/2 = 200k CMT.
    const n = new TestNet({ foundation_address: testAddress('foundation'), slash_enabled: false, inflation_rate_bp: 0, validator_size_threshold_bp: 5000 }, bal);
    const declare = (who: typeof c0, name: string, self: bigint): void => {
      n.ok(who, 'declareCandidacy', [`0x${Buffer.from(testPubKey(name)).toString('hex')}`, testPop(name, who), self * 10n, 0, '{"name":"x"}'], self);
    };
    declare(c0, 'cand-0', 100_000n * CMT);
    declare(c1, 'cand-1', 300_000n * CMT);
    n.block(); // elects both
    const { end } = n.block({ fees: [[testAddress('payer'), 300n * CMT]] });
    const A = 300n * CMT + end.awards.dustIn;
    const e0 = end.awards.awards.find((a) => a.candidate === c0)!;
    const e1 = end.awards.awards.find((a) => a.candidate === c1)!;
    assert.equal(e0.votingPower, 100_000n * CMT);
    assert.equal(e1.votingPower, 200_000n * CMT);
    // V_g = 300k CMT: shares 1/3 and 2/3 of A (uncapped they would be 1/4 and 3/4).
    assert.equal(e0.delegatorsAward, (A * 100_000n) / 300_000n);
    assert.equal(e1.delegatorsAward, (A * 200_000n) / 300_000n);
  });
});
