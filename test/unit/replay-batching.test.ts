/**
 * Replay with its store writes batched over several blocks (replayChain's
 * flushBlocks; src/store deferred writes): a chain made in-process by the
 * real app, served as CometBFT JSON, replays with every app hash equal, and
 * a deliberately altered rule is still reported at exactly its height, with
 * the state on disk at the last matched height.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { finalizeBlockRequest, initChainRequest, type RawBlock, type RawBlockResults, type RawGenesis } from '../../src/replay/cometbft-json.js';
import { replayChain } from '../../src/replay/replay.js';
import { parseTestRule } from '../../src/replay/rules.js';
import type { HeightData, ReplaySource } from '../../src/replay/source.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { benchAccounts, signLegacyTransfer } from '../../bench/lib/txgen.js';

const BLOCKS = 30;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

/** The chain as a node's RPC would give it. */
class MemorySource implements ReplaySource {
  readonly description = 'in-process chain';
  constructor(
    private readonly genesisDoc: RawGenesis,
    private readonly data: HeightData[],
  ) {}
  async genesis(): Promise<RawGenesis> {
    return this.genesisDoc;
  }
  async lastHeight(): Promise<bigint> {
    return BigInt(this.data.length);
  }
  async *heights(first: bigint, last: bigint): AsyncGenerator<HeightData> {
    for (let h = first; h <= last; h++) yield this.data[Number(h) - 1]!;
  }
  async close(): Promise<void> {}
}

describe('replay with batched store writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-replay-batching-'));
  const [alice, bob] = benchAccounts(2, 'replay-batching');
  const genesis: RawGenesis = {
    genesis_time: '2026-12-01T00:00:00Z',
    chain_id: 'replay-test',
    initial_height: '1',
    consensus_params: { block: { max_bytes: '1000000', max_gas: '10000000' } },
    validators: [],
    app_state: { accounts: [{ address: alice!.address, balance: (10n ** 21n).toString() }] },
  };
  const chain: HeightData[] = [];
  const appHashes: string[] = [];

  before(async () => {
    // The chain: one transfer per block, made by the real app over its own store.
    const store = await CommittedStore.open(join(dir, 'origin'));
    const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
    let previous = hex((await app.initChain(initChainRequest(genesis))).appHash ?? new Uint8Array(0));
    for (let h = 1; h <= BLOCKS; h++) {
      const block: RawBlock = {
        block_id: { hash: h.toString(16).padStart(64, '0').toUpperCase() },
        block: {
          header: {
            chain_id: genesis.chain_id,
            height: String(h),
            time: `2026-12-01T00:00:${String(h).padStart(2, '0')}Z`,
            validators_hash: '',
            next_validators_hash: '',
            app_hash: previous, // the state before this block
            proposer_address: '',
          },
          data: { txs: [Buffer.from(signLegacyTransfer(alice!, bob!.address, BigInt(h), BigInt(h - 1), 18n)).toString('base64')] },
          evidence: { evidence: [] },
          last_commit: null,
        },
      };
      const response = await app.finalizeBlock(finalizeBlockRequest(block, undefined));
      await app.commit();
      assert.equal(response.txResults[0]!.code, 0, response.txResults[0]!.log);
      const results: RawBlockResults = {
        height: String(h),
        txs_results: response.txResults.map((r) => ({
          code: r.code,
          data: Buffer.from(r.data ?? new Uint8Array(0)).toString('base64'),
          gas_wanted: (r.gasWanted ?? 0n).toString(),
          gas_used: (r.gasUsed ?? 0n).toString(),
        })),
        validator_updates: [],
        app_hash: Buffer.from(response.appHash).toString('base64'),
      };
      previous = hex(response.appHash);
      appHashes.push(previous);
      chain.push({ block, results });
    }
    await store.close();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('matches every app hash with a write every 4 blocks, and leaves the last height on disk', async () => {
    const stateDir = join(dir, 'batched');
    const report = await replayChain({ source: new MemorySource(genesis, chain), stateDir, flushBlocks: 4 });
    assert.equal(
      report.divergence,
      undefined,
      JSON.stringify(report.divergence, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    assert.equal(report.matched, BigInt(BLOCKS));
    const store = await CommittedStore.open(stateDir);
    try {
      assert.equal(store.height, BigInt(BLOCKS));
      assert.equal(hex(store.appHash), appHashes[BLOCKS - 1]);
      assert.equal(hex(store.appHashAt(10n)), appHashes[9]);
      await store.verify();
    } finally {
      await store.close();
    }
  });

  it('reports an altered rule at exactly its height inside a write window, with the last matched height on disk', async () => {
    const stateDir = join(dir, 'diverged');
    const report = await replayChain({ source: new MemorySource(genesis, chain), stateDir, flushBlocks: 5, testRule: parseTestRule('transfer-fee-plus-one@13') });
    assert.equal(report.divergence?.height, 13n);
    assert.equal(report.divergence?.appHash?.expected, appHashes[12]);
    assert.equal(report.matched, 12n);
    const store = await CommittedStore.open(stateDir);
    try {
      assert.equal(store.height, 12n, 'heights 11 and 12 were deferred, and flushed on the divergence');
      assert.equal(hex(store.appHash), appHashes[11]);
    } finally {
      await store.close();
    }
  });
});
