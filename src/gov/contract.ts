/**
 * The governance system contract at GOVERNANCE_ADDRESS (0x…1001), as a
 * table for the system-contract dispatcher (src/system/dispatcher.ts): per
 * IGovernance function its argument types, fixed gas and the ledger call.
 * Every function is non-payable. The ledger returns the events; decoding,
 * payability, logs and reverts are the dispatcher's.
 *
 * The contract works on whatever state its ledger was built over: the
 * executor builds it over the transaction's scratch state (cheap: both
 * objects hold only references), and over committed state for eth_call.
 */
import type { KV } from '../store/kv.js';
import type { AbiEntry } from '../system/abi.js';
import { SystemContractDefinition, SystemDispatcher, systemFunctions, type RefusalWording } from '../system/dispatcher.js';
import { GOVERNANCE_ADDRESS, SystemCallError } from '../system/types.js';
import { GOVERNANCE_ABI } from './abi.js';
import { GovernanceLedger } from './ledger.js';
import { GovernanceError, ProposalStatus, type Proposal, type ValidatorPowerSource } from './types.js';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

function existing(ledger: GovernanceLedger, id: bigint): Proposal {
  const p = ledger.getProposal(id);
  if (p === undefined) throw new GovernanceError(`no proposal with id ${id}`, 'unknown_proposal');
  return p;
}

const fn = systemFunctions<GovernanceLedger>();

/**
 * The IGovernance functions. `gas` is charged by the executor on top of the
 * transaction's intrinsic gas (21,000 + calldata), whatever the arguments.
 * A transaction's total stays far below the default `free_tx_gas_limit`
 * (500,000), so governance calls may use the zero-price slots.
 */
const FUNCTIONS = {
  proposeParamChange: fn({
    inputs: ['string', 'string', 'string'],
    gas: 60_000n,
    payable: false,
    call: (ledger, [name, value, reason], ctx) => {
      const r = ledger.proposeParamChange(ctx, ctx.sender, name, value, reason);
      return { returns: [r.id], events: r.events };
    },
  }),
  proposeTransferFund: fn({
    inputs: ['address', 'address', 'uint256', 'string'],
    gas: 60_000n,
    payable: false,
    call: (ledger, [from, to, amount, reason], ctx) => {
      const r = ledger.proposeTransferFund(ctx, ctx.sender, from, to, amount, reason);
      return { returns: [r.id], events: r.events };
    },
  }),
  vote: fn({
    inputs: ['uint256', 'bool'],
    gas: 30_000n,
    payable: false,
    call: (ledger, [id, yes], ctx) => ({ events: ledger.vote(ctx, ctx.sender, id, yes) }),
  }),
  // View functions (also answered when sent in a transaction; they change nothing).
  getProposal: fn({
    inputs: ['uint256'],
    gas: 5_000n,
    view: (ledger, [id]) => {
      const p = existing(ledger, id);
      const t = ledger.tallyOf(p);
      return [
        {
          id: p.id,
          kind: p.kind,
          status: p.status,
          proposer: p.proposer,
          createdHeight: p.createdHeight,
          createdTime: p.createdTime,
          expiresAt: p.expiresAt,
          closedHeight: p.status === ProposalStatus.Open ? 0n : p.closedHeight,
          reason: p.reason,
          paramName: p.param?.name ?? '',
          paramValue: p.param?.value ?? '',
          from: p.transfer?.from ?? ZERO_ADDRESS,
          to: p.transfer?.to ?? ZERO_ADDRESS,
          amount: p.transfer?.amount ?? 0n,
          yesPower: t.yes,
          noPower: t.no,
          totalPower: t.total,
          outcome: p.outcome,
        },
      ];
    },
  }),
  proposalCount: fn({ inputs: [], gas: 5_000n, view: (ledger) => [ledger.proposalCount()] }),
  openProposals: fn({ inputs: [], gas: 5_000n, view: (ledger) => [ledger.openProposalIds()] }),
  getVotes: fn({
    inputs: ['uint256'],
    gas: 5_000n,
    view: (ledger, [id]) => {
      const p = existing(ledger, id);
      return [p.votes.map((v) => v.voter), p.votes.map((v) => v.yes)];
    },
  }),
  heldTotal: fn({ inputs: [], gas: 5_000n, view: (ledger) => [ledger.heldTotal()] }),
};

/** Governance's refusals are plain sentences; the reason code travels beside them (docs/GOVERNANCE.md). */
const WORDING: RefusalWording = {
  refuse: (reason, text) => new SystemCallError(text, reason),
  noSelector: { reason: 'bad_calldata', text: 'calldata is shorter than a 4-byte function selector' },
  unknownSelector: (selector) => `unknown governance function selector ${selector}`,
  badArguments: (name, detail) => `malformed arguments for ${name}: ${detail}`,
  notPayable: (name) => `governance function ${name} is not payable: send no value`,
  notView: (name) => `${name} changes state: send it in a transaction`,
};

const DEFINITION = new SystemContractDefinition<GovernanceLedger>({
  address: GOVERNANCE_ADDRESS,
  abi: GOVERNANCE_ABI as readonly AbiEntry[],
  functions: FUNCTIONS,
  wording: WORDING,
  // GovernanceError is a SystemCallError already, worded as above.
  refusalOf: (err) => (err instanceof SystemCallError ? err : undefined),
});

/** Execution gas of each function, by name. */
export const GOVERNANCE_GAS = DEFINITION.gasTable();

export class GovernanceContract extends SystemDispatcher<GovernanceLedger> {
  constructor(ledger: GovernanceLedger) {
    super(DEFINITION, ledger);
  }

  /** A contract over `kv` (a transaction's scratch state, or committed state for eth_call). */
  static over(kv: KV, validators: ValidatorPowerSource): GovernanceContract {
    return new GovernanceContract(new GovernanceLedger(kv, validators));
  }
}
