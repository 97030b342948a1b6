/**
 * Staking through the IStaking ABI (contracts/abi/IStaking.json) with ethers
 * over cmtd's JSON-RPC gateway, as a wallet or dapp would: an ethers
 * `Contract` at 0x…1000 and `Wallet`s connected to the node. A new candidate
 * declares with a fresh ed25519 key, another account delegates to it and
 * unstakes part; the views (eth_call), the cmt_* methods and the receipts'
 * staking events agree.
 *
 * Genesis has max_validators 1: the new candidate ranks as a backup, so the
 * one-node chain never waits for a validator that has no node.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Contract, Interface, JsonRpcProvider, Wallet, isError, type InterfaceAbi, type Log, type LogDescription, type TransactionReceipt } from 'ethers';
import { defaultAppState, type LocalNode } from '../../src/localnet/network.js';
import { CMT } from '../../src/state/params.js';
import { STAKING_ADDRESS } from '../../src/system/types.js';
import { startLocalnet } from '../support/chain.js';
import { newConsensusKey } from '../support/staking.js';

const ABI = JSON.parse(readFileSync(new URL('../../contracts/abi/IStaking.json', import.meta.url), 'utf8')) as InterfaceAbi;
const IFACE = new Interface(ABI);

/** The staking events of a receipt, decoded with the IStaking ABI. */
function stakingEvents(receipt: TransactionReceipt, name: string): LogDescription[] {
  return receipt.logs
    .filter((l: Log) => l.address.toLowerCase() === STAKING_ADDRESS)
    .map((l: Log) => IFACE.parseLog(l))
    .filter((e): e is LogDescription => e !== null && e.name === name);
}

interface CandidateJson {
  address: string;
  pubKey: string;
  maxStake: string;
  compRateBp: number;
  description: string;
  state: string;
  role: string;
  rank: number;
  totalStake: string;
  selfStake: string;
  waitingStake: string;
}
interface DelegationJson {
  delegator: string;
  candidate: string;
  amount: string;
  principal: string;
  earned: string;
  shares: string;
  compRateBp: number;
  self: boolean;
  withdrawing: boolean;
}
interface UnstakeJson {
  id: string;
  delegator: string;
  candidate: string;
  amount: string;
  shares: string;
  matureTime: string;
  height: string;
}

describe('staking through the IStaking ABI with ethers over JSON-RPC', { timeout: 300_000 }, () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let node: LocalNode;
  let provider: JsonRpcProvider;

  before(async () => {
    net = await startLocalnet('rpc-staking', {
      nodes: 1,
      accounts: 4,
      blockTime: '200ms',
      appState: (ctx) => {
        const state = defaultAppState(ctx, 1_000_000n * CMT) as { params: Record<string, unknown> };
        state.params.max_validators = 1;
        return state;
      },
    });
    node = net.nodes[0]!;
    assert.ok(node.ethRpcUrl, 'the localnet serves the gateway');
    await net.waitForHeight(2n);
    provider = new JsonRpcProvider(node.ethRpcUrl, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
  });
  after(async () => {
    provider?.destroy();
    await net?.cleanup();
  });

  async function cmt<T>(method: string, params: unknown[] = []): Promise<T> {
    return (await provider.send(method, params)) as T;
  }

  it('declares a candidacy, delegates, unstakes; views, cmt_* queries and receipt events agree', async () => {
    const candidateWallet = new Wallet(net.accounts[1]!.privateKey, provider);
    const delegatorWallet = new Wallet(net.accounts[2]!.privateKey, provider);
    const candidate = candidateWallet.address;
    const delegator = delegatorWallet.address;
    const asCandidate = new Contract(STAKING_ADDRESS, ABI, candidateWallet);
    const asDelegator = new Contract(STAKING_ADDRESS, ABI, delegatorWallet);
    const view = new Contract(STAKING_ADDRESS, ABI, provider);

    // ---- declareCandidacy: a new ed25519 key, self-stake = 10% of the max stake (self_stake_ratio).
    const { pubKey, signature } = newConsensusKey(net.chainId, candidate);
    const maxStake = 20_000n * CMT;
    const selfStake = maxStake / 10n;
    const description = JSON.stringify({ name: 'rpc-staking', website: 'https://example.org' });
    const balanceBefore = await provider.getBalance(candidate);
    const declareTx = await asCandidate.getFunction('declareCandidacy')(pubKey, signature, maxStake, 1500, description, { value: selfStake });
    const declared = (await declareTx.wait()) as TransactionReceipt;
    assert.equal(declared.status, 1);
    assert.equal(declared.to?.toLowerCase(), STAKING_ADDRESS);
    const [declaredEvent] = stakingEvents(declared, 'CandidacyDeclared');
    assert.ok(declaredEvent !== undefined, 'CandidacyDeclared in the receipt');
    assert.equal(declaredEvent.args.getValue('candidate'), candidate);
    assert.equal(declaredEvent.args.getValue('pubKey'), pubKey);
    assert.equal(declaredEvent.args.getValue('maxStake'), maxStake);
    assert.equal(declaredEvent.args.getValue('compRateBp'), 1500n);
    assert.equal(declaredEvent.args.getValue('selfStake'), selfStake);
    const fee = declared.gasUsed * declared.gasPrice;
    assert.equal(await provider.getBalance(candidate), balanceBefore - selfStake - fee, 'the self-stake and the fee left the balance');
    // The transaction's logs are found again through eth_getLogs by the event's topic.
    const logs = await provider.getLogs({
      address: STAKING_ADDRESS,
      fromBlock: declared.blockNumber,
      toBlock: declared.blockNumber,
      topics: [IFACE.getEvent('CandidacyDeclared')!.topicHash],
    });
    assert.deepEqual(
      logs.map((l) => l.transactionHash),
      [declared.hash],
    );

    // The view (eth_call) and cmt_getCandidate / cmt_getCandidates show it.
    const onChain = (await view.getFunction('getCandidate')(candidate)) as { [key: string]: unknown };
    assert.equal(onChain.candidate, candidate);
    assert.equal(onChain.pubKey, pubKey);
    assert.equal(onChain.maxStake, maxStake);
    assert.equal(onChain.compRateBp, 1500n);
    assert.equal(onChain.description, description);
    assert.equal(onChain.state, 0n, 'active');
    assert.ok((onChain.selfStake as bigint) >= selfStake, 'the self-stake (it earns from the next block on, as a backup)');
    const candidates = await cmt<CandidateJson[]>('cmt_getCandidates');
    const listed = candidates.find((c) => c.address === candidate.toLowerCase());
    assert.ok(listed !== undefined, 'cmt_getCandidates lists the new candidate');
    assert.equal(listed.pubKey, pubKey);
    assert.equal(BigInt(listed.maxStake), maxStake);
    assert.equal(listed.compRateBp, 1500);
    assert.equal(listed.state, 'active');
    const viewList = (await view.getFunction('getCandidates')()) as Array<{ candidate: string }>;
    assert.deepEqual(viewList.map((c) => c.candidate.toLowerCase()).sort(), candidates.map((c) => c.address).sort());

    // ---- delegate from another account.
    const delegated = 3_000n * CMT;
    const delegateTx = await asDelegator.getFunction('delegate')(candidate, { value: delegated });
    const delegateReceipt = (await delegateTx.wait()) as TransactionReceipt;
    assert.equal(delegateReceipt.status, 1);
    const [delegatedEvent] = stakingEvents(delegateReceipt, 'Delegated');
    assert.ok(delegatedEvent !== undefined, 'Delegated in the receipt');
    assert.equal(delegatedEvent.args.getValue('delegator'), delegator);
    assert.equal(delegatedEvent.args.getValue('candidate'), candidate);
    assert.equal(delegatedEvent.args.getValue('amount'), delegated);
    assert.equal(delegatedEvent.args.getValue('compRateBp'), 1500n);

    const delegation = (await view.getFunction('getDelegation')(candidate, delegator)) as { [key: string]: unknown };
    assert.equal(delegation.candidate, candidate);
    assert.equal(delegation.delegator, delegator);
    assert.ok((delegation.amount as bigint) >= delegated - 1n, 'the delegation is worth what was paid (plus any award since)');
    assert.equal(delegation.self, false);
    const delegations = await cmt<DelegationJson[]>('cmt_getDelegations', [delegator]);
    assert.equal(delegations.length, 1);
    assert.equal(delegations[0]!.candidate, candidate.toLowerCase());
    assert.ok(BigInt(delegations[0]!.amount) >= delegated - 1n);
    assert.equal(delegations[0]!.principal, delegated.toString(), 'the principal is what was delegated');
    assert.equal(BigInt(delegations[0]!.earned), BigInt(delegations[0]!.amount) - delegated);
    assert.equal(delegations[0]!.withdrawing, false);
    const viewDelegations = (await view.getFunction('getDelegations')(delegator)) as Array<{ candidate: string }>;
    assert.deepEqual(
      viewDelegations.map((d) => d.candidate),
      [candidate],
    );

    // The candidate's total stake includes the delegation; it ranks (as a backup: max_validators is 1).
    const afterDelegation = await cmt<CandidateJson>('cmt_getCandidate', [candidate]);
    assert.ok(BigInt(afterDelegation.totalStake) >= selfStake + delegated - 1n);
    const validators = await cmt<Array<{ address: string; role: string }>>('cmt_getValidators');
    assert.ok(
      validators.some((v) => v.address === candidate.toLowerCase() && v.role === 'backup'),
      JSON.stringify(validators),
    );

    // ---- unstake part of the delegation.
    const unstaked = 1_000n * CMT;
    const requestId = (await asDelegator.getFunction('unstake').staticCall(candidate, unstaked)) as bigint;
    const unstakeTx = await asDelegator.getFunction('unstake')(candidate, unstaked);
    const unstakeReceipt = (await unstakeTx.wait()) as TransactionReceipt;
    assert.equal(unstakeReceipt.status, 1);
    const [unstakedEvent] = stakingEvents(unstakeReceipt, 'Unstaked');
    assert.ok(unstakedEvent !== undefined, 'Unstaked in the receipt');
    assert.equal(unstakedEvent.args.getValue('delegator'), delegator);
    assert.equal(unstakedEvent.args.getValue('candidate'), candidate);
    const id = unstakedEvent.args.getValue('requestId') as bigint;
    assert.ok(id > 0n);
    assert.equal(id, requestId, 'the id eth_call predicted');
    const eventAmount = unstakedEvent.args.getValue('amount') as bigint;
    assert.ok(eventAmount >= unstaked, 'at least the amount asked moves to the request');
    const matureTime = unstakedEvent.args.getValue('matureTime') as bigint;
    const block = await provider.getBlock(unstakeReceipt.blockNumber);
    assert.equal(matureTime, BigInt(block!.timestamp) + 120n, 'matures after unstake_waiting_period_s (120 s on the localnet)');

    const requests = (await view.getFunction('getUnstakeRequests')(delegator)) as Array<{ [key: string]: unknown }>;
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.id, id);
    assert.equal(requests[0]!.candidate, candidate);
    assert.equal(requests[0]!.matureTime, matureTime);
    assert.equal(requests[0]!.height, BigInt(unstakeReceipt.blockNumber));
    const unstakes = await cmt<UnstakeJson[]>('cmt_getUnstakes', [delegator]);
    assert.equal(unstakes.length, 1);
    assert.equal(BigInt(unstakes[0]!.id), id);
    assert.equal(unstakes[0]!.candidate, candidate.toLowerCase());
    assert.equal(BigInt(unstakes[0]!.matureTime), matureTime);
    assert.ok(BigInt(unstakes[0]!.amount) >= unstaked - 1n);
    const remaining = await cmt<DelegationJson[]>('cmt_getDelegations', [delegator]);
    assert.ok(BigInt(remaining[0]!.amount) < delegated, 'the delegation shrank');
    // The unstake took its proportional share of the principal: about the amount asked (less once awards grew the value).
    const principalLeft = BigInt(remaining[0]!.principal);
    assert.ok(principalLeft > delegated - unstaked - CMT && principalLeft < delegated, `principal left ${principalLeft}`);
    assert.equal(BigInt(remaining[0]!.earned), BigInt(remaining[0]!.amount) - principalLeft);
    const waiting = await cmt<CandidateJson>('cmt_getCandidate', [candidate]);
    assert.ok(BigInt(waiting.waitingStake) >= unstaked - 1n, "the request waits inside the candidate's stake");
  });

  it('reports refused staking calls as reverts with the reason code', async () => {
    const outsider = new Wallet(net.accounts[3]!.privateKey, provider);
    const staking = new Contract(STAKING_ADDRESS, ABI, outsider);
    const candidate = net.accounts[1]!.address;
    // eth_estimateGas answers the refusal: ethers reports a CALL_EXCEPTION with the reason.
    await assert.rejects(staking.getFunction('delegate')(candidate, { value: 1n }), (err: unknown) => {
      assert.ok(isError(err, 'CALL_EXCEPTION'), String(err));
      assert.match(err.reason ?? '', /^below_min_stake/);
      return true;
    });
    await assert.rejects(staking.getFunction('unstake')(candidate, CMT), (err: unknown) => isError(err, 'CALL_EXCEPTION') && /^no_delegation/.test(err.reason ?? ''));
    // A declaration reusing a key already in use: refused too.
    const used = (await staking.getFunction('getCandidate')(candidate)) as { pubKey: string };
    await assert.rejects(
      staking.getFunction('declareCandidacy')(used.pubKey, `0x${'00'.repeat(64)}`, 10_000n * CMT, 0, '{}', { value: 1_000n * CMT }),
      (err: unknown) => isError(err, 'CALL_EXCEPTION') && /^pubkey_in_use/.test(err.reason ?? ''),
    );
    // Mined with an explicit gas limit, a refused call is a failed transaction (status 0) that pays its gas.
    const tx = await staking.getFunction('delegate')(candidate, { value: 1n, gasLimit: 100_000n });
    await assert.rejects(tx.wait(), (err: unknown) => isError(err, 'CALL_EXCEPTION'));
    const receipt = await provider.getTransactionReceipt(tx.hash);
    assert.equal(receipt?.status, 0);
    assert.equal(receipt!.logs.length, 0);
    const result = await cmt<{ status: string; log: string }>('cmt_getTransactionResult', [tx.hash]);
    assert.equal(result.status, 'executed');
    assert.match(result.log, /below_min_stake/);
  });
});
