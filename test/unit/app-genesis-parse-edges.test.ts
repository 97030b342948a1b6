/**
 * Edges of parseAppGenesis (SPEC 10, docs/EXPORT.md): every refusal names the
 * JSON path an operator has to fix, so the messages are asserted exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PARAMS } from '../../src/state/params.js';
import { GenesisError, parseAppGenesis, specSeal, type AppGenesis } from '../../src/app/genesis.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const parse = (json: unknown): AppGenesis => parseAppGenesis(enc(JSON.stringify(json)));

/** Asserts that parsing `json` is refused with exactly `genesis app_state.<path>: <message>`. */
function refused(json: unknown, path: string, message: string): void {
  assert.throws(
    () => parse(json),
    (err: unknown) => {
      assert.ok(err instanceof GenesisError, `expected a GenesisError, got ${String(err)}`);
      assert.equal((err as Error).name, 'GenesisError');
      assert.equal((err as Error).message, `genesis app_state.${path}: ${message}`);
      return true;
    },
  );
}

const A1 = '0x1111111111111111111111111111111111111111';
const A2 = '0x2222222222222222222222222222222222222222';
const MIXED = '0xABCDEFabcdef0000000000000000000000000001';
const LOWER = '0xabcdefabcdef0000000000000000000000000001';
const KEY1 = Buffer.alloc(32, 1).toString('base64');
const KEY2 = Buffer.alloc(32, 2).toString('base64');
const badAddress = (v: string): string => `invalid address '${v}': expected 0x followed by 40 hex digits`;

function candidate(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { address: A1, pub_key: KEY1, max_stake: '1000', self_stake: '100', comp_rate_bp: 5000, ...over };
}

describe('parseAppGenesis: empty and malformed input', () => {
  it('empty bytes and whitespace-only bytes mean all defaults and nothing listed', () => {
    for (const text of ['', '  \n\t ']) {
      const g = parseAppGenesis(enc(text));
      assert.deepEqual(g.params, DEFAULT_PARAMS);
      assert.deepEqual([g.accounts, g.candidates, g.delegations, g.enterpriseAccounts, g.contracts], [[], [], [], [], []]);
      assert.equal(g.exactState, undefined);
    }
  });

  it('invalid JSON is refused at the root with the parser message', () => {
    let parserMessage = '';
    try {
      JSON.parse('{"accounts": [');
    } catch (err) {
      parserMessage = (err as Error).message;
    }
    assert.ok(parserMessage !== '', 'JSON.parse must reject the sample');
    assert.throws(() => parseAppGenesis(enc('{"accounts": [')), {
      name: 'GenesisError',
      message: `genesis app_state.: not valid JSON: ${parserMessage}`,
    });
  });

  it('a root that is not an object is refused', () => {
    for (const json of [[], null, 5, 'x']) refused(json, '', 'expected an object');
  });

  it('an unknown top-level field is refused by name', () => {
    refused({ accounts: [], validators: [] }, 'validators', 'unknown field');
  });
});

describe('parseAppGenesis: accounts', () => {
  it('lists must be lists, entries objects', () => {
    refused({ accounts: {} }, 'accounts', 'expected a list');
    refused({ accounts: [null] }, 'accounts[0]', 'expected an object');
    refused({ accounts: [[A1, '1']] }, 'accounts[0]', 'expected an object');
    refused({ accounts: [{ address: A1, balance: '1' }, 7] }, 'accounts[1]', 'expected an object');
  });

  it('addresses must be 0x strings of 40 hex digits, lower-cased on load', () => {
    refused({ accounts: [{ address: 5, balance: '1' }] }, 'accounts[0].address', 'expected a 0x address');
    refused({ accounts: [{ address: '0x12', balance: '1' }] }, 'accounts[0].address', badAddress('0x12'));
    assert.equal(parse({ accounts: [{ address: MIXED, balance: '1' }] }).accounts[0]?.address, LOWER);
  });

  it('balances and nonces are decimal strings of wei', () => {
    const acct = (balance: unknown) => ({ accounts: [{ address: A1, balance }] });
    refused(acct(5), 'accounts[0].balance', 'expected a decimal string of wei, got 5');
    refused(acct(undefined), 'accounts[0].balance', 'expected a decimal string of wei, got undefined');
    refused(acct('-5'), 'accounts[0].balance', 'expected a decimal string of wei, got "-5"');
    refused(acct('0x10'), 'accounts[0].balance', 'expected a decimal string of wei, got "0x10"');
    refused(acct('a1'), 'accounts[0].balance', 'expected a decimal string of wei, got "a1"');
    refused(acct('1a'), 'accounts[0].balance', 'expected a decimal string of wei, got "1a"');
    refused(acct(''), 'accounts[0].balance', 'expected a decimal string of wei, got ""');
    refused({ accounts: [{ address: A1, balance: '1', nonce: 3 }] }, 'accounts[0].nonce', 'expected a decimal string of wei, got 3');
    const g = parse({
      accounts: [
        { address: A1, balance: '12345678901234567890123', nonce: '7' },
        { address: A2, balance: '0' },
      ],
    });
    assert.deepEqual(g.accounts, [
      { address: A1, balance: 12345678901234567890123n, nonce: 7n },
      { address: A2, balance: 0n },
    ]);
  });

  it('an address listed twice (in any case) is refused', () => {
    refused(
      {
        accounts: [
          { address: LOWER, balance: '1' },
          { address: A1, balance: '1' },
          { address: MIXED, balance: '2' },
        ],
      },
      'accounts',
      `${LOWER} appears twice`,
    );
  });
});

describe('parseAppGenesis: candidates', () => {
  it('lists, entries and addresses are checked at their paths', () => {
    refused({ candidates: 'x' }, 'candidates', 'expected a list');
    refused({ candidates: [candidate(), null] }, 'candidates[1]', 'expected an object');
    refused({ candidates: [candidate({ address: 'nope' })] }, 'candidates[0].address', badAddress('nope'));
    refused({ candidates: [candidate({ max_stake: '1.5' })] }, 'candidates[0].max_stake', 'expected a decimal string of wei, got "1.5"');
    refused({ candidates: [candidate({ self_stake: 100 })] }, 'candidates[0].self_stake', 'expected a decimal string of wei, got 100');
  });

  it('pub_key must be a base64 string of a 32-byte ed25519 key', () => {
    refused({ candidates: [candidate({ pub_key: 42 })] }, 'candidates[0].pub_key', 'expected base64 ed25519 public key');
    refused({ candidates: [candidate({ pub_key: undefined })] }, 'candidates[0].pub_key', 'expected base64 ed25519 public key');
    const short = Buffer.alloc(31, 1).toString('base64');
    refused({ candidates: [candidate({ pub_key: short })] }, 'candidates[0].pub_key', 'an ed25519 key has 32 bytes, got 31');
  });

  it('comp_rate_bp is an integer from 0 to 9999', () => {
    for (const rate of ['5000', 1.5, -1, 10_000, 20_000, null, undefined]) {
      refused({ candidates: [candidate({ comp_rate_bp: rate })] }, 'candidates[0].comp_rate_bp', 'expected an integer from 0 to 9999');
    }
    for (const rate of [0, 9999]) assert.equal(parse({ candidates: [candidate({ comp_rate_bp: rate })] }).candidates[0]?.compRateBp, rate);
  });

  it('verified is an optional boolean', () => {
    refused({ candidates: [candidate({ verified: 'true' })] }, 'candidates[0].verified', 'expected a boolean');
    refused({ candidates: [candidate({ verified: 1 })] }, 'candidates[0].verified', 'expected a boolean');
    const g = parse({ candidates: [candidate({ verified: true }), candidate({ address: A2, pub_key: KEY2, verified: false })] });
    assert.deepEqual(
      g.candidates.map((c) => c.verified),
      [true, false],
    );
    assert.equal(parse({ candidates: [candidate()] }).candidates[0]?.verified, false);
  });

  it('parses a full candidate; the description object is stored as canonical JSON, a string as is', () => {
    const g = parse({ candidates: [candidate({ address: MIXED, description: { website: 'w', name: 'n' } })] });
    assert.deepEqual(g.candidates, [
      {
        address: LOWER,
        pubKey: new Uint8Array(32).fill(1),
        maxStake: 1000n,
        selfStake: 100n,
        compRateBp: 5000,
        description: '{"name":"n","website":"w"}',
        verified: false,
      },
    ]);
    assert.equal(parse({ candidates: [candidate({ description: 'plain text' })] }).candidates[0]?.description, 'plain text');
    assert.equal(parse({ candidates: [candidate({ description: '' })] }).candidates[0]?.description, '');
    assert.equal(parse({ candidates: [candidate()] }).candidates[0]?.description, '{}');
  });

  it('a candidate address or pub_key listed twice is refused', () => {
    refused({ candidates: [candidate(), candidate({ pub_key: KEY2 })] }, 'candidates', `${A1} appears twice`);
    refused({ candidates: [candidate(), candidate({ address: A2 })] }, 'candidates[].pub_key', `${Buffer.alloc(32, 1).toString('hex')} appears twice`);
  });
});

describe('parseAppGenesis: delegations and enterprise accounts', () => {
  it('delegations are checked at their paths', () => {
    const d = (over: Record<string, unknown> = {}) => ({ delegator: A2, candidate: A1, amount: '10', ...over });
    refused({ delegations: {} }, 'delegations', 'expected a list');
    refused({ delegations: [d(), 'x'] }, 'delegations[1]', 'expected an object');
    refused({ delegations: [d({ delegator: '0x' })] }, 'delegations[0].delegator', badAddress('0x'));
    refused({ delegations: [d({ candidate: null })] }, 'delegations[0].candidate', 'expected a 0x address');
    refused({ delegations: [d({ amount: '1e18' })] }, 'delegations[0].amount', 'expected a decimal string of wei, got "1e18"');
    assert.deepEqual(parse({ delegations: [d({ delegator: MIXED })] }).delegations, [{ delegator: LOWER, candidate: A1, amount: 10n }]);
  });

  it('enterprise accounts are lower-cased addresses, each listed once', () => {
    refused({ enterprise_accounts: A1 }, 'enterprise_accounts', 'expected a list');
    refused({ enterprise_accounts: [A1, 'zz'] }, 'enterprise_accounts[1]', badAddress('zz'));
    refused({ enterprise_accounts: [LOWER, MIXED] }, 'enterprise_accounts', `${LOWER} appears twice`);
    assert.deepEqual(parse({ enterprise_accounts: [MIXED, A1] }).enterpriseAccounts, [LOWER, A1]);
  });
});

describe('parseAppGenesis: contracts against accounts', () => {
  const C = '0x00000000000000000000000000000000000c0de1';
  it('contracts are checked at their paths', () => {
    refused({ contracts: {} }, 'contracts', 'expected a list');
    refused({ contracts: [{ address: C, code: '0x00' }, null] }, 'contracts[1]', 'expected an object');
    refused(
      {
        contracts: [
          { address: C, code: '0x00' },
          { address: C, code: '0x01' },
        ],
      },
      'contracts',
      `${C} appears twice`,
    );
  });

  it('an address may not be both an account and a contract', () => {
    refused(
      {
        accounts: [
          { address: A2, balance: '1' },
          { address: C, balance: '1' },
        ],
        contracts: [{ address: C, code: '0x00' }],
      },
      'contracts',
      `${C} is listed in both accounts and contracts`,
    );
    const g = parse({ accounts: [{ address: A1, balance: '1' }], contracts: [{ address: C, code: '0x00' }] });
    assert.deepEqual(
      g.contracts.map((c) => c.address),
      [C],
    );
  });
});

describe('parseAppGenesis: exact_state (docs/EXPORT.md)', () => {
  const spec = {
    accounts: [{ address: A2, balance: '5' }],
    candidates: [candidate()],
    delegations: [{ delegator: A2, candidate: A1, amount: '10' }],
    enterprise_accounts: [A2],
  };

  it('the format tag must be cmtd-export/1', () => {
    refused({ ...spec, exact_state: { format: 'cmtd-export/2', records: {} } }, 'exact_state.format', `expected 'cmtd-export/1', got "cmtd-export/2"`);
    refused({ ...spec, exact_state: { records: {} } }, 'exact_state.format', `expected 'cmtd-export/1', got undefined`);
  });

  it('a sealed export keeps the staking lists as their description and hands the ledger none', () => {
    const plain = parse(spec);
    const g = parse({ ...spec, exact_state: { format: 'cmtd-export/1', records: {}, seal: specSeal(plain, []) } });
    assert.deepEqual([g.candidates, g.delegations, g.enterpriseAccounts], [[], [], []]);
    assert.deepEqual(g.exactState, {
      records: [],
      described: {
        candidates: [{ address: A1, pubKey: new Uint8Array(32).fill(1), maxStake: 1000n, selfStake: 100n, compRateBp: 5000, description: '{}', verified: false }],
        delegations: [{ delegator: A2, candidate: A1, amount: 10n }],
        enterpriseAccounts: [A2],
      },
    });
    assert.deepEqual(g.accounts, [{ address: A2, balance: 5n }]);
  });
});
