// Edges of an exported genesis' exact_state (docs/EXPORT.md "How the genesis
// loader restores it"): the seal covers every SPEC 10 field and the records,
// malformed exact_state parts are refused with the message an operator reads,
// and the records come back in ascending key order whatever the file's order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { type AppGenesis, EXACT_STATE_FORMAT, parseAppGenesis, specSeal } from '../../src/app/genesis.js';
import { paramsToJson } from '../../src/state/params.js';
import { testAddress, testPubKey } from '../support/staking-testkit.js';

const CMT = 10n ** 18n;

/**
 * The seal as specSeal's contract describes it: sha256 (hex) of the UTF-8 JSON of
 * [params, accounts, candidates, delegations, enterprise accounts, contracts, records],
 * each entry a list of its parsed values (bytes as hex, amounts as decimal strings).
 */
function documentedSeal(g: AppGenesis, records: Array<[string, Uint8Array | null]>): string {
  const h = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const text = JSON.stringify([
    paramsToJson(g.params),
    g.accounts.map((a) => [a.address, a.balance.toString(), (a.nonce ?? 0n).toString()]),
    g.candidates.map((c) => [c.address, h(c.pubKey), c.maxStake.toString(), c.selfStake.toString(), c.compRateBp, c.description, c.verified]),
    g.delegations.map((d) => [d.delegator, d.candidate, d.amount.toString()]),
    g.enterpriseAccounts,
    g.contracts.map((c) => [c.address, h(c.code), c.storage.map(([k, v]) => [h(k), h(v)]), c.balance.toString(), c.nonce.toString()]),
    records.map(([k, v]) => [k, v === null ? null : h(v)]),
  ]);
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const CAND = testAddress('exact-edges-candidate');
const DELEGATOR = testAddress('exact-edges-delegator');
const CONTRACT = testAddress('exact-edges-contract');

/** A SPEC 10 app_state with one of everything the seal covers. */
function spec(): Record<string, unknown> {
  return {
    accounts: [{ address: DELEGATOR, balance: (5n * CMT).toString(), nonce: '3' }],
    candidates: [
      {
        address: CAND,
        pub_key: Buffer.from(testPubKey('exact-edges')).toString('base64'),
        max_stake: (100_000n * CMT).toString(),
        self_stake: (10_000n * CMT).toString(),
        comp_rate_bp: 1000,
        description: { name: 'n' },
        verified: false,
      },
    ],
    delegations: [{ delegator: DELEGATOR, candidate: CAND, amount: (7n * CMT).toString() }],
    enterprise_accounts: [DELEGATOR],
    contracts: [{ address: CONTRACT, code: '0x6000', storage: { '0x01': '0x02', '0x03': '0x04' }, balance: '9', nonce: '1' }],
  };
}

/** Records in ascending key order, as ExactState documents them, and their file form in the given order. */
const RECORDS: Array<[string, Uint8Array | null]> = [
  ['g/p', null],
  ['k/abc/', new Uint8Array([0xab])],
  ['k/chain', new Uint8Array(Buffer.from('chain-x', 'utf8'))],
  ['s/supply', new Uint8Array([1, 2, 3])],
];
function fileRecords(order: Array<[string, Uint8Array | null]>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of order) out[k] = v === null ? null : `0x${Buffer.from(v).toString('hex')}`;
  return out;
}

/** An exported app_state: `spec` plus exact_state sealed over the unedited spec and `RECORDS`. */
function exported(records: Record<string, unknown> = fileRecords(RECORDS)): Record<string, unknown> {
  const s = spec();
  const seal = documentedSeal(parseAppGenesis(Buffer.from(JSON.stringify(s))), RECORDS);
  return { ...s, exact_state: { format: EXACT_STATE_FORMAT, seal, records } };
}

const parse = (state: unknown): AppGenesis => parseAppGenesis(Buffer.from(JSON.stringify(state), 'utf8'));

const SEAL_REFUSAL =
  'genesis app_state.exact_state.seal: the SPEC 10 fields (params, accounts, candidates, delegations, enterprise_accounts, contracts) ' +
  'or the exact records differ from the ones this state was exported with; ' +
  'undo the edit, or remove exact_state to start a new chain from the SPEC 10 fields alone (docs/EXPORT.md)';

function refuses(state: unknown, message: string): void {
  assert.throws(
    () => parse(state),
    (err: Error) => {
      assert.equal(err.name, 'GenesisError');
      assert.equal(err.message, message);
      return true;
    },
  );
}

describe('exported genesis seal (specSeal)', () => {
  it('is the documented digest of every SPEC 10 part, candidates, delegations and contract storage included', () => {
    const g = parse(spec());
    assert.equal(g.candidates.length, 1);
    assert.equal(g.delegations.length, 1);
    assert.equal(g.contracts[0]!.storage.length, 2);
    assert.equal(specSeal(g, RECORDS), documentedSeal(g, RECORDS));
  });

  it('a description with non-ASCII text is sealed over its UTF-8 bytes', () => {
    const s = spec();
    (s.candidates as Array<Record<string, unknown>>)[0]!.description = { name: 'Zürich ✓ 𝄞' };
    const g = parse(s);
    assert.equal(specSeal(g, RECORDS), documentedSeal(g, RECORDS));
  });

  it('loads an unedited export: records in ascending key order, staking lists kept as described', () => {
    const g = parse(exported());
    assert.deepEqual(g.exactState?.records, RECORDS);
    assert.equal(g.candidates.length, 0);
    assert.equal(g.exactState?.described.candidates[0]?.address, CAND);
  });

  it('records listed in another order load the same (sorted before sealing)', () => {
    const reversed = [...RECORDS].reverse();
    const g = parse(exported(fileRecords(reversed)));
    assert.deepEqual(g.exactState?.records, RECORDS);
    const shuffled = [RECORDS[2]!, RECORDS[0]!, RECORDS[3]!, RECORDS[1]!];
    assert.deepEqual(parse(exported(fileRecords(shuffled))).exactState?.records, RECORDS);
  });

  it("records sort in the store's UTF-8 byte order, as the exporter seals them (not UTF-16 order)", () => {
    // U+E000 is 3 UTF-8 bytes (ee 80 80) and sorts before U+10000 (f0 90 80 80); in UTF-16 code
    // units the astral character's surrogate (d800) comes first.
    const bytesOrder: Array<[string, Uint8Array | null]> = [
      ['k/x\u{E000}', new Uint8Array([1])],
      ['k/x\u{10000}', new Uint8Array([2])],
    ];
    assert.ok(Buffer.compare(Buffer.from(bytesOrder[0]![0], 'utf8'), Buffer.from(bytesOrder[1]![0], 'utf8')) < 0, 'byte order as stated');
    const s = spec();
    const seal = documentedSeal(parseAppGenesis(Buffer.from(JSON.stringify(s))), bytesOrder);
    const g = parse({ ...s, exact_state: { format: EXACT_STATE_FORMAT, seal, records: fileRecords([...bytesOrder].reverse()) } });
    assert.deepEqual(g.exactState?.records, bytesOrder);
  });

  const edits: Array<[string, (s: Record<string, unknown>) => void]> = [
    ['a candidate pub_key', (s) => ((s.candidates as Json[])[0]!.pub_key = Buffer.from(testPubKey('exact-edges-other')).toString('base64'))],
    ['a candidate max_stake', (s) => ((s.candidates as Json[])[0]!.max_stake = (100_001n * CMT).toString())],
    ['a candidate description', (s) => ((s.candidates as Json[])[0]!.description = { name: 'm' })],
    ['a candidate verified flag', (s) => ((s.candidates as Json[])[0]!.verified = true)],
    ['a delegation amount', (s) => ((s.delegations as Json[])[0]!.amount = (8n * CMT).toString())],
    ['a contract storage value', (s) => ((s.contracts as Json[])[0]!.storage = { '0x01': '0x05', '0x03': '0x04' })],
    ['a contract storage slot', (s) => ((s.contracts as Json[])[0]!.storage = { '0x01': '0x02', '0x06': '0x04' })],
    ['a contract balance', (s) => ((s.contracts as Json[])[0]!.balance = '10')],
  ];
  for (const [what, edit] of edits) {
    it(`refuses an export whose ${what} was edited`, () => {
      const state = exported();
      edit(state);
      refuses(state, SEAL_REFUSAL);
    });
  }
});

type Json = Record<string, unknown>;

describe('exact_state refusals', () => {
  const withExact = (exact: unknown): Json => ({ ...exported(), exact_state: exact });
  const withRecords = (records: Json): Json => {
    const s = exported();
    return { ...s, exact_state: { ...(s.exact_state as Json), records } };
  };

  it('exact_state must be an object', () => {
    refuses(withExact('cmtd-export/1'), 'genesis app_state.exact_state: expected an object');
  });

  it('a format other than cmtd-export/1 is refused', () => {
    const s = exported();
    refuses({ ...s, exact_state: { ...(s.exact_state as Json), format: 'cmtd-export/2' } }, `genesis app_state.exact_state.format: expected 'cmtd-export/1', got "cmtd-export/2"`);
    const { format: _drop, ...noFormat } = s.exact_state as Json;
    refuses({ ...s, exact_state: noFormat }, `genesis app_state.exact_state.format: expected 'cmtd-export/1', got undefined`);
  });

  it('records must be an object', () => {
    refuses(withRecords([] as unknown as Json), 'genesis app_state.exact_state.records: expected an object');
  });

  it('an empty key, a lone surrogate or a NUL is not a state key', () => {
    refuses(withRecords({ '': null }), 'genesis app_state.exact_state.records[""]: not a state key');
    refuses(withRecords({ 'k/\ud800': null }), 'genesis app_state.exact_state.records["k/\\ud800"]: not a state key');
    refuses(withRecords({ 'k/\u0000': null }), 'genesis app_state.exact_state.records["k/\\u0000"]: not a state key');
  });

  it('consensus keys (c/...) are refused; a key merely ending in c/ is not one', () => {
    refuses(
      withRecords({ 'c/block_max_gas': '0x01' }),
      'genesis app_state.exact_state.records["c/block_max_gas"]: consensus params come from the genesis consensus_params, not from records',
    );
    // 'k/abc/' ends with "c/" and is one of the sealed records: it loads.
    assert.deepEqual(parse(exported()).exactState?.records[1], ['k/abc/', new Uint8Array([0xab])]);
  });

  it('a value must be 0x-prefixed hex of whole bytes, or null', () => {
    const msg = 'genesis app_state.exact_state.records["s/supply"]: expected 0x-prefixed hex or null';
    for (const bad of [5, true, ['0x00'], { x: '0x00' }, '0xabc', '00', 'zz0x00', '0x00zz', '0x0g']) {
      refuses(withRecords({ 's/supply': bad }), msg);
    }
  });
});
