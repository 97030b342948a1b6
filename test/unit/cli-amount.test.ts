/** Command-line amounts, gas prices and the transaction helpers of `cmtd tx` (gas limits, log decoding). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAmount, parseGasPrice, parseWhole } from '../../src/cli/amount.js';
import { envName } from '../../src/cli/flags.js';
import { decodeLog, gasLimitOf, systemCall } from '../../src/cli/tx.js';
import { getBytes } from 'ethers';
import { governanceInterface } from '../../src/gov/index.js';
import { STAKING_GAS } from '../../src/staking/index.js';
import { intrinsicGas } from '../../src/tx/gas.js';

const CMT = 10n ** 18n;

describe('parseAmount', () => {
  it('reads CMT with decimals, exactly', () => {
    assert.equal(parseAmount('1'), CMT);
    assert.equal(parseAmount('1.5'), 15n * 10n ** 17n);
    assert.equal(parseAmount('0.000000000000000001'), 1n);
    assert.equal(parseAmount('.25'), CMT / 4n);
    assert.equal(parseAmount('1,000,000'), 1_000_000n * CMT);
    assert.equal(parseAmount('2.50CMT'), 25n * 10n ** 17n);
    assert.equal(parseAmount(' 3 cmt '), 3n * CMT);
    assert.equal(parseAmount('1.000000000000000000000'), CMT, 'trailing zeros beyond 18 decimals are harmless');
    // Beyond what a double can hold: no floating point anywhere.
    assert.equal(parseAmount('123456789012345678.123456789012345678'), 123456789012345678123456789012345678n);
  });

  it('reads wei and gwei', () => {
    assert.equal(parseAmount('1500000000000000000wei'), 15n * 10n ** 17n);
    assert.equal(parseAmount('1WEI'), 1n);
    assert.equal(parseAmount('2gwei'), 2_000_000_000n);
    assert.equal(parseAmount('0.5gwei'), 500_000_000n);
  });

  it('refuses what is not an amount, naming the flag', () => {
    for (const bad of ['', 'abc', '-1', '1e18', '1.2.3', '0x10', '1 2', 'cmt', '.']) {
      assert.throws(() => parseAmount(bad, '--amount'), /--amount must be an amount like 1\.5/, bad);
    }
    assert.throws(() => parseAmount('1.5wei', '--amount'), /fraction of a wei/);
    assert.throws(() => parseAmount('0.0000000000000000001', '--amount'), /more than 18 decimals/);
    assert.throws(() => parseAmount('0.0000000001gwei', '--amount'), /more than 9 decimals/);
  });
});

describe('parseGasPrice / parseWhole', () => {
  it('takes a bare number as wei, units as given', () => {
    assert.equal(parseGasPrice('0'), 0n);
    assert.equal(parseGasPrice('2000000000'), 2_000_000_000n);
    assert.equal(parseGasPrice('2gwei'), 2_000_000_000n);
    assert.equal(parseGasPrice('1.5gwei'), 1_500_000_000n);
    assert.throws(() => parseGasPrice('1.5'), /fraction of a wei/);
  });

  it('parses whole numbers', () => {
    assert.equal(parseWhole('21000', '--gas-limit'), 21_000n);
    assert.equal(parseWhole('1_000_000', '--gas-limit'), 1_000_000n);
    assert.throws(() => parseWhole('1.5', '--gas-limit'), /--gas-limit must be a whole number/);
    assert.throws(() => parseWhole('-1', '--nonce'), /--nonce must be a whole number/);
  });
});

describe('cmtd tx helpers', () => {
  it('names environment variables after the long flag', () => {
    assert.equal(envName('--gas-price <price>'), 'CMTD_GAS_PRICE');
    assert.equal(envName('--no-wait'), 'CMTD_NO_WAIT');
    assert.equal(envName('--from <key>'), 'CMTD_FROM');
  });

  it('gas limit = intrinsic gas + the documented fixed cost of the system call', () => {
    const call = systemCall('staking', 'delegate', ['0x00000000000000000000000000000000000000aa'], CMT, 'delegate');
    const data = new Uint8Array(Buffer.from(call.data.slice(2), 'hex'));
    assert.equal(gasLimitOf(call), intrinsicGas({ to: call.to as `0x${string}`, data, accessList: [] }) + STAKING_GAS.delegate!);
    assert.equal(gasLimitOf({ to: '0x00000000000000000000000000000000000000aa', data: '0x', value: 1n, summary: 'transfer' }), 21_000n);
  });

  it('decodes receipt logs with the system ABIs', () => {
    const voter = '0x00000000000000000000000000000000000000bb';
    const voted = governanceInterface.encodeEventLog('Voted', [7n, voter, true]);
    const decoded = decodeLog({ address: '0x0000000000000000000000000000000000001001', topics: voted.topics.map((t) => getBytes(t)), data: getBytes(voted.data) });
    assert.deepEqual(decoded, { address: '0x0000000000000000000000000000000000001001', event: 'Voted', args: { id: '7', voter, yes: true } });
    const other = decodeLog({ address: '0x00000000000000000000000000000000000000cc', topics: [new Uint8Array(32)], data: new Uint8Array([1]) });
    assert.equal(other.event, undefined);
    assert.equal(other.data, '0x01');
  });
});
