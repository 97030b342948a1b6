/**
 * src/state with exact values: accounts (address checks, the integer and
 * RLP encoding, EIP-161 empty accounts, credit and debit), the supply record
 * and the params' ranges at their boundaries. Written to kill the mutants
 * StrykerJS left alive in src/state (docs/TESTING.md); the expected values
 * come from the SPEC, the documented ranges (docs/GOVERNANCE.md) and plain
 * RLP, not from the code under test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';

import type { KV } from '../../src/store/kv.js';
import {
  AccountReader,
  Accounts,
  InsufficientBalanceError,
  accountKey,
  bigintToBytes,
  bytesToBigint,
  decodeAccount,
  emptyAccount,
  encodeAccount,
} from '../../src/state/accounts.js';
import { addressFromBytes, isAddress, toAddress, type Address } from '../../src/util/address.js';
import {
  CMT,
  DEFAULT_PARAMS,
  GWEI,
  PARAM_NAMES,
  ParamError,
  loadParams,
  paramField,
  paramRange,
  paramsFromJson,
  paramsToJson,
  parseParamValue,
  saveParams,
  validateParams,
  type ParamName,
  type Params,
} from '../../src/state/params.js';
import { Supply, readSupply, totalSupply, writeSupply } from '../../src/state/supply.js';

/** A KV over a Map that counts writes, to check that a no-op writes nothing. */
function memoryKV(): KV & { map: Map<string, Uint8Array>; writes: number } {
  const map = new Map<string, Uint8Array>();
  const kv = {
    map,
    writes: 0,
    get: (k: string) => map.get(k),
    set: (k: string, v: Uint8Array) => {
      kv.writes++;
      map.set(k, v);
    },
    delete: (k: string) => {
      kv.writes++;
      map.delete(k);
    },
  };
  return kv;
}

const A = `0x${'ab'.repeat(20)}` as Address;
const B = `0x${'0c'.repeat(20)}` as Address;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('accounts', () => {
  it('addresses: exactly 0x and 40 hex digits, either case, lower-cased', () => {
    assert.equal(isAddress(`0x${'a'.repeat(40)}`), true);
    assert.equal(isAddress(`0x${'A'.repeat(40)}`), true);
    assert.equal(isAddress(`0x${'a'.repeat(39)}`), false);
    assert.equal(isAddress(`0x${'a'.repeat(41)}`), false);
    assert.equal(isAddress(`x0x${'a'.repeat(40)}`), false);
    assert.equal(isAddress(`0x${'g'.repeat(40)}`), false);
    assert.equal(isAddress('a'.repeat(42)), false);
    assert.equal(toAddress(`0x${'AbCd'.repeat(10)}`), `0x${'abcd'.repeat(10)}`);
    assert.throws(() => toAddress('0x12'), { message: "invalid address '0x12': expected 0x followed by 40 hex digits" });
    assert.equal(addressFromBytes(new Uint8Array(20).fill(0xab)), A);
    assert.throws(() => addressFromBytes(new Uint8Array(19)), { message: 'an address has 20 bytes, got 19' });
    assert.throws(() => addressFromBytes(new Uint8Array(21)), { message: 'an address has 20 bytes, got 21' });
    assert.equal(accountKey(A), `a/${'ab'.repeat(20)}`);
  });

  it('integers as minimal big-endian bytes (RLP scalars): 0 is empty, no leading zero, odd hex padded', () => {
    const cases: Array<[bigint, string]> = [
      [0n, ''],
      [1n, '01'],
      [0xfn, '0f'],
      [0xffn, 'ff'],
      [0x100n, '0100'],
      [0x1234n, '1234'],
      [2n ** 64n, '010000000000000000'],
    ];
    for (const [value, bytes] of cases) {
      assert.equal(hex(bigintToBytes(value)), bytes, `${value}`);
      assert.equal(bytesToBigint(Buffer.from(bytes, 'hex')), value, bytes);
      // The same bytes RLP uses for a scalar.
      assert.equal(hex(RLP.encode(bigintToBytes(value))), hex(RLP.encode(value)));
    }
    assert.throws(() => bigintToBytes(-1n), { message: 'negative value cannot be encoded' });
  });

  it('integers of every byte length (the fast paths end at 6 and 12 bytes) convert as through hex, leading zero bytes included', () => {
    const viaHex = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${hex(bytes)}`));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        assert.equal(bytesToBigint(bytes), viaHex(bytes), hex(bytes));
        const value = viaHex(bytes);
        const minimal = hex(bytes).replace(/^(00)+/, '');
        assert.equal(hex(bigintToBytes(value)), minimal, `${value}`);
        assert.ok(Buffer.isBuffer(bigintToBytes(value)) || value === 0n, 'a Buffer, as Buffer.from(hex) gave');
      }),
      { numRuns: 3000 },
    );
    for (const value of [2n ** 48n - 1n, 2n ** 48n, 2n ** 96n - 1n, 2n ** 96n, 2n ** 256n - 1n]) {
      assert.equal(bytesToBigint(bigintToBytes(value)), value, `${value}`);
      assert.equal(hex(bigintToBytes(value)), value.toString(16).padStart(Math.ceil(value.toString(16).length / 2) * 2, '0'));
    }
  });

  it('the record is RLP [nonce, balance, codeHash]; anything else is corrupt', () => {
    const codeHash = new Uint8Array(32).fill(7);
    const account = { nonce: 5n, balance: 10n ** 18n, codeHash };
    const encoded = encodeAccount(account);
    assert.equal(hex(encoded), hex(RLP.encode([5n, 10n ** 18n, codeHash])));
    assert.deepEqual(decodeAccount(encoded), { nonce: 5n, balance: 10n ** 18n, codeHash });
    assert.deepEqual(decodeAccount(RLP.encode([new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)])), emptyAccount());
    assert.throws(() => decodeAccount(RLP.encode([1n, 2n])), { message: 'corrupt account record' });
    assert.throws(() => decodeAccount(RLP.encode([1n, 2n, 3n, 4n])), { message: 'corrupt account record' });
    assert.throws(() => decodeAccount(RLP.encode(Uint8Array.of(1, 2, 3))), { message: 'corrupt account record' });
    assert.deepEqual(emptyAccount(), { nonce: 0n, balance: 0n, codeHash: new Uint8Array(0) });
  });

  it('an empty account leaves no key (EIP-161); a nonce, a balance or code alone keeps it', () => {
    const kv = memoryKV();
    const accounts = new Accounts(kv);
    accounts.put(A, { nonce: 1n, balance: 0n, codeHash: new Uint8Array(0) });
    assert.equal(hex(kv.map.get(accountKey(A))!), hex(RLP.encode([1n, 0n, new Uint8Array(0)])));
    accounts.put(A, { nonce: 0n, balance: 1n, codeHash: new Uint8Array(0) });
    assert.equal(accounts.exists(A), true);
    accounts.put(A, { nonce: 0n, balance: 0n, codeHash: Uint8Array.of(1) });
    assert.equal(accounts.exists(A), true);
    accounts.put(A, emptyAccount());
    assert.equal(kv.map.has(accountKey(A)), false);
    assert.equal(accounts.exists(A), false);
    assert.deepEqual(accounts.get(A), emptyAccount());
  });

  it('credit and debit move exact amounts; zero writes nothing; a short balance changes nothing', () => {
    const kv = memoryKV();
    const accounts = new Accounts(kv);
    accounts.credit(A, 100n);
    accounts.put(B, { nonce: 3n, balance: 0n, codeHash: new Uint8Array(0) });
    assert.equal(accounts.balance(A), 100n);
    assert.equal(accounts.nonce(B), 3n);
    const reader = new AccountReader(kv);
    assert.equal(reader.balance(A), 100n);
    assert.equal(reader.nonce(A), 0n);

    const writes = kv.writes;
    accounts.credit(A, 0n);
    accounts.debit(A, 0n);
    accounts.credit(B, 0n);
    assert.equal(kv.writes, writes, 'a zero credit or debit writes nothing');

    assert.throws(() => accounts.credit(A, -1n), { message: 'credit of a negative amount -1' });
    assert.throws(() => accounts.debit(A, -1n), { message: 'debit of a negative amount -1' });

    const before = hex(kv.map.get(accountKey(A))!);
    assert.throws(
      () => accounts.debit(A, 101n),
      (e: unknown) =>
        e instanceof InsufficientBalanceError &&
        e.address === A &&
        e.balance === 100n &&
        e.needed === 101n &&
        e.message === `insufficient balance: ${A} has 100 wei, needs 101 wei`,
    );
    assert.equal(hex(kv.map.get(accountKey(A))!), before, 'a refused debit changes nothing');

    accounts.debit(A, 40n);
    assert.equal(accounts.balance(A), 60n);
    accounts.debit(A, 60n);
    assert.equal(accounts.balance(A), 0n);
    assert.equal(kv.map.has(accountKey(A)), false, 'debited to nothing: the empty account is gone');
    accounts.credit(B, 7n);
    assert.deepEqual(accounts.get(B), { nonce: 3n, balance: 7n, codeHash: new Uint8Array(0) });
  });
});

describe('supply record', () => {
  it('is RLP of [genesis, minted, burned, feePool, dust] under s/supply; anything else is corrupt', () => {
    const kv = memoryKV();
    assert.deepEqual(readSupply(kv), { genesis: 0n, minted: 0n, burned: 0n, feePool: 0n, dust: 0n });
    const record = { genesis: 1000n, minted: 20n, burned: 3n, feePool: 0n, dust: 9n };
    writeSupply(kv, record);
    assert.equal(hex(kv.map.get('s/supply')!), hex(RLP.encode([1000n, 20n, 3n, 0n, 9n])));
    assert.deepEqual(readSupply(kv), record);
    assert.equal(totalSupply(record), 1000n + 20n - 3n);
    kv.map.set('s/supply', RLP.encode([1n, 2n, 3n, 4n]));
    assert.throws(() => readSupply(kv), { message: 'corrupt supply record' });
    kv.map.set('s/supply', RLP.encode(Uint8Array.of(1)));
    assert.throws(() => readSupply(kv), { message: 'corrupt supply record' });
  });

  it('mint, burn, fees and dust: exact sums, zero allowed, negatives refused', () => {
    const kv = memoryKV();
    const supply = new Supply(kv);
    supply.setGenesis(500n);
    supply.mint(30n);
    supply.mint(0n);
    supply.burn(4n);
    supply.burn(0n);
    supply.setDust(0n);
    supply.setDust(6n);
    assert.deepEqual(supply.read(), { genesis: 500n, minted: 30n, burned: 4n, feePool: 0n, dust: 6n });
    assert.throws(() => supply.mint(-1n), { message: 'negative mint' });
    assert.throws(() => supply.burn(-1n), { message: 'negative burn' });
    assert.throws(() => supply.addFees(-1n), { message: 'negative fee' });
    assert.throws(() => supply.setDust(-1n), { message: 'negative dust' });

    let writes = kv.writes;
    supply.addFees(0n);
    assert.equal(supply.takeFees(), 0n);
    assert.equal(kv.writes, writes, 'no fees: nothing written');
    supply.addFees(11n);
    supply.addFees(2n);
    assert.equal(supply.read().feePool, 13n);
    writes = kv.writes;
    assert.equal(supply.takeFees(), 13n);
    assert.equal(kv.writes, writes + 1);
    assert.deepEqual(supply.read(), { genesis: 500n, minted: 30n, burned: 4n, feePool: 0n, dust: 6n });
  });
});

/** The documented valid ranges (docs/GOVERNANCE.md, SPEC 3), inclusive. */
const RANGES: Array<[ParamName, bigint, bigint]> = [
  ['max_validators', 1n, 100n],
  ['backup_validators', 0n, 100n],
  ['self_stake_ratio_bp', 0n, 10_000n],
  ['validator_size_threshold_bp', 1n, 10_000n],
  ['validators_award_ratio_bp', 0n, 10_000n],
  ['inflation_rate_bp', 0n, 800n],
  ['late_inflation_rate_bp', 0n, 800n],
  ['inflation_years', 0n, 100n],
  ['seconds_per_year', 60n, 31_536_000n],
  ['supply_cap', 0n, 10n ** 10n * CMT],
  ['unstake_waiting_period_s', 1n, 90n * 86_400n],
  ['slash_ratio_bp', 0n, 10_000n],
  ['max_slash_blocks', 1n, 10_000n],
  ['address_min_stake', 0n, 10n ** 10n * CMT],
  ['address_max_stake', 0n, 10n ** 10n * CMT],
  ['enterprise_min_stake', 0n, 10n ** 10n * CMT],
  ['min_gas_price', 0n, 10n ** 6n * GWEI],
  ['free_tx_slots', 0n, 10_000n],
  ['free_tx_gas_limit', 21_000n, 1_000_000_000n],
  ['proposal_period_s', 1n, 90n * 86_400n],
  ['block_gas_limit', 1_000_000n, 1_000_000_000n],
  ['chain_id', 1n, 2n ** 53n],
];

describe('params', () => {
  it('every numeric param: accepted exactly at both ends of its range, refused one under and one over', () => {
    for (const [field, min, max] of RANGES) {
      const asValue = (v: bigint): unknown => (typeof DEFAULT_PARAMS[field] === 'number' ? Number(v) : v);
      assert.equal(parseParamValue(field, min.toString()), asValue(min), `${field} at its minimum`);
      assert.equal(parseParamValue(field, max.toString()), asValue(max), `${field} at its maximum`);
      assert.throws(() => parseParamValue(field, (max + 1n).toString()), { message: `param ${field}: ${max + 1n} is outside its valid range ${paramRange(field)}` });
      if (min > 0n) assert.throws(() => parseParamValue(field, (min - 1n).toString()), { message: `param ${field}: ${min - 1n} is outside its valid range ${paramRange(field)}` });
      assert.equal(typeof parseParamValue(field, min.toString()), typeof DEFAULT_PARAMS[field], `${field} keeps its type`);
    }
    assert.equal(paramRange('max_validators'), '1 … 100');
    assert.equal(paramRange('unstake_waiting_period_s'), '1 s … 90 days (7776000 s)');
    assert.equal(paramRange('slash_enabled'), undefined);
    assert.equal(paramRange('foundation_address'), undefined);
  });

  it('integers: digits only (surrounding space trimmed); long text shortened in the error', () => {
    assert.equal(parseParamValue('free_tx_slots', ' 7 '), 7);
    assert.equal(parseParamValue('free_tx_slots', 7), 7);
    for (const bad of ['-1', '1.5', '1e3', '', '0x10', '1 2']) {
      assert.throws(() => parseParamValue('free_tx_slots', bad), { message: `param free_tx_slots: expected a non-negative integer, got '${bad.trim()}'` }, bad);
    }
    const long = `${'9'.repeat(100)}x`;
    assert.throws(() => parseParamValue('free_tx_slots', long), { message: `param free_tx_slots: expected a non-negative integer, got '${'9'.repeat(80)}…'` });
    const exactly80 = 'x'.repeat(80);
    assert.throws(() => parseParamValue('free_tx_slots', exactly80), { message: `param free_tx_slots: expected a non-negative integer, got '${exactly80}'` });
    const huge = '9'.repeat(100);
    assert.throws(() => parseParamValue('chain_id', huge), { message: `param chain_id: ${'9'.repeat(80)}… is outside its valid range 1 … 9007199254740992` });
    const eighty = '9'.repeat(80);
    assert.throws(() => parseParamValue('chain_id', eighty), { message: `param chain_id: ${eighty} is outside its valid range 1 … 9007199254740992` });
    // Leading zeros are read as the number they write, shown without them.
    assert.throws(() => parseParamValue('max_validators', '0101'), { message: 'param max_validators: 101 is outside its valid range 1 … 100' });
  });

  it('booleans, addresses and the hard fork', () => {
    assert.equal(parseParamValue('slash_enabled', 'true'), true);
    assert.equal(parseParamValue('slash_enabled', false), false);
    assert.equal(parseParamValue('slash_enabled', ' false '), false);
    assert.throws(() => parseParamValue('slash_enabled', 'TRUE'), { message: "param slash_enabled: expected true or false, got 'TRUE'" });
    assert.throws(() => parseParamValue('slash_enabled', '1'), { message: "param slash_enabled: expected true or false, got '1'" });
    assert.equal(parseParamValue('foundation_address', ''), '');
    assert.equal(parseParamValue('foundation_address', `0x${'AB'.repeat(20)}`), A);
    assert.throws(() => parseParamValue('foundation_address', '0x1234'), { message: "param foundation_address: expected a 0x address, got '0x1234'" });
    assert.throws(() => parseParamValue('foundation_address', `x0x${'ab'.repeat(20)}`), /expected a 0x address/);
    assert.throws(() => parseParamValue('foundation_address', `0x${'ab'.repeat(20)}0`), /expected a 0x address/);
    assert.equal(parseParamValue('evm_hardfork', 'OSAKA'), 'osaka');
    assert.throws(() => parseParamValue('evm_hardfork', 'x'.repeat(100)), { message: `param evm_hardfork: expected one of cancun, osaka, got '${'x'.repeat(80)}'` });
    assert.throws(() => parseParamValue('nope' as ParamName, '1'), { message: 'param nope: unknown parameter' });
  });

  it('relations between params hold at equality and fail one over', () => {
    const with_ = (p: Partial<Params>): Params => ({ ...DEFAULT_PARAMS, ...p });
    validateParams(with_({ address_min_stake: 5n * CMT, address_max_stake: 5n * CMT }));
    assert.throws(() => validateParams(with_({ address_min_stake: 5n * CMT + 1n, address_max_stake: 5n * CMT })), {
      message: `param address_min_stake: ${5n * CMT + 1n} must not exceed address_max_stake (${5n * CMT})`,
    });
    validateParams(with_({ free_tx_gas_limit: 2_000_000n, block_gas_limit: 2_000_000n }));
    assert.throws(() => validateParams(with_({ free_tx_gas_limit: 2_000_001n, block_gas_limit: 2_000_000n })), {
      message: 'param free_tx_gas_limit: 2000001 must not exceed block_gas_limit (2000000)',
    });
    // SPEC 7: the byzantine slash is slash_ratio_bp × max_slash_blocks, at most 100%.
    validateParams(with_({ slash_ratio_bp: 1000, max_slash_blocks: 10 }));
    assert.throws(() => validateParams(with_({ slash_ratio_bp: 73, max_slash_blocks: 137 })), {
      message: 'param slash_ratio_bp: slash_ratio_bp × max_slash_blocks (the byzantine slash) must not exceed 10000 bp (100%)',
    });
    assert.throws(() => validateParams(with_({ max_validators: 0 })), { message: 'param max_validators: 0 is outside its valid range 1 … 100' });
  });

  it('JSON form: sorted names, bigints as decimal strings, numbers and booleans as they are', () => {
    const json = paramsToJson(DEFAULT_PARAMS);
    assert.deepEqual(Object.keys(json), [...Object.keys(DEFAULT_PARAMS)].sort());
    assert.deepEqual(PARAM_NAMES, [...Object.keys(DEFAULT_PARAMS)].sort());
    assert.equal(json.supply_cap, (10n ** 10n * CMT).toString());
    assert.equal(json.max_validators, 19);
    assert.equal(json.slash_enabled, true);
    assert.equal(json.foundation_address, '');
    assert.deepEqual(paramsFromJson(json), DEFAULT_PARAMS);
    assert.equal(paramField('max_validators'), 'max_validators');
    assert.equal(paramField('blocks_per_year'), undefined);
  });

  it('from JSON: defaults for what is absent, clear errors for the wrong shape', () => {
    assert.deepEqual(paramsFromJson(undefined), DEFAULT_PARAMS);
    assert.deepEqual(paramsFromJson(null), DEFAULT_PARAMS);
    const base = { ...DEFAULT_PARAMS, max_validators: 7 };
    assert.equal(paramsFromJson({}, base).max_validators, 7);
    assert.equal(paramsFromJson(null, base).max_validators, 7);
    assert.equal(paramsFromJson({ max_validators: '8' }, base).max_validators, 8);
    assert.throws(() => paramsFromJson([]), { message: 'param params: expected an object' });
    assert.throws(() => paramsFromJson('x'), { message: 'param params: expected an object' });
    assert.throws(() => paramsFromJson({ max_validators: { n: 1 } }), { message: 'param max_validators: expected a string, number or boolean' });
    assert.throws(() => paramsFromJson({ max_validators: null }), { message: 'param max_validators: expected a string, number or boolean' });
    assert.throws(() => paramsFromJson({ blocks_per_year: 1 }), { message: 'param blocks_per_year: unknown parameter' });
    assert.throws(() => paramsFromJson({ address_min_stake: '2', address_max_stake: '1' }), ParamError);
  });

  it('in state: one canonical JSON record under p/params; missing params are an error', () => {
    const kv = memoryKV();
    assert.throws(() => loadParams(kv), { message: 'params are missing from state: was InitChain run?' });
    const params = { ...DEFAULT_PARAMS, max_validators: 21, supply_cap: 123n };
    saveParams(kv, params);
    const stored = Buffer.from(kv.map.get('p/params')!).toString('utf8');
    assert.equal(stored, JSON.stringify(paramsToJson(params)));
    assert.deepEqual(loadParams(kv), params);
    assert.throws(() => saveParams(kv, { ...params, max_validators: 0 }), ParamError);
    assert.equal(Buffer.from(kv.map.get('p/params')!).toString('utf8'), stored, 'a refused save writes nothing');
  });
});
