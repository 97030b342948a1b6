/**
 * Property tests with exact values (fast-check, a new random seed each run;
 * a failure prints the seed and path: rerun with CMTD_FC_SEED=<seed>):
 *
 *   - every slash equals Σ over the candidate's pools of floor(tokens·bp/10⁴),
 *     for absences and for evidence — several evidences per block, against
 *     any candidate, the same one twice — and the supply burns exactly that;
 *   - an unstake request is paid in exactly the first block whose time
 *     reaches its maturity, not one block earlier;
 *   - delegate and unstake are accepted exactly when a model of the limits
 *     says so, with amounts drawn at and around every limit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CMT, type Params } from '../../src/state/params.js';
import type { Address } from '../../src/util/address.js';
import { type TestNet, declareCandidate, fundedTestNet, testActors } from '../support/staking-testkit.js';

const NC = 6;
const actors = testActors('x-', { keyPrefix: 'x-' });
const { cand, del } = actors;
const MIN = 10n * CMT;
const MAX = 1_000n * CMT;

/** fast-check settings: a fixed seed only when asked for (to replay a failure). */
function runs(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.CMTD_FC_SEED;
  return { numRuns, ...(seed === undefined ? {} : { seed: Number(seed) }) };
}

function net(params: Partial<Params> = {}): TestNet {
  return fundedTestNet(
    actors,
    NC,
    {
      max_validators: 4,
      backup_validators: 1,
      unstake_waiting_period_s: 40n,
      max_slash_blocks: 3,
      slash_ratio_bp: 50,
      address_min_stake: MIN,
      address_max_stake: MAX,
      seconds_per_year: 1_000n,
      ...params,
    },
    { each: 100_000n * CMT },
  );
}

function declare(n: TestNet, i: number, self: bigint, maxStake: bigint, rate = 1000): void {
  declareCandidate(n, actors, i, { self, max: maxStake, rate, desc: '{"name":"x"}' });
}

/** The candidate's pools' tokens, by pool id. */
function pools(n: TestNet, c: Address): Map<number, bigint> {
  return new Map(n.ledger.store.getCandidate(c)!.pools.map((p) => [p.id, p.tokens]));
}

describe('staking, exact values (property)', () => {
  it('slashes each candidate exactly Σ floor(pool·bp/10⁴) over its pools, and burns exactly the slashes', () => {
    const setup = fc.record({
      selfs: fc.array(fc.bigInt(100n, 900n), { minLength: NC, maxLength: NC }),
      // Delegations at other rates make several pools per candidate; odd wei amounts make the floors bite.
      delegations: fc.array(fc.record({ d: fc.nat(NC - 1), c: fc.nat(NC - 1), v: fc.bigInt(MIN, 300n * CMT), rate: fc.integer({ min: 0, max: 5000 }) }), { maxLength: 8 }),
      warmup: fc.nat(3),
      absent: fc.uniqueArray(fc.nat(NC - 1), { maxLength: NC }),
      evidence: fc.array(fc.nat(NC - 1), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(setup, ({ selfs, delegations, warmup, absent, evidence }) => {
        const n = net();
        for (let i = 0; i < NC; i++) declare(n, i, selfs[i]! * CMT + BigInt(i), 5n * selfs[i]! * CMT, 1000 + i * 100);
        for (const d of delegations) {
          if (n.tx(del(d.d), 'delegate', [cand(d.c)], d.v).ok) n.tx(cand(d.c), 'setCompRate', [del(d.d), d.rate]);
        }
        n.blocks(2 + warmup); // the set is sent and signs blocks; awards make the tokens uneven
        const params = n.chain.params;
        const before = new Map(Array.from({ length: NC }, (_, i) => [cand(i), pools(n, cand(i))]));
        const penalized = new Set(Array.from({ length: NC }, (_, i) => cand(i)).filter((c) => n.ledger.store.getCandidate(c)!.penalized));
        const burnedBefore = n.chain.supply.read().burned;

        const { begin } = n.block({ absent: absent.map(cand), evidence: evidence.map(cand) });

        let total = 0n;
        for (const s of begin.slashes) {
          const running = before.get(s.candidate)!;
          const bp = s.reason === 'absent' ? BigInt(params.slash_ratio_bp) : BigInt(Math.min(10_000, params.slash_ratio_bp * params.max_slash_blocks));
          let expected = 0n;
          if (!(s.reason === 'byzantine' && penalized.has(s.candidate))) {
            for (const [id, tokens] of running) {
              const cut = (tokens * bp) / 10_000n;
              expected += cut;
              running.set(id, tokens - cut);
            }
          }
          if (s.reason === 'byzantine') penalized.add(s.candidate);
          assert.equal(s.amount, expected, `${s.reason} slash of ${s.candidate}`);
          total += s.amount;
        }
        // Every evidence is recorded (one slash entry each, in order), every absent active validator is slashed once.
        assert.deepEqual(
          begin.slashes.filter((s) => s.reason === 'byzantine').map((s) => s.candidate),
          evidence.map(cand),
        );
        assert.equal(n.chain.supply.read().burned - burnedBefore, total, 'the supply burned exactly the slashes');
      }),
      runs(40),
    );
  });

  it('pays an unstake request in exactly the first block whose time reaches its maturity', () => {
    const setup = fc.record({
      wait: fc.integer({ min: 1, max: 60 }),
      amount: fc.oneof(fc.constant(0n), fc.bigInt(1n, 40n * CMT)),
      // Each step either lands exactly on the maturity (when it can) or moves by a random dt.
      steps: fc.array(fc.oneof(fc.constant('exact' as const), fc.integer({ min: 1, max: 25 })), { minLength: 1, maxLength: 12 }),
    });
    fc.assert(
      fc.property(setup, ({ wait, amount, steps }) => {
        const n = net({ unstake_waiting_period_s: BigInt(wait) });
        declare(n, 0, 500n * CMT, 5_000n * CMT);
        n.ok(del(0), 'delegate', [cand(0)], 50n * CMT);
        n.block();
        n.ok(del(0), 'unstake', [cand(0), amount]);
        n.block(); // the block carrying the unstake
        const [request] = n.ledger.unstakes(del(0));
        assert.ok(request !== undefined);
        assert.equal(request.matureTime, n.time + BigInt(wait));
        for (const step of steps) {
          const balance = n.balance(del(0));
          const waiting = n.ledger.unstakes(del(0))[0];
          if (waiting === undefined) break;
          const dt = step === 'exact' && request.matureTime > n.time ? request.matureTime - n.time : BigInt(step === 'exact' ? 1 : step);
          n.block({ dt });
          const paid = n.ledger.unstakes(del(0)).length === 0;
          assert.equal(paid, n.time >= request.matureTime, `time ${n.time}, maturity ${request.matureTime}`);
          if (paid) assert.ok(n.balance(del(0)) - balance >= waiting.amount, 'paid at least what was waiting');
          else assert.equal(n.balance(del(0)), balance, 'nothing paid before maturity');
        }
      }),
      runs(60),
    );
  });

  it('accepts delegate and unstake exactly when the limits allow, with amounts at and around every limit', () => {
    const ROOM = 2_000n * CMT; // each candidate's maxStake above its self-stake
    const near = (x: bigint): fc.Arbitrary<bigint> => fc.constantFrom(x - 1n, x, x + 1n);
    const amountArb = fc.oneof(near(MIN), near(MAX), near(MAX - MIN), near(ROOM), fc.bigInt(1n, MAX));
    const opArb = fc.record({ unstake: fc.boolean(), d: fc.nat(2), c: fc.nat(NC - 1), amount: amountArb, all: fc.boolean() });
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => {
        const n = net();
        const self = 300n * CMT;
        for (let i = 0; i < NC; i++) declare(n, i, self, self + ROOM);
        const staked = new Map<string, bigint>(); // "d/c" → value (no blocks run: no awards, no slashes)
        const total = Array.from({ length: NC }, () => self); // T_i, waiting stake included
        const held = (d: number): bigint => [...staked.entries()].filter(([k]) => k.startsWith(`${d}/`)).reduce((s, [, v]) => s + v, 0n);
        for (const op of ops) {
          const key = `${op.d}/${op.c}`;
          const value = staked.get(key) ?? 0n;
          if (!op.unstake) {
            const after = held(op.d) + op.amount;
            const expected = total[op.c]! + op.amount > self + ROOM ? 'above_max_stake' : after < MIN ? 'below_min_stake' : after > MAX ? 'above_address_max_stake' : 'ok';
            const r = n.tx(del(op.d), 'delegate', [cand(op.c)], op.amount);
            assert.equal(r.ok ? 'ok' : r.error.reason, expected, `delegate ${op.amount} from ${op.d} to ${op.c} (holding ${held(op.d)})`);
            if (r.ok) {
              staked.set(key, value + op.amount);
              total[op.c]! += op.amount;
            }
          } else {
            const wanted = op.all ? value : op.amount;
            const remaining = held(op.d) - wanted;
            const expected = value === 0n ? 'no_delegation' : wanted > value ? 'amount_exceeds_stake' : remaining > 0n && remaining < MIN ? 'below_min_stake' : 'ok';
            const r = n.tx(del(op.d), 'unstake', [cand(op.c), op.all ? 0n : op.amount]);
            assert.equal(r.ok ? 'ok' : r.error.reason, expected, `unstake ${wanted} of ${value} by ${op.d} at ${op.c} (holding ${held(op.d)})`);
            if (r.ok) {
              if (wanted === value) staked.delete(key);
              else staked.set(key, value - wanted);
            }
          }
        }
        for (const [key, v] of staked) {
          const [d, c] = key.split('/').map(Number);
          assert.equal(n.ledger.delegation(cand(c!), del(d!))?.amount, v, `delegation ${key}`);
        }
      }),
      runs(100),
    );
  });
});
