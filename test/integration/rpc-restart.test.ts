/**
 * The block, transaction and log index survives a restart: stop CometBFT and
 * cmtd, start them again, and the gateway (started by cmtd) answers the same
 * receipts, blocks, transactions and logs; new blocks chain on. Runs with
 * CometBFT v0.38 (FinalizeBlock) and v0.37 (BeginBlock/DeliverTx/EndBlock).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContractFactory, JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { loadContract, type CompiledContract } from '../support/contracts.js';
import type { CometVersion } from '../../src/localnet/cometbft.js';
import { startLocalnet, GWEI } from '../support/chain.js';

function loyaltyToken(): CompiledContract | undefined {
  try {
    return loadContract('LoyaltyToken');
  } catch {
    return undefined;
  }
}

for (const version of ['v0.38.25', 'v0.37.18'] as CometVersion[]) {
  describe(`JSON-RPC index across a restart, CometBFT ${version}`, { timeout: 300_000 }, () => {
    let net: Awaited<ReturnType<typeof startLocalnet>>;
    let url: string;

    before(async () => {
      net = await startLocalnet(`rpc-restart-${version}`, { nodes: 1, accounts: 2, blockTime: '200ms', cometVersion: version });
      url = net.nodes[0]!.ethRpcUrl!;
      await net.waitForHeight(2n);
    });
    after(async () => net?.cleanup());

    let id = 0;
    async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) });
      const body = (await res.json()) as { result?: unknown; error?: { message: string } };
      if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
      return body.result;
    }

    it('answers the same receipts, blocks, transactions and logs after stopping and starting both processes', async () => {
      const provider = new JsonRpcProvider(url, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
      const signer = new NonceManager(new Wallet(net.accounts[0]!.privateKey, provider));
      const hashes: string[] = [];
      for (let i = 0; i < 3; i++) hashes.push((await signer.sendTransaction({ to: net.accounts[1]!.address, value: BigInt(i + 1), type: 2, maxFeePerGas: 4n * GWEI })).hash);
      let logQuery: Record<string, string> | undefined;
      const artifact = loyaltyToken();
      if (artifact !== undefined) {
        const deployed = await new ContractFactory(artifact.abi, artifact.bytecode, signer).deploy('Points', 'PTS', net.accounts[0]!.address);
        const deployReceipt = await deployed.deploymentTransaction()!.wait();
        if (deployReceipt?.status === 1) {
          const mint = await deployed.getFunction('mint')(net.accounts[1]!.address, 7n);
          const minted = await mint.wait();
          hashes.push(deployReceipt.hash, minted.hash);
          logQuery = { address: await deployed.getAddress(), fromBlock: '0x1', toBlock: `0x${minted.blockNumber.toString(16)}` };
        }
      }
      const receipts = await Promise.all(hashes.map(async (h) => provider.waitForTransaction(h)));
      provider.destroy();
      for (const r of receipts) assert.equal(r?.status, 1);

      const node = net.nodes[0]!;
      const heights = [...new Set(receipts.map((r) => r!.blockNumber))];
      const snapshot = async (): Promise<unknown> => ({
        receipts: await Promise.all(hashes.map((h) => rpc('eth_getTransactionReceipt', [h]))),
        txs: await Promise.all(hashes.map((h) => rpc('eth_getTransactionByHash', [h]))),
        blocks: await Promise.all(heights.map((h) => rpc('eth_getBlockByNumber', [`0x${h.toString(16)}`, true]))),
        byHash: await Promise.all(receipts.map((r) => rpc('eth_getBlockByHash', [r!.blockHash, false]))),
        logs: logQuery === undefined ? [] : await rpc('eth_getLogs', [logQuery]),
      });
      const before = await snapshot();
      if (logQuery !== undefined) assert.equal((before as { logs: unknown[] }).logs.length, 2, 'ownership transfer and mint');

      // The Ethereum block hash is CometBFT's block hash.
      for (const h of heights) {
        const block = (await rpc('eth_getBlockByNumber', [`0x${h.toString(16)}`, false])) as { hash: string };
        assert.equal(block.hash, `0x${(await node.rpc.block(BigInt(h))).block_id.hash.toLowerCase()}`);
      }

      const stoppedAt = await node.rpc.height();
      await net.stop();
      await net.start();
      await net.waitForHeight(stoppedAt + 2n);

      assert.deepEqual(await snapshot(), before);
      const head = BigInt((await rpc('eth_blockNumber')) as string);
      assert.ok(head >= stoppedAt + 2n);
      // The chain goes on: consecutive blocks link across the restart.
      const blocks = (await Promise.all(
        [stoppedAt - 1n, stoppedAt, stoppedAt + 1n, stoppedAt + 2n].map((h) => rpc('eth_getBlockByNumber', [`0x${h.toString(16)}`, false])),
      )) as Array<{ hash: string; parentHash: string }>;
      for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i]!.parentHash, blocks[i - 1]!.hash);
    });
  });
}
