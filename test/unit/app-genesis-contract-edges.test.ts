// Genesis contracts (SPEC 10 `app_state.contracts`, docs/EVM.md "Genesis
// contracts"): the refusals an operator reads (exact path and message), the
// EIP-170 code bound, storage words (left-padded 32-byte slots, values without
// leading zeros, zero values dropped, slots ascending), the nonce bound, the
// reserved addresses, and contract balances in the genesis supply.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GenesisError, genesisSupply, parseAppGenesis } from '../../src/app/genesis.js';

const A = '0x00000000000000000000000000000000000000aa';
const B = '0x00000000000000000000000000000000000000bb';

function parse(appState: unknown) {
  return parseAppGenesis(Buffer.from(JSON.stringify(appState), 'utf8'));
}

/** One contract at A with code 0x60 plus `fields`. */
function contract(fields: Record<string, unknown>): unknown {
  return { contracts: [{ address: A, code: '0x60', ...fields }] };
}

function refuses(appState: unknown, message: string): void {
  assert.throws(
    () => parse(appState),
    (err: unknown) => {
      assert.ok(err instanceof GenesisError, `expected a GenesisError, got ${String(err)}`);
      assert.equal((err as Error).message, message);
      return true;
    },
  );
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** 32-byte slot word of a small number, as hex. */
function slotHex(n: number): string {
  return n.toString(16).padStart(64, '0');
}

describe('genesis contract code (0x hex of whole bytes, non-empty, at most 24576 bytes)', () => {
  it('keeps the code bytes as written', () => {
    const g = parse(contract({ code: '0x6001600201' }));
    assert.equal(hex(g.contracts[0].code), '6001600201');
  });

  it('refuses code that is not a string, with the value in the message', () => {
    refuses(contract({ code: 42 }), 'genesis app_state.contracts[0].code: expected 0x-prefixed hex with whole bytes, got 42');
    refuses(contract({ code: ['0x60'] }), 'genesis app_state.contracts[0].code: expected 0x-prefixed hex with whole bytes, got ["0x60"]');
  });

  it('refuses a missing code', () => {
    refuses({ contracts: [{ address: A }] }, 'genesis app_state.contracts[0].code: expected 0x-prefixed hex with whole bytes, got undefined');
  });

  it('refuses an odd digit count, a missing 0x prefix, leading or trailing junk', () => {
    refuses(contract({ code: '0x600' }), 'genesis app_state.contracts[0].code: expected 0x-prefixed hex with whole bytes, got "0x600"');
    refuses(contract({ code: '00x60' }), 'genesis app_state.contracts[0].code: expected 0x-prefixed hex with whole bytes, got "00x60"');
    refuses(contract({ code: '0x60zz' }), 'genesis app_state.contracts[0].code: expected 0x-prefixed hex with whole bytes, got "0x60zz"');
  });

  it('refuses empty code: a code-less account belongs under accounts', () => {
    refuses(contract({ code: '0x' }), 'genesis app_state.contracts[0].code: a contract needs code (list a code-less account under accounts)');
  });

  it('takes code of exactly 24576 bytes (EIP-170) and refuses 24577', () => {
    const g = parse(contract({ code: `0x${'5b'.repeat(24_576)}` }));
    assert.equal(g.contracts[0].code.length, 24_576);
    refuses(contract({ code: `0x${'5b'.repeat(24_577)}` }), 'genesis app_state.contracts[0].code: at most 24576 bytes, got 24577');
  });
});

describe('genesis contract fields', () => {
  it('refuses an unknown field, naming it', () => {
    refuses(contract({ codehash: '0x00' }), 'genesis app_state.contracts[0].codehash: unknown field');
  });

  it('balance and nonce default to 0 and are read as decimal wei', () => {
    const d = parse(contract({}));
    assert.equal(d.contracts[0].balance, 0n);
    assert.equal(d.contracts[0].nonce, 0n);
    assert.equal(d.contracts[0].storage.length, 0);
    const g = parse(contract({ balance: '12345', nonce: '7' }));
    assert.equal(g.contracts[0].balance, 12345n);
    assert.equal(g.contracts[0].nonce, 7n);
  });

  it('refuses a malformed balance or nonce with its path', () => {
    refuses(contract({ balance: '-1' }), 'genesis app_state.contracts[0].balance: expected a decimal string of wei, got "-1"');
    refuses(contract({ nonce: 3 }), 'genesis app_state.contracts[0].nonce: expected a decimal string of wei, got 3');
  });

  it('takes a nonce of 2^64-2 and refuses 2^64-1', () => {
    const max = (2n ** 64n - 2n).toString();
    assert.equal(parse(contract({ nonce: max })).contracts[0].nonce, 2n ** 64n - 2n);
    refuses(contract({ nonce: (2n ** 64n - 1n).toString() }), 'genesis app_state.contracts[0].nonce: must be below 2^64-1');
    refuses(contract({ nonce: (2n ** 64n).toString() }), 'genesis app_state.contracts[0].nonce: must be below 2^64-1');
  });

  it('refuses a malformed address with its path', () => {
    refuses({ contracts: [{ address: '0x1234', code: '0x60' }] }, "genesis app_state.contracts[0].address: invalid address '0x1234': expected 0x followed by 40 hex digits");
  });

  it('refuses the system addresses and the precompiles 0x00..0x0a; 0x0b is free', () => {
    for (const at of [
      '0x0000000000000000000000000000000000001000',
      '0x0000000000000000000000000000000000001001',
      '0x000000000000000000000000000000000000000a',
      '0x0000000000000000000000000000000000000001',
      '0x0000000000000000000000000000000000000000',
    ]) {
      refuses({ contracts: [{ address: at, code: '0x60' }] }, `genesis app_state.contracts[0].address: ${at} is reserved (system contract or precompile)`);
    }
    const free = '0x000000000000000000000000000000000000000b';
    assert.equal(parse({ contracts: [{ address: free, code: '0x60' }] }).contracts[0].address, free);
    const nearSystem = '0x0000000000000000000000000000000000001002';
    assert.equal(parse({ contracts: [{ address: nearSystem, code: '0x60' }] }).contracts[0].address, nearSystem);
  });
});

describe('genesis contract storage (slots and values: 0x hex of up to 32 bytes)', () => {
  it('left-pads slots to 32 bytes and strips the leading zeros of values', () => {
    const g = parse(contract({ storage: { '0x0': '0x2a', '0x1': '0x0100', '0x2': '0x00ff' } }));
    assert.deepEqual(
      g.contracts[0].storage.map(([k, v]) => [hex(k), hex(v)]),
      [
        [slotHex(0), '2a'],
        [slotHex(1), '0100'],
        [slotHex(2), 'ff'],
      ],
    );
    assert.equal(g.contracts[0].storage[0][0].length, 32);
  });

  it('reads a full 32-byte slot and value', () => {
    const full = `0x${'ab'.repeat(32)}`;
    const g = parse(contract({ storage: { [full]: full } }));
    assert.deepEqual(
      g.contracts[0].storage.map(([k, v]) => [hex(k), hex(v)]),
      [['ab'.repeat(32), 'ab'.repeat(32)]],
    );
  });

  it('drops zero values (an absent slot is zero)', () => {
    const g = parse(contract({ storage: { '0x5': '0x0', '0x6': '0x0000', '0x7': '0x1' } }));
    assert.deepEqual(
      g.contracts[0].storage.map(([k, v]) => [hex(k), hex(v)]),
      [[slotHex(7), '01']],
    );
  });

  it('orders slots ascending whatever the JSON order', () => {
    const g = parse(contract({ storage: { '0x3': '0x3', '0x10': '0x10', '0x1': '0x1', '0x2': '0x2', '0xff': '0xff', '0x0': '0x9' } }));
    assert.deepEqual(
      g.contracts[0].storage.map(([k]) => hex(k)),
      [slotHex(0), slotHex(1), slotHex(2), slotHex(3), slotHex(0x10), slotHex(0xff)],
    );
    assert.deepEqual(
      g.contracts[0].storage.map(([, v]) => hex(v)),
      ['09', '01', '02', '03', '10', 'ff'],
    );
  });

  it('refuses one slot written twice (0x1 and 0x01 are the same slot)', () => {
    refuses(contract({ storage: { '0x1': '0x1', '0x01': '0x2' } }), 'genesis app_state.contracts[0].storage: slot 0x01 appears twice');
  });

  it('refuses storage that is not an object', () => {
    refuses(contract({ storage: ['0x1'] }), 'genesis app_state.contracts[0].storage: expected an object');
    refuses(contract({ storage: true }), 'genesis app_state.contracts[0].storage: expected an object');
  });

  it('refuses malformed slots (path: the storage object)', () => {
    refuses(contract({ storage: { '0x': '0x1' } }), 'genesis app_state.contracts[0].storage: expected 0x-prefixed hex of at most 32 bytes, got "0x"');
    refuses(contract({ storage: { '00x1': '0x1' } }), 'genesis app_state.contracts[0].storage: expected 0x-prefixed hex of at most 32 bytes, got "00x1"');
    const long = `0x${'1'.repeat(65)}`;
    refuses(contract({ storage: { [long]: '0x1' } }), `genesis app_state.contracts[0].storage: expected 0x-prefixed hex of at most 32 bytes, got "${long}"`);
  });

  it('refuses malformed values (path: the slot as written)', () => {
    refuses(contract({ storage: { '0x1': 42 } }), 'genesis app_state.contracts[0].storage[0x1]: expected 0x-prefixed hex of at most 32 bytes, got 42');
    refuses(contract({ storage: { '0x1': ['0x2a'] } }), 'genesis app_state.contracts[0].storage[0x1]: expected 0x-prefixed hex of at most 32 bytes, got ["0x2a"]');
    refuses(contract({ storage: { '0x1': '0x' } }), 'genesis app_state.contracts[0].storage[0x1]: expected 0x-prefixed hex of at most 32 bytes, got "0x"');
    refuses(contract({ storage: { '0x1': '0x2azz' } }), 'genesis app_state.contracts[0].storage[0x1]: expected 0x-prefixed hex of at most 32 bytes, got "0x2azz"');
    refuses(contract({ storage: { '0x1': '00x2a' } }), 'genesis app_state.contracts[0].storage[0x1]: expected 0x-prefixed hex of at most 32 bytes, got "00x2a"');
  });

  it('names the failing contract by its index', () => {
    refuses(
      {
        contracts: [
          { address: A, code: '0x60' },
          { address: B, code: '0x60', storage: { '0x1': 'zz' } },
        ],
      },
      'genesis app_state.contracts[1].storage[0x1]: expected 0x-prefixed hex of at most 32 bytes, got "zz"',
    );
  });
});

describe('genesis supply (SPEC 10; docs/EVM.md: contract balances count)', () => {
  it('is the account balances plus the contract balances', () => {
    const g = parse({
      accounts: [{ address: '0x00000000000000000000000000000000000000cc', balance: '1000' }],
      contracts: [
        { address: A, code: '0x60', balance: '30' },
        { address: B, code: '0x60', balance: '4' },
      ],
    });
    assert.equal(genesisSupply(g), 1034n);
  });
});
