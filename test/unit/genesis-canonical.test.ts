// Genesis JSON formatting cannot change the state (issue 19.2): candidate
// descriptions are stored as canonical JSON, so two key orders give one
// InitChain app hash. InitChain also records CometBFT's chain id (SPEC 6).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { testAddress, testPubKey } from '../support/staking-testkit.js';
import { parseAppGenesis } from '../../src/app/genesis.js';
import { StakingLedger } from '../../src/staking/ledger.js';
import { Overlay } from '../../src/store/kv.js';

const CMT = 10n ** 18n;

/** InitChain of `appStateText` on a fresh store: its app hash (hex). */
async function initChain(appStateText: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-genesis-canonical-'));
  const store = await CommittedStore.open(join(dir, 'state.db'));
  try {
    const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
    const r = await app.initChain({
      time: { seconds: 1_700_000_000n, nanos: 0 },
      chainId: 'canonical-test',
      consensusParams: { block: { maxBytes: 1_000_000n, maxGas: 10_000_000n } },
      validators: [],
      appStateBytes: Buffer.from(appStateText, 'utf8'),
      initialHeight: 1n,
    });
    return Buffer.from(r.appHash!).toString('hex');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('genesis canonical form', () => {
  it('two key orders of a description give the same InitChain app hash', async () => {
    const address = testAddress('canonical');
    const candidate = (description: string): string =>
      `{"candidates":[{"address":"${address}","pub_key":"${Buffer.from(testPubKey('canonical')).toString('base64')}",` +
      `"max_stake":"${100_000n * CMT}","self_stake":"${10_000n * CMT}","comp_rate_bp":1000,"description":${description}}]}`;
    const a = candidate('{"name":"n","website":"https://w.example","location":"x"}');
    const b = candidate('{"website":"https://w.example","location":"x","name":"n"}');
    assert.equal(await initChain(a), await initChain(b));
    assert.equal(parseAppGenesis(Buffer.from(b)).candidates[0]!.description, '{"location":"x","name":"n","website":"https://w.example"}');
  });

  it('records the CometBFT chain id at InitChain; a state from an export keeps its own', () => {
    const state = new Overlay({ get: () => undefined });
    createModules().initGenesis(state, parseAppGenesis(Buffer.from('{}')), [], 'chain-a');
    assert.equal(new StakingLedger(state).chainId(), 'chain-a');
    createModules().initGenesis(state, parseAppGenesis(Buffer.from('{}')), [], 'chain-b');
    assert.equal(new StakingLedger(state).chainId(), 'chain-a');
  });
});
