/**
 * The system contracts' ABI codec (src/system/abi.ts) against ethers'
 * AbiCoder on the same work: decoding a call's arguments, encoding its
 * event logs and its return data, for the hottest calls of both contracts.
 * Why the codec is hand-written: docs/ARCHITECTURE.md "System contracts".
 *
 *   node --import tsx bench/system-abi.ts [--n 20000]
 */
import { getBytes, type Interface } from 'ethers';
import { governanceInterface, GOVERNANCE_ABI } from '../src/gov/abi.js';
import { STAKING_ABI } from '../src/staking/abi.js';
import { STAKING_INTERFACE } from '../src/staking/contract.js';
import { decodeArguments, encodeEventLog, encodeResult, eventEncoder, type AbiEntry, type AbiValue, type ArgType } from '../src/system/abi.js';
import { GOVERNANCE_ADDRESS } from '../src/system/types.js';

const i = process.argv.indexOf('--n');
const N = i >= 0 ? Number(process.argv[i + 1]) : 20_000;

/** Median µs per operation over 5 rounds of N, after a warm-up round. */
function time(op: () => unknown): number {
  for (let k = 0; k < N; k++) op();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let k = 0; k < N; k++) op();
    rounds.push(((performance.now() - t0) * 1000) / N);
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

function entry(abi: readonly AbiEntry[], type: string, name: string): AbiEntry {
  return abi.find((e) => e.type === type && e.name === name)!;
}

interface Case {
  what: string;
  hand: () => unknown;
  ethers: () => unknown;
}

function decodeCase(iface: Interface, abi: readonly AbiEntry[], fn: string, args: unknown[]): Case {
  const data = getBytes(iface.encodeFunctionData(fn, args));
  const inputs = (entry(abi, 'function', fn).inputs ?? []).map((p) => p.type as ArgType);
  return {
    what: `decode ${fn}`,
    hand: () => decodeArguments(fn, inputs, data.subarray(4)),
    ethers: () => [...iface.decodeFunctionData(fn, data)],
  };
}

function eventCase(iface: Interface, abi: readonly AbiEntry[], name: string, values: AbiValue[]): Case {
  const encoder = eventEncoder(entry(abi, 'event', name));
  return {
    what: `event ${name}`,
    hand: () => encodeEventLog(GOVERNANCE_ADDRESS, encoder, values),
    ethers: () => {
      const log = iface.encodeEventLog(name, values);
      return [log.topics.map((t) => getBytes(t)), getBytes(log.data)];
    },
  };
}

function resultCase(iface: Interface, abi: readonly AbiEntry[], fn: string, values: AbiValue[]): Case {
  const outputs = entry(abi, 'function', fn).outputs ?? [];
  return { what: `result ${fn}`, hand: () => encodeResult(outputs, values), ethers: () => getBytes(iface.encodeFunctionResult(fn, values)) };
}

const S = STAKING_ABI as readonly AbiEntry[];
const G = GOVERNANCE_ABI as readonly AbiEntry[];
const a = '0x1111111111111111111111111111111111111111';
const b = '0x2222222222222222222222222222222222222222';
const cases: Case[] = [
  decodeCase(STAKING_INTERFACE, S, 'delegate', [a]),
  eventCase(STAKING_INTERFACE, S, 'Delegated', [a, b, 1_000n * 10n ** 18n, 1500]),
  decodeCase(STAKING_INTERFACE, S, 'unstake', [a, 5n * 10n ** 18n]),
  resultCase(STAKING_INTERFACE, S, 'unstake', [42n]),
  decodeCase(governanceInterface, G, 'proposeParamChange', ['inflation_rate_bp', '600', 'lower the inflation a little']),
  eventCase(governanceInterface, G, 'ParamChangeProposed', [1n, 'inflation_rate_bp', '600', 'lower the inflation a little']),
  decodeCase(governanceInterface, G, 'vote', [1n, true]),
  eventCase(governanceInterface, G, 'Voted', [1n, a, true]),
];

console.log(`system ABI codec vs ethers ${(await import('ethers')).version}: median µs per operation (${N} per round)`);
for (const c of cases) {
  const hand = time(c.hand);
  const ethers = time(c.ethers);
  console.log(`  ${c.what.padEnd(32)} hand ${hand.toFixed(2).padStart(8)}   ethers ${ethers.toFixed(2).padStart(8)}   ×${(ethers / hand).toFixed(0)}`);
}
