/**
 * The block opening the app indexes for traces (src/index/records.ts
 * BlockOpening): the state a block's first transaction saw, as writes over
 * a committed version (blocks with transactions have one). An ordinary block writes only its BLOCKHASH entry
 * before its transactions; a block whose last commit misses a validator also
 * slashes it there (SPEC 7), and a trace must start after that slash; block
 * 1's opening undoes what the block wrote after it, over its own version,
 * giving back the genesis state.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { ChainIndex } from '../../src/index/reader.js';
import { Overlay } from '../../src/store/kv.js';
import { Account, AppNode, CMT, T0 } from '../support/app-node.js';

function consensusKey(): { pubKey: string; address: Uint8Array } {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { pubKey: Buffer.from(raw).toString('base64'), address: createHash('sha256').update(raw).digest().subarray(0, 20) };
}

describe('block openings for traces', () => {
  let node: AppNode;
  afterEach(() => node.close());

  it('hold the BLOCKHASH entry, the begin-block slash of an absent validator, and for block 1 the way back to genesis', async () => {
    node = new AppNode();
    const operator = Account.fromSeed('opening-operator');
    const sender = Account.fromSeed('opening-sender');
    const key = consensusKey();
    await node.open({
      params: { foundation_address: operator.address },
      accounts: [operator, sender].map((a) => ({ address: a.address, balance: (10_000n * CMT).toString() })),
      candidates: [
        {
          address: operator.address,
          pub_key: key.pubKey,
          max_stake: (100_000n * CMT).toString(),
          self_stake: (10_000n * CMT).toString(),
          comp_rate_bp: 2000,
          description: { name: 'v' },
          verified: false,
        },
      ],
    });
    const index = new ChainIndex(node.store);
    const block = async (absent: boolean, txs: Uint8Array[]): Promise<void> => {
      node.height += 1n;
      await node.app.finalizeBlock({
        txs,
        decidedLastCommit: { round: 0, votes: node.height === 1n ? [] : [{ validator: { address: key.address, power: 10_000n }, blockIdFlag: absent ? 'absent' : 'commit' }] },
        misbehavior: [],
        hash: createHash('sha256').update(`opening-${node.height}`).digest(),
        height: node.height,
        time: { seconds: T0 + node.height * 5n, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: key.address,
      });
      await node.app.commit();
    };

    await block(false, [await sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n })]);
    const one = await index.opening(1n);
    assert.equal(one?.on, 'self');
    // Version 1 with the opening's writes is the genesis state plus block 1's BLOCKHASH entry: no transfer, no award yet.
    const genesisView = new Overlay(node.store.at(1n));
    for (const [k, v] of one!.writes) v === null ? genesisView.delete(k) : genesisView.set(k, v);
    const balanceAt = (view: { get(key: string): Uint8Array | undefined }, address: string): boolean => view.get(`a/${address.slice(2)}`) !== undefined;
    assert.ok(balanceAt(genesisView, sender.address));
    const accountKey = `a/${sender.address.slice(2)}`;
    assert.notDeepEqual(genesisView.get(accountKey), node.store.at(1n).get(accountKey), 'the sender before its transfer');
    assert.ok(one!.writes.some(([k]) => k === accountKey));
    assert.ok(genesisView.get('bh/001') !== undefined, "block 1's own BLOCKHASH entry is in the state its transactions saw");

    const transfer = async (): Promise<Uint8Array> => sender.sign({ to: operator.address, value: 1n, gasLimit: 21_000n });
    await block(false, [await transfer()]);
    const ordinary = await index.opening(2n);
    const parent = node.store.at(1n);
    const same = (a: Uint8Array | null | undefined, b: Uint8Array | undefined): boolean =>
      (a ?? undefined) === undefined ? b === undefined : b !== undefined && Buffer.from(a!).equals(b);
    assert.deepEqual([ordinary?.on, ordinary?.writes.filter(([k, v]) => !same(v, parent.get(k))).map(([k]) => k)], ['parent', ['bh/002']], 'only the BLOCKHASH entry changes');

    await block(true, [await transfer()]);
    const slashed = await index.opening(3n);
    assert.equal(slashed?.on, 'parent');
    const candidateKey = `k/c/${operator.address.slice(2)}`;
    const keys = slashed!.writes.map(([k]) => k);
    assert.ok(keys.includes('bh/003') && keys.includes('k/b') && keys.includes(candidateKey), keys.join(' '));
    const before = node.store.at(2n).get(candidateKey);
    const atOpening = slashed!.writes.find(([k]) => k === candidateKey)![1];
    assert.notDeepEqual(atOpening, before, 'the slash happened before the first transaction');
    const supply = await node.json<{ burned: string }>('/supply');
    assert.ok(BigInt(supply.burned) > 0n, 'the absent validator was slashed');
  });
});
