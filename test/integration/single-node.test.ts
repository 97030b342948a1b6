/**
 * One cmtd + one real CometBFT: transfers signed with ethers, broadcast
 * through broadcast_tx_sync, included in blocks, balances through abci_query.
 * Runs over the socket and gRPC transports, with CometBFT v0.38 and v0.37.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Wallet } from 'ethers';
import type { CometVersion } from '../../src/localnet/cometbft.js';
import type { AbciTransport } from '../../src/localnet/network.js';
import { account, balance, broadcast, signTransfer, startLocalnet, waitForTx, GWEI } from '../support/chain.js';

const CASES: Array<{ abci: AbciTransport; version: CometVersion }> = [
  { abci: 'socket', version: 'v0.38.25' },
  { abci: 'grpc', version: 'v0.38.25' },
  { abci: 'socket', version: 'v0.37.18' },
  { abci: 'grpc', version: 'v0.37.18' },
];

for (const { abci, version } of CASES) {
  describe(`single node, ${abci}, CometBFT ${version}`, () => {
    let net: Awaited<ReturnType<typeof startLocalnet>>;

    before(async () => {
      net = await startLocalnet(`single-${abci}-${version}`, { nodes: 1, abci, cometVersion: version, accounts: 3, blockTime: '200ms' });
      await net.waitForHeight(2n);
    });
    after(async () => net?.cleanup());

    it('executes transfers and reports balances and nonces', async () => {
      const node = net.nodes[0]!;
      const [alice, bob] = net.accounts;
      const wallet = new Wallet(alice!.privateKey);
      const recipient = Wallet.createRandom().address.toLowerCase();
      const aliceBefore = await balance(node, alice!.address);
      const bobBefore = await balance(node, bob!.address);

      // Three queued transactions from one account (nonces 0,1,2) plus one to a fresh address.
      const hashes = [];
      hashes.push(await broadcast(node.rpc, await signTransfer(wallet, bob!.address, 1n * 10n ** 18n, 0)));
      hashes.push(await broadcast(node.rpc, await signTransfer(wallet, bob!.address, 2n * 10n ** 18n, 1)));
      hashes.push(
        await broadcast(node.rpc, await signTransfer(wallet, recipient, 5n, 2, { type: 2, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: 1n * GWEI, gasPrice: undefined })),
      );
      for (const hash of hashes) {
        const { result } = await waitForTx(node.rpc, hash);
        assert.equal(result.code, 0, result.log);
        assert.equal(result.gas_used, '21000');
      }

      // Legacy pays 2 gwei; EIP-1559 pays min(maxFee, baseFee(2 gwei) + tip(1 gwei)) = 3 gwei.
      const fees = 2n * 21_000n * 2n * GWEI + 21_000n * 3n * GWEI;
      assert.equal(await balance(node, bob!.address), bobBefore + 3n * 10n ** 18n);
      assert.equal(await balance(node, recipient), 5n);
      assert.equal(await balance(node, alice!.address), aliceBefore - 3n * 10n ** 18n - 5n - fees);
      assert.equal((await account(node, alice!.address)).nonce, '3');
    });

    it('refuses a bad transaction at CheckTx with a code and a reason', async () => {
      const node = net.nodes[0]!;
      const wallet = new Wallet(net.accounts[2]!.privateKey);
      const wrongChain = Buffer.from(
        (await wallet.signTransaction({ type: 0, chainId: 1n, nonce: 0, gasPrice: 2n * GWEI, gasLimit: 21_000n, to: net.accounts[0]!.address, value: 1n })).slice(2),
        'hex',
      );
      const result = await node.rpc.broadcastTxSync(wrongChain);
      assert.equal(result.code, 3);
      assert.match(result.log, /wrong chain id 1/);
      const tooLow = await node.rpc.broadcastTxSync(await signTransfer(wallet, net.accounts[0]!.address, 1n, 0, { gasPrice: 1n }));
      assert.equal(tooLow.code, 9);
      assert.match(tooLow.log, /below the minimum/);
    });

    it('answers unknown query paths with a non-zero code', async () => {
      const response = await net.nodes[0]!.rpc.abciQuery('/no/such/path');
      assert.notEqual(response.code, 0);
      assert.match(response.log, /unknown query path/);
    });
  });
}
