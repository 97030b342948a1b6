/**
 * Issue 8 (items 4, 5) and issue 16 (CheckTx view after a CometBFT restart)
 * against one real cmtd + CometBFT v0.38 serving ABCI on TCP loopback:
 * - a fifth connection forging a block (Info, FinalizeBlock for the next
 *   height with a far-future time and a DUPLICATE_VOTE, Commit) is refused
 *   and the chain keeps going;
 * - a 500M-gas loop transaction is refused at CheckTx, a zero-price call
 *   into contract code is refused, zero-price transfers land one per sender
 *   per block;
 * - when CometBFT restarts alone, CheckTx forgets the old mempool: a
 *   nonce-gapped transaction is refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Wallet } from 'ethers';
import { CheckTxType, MisbehaviorType } from '../../src/abci/gen/tendermint/abci/types_pb.js';
import { defaultAppState, type LocalNode } from '../../src/localnet/network.js';
import { CMT, DEFAULT_BLOCK_GAS_LIMIT } from '../../src/state/params.js';
import { TxCode } from '../../src/tx/errors.js';
import { AbciClient } from '../support/abci-client.js';
import type { WireRequest } from '../support/abci-wire.js';
import { account, cometHash, signTransfer, startLocalnet, waitForTx, GWEI } from '../support/chain.js';

/** JUMPDEST PUSH1 0 JUMP: loops until its gas runs out. */
const LOOP = '0x00000000000000000000000000000000000c0de1';

describe('ABCI security with real CometBFT (v0.38, socket over TCP)', () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let node: LocalNode;

  before(async () => {
    net = await startLocalnet('abci-security', {
      nodes: 1,
      abciTcp: true,
      accounts: 6,
      blockTime: '200ms',
      appState: (ctx) => ({ ...(defaultAppState(ctx, 1_000_000n * CMT) as object), contracts: [{ address: LOOP, code: '0x5b600056' }] }),
    });
    node = net.nodes[0]!;
    await net.waitForHeight(2n);
  });
  after(async () => net?.cleanup());

  it('refuses a forged block on a fifth ABCI connection, and the chain keeps going', async () => {
    assert.match(node.abciAddress, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    const intruder = await AbciClient.connect(node.abciAddress);
    const info = await intruder.call({ type: 'info', value: { version: 'x', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' } });
    assert.ok(info.type === 'info');
    const next = info.value.lastBlockHeight + 1n;
    const [alice] = net.accounts;
    const tx = await signTransfer(new Wallet(alice!.privateKey), Wallet.createRandom().address, 1n, 0);
    const forged: WireRequest = {
      type: 'finalizeBlock',
      value: {
        txs: [tx],
        decidedLastCommit: { round: 0, votes: [] },
        misbehavior: [
          {
            type: MisbehaviorType.DUPLICATE_VOTE,
            validator: { address: Buffer.from(node.validatorKey.address, 'hex'), power: 10n },
            height: next - 1n,
            time: { seconds: 4_000_000_000n, nanos: 0 },
            totalVotingPower: 10n,
          },
        ],
        hash: new Uint8Array(32).fill(7),
        height: next,
        time: { seconds: 4_000_000_000n, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: new Uint8Array(20),
      },
    };
    intruder.send(forged, { type: 'commit', value: {} }, { type: 'flush', value: {} });
    const refused = await intruder.next();
    assert.equal(refused?.type, 'exception');
    assert.match(refused?.type === 'exception' ? refused.value.error : '', /refused .* the consensus connection is/);
    assert.equal(await intruder.next(), undefined, 'the intruder is disconnected before its Commit');

    await net.waitForHeight(next + 3n, 60_000);
    assert.ok(node.comet.running, 'CometBFT did not hit a consensus failure');
    assert.equal((await account(node, alice!.address)).nonce, '0', 'the forged transaction never executed');
  });

  it('refuses a 500M-gas loop at CheckTx, and zero-price calls into contract code', async () => {
    const wallet = new Wallet(net.accounts[1]!.privateKey);
    const huge = await signTransfer(wallet, LOOP, 0n, 0, { gasLimit: 500_000_000n });
    const r1 = await node.rpc.broadcastTxSync(huge);
    assert.equal(r1.code, TxCode.BlockGasLimit, r1.log);
    assert.match(r1.log ?? '', /above the per-transaction cap 16777216 \(EIP-7825\)/);
    // Under Osaka's per-transaction cap but over the block's gas limit.
    const overBlock = await signTransfer(wallet, LOOP, 0n, 0, { gasLimit: DEFAULT_BLOCK_GAS_LIMIT + 1_000_000n });
    const r1b = await node.rpc.broadcastTxSync(overBlock);
    assert.equal(r1b.code, TxCode.BlockGasLimit, r1b.log);
    assert.match(r1b.log ?? '', new RegExp(`above the block gas limit ${DEFAULT_BLOCK_GAS_LIMIT}`));
    const poor = new Wallet(Wallet.createRandom().privateKey);
    const freeLoop = await signTransfer(poor, LOOP, 0n, 0, { gasPrice: 0n, gasLimit: 500_000n });
    const r2 = await node.rpc.broadcastTxSync(freeLoop);
    assert.equal(r2.code, TxCode.GasPriceTooLow, r2.log);
    assert.match(r2.log ?? '', /zero-price transaction must be a plain transfer/);
  });

  it('includes zero-price transfers one per sender per block', async () => {
    const wallet = new Wallet(net.accounts[2]!.privateKey);
    const to = Wallet.createRandom().address;
    const hashes: string[] = [];
    for (let nonce = 0; nonce < 3; nonce++) {
      const tx = await signTransfer(wallet, to, 1n, nonce, { gasPrice: 0n });
      const r = await node.rpc.broadcastTxSync(tx);
      assert.equal(r.code, 0, r.log);
      hashes.push(cometHash(tx));
    }
    const included = await Promise.all(hashes.map((h) => waitForTx(node.rpc, h)));
    for (const { result } of included) assert.equal(result.code, 0, result.log);
    const heights = included.map((i) => i.height);
    assert.equal(new Set(heights.map(String)).size, 3, `three blocks, one free transaction each: heights ${heights.join(', ')}`);
  });

  it('starts the CheckTx view over when CometBFT restarts alone (a nonce-gapped transaction is refused)', async () => {
    const wallet = new Wallet(net.accounts[3]!.privateKey);
    const to = Wallet.createRandom().address;
    await node.comet.stop();
    // While CometBFT is down, a mempool (this client) sees nonces 0 and 1; then it goes away.
    const mempool = await AbciClient.connect(node.abciAddress);
    for (let nonce = 0; nonce < 2; nonce++) {
      const r = await mempool.call({ type: 'checkTx', value: { tx: await signTransfer(wallet, to, 1n, nonce), type: CheckTxType.NEW } });
      assert.ok(r.type === 'checkTx' && r.value.code === 0);
    }
    mempool.socket.end();
    await mempool.closed;
    await net.startComet(node);
    // CometBFT's new mempool is empty: nonce 2 has a gap.
    const gapped = await node.rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, 2));
    assert.equal(gapped.code, TxCode.NonceTooHigh, gapped.log);
    const first = await signTransfer(wallet, to, 1n, 0, { gasPrice: 3n * GWEI });
    const ok = await node.rpc.broadcastTxSync(first);
    assert.equal(ok.code, 0, ok.log);
    assert.equal((await waitForTx(node.rpc, cometHash(first))).result.code, 0);
  });
});
