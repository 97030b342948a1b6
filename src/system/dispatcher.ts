/**
 * The one dispatcher of the system contracts (staking 0x…1000, governance
 * 0x…1001). A contract is a declarative table over its ledger — per
 * function: argument types, gas, payability, the handler; per contract: its
 * ABI JSON, address, refusal wording — and this module does the rest, the
 * same way for both:
 *
 *   selector → strict ABI decode (abi.ts) → payable / view check →
 *   handler (ledger call) → return data + events encoded as logs,
 *   or a SystemCallError (the revert) for anything refused.
 *
 * The table is checked against the ABI JSON when it is built (module load):
 * every ABI function has an entry with the same argument types and
 * mutability, and nothing else. docs/ARCHITECTURE.md "System contracts"
 * tells how to add a function.
 */
import type { Address } from '../util/address.js';
import {
  AbiDecodeError,
  assertEncodable,
  decodeArguments,
  encodeEventLog,
  encodeResult,
  eventEncoder,
  isArgType,
  selectorOf,
  signatureOf,
  type AbiEntry,
  type AbiParam,
  type AbiValue,
  type ArgType,
  type ArgValues,
  type EventEncoder,
} from './abi.js';
import type { EvmLog } from '../state/logs.js';
import type { SystemCallError, SystemCallContext, SystemCallResult, SystemContract, SystemEvent } from './types.js';

/** What a state-changing handler returns: the function's return values (if it has outputs) and its events, in emission order. */
export interface CallOutcome {
  readonly returns?: readonly AbiValue[];
  readonly events: readonly SystemEvent[];
}

/** A view function: answers from the ledger, changes nothing, emits nothing. */
export interface ViewFunction<L, I extends readonly ArgType[]> {
  readonly inputs: I;
  /** Execution gas charged on top of the intrinsic gas (docs/STAKING.md, docs/GOVERNANCE.md). */
  readonly gas: bigint;
  readonly view: (ledger: L, args: ArgValues<I>) => readonly AbiValue[];
}

/** A state-changing function. Refuses by throwing (a SystemCallError, or the ledger's error that `refusalOf` maps). */
export interface CallFunction<L, I extends readonly ArgType[]> {
  readonly inputs: I;
  readonly gas: bigint;
  readonly payable: boolean;
  readonly call: (ledger: L, args: ArgValues<I>, ctx: SystemCallContext) => CallOutcome;
}

/** A table entry with its argument types erased (the dispatcher decodes `args` with `inputs`). */
export type SystemFunction<L> = ViewFunction<L, readonly ArgType[]> | CallFunction<L, readonly ArgType[]>;

/**
 * Typed table entries for ledger type L: `const fn = systemFunctions<MyLedger>()`,
 * then `fn({ inputs: ['address', 'uint256'], gas, payable, call: (ledger, [who, amount], ctx) => … })`
 * types `who` as Address and `amount` as bigint.
 */
export function systemFunctions<L>() {
  return <const I extends readonly ArgType[]>(f: ViewFunction<L, I> | CallFunction<L, I>): SystemFunction<L> =>
    // Sound because the dispatcher only calls a handler with decodeArguments(f.inputs, …).
    f as unknown as SystemFunction<L>;
}

/**
 * How a contract words the refusals the dispatcher itself makes. The revert
 * text is the revert data (consensus), so each contract keeps the wording
 * it has always had.
 */
export interface RefusalWording {
  /** The error for a refusal with stable code `reason` and explanation `text`. */
  refuse(reason: string, text: string): SystemCallError;
  /** Calldata shorter than a selector. */
  readonly noSelector: { readonly reason: string; readonly text: string };
  unknownSelector(selector: string): string;
  /** `detail` names the function and the fault (abi.ts). */
  badArguments(fn: string, detail: string): string;
  notPayable(fn: string): string;
  notView(fn: string): string;
}

export interface SystemContractSpec<L> {
  readonly address: Address;
  /** The shipped ABI JSON (contracts/abi/*.json): signatures, outputs, events. */
  readonly abi: readonly AbiEntry[];
  readonly functions: Readonly<Record<string, SystemFunction<L>>>;
  readonly wording: RefusalWording;
  /** The revert for an error a handler threw, or undefined when it is not a refusal (an internal fault, rethrown). */
  refusalOf(err: unknown): SystemCallError | undefined;
}

interface Dispatch<L> {
  readonly name: string;
  readonly fn: SystemFunction<L>;
  readonly outputs: readonly AbiParam[];
}

/** A contract's table checked against its ABI, with its selector and event maps built once. */
export class SystemContractDefinition<L> {
  private readonly bySelector = new Map<string, Dispatch<L>>();
  private readonly events = new Map<string, EventEncoder>();

  constructor(readonly spec: SystemContractSpec<L>) {
    const seen = new Set<string>();
    for (const entry of spec.abi) {
      if (entry.type === 'event') {
        this.events.set(entry.name!, eventEncoder(entry));
        continue;
      }
      if (entry.type !== 'function') continue;
      const name = entry.name!;
      const fn = spec.functions[name];
      if (fn === undefined) throw new Error(`${spec.address}: ABI function ${name} has no table entry`);
      const inputs = (entry.inputs ?? []).map((p) => p.type);
      if (inputs.join(',') !== fn.inputs.join(',') || !inputs.every(isArgType)) {
        throw new Error(`${spec.address}: ${name} takes (${inputs.join(',')}) in the ABI, (${fn.inputs.join(',')}) in the table`);
      }
      const mutability = 'view' in fn ? 'view' : fn.payable ? 'payable' : 'nonpayable';
      if (entry.stateMutability !== mutability) {
        throw new Error(`${spec.address}: ${name} is ${entry.stateMutability} in the ABI, ${mutability} in the table`);
      }
      const outputs = entry.outputs ?? [];
      outputs.forEach(assertEncodable);
      const selector = selectorOf(signatureOf(name, entry.inputs ?? []));
      if (this.bySelector.has(selector)) throw new Error(`${spec.address}: ${name} and ${this.bySelector.get(selector)!.name} share selector ${selector}`);
      this.bySelector.set(selector, { name, fn, outputs });
      seen.add(name);
    }
    for (const name of Object.keys(spec.functions)) {
      if (!seen.has(name)) throw new Error(`${spec.address}: table entry ${name} is not in the ABI`);
    }
  }

  /** Each function's gas, by name (for docs, the CLI's gas limits and tests). */
  gasTable(): Readonly<Record<string, bigint>> {
    return Object.freeze(Object.fromEntries(Object.entries(this.spec.functions).map(([name, fn]) => [name, fn.gas])));
  }

  /** The function `calldata` selects; refuses short calldata and unknown selectors. */
  select(calldata: Uint8Array): Dispatch<L> {
    const { wording } = this.spec;
    if (calldata.length < 4) throw wording.refuse(wording.noSelector.reason, wording.noSelector.text);
    const selector = `0x${Buffer.from(calldata.buffer, calldata.byteOffset, 4).toString('hex')}`;
    const found = this.bySelector.get(selector);
    if (found === undefined) throw wording.refuse('unknown_function', wording.unknownSelector(selector));
    return found;
  }

  decode(d: Dispatch<L>, calldata: Uint8Array): unknown[] {
    try {
      return decodeArguments(d.name, d.fn.inputs, calldata.subarray(4));
    } catch (err) {
      if (!(err instanceof AbiDecodeError)) throw err;
      throw this.spec.wording.refuse('bad_calldata', this.spec.wording.badArguments(d.name, err.detail));
    }
  }

  log(e: SystemEvent): EvmLog {
    const encoder = this.events.get(e.name);
    if (encoder === undefined) throw new Error(`${this.spec.address}: no event ${e.name} in the ABI`);
    return encodeEventLog(this.spec.address, encoder, e.values);
  }
}

/** A system contract over one ledger (built per transaction over its scratch state, or over committed state for eth_call). */
export class SystemDispatcher<L> implements SystemContract {
  readonly address: Address;

  constructor(
    private readonly definition: SystemContractDefinition<L>,
    readonly ledger: L,
  ) {
    this.address = definition.spec.address;
  }

  gasCost(calldata: Uint8Array): bigint {
    return this.definition.select(calldata).fn.gas;
  }

  call(ctx: SystemCallContext, calldata: Uint8Array): SystemCallResult {
    const d = this.definition.select(calldata);
    const args = this.definition.decode(d, calldata);
    const { wording } = this.definition.spec;
    if (ctx.value > 0n && !('call' in d.fn && d.fn.payable)) throw wording.refuse('not_payable', wording.notPayable(d.name));
    const fn = d.fn;
    if ('view' in fn) return { returnData: this.answer(d, fn, args), logs: [] };
    const outcome = this.refusing(() => fn.call(this.ledger, args as never, ctx));
    return {
      returnData: encodeResult(d.outputs, outcome.returns ?? []),
      logs: outcome.events.map((e) => this.definition.log(e)),
    };
  }

  view(calldata: Uint8Array): Uint8Array {
    const d = this.definition.select(calldata);
    const args = this.definition.decode(d, calldata);
    const fn = d.fn;
    if (!('view' in fn)) throw this.definition.spec.wording.refuse('not_view', this.definition.spec.wording.notView(d.name));
    return this.answer(d, fn, args);
  }

  // `args as never`: the arguments were decoded with fn.inputs, which is what the handler's type says (systemFunctions).
  private answer(d: Dispatch<L>, fn: ViewFunction<L, readonly ArgType[]>, args: unknown[]): Uint8Array {
    return encodeResult(
      d.outputs,
      this.refusing(() => fn.view(this.ledger, args as never)),
    );
  }

  /** Runs a handler, turning the ledger's refusals into the contract's SystemCallError; anything else is an internal fault. */
  private refusing<T>(run: () => T): T {
    try {
      return run();
    } catch (err) {
      const refusal = this.definition.spec.refusalOf(err);
      if (refusal === undefined) throw err;
      throw refusal;
    }
  }
}
