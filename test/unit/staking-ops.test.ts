// Staking operations of SPEC 6 through the real contract (ABI calldata, scratch
// overlays as the executor uses them): every rule and every refusal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CMT, type Params } from '../../src/state/params.js';
import type { Address } from '../../src/util/address.js';
import { STAKING_INTERFACE } from '../../src/staking/contract.js';
import { decodeCandidate, encodeCandidate } from '../../src/staking/store.js';
import { TEST_DESCRIPTION, type TestNet, assertConserved, declareCandidate, fundedTestNet, stakingView, testActors } from '../support/staking-testkit.js';

const actors = testActors();
const { F, cand, del, key, pk, pop } = actors;
const DESC = TEST_DESCRIPTION;

function net(overrides: Partial<Params> = {}): TestNet {
  return fundedTestNet(actors, 6, overrides);
}

function declare(n: TestNet, i: number, max = 1_000_000n * CMT, self = 100_000n * CMT, rate = 2000): void {
  declareCandidate(n, actors, i, { max, self, rate });
}

describe('declareCandidacy', () => {
  it('declares with the value as self-stake and emits CandidacyDeclared', () => {
    const n = net();
    const before = n.balance(cand(0));
    const r = n.ok(cand(0), 'declareCandidacy', [pk(0), pop(0, cand(0)), 1_000_000n * CMT, 2000, DESC], 100_000n * CMT);
    assert.equal(n.balance(cand(0)), before - 100_000n * CMT);
    const c = n.ledger.candidate(cand(0))!;
    assert.equal(c.totalStake, 100_000n * CMT);
    assert.equal(c.selfStake, 100_000n * CMT);
    assert.equal(c.state, 'active');
    assert.equal(c.compRateBp, 2000);
    assert.equal(c.pubKey, pk(0));
    assert.equal(r.logs.length, 1);
    const ev = STAKING_INTERFACE.parseLog({
      topics: r.logs[0]!.topics.map((t) => `0x${Buffer.from(t).toString('hex')}`),
      data: `0x${Buffer.from(r.logs[0]!.data).toString('hex')}`,
    })!;
    assert.equal(ev.name, 'CandidacyDeclared');
    assert.equal((ev.args[0] as string).toLowerCase(), cand(0));
    assertConserved(n);
  });

  it('refuses a second declaration, a used key, bad numbers and a bad description', () => {
    const n = net();
    declare(n, 0);
    assert.equal(n.refused(cand(0), 'declareCandidacy', [pk(1), pop(1, cand(0)), 1000n * CMT, 0, DESC], 100n * CMT), 'already_candidate');
    assert.equal(n.refused(cand(1), 'declareCandidacy', [pk(0), pop(0, cand(1)), 1000n * CMT, 0, DESC], 100n * CMT), 'pubkey_in_use');
    assert.equal(n.refused(cand(1), 'declareCandidacy', [`0x${'00'.repeat(32)}`, '0x', 1000n * CMT, 0, DESC], 100n * CMT), 'bad_pubkey');
    assert.equal(n.refused(cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 0n, 0, DESC], 0n), 'bad_max_stake');
    assert.equal(n.refused(cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 1000n * CMT, 0, DESC], 99n * CMT), 'self_stake_too_low');
    assert.equal(n.refused(cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 1000n * CMT, 0, DESC], 1001n * CMT), 'above_max_stake');
    assert.equal(n.refused(cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 1000n * CMT, 10000, DESC], 100n * CMT), 'bad_comp_rate');
    assert.equal(n.refused(cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 1000n * CMT, 0, 'not json'], 100n * CMT), 'bad_description');
    assert.equal(n.refused(cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 1000n * CMT, 0, '{"name":5}'], 100n * CMT), 'bad_description');
    assert.equal(n.refused(cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 1000n * CMT, 0, '[1]'], 100n * CMT), 'bad_description');
    // a refused call moves no CMT
    assert.equal(n.balance(cand(1)), 10_000_000n * CMT);
    // exactly 10% is enough
    n.ok(cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 1000n * CMT, 9999, DESC], 100n * CMT);
    assertConserved(n);
  });
});

describe('proof of possession of the consensus key (SPEC 6)', () => {
  it("refuses a declaration without the key's signature over the chain id and the candidate's address", () => {
    const n = net();
    const at = (who: Address, key = 1): unknown[] => [pk(key), pop(key, who), 1000n * CMT, 0, DESC];
    const refuse = (args: unknown[]): string => n.refused(cand(1), 'declareCandidacy', args, 100n * CMT);
    // A key nobody holds: 32 random-looking bytes with any 64 bytes of "signature".
    assert.equal(refuse([`0x${'ab'.repeat(32)}`, `0x${'cd'.repeat(64)}`, 1000n * CMT, 0, DESC]), 'bad_pubkey_signature');
    // Someone else's key: a proof made for another address (a front-runner replaying it).
    assert.equal(refuse(at(cand(2))), 'bad_pubkey_signature');
    // The right key and address, but another chain's id.
    assert.equal(refuse([pk(1), pop(1, cand(1), 'other-chain'), 1000n * CMT, 0, DESC]), 'bad_pubkey_signature');
    // Signed by another key; short, empty and flipped signatures.
    assert.equal(refuse([pk(1), pop(2, cand(1)), 1000n * CMT, 0, DESC]), 'bad_pubkey_signature');
    const good = pop(1, cand(1));
    assert.equal(refuse([pk(1), good.slice(0, -2), 1000n * CMT, 0, DESC]), 'bad_pubkey_signature');
    assert.equal(refuse([pk(1), '0x', 1000n * CMT, 0, DESC]), 'bad_pubkey_signature');
    const flipped = `${good.slice(0, 10)}${good[10] === '0' ? '1' : '0'}${good.slice(11)}`;
    assert.equal(refuse([pk(1), flipped, 1000n * CMT, 0, DESC]), 'bad_pubkey_signature');
    assert.equal(n.ledger.candidate(cand(1)), undefined);
    n.ok(cand(1), 'declareCandidacy', at(cand(1)), 100n * CMT);
    assert.equal(n.ledger.candidate(cand(1))!.pubKey, pk(1));
    assertConserved(n);
  });
});

describe('descriptions keep their exact text (issue 19)', () => {
  it('a leading U+FEFF is not dropped: the stored record decodes to what was stored', () => {
    const c = {
      address: cand(0),
      pubKey: key(0),
      maxStake: 1n,
      compRateBp: 0,
      description: '\uFEFF{"name":"bom"}',
      verified: false,
      state: 'active' as const,
      declareHeight: 0n,
      missed: 0,
      pools: [],
      pendingRequests: 0n,
      delegationCount: 0n,
      head: '' as const,
      withdrawMatureTime: 0n,
      awarded: 0n,
      slashed: 0n,
      penalized: false,
    };
    assert.equal(decodeCandidate(encodeCandidate(c)).description, c.description);
  });

  it('a declaration whose description starts with U+FEFF is refused, not silently rewritten', () => {
    const n = net();
    assert.equal(n.refused(cand(0), 'declareCandidacy', [pk(0), pop(0, cand(0)), 1000n * CMT, 0, `\uFEFF${DESC}`], 100n * CMT), 'bad_description');
    n.ok(cand(0), 'declareCandidacy', [pk(0), pop(0, cand(0)), 1000n * CMT, 0, '{"name":"\uFEFFinside"}'], 100n * CMT);
    assert.equal(n.ledger.candidate(cand(0))!.description, '{"name":"\uFEFFinside"}');
  });
});

describe('updateCandidacy', () => {
  it('raising maxStake needs 10% self-stake, topped up by the value', () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 100_000n * CMT);
    assert.equal(n.refused(cand(0), 'updateCandidacy', [2_000_000n * CMT, 2000, ''], 0n), 'self_stake_too_low');
    assert.equal(n.refused(cand(0), 'updateCandidacy', [2_000_000n * CMT, 2000, ''], 99_999n * CMT), 'self_stake_too_low');
    n.ok(cand(0), 'updateCandidacy', [2_000_000n * CMT, 2000, ''], 100_000n * CMT);
    const c = n.ledger.candidate(cand(0))!;
    assert.equal(c.maxStake, 2_000_000n * CMT);
    assert.equal(c.selfStake, 200_000n * CMT);
    assertConserved(n);
  });

  it('lowering maxStake needs T_i <= new max', () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 100_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    assert.equal(n.refused(cand(0), 'updateCandidacy', [149_999n * CMT, 2000, ''], 0n), 'above_max_stake');
    n.ok(cand(0), 'updateCandidacy', [150_000n * CMT, 2000, ''], 0n);
    assert.equal(n.ledger.candidate(cand(0))!.maxStake, 150_000n * CMT);
  });

  it('keeping or raising maxStake passes even when awards pushed T_i past it (SPEC 6, issue 9.2)', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT, 100_000n * CMT, 2000);
    n.blocks(3); // awards compound into the self-stake: T_i > maxStake
    const T = n.ledger.candidate(cand(0))!.totalStake;
    assert.ok(T > 100_000n * CMT);
    n.ok(cand(0), 'updateCandidacy', [100_000n * CMT, 1500, '{"name":"new"}']);
    assert.equal(n.ledger.candidate(cand(0))!.compRateBp, 1500);
    n.ok(cand(0), 'updateCandidacy', [100_000n * CMT + 1n, 1000, '']);
    // Lowering still needs T_i ≤ the new max; adding stake above the max is refused as a delegation would be.
    assert.equal(n.refused(cand(0), 'updateCandidacy', [100_000n * CMT, 1000, '']), 'above_max_stake');
    assert.equal(n.refused(cand(0), 'updateCandidacy', [100_000n * CMT + 1n, 1000, ''], CMT), 'above_max_stake');
  });

  it('a changed description clears verified; an empty one keeps it', () => {
    const n = net();
    declare(n, 0);
    n.ok(F, 'verifyCandidacy', [cand(0), true]);
    assert.equal(n.ledger.candidate(cand(0))!.verified, true);
    n.ok(cand(0), 'updateCandidacy', [1_000_000n * CMT, 1500, '']);
    assert.equal(n.ledger.candidate(cand(0))!.verified, true);
    n.ok(cand(0), 'updateCandidacy', [1_000_000n * CMT, 1500, DESC]);
    assert.equal(n.ledger.candidate(cand(0))!.verified, true, 'same description is no change');
    n.ok(cand(0), 'updateCandidacy', [1_000_000n * CMT, 1500, '{"name":"new"}']);
    const c = n.ledger.candidate(cand(0))!;
    assert.equal(c.verified, false);
    assert.equal(c.description, '{"name":"new"}');
  });

  it('a new default rate applies to new delegations only', () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 100_000n * CMT, 2000);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    n.ok(cand(0), 'updateCandidacy', [1_000_000n * CMT, 3000, '']);
    n.ok(del(1), 'delegate', [cand(0)], 10_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    assert.equal(n.ledger.delegation(cand(0), del(0))!.compRateBp, 2000);
    assert.equal(n.ledger.delegation(cand(0), del(1))!.compRateBp, 3000);
    assert.equal(n.ledger.delegation(cand(0), del(0))!.amount, 20_000n * CMT);
  });

  it('refuses non-candidates, withdrawn candidates and bad rates', () => {
    const n = net();
    assert.equal(n.refused(cand(0), 'updateCandidacy', [1000n * CMT, 0, '']), 'not_candidate');
    declare(n, 0);
    assert.equal(n.refused(cand(0), 'updateCandidacy', [1_000_000n * CMT, 10000, '']), 'bad_comp_rate');
    n.ok(cand(0), 'withdrawCandidacy');
    assert.equal(n.refused(cand(0), 'updateCandidacy', [1_000_000n * CMT, 0, '']), 'candidate_withdrawn');
  });
});

describe('delegate', () => {
  it('stakes msg.value at the default rate, within maxStake', () => {
    const n = net();
    declare(n, 0, 200_000n * CMT, 100_000n * CMT, 2500);
    n.ok(del(0), 'delegate', [cand(0)], 60_000n * CMT);
    const d = n.ledger.delegation(cand(0), del(0))!;
    assert.equal(d.amount, 60_000n * CMT);
    assert.equal(d.compRateBp, 2500);
    assert.equal(n.refused(del(1), 'delegate', [cand(0)], 40_001n * CMT), 'above_max_stake');
    n.ok(del(1), 'delegate', [cand(0)], 40_000n * CMT);
    assert.equal(n.ledger.candidate(cand(0))!.totalStake, 200_000n * CMT);
    assertConserved(n);
  });

  it('holds a regular address within [address_min_stake, address_max_stake] across candidates', () => {
    const n = net();
    declare(n, 0);
    declare(n, 1);
    assert.equal(n.refused(del(0), 'delegate', [cand(0)], 999n * CMT), 'below_min_stake');
    n.ok(del(0), 'delegate', [cand(0)], 60_000n * CMT);
    n.ok(del(0), 'delegate', [cand(1)], 40_000n * CMT);
    assert.equal(n.refused(del(0), 'delegate', [cand(1)], 1n), 'above_address_max_stake');
    assert.equal(n.refused(del(1), 'delegate', [cand(0)], 100_001n * CMT), 'above_address_max_stake');
  });

  it("exempts a candidate's stake in itself but not its stake elsewhere", () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 100_000n * CMT);
    declare(n, 1, 1_000_000n * CMT, 100_000n * CMT);
    n.ok(cand(0), 'delegate', [cand(0)], 500_000n * CMT);
    assert.equal(n.ledger.candidate(cand(0))!.selfStake, 600_000n * CMT);
    assert.equal(n.refused(cand(0), 'delegate', [cand(1)], 100_001n * CMT), 'above_address_max_stake');
    n.ok(cand(0), 'delegate', [cand(1)], 100_000n * CMT);
  });

  it('enterprise accounts need enterprise_min_stake and have no maximum; limits can be switched off', () => {
    const n = net();
    declare(n, 0, 5_000_000n * CMT, 500_000n * CMT);
    n.ok(F, 'setEnterprise', [del(0), true]);
    assert.equal(n.ledger.isEnterprise(del(0)), true);
    assert.equal(n.refused(del(0), 'delegate', [cand(0)], 999_999n * CMT), 'below_min_stake');
    n.ok(del(0), 'delegate', [cand(0)], 2_000_000n * CMT);
    n.ok(F, 'setEnterprise', [del(0), false]);
    assert.equal(n.ledger.isEnterprise(del(0)), false);

    const open = net({ stake_limits_enabled: false });
    declare(open, 0);
    open.ok(del(0), 'delegate', [cand(0)], 1n);
    open.ok(del(1), 'delegate', [cand(0)], 500_000n * CMT);
  });

  it('refuses unknown and withdrawn candidates and zero value; deactivated candidates accept', () => {
    const n = net();
    assert.equal(n.refused(del(0), 'delegate', [cand(0)], 1000n * CMT), 'not_candidate');
    declare(n, 0);
    assert.equal(n.refused(del(0), 'delegate', [cand(0)], 0n), 'zero_value');
    n.ok(cand(0), 'deactivateCandidacy');
    n.ok(del(0), 'delegate', [cand(0)], 1000n * CMT);
    n.ok(cand(0), 'withdrawCandidacy');
    assert.equal(n.refused(del(1), 'delegate', [cand(0)], 1000n * CMT), 'candidate_withdrawn');
  });
});

describe('unstake', () => {
  it('starts the wait; pays out at the first block whose header time reaches it', () => {
    const n = net();
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    n.block();
    const r = n.ok(del(0), 'unstake', [cand(0), 4_000n * CMT]);
    const id = STAKING_INTERFACE.decodeFunctionResult('unstake', r.returnData)[0] as bigint;
    assert.equal(id, 1n);
    const requestedAt = n.time + 10n;
    n.block(); // the block carrying the unstake (time requestedAt)
    const reqs = n.ledger.unstakes(del(0));
    assert.equal(reqs.length, 1);
    assert.equal(reqs[0]!.matureTime, requestedAt + 100n);
    assert.ok(reqs[0]!.amount >= 4_000n * CMT, 'the request keeps earning');
    const bal = n.balance(del(0));
    n.block({ dt: 89n });
    assert.equal(n.balance(del(0)), bal, 'not yet mature');
    n.block({ dt: 1n }); // time = requestedAt + 100... minus 10? compute explicitly below
    const now = n.time;
    if (now < requestedAt + 100n) n.block({ dt: requestedAt + 100n - now });
    assert.equal(n.ledger.unstakes(del(0)).length, 0);
    assert.ok(n.balance(del(0)) >= bal + 4_000n * CMT);
    assertConserved(n);
  });

  it('0 unstakes everything; amount above the stake is refused', () => {
    const n = net();
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    assert.equal(n.refused(del(0), 'unstake', [cand(0), 10_001n * CMT]), 'amount_exceeds_stake');
    n.ok(del(0), 'unstake', [cand(0), 0n]);
    assert.equal(n.ledger.delegation(cand(0), del(0)), undefined);
    assert.equal(n.ledger.unstakes(del(0))[0]!.amount, 10_000n * CMT);
    assert.equal(n.refused(del(0), 'unstake', [cand(0), 0n]), 'no_delegation');
    assert.equal(n.refused(del(0), 'unstake', [cand(5), 0n]), 'not_candidate');
  });

  it('what remains must be 0 or at least address_min_stake', () => {
    const n = net();
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 1_500n * CMT);
    assert.equal(n.refused(del(0), 'unstake', [cand(0), 501n * CMT]), 'below_min_stake');
    n.ok(del(0), 'unstake', [cand(0), 500n * CMT]);
    n.ok(del(0), 'unstake', [cand(0), 1_000n * CMT]);
  });

  it('a candidate keeps 10% of maxStake while its candidacy stands', () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 150_000n * CMT);
    assert.equal(n.refused(cand(0), 'unstake', [cand(0), 50_001n * CMT]), 'self_stake_floor');
    n.ok(cand(0), 'unstake', [cand(0), 50_000n * CMT]);
    assert.equal(n.ledger.candidate(cand(0))!.selfStake, 100_000n * CMT);
    assert.equal(n.ledger.candidate(cand(0))!.totalStake, 150_000n * CMT, 'waiting stake still counts in T_i');
  });

  it('refuses a value', () => {
    const n = net();
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    assert.equal(n.refused(del(0), 'unstake', [cand(0), 0n], 1n), 'not_payable');
  });
});

describe('withdraw, deactivate, activate', () => {
  it('withdrawal puts all stake in the wait, leaves the ranking at once, pays out, then allows re-declaring', () => {
    const n = net();
    declare(n, 0);
    declare(n, 1);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    n.block();
    assert.equal(n.ledger.validators().length, 2);
    const b0 = n.balance(cand(0));
    const d0 = n.balance(del(0));
    n.ok(cand(0), 'withdrawCandidacy');
    assert.equal(n.ledger.candidate(cand(0))!.state, 'withdrawn');
    assert.equal(n.ledger.candidate(cand(0))!.votingPower, 0n);
    assert.equal(n.refused(del(0), 'unstake', [cand(0), 0n]), 'candidate_withdrawn');
    assert.equal(n.refused(cand(0), 'withdrawCandidacy'), 'candidate_withdrawn');
    const { end } = n.block();
    assert.deepEqual(
      n.ledger.validators().map((v) => v.address),
      [cand(1)],
    );
    assert.ok(!end.awards.awards.some((a) => a.candidate === cand(0)), 'withdrawn earns nothing');
    const gone = end.updates.find((u) => `0x${Buffer.from(u.pubKey).toString('hex')}` === pk(0));
    assert.equal(gone?.power, 0n, 'power 0 removes it from CometBFT');
    assert.equal(n.ledger.unstakes(del(0))[0]!.id, 0n);
    assert.equal(n.refused(cand(0), 'declareCandidacy', [pk(0), pop(0, cand(0)), 1000n * CMT, 0, DESC], 100n * CMT), 'old_candidacy_waiting');
    n.blocks(10);
    assert.equal(n.ledger.candidate(cand(0)), undefined, 'record gone once paid out');
    assert.ok(n.balance(cand(0)) >= b0 + 100_000n * CMT);
    assert.ok(n.balance(del(0)) >= d0 + 10_000n * CMT);
    assert.deepEqual(n.ledger.delegations(del(0)), []);
    // the key stays with its owner
    assert.equal(n.refused(cand(2), 'declareCandidacy', [pk(0), pop(0, cand(2)), 1000n * CMT, 0, DESC], 100n * CMT), 'pubkey_in_use');
    n.ok(cand(0), 'declareCandidacy', [pk(0), pop(0, cand(0)), 1000n * CMT, 0, DESC], 100n * CMT);
    assertConserved(n);
  });

  it('waiting requests of a withdrawn candidate keep their own maturity', () => {
    const n = net();
    declare(n, 0);
    declare(n, 1);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    n.ok(del(0), 'unstake', [cand(0), 5_000n * CMT]);
    n.block();
    n.ok(cand(0), 'withdrawCandidacy');
    n.block({ dt: 50n });
    n.block({ dt: 50n });
    assert.equal(n.ledger.unstakes(del(0)).length, 1, 'the request matured; the withdrawal did not');
    n.block({ dt: 50n });
    assert.equal(n.ledger.unstakes(del(0)).length, 0);
    assert.equal(n.ledger.candidate(cand(0)), undefined);
    assertConserved(n);
  });

  it('deactivated candidates are out of the ranking and activate brings them back', () => {
    const n = net();
    declare(n, 0);
    declare(n, 1);
    n.block();
    assert.equal(n.refused(cand(0), 'activateCandidacy'), 'already_active');
    n.ok(cand(0), 'deactivateCandidacy');
    assert.equal(n.refused(cand(0), 'deactivateCandidacy'), 'not_active');
    const { end } = n.block();
    assert.ok(!end.awards.awards.some((a) => a.candidate === cand(0)));
    assert.deepEqual(
      n.ledger.validators().map((v) => v.address),
      [cand(1)],
    );
    const T = n.ledger.candidate(cand(0))!.totalStake;
    n.block({ absent: [cand(0)] });
    assert.equal(n.ledger.candidate(cand(0))!.totalStake, T, 'deactivated: not slashed');
    n.ok(cand(0), 'activateCandidacy');
    n.block();
    assert.equal(n.ledger.validators().length, 2);
    assert.equal(n.refused(del(0), 'deactivateCandidacy'), 'not_candidate');
  });
});

describe('foundation calls and setCompRate', () => {
  it('only the foundation verifies and sets enterprise', () => {
    const n = net();
    declare(n, 0);
    assert.equal(n.refused(cand(0), 'verifyCandidacy', [cand(0), true]), 'not_foundation');
    assert.equal(n.refused(cand(0), 'setEnterprise', [del(0), true]), 'not_foundation');
    assert.equal(n.refused(F, 'verifyCandidacy', [cand(3), true]), 'not_candidate');
    n.ok(F, 'verifyCandidacy', [cand(0), true]);
    assert.equal(n.ledger.candidate(cand(0))!.verified, true);
    n.ok(F, 'verifyCandidacy', [cand(0), false]);
    assert.equal(n.ledger.candidate(cand(0))!.verified, false);
    const none = net({ foundation_address: '' });
    declare(none, 0);
    assert.equal(none.refused(F, 'verifyCandidacy', [cand(0), true]), 'no_foundation');
  });

  it('sets a lower rate for one delegation, never above its current rate, never on self-stake', () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 100_000n * CMT, 2000);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    assert.equal(n.refused(cand(0), 'setCompRate', [del(0), 2001]), 'rate_above_current');
    assert.equal(n.refused(cand(0), 'setCompRate', [cand(0), 0]), 'self_delegation');
    assert.equal(n.refused(cand(0), 'setCompRate', [del(1), 0]), 'no_delegation');
    assert.equal(n.refused(del(0), 'setCompRate', [del(0), 0]), 'not_candidate');
    n.ok(cand(0), 'setCompRate', [del(0), 500]);
    const d = n.ledger.delegation(cand(0), del(0))!;
    assert.equal(d.compRateBp, 500);
    assert.equal(d.amount, 10_000n * CMT);
    assert.equal(n.refused(cand(0), 'setCompRate', [del(0), 2000]), 'rate_above_current', 'a lowered rate never goes back up');
    n.ok(cand(0), 'setCompRate', [del(0), 500]);
    assert.equal(n.ledger.delegation(cand(0), del(0))!.compRateBp, 500, 'setting the same rate changes nothing');
    assertConserved(n);
  });

  it("never raises an existing delegation's rate, even after the default was raised (SPEC 5.4)", () => {
    const n = net();
    declare(n, 0, 1_000_000n * CMT, 100_000n * CMT, 2000);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    n.ok(cand(0), 'updateCandidacy', [1_000_000n * CMT, 9999, '']);
    assert.equal(n.refused(cand(0), 'setCompRate', [del(0), 9999]), 'rate_above_current');
    assert.equal(n.refused(cand(0), 'setCompRate', [del(0), 2001]), 'rate_above_current');
    // Topping up keeps the delegation's own rate; the unstaked part waits at it too.
    n.ok(del(0), 'delegate', [cand(0)], 5_000n * CMT);
    assert.equal(n.ledger.delegation(cand(0), del(0))!.compRateBp, 2000);
    n.ok(del(0), 'unstake', [cand(0), 5_000n * CMT]);
    assert.equal(n.ledger.delegation(cand(0), del(0))!.compRateBp, 2000);
    // A new delegation takes the new default.
    n.ok(del(1), 'delegate', [cand(0)], 10_000n * CMT);
    assert.equal(n.ledger.delegation(cand(0), del(1))!.compRateBp, 9999);
    n.ok(cand(0), 'setCompRate', [del(0), 1000]);
    assert.equal(n.ledger.delegation(cand(0), del(0))!.compRateBp, 1000);
    assertConserved(n);
  });
});

describe('view functions', () => {
  it('answer candidates, delegations, requests and validators', () => {
    const n = net();
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 10_000n * CMT);
    n.ok(del(0), 'unstake', [cand(0), 2_000n * CMT]);
    n.block();
    const c = stakingView(n.chain.kv, 'getCandidate', [cand(0)]) as { totalStake: bigint; candidate: string; rank: bigint };
    assert.equal(c.totalStake, n.ledger.candidate(cand(0))!.totalStake);
    assert.equal(c.candidate.toLowerCase(), cand(0));
    assert.equal(c.rank, 1n);
    assert.equal((stakingView(n.chain.kv, 'getCandidates') as unknown[]).length, 1);
    const ds = stakingView(n.chain.kv, 'getDelegations', [del(0)]) as Array<{ amount: bigint }>;
    assert.equal(ds.length, 1);
    const rs = stakingView(n.chain.kv, 'getUnstakeRequests', [del(0)]) as Array<{ id: bigint }>;
    assert.equal(rs[0]!.id, 1n);
    const vs = stakingView(n.chain.kv, 'getValidators') as Array<{ consensusPower: bigint; backup: boolean }>;
    assert.equal(vs.length, 1);
    assert.equal(vs[0]!.backup, false);
    assert.equal(stakingView(n.chain.kv, 'isEnterprise', [del(0)]), false);
    assert.throws(() => stakingView(n.chain.kv, 'getCandidate', [cand(4)]), /not_candidate/);
  });
});
