/**
 * The system addresses inside the EVM (SPEC 6 "From contracts", issue 8.3),
 * through the whole app in-process: a Solidity staking pool that delegates,
 * unstakes and reverts in nested frames ends with exactly the stake and
 * balance changes of a replay of the surviving calls from an EOA; refused
 * ways (plain transfers, DELEGATECALL, CALLCODE, STATICCALL of a state
 * change, garbage calldata, too little gas) move nothing; SELFDESTRUCT to a
 * system address burns; the supply identity holds throughout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Interface } from 'ethers';
import { STAKING_INTERFACE } from '../../src/staking/index.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../../src/system/types.js';
import { AppNode, Account, CMT, type SupplyJson } from '../support/app-node.js';
import { systemCallContract } from '../support/system-calls.js';

const candidate = Account.fromSeed('sys-candidate');
const owner = Account.fromSeed('sys-owner');
const replayer = Account.fromSeed('sys-replayer');
const other = Account.fromSeed('sys-other');
const FUNDS = 1_000_000n * CMT;

const appState = {
  params: { max_validators: 3, backup_validators: 1, unstake_waiting_period_s: '1000' },
  accounts: [candidate, owner, replayer, other].map((a) => ({ address: a.address, balance: FUNDS.toString() })),
  candidates: [
    {
      address: candidate.address,
      pub_key: Buffer.alloc(32, 7).toString('base64'),
      max_stake: (500_000n * CMT).toString(),
      self_stake: (50_000n * CMT).toString(),
      comp_rate_bp: 1000,
      description: { name: 'c' },
    },
  ],
};

interface DelegationJson {
  delegator: string;
  candidate: string;
  amount: string;
  shares: string;
}
interface UnstakeJson {
  amount: string;
  matureTime: string;
}

const pool = systemCallContract('StakingPool');
const poolIface = new Interface(pool.abi);
const burnerIface = new Interface(systemCallContract('Burner').abi);

describe('system addresses called from contracts (in-process app)', () => {
  const node = new AppNode();
  let poolAddress: `0x${string}`;
  const everyone = (): `0x${string}`[] => [candidate.address, owner.address, replayer.address, other.address, poolAddress];

  before(async () => {
    await node.open(appState);
    poolAddress = owner.nextContract();
    const deployed = await node.block([await owner.sign({ to: null, data: pool.bytecode, value: 10_000n * CMT })]);
    assert.equal(deployed.results[0]!.code, 0, deployed.results[0]!.log);
  });
  after(() => node.close());

  it('a staking pool ends with exactly the stake and balances of an EOA replaying its surviving calls', async () => {
    const c = candidate.address;
    const poolBefore = await node.balance(poolAddress);
    const replayerBefore = await node.balance(replayer.address);
    const delegate = (amount: bigint): Promise<Uint8Array> =>
      replayer.sign({ to: STAKING_ADDRESS, data: STAKING_INTERFACE.encodeFunctionData('delegate', [c]), value: amount, gasLimit: 200_000n });
    const unstake = (amount: bigint): Promise<Uint8Array> =>
      replayer.sign({ to: STAKING_ADDRESS, data: STAKING_INTERFACE.encodeFunctionData('unstake', [c, amount]), gasLimit: 200_000n });
    const block = await node.block([
      await owner.sign({ to: poolAddress, data: poolIface.encodeFunctionData('scenario', [c]), gasLimit: 5_000_000n }),
      await delegate(3_000n * CMT),
      await unstake(1_000n * CMT),
      await delegate(1_500n * CMT),
    ]);
    for (const r of block.results) assert.equal(r.code, 0, r.log);

    const delegationOf = async (who: string): Promise<DelegationJson> => {
      const all = await node.json<DelegationJson[]>(`/delegations/${who}`);
      assert.equal(all.length, 1, `${who} has one delegation`);
      return all[0]!;
    };
    const poolStake = await delegationOf(poolAddress);
    const eoaStake = await delegationOf(replayer.address);
    assert.equal(poolStake.amount, eoaStake.amount);
    assert.equal(poolStake.shares, eoaStake.shares);
    // Shares are wei × 10^18 at the pool's first price: 3000 + 1500 delegated, 1000 unstaked, nothing of the reverted frames.
    assert.equal(BigInt(poolStake.shares), 3_500n * CMT * 10n ** 18n);

    const poolUnstakes = await node.json<UnstakeJson[]>(`/unstakes/${poolAddress}`);
    const eoaUnstakes = await node.json<UnstakeJson[]>(`/unstakes/${replayer.address}`);
    assert.deepEqual(
      poolUnstakes.map((u) => [u.amount, u.matureTime]),
      eoaUnstakes.map((u) => [u.amount, u.matureTime]),
    );
    assert.equal(poolUnstakes.length, 1);

    // Balances: the pool paid exactly what it staked; the EOA that, plus its fees.
    const fees = block.receipts.slice(1).reduce((sum, r) => sum + r.gasUsed * r.effectiveGasPrice, 0n);
    assert.equal(poolBefore - (await node.balance(poolAddress)), 4_500n * CMT);
    assert.equal(replayerBefore - (await node.balance(replayer.address)) - fees, 4_500n * CMT);

    // Events: the surviving calls' events only, in order, as the EOA's receipts carry them.
    const topics = (logs: { address: string; topics: Uint8Array[] }[]): string[] =>
      logs.filter((l) => l.address === STAKING_ADDRESS).map((l) => Buffer.from(l.topics[0]!).toString('hex'));
    assert.deepEqual(
      topics(block.receipts[0]!.logs),
      block.receipts.slice(1).flatMap((r) => topics(r.logs)),
    );
    assert.equal(topics(block.receipts[0]!.logs).length, 3);

    // The STATICCALL view saw the stake; EXTCODESIZE of the system address is 1; every refusal held.
    const check = async (amount: bigint): Promise<number> =>
      (await node.block([await owner.sign({ to: poolAddress, data: poolIface.encodeFunctionData('check', [amount]), gasLimit: 1_000_000n })])).results[0]!.code;
    assert.equal(await check(3_500n * CMT), 0);
    assert.notEqual(await check(3_499n * CMT), 0, 'check itself can fail');
    await node.assertConservation(everyone());
  });

  it('a transaction whose top frame reverts after staking leaves stake, balance and events untouched', async () => {
    const c = candidate.address;
    const shares = async (): Promise<string[]> => (await node.json<DelegationJson[]>(`/delegations/${poolAddress}`)).map((d) => d.shares);
    const before = await shares();
    const poolBefore = await node.balance(poolAddress);
    const block = await node.block([await owner.sign({ to: poolAddress, data: poolIface.encodeFunctionData('stakeThenRevert', [c, 2_000n * CMT]), gasLimit: 1_000_000n })]);
    assert.notEqual(block.results[0]!.code, 0);
    assert.deepEqual(await shares(), before);
    assert.equal(await node.balance(poolAddress), poolBefore);
    await node.assertConservation(everyone());
  });

  it('plain transfers to a system address revert, from an EOA and from a contract', async () => {
    const otherBefore = await node.balance(other.address);
    const block = await node.block([
      await other.sign({ to: STAKING_ADDRESS, value: 5n * CMT, gasLimit: 100_000n }),
      await other.sign({ to: GOVERNANCE_ADDRESS, value: 5n * CMT, gasLimit: 100_000n }),
      await owner.sign({ to: poolAddress, data: poolIface.encodeFunctionData('refusals', [candidate.address]), gasLimit: 2_000_000n }),
    ]);
    assert.notEqual(block.results[0]!.code, 0);
    assert.notEqual(block.results[1]!.code, 0);
    assert.equal(block.results[2]!.code, 0, block.results[2]!.log);
    const fees = block.receipts.slice(0, 2).reduce((sum, r) => sum + r.gasUsed * r.effectiveGasPrice, 0n);
    assert.equal(otherBefore - (await node.balance(other.address)), fees, 'only the fees left the sender');
    await node.assertConservation(everyone());
  });

  it('CMT sent to a system address by SELFDESTRUCT is burned and counted', async () => {
    const burnedBefore = BigInt((await node.json<SupplyJson>('/supply')).burned);
    // A contract created and destroyed in one transaction, and an older contract (the pool) destroying itself.
    const burner = systemCallContract('Burner');
    const poolBalance = await node.balance(poolAddress);
    const block = await node.block([
      await other.sign({ to: null, data: burner.bytecode + burnerIface.encodeDeploy([STAKING_ADDRESS]).slice(2), value: 7n * CMT, gasLimit: 1_000_000n }),
      await owner.sign({ to: poolAddress, data: poolIface.encodeFunctionData('die', [GOVERNANCE_ADDRESS]), gasLimit: 1_000_000n }),
    ]);
    for (const r of block.results) assert.equal(r.code, 0, r.log);
    const s = await node.assertConservation(everyone());
    assert.equal(BigInt(s.burned) - burnedBefore, 7n * CMT + poolBalance);
    assert.equal(await node.balance(poolAddress), 0n);
  });
});
