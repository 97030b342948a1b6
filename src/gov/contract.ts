/**
 * The governance system contract at GOVERNANCE_ADDRESS (0x…1001): decodes
 * Solidity-ABI calldata (contracts/abi/IGovernance.json) and runs it against
 * a GovernanceLedger. Every function is non-payable.
 *
 * The contract works on whatever state its ledger was built over: the
 * executor builds it over the transaction's scratch state (cheap: both
 * objects hold only references), and over committed state for eth_call.
 */
import { getBytes, hexlify, type FunctionFragment, type Result } from 'ethers';
import type { Address } from '../util/address.js';
import {
  GOVERNANCE_ADDRESS,
  SystemCallError,
  type SystemCallContext,
  type SystemCallResult,
  type SystemContract,
} from '../system/types.js';
import type { KV } from '../store/kv.js';
import { governanceInterface } from './abi.js';
import { GovernanceLedger } from './ledger.js';
import { ProposalStatus, type ValidatorPowerSource } from './types.js';

/**
 * Fixed gas of each function (`gasCost`), charged by the executor on top of
 * the transaction's intrinsic gas (21,000 + calldata). It does not depend on
 * the arguments. A transaction's total stays far below the default
 * `free_tx_gas_limit` (500,000), so governance calls may use the zero-price
 * slots.
 */
export const GOVERNANCE_GAS: Readonly<Record<string, bigint>> = Object.freeze({
  proposeParamChange: 60_000n,
  proposeTransferFund: 60_000n,
  vote: 30_000n,
  // View functions sent in a transaction (they change nothing).
  getProposal: 5_000n,
  proposalCount: 5_000n,
  openProposals: 5_000n,
  getVotes: 5_000n,
  heldTotal: 5_000n,
});

const VIEW_FUNCTIONS: ReadonlySet<string> = new Set([
  'getProposal',
  'proposalCount',
  'openProposals',
  'getVotes',
  'heldTotal',
]);

interface Decoded {
  fn: FunctionFragment;
  args: Result;
}

function decode(calldata: Uint8Array): Decoded {
  if (calldata.length < 4) {
    throw new SystemCallError('calldata is shorter than a 4-byte function selector', 'bad_calldata');
  }
  const selector = hexlify(calldata.subarray(0, 4));
  const fn = governanceInterface.getFunction(selector);
  if (fn === null) throw new SystemCallError(`unknown governance function selector ${selector}`, 'unknown_function');
  let args: Result;
  try {
    args = governanceInterface.decodeFunctionData(fn, calldata);
  } catch (err) {
    throw new SystemCallError(`malformed arguments for ${fn.name}: ${(err as Error).message}`, 'bad_calldata');
  }
  return { fn, args };
}

function encodeResult(fn: FunctionFragment, values: ReadonlyArray<unknown>): Uint8Array {
  return getBytes(governanceInterface.encodeFunctionResult(fn, values));
}

export class GovernanceContract implements SystemContract {
  readonly address: Address = GOVERNANCE_ADDRESS;

  constructor(readonly ledger: GovernanceLedger) {}

  /** A contract over `kv` (a transaction's scratch state, or committed state for eth_call). */
  static over(kv: KV, validators: ValidatorPowerSource): GovernanceContract {
    return new GovernanceContract(new GovernanceLedger(kv, validators));
  }

  gasCost(calldata: Uint8Array): bigint {
    if (calldata.length < 4) {
      throw new SystemCallError('calldata is shorter than a 4-byte function selector', 'bad_calldata');
    }
    const selector = hexlify(calldata.subarray(0, 4));
    const fn = governanceInterface.getFunction(selector);
    if (fn === null) throw new SystemCallError(`unknown governance function selector ${selector}`, 'unknown_function');
    const gas = GOVERNANCE_GAS[fn.name];
    if (gas === undefined) throw new Error(`no gas cost for governance function ${fn.name}`);
    return gas;
  }

  call(ctx: SystemCallContext, calldata: Uint8Array): SystemCallResult {
    const { fn, args } = decode(calldata);
    if (ctx.value !== 0n) {
      throw new SystemCallError(`governance function ${fn.name} is not payable: send no value`, 'not_payable');
    }
    const block = { height: ctx.height, time: ctx.time };
    switch (fn.name) {
      case 'proposeParamChange': {
        const [name, value, reason] = [String(args[0]), String(args[1]), String(args[2])];
        const r = this.ledger.proposeParamChange(block, ctx.sender, name, value, reason);
        return { returnData: encodeResult(fn, [r.id]), logs: r.logs };
      }
      case 'proposeTransferFund': {
        const from = String(args[0]).toLowerCase() as Address;
        const to = String(args[1]).toLowerCase() as Address;
        const r = this.ledger.proposeTransferFund(block, ctx.sender, from, to, BigInt(args[2] as bigint), String(args[3]));
        return { returnData: encodeResult(fn, [r.id]), logs: r.logs };
      }
      case 'vote': {
        const logs = this.ledger.vote(block, ctx.sender, BigInt(args[0] as bigint), Boolean(args[1]));
        return { returnData: new Uint8Array(0), logs };
      }
      default:
        if (VIEW_FUNCTIONS.has(fn.name)) return { returnData: this.runView(fn, args), logs: [] };
        throw new SystemCallError(`governance function ${fn.name} is not implemented`, 'unknown_function');
    }
  }

  view(calldata: Uint8Array): Uint8Array {
    const { fn, args } = decode(calldata);
    if (!VIEW_FUNCTIONS.has(fn.name)) {
      throw new SystemCallError(`${fn.name} changes state: send it in a transaction`, 'not_view');
    }
    return this.runView(fn, args);
  }

  private runView(fn: FunctionFragment, args: Result): Uint8Array {
    const ledger = this.ledger;
    switch (fn.name) {
      case 'proposalCount':
        return encodeResult(fn, [ledger.proposalCount()]);
      case 'openProposals':
        return encodeResult(fn, [ledger.openProposalIds()]);
      case 'heldTotal':
        return encodeResult(fn, [ledger.heldTotal()]);
      case 'getVotes': {
        const p = ledger.getProposal(BigInt(args[0] as bigint));
        if (p === undefined) throw new SystemCallError(`no proposal with id ${String(args[0])}`, 'unknown_proposal');
        return encodeResult(fn, [p.votes.map((v) => v.voter), p.votes.map((v) => v.yes)]);
      }
      case 'getProposal': {
        const p = ledger.getProposal(BigInt(args[0] as bigint));
        if (p === undefined) throw new SystemCallError(`no proposal with id ${String(args[0])}`, 'unknown_proposal');
        const t = ledger.tallyOf(p);
        const zero = '0x0000000000000000000000000000000000000000';
        return encodeResult(fn, [
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
            from: p.transfer?.from ?? zero,
            to: p.transfer?.to ?? zero,
            amount: p.transfer?.amount ?? 0n,
            yesPower: t.yes,
            noPower: t.no,
            totalPower: t.total,
            outcome: p.outcome,
          },
        ]);
      }
      default:
        throw new SystemCallError(`governance function ${fn.name} is not a view`, 'not_view');
    }
  }
}
