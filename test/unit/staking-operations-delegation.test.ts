/**
 * delegate, unstake, setCompRate, setEnterprise and their helpers
 * (src/staking/operations.ts, SPEC 5.4, 6, 7): the rules the mutation run
 * found untested.
 *
 * - Refusal texts: a refused call's revert text is `<reason>: <text>` and is
 *   consensus when sent in a transaction (contract.ts), so each text must
 *   say what was refused, with the numbers of the call.
 * - Stake pools slashed to nothing (possible when slash_ratio_bp ×
 *   max_slash_blocks = 10000, which params allow): no new stake joins them.
 * - What the stake limits count: a delegator's stake at a withdrawn candidacy
 *   is already waiting and does not count; an unstake checks only the minimum
 *   of what remains (awards may grow a stake past address_max_stake, SPEC 6);
 *   with limits off nothing is checked.
 * - The checks the ABI cannot reach (uint16 rates, non-payable functions)
 *   still hold for a direct caller of the ledger.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CMT, type Params } from '../../src/state/params.js';
import type { Address } from '../../src/util/address.js';
import { StakingError } from '../../src/staking/types.js';
import { StakingStore } from '../../src/staking/store.js';
import { TEST_DESCRIPTION, type TestNet, assertConserved, declareCandidate, fundedTestNet, testActors } from '../support/staking-testkit.js';

const actors = testActors('opsb-', { keyPrefix: 'opsb-' });
const { F, cand, del } = actors;
const DESC = TEST_DESCRIPTION;

// SPEC 6 defaults, pinned here so the expected numbers below follow from them.
const ADDRESS_MIN = 1_000n * CMT;
const ADDRESS_MAX = 100_000n * CMT;
const ENTERPRISE_MIN = 1_000_000n * CMT;

function net(overrides: Partial<Params> = {}): TestNet {
  return fundedTestNet(actors, 4, {
    self_stake_ratio_bp: 1000,
    stake_limits_enabled: true,
    address_min_stake: ADDRESS_MIN,
    address_max_stake: ADDRESS_MAX,
    enterprise_min_stake: ENTERPRISE_MIN,
    ...overrides,
  });
}

function declare(n: TestNet, i: number, max = 1_000_000n * CMT, self = 100_000n * CMT, rate = 2000): void {
  declareCandidate(n, actors, i, { max, self, rate });
}

/** The refusal of a call: its reason and the text after `<reason>: `. */
function refusal(n: TestNet, sender: Address, fn: string, args: unknown[] = [], value = 0n): { reason: string; text: string } {
  const r = n.tx(sender, fn, args, value);
  if (r.ok) throw new Error(`${fn} was expected to be refused`);
  const prefix = `${r.error.reason}: `;
  assert.ok(r.error.message.startsWith(prefix), r.error.message);
  return { reason: r.error.reason, text: r.error.message.slice(prefix.length) };
}

/** The StakingError a direct ledger call throws. */
function ledgerRefusal(call: () => unknown): { reason: string; text: string } {
  try {
    call();
  } catch (e) {
    if (e instanceof StakingError) return { reason: e.reason, text: e.message };
    throw e;
  }
  throw new Error('the call was expected to be refused');
}

describe('refusal texts of delegate and unstake name what was refused', () => {
  it('delegate: zero value, unknown and withdrawn candidates, maxStake with the numbers', () => {
    const n = net();
    assert.deepEqual(refusal(n, del(0), 'delegate', [cand(3)], 1_000n * CMT), { reason: 'not_candidate', text: `${cand(3)} is not a candidate` });
    declare(n, 0, 200_000n * CMT, 100_000n * CMT);
    const zero = refusal(n, del(0), 'delegate', [cand(0)], 0n);
    assert.equal(zero.reason, 'zero_value');
    assert.match(zero.text, /positive value/);
    // T = 100,000 CMT of self-stake; 100,001 more would pass maxStake 200,000.
    const over = refusal(n, del(0), 'delegate', [cand(0)], 100_001n * CMT);
    assert.equal(over.reason, 'above_max_stake');
    assert.match(over.text, new RegExp(`stake ${100_000n * CMT} \\+ ${100_001n * CMT} would exceed its maxStake ${200_000n * CMT}`));
    n.ok(cand(0), 'withdrawCandidacy');
    const gone = refusal(n, del(0), 'delegate', [cand(0)], 1_000n * CMT);
    assert.equal(gone.reason, 'candidate_withdrawn');
    assert.equal(gone.text, `${cand(0)} has withdrawn its candidacy`);
  });

  it('unstake: unknown candidate, no stake, too much, a withdrawn candidacy', () => {
    const n = net();
    assert.deepEqual(refusal(n, del(0), 'unstake', [cand(3), 0n]), { reason: 'not_candidate', text: `${cand(3)} is not a candidate` });
    declare(n, 0);
    assert.deepEqual(refusal(n, del(0), 'unstake', [cand(0), 0n]), { reason: 'no_delegation', text: `${del(0)} has no stake at ${cand(0)}` });
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    const much = refusal(n, del(0), 'unstake', [cand(0), 10_000n * CMT + 1n]);
    assert.equal(much.reason, 'amount_exceeds_stake');
    assert.match(much.text, new RegExp(`unstake of ${10_000n * CMT + 1n} exceeds the stake ${10_000n * CMT}$`));
    n.ok(cand(0), 'withdrawCandidacy');
    const gone = refusal(n, del(0), 'unstake', [cand(0), 0n]);
    assert.equal(gone.reason, 'candidate_withdrawn');
    assert.match(gone.text, /withdrawn/);
  });

  it("a candidate's own unstake names the self-stake floor in percent (1000 bp = 10%)", () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 150_000n * CMT);
    const floor = refusal(n, cand(0), 'unstake', [cand(0), 50_000n * CMT + 1n]);
    assert.equal(floor.reason, 'self_stake_floor');
    assert.match(floor.text, /must keep 10% of maxStake as self-stake/);
  });

  it('the stake limits say which total (total or remaining) and the bound', () => {
    const n = net();
    declare(n, 0, 5_000_000n * CMT, 500_000n * CMT);
    declare(n, 1, 5_000_000n * CMT, 500_000n * CMT);
    const low = refusal(n, del(0), 'delegate', [cand(0)], ADDRESS_MIN - 1n);
    assert.equal(low.reason, 'below_min_stake');
    assert.equal(low.text, `an address's total stake must be 0 or at least ${ADDRESS_MIN} (would be ${ADDRESS_MIN - 1n})`);
    n.ok(del(0), 'delegate', [cand(0)], 1_500n * CMT);
    const left = refusal(n, del(0), 'unstake', [cand(0), 501n * CMT]);
    assert.equal(left.reason, 'below_min_stake');
    assert.equal(left.text, `an address's remaining stake must be 0 or at least ${ADDRESS_MIN} (would be ${999n * CMT})`);
    const high = refusal(n, del(0), 'delegate', [cand(1)], ADDRESS_MAX);
    assert.equal(high.reason, 'above_address_max_stake');
    assert.equal(high.text, `an address's total stake may not exceed ${ADDRESS_MAX} (would be ${ADDRESS_MAX + 1_500n * CMT})`);

    n.ok(F, 'setEnterprise', [del(1), true]);
    const ent = refusal(n, del(1), 'delegate', [cand(0)], ENTERPRISE_MIN - 1n);
    assert.equal(ent.reason, 'below_min_stake');
    assert.equal(ent.text, `an enterprise address's total stake must be at least ${ENTERPRISE_MIN} (would be ${ENTERPRISE_MIN - 1n})`);
    n.ok(del(1), 'delegate', [cand(0)], 1_500_000n * CMT);
    const entLeft = refusal(n, del(1), 'unstake', [cand(0), 500_001n * CMT]);
    assert.equal(entLeft.reason, 'below_min_stake');
    assert.equal(entLeft.text, `an enterprise address's remaining stake must be at least ${ENTERPRISE_MIN} (would be ${999_999n * CMT})`);
  });
});

describe('refusal texts of setCompRate, the foundation calls and the candidacy checks', () => {
  it('setCompRate: self-stake, no delegation, a higher rate, a bad rate', () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 100_000n * CMT, 2000);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    const self = refusal(n, cand(0), 'setCompRate', [cand(0), 0]);
    assert.equal(self.reason, 'self_delegation');
    assert.match(self.text, /own stake pays no compensation/);
    assert.deepEqual(refusal(n, cand(0), 'setCompRate', [del(1), 0]), { reason: 'no_delegation', text: `${del(1)} has no stake at ${cand(0)}` });
    const up = refusal(n, cand(0), 'setCompRate', [del(0), 2001]);
    assert.equal(up.reason, 'rate_above_current');
    assert.match(up.text, /^rate 2001 bp is above this delegation's current rate 2000 bp/);
    const bad = refusal(n, cand(0), 'updateCandidacy', [1_000_000n * CMT, 10_000, '']);
    assert.equal(bad.reason, 'bad_comp_rate');
    assert.match(bad.text, /0…9999 bp, got 10000$/);
  });

  it('a candidacy that does not stand: unknown, withdrawn', () => {
    const n = net();
    assert.deepEqual(refusal(n, cand(0), 'deactivateCandidacy'), { reason: 'not_candidate', text: `${cand(0)} is not a candidate` });
    declare(n, 0);
    n.ok(cand(0), 'withdrawCandidacy');
    const gone = refusal(n, cand(0), 'activateCandidacy');
    assert.equal(gone.reason, 'candidate_withdrawn');
    assert.match(gone.text, /withdrawn/);
  });

  it('the foundation calls: none configured, another sender', () => {
    const n = net();
    const other = refusal(n, del(0), 'setEnterprise', [del(1), true]);
    assert.equal(other.reason, 'not_foundation');
    assert.match(other.text, /only the foundation/);
    const none = net({ foundation_address: '' });
    const missing = refusal(none, F, 'setEnterprise', [del(1), true]);
    assert.equal(missing.reason, 'no_foundation');
    assert.match(missing.text, /no foundation address/);
  });

  it("a bad consensus key is reported under the ABI argument's name, pubKey", () => {
    const n = net();
    const r = refusal(n, cand(0), 'declareCandidacy', [`0x${'00'.repeat(32)}`, '0x', 1_000n * CMT, 0, DESC], 100n * CMT);
    assert.equal(r.reason, 'bad_pubkey');
    assert.match(r.text, /^pubKey: /);
  });
});

describe('what the stake limits count (SPEC 6)', () => {
  it('stake at a withdrawn candidacy is already waiting: it does not count toward address_max_stake', () => {
    const n = net();
    declare(n, 0);
    declare(n, 1);
    n.ok(del(0), 'delegate', [cand(0)], 60_000n * CMT);
    n.ok(cand(0), 'withdrawCandidacy');
    // 60,000 wait at cand-0; 60,000 more at cand-1 is a total of 60,000, not 120,000.
    n.ok(del(0), 'delegate', [cand(1)], 60_000n * CMT);
    assert.equal(n.ledger.delegation(cand(1), del(0))!.amount, 60_000n * CMT);
    assert.equal(n.refused(del(0), 'delegate', [cand(1)], 40_000n * CMT + 1n), 'above_address_max_stake');
  });

  it('an unstake does not check address_max_stake: awards may have grown the stake past it', () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 100_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], ADDRESS_MAX);
    n.blocks(3); // awards compound into the delegation
    const value = n.ledger.delegation(cand(0), del(0))!.amount;
    assert.ok(value > ADDRESS_MAX + CMT, 'the stake grew past address_max_stake');
    n.ok(del(0), 'unstake', [cand(0), CMT]);
    // Shares for a withdrawal round up (the pool's favour): what remains is 1 CMT less, or 1 wei less than that.
    const left = n.ledger.delegation(cand(0), del(0))!.amount;
    assert.ok(left <= value - CMT && left >= value - CMT - 1n, `${left}`);
    assert.ok(left > ADDRESS_MAX);
    assertConserved(n);
  });

  it('with stake_limits_enabled false an unstake may leave less than address_min_stake', () => {
    const n = net({ stake_limits_enabled: false });
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 1_500n * CMT);
    n.ok(del(0), 'unstake', [cand(0), 1_000n * CMT]);
    assert.equal(n.ledger.delegation(cand(0), del(0))!.amount, 500n * CMT);
  });
});

/**
 * A chain whose slashes can take everything (slash_ratio_bp × max_slash_blocks
 * = 10000): cand-0 (default rate 2000) holds its self pool, del-0 at rate 2000
 * and del-1 at rate 1000; one absent vote slashes all of it and removes it.
 */
function wipedNet(): TestNet {
  const n = net({ slash_ratio_bp: 10_000, max_slash_blocks: 1 });
  declare(n, 0, 1_000_000n * CMT, 100_000n * CMT, 1000);
  declare(n, 1);
  n.ok(del(1), 'delegate', [cand(0)], 10_000n * CMT);
  n.ok(cand(0), 'updateCandidacy', [1_000_000n * CMT, 2000, '']);
  n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
  n.block();
  n.block({ absent: [cand(0)] });
  const c = n.ledger.candidate(cand(0))!;
  assert.equal(c.totalStake, 0n, 'slashed to nothing');
  assert.equal(c.state, 'removed');
  return n;
}

describe('stake pools slashed to nothing take no new stake', () => {
  it('a delegation into a wiped pool is refused; so is a top-up of a wiped self pool, but not an update without value', () => {
    const n = wipedNet();
    const r = refusal(n, del(2), 'delegate', [cand(0)], 10_000n * CMT);
    assert.equal(r.reason, 'pool_wiped');
    assert.match(r.text, /slashed to zero/);
    assert.equal(n.refused(cand(0), 'updateCandidacy', [1_000_000n * CMT, 2000, ''], 1_000n * CMT), 'pool_wiped');
    n.ok(cand(0), 'updateCandidacy', [1_000_000n * CMT, 2000, '{"name":"still here"}']);
    assert.equal(n.ledger.candidate(cand(0))!.description, '{"name":"still here"}');
    assertConserved(n);
  });

  it('setCompRate into a wiped pool is refused; to the same rate it changes nothing', () => {
    const n = wipedNet();
    const r = refusal(n, cand(0), 'setCompRate', [del(0), 1000]);
    assert.equal(r.reason, 'pool_wiped');
    assert.match(r.text, /target pool was slashed to zero/);
    const before = n.ledger.delegation(cand(0), del(0))!;
    n.ok(cand(0), 'setCompRate', [del(0), 2000]);
    assert.deepEqual(n.ledger.delegation(cand(0), del(0)), before);
    assertConserved(n);
  });

  it('setCompRate out of a wiped pool ends the delegation, and the withdrawal later pays out (fix: it left a record without shares that crashed endBlock)', () => {
    const n = wipedNet();
    n.ok(cand(0), 'setCompRate', [del(0), 500]);
    assert.equal(n.ledger.delegation(cand(0), del(0)), undefined, 'worth nothing: no record left');
    assert.deepEqual(
      n.ledger.delegations(del(0)).map((d) => d.candidate),
      [],
    );
    assert.equal(n.refused(del(0), 'unstake', [cand(0), 0n]), 'no_delegation');
    n.ok(cand(0), 'withdrawCandidacy');
    n.block({ dt: 200n });
    assert.equal(n.ledger.candidate(cand(0)), undefined, 'paid out and gone');
    assertConserved(n);
  });

  it('a delegation record without shares (as earlier versions could leave) is no stake to unstake', () => {
    const n = net();
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    const store = new StakingStore(n.chain.kv);
    const d = store.getDelegation(cand(0), del(0))!;
    store.putDelegation(cand(0), del(0), { ...d, pool: 500, shares: 0n });
    assert.deepEqual(refusal(n, del(0), 'unstake', [cand(0), 0n]), { reason: 'no_delegation', text: `${del(0)} has no stake at ${cand(0)}` });
  });
});

describe('checks a direct caller of the ledger meets (the ABI cannot send these)', () => {
  const ctx = (n: TestNet, sender: Address, value = 0n) => ({ sender, value, height: n.height + 1n, time: n.time + 10n });

  it('a compensation rate must be a whole number of basis points, 0…9999', () => {
    const n = net();
    declare(n, 0);
    for (const rate of [-1, 1.5, 10_000]) {
      const r = ledgerRefusal(() => n.ledger.updateCandidacy(ctx(n, cand(0)), 1_000_000n * CMT, rate, ''));
      assert.equal(r.reason, 'bad_comp_rate', `rate ${rate}`);
      assert.equal(r.text, `compensation rate must be 0…9999 bp, got ${rate}`);
    }
    assert.equal(n.ledger.candidate(cand(0))!.compRateBp, 2000);
  });

  it('the non-payable operations refuse a value', () => {
    const n = net();
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    const calls: Array<() => unknown> = [
      () => n.ledger.unstake(ctx(n, del(0), 1n), cand(0), 0n),
      () => n.ledger.setCompRate(ctx(n, cand(0), 1n), del(0), 1000),
      () => n.ledger.setEnterprise(ctx(n, F, 1n), del(1), true),
    ];
    for (const call of calls) {
      assert.deepEqual(ledgerRefusal(call), { reason: 'not_payable', text: 'this function does not accept a value' });
    }
    assert.equal(n.ledger.delegation(cand(0), del(0))!.amount, 10_000n * CMT);
    assert.equal(n.ledger.delegation(cand(0), del(0))!.compRateBp, 2000);
    assert.equal(n.ledger.isEnterprise(del(1)), false);
  });
});
