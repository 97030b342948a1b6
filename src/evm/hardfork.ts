/**
 * The Ethereum hard fork a chain follows (param `evm_hardfork`, fixed at
 * genesis) and the transaction-level rules that change with it. The EVM
 * itself gets the fork through its Common (engine.ts); the rules here are
 * the ones @ethereumjs/vm's runTx would apply, which the executor does
 * natively (docs/EVM.md "Hard fork").
 */
import { Hardfork } from '@ethereumjs/common';
import type { EvmHardforkName } from '../state/params.js';

export type { EvmHardforkName } from '../state/params.js';

export interface ForkRules {
  readonly name: EvmHardforkName;
  /** The @ethereumjs/common hard fork. */
  readonly hardfork: Hardfork;
  /** EIP-7702 set-code transactions (type 4) and delegated accounts. */
  readonly setCode: boolean;
  /** EIP-7623: a transaction pays at least the calldata floor. */
  readonly calldataFloor: boolean;
  /** EIP-7825: the most gas one transaction may ask for, or null. */
  readonly txGasCap: bigint | null;
  /** Addresses of the precompiled contracts (a transfer to one runs it). */
  readonly precompiles: ReadonlySet<number>;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const CANCUN: ForkRules = {
  name: 'cancun',
  hardfork: Hardfork.Cancun,
  setCode: false,
  calldataFloor: false,
  txGasCap: null,
  precompiles: new Set(range(0x01, 0x0a)),
};

/** Osaka = Prague (EIP-7702, 7623, BLS12-381 precompiles 0x0b–0x11, …) + Osaka (CLZ, EIP-7825, P256VERIFY at 0x100, …). */
const OSAKA: ForkRules = {
  name: 'osaka',
  hardfork: Hardfork.Osaka,
  setCode: true,
  calldataFloor: true,
  txGasCap: 2n ** 24n,
  precompiles: new Set([...range(0x01, 0x11), 0x100]),
};

export function forkRules(name: EvmHardforkName): ForkRules {
  return name === 'osaka' ? OSAKA : CANCUN;
}
