/** How the staking dashboard shows amounts, rates and times (ui/src/format.ts), and the history sampling (ui/src/sample.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bp, cmt, description, duration, nameOf, parseCmt, percent, ratio, safeLink } from '../../ui/src/format.js';
import { sampleHeights } from '../../ui/src/sample.js';

const CMT = 10n ** 18n;

describe('dashboard formatting', () => {
  it('shows wei as CMT, grouped, rounded down to the digits asked, without trailing zeros', () => {
    assert.equal(cmt(1_234_567n * CMT + CMT / 2n), '1,234,567.5');
    assert.equal(cmt(1n), '0', 'below the precision: 0, never rounded up');
    assert.equal(cmt(123_456_789_000_000n, 8), '0.00012345');
    assert.equal(cmt(-5n * CMT - CMT / 4n, 2), '-5.25', 'a slash bigger than the awards: negative earnings');
    assert.equal(cmt((10n * CMT).toString(), 0), '10');
  });

  it('parses typed CMT amounts exactly, refusing what is not one', () => {
    assert.equal(parseCmt('1,000.5'), 1_000n * CMT + CMT / 2n);
    assert.equal(parseCmt('0.000000000000000001'), 1n);
    for (const bad of ['', 'abc', '-1', '1e3', '0.0000000000000000001', '1.2.3']) assert.throws(() => parseCmt(bad), /expected a CMT amount/, bad);
  });

  it('shows rates, ratios and durations', () => {
    assert.equal(bp(1200), '12%');
    assert.equal(bp(1250), '12.50%');
    assert.equal(percent(0.256), '25.60%');
    assert.equal(percent(Number.NaN), '–');
    assert.equal(ratio(1n, 3n), 0.333333);
    assert.equal(ratio(5n, 0n), 0);
    assert.equal(duration(0), 'now');
    assert.equal(duration(59), '59 s');
    assert.equal(duration(7 * 86_400 + 3 * 3_600), '7 d 3 h');
    assert.equal(duration(3_700), '1 h 1 min');
  });

  it('reads candidate descriptions and links only http(s) websites', () => {
    assert.deepEqual(description('{"name":"node0","website":"https://x.example"}'), { name: 'node0', website: 'https://x.example' });
    assert.deepEqual(description('plain words'), { name: 'plain words' });
    assert.deepEqual(description('[1,2]'), { name: '[1,2]' });
    assert.equal(nameOf({ address: '0x1234567890123456789012345678901234567890', description: '' }), '0x1234…7890');
    assert.equal(safeLink('javascript:alert(1)'), undefined);
    assert.equal(safeLink('https://x.example/a'), 'https://x.example/a');
    assert.equal(safeLink(42), undefined);
  });

  it('samples history heights evenly, oldest first, never before block 1, always the head', () => {
    assert.deepEqual(sampleHeights(100n, 40n, 5), [60n, 70n, 80n, 90n, 100n]);
    assert.deepEqual(sampleHeights(3n, 2000n, 24), [1n, 2n, 3n]);
    assert.equal(sampleHeights(10_000n, 2000n, 24).length, 24);
  });
});
