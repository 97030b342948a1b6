/**
 * The DPoS ledger driving a real CometBFT network (SPEC 4, 6, 7).
 *
 * A one-validator network (issue 8.1): declarations with a key nobody holds
 * or a proof made for someone else are refused; a properly signed small
 * candidate (a key no node runs) gets power by its stake, not flattened by
 * the 12% cap, so the chain keeps committing without its signatures.
 *
 * 4 validators and a 5th candidate (max_validators 4, 1 backup):
 * - a delegation that lifts the 5th candidate above a validator changes CometBFT's validator set;
 * - a validator whose cometbft stops is slashed 0.1% for each of 12 blocks in a row (burned) and removed, the backup promoted;
 * - after a restart and activateCandidacy it competes again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Wallet } from 'ethers';
import { startLocalnet } from '../support/chain.js';
import { newConsensusKey, systemCall, type CandidateJson } from '../support/staking.js';
import { waitFor } from '../../src/node/process.js';
import type { LocalNode } from '../../src/localnet/network.js';

const CMT = 10n ** 18n;
/**
 * Distinct stakes, far enough apart that a 1.2% slash does not reorder the
 * validators (a slash that drops a validator below the backup demotes it
 * before it is removed, which is correct but not what this test is after).
 * The 5th candidate starts last: the backup.
 */
const SELF_STAKES = [12_000n, 11_500n, 11_000n, 10_500n, 5_000n];

async function cometValidatorKeys(node: LocalNode): Promise<Set<string>> {
  return new Set((await node.rpc.validators()).validators.map((v) => v.pub_key.value));
}

function base64Key(hexKey: string): string {
  return Buffer.from(hexKey.slice(2), 'hex').toString('base64');
}

describe('declaring candidacy on a one-validator CometBFT network', () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;

  before(async () => {
    net = await startLocalnet('staking-pop', {
      nodes: 1,
      accounts: 3,
      blockTime: '300ms',
      appState: ({ accounts, validatorKeys }) => ({
        params: { unstake_waiting_period_s: '60' },
        accounts: accounts.map((a) => ({ address: a.address, balance: (1_000_000n * CMT).toString() })),
        candidates: [
          {
            address: accounts[0]!.address,
            pub_key: validatorKeys[0]!.pubKey,
            max_stake: (100_000n * CMT).toString(),
            self_stake: (10_000n * CMT).toString(),
            comp_rate_bp: 2000,
            description: { name: 'node0' },
          },
        ],
      }),
    });
    await net.waitForHeight(2n);
  });
  after(async () => net?.cleanup());

  it('refuses keys without a proof of possession; a small signed candidate weighs by its stake and the chain goes on', async () => {
    const node = net.nodes[0]!;
    const declarer = new Wallet(net.accounts[1]!.privateKey);
    const other = net.accounts[2]!.address;
    const declare = (pubKey: string, signature: string): ReturnType<typeof systemCall> =>
      systemCall(node, declarer, 'staking', 'declareCandidacy', [pubKey, signature, 20_000n * CMT, 1000, '{"name":"newcomer"}'], 2_000n * CMT);

    // A key nobody holds, with 64 bytes that are no signature.
    const nobody = await declare(`0x${'5a'.repeat(32)}`, `0x${'01'.repeat(64)}`);
    assert.notEqual(nobody.code, 0);
    assert.match(nobody.log ?? '', /bad_pubkey_signature/);
    // A real key, but its proof names another address (a front-runner copying someone's declaration).
    const stolen = newConsensusKey(net.chainId, other);
    const copied = await declare(stolen.pubKey, stolen.signature);
    assert.notEqual(copied.code, 0);
    assert.match(copied.log ?? '', /bad_pubkey_signature/);
    // A proof for another chain id.
    const elsewhere = newConsensusKey(`${net.chainId}-other`, declarer.address);
    assert.match((await declare(elsewhere.pubKey, elsewhere.signature)).log ?? '', /bad_pubkey_signature/);
    assert.deepEqual([...(await cometValidatorKeys(node))], [node.validatorKey.pubKey], 'nothing joined CometBFT');

    // Properly signed: accepted. Its key runs on no node, so it never signs.
    const key = newConsensusKey(net.chainId, declarer.address);
    const declared = await declare(key.pubKey, key.signature);
    assert.equal(declared.code, 0, declared.log);
    const joined = await waitFor(
      'CometBFT to add the new candidate',
      async () => {
        const { validators } = await node.rpc.validators();
        return validators.some((v) => v.pub_key.value === base64Key(key.pubKey)) ? validators : undefined;
      },
      30_000,
    );
    const power = new Map(joined.map((v) => [v.pub_key.value, BigInt(v.voting_power)]));
    // By stake: 2,000 against ~10,000, not 12% of S each (which would be equal powers and a halt).
    assert.equal(power.get(base64Key(key.pubKey)), 2_000n);
    assert.ok(power.get(node.validatorKey.pubKey)! >= 10_000n, `node0 power ${power.get(node.validatorKey.pubKey)}`);
    // The chain keeps committing with the absent newcomer in the set.
    const height = await node.rpc.height();
    await net.waitForHeight(height + 5n, 30_000);
  });
});

describe('staking on a real CometBFT network', () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;

  before(async () => {
    net = await startLocalnet('staking', {
      nodes: 5,
      accounts: 10,
      blockTime: '300ms',
      appState: ({ accounts, validatorKeys }) => ({
        params: { max_validators: 4, backup_validators: 1, unstake_waiting_period_s: '60' },
        accounts: accounts.map((a) => ({ address: a.address, balance: (1_000_000n * CMT).toString() })),
        candidates: validatorKeys.map((key, i) => ({
          address: accounts[i]!.address,
          pub_key: key.pubKey,
          max_stake: ((i === 4 ? 50_000n : 100_000n) * CMT).toString(),
          self_stake: (SELF_STAKES[i]! * CMT).toString(),
          comp_rate_bp: 2000,
          description: { name: `node${i}` },
        })),
      }),
    });
    await net.waitForHeight(3n);
  });
  after(async () => net?.cleanup());

  it('elects, slashes, removes, promotes and readmits validators through CometBFT', async () => {
    const observer = net.nodes[4]!; // the 5th node stays up throughout
    const keyOf = (i: number): string => net.nodes[i]!.validatorKey.pubKey;
    const candidate = (address: string): Promise<CandidateJson> => observer.rpc.queryJson<CandidateJson>(`/candidate/${address}`);

    // Genesis: nodes 0-3 validate, node 4 is the backup.
    const genesisSet = await cometValidatorKeys(observer);
    assert.equal(genesisSet.size, 4);
    assert.ok(!genesisSet.has(keyOf(4)));
    assert.equal((await candidate(net.accounts[4]!.address)).role, 'backup');

    // A delegation lifts the 5th candidate above a validator: CometBFT's set changes.
    const delegator = new Wallet(net.accounts[9]!.privateKey);
    const delegated = await systemCall(observer, delegator, 'staking', 'delegate', [net.accounts[4]!.address], 10_000n * CMT);
    assert.equal(delegated.code, 0, delegated.log);
    await waitFor('CometBFT to add the 5th candidate', async () => ((await cometValidatorKeys(observer)).has(keyOf(4)) ? true : undefined), 60_000);
    const afterDelegation = await cometValidatorKeys(observer);
    assert.equal(afterDelegation.size, 4);
    const demoted = [0, 1, 2, 3].find((i) => !afterDelegation.has(keyOf(i)));
    assert.equal(demoted, 3, 'the lowest-staked validator became the backup');
    assert.equal((await candidate(net.accounts[demoted!]!.address)).role, 'backup');

    // Stop a validator's cometbft: slashed every block it misses, removed after 12 in a row, the backup promoted.
    const victim = 0;
    const victimAddress = net.accounts[victim]!.address;
    await net.nodes[victim]!.comet.stop();
    let last: CandidateJson | undefined;
    await waitFor(
      'the stopped validator to be removed',
      async () => {
        last = await candidate(victimAddress);
        return last.state === 'removed' ? last : undefined;
      },
      120_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; node${victim} last seen as ${JSON.stringify(last)}`);
    });
    // Read as of heights, not "now": on a loaded machine any validator's vote can come
    // late and be slashed too (before the stop, or another validator's meanwhile).
    const at = async <T>(path: string, height: bigint): Promise<T> => {
      const r = await observer.rpc.abciQuery(path, height);
      assert.equal(r.code, 0, `${path} at height ${height}: ${r.log}`);
      return JSON.parse(Buffer.from(r.value ?? '', 'base64').toString('utf8')) as T;
    };
    let removedAt = await observer.rpc.height();
    while ((await at<CandidateJson>(`/candidate/${victimAddress}`, removedAt - 1n)).state === 'removed') removedAt--;
    const removed = await at<CandidateJson>(`/candidate/${victimAddress}`, removedAt);
    assert.equal(removed.missedBlocks, 12, 'removed at its 12th miss in a row');
    // The run began after a block it signed: 12 heights before the removal, nothing missed.
    const runStart = removedAt - 12n;
    const before = await at<CandidateJson>(`/candidate/${victimAddress}`, runStart);
    assert.equal(before.missedBlocks, 0, `node${victim} signed the block before its 12 misses`);
    // Each miss costs 0.1% of its stake then (an absent validator earns nothing), rounded down.
    let stake = BigInt(before.totalStake);
    let expected = 0n;
    for (let miss = 0; miss < 12; miss++) {
      const amount = (stake * 10n) / 10_000n;
      expected += amount;
      stake -= amount;
    }
    const slashed = BigInt(removed.slashed) - BigInt(before.slashed);
    assert.ok(slashed <= expected && slashed >= expected - 12n, `slashed ${slashed} for 12 misses, expected ${expected} of ${before.totalStake}`);
    // What was slashed, of every candidate, is burned, visible in /supply.
    const slashedOfAll = async (height: bigint): Promise<bigint> => (await at<CandidateJson[]>('/candidates', height)).reduce((sum, c) => sum + BigInt(c.slashed), 0n);
    const burned = async (height: bigint): Promise<bigint> => BigInt((await at<{ burned: string }>('/supply', height)).burned);
    assert.equal((await burned(removedAt)) - (await burned(runStart)), (await slashedOfAll(removedAt)) - (await slashedOfAll(runStart)), 'what was slashed is burned');
    assert.ok(slashed > 0n);
    await waitFor(
      'CometBFT to drop the removed validator and promote the backup',
      async () => {
        const set = await cometValidatorKeys(observer);
        return !set.has(keyOf(victim)) && set.has(keyOf(demoted!)) ? true : undefined;
      },
      60_000,
    );

    // Restart it and activate the candidacy: it competes again.
    await net.startComet(net.nodes[victim]!);
    const operator = new Wallet(net.accounts[victim]!.privateKey);
    const activated = await systemCall(observer, operator, 'staking', 'activateCandidacy', []);
    assert.equal(activated.code, 0, activated.log);
    const back = await waitFor(
      'the candidate to be ranked again',
      async () => {
        const c = await candidate(victimAddress);
        return c.state === 'active' && c.rank > 0 ? c : undefined;
      },
      60_000,
    );
    assert.ok(['validator', 'backup'].includes(back.role), `role ${back.role}`);
    assert.equal(base64Key(back.pubKey), keyOf(victim));
  });
});
