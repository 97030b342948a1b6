/**
 * The system-contract dispatcher and its ABI codec (src/system/):
 * - the hand codec agrees with ethers on everything well-formed: decoding
 *   every function's arguments, encoding every event and every return value
 *   of IStaking and IGovernance (random values);
 * - it refuses what Solidity refuses, with stable messages (no library
 *   version in revert data), and ignores trailing bytes as Solidity does;
 * - a table that disagrees with its ABI is refused when it is built;
 * - fuzz: random calldata never throws anything but a SystemCallError out
 *   of gasCost / call / view, of either contract;
 * - through the whole app, calldata that used to throw a non-refusal error
 *   out of the contract (and so out of FinalizeBlock) is a clean revert.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getBytes, hexlify, Interface, type ParamType } from 'ethers';
import { Overlay } from '../../src/store/kv.js';
import { CMT, DEFAULT_PARAMS } from '../../src/state/params.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { decodeArguments, encodeEventLog, encodeResult, eventEncoder, AbiDecodeError, type AbiEntry, type AbiParam, type AbiValue, type ArgType } from '../../src/system/abi.js';
import { SystemContractDefinition, systemFunctions } from '../../src/system/dispatcher.js';
import { decodeRevertReason, encodeRevertReason } from '../../src/system/revert.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS, SystemCallError, type SystemCallContext } from '../../src/system/types.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { StakingContract, STAKING_INTERFACE } from '../../src/staking/contract.js';
import { GOVERNANCE_ABI, governanceInterface } from '../../src/gov/abi.js';
import { GovernanceContract } from '../../src/gov/contract.js';
import { newTestChain, sendStakingTx, testAddress, testPop, testPubKey } from '../support/staking-testkit.js';
import { AppNode, Account } from '../support/app-node.js';

const INTERFACES: Array<[string, Interface, readonly AbiEntry[]]> = [
  ['IStaking', STAKING_INTERFACE, STAKING_ABI as readonly AbiEntry[]],
  ['IGovernance', governanceInterface, GOVERNANCE_ABI as readonly AbiEntry[]],
];

const ADDRESSES = [testAddress(1), testAddress(2), '0x0000000000000000000000000000000000001000', '0x0000000000000000000000000000000000000000'];

/** Random values of an ABI type, in the form both encoders take (tuples as objects by field name). */
function arbitraryOf(p: AbiParam): fc.Arbitrary<AbiValue> {
  if (p.type.endsWith('[]')) return fc.array(arbitraryOf({ ...p, type: p.type.slice(0, -2) }), { maxLength: 3 });
  if (p.type === 'tuple') {
    const fields = p.components ?? [];
    return fc.tuple(...fields.map(arbitraryOf)).map((vs) => Object.fromEntries(fields.map((f, i) => [f.name, vs[i]!])));
  }
  if (p.type === 'address') return fc.constantFrom(...ADDRESSES);
  if (p.type === 'bool') return fc.boolean();
  if (p.type === 'string') return fc.string({ unit: 'grapheme', maxLength: 40 });
  if (p.type === 'bytes') return fc.uint8Array({ maxLength: 70 });
  if (p.type === 'bytes32') return fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
  const bits = BigInt(/^uint(\d+)$/.exec(p.type)![1]!);
  return fc.oneof(fc.constantFrom(0n, 1n, (1n << bits) - 1n), fc.bigInt({ min: 0n, max: (1n << bits) - 1n }));
}

/** ethers' decoded value in the codec's form (addresses lower-case, bytes as Uint8Array). */
function normalised(type: string, v: unknown): unknown {
  if (type === 'address') return (v as string).toLowerCase();
  if (type === 'bytes') return getBytes(v as string);
  return v;
}

const body = (hex: string): Uint8Array => getBytes(hex).subarray(4);

describe('system ABI codec = ethers on well-formed data', () => {
  for (const [name, iface, abi] of INTERFACES) {
    it(`${name}: decodes every function's arguments as ethers does`, () => {
      for (const entry of abi.filter((e) => e.type === 'function')) {
        const inputs = entry.inputs ?? [];
        fc.assert(
          fc.property(fc.tuple(...inputs.map(arbitraryOf)), (args) => {
            const data = iface.encodeFunctionData(entry.name!, args);
            const ours = decodeArguments(
              entry.name!,
              inputs.map((p) => p.type as ArgType),
              body(data),
            );
            const theirs = [...iface.decodeFunctionData(entry.name!, data)].map((v, i) => normalised(inputs[i]!.type, v));
            assert.deepEqual(ours, theirs);
          }),
          { numRuns: 40, seed: 12 },
        );
      }
    });

    it(`${name}: encodes every event and return value as ethers does`, () => {
      for (const entry of abi) {
        if (entry.type === 'event') {
          const encoder = eventEncoder(entry);
          fc.assert(
            fc.property(fc.tuple(...(entry.inputs ?? []).map(arbitraryOf)), (values) => {
              const ours = encodeEventLog(STAKING_ADDRESS, encoder, values);
              const theirs = iface.encodeEventLog(entry.name!, values);
              assert.deepEqual(
                ours.topics.map((t) => hexlify(t)),
                theirs.topics,
              );
              assert.equal(hexlify(ours.data), theirs.data);
            }),
            { numRuns: 40, seed: 13 },
          );
        }
        if (entry.type === 'function') {
          fc.assert(
            fc.property(fc.tuple(...(entry.outputs ?? []).map(arbitraryOf)), (values) => {
              assert.equal(hexlify(encodeResult(entry.outputs ?? [], values)), iface.encodeFunctionResult(entry.name!, values));
            }),
            { numRuns: 25, seed: 14 },
          );
        }
      }
    });
  }
});

describe('system ABI codec: strict decoding', () => {
  const fail = (inputs: ArgType[], data: string, message: string): void => {
    assert.throws(
      () => decodeArguments('f', inputs, body(data)),
      (e: unknown) => e instanceof AbiDecodeError && e.detail === message,
    );
  };
  const word = (hex: string): string => hex.padStart(64, '0');
  const sel = '0x12345678';

  it('refuses dirty addresses, bools other than 0/1, integers out of range, short heads', () => {
    fail(['address'], `${sel}01${'0'.repeat(22)}${'11'.repeat(20)}`, 'f argument 0: not an address');
    fail(['uint256', 'bool'], `${sel}${word('1')}${word('2')}`, 'f argument 1: not a bool');
    fail(['uint16'], `${sel}${word('10000')}`, 'f argument 0: out of range for uint16');
    fail(['uint64'], `${sel}${word('1'.padEnd(17, '0'))}`, 'f argument 0: out of range for uint64');
    fail(['uint256', 'uint256'], `${sel}${word('1')}`, 'f: calldata too short');
  });

  it('refuses strings and bytes outside the calldata, and invalid UTF-8', () => {
    fail(['string'], `${sel}${word('40')}`, 'f: string offset out of bounds');
    fail(['bytes'], `${sel}${word('20')}${word('21')}${'00'.repeat(32)}`, 'f: bytes runs past the calldata');
    fail(['string'], `${sel}${word('20')}${word('2')}${'c328'.padEnd(64, '0')}`, 'f: string is not valid UTF-8');
    // An offset that does not fit a safe integer is out of bounds, not a crash.
    fail(['string'], `${sel}${'ff'.repeat(32)}`, 'f: string offset out of bounds');
  });

  it('accepts what Solidity accepts: trailing bytes, an unpadded last string, a leading U+FEFF', () => {
    const call = governanceInterface.encodeFunctionData('vote', [3n, true]);
    assert.deepEqual(decodeArguments('vote', ['uint256', 'bool'], body(`${call}ffff`)), [3n, true]);
    // "ab" with its length, no padding after it
    assert.deepEqual(decodeArguments('f', ['string'], body(`${sel}${word('20')}${word('2')}6162`)), ['ab']);
    const bom = STAKING_INTERFACE.encodeFunctionData('updateCandidacy', [1n, 2, '\uFEFF{}']);
    assert.equal((decodeArguments('updateCandidacy', ['uint256', 'uint16', 'string'], body(bom))[2] as string).codePointAt(0), 0xfeff);
  });
});

describe('system contract tables', () => {
  const fn = systemFunctions<null>();
  const abi: AbiEntry[] = [{ type: 'function', name: 'ping', stateMutability: 'view', inputs: [{ name: 'x', type: 'uint256' }], outputs: [{ name: '', type: 'bool' }] }];
  const wording = {
    refuse: (reason: string, text: string) => new SystemCallError(text, reason),
    noSelector: { reason: 'bad_calldata', text: 'short' },
    unknownSelector: (s: string) => s,
    badArguments: (_f: string, d: string) => d,
    notPayable: (f: string) => f,
    notView: (f: string) => f,
  };
  const define = (functions: Record<string, ReturnType<typeof fn>>) =>
    new SystemContractDefinition<null>({ address: STAKING_ADDRESS, abi, functions, wording, refusalOf: () => undefined });

  it('must match the ABI: same functions, argument types and mutability', () => {
    assert.doesNotThrow(() => define({ ping: fn({ inputs: ['uint256'], gas: 1n, view: () => [true] }) }));
    assert.throws(() => define({}), /ping has no table entry/);
    assert.throws(() => define({ ping: fn({ inputs: ['address'], gas: 1n, view: () => [true] }) }), /takes \(uint256\) in the ABI, \(address\) in the table/);
    assert.throws(() => define({ ping: fn({ inputs: ['uint256'], gas: 1n, payable: false, call: () => ({ events: [] }) }) }), /view in the ABI, nonpayable in the table/);
    assert.throws(() => define({ ping: fn({ inputs: ['uint256'], gas: 1n, view: () => [true] }), pong: fn({ inputs: [], gas: 1n, view: () => [] }) }), /pong is not in the ABI/);
  });
});

describe('revert reasons', () => {
  it('encodes Error(string) as Solidity does and decodes it back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
        const data = encodeRevertReason(text);
        assert.equal(hexlify(data), new Interface(['error Error(string)']).encodeErrorResult('Error', [text]));
        assert.equal(decodeRevertReason(data), text);
      }),
      { numRuns: 100, seed: 15 },
    );
  });
});

describe('fuzz: random calldata through the dispatcher', () => {
  const foundation = testAddress('fz-foundation');
  const candidates = [0, 1, 2].map((i) => testAddress(`fz-cand-${i}`));
  const users = [foundation, ...candidates, testAddress('fz-user')];
  const chain = newTestChain(
    { ...DEFAULT_PARAMS, foundation_address: foundation, proposal_period_s: 1_000n },
    users.map((a) => [a, 10_000_000n * CMT] as [Address, bigint]),
  );
  for (let i = 0; i < 3; i++) {
    const pk = hexlify(testPubKey(`fz-${i}`));
    const r = sendStakingTx(chain.kv, { sender: candidates[i]!, value: 100_000n * CMT, height: 1n, time: 1n }, 'declareCandidacy', [
      pk,
      testPop(`fz-${i}`, candidates[i]!),
      1_000_000n * CMT,
      1000,
      '{"name":"fz"}',
    ]);
    assert.ok(r.ok);
  }
  chain.ledger.endBlock({ height: 1n, time: 1n });

  const argFor = (type: string): fc.Arbitrary<unknown> => {
    if (type === 'address') return fc.constantFrom(...users);
    if (type === 'bool') return fc.boolean();
    if (type === 'string') return fc.oneof(fc.constantFrom('max_validators', '5', '{"name":"x"}', ''), fc.string({ maxLength: 20 }));
    if (type === 'bytes') return fc.uint8Array({ maxLength: 70 });
    if (type === 'bytes32') return fc.uint8Array({ minLength: 32, maxLength: 32 });
    const bits = BigInt(/^uint(\d+)$/.exec(type)![1]!);
    const max = (1n << bits) - 1n;
    return fc.oneof(fc.constantFrom(...[0n, 1n, 2n, 500n, 1_000n * CMT].filter((v) => v <= max)), fc.bigInt({ min: 0n, max }));
  };
  const validCall = (iface: Interface): fc.Arbitrary<Uint8Array> => {
    const fns: Array<{ name: string; inputs: readonly ParamType[] }> = [];
    iface.forEachFunction((f) => fns.push(f));
    return fc.constantFrom(...fns).chain((f) => fc.tuple(...f.inputs.map((p) => argFor(p.type))).map((args) => getBytes(iface.encodeFunctionData(f.name, args))));
  };
  /** A valid call with one byte changed, words dirtied, cut short or extended. */
  const mutated = (iface: Interface): fc.Arbitrary<Uint8Array> =>
    fc.tuple(validCall(iface), fc.nat(400), fc.nat(255), fc.nat(64), fc.constantFrom('byte', 'word', 'cut', 'append')).map(([data, at, b, n, how]) => {
      const out = new Uint8Array(data);
      if (how === 'cut') return out.subarray(0, Math.max(0, out.length - n));
      if (how === 'append') return new Uint8Array([...out, ...new Uint8Array(n).fill(b)]);
      if (out.length <= 4) return out;
      const i = 4 + (at % (out.length - 4));
      out[how === 'word' ? i - ((i - 4) % 32) : i] = b;
      return out;
    });
  const calldata = (iface: Interface): fc.Arbitrary<Uint8Array> =>
    fc.oneof({ weight: 2, arbitrary: validCall(iface) }, { weight: 3, arbitrary: mutated(iface) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }) });

  const op = fc
    .record({
      to: fc.constantFrom('staking', 'governance'),
      sender: fc.constantFrom(...users),
      value: fc.constantFrom(0n, 0n, 1n, 1_000n * CMT),
      how: fc.constantFrom('call', 'view', 'gas'),
    })
    .chain((o) => calldata(o.to === 'staking' ? STAKING_INTERFACE : governanceInterface).map((data) => ({ ...o, data })));

  it('never throws anything but a SystemCallError with a reason code and a message', () => {
    const reasons = new Map<string, number>();
    let ok = 0;
    fc.assert(
      fc.property(op, (o) => {
        const scratch = new Overlay(chain.kv);
        const contract = o.to === 'staking' ? StakingContract.over(scratch) : GovernanceContract.over(scratch, chain.ledger);
        const ctx: SystemCallContext = { sender: o.sender, value: o.value, height: 2n, time: 10n, txHash: new Uint8Array(32) };
        try {
          if (o.how === 'gas') assert.ok(contract.gasCost(o.data) > 0n);
          else if (o.how === 'view') contract.view(o.data);
          else {
            new Accounts(scratch).debit(o.sender, o.value);
            contract.call(ctx, o.data);
          }
          ok++;
        } catch (e) {
          assert.ok(e instanceof SystemCallError, `not a refusal: ${String(e)}`);
          assert.match(e.reason, /^[a-z_]+$/);
          assert.ok(e.message.length > 0);
          reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
        }
      }),
      { numRuns: 3_000, seed: Number(process.env.CMTD_FUZZ_SEED ?? 1_204) },
    );
    // Both outcomes, and the decoder's own refusals, were exercised.
    assert.ok(ok > 100, `${ok} calls succeeded`);
    for (const reason of ['bad_calldata', 'unknown_function', 'not_payable', 'not_view']) assert.ok((reasons.get(reason) ?? 0) > 0, `${reason} seen`);
  });
});

describe('malformed system calls in a block (in-process app)', () => {
  const node = new AppNode();
  const user = Account.fromSeed('dispatch-user');
  const validator = Account.fromSeed('dispatch-validator');
  const appState = {
    params: { max_validators: 3, backup_validators: 1 },
    accounts: [user, validator].map((a) => ({ address: a.address, balance: (1_000_000n * CMT).toString() })),
    candidates: [
      {
        address: validator.address,
        pub_key: Buffer.alloc(32, 5).toString('base64'),
        max_stake: (1_000_000n * CMT).toString(),
        self_stake: (100_000n * CMT).toString(),
        comp_rate_bp: 1000,
        description: { name: 'v' },
      },
    ],
  };
  before(() => node.open(appState));
  after(() => node.close());

  it('reverts them with bad_calldata, charges gas, changes nothing else, and the chain goes on', async () => {
    const getCandidate = getBytes(STAKING_INTERFACE.encodeFunctionData('getCandidate', [validator.address]));
    getCandidate[4] = 0xff; // dirty high byte of the address (ethers used to throw a deferred error here)
    const vote = getBytes(governanceInterface.encodeFunctionData('vote', [1n, true]));
    vote[vote.length - 1] = 2; // bool word 2
    // proposeParamChange whose first string length does not fit a safe integer (another deferred ethers error)
    const propose = getBytes(governanceInterface.encodeFunctionData('proposeParamChange', ['a', 'b', 'c']));
    propose.fill(0xff, 4 + 96, 4 + 128);
    await node.block([]); // balances are read from committed state
    const balance = await node.balance(user.address);
    const sent = [
      { to: STAKING_ADDRESS, data: getCandidate, from: user },
      { to: GOVERNANCE_ADDRESS, data: vote, from: validator },
      { to: GOVERNANCE_ADDRESS, data: propose, from: validator },
    ];
    const txs = await Promise.all(sent.map((s) => s.from.sign({ to: s.to, data: hexlify(s.data), gasLimit: 200_000n })));
    const block = await node.block(txs);
    const expected = [
      'bad_calldata: getCandidate argument 0: not an address',
      'malformed arguments for vote: vote argument 1: not a bool',
      'malformed arguments for proposeParamChange: proposeParamChange: string runs past the calldata',
    ];
    block.receipts.forEach((r, i) => {
      assert.equal(r.status, 0, block.results[i]!.log);
      assert.equal(decodeRevertReason(r.returnData), expected[i]!);
      assert.deepEqual(r.logs, []);
    });
    const fee = block.receipts[0]!.gasUsed * 2n * 10n ** 9n;
    assert.equal(await node.balance(user.address), balance - fee);
    const next = await node.block([]);
    assert.equal(next.results.length, 0);
    assert.equal((await node.json<unknown[]>('/proposals')).length, 0);
  });
});
