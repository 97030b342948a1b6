/**
 * Property: random sequences of proposals, votes, validator-power changes and
 * blocks keep Σ balances + held constant (SPEC 5.3), keep `held` equal to the
 * amounts of open transfer proposals, never change a closed proposal, and
 * never let a refused operation change state.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Overlay } from '../../src/store/kv.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { CMT, DEFAULT_PARAMS, loadParams, saveParams } from '../../src/state/params.js';
import { GovernanceLedger } from '../../src/gov/ledger.js';
import { encodeProposal } from '../../src/gov/codec.js';
import { GovernanceError, ProposalStatus, type ValidatorPowerSource } from '../../src/gov/types.js';

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
/** Five actors: the first four may be validators, the fifth never is. */
const ACTORS: Address[] = [addr(0x11), addr(0x22), addr(0x33), addr(0x44), addr(0x55)];
const HOLDERS: Address[] = [...ACTORS, addr(0x66)];

class Validators implements ValidatorPowerSource {
  powers = new Map<Address, bigint>();
  validatorSet(): Array<{ address: Address; votingPower: bigint }> {
    return [...this.powers.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([address, votingPower]) => ({ address, votingPower }));
  }
}

type Cmd =
  | { t: 'transfer'; who: number; from: number; to: number; amount: bigint }
  | { t: 'param'; who: number; name: string; value: string }
  | { t: 'vote'; who: number; id: bigint; yes: boolean }
  | { t: 'rally'; voters: number[]; id: bigint; yes: boolean }
  | { t: 'power'; who: number; power: bigint | null }
  | { t: 'block'; dt: bigint };

const actor = fc.integer({ min: 0, max: ACTORS.length - 1 });
const holder = fc.integer({ min: 0, max: HOLDERS.length - 1 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    t: fc.constant('transfer' as const),
    who: actor,
    from: holder,
    to: holder,
    amount: fc.bigInt({ min: 0n, max: 1_500n * CMT }),
  }),
  fc.record({
    t: fc.constant('param' as const),
    who: actor,
    name: fc.constantFrom('inflation_rate_bp', 'max_validators', 'address_min_stake', 'address_max_stake', 'chain_id', 'nope', 'slash_enabled'),
    value: fc.constantFrom('0', '1', '500', '801', '21', 'true', 'false', 'x', (2_000n * CMT).toString(), (500_000n * CMT).toString()),
  }),
  { arbitrary: fc.record({ t: fc.constant('vote' as const), who: actor, id: fc.bigInt({ min: 0n, max: 9n }), yes: fc.boolean() }), weight: 2 },
  // Several actors vote alike on one proposal (in separate transactions).
  fc.record({
    t: fc.constant('rally' as const),
    voters: fc.subarray([0, 1, 2, 3, 4], { minLength: 1 }),
    id: fc.bigInt({ min: 1n, max: 6n }),
    yes: fc.boolean(),
  }),
  fc.record({
    t: fc.constant('power' as const),
    who: fc.integer({ min: 0, max: 3 }),
    power: fc.option(fc.bigInt({ min: 0n, max: 100n * CMT }), { nil: null }),
  }),
  fc.record({ t: fc.constant('block' as const), dt: fc.bigInt({ min: 0n, max: 40n }) }),
);

describe('governance conservation property', () => {
  it('Σ balances + held is constant and held matches open transfer proposals', () => {
    // How often each outcome happened over all runs: the generators must reach them all.
    const seen = { created: 0, passed: 0, failed: 0, expired: 0, refused: 0, paid: 0 };
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 1_000n * CMT }), { minLength: HOLDERS.length, maxLength: HOLDERS.length }),
        fc.array(cmd, { minLength: 10, maxLength: 80, size: 'max' }),
        (balances, cmds) => {
          const block = new Overlay({ get: () => undefined });
          saveParams(block, { ...DEFAULT_PARAMS, proposal_period_s: 100n });
          const accounts = new Accounts(block);
          HOLDERS.forEach((h, i) => accounts.credit(h, balances[i]!));
          const initial = balances.reduce((a, b) => a + b, 0n);
          const validators = new Validators();
          for (let i = 0; i < 4; i++) validators.powers.set(ACTORS[i]!, BigInt(i + 1) * CMT);

          let height = 1n;
          let time = 1_000n;
          const closed = new Map<bigint, string>();

          const steps: Cmd[] = cmds.flatMap((c) => (c.t === 'rally' ? c.voters.map((who): Cmd => ({ t: 'vote', who, id: c.id, yes: c.yes })) : [c]));
          for (const c of steps) {
            // Each operation runs in a scratch overlay, as a transaction does.
            const scratch = new Overlay(block);
            const gov = new GovernanceLedger(scratch, validators);
            const ctx = { height, time };
            try {
              switch (c.t) {
                case 'transfer':
                  gov.proposeTransferFund(ctx, ACTORS[c.who]!, HOLDERS[c.from]!, HOLDERS[c.to]!, c.amount, 'p');
                  break;
                case 'param':
                  gov.proposeParamChange(ctx, ACTORS[c.who]!, c.name, c.value, '');
                  break;
                case 'vote':
                  gov.vote(ctx, ACTORS[c.who]!, c.id, c.yes);
                  break;
                case 'power':
                  if (c.power === null) validators.powers.delete(ACTORS[c.who]!);
                  else validators.powers.set(ACTORS[c.who]!, c.power);
                  break;
                case 'rally':
                  throw new Error('rallies are expanded into votes');
                case 'block':
                  gov.endBlock(ctx);
                  height += 1n;
                  time += c.dt;
                  break;
              }
            } catch (err) {
              if (!(err instanceof GovernanceError)) throw err;
              assert.equal(scratch.size, 0, `refused ${c.t} wrote state: ${err.message}`);
              seen.refused++;
            }
            scratch.commitTo(block);

            // Invariants.
            const view = new GovernanceLedger(block, validators);
            const sum = HOLDERS.reduce((acc, h) => acc + accounts.balance(h), 0n);
            assert.equal(sum + view.heldTotal(), initial, 'Σ balances + held must be constant');
            let openHeld = 0n;
            const open: bigint[] = [];
            for (let id = 1n; id <= view.proposalCount(); id++) {
              const p = view.getProposal(id)!;
              const bytes = Buffer.from(encodeProposal(p)).toString('hex');
              if (p.status === ProposalStatus.Open) {
                open.push(id);
                if (p.transfer !== null) openHeld += p.transfer.amount;
                assert.equal(closed.has(id), false, 'a closed proposal reopened');
              } else {
                const before = closed.get(id);
                if (before !== undefined) assert.equal(bytes, before, 'a closed proposal changed');
                else {
                  seen[p.status === ProposalStatus.Passed ? 'passed' : p.status === ProposalStatus.Failed ? 'failed' : 'expired']++;
                  if (p.status === ProposalStatus.Passed && p.transfer !== null) seen.paid++;
                }
                closed.set(id, bytes);
              }
            }
            assert.equal(view.heldTotal(), openHeld);
            assert.deepEqual(view.openProposalIds(), open);
            seen.created = Math.max(seen.created, Number(view.proposalCount()));
            const params = loadParams(block);
            assert.ok(params.inflation_rate_bp <= 800);
            assert.ok(params.address_min_stake <= params.address_max_stake);
            assert.equal(params.chain_id, DEFAULT_PARAMS.chain_id);
          }
        },
      ),
      { numRuns: 200 },
    );
    for (const [outcome, count] of Object.entries(seen)) assert.ok(count > 0, `no run reached '${outcome}'`);
  });
});
