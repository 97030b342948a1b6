/**
 * Issue 8.3 through real processes: a Solidity staking pool (solc-js),
 * deployed and driven with ethers over cmtd's JSON-RPC on a one-node
 * localnet (real CometBFT), delegates, unstakes and reverts in nested
 * frames; an EOA replays the surviving calls directly. Their staking events
 * match, the pool paid exactly what it staked, the view it read by
 * STATICCALL is right, nothing rests at the system addresses and the
 * supply identity holds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Contract, ContractFactory, JsonRpcProvider, Wallet, type Log, type TransactionReceipt } from 'ethers';
import { defaultAppState, type LocalNode } from '../../src/localnet/network.js';
import { CMT } from '../../src/state/params.js';
import { STAKING_INTERFACE } from '../../src/staking/index.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../../src/system/types.js';
import { FEE_POOL_ADDRESS } from '../../src/evm/engine.js';
import { startLocalnet } from '../support/chain.js';
import { systemCallContract } from '../support/system-calls.js';

interface SupplyJson {
  supply: string;
  staked: string;
  held_by_proposals: string;
  carried_dust: string;
}

/** Name and amount of each staking event of a receipt, in order. */
function stakingEvents(receipt: TransactionReceipt): Array<[string, bigint]> {
  return receipt.logs
    .filter((l: Log) => l.address.toLowerCase() === STAKING_ADDRESS)
    .map((l: Log) => {
      const e = STAKING_INTERFACE.parseLog(l)!;
      return [e.name, e.args.getValue('amount') as bigint];
    });
}

describe('a staking pool contract over JSON-RPC (ethers, real CometBFT)', { timeout: 300_000 }, () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let node: LocalNode;
  let provider: JsonRpcProvider;

  before(async () => {
    net = await startLocalnet('rpc-system-calls', { nodes: 1, accounts: 3, blockTime: '200ms', appState: (ctx) => defaultAppState(ctx, 1_000_000n * CMT) });
    node = net.nodes[0]!;
    assert.ok(node.ethRpcUrl, 'the localnet serves the gateway');
    await net.waitForHeight(2n);
    provider = new JsonRpcProvider(node.ethRpcUrl, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
  });
  after(async () => {
    provider?.destroy();
    await net?.cleanup();
  });

  it('stakes, unstakes and reverts in nested frames exactly as an EOA replaying the surviving calls', async () => {
    const candidate = net.accounts[0]!.address;
    const ownerWallet = new Wallet(net.accounts[1]!.privateKey, provider);
    const replayWallet = new Wallet(net.accounts[2]!.privateKey, provider);
    const compiled = systemCallContract('StakingPool');
    const factory = new ContractFactory(compiled.abi, compiled.bytecode, ownerWallet);
    const pool = (await (await factory.deploy({ value: 10_000n * CMT })).waitForDeployment()) as Contract;
    const poolAddress = (await pool.getAddress()).toLowerCase();
    assert.equal(await provider.getBalance(poolAddress), 10_000n * CMT);

    const scenario = (await (await pool.getFunction('scenario')(candidate, { gasLimit: 5_000_000n })).wait()) as TransactionReceipt;
    assert.equal(scenario.status, 1);

    const staking = new Contract(STAKING_ADDRESS, STAKING_INTERFACE, replayWallet);
    const replayBefore = await provider.getBalance(replayWallet.address);
    const replayed: TransactionReceipt[] = [];
    for (const [fn, args, value] of [
      ['delegate', [candidate], 3_000n * CMT],
      ['unstake', [candidate, 1_000n * CMT], 0n],
      ['delegate', [candidate], 1_500n * CMT],
    ] as const) {
      const receipt = (await (await staking.getFunction(fn)(...args, { value })).wait()) as TransactionReceipt;
      assert.equal(receipt.status, 1, fn);
      replayed.push(receipt);
    }

    // The pool's surviving calls emitted the replay's events: the same delegations, the same
    // unstake (its amount is shares × the pool's price, which awards move between blocks).
    const poolEvents = stakingEvents(scenario);
    const replayEvents = replayed.flatMap(stakingEvents);
    assert.deepEqual(
      poolEvents.map(([name]) => name),
      ['Delegated', 'Unstaked', 'Delegated'],
    );
    assert.deepEqual(
      replayEvents.map(([name]) => name),
      ['Delegated', 'Unstaked', 'Delegated'],
    );
    assert.deepEqual([poolEvents[0]![1], poolEvents[2]![1]], [replayEvents[0]![1], replayEvents[2]![1]]);
    for (const events of [poolEvents, replayEvents]) assert.ok(events[1]![1] >= 1_000n * CMT && events[1]![1] < 1_000n * CMT + 10n ** 9n, String(events[1]![1]));

    // Balances: the pool paid exactly its stake, the EOA its stake and fees.
    assert.equal(await provider.getBalance(poolAddress), 10_000n * CMT - 4_500n * CMT);
    const fees = replayed.reduce((sum, r) => sum + r.gasUsed * r.gasPrice, 0n);
    assert.equal(replayBefore - (await provider.getBalance(replayWallet.address)), 4_500n * CMT + fees);

    // Stake: one delegation and one unstake request each; the view the pool read by STATICCALL saw 3500.
    const delegations = async (who: string): Promise<Array<{ amount: string; shares: string }>> =>
      (await provider.send('cmt_getDelegations', [who])) as Array<{ amount: string; shares: string }>;
    assert.equal((await delegations(poolAddress)).length, 1);
    assert.equal((await delegations(replayWallet.address)).length, 1);
    await pool.getFunction('check').staticCall(3_500n * CMT);
    await assert.rejects(pool.getFunction('check').staticCall(3_499n * CMT));
    const unstakes = async (who: string): Promise<number> => ((await provider.send('cmt_getUnstakes', [who])) as unknown[]).length;
    assert.equal(await unstakes(poolAddress), 1);
    assert.equal(await unstakes(replayWallet.address), 1);

    // Nothing rests at the system addresses; supply = Σ balances + staked + held + dust.
    assert.equal(await provider.getBalance(STAKING_ADDRESS), 0n);
    assert.equal(await provider.getBalance(GOVERNANCE_ADDRESS), 0n);
    const supply = (await provider.send('cmt_getSupply', [])) as SupplyJson;
    let balances = 0n;
    for (const a of [...net.accounts.map((x) => x.address), poolAddress, STAKING_ADDRESS, GOVERNANCE_ADDRESS, FEE_POOL_ADDRESS]) balances += await provider.getBalance(a);
    assert.equal(BigInt(supply.supply), balances + BigInt(supply.staked) + BigInt(supply.held_by_proposals) + BigInt(supply.carried_dust));
  });
});
