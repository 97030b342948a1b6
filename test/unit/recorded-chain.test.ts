/**
 * The recorded chain (test/unit/fixtures/recorded-chain.jsonl.gz, made by
 * scripts/record-fixture-chain.ts): 240 blocks of transfers, EVM calls,
 * staking, slashing and governance with the app hash of every height. This
 * build must reproduce every app hash, transaction result and validator
 * update, through the v0.38 flow (replay) and the v0.37 flow alike, with
 * the default state cache and with none.
 *
 * A failure here means the state format or a consensus rule changed. If
 * that was intended, regenerate the fixture in the same commit and say why
 * (docs/TESTING.md "The recorded chain"); otherwise it is a bug.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { replayChain } from '../../src/replay/replay.js';
import { FileSource } from '../../src/replay/source.js';
import { finalizeBlockRequest, hexBytes, initChainRequest, rawUpdatesText, updatesText } from '../../src/replay/cometbft-json.js';
import { silentLogger } from '../../src/util/logger.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const RECORDING = join(FIXTURES, 'recorded-chain.jsonl.gz');
const PINNED = JSON.parse(readFileSync(join(FIXTURES, 'recorded-chain.app-hashes.json'), 'utf8')) as { app_hashes: string[] };
const HEIGHTS = PINNED.app_hashes.length - 1;
const REGENERATE = 'if the state format changed on purpose, run `npm run fixture:chain` and commit the fixture with the reason (docs/TESTING.md)';

function hex(b: Uint8Array | undefined): string {
  return Buffer.from(b ?? new Uint8Array(0))
    .toString('hex')
    .toUpperCase();
}

async function withStateDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-recorded-chain-'));
  try {
    return await run(join(dir, 'state.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function queryJson<T>(app: CmtdApp, path: string): Promise<T> {
  const r = await app.query({ path, data: new Uint8Array(0), height: 0n, prove: false });
  assert.equal(r.code, 0, `${path}: ${r.log}`);
  return JSON.parse(Buffer.from(r.value!).toString('utf8')) as T;
}

describe('the recorded chain', () => {
  it('pins the same app hashes in the recording and in the readable list', async () => {
    const source = await FileSource.open(RECORDING);
    try {
      assert.equal(await source.lastHeight(), BigInt(HEIGHTS));
      const genesis = await source.genesis();
      let height = 0;
      for await (const data of source.heights(1n, BigInt(HEIGHTS))) {
        height++;
        assert.equal(data.block.block.header.app_hash, PINNED.app_hashes[height - 1], `header of block ${height}`);
        assert.equal(hex(Buffer.from(data.results.app_hash ?? '', 'base64')), PINNED.app_hashes[height], `block_results of block ${height}`);
      }
      assert.equal(height, HEIGHTS);
      assert.equal(genesis.chain_id, 'cmtd-fixture');
    } finally {
      await source.close();
    }
  });

  it('replays (v0.38 flow) with every app hash, transaction result and validator update equal', async () => {
    await withStateDir(async (stateDir) => {
      const source = await FileSource.open(RECORDING);
      try {
        const report = await replayChain({ source, stateDir });
        assert.equal(report.divergence, undefined, `${JSON.stringify(report.divergence, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}; ${REGENERATE}`);
        assert.equal(report.matched, BigInt(HEIGHTS));
        assert.deepEqual(report.unverified, [], 'every height had an app hash to check');
      } finally {
        await source.close();
      }

      // The scenario did what it says (a fixture that silently lost its slashing or governance would pin less).
      const store = await CommittedStore.open(stateDir);
      try {
        const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
        const proposals = await queryJson<Array<{ status: string }>>(app, '/proposals');
        assert.deepEqual(proposals.map((p) => p.status).sort(), ['expired', 'passed']);
        assert.equal(String((await queryJson<Record<string, unknown>>(app, '/params')).unstake_waiting_period_s), '90', 'the passed proposal changed the param');
        const supply = await queryJson<{ burned: string; minted: string }>(app, '/supply');
        assert.ok(BigInt(supply.burned) > 0n && BigInt(supply.minted) > 0n);
        const candidates = await queryJson<Array<{ state: string; slashed: string }>>(app, '/candidates');
        assert.ok(candidates.filter((c) => BigInt(c.slashed) > 0n).length >= 4, 'absences and evidence slashed several candidates');
        assert.equal(candidates.length, 6, 'seven candidacies, one withdrawn and paid out');
      } finally {
        await store.close();
      }
    });
  });

  it('gives the same app hashes, results and validator updates through the v0.37 flow (BeginBlock, DeliverTx, EndBlock, Commit), with no state cache', async () => {
    await withStateDir(async (stateDir) => {
      const source = await FileSource.open(RECORDING);
      // No cache (the replay above runs with the default one): a cache's size must never change a result.
      const store = await CommittedStore.open(stateDir, { cacheBytes: 0 });
      try {
        const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
        const init = await app.initChain(initChainRequest(await source.genesis()));
        assert.equal(hex(init.appHash), PINNED.app_hashes[0], 'InitChain');
        for await (const data of source.heights(1n, BigInt(HEIGHTS))) {
          const req = finalizeBlockRequest(data.block, data.lastValidators?.validators);
          const header = data.block.block.header;
          await app.beginBlock({
            hash: req.hash,
            header: {
              version: { block: 11n, app: 1n },
              chainId: header.chain_id,
              height: req.height,
              time: req.time,
              lastBlockId: { hash: new Uint8Array(0), partSetHeader: { total: 0, hash: new Uint8Array(0) } },
              lastCommitHash: new Uint8Array(0),
              dataHash: new Uint8Array(0),
              validatorsHash: hexBytes(header.validators_hash),
              nextValidatorsHash: req.nextValidatorsHash,
              consensusHash: new Uint8Array(0),
              appHash: hexBytes(header.app_hash),
              lastResultsHash: new Uint8Array(0),
              evidenceHash: new Uint8Array(0),
              proposerAddress: req.proposerAddress,
            },
            lastCommitInfo: req.decidedLastCommit,
            byzantineValidators: req.misbehavior,
          });
          const results = [];
          for (const tx of req.txs) results.push(await app.deliverTx({ tx }));
          const end = await app.endBlock({ height: req.height });
          const committed = await app.commitV037();
          const h = Number(req.height);
          assert.equal(hex(committed.data), PINNED.app_hashes[h], `app hash of height ${h} through v0.37; ${REGENERATE}`);
          assert.deepEqual(
            results.map((r) => [r.code, hex(r.data), (r.gasWanted ?? 0n).toString(), (r.gasUsed ?? 0n).toString()]),
            (data.results.txs_results ?? []).map((r) => [r.code, hex(Buffer.from(r.data ?? '', 'base64')), r.gas_wanted, r.gas_used]),
            `transaction results of height ${h}`,
          );
          assert.deepEqual(updatesText(end.validatorUpdates ?? []), rawUpdatesText(data.results.validator_updates), `validator updates of height ${h}`);
        }
      } finally {
        await store.close();
        await source.close();
      }
    });
  });
});
