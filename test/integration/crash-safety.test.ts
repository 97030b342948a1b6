/**
 * Crash safety (DESIGN.md): while transfers flow, kill -9 the app (and,
 * separately, cometbft) at random moments, restart, and check that the chain
 * goes on, no committed transfer is lost and every height keeps its app hash.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Wallet } from 'ethers';
import { account, signTransfer, startLocalnet } from '../support/chain.js';
import type { LocalNode } from '../../src/localnet/network.js';

const ROUNDS = 4;
const TXS_PER_ROUND = 40;

async function headerAppHashes(node: LocalNode, upTo: bigint): Promise<Map<bigint, string>> {
  const hashes = new Map<bigint, string>();
  for (let h = 1n; h <= upTo; h++) hashes.set(h, (await node.rpc.block(h)).block.header.app_hash);
  return hashes;
}

/** Sends transfers without waiting for inclusion; refusals and connection errors during a crash are expected. */
async function sendBatch(node: LocalNode, wallet: Wallet, to: string): Promise<void> {
  const start = Number((await account(node, wallet.address)).nonce);
  for (let i = 0; i < TXS_PER_ROUND; i++) {
    try {
      await node.rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, start + i));
    } catch {
      return; // the node went down mid-batch
    }
  }
}

describe('crash safety', () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;

  before(async () => {
    net = await startLocalnet('crash', { nodes: 1, accounts: 2, blockTime: '100ms' });
    await net.waitForHeight(2n);
  });
  after(async () => net?.cleanup());

  for (const victim of ['cmtd', 'cometbft'] as const) {
    it(`survives kill -9 of ${victim} at random moments`, async () => {
      const node = net.nodes[0]!;
      const wallet = new Wallet(net.accounts[0]!.privateKey);
      const recipient = Wallet.createRandom().address.toLowerCase();
      const recorded = new Map<bigint, string>();

      for (let round = 0; round < ROUNDS; round++) {
        const sending = sendBatch(node, wallet, recipient);
        const height = await node.rpc.height();
        await net.waitForHeight(height + 2n);
        // A random instant within the next block or so: some kills land mid-commit.
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 300)));
        const before = await node.rpc.height().catch(() => height);
        for (const [h, hash] of await headerAppHashes(node, before - 1n)) recorded.set(h, hash);

        if (victim === 'cmtd') {
          await node.cmtd.kill();
          await node.comet.stop(); // CometBFT halts without its app; stop it before restarting both
          await sending;
          await net.startCmtd(node);
          await net.startComet(node);
        } else {
          await node.comet.kill();
          await sending;
          await net.startComet(node);
        }
        await net.waitForHeight(before + 3n);
      }

      // Every height keeps the app hash it had before the crashes.
      const latest = await node.rpc.height();
      const now = await headerAppHashes(node, latest);
      for (const [h, hash] of recorded) assert.equal(now.get(h), hash, `app hash of height ${h} changed`);

      // No committed transfer is lost: the state reflects every transaction in every block.
      let committed = 0n;
      for (let h = 1n; h <= latest; h++) {
        const results = (await node.rpc.blockResults(h)).txs_results ?? [];
        const block = (await node.rpc.block(h)).block;
        results.forEach((r, i) => {
          const raw = Buffer.from(block.data.txs![i]!, 'base64');
          if (r.code === 0 && raw.includes(Buffer.from(recipient.slice(2), 'hex'))) committed++;
        });
      }
      assert.ok(committed > 0n, 'some transfers were committed');
      // As of `latest`: transfers still in the mempool keep landing in later blocks.
      const atLatest = await node.rpc.abciQuery(`/account/${recipient}`, latest);
      assert.equal(atLatest.code, 0, atLatest.log);
      const recipientAtLatest = JSON.parse(Buffer.from(atLatest.value ?? '', 'base64').toString('utf8')) as { balance: string };
      assert.equal(BigInt(recipientAtLatest.balance), committed);
    });
  }
});
