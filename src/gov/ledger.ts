/**
 * The governance ledger (SPEC section 8): proposals, votes, tallies, expiry.
 *
 * Rules (docs/GOVERNANCE.md has the full account):
 * - only current validators (ValidatorPowerSource) propose and vote;
 * - a vote is weighted by the voter's voting power V_i *at tally time*; a
 *   recorded vote of an address that is no longer a validator weighs 0;
 * - with T the validators' total power, a proposal passes as soon as
 *   3·yes ≥ 2·T and fails as soon as 3·no > T (integers only; T = 0 decides
 *   nothing);
 * - tallies run right after every vote (for that proposal) and in `endBlock`
 *   for every open proposal, since powers change from block to block;
 * - a proposal made at header time t accepts votes while the header time is
 *   < t + proposal_period_s; the first `endBlock` with time ≥ that expires it
 *   (no tally in that block).
 *
 * State changes only through the KV; a refused operation throws a
 * GovernanceError before writing anything.
 */
import type { KV } from '../store/kv.js';
import { Accounts, type Bank } from '../state/accounts.js';
import { toAddress, type Address } from '../util/address.js';
import { FIXED_PARAMS, ParamError, paramField, loadParams, paramToString, parseParamValue, saveParams, validateParams, type ParamName, type Params } from '../state/params.js';
import type { SystemEvent } from '../system/types.js';
import { GovEvents } from './events.js';
import { STATE_KEY, encodeGovState, encodeProposal, proposalKey, type GovState } from './codec.js';
import { GovQueries, tallyAt, type PowerTable } from './queries.js';
import {
  GovernanceError,
  MAX_OPEN_PROPOSALS_PER_PROPOSER,
  MAX_REASON_BYTES,
  MAX_UINT256,
  ProposalKind,
  ProposalStatus,
  STATUS_NAMES,
  type GovContext,
  type Proposal,
  type ProposalJson,
  type ProposalStatusName,
  type Tally,
  type ValidatorPowerSource,
} from './types.js';

export type { PowerTable } from './queries.js';

export type Decision = 'pass' | 'fail' | null;

/** yes ≥ 2/3 of total passes; no > 1/3 of total fails; nothing is decided with no power at all. */
export function decide(t: Tally): Decision {
  if (t.total <= 0n) return null;
  if (3n * t.yes >= 2n * t.total) return 'pass';
  if (3n * t.no > t.total) return 'fail';
  return null;
}

/** Result of a proposal: its id and the events of the operation. */
export interface ProposeResult {
  id: bigint;
  events: SystemEvent[];
}

const ZERO_TALLY: Tally = Object.freeze({ yes: 0n, no: 0n, total: 0n });

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class GovernanceLedger {
  private readonly bank: Bank;
  /** The typed read API over the same state and validators. */
  readonly queries: GovQueries;

  /**
   * @param kv state (the block's or a transaction's overlay)
   * @param validators the current validators and their voting power
   * @param bank balance movements; defaults to the accounts in the same `kv`
   */
  constructor(
    private readonly kv: KV,
    validators: ValidatorPowerSource,
    bank?: Bank,
  ) {
    this.bank = bank ?? new Accounts(kv);
    this.queries = new GovQueries(kv, validators);
  }

  // ---------------------------------------------------------------- queries (queries.ts)

  /** Total CMT (wei) held by open transfer-fund proposals: part of the supply identity (SPEC 5.3). */
  heldTotal(): bigint {
    return this.queries.heldTotal();
  }

  /** Number of proposals ever made; ids are 1..proposalCount(). */
  proposalCount(): bigint {
    return this.queries.proposalCount();
  }

  /** Ids of open proposals, ascending. */
  openProposalIds(): bigint[] {
    return this.queries.openProposalIds();
  }

  /** The stored proposal, or undefined. */
  getProposal(id: bigint): Proposal | undefined {
    return this.queries.getProposal(id);
  }

  /** The live tally of an open proposal at current powers, or the final tally of a closed one. */
  tallyOf(p: Proposal, table: PowerTable = this.powerTable()): Tally {
    return this.queries.tallyOf(p, table);
  }

  /** One proposal as a JSON-friendly object, or undefined. */
  proposal(id: bigint): ProposalJson | undefined {
    return this.queries.proposal(id);
  }

  /** All proposals (optionally only those with a given status), ascending id. */
  proposals(filter: { status?: ProposalStatusName } = {}): ProposalJson[] {
    return this.queries.proposals(filter);
  }

  toJson(p: Proposal, table: PowerTable = this.powerTable()): ProposalJson {
    return this.queries.toJson(p, table);
  }

  /** The current validators' powers, validated (no duplicates, no negative power). */
  powerTable(): PowerTable {
    return this.queries.powerTable();
  }

  // ------------------------------------------------------------- proposals

  /**
   * Proposes setting param `name` to `value`. The value is parsed and range
   * checked (parseParamValue) and the whole param set with it must pass
   * validateParams; both are checked again when the proposal passes.
   */
  proposeParamChange(ctx: GovContext, proposer: Address, name: string, value: string, reason: string): ProposeResult {
    const who = toAddress(proposer);
    this.requireValidator(who, this.powerTable(), 'propose');
    this.checkReason(reason);
    const state = this.loadState();
    this.checkOpenLimit(who, state);
    const field = paramField(name);
    if (field === undefined) throw new GovernanceError(`unknown parameter '${name}'`, 'unknown_param');
    if (FIXED_PARAMS.has(field)) {
      throw new GovernanceError(`parameter '${name}' is fixed and cannot be changed by governance`, 'fixed_param');
    }
    const params = loadParams(this.kv);
    const parsed = this.parseValue(field, value);
    const canonical = paramToString(parsed);
    if (paramToString(params[field]) === canonical) {
      throw new GovernanceError(`parameter '${name}' is already ${canonical}`, 'param_unchanged');
    }
    try {
      validateParams(withParam(params, field, parsed));
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      throw new GovernanceError(`setting ${name} to ${canonical} is inconsistent: ${err.message}`, 'invalid_param_value');
    }
    const { id, proposal } = this.newProposal(ctx, state, params, who, reason, ProposalKind.ParamChange);
    proposal.param = { name, value: canonical };
    this.saveProposal(proposal);
    this.saveState(state);
    return {
      id,
      events: [GovEvents.proposalCreated(id, who, ProposalKind.ParamChange, proposal.expiresAt), GovEvents.paramChangeProposed(id, name, canonical, reason)],
    };
  }

  /**
   * Proposes moving `amount` from `from` to `to`. The amount is taken from
   * `from` at once and held until the proposal closes: paid to `to` if it
   * passes, returned to `from` if it fails or expires.
   */
  proposeTransferFund(ctx: GovContext, proposer: Address, from: Address, to: Address, amount: bigint, reason: string): ProposeResult {
    const who = toAddress(proposer);
    this.requireValidator(who, this.powerTable(), 'propose');
    this.checkReason(reason);
    const state = this.loadState();
    this.checkOpenLimit(who, state);
    const src = toAddress(from);
    const dst = toAddress(to);
    if (amount <= 0n) throw new GovernanceError('the amount to transfer must be greater than zero', 'zero_amount');
    if (amount > MAX_UINT256) throw new GovernanceError('the amount does not fit a uint256', 'invalid_amount');
    if (src === dst) throw new GovernanceError('from and to are the same address', 'same_address');
    const balance = this.bank.balance(src);
    if (balance < amount) {
      throw new GovernanceError(`insufficient balance to hold: ${src} has ${balance} wei, the proposal needs ${amount} wei`, 'insufficient_balance');
    }
    const params = loadParams(this.kv);
    this.bank.debit(src, amount);
    const { id, proposal } = this.newProposal(ctx, state, params, who, reason, ProposalKind.TransferFund);
    proposal.transfer = { from: src, to: dst, amount };
    state.held += amount;
    this.saveProposal(proposal);
    this.saveState(state);
    return {
      id,
      events: [GovEvents.proposalCreated(id, who, ProposalKind.TransferFund, proposal.expiresAt), GovEvents.transferFundProposed(id, src, dst, amount, reason)],
    };
  }

  // ----------------------------------------------------------------- votes

  /**
   * Records (or changes) `voter`'s vote and tallies the proposal at once; if
   * that decides it, the proposal closes (and is applied) in this call.
   */
  vote(ctx: GovContext, voter: Address, id: bigint, yes: boolean): SystemEvent[] {
    const who = toAddress(voter);
    const table = this.powerTable();
    this.requireValidator(who, table, 'vote');
    const p = this.getProposal(id);
    if (p === undefined) throw new GovernanceError(`no proposal with id ${id}`, 'unknown_proposal');
    if (p.status !== ProposalStatus.Open) {
      throw new GovernanceError(`proposal ${id} is closed (${STATUS_NAMES[p.status]})`, 'proposal_closed');
    }
    if (ctx.time >= p.expiresAt) {
      throw new GovernanceError(`proposal ${id} expired at time ${p.expiresAt}`, 'proposal_expired');
    }
    const existing = p.votes.find((v) => v.voter === who);
    if (existing !== undefined) existing.yes = yes;
    else {
      p.votes.push({ voter: who, yes });
      p.votes.sort((a, b) => cmp(a.voter, b.voter));
    }
    const events: SystemEvent[] = [GovEvents.voted(id, who, yes)];
    const tally = tallyAt(p, table);
    const decision = decide(tally);
    if (decision === null) {
      this.saveProposal(p);
      return events;
    }
    const state = this.loadState();
    events.push(...this.close(ctx, state, p, decision === 'pass' ? ProposalStatus.Passed : ProposalStatus.Failed, tally));
    this.saveState(state);
    return events;
  }

  // ------------------------------------------------------------- end block

  /**
   * Run at the end of every block, after the staking ledger has updated the
   * validator set: expires proposals whose period is over (header time ≥
   * expiresAt) and re-tallies the others at the current powers, closing those
   * that are now decided. Proposals are processed in ascending id order.
   */
  endBlock(ctx: GovContext): SystemEvent[] {
    const state = this.loadState();
    if (state.open.length === 0) return [];
    const table = this.powerTable();
    const events: SystemEvent[] = [];
    for (const id of [...state.open]) {
      const p = this.mustGet(id);
      const tally = tallyAt(p, table);
      if (ctx.time >= p.expiresAt) {
        events.push(...this.close(ctx, state, p, ProposalStatus.Expired, tally));
        continue;
      }
      const decision = decide(tally);
      if (decision !== null) {
        events.push(...this.close(ctx, state, p, decision === 'pass' ? ProposalStatus.Passed : ProposalStatus.Failed, tally));
      }
    }
    this.saveState(state);
    return events;
  }

  // --------------------------------------------------------------- private

  /** Closes an open proposal with `status`, applying its effect; updates `state` (caller saves it). */
  private close(ctx: GovContext, state: GovState, p: Proposal, status: ProposalStatus, tally: Tally): SystemEvent[] {
    if (p.status !== ProposalStatus.Open) throw new Error(`proposal ${p.id} is already closed`);
    const index = state.open.indexOf(p.id);
    if (index < 0) throw new Error(`open proposal ${p.id} is missing from the open list`);
    state.open.splice(index, 1);
    p.closedHeight = ctx.height;
    p.closedTime = ctx.time;
    p.finalTally = { ...tally };
    const events: SystemEvent[] = [];
    const power = `yes ${tally.yes}, no ${tally.no} of ${tally.total} voting power`;
    if (status === ProposalStatus.Passed) {
      const applied = this.apply(state, p);
      if (applied.ok) {
        p.status = ProposalStatus.Passed;
        p.outcome = `passed: ${power}`;
        events.push(GovEvents.proposalPassed(p.id, tally), ...applied.events);
      } else {
        p.status = ProposalStatus.Failed;
        p.outcome = `passed the vote (${power}) but could not be applied: ${applied.error}`;
        events.push(GovEvents.proposalFailed(p.id, tally, p.outcome));
      }
    } else {
      p.status = status;
      p.outcome = status === ProposalStatus.Failed ? `rejected: ${power}` : `expired without a decision: ${power}`;
      events.push(status === ProposalStatus.Failed ? GovEvents.proposalFailed(p.id, tally, p.outcome) : GovEvents.proposalExpired(p.id, tally));
    }
    if (p.status !== ProposalStatus.Passed && p.transfer !== null) {
      this.release(state, p.transfer.amount);
      this.bank.credit(p.transfer.from, p.transfer.amount);
      events.push(GovEvents.fundReturned(p.id, p.transfer.from, p.transfer.amount));
    }
    this.saveProposal(p);
    return events;
  }

  /** Carries out a passed proposal. A param change that no longer validates is not applied. */
  private apply(state: GovState, p: Proposal): { ok: true; events: SystemEvent[] } | { ok: false; error: string } {
    if (p.param !== null) {
      const { name, value } = p.param;
      const field = paramField(name);
      if (field === undefined || FIXED_PARAMS.has(field)) return { ok: false, error: `parameter '${name}' cannot be changed` };
      try {
        const params = loadParams(this.kv);
        const next = withParam(params, field, parseParamValue(field, value));
        validateParams(next);
        saveParams(this.kv, next);
      } catch (err) {
        if (!(err instanceof ParamError)) throw err;
        return { ok: false, error: err.message };
      }
      return { ok: true, events: [GovEvents.paramChanged(p.id, name, value)] };
    }
    if (p.transfer !== null) {
      this.release(state, p.transfer.amount);
      this.bank.credit(p.transfer.to, p.transfer.amount);
      return { ok: true, events: [GovEvents.fundTransferred(p.id, p.transfer.from, p.transfer.to, p.transfer.amount)] };
    }
    throw new Error(`proposal ${p.id} has no payload`);
  }

  private release(state: GovState, amount: bigint): void {
    if (state.held < amount) throw new Error(`governance holds ${state.held} wei, cannot release ${amount}`);
    state.held -= amount;
  }

  private newProposal(ctx: GovContext, state: GovState, params: Params, proposer: Address, reason: string, kind: ProposalKind): { id: bigint; proposal: Proposal } {
    const id = state.nextId;
    state.nextId += 1n;
    state.open.push(id);
    const proposal: Proposal = {
      id,
      kind,
      status: ProposalStatus.Open,
      proposer,
      reason,
      createdHeight: ctx.height,
      createdTime: ctx.time,
      expiresAt: ctx.time + params.proposal_period_s,
      closedHeight: 0n,
      closedTime: 0n,
      outcome: '',
      finalTally: { ...ZERO_TALLY },
      votes: [],
      param: null,
      transfer: null,
    };
    return { id, proposal };
  }

  private parseValue(name: ParamName, value: string): Params[ParamName] {
    let parsed: Params[ParamName];
    try {
      parsed = parseParamValue(name, value);
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      throw new GovernanceError(err.message, 'invalid_param_value');
    }
    if (typeof parsed === 'bigint' && parsed > MAX_UINT256) {
      throw new GovernanceError(`param ${name}: value does not fit a uint256`, 'invalid_param_value');
    }
    return parsed;
  }

  private requireValidator(who: Address, table: PowerTable, action: 'propose' | 'vote'): void {
    if (!table.powers.has(who)) {
      throw new GovernanceError(`${who} is not a current validator: only validators may ${action}`, 'not_validator');
    }
  }

  private checkReason(reason: string): void {
    const size = Buffer.byteLength(reason, 'utf8');
    if (size > MAX_REASON_BYTES) {
      throw new GovernanceError(`reason is ${size} bytes, at most ${MAX_REASON_BYTES} are allowed`, 'reason_too_long');
    }
  }

  private checkOpenLimit(proposer: Address, state: GovState): void {
    let open = 0;
    for (const id of state.open) if (this.mustGet(id).proposer === proposer) open++;
    if (open >= MAX_OPEN_PROPOSALS_PER_PROPOSER) {
      throw new GovernanceError(`${proposer} already has ${open} open proposals (at most ${MAX_OPEN_PROPOSALS_PER_PROPOSER})`, 'too_many_open_proposals');
    }
  }

  private mustGet(id: bigint): Proposal {
    return this.queries.mustGet(id);
  }

  private loadState(): GovState {
    return this.queries.loadState();
  }

  private saveState(state: GovState): void {
    this.kv.set(STATE_KEY, encodeGovState(state));
  }

  private saveProposal(p: Proposal): void {
    this.kv.set(proposalKey(p.id), encodeProposal(p));
  }
}

function withParam<K extends ParamName>(params: Params, name: K, value: Params[K]): Params {
  const next: Params = { ...params };
  next[name] = value;
  return next;
}
