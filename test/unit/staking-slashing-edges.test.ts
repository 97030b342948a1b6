// Edges of slashing (SPEC 7), unbonding (SPEC 6), the end-of-block record and
// the proof of possession of a consensus key (SPEC 6): votes and evidence
// naming no candidate, candidates that are deactivated, withdrawn or gone,
// waiting periods changed between requests, payout records, and the parsing
// of a CometBFT priv_validator_key.json.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { CMT, type Params, saveParams } from '../../src/state/params.js';
import type { Address } from '../../src/util/address.js';
import { cometAddress } from '../../src/staking/power.js';
import { StakingStore } from '../../src/staking/store.js';
import { ed25519PublicKey, parsePrivValidatorKey, signCandidacy, verifyCandidacySignature } from '../../src/staking/pop.js';
import type { Evidence, LastCommitVote } from '../../src/staking/types.js';
import { type TestNet, declareCandidate, fundedTestNet, testActors, testPubKey } from '../support/staking-testkit.js';

const actors = testActors('edge-', { foundation: 'foundation' });
const { cand, del, key } = actors;

function net(overrides: Partial<Params> = {}): TestNet {
  // No inflation and no fees: nothing is awarded, so stakes keep their exact values.
  return fundedTestNet(actors, 6, { inflation_rate_bp: 0, ...overrides }, { foundation: 0n });
}

function declare(n: TestNet, i: number, self: bigint): void {
  declareCandidate(n, actors, i, { self, desc: '{"name":"x"}' });
}

/** One block with the given last-commit votes and evidence, as CometBFT would send them. */
function step(n: TestNet, votes: LastCommitVote[], evidence: Evidence[] = []): ReturnType<TestNet['block']> {
  n.height += 1n;
  n.time += 10n;
  const ctx = { height: n.height, time: n.time };
  const begin = n.ledger.beginBlock(ctx, votes, evidence);
  const end = n.ledger.endBlockDetailed(ctx);
  return { begin, end };
}

const vote = (pubKey: Uint8Array, absent: boolean): LastCommitVote => ({ validatorAddress: cometAddress(pubKey), absent });
const evidenceOf = (pubKey: Uint8Array, height: bigint): Evidence => ({ validatorAddress: cometAddress(pubKey), height, kind: 'duplicate_vote' });

type Paid = Array<{ delegator: Address; candidate: Address; amount: bigint }>;

/** Runs blocks until one pays something (at most 20); returns what it paid. */
function untilPaid(n: TestNet): Paid {
  for (let i = 0; i < 20; i++) {
    const paid = n.block().end.paidOut;
    if (paid.length > 0) return paid;
  }
  throw new Error('nothing was paid in 20 blocks');
}

function setPeriod(n: TestNet, seconds: bigint): void {
  saveParams(n.chain.kv, { ...n.ledger.params(), unstake_waiting_period_s: seconds });
}

describe('slashing: votes and evidence that name no candidate', () => {
  it('ignores an absent vote and evidence for a consensus key no candidate ever declared', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    n.block();
    const T = n.ledger.candidate(cand(0))!.totalStake;
    const stranger = testPubKey('edge-stranger');
    const { begin, end } = step(n, [vote(stranger, true), vote(key(0), false), vote(stranger, true)], [evidenceOf(stranger, n.height)]);
    assert.deepEqual(begin.slashes, []);
    assert.deepEqual(begin.removed, []);
    assert.deepEqual(end.awards.absent, []);
    assert.equal(n.ledger.candidate(cand(0))!.totalStake, T);
    assert.equal(n.ledger.stakingTotals().burned, 0n);
  });

  it('ignores votes and evidence for the key of a candidacy withdrawn and paid out (its key stays mapped)', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    n.block();
    n.ok(cand(0), 'withdrawCandidacy');
    n.blocks(11); // 110 s > the 100 s wait: the withdrawal is paid and the record deleted
    assert.equal(n.ledger.candidate(cand(0)), undefined);
    const burned = n.ledger.stakingTotals().burned;
    // The last commit may still carry the old validator's vote, and evidence may name it.
    const { begin } = step(n, [vote(key(0), true), vote(key(1), false)], [evidenceOf(key(0), n.height)]);
    assert.deepEqual(begin.slashes, []);
    assert.deepEqual(begin.removed, []);
    assert.equal(n.ledger.stakingTotals().burned, burned);
  });
});

describe('slashing: evidence by candidate state (SPEC 7: slashes 1.2% and removes)', () => {
  it('removes a deactivated candidate (still a recent validator) and slashes it 1.2%', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    n.block();
    n.ok(cand(0), 'deactivateCandidacy');
    n.block();
    assert.equal(n.ledger.candidate(cand(0))!.state, 'deactivated');
    const T = n.ledger.candidate(cand(0))!.totalStake;
    const { begin } = n.block({ evidence: [cand(0)] });
    assert.deepEqual(
      begin.slashes.map((s) => [s.candidate, s.reason, s.amount]),
      [[cand(0), 'byzantine', (T * 120n) / 10_000n]],
    );
    assert.deepEqual(begin.removed, [cand(0)]);
    assert.equal(n.ledger.candidate(cand(0))!.state, 'removed');
  });

  it('slashes a withdrawn candidate waiting for its payout but leaves it withdrawn (it is not removed)', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    n.block();
    n.ok(cand(0), 'withdrawCandidacy');
    const T = n.ledger.candidate(cand(0))!.totalStake;
    const { begin } = n.block({ evidence: [cand(0)] });
    assert.deepEqual(
      begin.slashes.map((s) => s.amount),
      [(T * 120n) / 10_000n],
    );
    assert.deepEqual(begin.removed, []);
    assert.equal(n.ledger.candidate(cand(0))!.state, 'withdrawn');
  });
});

describe('the block record', () => {
  it('lists the absent validators in address order, whatever the order of the votes', () => {
    const n = net({ slash_enabled: false });
    for (let i = 0; i < 4; i++) declare(n, i, 100_000n * CMT);
    n.block();
    const ids = [0, 1, 2, 3].sort((a, b) => (cand(a) < cand(b) ? 1 : -1)); // descending addresses
    const { end } = step(
      n,
      ids.map((i) => vote(key(i), true)),
    );
    assert.deepEqual(end.awards.absent, ids.map(cand).sort());
    assert.notDeepEqual(ids.map(cand), ids.map(cand).sort(), 'the votes were not already sorted');
  });

  it('an end of block without its own beginBlock does not take the absentees and slashes of an earlier block', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    n.block();
    const { end } = n.block({ absent: [cand(0)] });
    assert.deepEqual(end.awards.absent, [cand(0)]);
    assert.equal(end.awards.slashes.length, 1);
    // The next height ends without beginBlock: the stored record is the previous height's.
    n.height += 1n;
    n.time += 10n;
    const later = n.ledger.endBlockDetailed({ height: n.height, time: n.time });
    assert.deepEqual(later.awards.absent, []);
    assert.deepEqual(later.awards.slashes, []);
  });
});

describe('unbonding: queues per waiting period (SPEC 6)', () => {
  it('a request made after the waiting period was shortened is paid at its own maturity, not behind older ones', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    n.ok(del(1), 'delegate', [cand(0)], 50_000n * CMT);
    n.block();
    n.ok(del(0), 'unstake', [cand(0), 10_000n * CMT]); // waits 100 s
    n.block();
    setPeriod(n, 20n);
    n.ok(del(1), 'unstake', [cand(0), 7_000n * CMT]); // waits 20 s
    const b0 = n.balance(del(1));
    // del(1)'s request matures 20 s after it was made, del(0)'s 90 s after that.
    assert.deepEqual(untilPaid(n), [{ delegator: del(1), candidate: cand(0), amount: 7_000n * CMT }]);
    assert.equal(n.balance(del(1)), b0 + 7_000n * CMT);
    assert.equal(n.ledger.unstakes(del(0)).length, 1);
  });

  it('keeps the queues sorted by waiting period', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    n.block();
    const periods = [100n, 30n, 60n, 10n, 80n];
    for (const p of periods) {
      setPeriod(n, p);
      n.ok(del(0), 'unstake', [cand(0), 1_000n * CMT]);
    }
    const qs = new StakingStore(n.chain.kv).queueState();
    assert.deepEqual(
      qs.queues.map((q) => q.period),
      [10n, 30n, 60n, 80n, 100n],
    );
  });

  it("reports each payout and drops only the paid request from the delegator's list", () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    n.block();
    n.ok(del(0), 'unstake', [cand(0), 3_000n * CMT]);
    n.block();
    n.ok(del(0), 'unstake', [cand(0), 4_000n * CMT]);
    n.block();
    const secondId = n.ledger.unstakes(del(0))[1]!.id;
    // The first request was made at t0 + 20 s (in block 2), so it matures at t0 + 120 s.
    const paid = untilPaid(n);
    assert.deepEqual(paid, [{ delegator: del(0), candidate: cand(0), amount: 3_000n * CMT }]);
    assert.deepEqual(
      n.ledger.unstakes(del(0)).map((u) => [u.id, u.amount]),
      [[secondId, 4_000n * CMT]],
    );
  });

  it('an active candidate that unstaked all of its stake (self_stake_ratio 0) stays a candidate after the payout', () => {
    const n = net({ self_stake_ratio_bp: 0 });
    declare(n, 0, 100_000n * CMT);
    n.block();
    n.ok(cand(0), 'unstake', [cand(0), 0n]); // 0 = all of it
    n.blocks(11);
    const c = n.ledger.candidate(cand(0));
    assert.ok(c !== undefined, 'the candidacy was not withdrawn: it stays');
    assert.equal(c.state, 'active');
    assert.equal(c.totalStake, 0n);
    assert.deepEqual(n.ledger.unstakes(cand(0)), []);
  });
});

describe('unbonding: a withdrawn candidacy', () => {
  it('pays every delegation, reports each, and unlinks only that candidate from the delegator', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    declare(n, 1, 100_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], 30_000n * CMT);
    n.ok(del(0), 'delegate', [cand(1)], 20_000n * CMT);
    n.block();
    n.ok(cand(0), 'withdrawCandidacy');
    const b = n.balance(del(0));
    const paid = untilPaid(n);
    const byDelegator = (x: { delegator: Address }, y: { delegator: Address }): number => (x.delegator < y.delegator ? -1 : 1);
    assert.deepEqual(
      [...paid].sort(byDelegator),
      [
        { delegator: del(0), candidate: cand(0), amount: 30_000n * CMT },
        { delegator: cand(0), candidate: cand(0), amount: 100_000n * CMT },
      ].sort(byDelegator),
    );
    assert.equal(n.balance(del(0)), b + 30_000n * CMT);
    assert.deepEqual(
      n.ledger.delegations(del(0)).map((d) => [d.candidate, d.amount]),
      [[cand(1), 20_000n * CMT]],
    );
    assert.equal(n.ledger.candidate(cand(0)), undefined);
  });

  it('a withdrawal paid before an older unstake request (period shortened) keeps the candidate until that request is paid', () => {
    const n = net();
    declare(n, 0, 100_000n * CMT);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    n.block();
    n.ok(del(0), 'unstake', [cand(0), 10_000n * CMT]); // waits 100 s
    n.block();
    setPeriod(n, 20n);
    n.ok(cand(0), 'withdrawCandidacy'); // waits 20 s
    assert.deepEqual(
      untilPaid(n)
        .map((p) => [p.delegator, p.amount])
        .sort(),
      [
        [cand(0), 100_000n * CMT],
        [del(0), 40_000n * CMT],
      ].sort(),
    );
    // Only the older request is left: the candidate holds exactly it, all waiting, and no delegation.
    const c = n.ledger.candidate(cand(0))!;
    assert.equal(c.state, 'withdrawn');
    assert.equal(c.totalStake, 10_000n * CMT);
    assert.equal(c.waitingStake, 10_000n * CMT);
    assert.deepEqual(n.ledger.candidateDelegations(cand(0)), []);
    assert.deepEqual(
      n.ledger.unstakes(del(0)).map((u) => u.amount),
      [10_000n * CMT],
    );
    const b = n.balance(del(0));
    const paid = untilPaid(n);
    assert.deepEqual(paid, [{ delegator: del(0), candidate: cand(0), amount: 10_000n * CMT }]);
    assert.equal(n.balance(del(0)), b + 10_000n * CMT);
    assert.equal(n.ledger.candidate(cand(0)), undefined, 'fully paid out: the record is gone');
  });
});

describe('proof of possession (SPEC 6)', () => {
  const seed = new Uint8Array(32).fill(9);

  it('accepts only a 32-byte public key: the signing key with a byte appended is refused', () => {
    const pub = ed25519PublicKey(seed);
    const sig = signCandidacy(seed, 'chain-x', cand(0));
    assert.equal(verifyCandidacySignature(pub, sig, 'chain-x', cand(0)), true);
    assert.equal(verifyCandidacySignature(new Uint8Array([...pub, 0]), sig, 'chain-x', cand(0)), false);
    assert.equal(verifyCandidacySignature(pub.subarray(0, 31), sig, 'chain-x', cand(0)), false);
    assert.equal(verifyCandidacySignature(pub, sig.subarray(0, 63), 'chain-x', cand(0)), false);
  });

  it('refuses a seed that is not 32 bytes with its length', () => {
    assert.throws(() => ed25519PublicKey(new Uint8Array(31)), { message: 'an ed25519 seed has 32 bytes, got 31' });
    assert.throws(() => signCandidacy(new Uint8Array(33), 'c', cand(0)), { message: 'an ed25519 seed has 32 bytes, got 33' });
  });

  describe('parsePrivValidatorKey', () => {
    // An ed25519 key made by node:crypto, independent of the code under test.
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const d = Buffer.from(jwk.d!, 'base64url');
    const x = Buffer.from(jwk.x!, 'base64url');
    const value = Buffer.concat([d, x]).toString('base64');
    const W = 'key.json';

    it('returns the seed and public key of seed ‖ public key, with or without a type', () => {
      for (const priv of [{ type: 'tendermint/PrivKeyEd25519', value }, { value }]) {
        const got = parsePrivValidatorKey({ address: '', priv_key: priv }, W);
        assert.deepEqual(Object.keys(got).sort(), ['pubKey', 'seed']);
        assert.deepEqual(Buffer.from(got.seed), d);
        assert.deepEqual(Buffer.from(got.pubKey), x);
        // the pair signs proofs the ledger accepts
        assert.ok(verifyCandidacySignature(got.pubKey, signCandidacy(got.seed, 'c', cand(1)), 'c', cand(1)));
      }
    });

    it('refuses a file without priv_key.value', () => {
      const msg = `${W} has no priv_key.value (expected a CometBFT priv_validator_key.json)`;
      for (const json of [null, undefined, {}, { priv_key: {} }, { priv_key: { type: 'tendermint/PrivKeyEd25519', value: 5 } }]) {
        assert.throws(() => parsePrivValidatorKey(json, W), { message: msg }, JSON.stringify(json));
      }
    });

    it('refuses a key of another type', () => {
      assert.throws(() => parsePrivValidatorKey({ priv_key: { type: 'tendermint/PrivKeySecp256k1', value } }, W), {
        message: `${W} holds a tendermint/PrivKeySecp256k1 key; consensus keys are ed25519`,
      });
    });

    it('refuses a value that is not 64 bytes', () => {
      assert.throws(() => parsePrivValidatorKey({ priv_key: { value: d.toString('base64') } }, W), {
        message: `${W}: an ed25519 private key has 64 bytes (seed and public key), got 32`,
      });
    });

    it('refuses a seed whose public key is not the one stored with it', () => {
      const other = Buffer.from(x);
      other[0]! ^= 1;
      assert.throws(() => parsePrivValidatorKey({ priv_key: { value: Buffer.concat([d, other]).toString('base64') } }, W), {
        message: `${W}: the private key does not match its public key`,
      });
    });
  });
});
