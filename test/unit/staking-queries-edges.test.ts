/**
 * Edges of the staking genesis (SPEC 10: initGenesis's own checks, run on a
 * parsed StakingGenesis), the staking contract's wording and events (SPEC 6,
 * docs/STAKING.md) and the read API's roles and validator powers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAddress } from 'ethers';
import { CMT } from '../../src/state/params.js';
import { STAKING_INTERFACE, StakingContract } from '../../src/staking/contract.js';
import type { GenesisCandidate, StakingGenesis } from '../../src/staking/types.js';
import { StakingStore } from '../../src/staking/store.js';
import { StakingError } from '../../src/staking/types.js';
import { SystemCallError } from '../../src/system/types.js';
import { declareCandidate, fundedTestNet, newTestChain, testActors } from '../support/staking-testkit.js';

const A = testActors('sqe-');
const DESC = JSON.stringify({ name: 'g' });

function cand(i: number, fields: Partial<GenesisCandidate> = {}): GenesisCandidate {
  return { address: A.cand(i), pubKey: A.key(i), maxStake: 1_000n * CMT, selfStake: 100n * CMT, compRateBp: 0, description: DESC, verified: false, ...fields };
}

function genesis(candidates: GenesisCandidate[], delegations: StakingGenesis['delegations'] = []): StakingGenesis {
  return { candidates, delegations, enterpriseAccounts: [] };
}

function initError(g: StakingGenesis, overrides = {}): string {
  const chain = newTestChain(overrides);
  try {
    chain.ledger.initGenesis(g);
  } catch (e) {
    return (e as Error).message;
  }
  return '(accepted)';
}

function initOk(g: StakingGenesis, overrides = {}): ReturnType<typeof newTestChain> {
  const chain = newTestChain(overrides);
  chain.ledger.initGenesis(g);
  return chain;
}

describe('initGenesis: candidate checks', () => {
  const where = (i: number): string => `genesis candidate ${A.cand(i)}`;

  it('refuses a candidate declared twice, naming it', () => {
    assert.equal(initError(genesis([cand(0), cand(0, { pubKey: A.key(1) })])), `${where(0)}: declared twice`);
  });

  it('refuses two candidates with one pub_key (the key index check names the holder)', () => {
    assert.equal(initError(genesis([cand(0), cand(1, { pubKey: A.key(0) })])), `${where(1)}: public key already used by ${A.cand(0)}`);
  });

  it('refuses max_stake 0', () => {
    assert.equal(initError(genesis([cand(0, { maxStake: 0n, selfStake: 0n })])), `${where(0)}: max_stake must be positive`);
  });

  it('refuses comp_rate_bp outside 0…9999 or not an integer, accepts 9999 and 0', () => {
    for (const r of [-1, 10_000, 1.5]) {
      assert.equal(initError(genesis([cand(0, { compRateBp: r })])), `${where(0)}: comp_rate_bp must be 0…9999`, `rate ${r}`);
    }
    for (const r of [0, 9_999]) assert.equal(initOk(genesis([cand(0, { compRateBp: r })])).ledger.candidate(A.cand(0))!.compRateBp, r, `rate ${r}`);
  });

  it('refuses a negative self_stake before the ratio check', () => {
    assert.equal(initError(genesis([cand(0, { selfStake: -1n })]), { self_stake_ratio_bp: 0 }), `${where(0)}: negative self_stake`);
    assert.equal(initError(genesis([cand(0, { selfStake: -1n })])), `${where(0)}: negative self_stake`);
  });

  it('states the self-stake ratio in percent (1000 bp = 10%)', () => {
    assert.equal(initError(genesis([cand(0, { selfStake: 100n * CMT - 1n })])), `${where(0)}: self_stake must be at least 10% of max_stake`);
  });

  it('with a 0 ratio a candidate may start with no self-stake and holds no self-delegation', () => {
    const chain = initOk(genesis([cand(0, { selfStake: 0n })], [{ delegator: A.del(0), candidate: A.cand(0), amount: 5n * CMT }]), { self_stake_ratio_bp: 0 });
    const c = chain.ledger.candidate(A.cand(0))!;
    assert.equal(c.selfStake, 0n);
    assert.equal(c.totalStake, 5n * CMT);
    assert.equal(c.delegationCount, 1n, 'only the delegator is a delegation');
    assert.equal(chain.ledger.delegation(A.cand(0), A.cand(0)), undefined, 'no self-delegation record');
    assert.deepEqual(
      chain.ledger.candidateDelegations(A.cand(0)).map((d) => d.delegator),
      [A.del(0)],
    );
  });

  it('checks the description like declareCandidacy, naming the candidate', () => {
    assert.equal(initError(genesis([cand(0, { description: '[1]' })])), `${where(0)}: description must be a JSON object (name, website, location, email, …)`);
  });

  it('accepts a total stake equal to max_stake and refuses one above it', () => {
    const ok = initOk(genesis([cand(0, { maxStake: 1_000n * CMT, selfStake: 1_000n * CMT })]));
    assert.equal(ok.ledger.candidate(A.cand(0))!.totalStake, 1_000n * CMT);
    assert.equal(
      initError(genesis([cand(0)], [{ delegator: A.del(0), candidate: A.cand(0), amount: 900n * CMT + 1n }])),
      `${where(0)}: total stake ${1_000n * CMT + 1n} exceeds max_stake ${1_000n * CMT}`,
    );
  });

  it('checks the stake caps in address order, whatever the genesis order', () => {
    const [lo, hi] = [0, 1].sort((x, y) => (A.cand(x) < A.cand(y) ? -1 : 1)) as [number, number];
    const over = (i: number) => ({ delegator: A.del(i), candidate: A.cand(i), amount: 901n * CMT });
    const msg = initError(genesis([cand(hi), cand(lo)], [over(hi), over(lo)]));
    assert.ok(msg.startsWith(`${where(lo)}: total stake`), `first over-cap candidate in address order: ${msg}`);
  });
});

describe('initGenesis: delegation checks', () => {
  it('refuses a delegation to an undeclared candidate', () => {
    assert.equal(
      initError(genesis([cand(0)], [{ delegator: A.del(0), candidate: A.cand(1), amount: 1n }])),
      `genesis delegation of ${A.del(0)}: ${A.cand(1)} is not a genesis candidate`,
    );
  });

  it('refuses a zero amount', () => {
    assert.equal(
      initError(genesis([cand(0)], [{ delegator: A.del(0), candidate: A.cand(0), amount: 0n }])),
      `genesis delegation of ${A.del(0)} to ${A.cand(0)}: amount must be positive`,
    );
  });
});

describe('initGenesis: no elected validator', () => {
  it("keeps CometBFT's own validators with positive power as the last sent set", () => {
    const chain = newTestChain();
    const out = chain.ledger.initGenesis(genesis([]), [
      { pubKey: A.key(5), power: 0n },
      { pubKey: A.key(6), power: 7n },
    ]);
    assert.deepEqual(out, []);
    assert.deepEqual(chain.ledger.lastValidatorSet(), [{ pubKey: A.key(6), power: 7n }]);
  });
});

function refusal(run: () => unknown): SystemCallError {
  try {
    run();
  } catch (e) {
    if (e instanceof SystemCallError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

function calldata(fn: string, args: readonly unknown[] = []): Uint8Array {
  return new Uint8Array(Buffer.from(STAKING_INTERFACE.encodeFunctionData(fn, args).slice(2), 'hex'));
}

describe('staking contract: wording and events', () => {
  const ctx = (value = 0n) => ({ sender: A.del(0), value, height: 1n, time: 1n, txHash: new Uint8Array(32) });

  it('refusals read "<reason>: <explanation>" (docs/STAKING.md)', () => {
    const n = fundedTestNet(A, 2);
    const c = StakingContract.over(n.chain.kv);
    assert.equal(refusal(() => c.call(ctx(), new Uint8Array([1, 2]))).message, 'unknown_function: calldata too short for a function selector');
    assert.equal(refusal(() => c.call(ctx(), new Uint8Array([0xde, 0xad, 0xbe, 0xef]))).message, 'unknown_function: no staking function has selector 0xdeadbeef');
    assert.equal(refusal(() => c.call(ctx(1n), calldata('withdrawCandidacy'))).message, 'not_payable: withdrawCandidacy does not accept a value');
    assert.equal(refusal(() => c.view(calldata('withdrawCandidacy'))).message, 'not_view: withdrawCandidacy changes state; send it as a transaction');
    const nc = refusal(() => c.view(calldata('getCandidate', [A.cand(1)])));
    assert.equal(nc.message, `not_candidate: ${getAddress(A.cand(1))} is not a candidate`);
    assert.equal(refusal(() => c.view(calldata('getDelegation', [A.cand(1), A.del(1)]))).message, 'no_delegation: no such delegation');
  });

  it('deactivateCandidacy logs CandidacyDeactivated; setCompRate logs CompRateSet', () => {
    const n = fundedTestNet(A, 2);
    declareCandidate(n, A, 0, { self: 2_000n * CMT, rate: 1_000 });
    n.ok(A.del(0), 'delegate', [A.cand(0)], 1_000n * CMT);
    const set = n.ok(A.cand(0), 'setCompRate', [A.del(0), 500]);
    assert.equal(set.logs.length, 1, 'one log');
    const ev = STAKING_INTERFACE.parseLog({
      topics: set.logs[0]!.topics.map((t) => `0x${Buffer.from(t).toString('hex')}`),
      data: `0x${Buffer.from(set.logs[0]!.data).toString('hex')}`,
    });
    assert.equal(ev?.name, 'CompRateSet');
    const d = n.ok(A.cand(0), 'deactivateCandidacy');
    assert.equal(d.logs.length, 1, 'one log');
    const ev2 = STAKING_INTERFACE.parseLog({
      topics: d.logs[0]!.topics.map((t) => `0x${Buffer.from(t).toString('hex')}`),
      data: `0x${Buffer.from(d.logs[0]!.data).toString('hex')}`,
    });
    assert.equal(ev2?.name, 'CandidacyDeactivated');
  });

  it('StakingError is named StakingError', () => {
    assert.equal(new StakingError('r', 'm').name, 'StakingError');
  });
});

describe('queries: roles of ranked and unranked candidates', () => {
  it('one validator, one backup, one unranked candidate', () => {
    const n = fundedTestNet(A, 3, { max_validators: 1, backup_validators: 1 });
    declareCandidate(n, A, 0, { self: 3_000n * CMT });
    declareCandidate(n, A, 1, { self: 2_000n * CMT });
    declareCandidate(n, A, 2, { self: 1_000n * CMT });
    n.block();
    const role = (i: number) => n.ledger.candidate(A.cand(i))!.role;
    assert.deepEqual([role(0), role(1), role(2)], ['validator', 'backup', 'candidate']);
    assert.equal(n.ledger.candidate(A.cand(2))!.rank, 0);
    const vs = n.ledger.validators();
    assert.deepEqual(
      vs.map((v) => [v.address, v.role]),
      [
        [A.cand(0), 'validator'],
        [A.cand(1), 'backup'],
      ],
    );
    assert.ok(vs[0]!.consensusPower > 0n, 'the validator has consensus power');
    assert.equal(vs[1]!.consensusPower, 0n, 'a backup has no consensus power');
    assert.ok(vs[1]!.votingPower > 0n, 'a backup keeps its voting power');
    const c = StakingContract.over(n.chain.kv);
    const out = STAKING_INTERFACE.decodeFunctionResult('getValidators', c.view(calldata('getValidators')))[0] as Array<{ backup: boolean; consensusPower: bigint }>;
    assert.deepEqual(
      out.map((v) => v.backup),
      [false, true],
    );
    assert.equal(out[1]!.consensusPower, 0n);
  });
});

describe('queries: dangling references in the indexes are skipped', () => {
  it('a ranked address without a candidate record, a listed candidate without a delegation, a listed request id without a request', () => {
    const n = fundedTestNet(A, 2);
    declareCandidate(n, A, 0, { self: 2_000n * CMT });
    n.block();
    const store = new StakingStore(n.chain.kv);
    const ghost = A.cand(9);
    store.putRanking({ validators: [ghost, A.cand(0)], backups: [] });
    assert.deepEqual(
      n.ledger.validators().map((v) => v.address),
      [A.cand(0)],
    );
    store.setDelegatorCandidates(A.del(1), [A.cand(0)]);
    assert.deepEqual(n.ledger.delegations(A.del(1)), []);
    store.setDelegatorRequests(A.del(1), [99n]);
    assert.deepEqual(n.ledger.unstakes(A.del(1)), []);
  });
});
