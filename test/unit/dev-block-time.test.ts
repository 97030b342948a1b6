/** `cmtd dev --block-time`: on demand by default, else a duration as CometBFT or anvil write it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBlockTime } from '../../src/cli/dev.js';

describe('cmtd dev --block-time', () => {
  it('is on demand when unset, empty or zero', () => {
    for (const value of [undefined, '', ' ', '0', '0s', '0ms', '0.0']) assert.equal(parseBlockTime(value), undefined, String(value));
  });

  it('takes CometBFT durations and bare seconds (as anvil)', () => {
    assert.equal(parseBlockTime('2'), '2000ms');
    assert.equal(parseBlockTime('1.5'), '1500ms');
    assert.equal(parseBlockTime('500ms'), '500ms');
    assert.equal(parseBlockTime('3s'), '3000ms');
    assert.equal(parseBlockTime('1m'), '60000ms');
  });

  it('refuses what is not a duration, and durations out of range', () => {
    assert.throws(() => parseBlockTime('fast'), /--block-time must be a duration/);
    assert.throws(() => parseBlockTime('-1s'), /--block-time must be a duration/);
    assert.throws(() => parseBlockTime('5ms'), /from 10ms to 1 hour/);
    assert.throws(() => parseBlockTime('2h'), /--block-time must be a duration/);
    assert.throws(() => parseBlockTime('61m'), /from 10ms to 1 hour/);
  });
});
