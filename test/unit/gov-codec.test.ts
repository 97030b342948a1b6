/**
 * The governance records byte for byte (layout in src/gov/codec.ts's header
 * and docs/GOVERNANCE.md): records built by hand with plain RLP decode to the
 * proposal they describe, encoding gives the same bytes, and every corrupt
 * field is refused naming that field. Kills the codec's StrykerJS survivors
 * (docs/TESTING.md).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';

import { STATE_KEY, decodeGovState, decodeProposal, encodeGovState, encodeProposal, proposalKey } from '../../src/gov/codec.js';
import { ProposalKind, ProposalStatus, type Proposal } from '../../src/gov/types.js';
import type { Address } from '../../src/util/address.js';

type Nested = Uint8Array | Nested[];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Minimal big-endian bytes, as RLP writes a scalar. */
const int = (n: bigint): Uint8Array => (n === 0n ? new Uint8Array(0) : Buffer.from(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'), 'hex'));
const P = `0x${'11'.repeat(20)}` as Address;
const V1 = `0x${'0a'.repeat(20)}` as Address;
const V2 = `0x${'f0'.repeat(20)}` as Address;
const raw = (a: Address): Uint8Array => Buffer.from(a.slice(2), 'hex');

/** The 14 fields of a closed param-change proposal, laid out as the record's documentation says. */
function paramFields(): Nested[] {
  return [
    int(7n),
    int(0n), // kind: param change
    int(1n), // status: passed
    raw(P),
    utf8('lower the fee ✓'),
    int(300n),
    int(1_700_000_000n),
    int(1_700_604_800n),
    int(305n),
    int(1_700_000_050n),
    utf8('passed: yes 2 of 3'),
    [int(20n), int(0n), int(30n)],
    [
      [raw(V1), int(1n)],
      [raw(V2), int(0n)],
    ],
    [utf8('min_gas_price'), utf8('1000000000')],
  ];
}

const paramProposal: Proposal = {
  id: 7n,
  kind: ProposalKind.ParamChange,
  status: ProposalStatus.Passed,
  proposer: P,
  reason: 'lower the fee ✓',
  createdHeight: 300n,
  createdTime: 1_700_000_000n,
  expiresAt: 1_700_604_800n,
  closedHeight: 305n,
  closedTime: 1_700_000_050n,
  outcome: 'passed: yes 2 of 3',
  finalTally: { yes: 20n, no: 0n, total: 30n },
  votes: [
    { voter: V1, yes: true },
    { voter: V2, yes: false },
  ],
  param: { name: 'min_gas_price', value: '1000000000' },
  transfer: null,
};

function transferFields(): Nested[] {
  const f = paramFields();
  f[1] = int(1n);
  f[2] = int(3n); // expired
  f[13] = [raw(V1), raw(V2), int(5n * 10n ** 18n)];
  return f;
}

const transferProposal: Proposal = {
  ...paramProposal,
  kind: ProposalKind.TransferFund,
  status: ProposalStatus.Expired,
  param: null,
  transfer: { from: V1, to: V2, amount: 5n * 10n ** 18n },
};

function corrupt(fields: Nested[], message: string): void {
  assert.throws(() => decodeProposal(RLP.encode(fields)), { message: `corrupt governance record: ${message}` });
}

describe('governance records', () => {
  it('keys: g/state and g/p/<16 hex digits of the id>', () => {
    assert.equal(STATE_KEY, 'g/state');
    assert.equal(proposalKey(0n), 'g/p/0000000000000000');
    assert.equal(proposalKey(0x1abn), 'g/p/00000000000001ab');
    assert.equal(proposalKey(2n ** 64n - 1n), 'g/p/ffffffffffffffff');
    assert.throws(() => proposalKey(2n ** 64n), { message: `proposal id out of range: ${2n ** 64n}` });
    assert.throws(() => proposalKey(-1n), { message: 'proposal id out of range: -1' });
  });

  it('the state record: RLP [nextId, held, [open ids]]; absent means nothing proposed yet', () => {
    assert.deepEqual(decodeGovState(undefined), { nextId: 1n, held: 0n, open: [] });
    const state = { nextId: 9n, held: 300n, open: [2n, 5n, 8n] };
    const bytes = RLP.encode([int(9n), int(300n), [int(2n), int(5n), int(8n)]]);
    assert.equal(hex(encodeGovState(state)), hex(bytes));
    assert.deepEqual(decodeGovState(bytes), state);
    assert.deepEqual(decodeGovState(RLP.encode([int(1n), int(0n), []])), { nextId: 1n, held: 0n, open: [] });
    assert.throws(() => decodeGovState(RLP.encode([int(1n), int(0n)])), { message: 'corrupt governance record: state' });
    assert.throws(() => decodeGovState(RLP.encode([int(1n), int(0n), [], []])), { message: 'corrupt governance record: state' });
    assert.throws(() => decodeGovState(RLP.encode(int(5n))), { message: 'corrupt governance record: state is not a list' });
    assert.throws(() => decodeGovState(RLP.encode([[], int(0n), []])), { message: 'corrupt governance record: nextId is not a byte string' });
    assert.throws(() => decodeGovState(RLP.encode([int(1n), [], []])), { message: 'corrupt governance record: held is not a byte string' });
    assert.throws(() => decodeGovState(RLP.encode([int(1n), int(0n), int(3n)])), { message: 'corrupt governance record: open is not a list' });
    assert.throws(() => decodeGovState(RLP.encode([int(1n), int(0n), [[]]])), { message: 'corrupt governance record: open id is not a byte string' });
  });

  it('a param-change proposal: the documented layout, both ways', () => {
    const bytes = RLP.encode(paramFields());
    assert.deepEqual(decodeProposal(bytes), paramProposal);
    assert.equal(hex(encodeProposal(paramProposal)), hex(bytes));
  });

  it('a transfer-fund proposal: payload [from, to, amount], both ways', () => {
    const bytes = RLP.encode(transferFields());
    assert.deepEqual(decodeProposal(bytes), transferProposal);
    assert.equal(hex(encodeProposal(transferProposal)), hex(bytes));
  });

  it('a proposal without its payload cannot be encoded', () => {
    assert.throws(() => encodeProposal({ ...paramProposal, param: null }), { message: 'param change proposal without payload' });
    assert.throws(() => encodeProposal({ ...transferProposal, transfer: null }), { message: 'transfer fund proposal without payload' });
  });

  it('every corrupt field is refused, naming it', () => {
    assert.throws(() => decodeProposal(RLP.encode(int(1n))), { message: 'corrupt governance record: proposal is not a list' });
    corrupt(paramFields().slice(0, 13), 'proposal');
    corrupt([...paramFields(), int(0n)], 'proposal');
    const names = ['id', 'kind', 'status', 'proposer', 'reason', 'createdHeight', 'createdTime', 'expiresAt', 'closedHeight', 'closedTime', 'outcome'];
    for (const [i, name] of names.entries()) {
      const f = paramFields();
      f[i] = [];
      corrupt(f, `${name} is not a byte string`);
    }
    const withField = (i: number, value: Nested, make = paramFields): Nested[] => {
      const f = make();
      f[i] = value;
      return f;
    };
    corrupt(withField(1, int(2n)), 'kind');
    corrupt(withField(1, int(256n)), 'kind out of range');
    corrupt(withField(2, int(256n)), 'status out of range');
    corrupt(withField(2, int(4n)), 'status');
    assert.equal(decodeProposal(RLP.encode(withField(2, int(3n)))).status, ProposalStatus.Expired);
    assert.equal(decodeProposal(RLP.encode(withField(2, int(0n)))).status, ProposalStatus.Open);
    corrupt(withField(11, int(1n)), 'tally is not a list');
    corrupt(withField(11, [int(1n), int(2n)]), 'tally');
    corrupt(withField(11, [int(1n), int(2n), int(3n), int(4n)]), 'tally');
    corrupt(withField(11, [[], int(2n), int(3n)]), 'yes is not a byte string');
    corrupt(withField(11, [int(1n), [], int(3n)]), 'no is not a byte string');
    corrupt(withField(11, [int(1n), int(2n), []]), 'total is not a byte string');
    corrupt(withField(12, int(1n)), 'votes is not a list');
    corrupt(withField(12, [int(1n)]), 'vote is not a list');
    corrupt(withField(12, [[raw(V1)]]), 'vote');
    corrupt(withField(12, [[raw(V1), int(1n), int(1n)]]), 'vote');
    corrupt(withField(12, [[[], int(1n)]]), 'voter is not a byte string');
    corrupt(withField(12, [[raw(V1), []]]), 'vote is not a byte string');
    corrupt(withField(13, int(1n)), 'payload is not a list');
    corrupt(withField(13, [utf8('x')]), 'param payload');
    corrupt(withField(13, [utf8('x'), utf8('y'), utf8('z')]), 'param payload');
    corrupt(withField(13, [[], utf8('y')]), 'name is not a byte string');
    corrupt(withField(13, [utf8('x'), []]), 'value is not a byte string');
    corrupt(withField(13, [raw(V1), raw(V2)], transferFields), 'transfer payload');
    corrupt(withField(13, [raw(V1), raw(V2), int(1n), int(1n)], transferFields), 'transfer payload');
    corrupt(withField(13, [[], raw(V2), int(1n)], transferFields), 'from is not a byte string');
    corrupt(withField(13, [raw(V1), [], int(1n)], transferFields), 'to is not a byte string');
    corrupt(withField(13, [raw(V1), raw(V2), []], transferFields), 'amount is not a byte string');
    // Text must be valid UTF-8; a leading U+FEFF is kept as text.
    assert.throws(() => decodeProposal(RLP.encode(withField(4, Uint8Array.of(0xff)))), TypeError);
    assert.equal(decodeProposal(RLP.encode(withField(4, utf8('\uFEFFwhy')))).reason, '\uFEFFwhy');
    // A vote byte other than 1 is a no.
    assert.equal(decodeProposal(RLP.encode(withField(12, [[raw(V1), int(2n)]]))).votes[0]!.yes, false);
  });
});
