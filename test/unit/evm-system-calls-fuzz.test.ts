/**
 * Fuzz target of issue 8.3: random ABI calls, valid and garbage, with and
 * without value, from EOAs and from contracts (CALL, STATICCALL,
 * DELEGATECALL, CALLCODE, and calls in frames that revert) to the staking
 * and governance addresses, through the whole app. After every block the
 * supply identity holds and the system addresses hold no CMT. The seed is
 * fixed and printed, so a failure replays; set CMTD_FUZZ_SEED to try another.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Interface, type FunctionFragment } from 'ethers';
import { governanceInterface } from '../../src/gov/index.js';
import { STAKING_INTERFACE } from '../../src/staking/index.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../../src/system/types.js';
import { AppNode, Account, CMT } from '../support/app-node.js';
import { systemCallContract } from '../support/system-calls.js';

const SEED = Number(process.env.CMTD_FUZZ_SEED ?? 8_003);
const eoas = [0, 1, 2, 3].map((i) => Account.fromSeed(`fuzz-eoa-${i}`));
const candidate = eoas[0]!;

const appState = {
  params: { max_validators: 3, backup_validators: 1, unstake_waiting_period_s: '20' },
  accounts: eoas.map((a) => ({ address: a.address, balance: (1_000_000n * CMT).toString() })),
  candidates: [
    {
      address: candidate.address,
      pub_key: Buffer.alloc(32, 9).toString('base64'),
      max_stake: (1_000_000n * CMT).toString(),
      self_stake: (100_000n * CMT).toString(),
      comp_rate_bp: 1000,
      description: { name: 'fuzz' },
    },
  ],
};

const relay = systemCallContract('Relay');
const relayIface = new Interface(relay.abi);

/** Arguments for one ABI parameter type, biased to values the ledgers accept. */
function argFor(type: string, addresses: string[]): fc.Arbitrary<unknown> | undefined {
  if (type === 'address') return fc.constantFrom(...addresses);
  if (type === 'bool') return fc.boolean();
  if (type === 'string') return fc.string({ maxLength: 40 });
  if (type === 'bytes') return fc.uint8Array({ maxLength: 80 }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
  if (type === 'bytes32') return fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
  const uint = /^uint(\d+)$/.exec(type);
  if (uint !== null) {
    const max = (1n << BigInt(uint[1]!)) - 1n;
    return fc.oneof(fc.constantFrom(...[0n, 1n, 1_000n * CMT, 2_000n * CMT, max].filter((v) => v <= max)), fc.bigInt({ min: 0n, max }));
  }
  return undefined;
}

/** Calldata for a random function of `iface`, or undefined when a parameter type has no generator. */
function validCall(iface: Interface, addresses: string[]): fc.Arbitrary<string> {
  const fragments: FunctionFragment[] = [];
  iface.forEachFunction((f) => {
    if (f.inputs.every((p) => argFor(p.type, addresses) !== undefined)) fragments.push(f);
  });
  return fc.constantFrom(...fragments).chain((f) => fc.tuple(...f.inputs.map((p) => argFor(p.type, addresses)!)).map((args) => iface.encodeFunctionData(f, args)));
}

const calldata = (addresses: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: validCall(STAKING_INTERFACE, addresses) },
    { weight: 2, arbitrary: validCall(governanceInterface, addresses) },
    // Garbage: random bytes, or a valid call cut short or with bytes appended.
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 70 }).map((b) => `0x${Buffer.from(b).toString('hex')}`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validCall(STAKING_INTERFACE, addresses), fc.nat(40), fc.boolean())
        .map(([d, n, cut]) => (cut ? d.slice(0, Math.max(2, d.length - 2 * n)) : d + 'ff'.repeat(n))),
    },
  );

interface Op {
  from: number;
  via: 'eoa' | 'call' | 'staticcall' | 'delegatecall' | 'callcode' | 'revert';
  to: 'staking' | 'governance';
  value: bigint;
  data: string;
}

describe('fuzz: random calls to the system addresses', () => {
  const node = new AppNode();
  const relays: `0x${string}`[] = [];
  before(async () => {
    await node.open(appState);
    const txs: Uint8Array[] = [];
    for (const a of eoas.slice(1)) {
      relays.push(a.nextContract());
      txs.push(await a.sign({ to: null, data: relay.bytecode, value: 50_000n * CMT }));
    }
    const block = await node.block(txs);
    for (const r of block.results) assert.equal(r.code, 0, r.log);
  });
  after(() => node.close());

  it(`keeps the supply identity and the system addresses empty (seed ${SEED})`, async () => {
    const addresses = [candidate.address, ...eoas.map((a) => a.address), ...relays, STAKING_ADDRESS, GOVERNANCE_ADDRESS];
    const op: fc.Arbitrary<Op> = fc.record({
      from: fc.integer({ min: 1, max: 3 }),
      via: fc.constantFrom('eoa', 'call', 'staticcall', 'delegatecall', 'callcode', 'revert'),
      to: fc.constantFrom('staking', 'governance'),
      value: fc.oneof(fc.constant(0n), fc.constantFrom(1n, 1_000n * CMT, 3_000n * CMT), fc.bigInt({ min: 0n, max: 20_000n * CMT })),
      data: calldata(addresses),
    });
    let calls = 0;
    let succeeded = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 6 }), async (ops) => {
        const txs: Uint8Array[] = [];
        for (const o of ops) {
          const sender = eoas[o.from]!;
          const target = o.to === 'staking' ? STAKING_ADDRESS : GOVERNANCE_ADDRESS;
          if (o.via === 'eoa') {
            txs.push(await sender.sign({ to: target, data: o.data, value: o.value, gasLimit: 400_000n }));
            continue;
          }
          const data =
            o.via === 'revert'
              ? relayIface.encodeFunctionData('relayThenRevert', [target, o.value, o.data])
              : relayIface.encodeFunctionData('relay', [target, o.value, o.data, ['call', 'staticcall', 'delegatecall', 'callcode'].indexOf(o.via)]);
          txs.push(await sender.sign({ to: relays[o.from - 1]!, data, value: o.value, gasLimit: 1_000_000n }));
        }
        const block = await node.block(txs);
        calls += txs.length;
        succeeded += block.results.filter((r) => r.code === 0).length;
        // An exception inside a system frame would surface as a full-gas "EVM error" revert: none may happen.
        for (const r of block.results) assert.doesNotMatch(r.log ?? '', /EVM error/);
        await node.assertConservation([...eoas.map((a) => a.address), ...relays]);
      }),
      { numRuns: 40, seed: SEED, endOnFailure: true },
    );
    console.log(`fuzz seed ${SEED}: ${calls} transactions, ${succeeded} succeeded`);
    assert.ok(succeeded > 0 && succeeded < calls, 'both accepted and refused calls were exercised');
  });
});
