/**
 * What a block without transactions writes (issue 20, item 1: `cmtd dev`
 * makes blocks on demand only if an idle block leaves the state, and so the
 * app hash, as it was). With `inflation_rate_bp` 0 the staking ledger writes
 * nothing in an idle block (no award year, block or award record); the one
 * write left is the BLOCKHASH ring (`bh/`, docs/EVM.md), which the Ethereum
 * semantics of BLOCKHASH need (docs/RPC.md "cmtd dev blocks"). With
 * inflation, the mint still runs in every block, by header time (SPEC 5.1).
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { readBlockHash } from '../../src/evm/engine.js';
import { SnapshotStore } from '../../src/statesync/snapshots.js';
import { silentLogger } from '../../src/util/logger.js';
import { Account, AppNode, CMT, T0 } from '../support/app-node.js';

const YEAR_MS = 31_536_000_000n;

/** AppNode's block hashes. */
const blockHash = (height: bigint): Uint8Array => createHash('sha256').update(`block-${height}`).digest();

function consensusKey(): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(-32)).toString('base64');
}

function genesis(operator: Account, sender: Account, inflationBp: number): unknown {
  return {
    params: { foundation_address: operator.address, inflation_rate_bp: String(inflationBp) },
    accounts: [operator, sender].map((a) => ({ address: a.address, balance: (10_000n * CMT).toString() })),
    candidates: [
      {
        address: operator.address,
        pub_key: consensusKey(),
        max_stake: (100_000n * CMT).toString(),
        self_stake: (10_000n * CMT).toString(),
        comp_rate_bp: 2000,
        description: { name: 'node0' },
        verified: false,
      },
    ],
  };
}

/** Every key whose value differs between two committed versions. */
async function changedKeys(node: AppNode, before: bigint, after: bigint): Promise<string[]> {
  const all = async (version: bigint): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    let from = '';
    for (;;) {
      const page = await node.store.entries(version, from, 1000);
      for (const [k, v] of page.entries) out.set(k, Buffer.from(v).toString('hex'));
      if (page.next === undefined) return out;
      from = page.next;
    }
  };
  const [a, b] = [await all(before), await all(after)];
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}

describe('an idle block', () => {
  let node: AppNode;
  afterEach(() => node.close());

  it("with inflation 0 changes nothing (app hash kept); the next block that writes puts the idle blocks' hashes in the BLOCKHASH ring, also after a restart", async () => {
    node = new AppNode();
    const operator = Account.fromSeed('idle-operator');
    const sender = Account.fromSeed('idle-sender');
    await node.open(genesis(operator, sender, 0), { stateHistory: 100 });
    await node.block([]);
    const idle1 = await node.block([]);
    assert.deepEqual(await changedKeys(node, 1n, 2n), [], 'an idle block before any transaction');
    assert.deepEqual(idle1.response.appHash, node.store.appHashAt(1n), 'the same app hash: CometBFT needs no further block');
    // A restarted app finds the idle hashes where the commit left them.
    const restarted = new CmtdApp({ store: node.store, modules: createModules(), logger: silentLogger() });
    await restarted.open();
    node.app = restarted;
    const paying = await node.block([await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n })]);
    assert.equal(paying.results[0]!.code, 0, paying.results[0]!.log);
    const payingHeight = node.height;
    for (let i = 0; i < 3; i++) await node.block([]);

    const byPaying = await changedKeys(node, payingHeight - 1n, payingHeight);
    for (const key of ['bh/002', 'bh/003']) assert.ok(byPaying.includes(key), `the paying block writes ${key}: ${byPaying.join(' ')}`);
    assert.ok(
      byPaying.some((k) => k.startsWith('k/aw/')),
      `the paying block records its awards: ${byPaying.join(' ')}`,
    );
    assert.ok(
      byPaying.some((k) => k.startsWith('k/c/')),
      'the fee is paid to the validator',
    );
    assert.equal(Buffer.from(readBlockHash(node.store, 2n)).toString('hex'), Buffer.from(blockHash(2n)).toString('hex'), "BLOCKHASH(2) is the idle block's hash");
    for (let h = payingHeight + 1n; h <= node.height; h++) {
      assert.deepEqual(await changedKeys(node, h - 1n, h), [], `idle block ${h}`);
      assert.deepEqual(node.store.appHashAt(h), node.store.appHashAt(h - 1n));
    }
    const awards = await node.json<{ height: string; fees: string }>(`/awards/${payingHeight}`);
    assert.equal(BigInt(awards.height), payingHeight);
    assert.equal(BigInt(awards.fees), 21_000n * 2_000_000_000n);
    const idle = await node.app.query({ path: `/awards/${node.height}`, data: new Uint8Array(0), height: 0n, prove: false });
    assert.notEqual(idle.code, 0, 'an idle block has no award record');
    assert.match(idle.log ?? '', /slashed nothing has none/);
  });

  it('with inflation, every block still mints by header time: minted = floor(B · r · elapsed / (10^4 · Y)) to the wei', async () => {
    node = new AppNode();
    const operator = Account.fromSeed('idle-operator');
    const sender = Account.fromSeed('idle-sender');
    await node.open(genesis(operator, sender, 800));
    const base = 30_000n * CMT; // two balances and one self-stake
    await node.block([]);
    const t1 = (T0 + 5n) * 1000n; // block 1's header time (AppNode: T0 + 5 s per height)
    for (let i = 0; i < 4; i++) {
      await node.block([]);
      const changed = await changedKeys(node, node.height - 1n, node.height);
      for (const key of ['k/y', 's/supply', `k/aw/${(node.height % 100n).toString(16).padStart(16, '0')}`])
        assert.ok(changed.includes(key), `block ${node.height} writes ${key}: ${changed.join(' ')}`);
      const elapsed = (T0 + node.height * 5n) * 1000n - t1;
      const supply = await node.json<{ minted: string }>('/supply');
      assert.equal(BigInt(supply.minted), (base * 800n * elapsed) / (10_000n * YEAR_MS), `minted by block ${node.height}`);
    }
  });
  it('puts a state-sync snapshot due at an idle height off to the next height that writes its BLOCKHASH entries', async () => {
    node = new AppNode();
    const operator = Account.fromSeed('idle-operator');
    const sender = Account.fromSeed('idle-sender');
    await node.open(genesis(operator, sender, 0));
    const snapshots = new SnapshotStore({ dir: join(node.dir, 'snapshots'), source: node.store, interval: 2, keepRecent: 10, chunkBytes: 1024 });
    await snapshots.open();
    (node.app as unknown as { snapshots: SnapshotStore }).snapshots = snapshots;
    const pay = async (): Promise<Uint8Array> => sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n });
    // 1: genesis written; 2: idle (due, put off); 3: pays (taken); 4: idle (due, put off); 5: idle; 6: pays (taken, and due anyway).
    for (const txs of [[], [], [await pay()], [], [], [await pay()]]) {
      await node.block(txs);
      await snapshots.idle();
    }
    assert.deepEqual(
      snapshots
        .list()
        .map((x) => x.height)
        .sort((a, b) => Number(a - b)),
      [3n, 6n],
    );
    await snapshots.close();
  });
});
