/**
 * The staking system contract (SPEC 6) at 0x…1000, as a table for the
 * system-contract dispatcher (src/system/dispatcher.ts): per IStaking
 * function its argument types, fixed gas, payability and the ledger call
 * with its event. Decoding, payability, events and reverts are the
 * dispatcher's.
 *
 * Construct one per transaction over the transaction's scratch state (the
 * executor's overlay): `StakingContract.over(scratchKv).call(ctx, calldata)`.
 */
import { getAddress, Interface } from 'ethers';
import type { KV } from '../store/kv.js';
import type { AbiEntry, AbiValue } from '../system/abi.js';
import { SystemContractDefinition, SystemDispatcher, systemFunctions, type RefusalWording } from '../system/dispatcher.js';
import { STAKING_ADDRESS, SystemCallError } from '../system/types.js';
import { STAKING_ABI } from './abi.js';
import { StakingEvents } from './events.js';
import { StakingLedger, type StakingDeps } from './ledger.js';
import { StakingError, type CandidateInfo, type CandidateState, type DelegationInfo } from './types.js';

/** The staking ABI as an ethers Interface, for clients (CLI, tests) that encode calls and parse logs. */
export const STAKING_INTERFACE = new Interface(STAKING_ABI);

const STATE_CODE: Record<CandidateState, number> = { active: 0, deactivated: 1, withdrawn: 2, removed: 3 };

function candidateTuple(c: CandidateInfo): AbiValue {
  return {
    candidate: c.address,
    pubKey: c.pubKey,
    maxStake: c.maxStake,
    compRateBp: c.compRateBp,
    description: c.description,
    verified: c.verified,
    state: STATE_CODE[c.state],
    declareHeight: c.declareHeight,
    totalStake: c.totalStake,
    selfStake: c.selfStake,
    waitingStake: c.waitingStake,
    votingPower: c.votingPower,
    rank: c.rank,
    missedBlocks: c.missedBlocks,
    withdrawMatureTime: c.withdrawMatureTime,
  };
}

function delegationTuple(d: DelegationInfo): AbiValue {
  return {
    candidate: d.candidate,
    delegator: d.delegator,
    amount: d.amount,
    compRateBp: d.compRateBp,
    self: d.self,
    withdrawing: d.withdrawing,
  };
}

const fn = systemFunctions<StakingLedger>();

/**
 * The IStaking functions. `gas` is the execution gas charged on top of the
 * transaction's intrinsic gas (21,000 + calldata), whatever the arguments,
 * so a receipt's gasUsed = intrinsic + gas (docs/STAKING.md).
 */
const FUNCTIONS = {
  declareCandidacy: fn({
    inputs: ['bytes32', 'bytes', 'uint256', 'uint16', 'string'],
    gas: 100_000n,
    payable: true,
    call: (ledger, [pubKey, signature, maxStake, rate, description], ctx) => {
      const r = ledger.declareCandidacy(ctx, new Uint8Array(Buffer.from(pubKey.slice(2), 'hex')), signature, maxStake, Number(rate), description);
      return { events: [StakingEvents.candidacyDeclared(ctx.sender, pubKey, maxStake, Number(rate), r.selfStake)] };
    },
  }),
  updateCandidacy: fn({
    inputs: ['uint256', 'uint16', 'string'],
    gas: 50_000n,
    payable: true,
    call: (ledger, [maxStake, rate, description], ctx) => {
      const r = ledger.updateCandidacy(ctx, maxStake, Number(rate), description);
      return { events: [StakingEvents.candidacyUpdated(ctx.sender, maxStake, Number(rate), ctx.value, r.verifiedCleared)] };
    },
  }),
  withdrawCandidacy: fn({
    inputs: [],
    gas: 50_000n,
    payable: false,
    call: (ledger, _args, ctx) => {
      const r = ledger.withdrawCandidacy(ctx);
      return { events: [StakingEvents.candidacyWithdrawn(ctx.sender, r.amount, r.matureTime)] };
    },
  }),
  deactivateCandidacy: fn({
    inputs: [],
    gas: 30_000n,
    payable: false,
    call: (ledger, _args, ctx) => {
      ledger.deactivateCandidacy(ctx);
      return { events: [StakingEvents.candidacyDeactivated(ctx.sender)] };
    },
  }),
  activateCandidacy: fn({
    inputs: [],
    gas: 30_000n,
    payable: false,
    call: (ledger, _args, ctx) => {
      ledger.activateCandidacy(ctx);
      return { events: [StakingEvents.candidacyActivated(ctx.sender)] };
    },
  }),
  verifyCandidacy: fn({
    inputs: ['address', 'bool'],
    gas: 30_000n,
    payable: false,
    call: (ledger, [candidate, verified], ctx) => {
      ledger.verifyCandidacy(ctx, candidate, verified);
      return { events: [StakingEvents.candidacyVerified(candidate, verified)] };
    },
  }),
  setEnterprise: fn({
    inputs: ['address', 'bool'],
    gas: 30_000n,
    payable: false,
    call: (ledger, [account, enterprise], ctx) => {
      ledger.setEnterprise(ctx, account, enterprise);
      return { events: [StakingEvents.enterpriseSet(account, enterprise)] };
    },
  }),
  delegate: fn({
    inputs: ['address'],
    gas: 50_000n,
    payable: true,
    call: (ledger, [candidate], ctx) => {
      const r = ledger.delegate(ctx, candidate);
      return { events: [StakingEvents.delegated(ctx.sender, candidate, ctx.value, r.compRateBp)] };
    },
  }),
  unstake: fn({
    inputs: ['address', 'uint256'],
    gas: 60_000n,
    payable: false,
    call: (ledger, [candidate, amount], ctx) => {
      const r = ledger.unstake(ctx, candidate, amount);
      return { returns: [r.id], events: [StakingEvents.unstaked(ctx.sender, candidate, r.id, r.amount, r.matureTime)] };
    },
  }),
  setCompRate: fn({
    inputs: ['address', 'uint16'],
    gas: 40_000n,
    payable: false,
    call: (ledger, [delegator, rate], ctx) => {
      const r = ledger.setCompRate(ctx, delegator, Number(rate));
      return { events: [StakingEvents.compRateSet(ctx.sender, delegator, Number(rate), r.amount)] };
    },
  }),
  getCandidate: fn({
    inputs: ['address'],
    gas: 10_000n,
    view: (ledger, [candidate]) => {
      const c = ledger.candidate(candidate);
      // The checksummed spelling is part of the revert text (consensus when sent in a transaction).
      if (c === undefined) throw new StakingError('not_candidate', `${getAddress(candidate)} is not a candidate`);
      return [candidateTuple(c)];
    },
  }),
  getCandidates: fn({ inputs: [], gas: 10_000n, view: (ledger) => [ledger.candidates().map(candidateTuple)] }),
  getValidators: fn({
    inputs: [],
    gas: 10_000n,
    view: (ledger) => [
      ledger.validators().map((v) => ({
        candidate: v.address,
        pubKey: v.pubKey,
        rank: v.rank,
        backup: v.role === 'backup',
        totalStake: v.totalStake,
        votingPower: v.votingPower,
        consensusPower: v.consensusPower,
        verified: v.verified,
      })),
    ],
  }),
  getDelegation: fn({
    inputs: ['address', 'address'],
    gas: 10_000n,
    view: (ledger, [candidate, delegator]) => {
      const d = ledger.delegation(candidate, delegator);
      if (d === undefined) throw new StakingError('no_delegation', 'no such delegation');
      return [delegationTuple(d)];
    },
  }),
  getDelegations: fn({ inputs: ['address'], gas: 10_000n, view: (ledger, [delegator]) => [ledger.delegations(delegator).map(delegationTuple)] }),
  getUnstakeRequests: fn({
    inputs: ['address'],
    gas: 10_000n,
    view: (ledger, [delegator]) => [
      ledger.unstakes(delegator).map((r) => ({
        id: r.id,
        candidate: r.candidate,
        delegator: r.delegator,
        amount: r.amount,
        matureTime: r.matureTime,
        height: r.height,
      })),
    ],
  }),
  isEnterprise: fn({ inputs: ['address'], gas: 10_000n, view: (ledger, [account]) => [ledger.isEnterprise(account)] }),
};

/** Staking's refusals read `"<reason>: <explanation>"` (docs/STAKING.md). */
function refuse(reason: string, text: string): SystemCallError {
  return new SystemCallError(`${reason}: ${text}`, reason);
}

const WORDING: RefusalWording = {
  refuse,
  noSelector: { reason: 'unknown_function', text: 'calldata too short for a function selector' },
  unknownSelector: (selector) => `no staking function has selector ${selector}`,
  badArguments: (_fn, detail) => detail,
  notPayable: (name) => `${name} does not accept a value`,
  notView: (name) => `${name} changes state; send it as a transaction`,
};

const DEFINITION = new SystemContractDefinition<StakingLedger>({
  address: STAKING_ADDRESS,
  abi: STAKING_ABI as readonly AbiEntry[],
  functions: FUNCTIONS,
  wording: WORDING,
  refusalOf: (err) => (err instanceof StakingError ? refuse(err.reason, err.message) : undefined),
});

/** Execution gas of each function, by name. */
export const STAKING_GAS = DEFINITION.gasTable();

export class StakingContract extends SystemDispatcher<StakingLedger> {
  constructor(ledger: StakingLedger) {
    super(DEFINITION, ledger);
  }

  /** A contract over `kv` (a transaction's scratch state, or committed state for eth_call). */
  static over(kv: KV, deps?: StakingDeps): StakingContract {
    return new StakingContract(new StakingLedger(kv, deps));
  }
}
