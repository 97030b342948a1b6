// The candidacy operations of SPEC 6 (src/staking/operations.ts, declare … verify)
// and the StakingLedger facade, at the edges the other staking tests left open
// (issue 15, mutation testing): the description rules at their byte boundary and
// for every non-object JSON value, the refusal texts (a refusal's text is the
// revert data of the transaction, which is consensus: docs/ARCHITECTURE.md), the
// maxStake and self-stake rules of updateCandidacy, the verified flag an update
// clears, and the facade's chain id, candidateDelegations and awards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Overlay } from '../../src/store/kv.js';
import { CMT, DEFAULT_PARAMS, type Params, saveParams } from '../../src/state/params.js';
import { Supply } from '../../src/state/supply.js';
import type { Address } from '../../src/util/address.js';
import { checkDescription, MAX_DESCRIPTION_BYTES, StakingLedger } from '../../src/staking/ledger.js';
import { StakingError } from '../../src/staking/types.js';
import { TEST_CHAIN_ID, TEST_DESCRIPTION, type TestNet, declareCandidate, fundedTestNet, testActors } from '../support/staking-testkit.js';

const actors = testActors();
const { F, cand, del, pk, pop } = actors;
const DESC = TEST_DESCRIPTION;
const NOT_OBJECT = 'description must be a JSON object (name, website, location, email, …)';

function net(overrides: Partial<Params> = {}): TestNet {
  return fundedTestNet(actors, 4, overrides);
}

/** Declares candidate `i` with maxStake 1,000 CMT and a self-stake of 100 CMT (10%, the default ratio) unless told otherwise. */
function declare(n: TestNet, i: number, max = 1_000n * CMT, self = 100n * CMT, rate = 2000): void {
  declareCandidate(n, actors, i, { max, self, rate });
}

/** The full revert text of a refused transaction: `"<reason>: <explanation>"` (docs/STAKING.md). */
function refusal(n: TestNet, sender: Address, fn: string, args: readonly unknown[], value = 0n): string {
  const r = n.tx(sender, fn, args, value);
  if (r.ok) throw new Error(`${fn} was expected to be refused`);
  assert.equal(r.error.message.startsWith(`${r.error.reason}: `), true);
  return r.error.message;
}

/** Asserts that `f` throws a StakingError with exactly this reason and text. */
function throwsStaking(f: () => unknown, reason: string, message: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof StakingError, `not a StakingError: ${String(e)}`);
    assert.equal(e.reason, reason);
    assert.equal(e.message, message);
    return true;
  });
}

/** The op context of a direct ledger call in the block being built. */
const ctxOf = (n: TestNet, sender: Address, value = 0n) => ({ sender, value, height: n.height + 1n, time: n.time + 10n });

describe('checkDescription (SPEC 6): a JSON object of at most 4,096 bytes of UTF-8 whose known fields are strings', () => {
  it('accepts exactly 4,096 bytes and refuses 4,097, counting bytes of UTF-8, not characters', () => {
    assert.equal(MAX_DESCRIPTION_BYTES, 4096);
    const frame = '{"name":""}'.length; // 11 bytes around the name
    const atLimit = `{"name":"${'a'.repeat(4096 - frame)}"}`;
    assert.equal(Buffer.byteLength(atLimit), 4096);
    checkDescription(atLimit);
    const tooLong = `{"name":"${'a'.repeat(4097 - frame)}"}`;
    throwsStaking(() => checkDescription(tooLong), 'bad_description', 'description is longer than 4096 bytes');
    // 2,100 characters but 4,189 bytes: 'é' is two bytes of UTF-8.
    const wide = `{"name":"${'é'.repeat(2089)}"}`;
    assert.ok(wide.length <= 4096);
    throwsStaking(() => checkDescription(wide), 'bad_description', 'description is longer than 4096 bytes');
  });

  it('refuses text that is not JSON, and every JSON value that is not an object, with the same text', () => {
    throwsStaking(() => checkDescription('not json'), 'bad_description', NOT_OBJECT);
    throwsStaking(() => checkDescription(''), 'bad_description', NOT_OBJECT);
    for (const v of ['null', '[1]', '[]', '"text"', '5', 'true']) {
      throwsStaking(() => checkDescription(v), 'bad_description', NOT_OBJECT);
    }
    checkDescription('{}');
  });

  it('names the field that is not a string', () => {
    throwsStaking(() => checkDescription('{"name":5}'), 'bad_description', "description field 'name' must be a string");
    throwsStaking(() => checkDescription('{"name":"n","technical_setup":null}'), 'bad_description', "description field 'technical_setup' must be a string");
    // Fields outside the list may hold anything.
    checkDescription('{"name":"n","extra":[1,{"a":2}]}');
  });

  it('the refusal texts are the revert text of a refused declaration', () => {
    const n = net();
    const args = (d: string): unknown[] => [pk(1), pop(1, cand(1)), 1000n * CMT, 0, d];
    assert.equal(refusal(n, cand(1), 'declareCandidacy', args('null'), 100n * CMT), `bad_description: ${NOT_OBJECT}`);
    assert.equal(refusal(n, cand(1), 'declareCandidacy', args('x'), 100n * CMT), `bad_description: ${NOT_OBJECT}`);
    assert.equal(refusal(n, cand(1), 'declareCandidacy', args(`{"name":"${'a'.repeat(4086)}"}`), 100n * CMT), 'bad_description: description is longer than 4096 bytes');
    assert.equal(refusal(n, cand(1), 'declareCandidacy', args('{"email":1}'), 100n * CMT), "bad_description: description field 'email' must be a string");
    assert.equal(n.ledger.candidate(cand(1)), undefined);
  });
});

describe('the chain id that candidacy proofs sign', () => {
  it('is recorded by setChainId and read back by chainId(); an empty one is refused', () => {
    const n = net();
    assert.equal(n.ledger.chainId(), TEST_CHAIN_ID);
    assert.throws(() => n.ledger.setChainId(''), { name: 'Error', message: 'the CometBFT chain id is empty' });
    assert.equal(n.ledger.chainId(), TEST_CHAIN_ID);
    n.ledger.setChainId('other-chain');
    assert.equal(n.ledger.chainId(), 'other-chain');
  });

  it('a state without one refuses every declaration with no_chain_id, even one signed over the text "undefined"', () => {
    const kv = new Overlay({ get: () => undefined });
    saveParams(kv, { ...DEFAULT_PARAMS });
    const ledger = new StakingLedger(kv);
    assert.equal(ledger.chainId(), undefined);
    const who = cand(1);
    const ctx = { sender: who, value: 100n * CMT, height: 1n, time: 1n };
    const proof = (chain: string): Uint8Array => new Uint8Array(Buffer.from(pop(1, who, chain).slice(2), 'hex'));
    for (const chain of [TEST_CHAIN_ID, 'undefined']) {
      throwsStaking(
        () => ledger.declareCandidacy(ctx, actors.key(1), proof(chain), 1000n * CMT, 0, DESC),
        'no_chain_id',
        'this state has no CometBFT chain id recorded (InitChain stores it)',
      );
    }
    assert.equal(ledger.candidate(who), undefined);
  });
});

describe('declareCandidacy: the revert texts of its refusals', () => {
  it('says which rule refused, with the numbers involved', () => {
    const n = net();
    declare(n, 0);
    assert.equal(refusal(n, cand(0), 'declareCandidacy', [pk(1), pop(1, cand(0)), 1000n * CMT, 0, DESC], 100n * CMT), `already_candidate: ${cand(0)} is already a candidate`);
    assert.equal(
      refusal(n, cand(1), 'declareCandidacy', [pk(1), pop(2, cand(1)), 1000n * CMT, 0, DESC], 100n * CMT),
      `bad_pubkey_signature: pubKeySignature is not the consensus key's ed25519 signature of 'cmtd-candidacy:${TEST_CHAIN_ID}:${cand(1)}' (64 bytes): sign it with the node's priv_validator_key.json (cmtd tx declare does)`,
    );
    assert.equal(refusal(n, cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 0n, 0, DESC]), 'bad_max_stake: maxStake must be positive');
    // self_stake_ratio_bp = 1000 bp is 10% (SPEC 3): 99 CMT of 1,000 is too little, 1,001 too much.
    assert.equal(
      refusal(n, cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 1000n * CMT, 0, DESC], 99n * CMT),
      `self_stake_too_low: self-stake ${99n * CMT} is below 10% of maxStake ${1000n * CMT}`,
    );
    assert.equal(
      refusal(n, cand(1), 'declareCandidacy', [pk(1), pop(1, cand(1)), 1000n * CMT, 0, DESC], 1001n * CMT),
      `above_max_stake: self-stake ${1001n * CMT} exceeds maxStake ${1000n * CMT}`,
    );
    assert.equal(n.ledger.candidate(cand(1)), undefined);
  });

  it('a withdrawn candidacy still waiting to be paid out refuses a new declaration', () => {
    const n = net();
    declare(n, 0);
    n.ok(cand(0), 'withdrawCandidacy');
    assert.equal(
      refusal(n, cand(0), 'declareCandidacy', [pk(0), pop(0, cand(0)), 1000n * CMT, 0, DESC], 100n * CMT),
      'old_candidacy_waiting: the withdrawn candidacy still has stake waiting; declare again once it is paid out',
    );
  });
});

describe('updateCandidacy (SPEC 6)', () => {
  it('refuses a maxStake of zero as bad_max_stake (not as a stake above it)', () => {
    const n = net();
    declare(n, 0);
    assert.equal(refusal(n, cand(0), 'updateCandidacy', [0n, 2000, '']), 'bad_max_stake: maxStake must be positive');
    assert.equal(n.ledger.candidate(cand(0))!.maxStake, 1000n * CMT);
  });

  it('checks a changed description', () => {
    const n = net();
    declare(n, 0);
    assert.equal(refusal(n, cand(0), 'updateCandidacy', [1000n * CMT, 2000, 'not json']), `bad_description: ${NOT_OBJECT}`);
    assert.equal(refusal(n, cand(0), 'updateCandidacy', [1000n * CMT, 2000, '{"name":[]}']), "bad_description: description field 'name' must be a string");
    assert.equal(n.ledger.candidate(cand(0))!.description, DESC);
  });

  it('stake sent with the call counts on top of the total stake against maxStake', () => {
    const n = net();
    declare(n, 0); // T = 100 CMT, maxStake 1,000 CMT
    // 100 + 950 = 1,050 CMT > 1,000 CMT: refused, and nothing moves.
    assert.equal(refusal(n, cand(0), 'updateCandidacy', [1000n * CMT, 2000, ''], 950n * CMT), `above_max_stake: total stake ${1050n * CMT} would exceed maxStake ${1000n * CMT}`);
    assert.equal(n.ledger.candidate(cand(0))!.totalStake, 100n * CMT);
    // 100 + 900 = 1,000 CMT: exactly the max is allowed.
    n.ok(cand(0), 'updateCandidacy', [1000n * CMT, 2000, ''], 900n * CMT);
    assert.equal(n.ledger.candidate(cand(0))!.totalStake, 1000n * CMT);
    assert.equal(n.ledger.candidate(cand(0))!.selfStake, 1000n * CMT);
  });

  it('raising maxStake needs 10% of the new max as self-stake; the text says how much there is', () => {
    const n = net();
    declare(n, 0); // self-stake 100 CMT
    assert.equal(
      refusal(n, cand(0), 'updateCandidacy', [2000n * CMT, 2000, '']),
      `self_stake_too_low: raising maxStake to ${2000n * CMT} needs a self-stake of 10% (have ${100n * CMT})`,
    );
    // Sending the missing 100 CMT with the call is enough.
    n.ok(cand(0), 'updateCandidacy', [2000n * CMT, 2000, ''], 100n * CMT);
    assert.equal(n.ledger.candidate(cand(0))!.maxStake, 2000n * CMT);
  });

  it('an update without value adds no stake: a candidate with no self-stake gets no self delegation', () => {
    // With self_stake_ratio_bp = 0 (its documented range starts at 0) a candidate may declare with no self-stake.
    const n = net({ self_stake_ratio_bp: 0 });
    declare(n, 0, 1000n * CMT, 0n);
    assert.equal(n.ledger.delegation(cand(0), cand(0)), undefined);
    n.ok(cand(0), 'updateCandidacy', [1000n * CMT, 1500, '']);
    const c = n.ledger.candidate(cand(0))!;
    assert.equal(c.compRateBp, 1500);
    assert.equal(c.totalStake, 0n);
    assert.equal(n.ledger.delegation(cand(0), cand(0)), undefined);
    assert.deepEqual(n.ledger.delegations(cand(0)), []);
    assert.deepEqual(n.ledger.candidateDelegations(cand(0)), []);
  });

  it('a changed description clears the verified flag and says so; the same description keeps it', () => {
    const n = net();
    declare(n, 0);
    n.ok(F, 'verifyCandidacy', [cand(0), true]);
    assert.equal(n.ledger.candidate(cand(0))!.verified, true);
    // An empty description keeps the old one; so does the same text.
    assert.deepEqual(n.ledger.updateCandidacy(ctxOf(n, cand(0)), 1000n * CMT, 2000, ''), { verifiedCleared: false });
    assert.deepEqual(n.ledger.updateCandidacy(ctxOf(n, cand(0)), 1000n * CMT, 2000, DESC), { verifiedCleared: false });
    assert.equal(n.ledger.candidate(cand(0))!.verified, true);
    const changed = JSON.stringify({ name: 'new name' });
    assert.deepEqual(n.ledger.updateCandidacy(ctxOf(n, cand(0)), 1000n * CMT, 2000, changed), { verifiedCleared: true });
    const c = n.ledger.candidate(cand(0))!;
    assert.equal(c.verified, false);
    assert.equal(c.description, changed);
    // Changing it again while unverified clears nothing.
    assert.deepEqual(n.ledger.updateCandidacy(ctxOf(n, cand(0)), 1000n * CMT, 2000, DESC), { verifiedCleared: false });
  });
});

describe('deactivate, activate and verify: the revert texts of their refusals', () => {
  it('deactivating twice, activating an active candidacy, verifying a non-candidate', () => {
    const n = net();
    declare(n, 0);
    assert.equal(refusal(n, cand(0), 'activateCandidacy', []), 'already_active: candidacy is already active');
    n.ok(cand(0), 'deactivateCandidacy');
    assert.equal(refusal(n, cand(0), 'deactivateCandidacy', []), 'not_active: candidacy is deactivated, not active');
    assert.equal(refusal(n, F, 'verifyCandidacy', [cand(3), true]), `not_candidate: ${cand(3)} is not a candidate`);
  });
});

describe('the StakingLedger facade', () => {
  it('its queries read the supply source the ledger was given, not a second one over the state', () => {
    const n = net();
    const other = new Overlay({ get: () => undefined });
    const supply = new Supply(other);
    supply.setGenesis(12_345n);
    const ledger = new StakingLedger(n.chain.kv, { supply });
    assert.equal(ledger.stakingTotals().genesisSupply, 12_345n);
    assert.equal(ledger.stakingTotals().supply, 12_345n);
    // The state's own supply record is another one.
    assert.notEqual(n.ledger.stakingTotals().genesisSupply, 12_345n);
  });

  it("candidateDelegations lists a candidate's delegations, newest first, up to a limit", () => {
    const n = net();
    declare(n, 0, 10_000n * CMT, 1_000n * CMT);
    // address_min_stake is 1,000 CMT (SPEC 3): each delegation is at least that.
    n.ok(del(0), 'delegate', [cand(0)], 2_000n * CMT);
    n.ok(del(1), 'delegate', [cand(0)], 3_000n * CMT);
    const all = n.ledger.candidateDelegations(cand(0));
    assert.deepEqual(
      all.map((d) => [d.delegator, d.amount, d.self, d.compRateBp]),
      [
        [del(1), 3_000n * CMT, false, 2000],
        [del(0), 2_000n * CMT, false, 2000],
        [cand(0), 1_000n * CMT, true, 0],
      ],
    );
    assert.deepEqual(n.ledger.candidateDelegations(cand(0), 2), all.slice(0, 2));
    assert.deepEqual(n.ledger.candidateDelegations(cand(3)), []);
  });

  it('awards(height) answers the award record of a block, undefined for a block not run', () => {
    const n = net();
    declare(n, 0);
    n.blocks(2); // block 1 elects cand(0); from block 2 on it is a validator and earns
    const { end } = n.block();
    assert.equal(n.height, 3n);
    assert.equal(end.awards.height, 3n);
    assert.ok(end.awards.minted > 0n);
    assert.deepEqual(
      end.awards.awards.map((a) => a.candidate),
      [cand(0)],
    );
    assert.deepEqual(n.ledger.awards(3n), end.awards);
    assert.equal(n.ledger.awards(4n), undefined);
  });
});
