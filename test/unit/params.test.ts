// Every parameter has a valid range (SPEC 3, issue 8.7), checked in genesis
// with the range named, and documented in docs/GOVERNANCE.md.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAppGenesis } from '../../src/app/genesis.js';
import {
  CMT,
  DEFAULT_BLOCK_GAS_LIMIT,
  DEFAULT_PARAMS,
  FIXED_PARAMS,
  PARAM_NAMES,
  loadParams,
  paramRange,
  paramsFromJson,
  paramsToJson,
  saveParams,
} from '../../src/state/params.js';

const genesis = (params: Record<string, unknown>): unknown => parseAppGenesis(Buffer.from(JSON.stringify({ params })));

describe('param ranges', () => {
  it('refuses a genesis param outside its range, naming the range', () => {
    assert.throws(
      () => genesis({ unstake_waiting_period_s: (2n ** 64n).toString() }),
      /app_state\.params: param unstake_waiting_period_s: .* outside its valid range 1 s … 90 days/,
    );
    assert.throws(() => genesis({ unstake_waiting_period_s: '0' }), /outside its valid range 1 s … 90 days/);
    assert.throws(() => genesis({ free_tx_gas_limit: '100000000000' }), /free_tx_gas_limit: .*outside its valid range 21000 … 1000000000/);
    assert.throws(() => genesis({ free_tx_gas_limit: '2000000', block_gas_limit: '1000000' }), /free_tx_gas_limit: 2000000 must not exceed block_gas_limit \(1000000\)/);
    assert.throws(() => genesis({ supply_cap: (20_000_000_000n * CMT).toString() }), /supply_cap: .*0 … 10\^10 CMT/);
    assert.throws(() => genesis({ max_validators: 0 }), /max_validators: 0 is outside its valid range 1 … 100/);
    assert.throws(() => genesis({ slash_ratio_bp: 1000, max_slash_blocks: 11 }), /slash_ratio_bp/);
    assert.throws(() => genesis({ blocks_per_year: '3153600' }), /blocks_per_year: unknown parameter/);
  });

  it('block_gas_limit: default DEFAULT_BLOCK_GAS_LIMIT, set and read by its param name', () => {
    assert.equal(DEFAULT_PARAMS.block_gas_limit, DEFAULT_BLOCK_GAS_LIMIT);
    assert.equal(paramsToJson(DEFAULT_PARAMS).block_gas_limit, DEFAULT_BLOCK_GAS_LIMIT.toString());
    assert.equal(paramsFromJson({ block_gas_limit: '50000000' }).block_gas_limit, 50_000_000n);
    assert.equal(paramsToJson(DEFAULT_PARAMS).blocks_per_year, undefined);
  });

  it('every numeric param has a range, and docs/GOVERNANCE.md lists each with it', () => {
    const docs = readFileSync('docs/GOVERNANCE.md', 'utf8');
    for (const field of PARAM_NAMES) {
      const name = field;
      const value = DEFAULT_PARAMS[field];
      if (typeof value === 'number' || typeof value === 'bigint') assert.ok(paramRange(field) !== undefined, `${name} has a range`);
      const row = docs.split('\n').find((l) => l.startsWith(`| \`${name}\``));
      assert.ok(row !== undefined, `${name} is in the ranges table of docs/GOVERNANCE.md`);
      const range = paramRange(field);
      if (range !== undefined) assert.ok(row.includes(range), `${name}'s row shows ${range}`);
    }
  });

  it('evm_hardfork: osaka by default, cancun for stored params that predate it, fixed by governance', () => {
    assert.equal(paramsFromJson({}).evm_hardfork, 'osaka');
    assert.equal(paramsFromJson({ evm_hardfork: 'Cancun' }).evm_hardfork, 'cancun');
    assert.throws(() => paramsFromJson({ evm_hardfork: 'prague' }), /evm_hardfork: expected one of cancun, osaka/);
    assert.ok(FIXED_PARAMS.has('evm_hardfork'));
    const store = new Map<string, Uint8Array>();
    const kv = { get: (k: string) => store.get(k), set: (k: string, v: Uint8Array) => void store.set(k, v), delete: (k: string) => void store.delete(k) };
    saveParams(kv, { ...DEFAULT_PARAMS });
    assert.match(Buffer.from(store.get('p/params')!).toString(), /"evm_hardfork":"osaka"/);
    assert.equal(loadParams(kv).evm_hardfork, 'osaka');
    // A Cancun chain's record has no key (as before the param existed) and reads back as cancun.
    saveParams(kv, { ...DEFAULT_PARAMS, evm_hardfork: 'cancun' });
    assert.doesNotMatch(Buffer.from(store.get('p/params')!).toString(), /evm_hardfork/);
    assert.equal(loadParams(kv).evm_hardfork, 'cancun');
  });

  it('loadParams reuses the last parse only while the stored bytes are the same, and hands out copies', () => {
    const store = new Map<string, Uint8Array>();
    const kv = { get: (k: string) => store.get(k), set: (k: string, v: Uint8Array) => void store.set(k, v), delete: (k: string) => void store.delete(k) };
    saveParams(kv, { ...DEFAULT_PARAMS, min_gas_price: 7n });
    const first = loadParams(kv);
    assert.equal(first.min_gas_price, 7n);
    first.min_gas_price = 99n; // a caller building on its copy changes no one else's
    assert.equal(loadParams(kv).min_gas_price, 7n);
    // Equal bytes in another array (a reopened store): the same params.
    store.set('p/params', Uint8Array.from(store.get('p/params')!));
    assert.equal(loadParams(kv).min_gas_price, 7n);
    // A governance change of one value: the new record is parsed.
    saveParams(kv, { ...DEFAULT_PARAMS, min_gas_price: 8n });
    assert.equal(loadParams(kv).min_gas_price, 8n);
    // Another store holding other params (two chains in one process).
    const other = new Map<string, Uint8Array>();
    saveParams({ get: (k: string) => other.get(k), set: (k: string, v: Uint8Array) => void other.set(k, v), delete: () => undefined }, { ...DEFAULT_PARAMS, free_tx_slots: 3 });
    assert.equal(loadParams({ get: (k: string) => other.get(k) } as never).free_tx_slots, 3);
    assert.equal(loadParams(kv).free_tx_slots, DEFAULT_PARAMS.free_tx_slots);
  });
});
