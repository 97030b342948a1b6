/**
 * A 4-node localnet (4 cometbft + 4 cmtd on loopback; three over the socket,
 * one over gRPC): heights advance and every node's app computes the same app
 * hash at every height while transfers flow.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Wallet } from 'ethers';
import { balance, broadcast, signTransfer, startLocalnet, waitForTx } from '../support/chain.js';

describe('4-node localnet', () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;

  before(async () => {
    net = await startLocalnet('localnet4', { nodes: 4, accounts: 4, blockTime: '300ms', abci: (i) => (i === 3 ? 'grpc' : 'socket') });
    await net.waitForHeight(3n);
  });
  after(async () => net?.cleanup());

  it('agrees on app hashes at every height while transfers flow', async () => {
    const recipient = Wallet.createRandom().address.toLowerCase();
    const hashes: string[] = [];
    // Each account sends through a different node.
    for (let i = 0; i < 4; i++) {
      const wallet = new Wallet(net.accounts[i]!.privateKey);
      for (let nonce = 0; nonce < 5; nonce++) {
        hashes.push(await broadcast(net.nodes[i]!.rpc, await signTransfer(wallet, recipient, 10n, nonce)));
      }
    }
    let last = 0n;
    for (const hash of hashes) {
      const { height, result } = await waitForTx(net.nodes[0]!.rpc, hash);
      assert.equal(result.code, 0, result.log);
      if (height > last) last = height;
    }
    await net.waitForHeight(last + 1n);

    for (const node of net.nodes) assert.equal(await balance(node, recipient), 200n, `balance on node${node.index}`);
    for (let h = 1n; h <= last; h++) {
      const appHashes = await Promise.all(net.nodes.map(async (n) => (await n.rpc.blockResults(h)).app_hash));
      assert.ok(appHashes[0] !== undefined && appHashes[0] !== '', `height ${h} has an app hash`);
      for (const hash of appHashes) assert.equal(hash, appHashes[0], `nodes disagree at height ${h}: ${appHashes.join(' ')}`);
    }
  });
});
