// SPEC 5.6: for every row of the whitepaper table, a one-day run of the real
// ledger (8,640 blocks of 10 s, 19 validators + 5 backups holding 10% of the
// stake) through `simulate`, annualised, agrees with the income formula
// within 1%, for validators and delegators, at C = 50% and C = 20%.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../src/sim/simulate.js';
import { whitepaperGenesis, type WhitepaperKind } from '../support/staking-testkit.js';
import { WHITEPAPER_TABLE, per100, toNumber } from '../../src/staking/economics.js';

const DAY = 8640;
const YEAR_OVER_DAY = 3_153_600 / DAY; // 365

describe('whitepaper income table (one simulated day, annualised)', () => {
  const ratios = [...new Set(WHITEPAPER_TABLE.map((r) => r.stakeRatioBp))];
  for (const ratio of ratios) {
    const rows = WHITEPAPER_TABLE.filter((r) => r.stakeRatioBp === ratio);
    it(`stake ratio ${ratio / 100}%: rows with SSR ${rows.map((r) => `${r.selfStakeRatioBp / 100}%`).join(', ')}`, () => {
      // every (SSR, C) of these rows runs side by side in one chain: incomes depend only on one's own SSR and C
      const kinds: WhitepaperKind[] = rows.flatMap((r) => [
        { selfStakeRatioBp: r.selfStakeRatioBp, compRateBp: 5000 },
        { selfStakeRatioBp: r.selfStakeRatioBp, compRateBp: 2000 },
      ]);
      const setup = whitepaperGenesis({ stakeRatioBp: ratio, kinds });
      const result = simulate({ genesis: setup.genesis, blocks: DAY });
      assert.equal(result.supply, result.genesisSupply + result.minted - result.burned);
      assert.equal(result.burned, 0n);
      const by = new Map(result.addresses.map((a) => [a.address, a]));
      const checked = new Set<string>();
      for (const c of setup.candidates) {
        const expected = per100(ratio, c.kind.selfStakeRatioBp, c.kind.compRateBp);
        const v = (Number(by.get(c.address)!.earned) / Number(c.self)) * YEAR_OVER_DAY * 100;
        const d = (Number(by.get(c.delegator)!.earned) / Number(c.delegated)) * YEAR_OVER_DAY * 100;
        const ev = toNumber(expected.validator);
        const ed = toNumber(expected.delegator);
        const what = `${c.backup ? 'backup' : 'validator'} SSR ${c.kind.selfStakeRatioBp} C ${c.kind.compRateBp}`;
        assert.ok(Math.abs(v - ev) / ev < 0.01, `${what}: validator ${v.toFixed(3)} vs formula ${ev.toFixed(3)}`);
        assert.ok(Math.abs(d - ed) / ed < 0.01, `${what}: delegator ${d.toFixed(3)} vs formula ${ed.toFixed(3)}`);
        checked.add(`${c.backup}/${c.kind.selfStakeRatioBp}/${c.kind.compRateBp}`);
      }
      assert.equal(checked.size, kinds.length * 2, 'every kind checked among validators and backups');
      // and the formula is the whitepaper's table
      for (const r of rows) {
        assert.equal(Math.round(toNumber(per100(ratio, r.selfStakeRatioBp, 5000).validator)), r.validatorC50);
        assert.equal(Math.round(toNumber(per100(ratio, r.selfStakeRatioBp, 2000).delegator)), r.delegatorC20);
      }
    });
  }
});
