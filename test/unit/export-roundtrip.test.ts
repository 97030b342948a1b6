/**
 * `cmtd export` without CometBFT: an app driven block by block (transfers,
 * delegations, unstake requests, an absent validator, a contract) is
 * exported, and InitChain of the exported app_state in a fresh app gives the
 * same app hash; a hand-edited export is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interface } from 'ethers';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { STAKING_INTERFACE } from '../../src/staking/index.js';
import { STAKING_ADDRESS } from '../../src/system/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { loadContract } from '../support/contracts.js';
import { readSnapshot } from '../../src/export/snapshot.js';
import { buildExport, exportHome } from '../../src/export/export.js';
import { stateDir } from '../../src/node/run.js';
import { benchAccounts, signLegacyTransfer, signLegacyTx } from '../../bench/lib/txgen.js';
import type { RequestFinalizeBlock, VoteInfo } from '../../src/abci/types.js';

const CMT = 10n ** 18n;
const accounts = benchAccounts(6, 'export');
const keys = [0, 1, 2].map((i) => createHash('sha256').update(`export-key-${i}`).digest());
const consensusAddresses = keys.map((k) => createHash('sha256').update(k).digest().subarray(0, 20));
const genesis = {
  params: { max_validators: 2, backup_validators: 1, unstake_waiting_period_s: '1000', foundation_address: accounts[0]!.address },
  accounts: accounts.map((a) => ({ address: a.address, balance: (1_000_000n * CMT).toString() })),
  candidates: keys.map((k, i) => ({
    address: accounts[i]!.address,
    pub_key: k.toString('base64'),
    max_stake: (200_000n * CMT).toString(),
    self_stake: ((20_000n + BigInt(i) * 1_000n) * CMT).toString(),
    comp_rate_bp: 1000 + i * 500,
    description: { name: `c${i}` },
  })),
};

type DelegationJson = { candidate: string; amount: string; principal: string; earned: string };

/** A delegator's delegations as the node's query path answers them. */
async function delegationsOf(app: CmtdApp, address: string): Promise<DelegationJson[]> {
  const r = await app.query({ path: `/delegations/${address}`, data: new Uint8Array(0), height: 0n, prove: false });
  assert.equal(r.code, 0, r.log);
  return JSON.parse(Buffer.from(r.value!).toString()) as DelegationJson[];
}

async function openApp(dir: string): Promise<{ app: CmtdApp; store: CommittedStore }> {
  const store = await CommittedStore.open(stateDir(dir));
  return { app: new CmtdApp({ store, modules: createModules(), logger: silentLogger() }), store };
}

describe('export', () => {
  it('exports a state whose InitChain reproduces the app hash, and refuses an edited export', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cmtd-export-unit-'));
    const fresh = mkdtempSync(join(tmpdir(), 'cmtd-export-unit-new-'));
    const editDir = mkdtempSync(join(tmpdir(), 'cmtd-export-unit-edit-'));
    try {
      let { app, store } = await openApp(home);
      await app.initChain({
        time: { seconds: 1_000n, nanos: 0 },
        chainId: 'export',
        consensusParams: { block: { maxBytes: 1_000_000n, maxGas: 30_000_000n } },
        validators: [],
        appStateBytes: Buffer.from(JSON.stringify(genesis)),
        initialHeight: 1n,
      });
      const token = loadContract('LoyaltyToken');
      const iface = new Interface(token.abi);
      const nonces = accounts.map(() => 0n);
      const tx = (from: number, fields: { to: string | null; data?: string; value?: bigint; gasLimit?: bigint }): Uint8Array =>
        signLegacyTx(accounts[from]!, {
          to: fields.to ?? '0x', // '0x': contract creation
          data: Buffer.from((fields.data ?? '0x').slice(2), 'hex'),
          value: fields.value ?? 0n,
          nonce: nonces[from]!++,
          gasLimit: fields.gasLimit ?? 300_000n,
        });
      const staking = (from: number, fn: string, args: unknown[], value = 0n): Uint8Array =>
        tx(from, { to: STAKING_ADDRESS, data: STAKING_INTERFACE.encodeFunctionData(fn, args), value });
      const blocks: Uint8Array[][] = [
        [signLegacyTransfer(accounts[3]!, accounts[4]!.address, 5n * CMT, nonces[3]!++), staking(4, 'delegate', [accounts[0]!.address], 5_000n * CMT)],
        [
          staking(5, 'delegate', [accounts[1]!.address], 8_000n * CMT),
          tx(3, { to: null, data: token.bytecode + iface.encodeDeploy(['Points', 'PTS', accounts[3]!.address]).slice(2), gasLimit: 3_000_000n }),
        ],
        [staking(4, 'unstake', [accounts[0]!.address, 1_000n * CMT]), staking(0, 'setEnterprise', [accounts[5]!.address, true])],
        [],
        [staking(5, 'unstake', [accounts[1]!.address, 0n])],
      ];
      for (const [i, txs] of blocks.entries()) {
        const height = BigInt(i + 1);
        const votes: VoteInfo[] =
          height === 1n ? [] : consensusAddresses.map((address, c) => ({ validator: { address, power: 1n }, blockIdFlag: c === 1 && height === 3n ? 'absent' : 'commit' }));
        const request: RequestFinalizeBlock = {
          txs,
          decidedLastCommit: { round: 0, votes },
          misbehavior: [],
          hash: createHash('sha256').update(`block-${height}`).digest(),
          height,
          time: { seconds: 1_000n + height * 5n, nanos: 0 },
          nextValidatorsHash: new Uint8Array(32),
          proposerAddress: new Uint8Array(20),
        };
        const response = await app.finalizeBlock(request);
        for (const r of response.txResults) assert.equal(r.code, 0, r.log);
        await app.commit();
      }
      const height = BigInt(blocks.length);
      const appHash = store.appHash;
      // accounts[4] delegated 5,000 CMT and unstaked 1,000 of a value grown by awards: its principal is neither.
      const delegated = await delegationsOf(app, accounts[4]!.address);
      assert.equal(delegated.length, 1);
      const principal = BigInt(delegated[0]!.principal);
      assert.ok(principal > 4_000n * CMT && principal < 5_000n * CMT, `principal ${principal}`);
      assert.notEqual(delegated[0]!.earned, '0');
      await store.close();

      await assert.rejects(exportHome(home, height - 1n), /is at height 5, not 4/);
      const exported = await exportHome(home, height);
      assert.deepEqual(exported.appHash, appHash);
      const appState = exported.appState as Record<string, unknown> & { exact_state: { records: Record<string, unknown> } };
      // The SPEC 10 part says what the state holds.
      assert.equal((appState.contracts as unknown[]).length, 1);
      assert.deepEqual(appState.enterprise_accounts, [accounts[5]!.address]);
      assert.ok((appState.delegations as Array<{ delegator: string }>).some((d) => d.delegator === accounts[4]!.address));
      assert.ok(
        Object.keys(appState.exact_state.records).some((k) => k.startsWith('k/u/')),
        'the unstake requests are exact records',
      );
      assert.ok(!Object.keys(appState.exact_state.records).some((k) => k.startsWith('a/')), 'accounts come from the SPEC 10 fields');

      // A new chain from the export: InitChain's app hash is the exported state's.
      ({ app, store } = await openApp(fresh));
      const init = await app.initChain({
        time: { seconds: 2_000n, nanos: 0 },
        chainId: 'export-new',
        consensusParams: { block: { maxBytes: 1_000_000n, maxGas: exported.blockMaxGas } },
        validators: [],
        appStateBytes: Buffer.from(JSON.stringify(appState)),
        initialHeight: height + 1n,
      });
      assert.equal(Buffer.from(init.appHash!).toString('hex'), Buffer.from(appHash).toString('hex'));
      assert.deepEqual(init.validators!.map((v) => Buffer.from(v.pubKey.ed25519!).toString('base64')).sort(), exported.validators.map((v) => v.pubKey).sort());
      // ... and it keeps running: the next block executes (the unstake request matures later).
      const next = await app.finalizeBlock({
        txs: [signLegacyTransfer(accounts[3]!, accounts[2]!.address, CMT, nonces[3]!++)],
        decidedLastCommit: { round: 0, votes: [] },
        misbehavior: [],
        hash: new Uint8Array(32),
        height: height + 1n,
        time: { seconds: 2_000n, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: new Uint8Array(20),
      });
      assert.equal(next.txResults[0]!.code, 0, next.txResults[0]!.log);
      await app.commit();
      // The principal survives the export exactly (the new block's awards change only the value).
      const restored = await delegationsOf(app, accounts[4]!.address);
      assert.equal(restored.length, 1);
      assert.equal(restored[0]!.principal, delegated[0]!.principal, 'the principal survives the export');
      assert.equal(BigInt(restored[0]!.earned), BigInt(restored[0]!.amount) - principal);
      await store.close();

      // An edited export is refused rather than loaded into another state than it claims.
      const edited = structuredClone(appState) as unknown as { accounts: Array<{ balance: string }> };
      edited.accounts[0]!.balance = '1';
      const again = await openApp(editDir);
      try {
        await assert.rejects(
          again.app.initChain({
            time: { seconds: 0n, nanos: 0 },
            chainId: 'x',
            validators: [],
            appStateBytes: Buffer.from(JSON.stringify(edited)),
            initialHeight: 1n,
          }),
          /exact_state\.seal/,
        );
      } finally {
        await again.store.close();
      }
      // So is an export whose exact records were edited (they are sealed too).
      const recordEdited = structuredClone(appState) as unknown as { exact_state: { records: Record<string, string | null> } };
      const recordKeys = Object.keys(recordEdited.exact_state.records);
      assert.ok(recordKeys.length > 0, 'the export has exact records');
      recordEdited.exact_state.records[recordKeys[0]!] = null;
      const third = await openApp(join(editDir, 'records'));
      try {
        await assert.rejects(
          third.app.initChain({ time: { seconds: 0n, nanos: 0 }, chainId: 'x', validators: [], appStateBytes: Buffer.from(JSON.stringify(recordEdited)), initialHeight: 1n }),
          /exact_state\.seal/,
        );
      } finally {
        await third.store.close();
      }
      // The snapshot reader agrees with the store.
      const snapshot = await readSnapshot(stateDir(home));
      assert.equal((await buildExport(snapshot)).records, exported.records);
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(fresh, { recursive: true, force: true });
      rmSync(editDir, { recursive: true, force: true });
    }
  });
});
