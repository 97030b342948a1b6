// contracts/IStaking.sol compiled with solc equals the shipped ABI JSON (and
// the copy the contract uses); the dispatcher's gas, refusals and events.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { STAKING_GAS, STAKING_INTERFACE, StakingContract } from '../../src/staking/contract.js';
import { newTestChain, testAddress } from '../support/staking-testkit.js';
import { STAKING_ADDRESS, SystemCallError } from '../../src/system/types.js';

const require = createRequire(import.meta.url);

function compile(): unknown[] {
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'IStaking.sol': { content: readFileSync('contracts/IStaking.sol', 'utf8') } },
    settings: { outputSelection: { '*': { '*': ['abi'] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: Array<{ severity: string; formattedMessage: string }>;
    contracts: Record<string, Record<string, { abi: unknown[] }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  assert.deepEqual(
    errors.map((e) => e.formattedMessage),
    [],
  );
  return out.contracts['IStaking.sol']!.IStaking!.abi;
}

const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.slice(2), 'hex'));

describe('IStaking ABI', () => {
  it('solc output = contracts/abi/IStaking.json = the ABI the contract uses', () => {
    const shipped = JSON.parse(readFileSync('contracts/abi/IStaking.json', 'utf8')) as unknown[];
    assert.deepEqual(compile(), shipped);
    assert.deepEqual(JSON.parse(JSON.stringify(STAKING_ABI)), shipped);
  });

  it('has a documented gas cost for every function, under the free-transaction gas limit', () => {
    const fns: string[] = [];
    STAKING_INTERFACE.forEachFunction((f) => fns.push(f.name));
    assert.deepEqual(fns.sort(), Object.keys(STAKING_GAS).sort());
    // with the intrinsic gas of a long description (~4 KiB × 16) still under free_tx_gas_limit
    for (const g of Object.values(STAKING_GAS)) assert.ok(g > 0n && g + 21_000n + 4_200n * 16n <= 500_000n);
    const docs = readFileSync('docs/STAKING.md', 'utf8');
    for (const [name, gas] of Object.entries(STAKING_GAS)) {
      assert.ok(docs.includes(`\`${name}\``) && docs.includes(gas.toLocaleString('en-US')), `${name} documented`);
    }
  });
});

describe('StakingContract dispatch', () => {
  const chain = newTestChain();
  const c = StakingContract.over(chain.kv);
  const ctx = { sender: testAddress(1), value: 0n, height: 1n, time: 1n, txHash: new Uint8Array(32) };

  it('lives at the staking address and prices calls by function', () => {
    assert.equal(c.address, STAKING_ADDRESS);
    assert.equal(c.gasCost(bytes(STAKING_INTERFACE.encodeFunctionData('delegate', [testAddress(2)]))), STAKING_GAS.delegate);
  });

  it('refuses unknown selectors, short or malformed calldata, values to non-payable calls', () => {
    const reason = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof SystemCallError);
        return e.reason;
      }
      throw new Error('expected a refusal');
    };
    assert.equal(
      reason(() => c.call(ctx, Uint8Array.of(1, 2))),
      'unknown_function',
    );
    assert.equal(
      reason(() => c.call(ctx, Uint8Array.of(1, 2, 3, 4))),
      'unknown_function',
    );
    assert.equal(
      reason(() => c.gasCost(Uint8Array.of(1, 2, 3, 4))),
      'unknown_function',
    );
    const del = STAKING_INTERFACE.encodeFunctionData('delegate', [testAddress(2)]);
    assert.equal(
      reason(() => c.call(ctx, bytes(del.slice(0, 20)))),
      'bad_calldata',
    );
    const withdraw = bytes(STAKING_INTERFACE.encodeFunctionData('withdrawCandidacy', []));
    assert.equal(
      reason(() => c.call({ ...ctx, value: 1n }, withdraw)),
      'not_payable',
    );
    assert.equal(
      reason(() => c.call(ctx, withdraw)),
      'not_candidate',
    );
    assert.equal(
      reason(() => c.view(withdraw)),
      'not_view',
    );
    // the revert text starts with the reason code
    try {
      c.call(ctx, withdraw);
    } catch (e) {
      assert.match((e as Error).message, /^not_candidate: /);
    }
  });

  it('answers views through call too, without logs', () => {
    const r = c.call(ctx, bytes(STAKING_INTERFACE.encodeFunctionData('getCandidates', [])));
    assert.deepEqual(r.logs, []);
    assert.deepEqual([...STAKING_INTERFACE.decodeFunctionResult('getCandidates', r.returnData)[0]], []);
  });
});
