/**
 * The staking system contract (SPEC 6) at 0x…1000: Solidity-ABI dispatch of
 * the IStaking calls onto the ledger, a fixed gas cost per function, one
 * EvmLog event per state change, and the view functions for eth_call.
 *
 * Construct one per transaction over the transaction's scratch state (the
 * executor's overlay): `new StakingContract(scratchKv).call(ctx, calldata)`.
 */
import { Interface, type FunctionFragment, type Result } from 'ethers';
import type { KV } from '../store/kv.js';
import { toAddress, type Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';
import {
  STAKING_ADDRESS,
  SystemCallError,
  type SystemCallContext,
  type SystemCallResult,
  type SystemContract,
} from '../system/types.js';
import { STAKING_ABI } from './abi.js';
import { StakingLedger, type StakingDeps } from './ledger.js';
import { StakingError, type CandidateInfo, type CandidateState, type DelegationInfo } from './types.js';

/** The staking ABI as an ethers Interface. */
export const STAKING_INTERFACE = new Interface(STAKING_ABI);

/**
 * Execution gas of each call, fixed per function whatever the arguments. The
 * executor charges it on top of the transaction's intrinsic gas (21,000 +
 * calldata), so a receipt's gasUsed = intrinsic + this.
 */
export const STAKING_GAS: Readonly<Record<string, bigint>> = Object.freeze({
  declareCandidacy: 100_000n,
  updateCandidacy: 50_000n,
  withdrawCandidacy: 50_000n,
  deactivateCandidacy: 30_000n,
  activateCandidacy: 30_000n,
  verifyCandidacy: 30_000n,
  setEnterprise: 30_000n,
  delegate: 50_000n,
  unstake: 60_000n,
  setCompRate: 40_000n,
  getCandidate: 10_000n,
  getCandidates: 10_000n,
  getValidators: 10_000n,
  getDelegation: 10_000n,
  getDelegations: 10_000n,
  getUnstakeRequests: 10_000n,
  isEnterprise: 10_000n,
});

const STATE_CODE: Record<CandidateState, number> = { active: 0, deactivated: 1, withdrawn: 2, removed: 3 };

function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex'));
}

function refuse(reason: string, message: string): never {
  throw new SystemCallError(`${reason}: ${message}`, reason);
}

/** ABI types of the state-changing calls' parameters and of the events' fields. */
type AbiType = 'address' | 'uint256' | 'uint64' | 'uint16' | 'bool' | 'bytes32' | 'string' | 'bytes';

interface FnSpec {
  fragment: FunctionFragment;
  inputs: AbiType[];
}

const FUNCTIONS = new Map<string, FnSpec>();
STAKING_INTERFACE.forEachFunction((fragment) => {
  FUNCTIONS.set(fragment.selector, { fragment, inputs: fragment.inputs.map((p) => p.type as AbiType) });
});

interface EventSpec {
  topic: Uint8Array;
  fields: Array<{ type: AbiType; indexed: boolean }>;
}
const EVENTS = new Map<string, EventSpec>();
STAKING_INTERFACE.forEachEvent((e) => {
  EVENTS.set(e.name, {
    topic: hexToBytes(e.topicHash),
    fields: e.inputs.map((p) => ({ type: p.type as AbiType, indexed: p.indexed === true })),
  });
});

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function word(data: Uint8Array, at: number): Uint8Array {
  return data.subarray(at, at + 32);
}

function wordToBigint(w: Uint8Array): bigint {
  let hex = '';
  for (const b of w) hex += b.toString(16).padStart(2, '0');
  return BigInt(`0x${hex}`);
}

function decodeWord(type: AbiType, w: Uint8Array, name: string): unknown {
  switch (type) {
    case 'address': {
      if (w.subarray(0, 12).some((b) => b !== 0)) refuse('bad_calldata', `${name}: not an address`);
      return `0x${Buffer.from(w.subarray(12)).toString('hex')}`;
    }
    case 'bytes32':
      return `0x${Buffer.from(w).toString('hex')}`;
    case 'bool': {
      const v = wordToBigint(w);
      if (v > 1n) refuse('bad_calldata', `${name}: not a bool`);
      return v === 1n;
    }
    case 'uint16':
    case 'uint64':
    case 'uint256': {
      const v = wordToBigint(w);
      const bits = type === 'uint16' ? 16n : type === 'uint64' ? 64n : 256n;
      if (v >= 1n << bits) refuse('bad_calldata', `${name}: out of range for ${type}`);
      return v;
    }
    default:
      throw new Error(`not a static type: ${type}`);
  }
}

/**
 * Strict Solidity-ABI decoding of the arguments (what a Solidity contract
 * would accept): every head word present, addresses/uint16/bool in range,
 * strings and bytes in bounds, strings valid UTF-8 (a leading U+FEFF is
 * kept: it is part of the text). Trailing bytes are ignored, as Solidity does.
 */
function decodeArgs(spec: FnSpec, data: Uint8Array): unknown[] {
  const body = data.subarray(4);
  const name = spec.fragment.name;
  if (body.length < 32 * spec.inputs.length) refuse('bad_calldata', `${name}: calldata too short`);
  return spec.inputs.map((type, i) => {
    const head = word(body, 32 * i);
    if (type !== 'string' && type !== 'bytes') return decodeWord(type, head, `${name} argument ${i}`);
    const offset = wordToBigint(head);
    if (offset + 32n > BigInt(body.length)) refuse('bad_calldata', `${name}: ${type} offset out of bounds`);
    const len = wordToBigint(word(body, Number(offset)));
    const start = Number(offset) + 32;
    if (BigInt(start) + len > BigInt(body.length)) refuse('bad_calldata', `${name}: ${type} runs past the calldata`);
    const raw = body.subarray(start, start + Number(len));
    if (type === 'bytes') return new Uint8Array(raw);
    try {
      return UTF8.decode(raw);
    } catch {
      refuse('bad_calldata', `${name}: string is not valid UTF-8`);
    }
  });
}

function encodeWord(type: AbiType, v: unknown): Uint8Array {
  const out = new Uint8Array(32);
  switch (type) {
    case 'address':
      out.set(Buffer.from((v as string).slice(2), 'hex'), 12);
      return out;
    case 'bytes32':
      out.set(Buffer.from((v as string).slice(2), 'hex'));
      return out;
    case 'bool':
      out[31] = v === true ? 1 : 0;
      return out;
    default: {
      const hex = BigInt(v as bigint | number).toString(16);
      out.set(Buffer.from(hex.padStart(64, '0'), 'hex'));
      return out;
    }
  }
}

interface Parsed {
  spec: FnSpec;
  fragment: FunctionFragment;
  args: readonly unknown[];
}

function parse(calldata: Uint8Array, full: boolean): Parsed {
  if (calldata.length < 4) refuse('unknown_function', 'calldata too short for a function selector');
  const selector = `0x${Buffer.from(calldata.subarray(0, 4)).toString('hex')}`;
  const spec = FUNCTIONS.get(selector);
  if (spec === undefined) refuse('unknown_function', `no staking function has selector ${selector}`);
  if (!full) return { spec, fragment: spec.fragment, args: [] };
  if (!spec.fragment.constant) return { spec, fragment: spec.fragment, args: decodeArgs(spec, calldata) };
  let args: Result;
  try {
    args = STAKING_INTERFACE.decodeFunctionData(spec.fragment, calldata);
  } catch (e) {
    refuse('bad_calldata', `cannot decode ${spec.fragment.name} arguments: ${(e as Error).message.split(' (')[0]}`);
  }
  return { spec, fragment: spec.fragment, args: [...args] };
}

function uint16(v: unknown): number {
  return Number(v as bigint);
}

function candidateTuple(c: CandidateInfo): Record<string, unknown> {
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

function delegationTuple(d: DelegationInfo): Record<string, unknown> {
  return {
    candidate: d.candidate,
    delegator: d.delegator,
    amount: d.amount,
    compRateBp: d.compRateBp,
    self: d.self,
    withdrawing: d.withdrawing,
  };
}

export class StakingContract implements SystemContract {
  readonly address: Address = STAKING_ADDRESS;
  readonly ledger: StakingLedger;

  constructor(kvOrLedger: KV | StakingLedger, deps?: StakingDeps) {
    this.ledger = kvOrLedger instanceof StakingLedger ? kvOrLedger : new StakingLedger(kvOrLedger, deps);
  }

  gasCost(calldata: Uint8Array): bigint {
    const { fragment } = parse(calldata, false);
    return STAKING_GAS[fragment.name]!;
  }

  call(ctx: SystemCallContext, calldata: Uint8Array): SystemCallResult {
    const { fragment, args } = parse(calldata, true);
    if (ctx.value > 0n && !fragment.payable) refuse('not_payable', `${fragment.name} does not accept a value`);
    if (fragment.constant) return { returnData: this.runView(fragment, args), logs: [] };
    try {
      return this.run(ctx, fragment, args);
    } catch (e) {
      if (e instanceof StakingError) refuse(e.reason, e.message);
      throw e;
    }
  }

  view(calldata: Uint8Array): Uint8Array {
    const { fragment, args } = parse(calldata, true);
    if (!fragment.constant) refuse('not_view', `${fragment.name} changes state; send it as a transaction`);
    return this.runView(fragment, args);
  }

  private log(name: string, values: unknown[]): EvmLog {
    const spec = EVENTS.get(name)!;
    const topics = [spec.topic];
    const data: Uint8Array[] = [];
    spec.fields.forEach((f, i) => (f.indexed ? topics : data).push(encodeWord(f.type, values[i])));
    return { address: this.address, topics, data: new Uint8Array(Buffer.concat(data)) };
  }

  private run(ctx: SystemCallContext, fragment: FunctionFragment, a: readonly unknown[]): SystemCallResult {
    const L = this.ledger;
    const s = ctx.sender;
    const none = new Uint8Array(0);
    switch (fragment.name) {
      case 'declareCandidacy': {
        const pubKey = hexToBytes(a[0] as string);
        const maxStake = a[2] as bigint;
        const rate = uint16(a[3]);
        const r = L.declareCandidacy(ctx, pubKey, a[1] as Uint8Array, maxStake, rate, a[4] as string);
        return { returnData: none, logs: [this.log('CandidacyDeclared', [s, a[0], maxStake, rate, r.selfStake])] };
      }
      case 'updateCandidacy': {
        const maxStake = a[0] as bigint;
        const rate = uint16(a[1]);
        const r = L.updateCandidacy(ctx, maxStake, rate, a[2] as string);
        return {
          returnData: none,
          logs: [this.log('CandidacyUpdated', [s, maxStake, rate, ctx.value, r.verifiedCleared])],
        };
      }
      case 'withdrawCandidacy': {
        const r = L.withdrawCandidacy(ctx);
        return { returnData: none, logs: [this.log('CandidacyWithdrawn', [s, r.amount, r.matureTime])] };
      }
      case 'deactivateCandidacy':
        L.deactivateCandidacy(ctx);
        return { returnData: none, logs: [this.log('CandidacyDeactivated', [s])] };
      case 'activateCandidacy':
        L.activateCandidacy(ctx);
        return { returnData: none, logs: [this.log('CandidacyActivated', [s])] };
      case 'verifyCandidacy': {
        const who = toAddress(a[0] as string);
        L.verifyCandidacy(ctx, who, a[1] as boolean);
        return { returnData: none, logs: [this.log('CandidacyVerified', [who, a[1]])] };
      }
      case 'setEnterprise': {
        const who = toAddress(a[0] as string);
        L.setEnterprise(ctx, who, a[1] as boolean);
        return { returnData: none, logs: [this.log('EnterpriseSet', [who, a[1]])] };
      }
      case 'delegate': {
        const who = toAddress(a[0] as string);
        const r = L.delegate(ctx, who);
        return { returnData: none, logs: [this.log('Delegated', [s, who, ctx.value, r.compRateBp])] };
      }
      case 'unstake': {
        const who = toAddress(a[0] as string);
        const r = L.unstake(ctx, who, a[1] as bigint);
        return {
          returnData: hexToBytes(STAKING_INTERFACE.encodeFunctionResult(fragment, [r.id])),
          logs: [this.log('Unstaked', [s, who, r.id, r.amount, r.matureTime])],
        };
      }
      case 'setCompRate': {
        const who = toAddress(a[0] as string);
        const rate = uint16(a[1]);
        const r = L.setCompRate(ctx, who, rate);
        return { returnData: none, logs: [this.log('CompRateSet', [s, who, rate, r.amount])] };
      }
      default:
        refuse('unknown_function', `${fragment.name} is not a staking call`);
    }
  }

  private runView(fragment: FunctionFragment, a: readonly unknown[]): Uint8Array {
    const L = this.ledger;
    const enc = (v: unknown): Uint8Array => hexToBytes(STAKING_INTERFACE.encodeFunctionResult(fragment, [v]));
    switch (fragment.name) {
      case 'getCandidate': {
        const c = L.candidate(toAddress(a[0] as string));
        if (c === undefined) refuse('not_candidate', `${a[0] as string} is not a candidate`);
        return enc(candidateTuple(c));
      }
      case 'getCandidates':
        return enc(L.candidates().map(candidateTuple));
      case 'getValidators':
        return enc(
          L.validators().map((v) => ({
            candidate: v.address,
            pubKey: v.pubKey,
            rank: v.rank,
            backup: v.role === 'backup',
            totalStake: v.totalStake,
            votingPower: v.votingPower,
            consensusPower: v.consensusPower,
            verified: v.verified,
          })),
        );
      case 'getDelegation': {
        const d = L.delegation(toAddress(a[0] as string), toAddress(a[1] as string));
        if (d === undefined) refuse('no_delegation', 'no such delegation');
        return enc(delegationTuple(d));
      }
      case 'getDelegations':
        return enc(L.delegations(toAddress(a[0] as string)).map(delegationTuple));
      case 'getUnstakeRequests':
        return enc(
          L.unstakes(toAddress(a[0] as string)).map((r) => ({
            id: r.id,
            candidate: r.candidate,
            delegator: r.delegator,
            amount: r.amount,
            matureTime: r.matureTime,
            height: r.height,
          })),
        );
      case 'isEnterprise':
        return enc(L.isEnterprise(toAddress(a[0] as string)));
      default:
        refuse('unknown_function', `${fragment.name} is not a staking view`);
    }
  }
}
