// Principal per delegation (docs/STAKING.md "Principal and earned awards"):
// what was delegated and not yet unstaked, kept exactly in wei beside the
// pool shares, so "earned" = current value − principal. Deposits add to it,
// an unstake takes floor(principal · unstaked shares / shares), awards,
// compensation, rate changes and slashes leave it alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CMT, type Params } from '../../src/state/params.js';
import type { Address } from '../../src/util/address.js';
import { decodeDelegation, encodeDelegation } from '../../src/staking/store.js';
import type { DelegationInfo } from '../../src/staking/types.js';
import { parseAppGenesis } from '../../src/app/genesis.js';
import { genesisStake } from '../../src/staking/genesis.js';
import { type TestNet, declareCandidate, fundedTestNet, newTestChain, testActors } from '../support/staking-testkit.js';
import { RLP } from '@ethereumjs/rlp';

const actors = testActors('pr-');
const { F, cand, del } = actors;

function net(overrides: Partial<Params> = {}): TestNet {
  return fundedTestNet(actors, 4, { seconds_per_year: 1_000n, address_max_stake: 5_000_000n * CMT, ...overrides });
}

function declare(n: TestNet, i: number, self = 100_000n * CMT, rate = 2000, max = 1_000_000n * CMT): void {
  declareCandidate(n, actors, i, { self, rate, max, desc: '{"name":"p"}' });
}

function deleg(n: TestNet, c: Address, d: Address): { amount: bigint; principal: bigint; earned: bigint; shares: bigint } {
  const info = n.ledger.delegation(c, d);
  assert.ok(info !== undefined, `${d} has a delegation at ${c}`);
  assert.equal(info.earned, info.amount - info.principal, 'earned = value − principal');
  return info;
}

describe('principal', () => {
  it('starts at the amount delegated, a top-up adds to it, and awards show as earned, exactly value − principal', () => {
    const n = net();
    declare(n, 0);
    assert.equal(deleg(n, cand(0), cand(0)).principal, 100_000n * CMT, 'self-stake: principal = amount');
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    let d = deleg(n, cand(0), del(0));
    assert.equal(d.principal, 50_000n * CMT);
    assert.equal(d.earned, 0n);
    let last = 0n;
    for (let i = 0; i < 5; i++) {
      n.block();
      d = deleg(n, cand(0), del(0));
      assert.equal(d.principal, 50_000n * CMT, 'awards do not change the principal');
      assert.ok(d.earned >= last, 'earned grows with the awards');
      last = d.earned;
    }
    assert.ok(last > 0n, 'the delegation earned something');
    // The self-stake earned its pool's share and the compensation, none of it principal.
    const self = deleg(n, cand(0), cand(0));
    assert.equal(self.principal, 100_000n * CMT);
    assert.ok(self.earned > 0n);

    n.ok(del(0), 'delegate', [cand(0)], 7_000n * CMT + 3n);
    const after = deleg(n, cand(0), del(0));
    assert.equal(after.principal, 57_000n * CMT + 3n, 'a top-up adds its amount');
    // The deposit's shares are rounded down in the pool's favour: at most a wei of value lost to it.
    assert.ok(after.earned === last || after.earned === last - 1n, `earned ${after.earned} vs ${last}`);
  });

  it('a partial unstake takes floor(principal · unstaked shares / shares); a full one clears it', () => {
    const n = net();
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT + 1n);
    n.blocks(3);
    const before = deleg(n, cand(0), del(0));
    n.ok(del(0), 'unstake', [cand(0), 12_345n * CMT + 7n]);
    const request = n.ledger.unstakes(del(0))[0]!;
    const after = deleg(n, cand(0), del(0));
    assert.equal(after.shares, before.shares - request.shares);
    const released = (before.principal * request.shares) / before.shares;
    assert.ok((before.principal * request.shares) % before.shares !== 0n, 'this case exercises the rounding');
    assert.equal(after.principal, before.principal - released);

    n.ok(del(0), 'unstake', [cand(0), 0n]);
    assert.equal(n.ledger.delegation(cand(0), del(0)), undefined, 'a full unstake removes the delegation');
    n.ok(del(0), 'delegate', [cand(0)], 2_000n * CMT);
    assert.equal(deleg(n, cand(0), del(0)).principal, 2_000n * CMT, 'a new delegation starts from its own amount');
  });

  it('a slash leaves the principal: earned goes negative', () => {
    const n = net({ inflation_rate_bp: 0, slash_ratio_bp: 100 });
    declare(n, 0);
    declare(n, 1);
    n.ok(del(0), 'delegate', [cand(0)], 40_000n * CMT);
    n.block();
    n.block({ absent: [cand(0)] });
    const d = deleg(n, cand(0), del(0));
    assert.equal(d.principal, 40_000n * CMT);
    assert.ok(d.amount < 40_000n * CMT, 'slashed');
    assert.equal(d.earned, d.amount - 40_000n * CMT);
    assert.ok(d.earned < 0n);
  });

  it('a rate change moves the stake to another pool and keeps the principal', () => {
    const n = net();
    declare(n, 0);
    n.ok(del(0), 'delegate', [cand(0)], 30_000n * CMT);
    n.blocks(2);
    n.ok(cand(0), 'setCompRate', [del(0), 500]);
    const d = deleg(n, cand(0), del(0));
    assert.equal(d.principal, 30_000n * CMT);
    assert.ok(d.earned > 0n);
  });

  it('compensation that opens a candidate its own stake is earned, not principal', () => {
    const n = net({ self_stake_ratio_bp: 0 });
    declare(n, 0, 0n);
    n.ok(del(0), 'delegate', [cand(0)], 50_000n * CMT);
    assert.equal(n.ledger.delegation(cand(0), cand(0)), undefined, 'no self-stake yet');
    n.blocks(3);
    const self = deleg(n, cand(0), cand(0));
    assert.ok(self.amount > 0n, 'compensation was paid');
    assert.equal(self.principal, 0n);
    assert.equal(self.earned, self.amount);
  });

  it('genesis delegations and self-stakes start with principal = amount', () => {
    const chain = newTestChain({}, [[F, 1000n * CMT]]);
    const g = parseAppGenesis(
      Buffer.from(
        JSON.stringify({
          candidates: [
            {
              address: cand(0),
              pub_key: Buffer.from(actors.key(0)).toString('base64'),
              max_stake: (1_000_000n * CMT).toString(),
              self_stake: (100_000n * CMT + 9n).toString(),
              comp_rate_bp: 1000,
              description: { name: 'g' },
            },
          ],
          delegations: [{ delegator: del(0), candidate: cand(0), amount: (500_000n * CMT + 1n).toString() }],
          enterprise_accounts: [],
        }), // the node's parser; its staking lists are what initGenesis takes
      ),
    );
    chain.supply.setGenesis(chain.supply.read().genesis + genesisStake(g));
    chain.ledger.initGenesis(g);
    assert.equal(chain.ledger.delegation(cand(0), cand(0))!.principal, 100_000n * CMT + 9n);
    assert.equal(chain.ledger.delegation(cand(0), del(0))!.principal, 500_000n * CMT + 1n);
    assert.equal(chain.ledger.delegation(cand(0), del(0))!.earned, 0n);
  });

  it('is part of the RLP delegation record', () => {
    const r = { pool: 1500, shares: 123n * CMT, principal: 99n * CMT + 1n, prev: del(1), next: '' as const };
    assert.deepEqual(decodeDelegation(encodeDelegation(r)), r);
    const old = RLP.encode([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array(0), new Uint8Array(0)]);
    assert.throws(() => decodeDelegation(old), /corrupt delegation record/);
  });
});

type Op =
  | { k: 'delegate'; d: number; c: number; v: bigint }
  /** Of the standing delegations the `pick`-th, `part` of it in basis points (0 = all). */
  | { k: 'unstake'; pick: number; part: number }
  | { k: 'rate'; c: number; d: number; rate: number }
  | { k: 'block'; absent: number[]; evidence: number[]; fee: bigint; dt: number };

const NC = 3;
const ND = 4;
const who = (i: number): Address => (i < NC ? cand(i) : del(i - NC));
const value = fc.oneof(
  fc.bigInt(1n, 5_000n).map((x) => x * CMT),
  fc.bigInt(1n, 5_000n * CMT),
);
const opArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('delegate' as const), d: fc.nat(NC + ND - 1), c: fc.nat(NC - 1), v: value }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('unstake' as const), pick: fc.nat(100), part: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10_000 })) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rate' as const), c: fc.nat(NC - 1), d: fc.nat(NC + ND - 1), rate: fc.integer({ min: 0, max: 3000 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('block' as const),
      absent: fc.array(fc.nat(NC - 1), { maxLength: 2 }),
      evidence: fc.array(fc.nat(NC - 1), { maxLength: 1 }).map((e) => (e.length > 0 && e[0] === 0 ? e : [])),
      fee: fc.oneof(fc.constant(0n), fc.bigInt(0n, 10n * CMT)),
      dt: fc.integer({ min: 1, max: 30 }),
    }),
  },
) as fc.Arbitrary<Op>;

describe('principal (property)', () => {
  it('Σ principal = Σ delegated − Σ principal released by unstakes, whatever awards, slashes and rate changes happen', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const n = net({ max_validators: 2, backup_validators: 1, slash_ratio_bp: 200, max_slash_blocks: 4, address_min_stake: 1n * CMT });
        let delegated = 0n;
        let released = 0n;
        for (let i = 0; i < NC; i++) {
          declare(n, i, 40_000n * CMT, 1000 * (i + 1), 200_000n * CMT);
          delegated += 40_000n * CMT;
        }
        const standing = (): DelegationInfo[] => Array.from({ length: NC + ND }, (_, i) => n.ledger.delegations(who(i))).flat();
        const total = (): bigint => {
          let sum = 0n;
          for (const d of standing()) {
            assert.ok(d.principal >= 0n, 'principal is never negative');
            assert.equal(d.earned, d.amount - d.principal);
            sum += d.principal;
          }
          return sum;
        };
        for (const op of ops) {
          if (op.k === 'delegate') {
            if (n.tx(who(op.d), 'delegate', [cand(op.c)], op.v).ok) delegated += op.v;
          } else if (op.k === 'unstake') {
            const all = standing();
            if (all.length === 0) continue;
            const before = all[op.pick % all.length]!;
            const asked = op.part === 0 ? 0n : (before.amount * BigInt(op.part)) / 10_000n + 1n;
            if (n.tx(before.delegator, 'unstake', [before.candidate, asked]).ok) {
              const after = n.ledger.delegation(before.candidate, before.delegator);
              const moved = before.shares - (after?.shares ?? 0n);
              released += (before.principal * moved) / before.shares;
            }
          } else if (op.k === 'rate') {
            n.tx(cand(op.c), 'setCompRate', [who(op.d), op.rate]);
          } else {
            n.block({ absent: op.absent.map(cand), evidence: op.evidence.map(cand), fees: op.fee > 0n ? [[del(0), op.fee]] : [], dt: BigInt(op.dt) });
          }
          assert.equal(total(), delegated - released);
        }
      }),
      { numRuns: 60, seed: 1414 },
    );
  });
});
