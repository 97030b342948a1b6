/**
 * Edges of the staking part of genesis (SPEC 10, src/staking/genesis.ts):
 * parseStakingGenesis turns the `candidates`, `delegations` and
 * `enterprise_accounts` lists into typed records, filling the documented
 * defaults, and refuses a malformed entry with `genesis <json path>: <why>`,
 * so the messages are asserted exactly. canonicalJson is the one canonical
 * text of a JSON value (keys sorted at every level), which genesis
 * descriptions are stored as (docs/STAKING.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, parseStakingGenesis } from '../../src/staking/genesis.js';

const CMT = 10n ** 18n;
/** A mixed-case address; addresses are stored lower-case (util/address). */
const MIXED = `0x${'aB'.repeat(20)}`;
const MIXED_LOWER = `0x${'ab'.repeat(20)}`;
const A1 = `0x${'11'.repeat(20)}`;
const A2 = `0x${'22'.repeat(20)}`;
const KEY = new Uint8Array(32).fill(7);
const KEY_B64 = Buffer.from(KEY).toString('base64');

/** The least candidate entry SPEC 10 needs: address, key and max stake. */
function cand(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { address: A1, pub_key: KEY_B64, max_stake: '1000', ...extra };
}

/** Asserts that parsing `appState` is refused with exactly `message`. */
function refused(appState: unknown, message: string): void {
  assert.throws(
    () => parseStakingGenesis(appState),
    (err: unknown) => {
      assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
      assert.equal((err as Error).message, message);
      return true;
    },
  );
}

const EMPTY = { candidates: [], delegations: [], enterpriseAccounts: [] };

describe('parseStakingGenesis: values', () => {
  it('parses a full candidate, a delegation and an enterprise account into typed records', () => {
    const g = parseStakingGenesis({
      candidates: [
        {
          address: MIXED,
          pub_key: KEY_B64,
          max_stake: (1_000_000n * CMT).toString(),
          self_stake: (100_000n * CMT + 3n).toString(),
          comp_rate_bp: 1234,
          description: '{"name":"as given"}',
          verified: false,
        },
      ],
      delegations: [{ delegator: A2, candidate: MIXED, amount: (500_000n * CMT + 1n).toString() }],
      enterprise_accounts: [MIXED],
    });
    assert.deepEqual(g, {
      candidates: [
        {
          address: MIXED_LOWER,
          pubKey: KEY,
          maxStake: 1_000_000n * CMT,
          selfStake: 100_000n * CMT + 3n,
          compRateBp: 1234,
          description: '{"name":"as given"}',
          verified: false,
        },
      ],
      delegations: [{ delegator: A2, candidate: MIXED_LOWER, amount: 500_000n * CMT + 1n }],
      enterpriseAccounts: [MIXED_LOWER],
    });
  });

  it('a candidate gives only what it must: self_stake 0, comp_rate_bp 0, description {}, not verified', () => {
    const [c] = parseStakingGenesis({ candidates: [cand()] }).candidates;
    assert.ok(c !== undefined, 'one candidate parsed');
    assert.equal(c.selfStake, 0n);
    assert.equal(c.compRateBp, 0);
    assert.equal(c.description, '{}');
    assert.equal(c.verified, false);
    assert.equal(parseStakingGenesis({ candidates: [cand({ verified: true })] }).candidates[0]?.verified, true);
  });

  it('a description object is stored as canonical JSON (sorted keys at every level, arrays in order)', () => {
    const description = { website: 'w', name: 'n', links: ['b', 'a'], contact: null, setup: { z: 1, a: [{ y: 2, x: 1 }] } };
    const [c] = parseStakingGenesis({ candidates: [cand({ description })] }).candidates;
    assert.equal(c?.description, '{"contact":null,"links":["b","a"],"name":"n","setup":{"a":[{"x":1,"y":2}],"z":1},"website":"w"}');
  });

  it('absent or null lists, and an absent or null app_state, are empty', () => {
    assert.deepEqual(parseStakingGenesis(undefined), EMPTY);
    assert.deepEqual(parseStakingGenesis(null), EMPTY);
    assert.deepEqual(parseStakingGenesis({}), EMPTY);
    assert.deepEqual(parseStakingGenesis({ candidates: null, delegations: null, enterprise_accounts: null }), EMPTY);
  });

  it('an amount may be a JSON number when it is a safe integer', () => {
    const [c] = parseStakingGenesis({ candidates: [cand({ max_stake: 5000, self_stake: Number.MAX_SAFE_INTEGER })] }).candidates;
    assert.equal(c?.maxStake, 5000n);
    assert.equal(c?.selfStake, 2n ** 53n - 1n);
  });
});

describe('parseStakingGenesis: refusals name the JSON path', () => {
  it('app_state, a list entry or a record that is not an object', () => {
    refused([], 'genesis app_state: expected an object');
    refused(5, 'genesis app_state: expected an object');
    refused('x', 'genesis app_state: expected an object');
    refused({ candidates: [null] }, 'genesis candidates[0]: expected an object');
    refused({ candidates: [[]] }, 'genesis candidates[0]: expected an object');
    refused({ candidates: [cand(), 'x'] }, 'genesis candidates[1]: expected an object');
    refused({ delegations: [{ delegator: A2, candidate: A1, amount: '1' }, 7] }, 'genesis delegations[1]: expected an object');
  });

  it('a list that is not an array', () => {
    refused({ candidates: {} }, 'genesis candidates: expected an array');
    refused({ delegations: 'x' }, 'genesis delegations: expected an array');
    refused({ enterprise_accounts: {} }, 'genesis enterprise_accounts: expected an array');
  });

  it('a missing or wrong-sized ed25519 public key', () => {
    refused({ candidates: [cand({ pub_key: undefined })] }, 'genesis candidates[0].pub_key: expected base64 ed25519 public key');
    refused({ candidates: [cand({ pub_key: 7 })] }, 'genesis candidates[0].pub_key: expected base64 ed25519 public key');
    refused({ candidates: [cand({ pub_key: Buffer.alloc(31, 1).toString('base64') })] }, 'genesis candidates[0].pub_key: an ed25519 key has 32 bytes, got 31');
    refused({ candidates: [cand({ pub_key: Buffer.alloc(33, 1).toString('base64') })] }, 'genesis candidates[0].pub_key: an ed25519 key has 32 bytes, got 33');
  });

  it('a comp_rate_bp that is not an integer, a verified that is not a boolean', () => {
    refused({ candidates: [cand({ comp_rate_bp: '1000' })] }, 'genesis candidates[0].comp_rate_bp: expected an integer');
    refused({ candidates: [cand({ comp_rate_bp: 12.5 })] }, 'genesis candidates[0].comp_rate_bp: expected an integer');
    refused({ candidates: [cand({ verified: 'yes' })] }, 'genesis candidates[0].verified: expected a boolean');
  });

  it('an amount that is not a decimal wei string (or a safe integer)', () => {
    const bad: Array<[unknown, string]> = [
      ['-5', '"-5"'],
      ['0x10', '"0x10"'],
      ['1e18', '"1e18"'],
      ['5 ', '"5 "'],
      ['', '""'],
      [1.5, '1.5'],
      [2 ** 53, '9007199254740992'], // past 2^53 a JSON number may already have lost wei
      [['5'], '["5"]'],
    ];
    for (const [value, shown] of bad) {
      refused({ candidates: [cand({ max_stake: value })] }, `genesis candidates[0].max_stake: expected a decimal wei string, got ${shown}`);
    }
    refused({ candidates: [cand({ max_stake: undefined })] }, 'genesis candidates[0].max_stake: expected a decimal wei string, got undefined');
    refused({ candidates: [cand({ self_stake: 'x' })] }, 'genesis candidates[0].self_stake: expected a decimal wei string, got "x"');
    refused({ delegations: [{ delegator: A2, candidate: A1, amount: '1.5' }] }, 'genesis delegations[0].amount: expected a decimal wei string, got "1.5"');
  });

  it('an address that is not a string or not 0x and 40 hex digits', () => {
    refused({ candidates: [cand({ address: 5 })] }, 'genesis candidates[0].address: expected a 0x address');
    refused({ candidates: [cand({ address: '0x12' })] }, "genesis candidates[0].address: invalid address '0x12': expected 0x followed by 40 hex digits");
    refused(
      { delegations: [{ delegator: '0xzz', candidate: A1, amount: '1' }] },
      "genesis delegations[0].delegator: invalid address '0xzz': expected 0x followed by 40 hex digits",
    );
    refused({ delegations: [{ delegator: A2, amount: '1' }] }, 'genesis delegations[0].candidate: expected a 0x address');
    refused({ enterprise_accounts: [A1, 1] }, 'genesis enterprise_accounts[1]: expected a 0x address');
  });
});

describe('canonicalJson', () => {
  it('sorts object keys at every level and keeps array order', () => {
    assert.equal(canonicalJson({ b: [3, { d: null, c: 'x' }], a: {} }), '{"a":{},"b":[3,{"c":"x","d":null}]}');
    assert.equal(canonicalJson([2, 1]), '[2,1]');
    assert.equal(canonicalJson(null), 'null');
  });

  it('leaves out properties whose value is undefined, as JSON.stringify does', () => {
    assert.equal(canonicalJson({ b: 1, a: undefined }), JSON.stringify({ b: 1 }));
    assert.equal(canonicalJson({ x: { a: undefined } }), '{"x":{}}');
  });
});
