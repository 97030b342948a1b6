// The simulator (`cmtd simulate`): real ledger, CometBFT's update delay,
// absent ranges and evidence, per-address outcome, conservation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CMT } from '../../src/state/params.js';
import { simulate } from '../../src/sim/simulate.js';
import { whitepaperGenesis } from '../support/staking-testkit.js';

describe('simulate', () => {
  const setup = whitepaperGenesis({
    stakeRatioBp: 5000,
    total: 10_000_000n * CMT,
    kinds: [{ selfStakeRatioBp: 1000, compRateBp: 5000 }],
    params: { seconds_per_year: '10000', unstake_waiting_period_s: '60' },
    validators: 4,
    backups: 1,
  });
  const [v0, v1] = setup.candidates;

  it('slashes an absent validator, removes it after max_slash_blocks, promotes the backup', () => {
    const r = simulate({
      genesis: setup.genesis,
      blocks: 40,
      absent: [{ address: v0!.address, from: 5, to: 30 }],
      byzantine: [{ address: v1!.address, height: 8 }],
    });
    assert.deepEqual(
      r.removals.map((x) => [x.address, x.height]),
      [
        [v1!.address, 8n],
        [v0!.address, 16n],
      ],
    );
    const by = new Map(r.addresses.map((a) => [a.address, a]));
    const T0 = v0!.self + v0!.delegated;
    const lost = by.get(v0!.address)!.slashed + by.get(v0!.delegator)!.slashed;
    // 12 misses of 0.1% each, compounding on a shrinking stake: a little under 1.2%
    assert.ok(lost > (T0 * 118n) / 10_000n && lost <= (T0 * 120n) / 10_000n, `lost ${lost}`);
    assert.ok(by.get(v1!.address)!.slashed >= (v1!.self * 120n) / 10_000n - 2n);
    assert.equal(
      r.burned,
      [...by.values()].reduce((s, a) => s + a.slashed, 0n),
    );
    // removed validators left the consensus set; the backup and the rest remain
    assert.equal(r.consensusSet.length, 3);
    // conservation
    const held = r.addresses.reduce((s, a) => s + a.balance + a.stake, 0n);
    assert.equal(held + r.dust, r.supply);
    assert.equal(
      r.bonded,
      r.addresses.reduce((s, a) => s + a.stake, 0n),
    );
    const earned = r.addresses.reduce((s, a) => s + a.earned, 0n);
    assert.equal(earned + r.dust, r.minted, 'everything minted was earned or is dust');
  });

  it('a year of 10 s blocks and a year of 1 s blocks both mint 8% of the base supply', () => {
    // An hour-long award year (genesis may shorten it for a test); the block interval is what varies.
    const year = whitepaperGenesis({
      stakeRatioBp: 5000,
      total: 10_000_000n * CMT,
      kinds: [{ selfStakeRatioBp: 1000, compRateBp: 2000 }],
      params: { seconds_per_year: '3600' },
      validators: 4,
      backups: 1,
    });
    const B = 10_000_000n * CMT;
    const tenSeconds = simulate({ genesis: year.genesis, blocks: 361, blockTimeS: 10 });
    const oneSecond = simulate({ genesis: year.genesis, blocks: 3601, blockTimeS: 1 });
    assert.equal(tenSeconds.minted, (B * 800n) / 10_000n);
    assert.equal(oneSecond.minted, (B * 800n) / 10_000n);
  });

  it('is deterministic', () => {
    const a = simulate({ genesis: setup.genesis, blocks: 30, absent: [{ address: v0!.address, from: 3, to: 6 }] });
    const b = simulate({ genesis: setup.genesis, blocks: 30, absent: [{ address: v0!.address, from: 3, to: 6 }] });
    assert.deepEqual(a, b);
  });
});
