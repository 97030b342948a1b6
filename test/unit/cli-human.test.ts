/** What people read: chain messages with CMT and dates instead of wei and Unix times; durations. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatTimeFromNow, humanizeChainText } from '../../src/cli/human.js';
import { formatArgs } from '../../src/cli/tx.js';
import { formatCmt } from '../../src/cli/format.js';

const NOW = 1_796_188_000; // 2026-12-02 04:46:40 UTC

describe('human-readable chain messages', () => {
  it('rewrites wei amounts as CMT and keeps every other number', () => {
    assert.equal(
      humanizeChainText("execution reverted: below_min_stake: an address's stake must be 0 or at least 1000000000000000000000 (would be 500050908790578295313)"),
      "execution reverted: below_min_stake: an address's stake must be 0 or at least 1,000 CMT (would be 500.050908 CMT)",
    );
    assert.equal(
      humanizeChainText('insufficient funds: 0x00000000000000000000000000000000000000aa has 5000 wei, the transaction needs up to 42000000000000 wei (gas limit × price + value)'),
      'insufficient funds: 0x00000000000000000000000000000000000000aa has 0 CMT, the transaction needs up to 0.000042 CMT (gas limit × price + value)',
    );
    // Gas, heights, ids and basis points are left alone; so are hex strings.
    assert.equal(
      humanizeChainText('rate 600 bp is above 500 bp; gas 21000 at height 1234567; 0x1234567890123456789012 0xab12345678901234567890cd'),
      'rate 600 bp is above 500 bp; gas 21000 at height 1234567; 0x1234567890123456789012 0xab12345678901234567890cd',
    );
  });

  it('rewrites Unix times as dates with how far they are', () => {
    assert.equal(humanizeChainText('proposal 3 expired at time 1796187400', NOW), 'proposal 3 expired at time 2026-12-02 04:56:40 UTC (10 min ago)');
    assert.equal(formatTimeFromNow(NOW + 120, NOW), '2026-12-02 05:08:40 UTC (in 2 min)');
  });

  it('writes CMT amounts truncated toward zero: a negative one keeps its sign, a sliver below the last digit is 0', () => {
    assert.equal(formatCmt(-1_500_000_000_000_000_000n), '-1.5');
    assert.equal(formatCmt(-1_000_000_000_000n), '-0.000001');
    assert.equal(formatCmt(-1n), '0', 'not "-0"');
    assert.equal(formatCmt(1_234_567_890_000_000_000_000n), '1,234.56789');
  });

  it('writes durations in words', () => {
    assert.equal(formatDuration(45), '45 s');
    assert.equal(formatDuration(125), '2 min 5 s');
    assert.equal(formatDuration(600), '10 min');
    assert.equal(formatDuration(12_000), '3 h 20 min');
    assert.equal(formatDuration(604_800), '7 days');
    assert.equal(formatDuration(90_000), '1 day 1 h');
  });

  it('shows event fields in CMT and dates', () => {
    assert.equal(
      formatArgs({ delegator: '0xab', amount: '50000000000000000000', requestId: '1', matureTime: String(NOW + 604_800), yes: true }, NOW),
      'delegator=0xab amount=50 CMT requestId=1 matureTime=2026-12-09 05:06:40 UTC (in 7 days) yes=true',
    );
  });
});
