/**
 * Governance's typed read API (SPEC 8): proposals, their live or final
 * tallies and votes, and the CMT held by open proposals, over any state
 * reader — committed state at a version for ABCI queries, JSON-RPC and
 * export; the block's state for the ledger itself. Reads only.
 */
import type { KVReader } from '../store/kv.js';
import { toAddress, type Address } from '../util/address.js';
import { STATE_KEY, decodeGovState, decodeProposal, proposalKey, type GovState } from './codec.js';
import { KIND_NAMES, ProposalStatus, STATUS_NAMES, type Proposal, type ProposalJson, type ProposalStatusName, type Tally, type ValidatorPowerSource } from './types.js';

/** Voting power of each current validator, and their total. */
export interface PowerTable {
  powers: ReadonlyMap<Address, bigint>;
  total: bigint;
}

/** A proposal's votes weighed at the powers of `table` (a voter no longer a validator weighs 0). */
export function tallyAt(p: Proposal, table: PowerTable): Tally {
  let yes = 0n;
  let no = 0n;
  for (const v of p.votes) {
    const power = table.powers.get(v.voter) ?? 0n;
    if (v.yes) yes += power;
    else no += power;
  }
  return { yes, no, total: table.total };
}

export class GovQueries {
  /**
   * @param state committed state, or the block's or a transaction's overlay
   * @param validators the current validators and their voting power (a StakingQueries fits)
   */
  constructor(
    private readonly state: KVReader,
    private readonly validators: ValidatorPowerSource,
  ) {}

  /** Total CMT (wei) held by open transfer-fund proposals: part of the supply identity (SPEC 5.3). */
  heldTotal(): bigint {
    return this.loadState().held;
  }

  /** Number of proposals ever made; ids are 1..proposalCount(). */
  proposalCount(): bigint {
    return this.loadState().nextId - 1n;
  }

  /** Ids of open proposals, ascending. */
  openProposalIds(): bigint[] {
    return [...this.loadState().open];
  }

  /** The stored proposal, or undefined. */
  getProposal(id: bigint): Proposal | undefined {
    if (id <= 0n || id >= 2n ** 64n) return undefined;
    const raw = this.state.get(proposalKey(id));
    return raw === undefined ? undefined : decodeProposal(raw);
  }

  /** The live tally of an open proposal at current powers, or the final tally of a closed one. */
  tallyOf(p: Proposal, table: PowerTable = this.powerTable()): Tally {
    return p.status === ProposalStatus.Open ? tallyAt(p, table) : p.finalTally;
  }

  /** One proposal as a JSON-friendly object, or undefined. */
  proposal(id: bigint): ProposalJson | undefined {
    const p = this.getProposal(id);
    return p === undefined ? undefined : this.toJson(p, this.powerTable());
  }

  /** All proposals (optionally only those with a given status), ascending id. */
  proposals(filter: { status?: ProposalStatusName } = {}): ProposalJson[] {
    const state = this.loadState();
    const table = this.powerTable();
    const ids: bigint[] = [];
    if (filter.status === 'open') ids.push(...state.open);
    else for (let id = 1n; id < state.nextId; id++) ids.push(id);
    const out: ProposalJson[] = [];
    for (const id of ids) {
      const p = this.mustGet(id);
      if (filter.status !== undefined && STATUS_NAMES[p.status] !== filter.status) continue;
      out.push(this.toJson(p, table));
    }
    return out;
  }

  toJson(p: Proposal, table: PowerTable = this.powerTable()): ProposalJson {
    const t = this.tallyOf(p, table);
    const open = p.status === ProposalStatus.Open;
    return {
      id: p.id.toString(),
      kind: KIND_NAMES[p.kind],
      status: STATUS_NAMES[p.status],
      proposer: p.proposer,
      reason: p.reason,
      createdHeight: p.createdHeight.toString(),
      createdTime: p.createdTime.toString(),
      expiresAt: p.expiresAt.toString(),
      closedHeight: open ? null : p.closedHeight.toString(),
      closedTime: open ? null : p.closedTime.toString(),
      outcome: p.outcome,
      param: p.param === null ? null : { name: p.param.name, value: p.param.value },
      transfer: p.transfer === null ? null : { from: p.transfer.from, to: p.transfer.to, amount: p.transfer.amount.toString() },
      votes: p.votes.map((v) => ({ voter: v.voter, yes: v.yes })),
      tally: { yes: t.yes.toString(), no: t.no.toString(), total: t.total.toString() },
    };
  }

  /** The current validators' powers, validated (no duplicates, no negative power). */
  powerTable(): PowerTable {
    const powers = new Map<Address, bigint>();
    let total = 0n;
    for (const v of this.validators.validatorSet()) {
      const address = toAddress(v.address);
      if (v.votingPower < 0n) throw new Error(`validator ${address} has negative voting power ${v.votingPower}`);
      if (powers.has(address)) throw new Error(`validator ${address} appears twice in the validator set`);
      powers.set(address, v.votingPower);
      total += v.votingPower;
    }
    return { powers, total };
  }

  /** A proposal the governance state lists (a missing one is corruption, not a user error). */
  mustGet(id: bigint): Proposal {
    const p = this.getProposal(id);
    if (p === undefined) throw new Error(`governance state is corrupt: proposal ${id} is missing`);
    return p;
  }

  /** The governance state record: next id, open ids, CMT held. */
  loadState(): GovState {
    return decodeGovState(this.state.get(STATE_KEY));
  }
}
