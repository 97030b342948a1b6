/**
 * A validator joins a running network and stays up, as an operator does it:
 * a 4-validator localnet runs; a 5th node is made with `cmtd init --join
 * --genesis <node0's /genesis> --peers …` and run with `cmtd node` (both
 * child processes, the real CLI). It syncs by block replay, reaches the
 * others' app hash, declares candidacy (`tx declare --validator-key`), is
 * delegated to, enters CometBFT's validator set and signs blocks. Then its
 * cmtd and, after that, its CometBFT are killed with SIGKILL: `cmtd node`
 * brings the pair back to the tip by itself, and transactions sent around
 * the CometBFT kill never fail in a block with a nonce gap (code 5). A
 * CometBFT restarted alone beside a running cmtd resets cmtd's CheckTx view.
 * The same join by state sync (`--state-sync-rpc`) is statesync.test.ts;
 * both use test/support/join.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { LocalNode } from '../../src/localnet/network.js';
import { waitFor } from '../../src/node/process.js';
import { account, signTransfer, startLocalnet, tempDir } from '../support/chain.js';
import { becomeValidator, cmtd, freeBasePort, JoinedNode, peerAddresses } from '../support/join.js';
import { alive } from '../support/processes.js';

describe('joining a network with cmtd init --join and cmtd node', () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let dir: string;
  let home: string;
  let node: JoinedNode | undefined;

  /** Waits until the joined node is at the height the network had when called (after a restart by `cmtd node`). */
  async function backAtTip(restartsBefore: number): Promise<void> {
    const tip = await net.nodes[0]!.rpc.height();
    await waitFor(
      `the pair back at height ${tip} by itself`,
      async () => {
        if (node!.restarts() <= restartsBefore) return undefined;
        const status = await node!.rpc.status();
        return BigInt(status.sync_info.latest_block_height) >= tip && !status.sync_info.catching_up ? true : undefined;
      },
      30_000,
      200,
    );
  }

  /** Asserts that no transaction in blocks from..to of node0 failed with a nonce gap (code 5). */
  async function noNonceGapFailures(from: bigint, to: bigint): Promise<number> {
    let txs = 0;
    for (let h = from; h <= to; h++) {
      const results = (await net.nodes[0]!.rpc.blockResults(h)).txs_results ?? [];
      txs += results.length;
      for (const r of results) assert.notEqual(r.code, 5, `height ${h}: a transaction failed with a nonce gap: ${r.log}`);
    }
    return txs;
  }

  before(async () => {
    net = await startLocalnet('join', { nodes: 4, accounts: 8, blockTime: '500ms' });
    await net.waitForHeight(3n);
    dir = tempDir('join-node');
    home = join(dir, 'home');
  });

  after(async () => {
    await node?.stop();
    await net?.cleanup();
    if (dir !== undefined && process.env.CMTD_KEEP_TEST_FILES === undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('a 5th node joins by block replay, has the same app hash, declares, is delegated to, enters the validator set and signs blocks', async () => {
    const peers = await peerAddresses(net.validatorNodes);
    const base = await freeBasePort();
    const init = await cmtd(
      'init',
      '--join',
      '--home',
      home,
      '--genesis',
      `http://127.0.0.1:${net.nodes[0]!.rpcPort}/genesis`,
      '--peers',
      peers.join(','),
      '--moniker',
      'node4',
      '--base-port',
      String(base),
      '--private-network',
    );
    assert.match(init, new RegExp(`to join chain '${net.chainId}'`));
    assert.match(init, /sync {7}by replaying every block from genesis/);
    const genesis = JSON.parse(readFileSync(join(home, 'cometbft', 'config', 'genesis.json'), 'utf8')) as { chain_id: string; app_state: unknown };
    const original = JSON.parse(readFileSync(join(net.nodes[0]!.home, 'config', 'genesis.json'), 'utf8')) as { app_state: unknown };
    assert.equal(genesis.chain_id, net.chainId);
    assert.deepEqual(genesis.app_state, original.app_state, "the network's genesis, fetched from a node");

    node = new JoinedNode(home, base);
    node.start();

    // Caught up by replay: at the network's height, with node0's app hash at that height.
    const target = await net.nodes[0]!.rpc.height();
    await node.waitPast(target, 180_000);
    const [mine, theirs] = await Promise.all([node.rpc.block(target), net.nodes[0]!.rpc.block(target)]);
    assert.equal(mine.block.header.app_hash, theirs.block.header.app_hash, `app hash at height ${target}`);
    assert.match(readFileSync(join(home, 'logs', 'cometbft.log'), 'utf8'), /executed block|finalizing commit of block/i, 'blocks replayed');

    // Its operator (dev account 4, funded) declares it with the node's consensus key; account 5 delegates.
    await becomeValidator(node, { operator: net.accounts[4]!, delegator: net.accounts[5]!, observer: net.nodes[0]!, dir, name: 'node4' });
  });

  it('kill -9 of the cmtd under cmtd node: the pair is back at the tip by itself within 30 s', async () => {
    const [cmtdPid, cometPid] = [node!.lastPid('cmtd'), node!.lastPid('cometbft')];
    const restarts = node!.restarts();
    process.kill(cmtdPid, 'SIGKILL');
    await backAtTip(restarts);
    assert.equal(alive(cometPid), false, 'the CometBFT left without its app was ended');
    assert.notEqual(node!.lastPid('cmtd'), cmtdPid);
    // Which death `cmtd node` sees first is a race: cmtd's, or CometBFT leaving at once without its app.
    assert.match(node!.output, /cmtd exited \(killed by SIGKILL\)|cometbft exited \(exit code \d+\)/);
  });

  it('kill -9 of its CometBFT: back at the tip within 30 s, and no transaction sent around it fails with a nonce gap', async () => {
    const wallet = new Wallet(net.accounts[6]!.privateKey);
    const to = Wallet.createRandom().address;
    const from = await net.nodes[0]!.rpc.height();
    let nonce = Number((await account(net.nodes[0]!, wallet.address.toLowerCase())).nonce);
    // A burst into the joined node's mempool, then its CometBFT dies with whatever it still holds.
    for (let i = 0; i < 10; i++) {
      const r = await node!.rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, nonce));
      assert.equal(r.code, 0, r.log);
      nonce++;
    }
    const cometPid = node!.lastPid('cometbft');
    const restarts = node!.restarts();
    process.kill(cometPid, 'SIGKILL');
    await backAtTip(restarts);
    // Its mempool reaches the network only once it has peers again (being at the tip does not
    // prove it: it already had the stored blocks).
    await waitFor(
      'the restarted CometBFT connected to its peers',
      async () => (Number((await node!.rpc.call<{ n_peers: string }>('net_info', {})).n_peers) >= 2 ? true : undefined),
      60_000,
      250,
    );

    // The client goes on from where it was: a nonce the chain has not reached must be refused at CheckTx, never accepted into a block.
    // Nonces as the joined node sees them: it may still be a block behind node0.
    const nonceOnJoined = async (): Promise<number> => Number((await node!.rpc.queryJson<{ nonce: string }>(`/account/${wallet.address.toLowerCase()}`)).nonce);
    for (let i = 0; i < 5; i++) {
      // Read first: the view CheckTx uses can only have moved on from it.
      const committed = await nonceOnJoined();
      const r = await node!.rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, nonce + i));
      if (r.code !== 0) assert.ok(nonce + i > committed, `nonce ${nonce + i} refused (code ${r.code}) though the chain is at ${committed}: ${r.log}`);
    }
    // Then from the chain's nonce (another value, so not a copy of one already sent): whatever the
    // mempool does not hold yet it accepts, and the chain executes it.
    const committed = await nonceOnJoined();
    for (let n = committed; n < committed + 3; n++) await node!.rpc.broadcastTxSync(await signTransfer(wallet, to, 2n, n));
    await waitFor(
      'the transactions after the restart committed',
      async () => (Number((await account(net.nodes[0]!, wallet.address.toLowerCase())).nonce) >= committed + 3 ? true : undefined),
      60_000,
      250,
    );
    const end = (await net.nodes[0]!.rpc.height()) + 3n;
    await net.waitForHeight(end);
    const txs = await noNonceGapFailures(from, end);
    assert.ok(txs >= 3, `transactions were executed (${txs})`);
  });

  it('a CometBFT restarted alone beside its running cmtd resets the CheckTx view', async () => {
    const victim: LocalNode = net.nodes[1]!;
    const resets = (): number => (readFileSync(join(victim.home, 'cmtd.log'), 'utf8').match(/CheckTx view reset to committed state/g) ?? []).length;
    const before = resets();
    assert.ok(before >= 1, 'reset when CometBFT first connected');
    const wallet = new Wallet(net.accounts[7]!.privateKey);
    const to = Wallet.createRandom().address;
    const from = await net.nodes[0]!.rpc.height();
    let nonce = Number((await account(net.nodes[0]!, wallet.address.toLowerCase())).nonce);
    for (let i = 0; i < 10; i++, nonce++) assert.equal((await victim.rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, nonce))).code, 0);
    await victim.comet.kill();
    await net.startComet(victim);
    // The new mempool connection takes its role with its first CheckTx, and the view is reset before that CheckTx runs.
    for (let i = 0; i < 5; i++) await victim.rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, nonce + i));
    await waitFor('the CheckTx view reset', async () => (resets() > before ? true : undefined), 30_000);
    const end = (await net.nodes[0]!.rpc.height()) + 4n;
    await net.waitForHeight(end, 60_000, [net.nodes[0]!]);
    await noNonceGapFailures(from, end);
  });

  it('SIGTERM stops the node: both processes end and cmtd node exits 0', async () => {
    const [cmtdPid, cometPid] = [node!.lastPid('cmtd'), node!.lastPid('cometbft')];
    assert.equal(await node!.stop(), 0, node!.output);
    assert.match(node!.output, /SIGTERM: stopping cometbft, then cmtd/);
    assert.equal(alive(cmtdPid) || alive(cometPid), false, 'no process left behind');
  });
});
