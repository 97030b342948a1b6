/**
 * Contract state on a real two-validator network:
 * - the LoyaltyToken and the Escrow are deployed through node0's JSON-RPC
 *   gateway and driven through node1's; both nodes' app hashes (which cover
 *   every storage slot) agree at every height, and both answer the same
 *   eth_call / eth_getStorageAt;
 * - node1 is stopped and its cmtd state wiped; the chain goes on without it
 *   (node0 holds 5/6 of the power) and changes the contract storage; when
 *   node1 restarts, CometBFT's handshake finds the app at height 0 with a
 *   full block store, calls InitChain and replays every block from 1 into the
 *   fresh app, then node1 catches up with node0 over p2p. The rebuilt state,
 *   index and app hashes match node0's at every height.
 *
 * Slashing is off and the 12% cap at 100% so that node1's absence neither
 * stalls the chain nor changes the validator set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AbiCoder, Contract, ContractFactory, JsonRpcProvider, NonceManager, Wallet, keccak256, type TransactionReceipt } from 'ethers';
import { loadContract } from '../support/contracts.js';
import { defaultAppState, type LocalNode } from '../../src/localnet/network.js';
import { waitFor } from '../../src/node/process.js';
import { CMT } from '../../src/state/params.js';
import { startLocalnet } from '../support/chain.js';

const coder = AbiCoder.defaultAbiCoder();

/** Storage slot of `mapping(address => …)` at `slot` for `key` (Solidity layout). */
function mappingSlot(key: string, slot: bigint): string {
  return keccak256(coder.encode(['address', 'uint256'], [key, slot]));
}

/** An app hash as 0x-hex: CometBFT v0.38 reports block_results' app_hash in base64, headers in hex. */
function appHashHex(value: string): string {
  return /^[0-9a-f]{64}$/i.test(value) ? `0x${value.toLowerCase()}` : `0x${Buffer.from(value, 'base64').toString('hex')}`;
}

function hexQuantity(n: bigint | number): string {
  return `0x${BigInt(n).toString(16)}`;
}

describe('EVM state on two validators: agreement, restart and full replay', { timeout: 600_000 }, () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let node0: LocalNode;
  let node1: LocalNode;
  let provider0: JsonRpcProvider;
  let provider1: JsonRpcProvider;

  before(async () => {
    net = await startLocalnet('evm-multinode', {
      nodes: 2,
      accounts: 6,
      blockTime: '300ms',
      appState: (ctx) => {
        const state = defaultAppState(ctx, 1_000_000n * CMT) as { params: Record<string, unknown>; candidates: Array<{ self_stake: string }> };
        state.params.slash_enabled = false;
        state.params.validator_size_threshold_bp = 10_000;
        // node0: 50,000 CMT of stake, node1: 10,000 → node0 alone has 5/6 of the power.
        state.candidates[0]!.self_stake = (50_000n * CMT).toString();
        return state;
      },
    });
    [node0, node1] = [net.nodes[0]!, net.nodes[1]!];
    assert.ok(node0.ethRpcUrl !== undefined && node1.ethRpcUrl !== undefined, 'the localnet serves the gateways');
    await net.waitForHeight(2n);
    provider0 = new JsonRpcProvider(node0.ethRpcUrl, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
    provider1 = new JsonRpcProvider(node1.ethRpcUrl, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
  });
  after(async () => {
    provider0?.destroy();
    provider1?.destroy();
    await net?.cleanup();
  });

  async function rpc(node: LocalNode, method: string, params: unknown[]): Promise<unknown> {
    const res = await fetch(node.ethRpcUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error !== undefined) throw new Error(`${method} on node${node.index}: ${body.error.message}`);
    return body.result;
  }

  /**
   * Waits until the gateways of `nodes` serve block `height`: cmtd has
   * committed it (CometBFT's /status height counts a block once it is
   * stored, before the app has executed it).
   */
  async function waitForCommitted(height: bigint, nodes: LocalNode[] = [node0, node1], timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `block ${height} committed on ${nodes.map((n) => `node${n.index}`).join(', ')}`,
      async () => {
        const heights = await Promise.all(nodes.map(async (n) => BigInt((await rpc(n, 'eth_blockNumber', [])) as string)));
        return heights.every((h) => h >= height) ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** Both nodes' committed app hashes (CometBFT block_results) and the gateways' stateRoot agree at every height 1..upTo. */
  async function assertAppHashesAgree(upTo: bigint): Promise<void> {
    await waitForCommitted(upTo);
    for (let h = 1n; h <= upTo; h++) {
      const [r0, r1] = await Promise.all([node0.rpc.blockResults(h), node1.rpc.blockResults(h)]);
      assert.ok(r0.app_hash !== undefined && r0.app_hash !== '', `block_results ${h} carries the app hash`);
      assert.equal(r1.app_hash, r0.app_hash, `app hash after block ${h}`);
      const [b0, b1] = (await Promise.all([rpc(node0, 'eth_getBlockByNumber', [hexQuantity(h), false]), rpc(node1, 'eth_getBlockByNumber', [hexQuantity(h), false])])) as Array<{
        stateRoot: string;
        hash: string;
      }>;
      assert.equal(b0.stateRoot, appHashHex(r0.app_hash), `node0's index: stateRoot of block ${h} is the app hash`);
      assert.equal(b1.stateRoot, b0.stateRoot, `node1's index: stateRoot of block ${h}`);
      assert.equal(b1.hash, b0.hash);
    }
  }

  /** The same storage slots, code and eth_call answers on both nodes, once both have reached `height`. */
  async function assertSameState(
    height: bigint,
    reads: Array<{ address: string; slots: string[] }>,
    calls: Array<() => Promise<[unknown, unknown]>>,
  ): Promise<Map<string, string>> {
    await waitForCommitted(height);
    const values = new Map<string, string>();
    for (const { address, slots } of reads) {
      assert.equal(await provider1.getCode(address), await provider0.getCode(address), `code of ${address}`);
      for (const slot of slots) {
        const [v0, v1] = await Promise.all([provider0.getStorage(address, slot), provider1.getStorage(address, slot)]);
        assert.equal(v1, v0, `storage ${address} ${slot}`);
        values.set(`${address}/${slot}`, v0);
      }
    }
    for (const call of calls) {
      const [a, b] = await call();
      assert.deepEqual(b, a);
    }
    return values;
  }

  it('agrees on contract state, and a wiped node rebuilds it by replaying the chain', async () => {
    const token = loadContract('LoyaltyToken');
    const escrowArtifact = loadContract('Escrow');
    const [merchant, buyer, seller, arbiter, customer] = [1, 2, 3, 4, 5].map((i) => net.accounts[i]!);

    // ---- deploy through node0
    const deployer0 = new NonceManager(new Wallet(merchant.privateKey, provider0));
    const tokenContract = await new ContractFactory(token.abi, token.bytecode, deployer0).deploy('Points', 'PTS', merchant.address);
    const escrowContract = await new ContractFactory(escrowArtifact.abi, escrowArtifact.bytecode, deployer0).deploy();
    const deployed = await Promise.all([tokenContract.deploymentTransaction()!.wait(), escrowContract.deploymentTransaction()!.wait()]);
    for (const r of deployed) assert.equal(r?.status, 1);
    const tokenAddress = (await tokenContract.getAddress()).toLowerCase();
    const escrowAddress = (await escrowContract.getAddress()).toLowerCase();
    // node1 may be a block behind node0: wait until its gateway has the contracts, or
    // ethers would estimate gas on node1 against a state without their code.
    const deployHeight = BigInt(Math.max(...deployed.map((r) => r!.blockNumber)));
    await waitForCommitted(deployHeight, [node1]);
    assert.notEqual(await provider1.getCode(tokenAddress), '0x');

    // ---- interact through node1 (its gateway broadcasts to its CometBFT, which gossips to node0)
    const merchant1 = new NonceManager(new Wallet(merchant.privateKey, provider1));
    const buyer1 = new Wallet(buyer.privateKey, provider1);
    const seller1 = new Wallet(seller.privateKey, provider1);
    const customer1 = new Wallet(customer.privateKey, provider1);
    const token1 = new Contract(tokenAddress, token.abi, provider1);
    const escrow1 = new Contract(escrowAddress, escrowArtifact.abi, provider1);
    const receipts: TransactionReceipt[] = [];
    const mined = async (p: Promise<{ wait(): Promise<TransactionReceipt | null> }>): Promise<TransactionReceipt> => {
      const r = await (await p).wait();
      assert.equal(r?.status, 1);
      receipts.push(r!);
      return r!;
    };
    // Two queued transactions of one sender, broadcast in nonce order (the app refuses a nonce gap), mined together.
    const mint1 = await token1.connect(merchant1).getFunction('mint')(customer.address, 1_000n);
    const mint2 = await token1.connect(merchant1).getFunction('mint')(buyer.address, 300n);
    await Promise.all([mined(Promise.resolve(mint1)), mined(Promise.resolve(mint2))]);
    await mined(token1.connect(customer1).getFunction('transfer')(seller.address, 250n));
    await mined(token1.connect(customer1).getFunction('redeem')(50n, keccak256('0x01')));
    const deadline = BigInt((await provider1.getBlock('latest'))!.timestamp) + 3_600n;
    await mined(escrow1.connect(buyer1).getFunction('createOrder')(seller.address, arbiter.address, deadline, 600n, keccak256('0x02'), { value: 7n * CMT }));
    await mined(escrow1.connect(buyer1).getFunction('createOrder')(seller.address, arbiter.address, deadline, 600n, keccak256('0x03'), { value: 2n * CMT }));
    await mined(escrow1.connect(seller1).getFunction('markShipped')(1n, 'PARCEL-1'));
    const lastTx = receipts.reduce((m, r) => (r.blockNumber > m ? r.blockNumber : m), 0);

    const holders = [merchant.address, buyer.address, seller.address, customer.address];
    const tokenSlots = [hexQuantity(2), ...holders.map((a) => mappingSlot(a, 0n))]; // _totalSupply, _balances[a]
    // Escrow: orders (slot 0: struct of 6 slots per order), orderCount (1), pendingWithdrawals (2), locked (3)
    const orderBase = (id: bigint): bigint => BigInt(keccak256(coder.encode(['uint256', 'uint256'], [id, 0n])));
    const escrowSlots = [hexQuantity(1), hexQuantity(3), ...[1n, 2n].flatMap((id) => [0n, 1n, 2n, 3n, 4n, 5n].map((k) => hexQuantity(orderBase(id) + k)))];
    const reads = [
      { address: tokenAddress, slots: tokenSlots },
      { address: escrowAddress, slots: escrowSlots },
    ];
    const token0 = new Contract(tokenAddress, token.abi, provider0);
    const escrow0 = new Contract(escrowAddress, escrowArtifact.abi, provider0);
    const calls = [
      ...holders.map((a) => async (): Promise<[unknown, unknown]> => [await token0.getFunction('balanceOf')(a), await token1.getFunction('balanceOf')(a)]),
      async (): Promise<[unknown, unknown]> => [await token0.getFunction('totalSupply')(), await token1.getFunction('totalSupply')()],
      async (): Promise<[unknown, unknown]> => [[...(await escrow0.getFunction('orders')(1n))], [...(await escrow1.getFunction('orders')(1n))]],
      async (): Promise<[unknown, unknown]> => [await provider0.getBalance(escrowAddress), await provider1.getBalance(escrowAddress)],
    ];

    const before = await assertSameState(BigInt(lastTx), reads, calls);
    assert.equal(BigInt(before.get(`${tokenAddress}/${hexQuantity(2)}`)!), 1_250n, 'total supply 1,300 minted − 50 redeemed');
    assert.equal(BigInt(before.get(`${tokenAddress}/${mappingSlot(customer.address, 0n)}`)!), 700n);
    assert.equal(BigInt(before.get(`${escrowAddress}/${hexQuantity(1)}`)!), 2n, 'orderCount');
    assert.equal(await token1.getFunction('balanceOf')(seller.address), 250n);
    assert.equal(await provider1.getBalance(escrowAddress), 9n * CMT);
    await assertAppHashesAgree(BigInt(lastTx) + 1n);

    // ---- stop node1 and wipe its cmtd state (CometBFT keeps its blocks and state)
    const node1Height = await node1.rpc.height();
    await node1.comet.stop();
    await node1.cmtd.stop();
    const cmtdData = join(node1.cmtdHome, 'data');
    assert.ok(existsSync(cmtdData), `cmtd keeps its state in ${cmtdData}`);
    rmSync(cmtdData, { recursive: true, force: true });
    const genesisLoads = (): number => (readFileSync(join(node1.home, 'cmtd.log'), 'utf8').match(/genesis loaded/g) ?? []).length;
    assert.equal(genesisLoads(), 1);

    // The chain goes on without node1, and the contracts change meanwhile.
    const merchant0 = new NonceManager(new Wallet(merchant.privateKey, provider0));
    const seller0 = new Wallet(seller.privateKey, provider0);
    const whileDown = [
      await (await token0.connect(merchant0).getFunction('mint')(arbiter.address, 42n)).wait(),
      await (await escrow0.connect(seller0).getFunction('refundBySeller')(2n)).wait(),
    ];
    for (const r of whileDown) assert.equal(r?.status, 1);
    const afterDown = Math.max(...whileDown.map((r) => r!.blockNumber));
    assert.ok(BigInt(afterDown) > node1Height, 'blocks were made while node1 was down');

    // ---- restart: the handshake replays node1's own blocks into the fresh app, then it catches up over p2p.
    await net.startCmtd(node1);
    await net.startComet(node1);
    assert.equal(genesisLoads(), 2, 'the fresh app was given InitChain again by the handshake');
    const target = (await node0.rpc.height()) + 1n;
    await waitForCommitted(target, [node1], 120_000);
    // CometBFT's log of the handshake: the app at height 0, its own store at the height where it stopped.
    const handshakes = [...readFileSync(join(node1.home, 'cometbft.log'), 'utf8').matchAll(/ABCI Replay Blocks\s[^\n]*appHeight=(\d+) storeHeight=(\d+)/g)];
    assert.equal(handshakes.length, 2, 'one handshake per start');
    const [, appHeight, storeHeight] = handshakes[1]!;
    assert.equal(appHeight, '0', 'the wiped app starts at height 0');
    assert.ok(BigInt(storeHeight!) >= node1Height, `CometBFT replayed blocks 1..${storeHeight} from its own store`);

    const reads2 = [
      { address: tokenAddress, slots: [...tokenSlots, mappingSlot(arbiter.address, 0n)] },
      { address: escrowAddress, slots: escrowSlots },
    ];
    const after = await assertSameState(target, reads2, [
      ...calls,
      async (): Promise<[unknown, unknown]> => [await token0.getFunction('balanceOf')(arbiter.address), await token1.getFunction('balanceOf')(arbiter.address)],
      async (): Promise<[unknown, unknown]> => [[...(await escrow0.getFunction('orders')(2n))], [...(await escrow1.getFunction('orders')(2n))]],
    ]);
    assert.equal(BigInt(after.get(`${tokenAddress}/${hexQuantity(2)}`)!), 1_292n, 'the mint made while node1 was down');
    assert.equal(BigInt(after.get(`${tokenAddress}/${mappingSlot(arbiter.address, 0n)}`)!), 42n);
    for (const [key, value] of before) if (key !== `${tokenAddress}/${hexQuantity(2)}` && !key.startsWith(`${escrowAddress}/`)) assert.equal(after.get(key), value, key);
    assert.equal(await token1.getFunction('balanceOf')(arbiter.address), 42n);
    assert.equal((await escrow1.getFunction('orders')(2n)).status, 4n, 'order 2 refunded');
    assert.equal(await provider1.getBalance(escrowAddress), 7n * CMT);
    // Receipts and logs of the replayed blocks are indexed again on node1.
    for (const r of receipts) {
      const again = await provider1.getTransactionReceipt(r.hash);
      assert.equal(again?.blockHash, r.blockHash);
      assert.equal(again?.logs.length, r.logs.length);
    }
    await assertAppHashesAgree(target);
    // The fresh app reports the chain's height and app hash through ABCI Info.
    const info1 = await node1.rpc.call<{ response: { last_block_height: string; last_block_app_hash: string } }>('abci_info');
    const infoHeight = BigInt(info1.response.last_block_height);
    assert.ok(infoHeight >= target);
    await waitForCommitted(infoHeight, [node0]);
    assert.equal(appHashHex(info1.response.last_block_app_hash), appHashHex((await node0.rpc.blockResults(infoHeight)).app_hash!));
  });
});
