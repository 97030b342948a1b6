/**
 * Every cmt_* method through JSON-RPC, against the in-process chain
 * (test/support/rpc-harness.ts): each answers exactly what the ABCI query
 * path it maps to answers (both read the typed read API, src/app/query-routes.ts),
 * a missing record is null, bad parameters are -32602.
 * test/integration/rpc-clients.test.ts checks the same against a real CometBFT.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { QueryCode } from '../../src/app/query-codes.js';
import { queryPath } from '../../src/app/query-routes.js';
import { governanceInterface } from '../../src/gov/index.js';
import { STAKING_INTERFACE } from '../../src/staking/index.js';
import type { Address } from '../../src/util/address.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../../src/system/types.js';
import { CMT, GWEI, startHarness, type Harness } from '../support/rpc-harness.js';

describe('cmt_* JSON-RPC methods (in-process chain)', { timeout: 120_000 }, () => {
  let h: Harness;
  let validator: Address;
  let delegator: Address;
  let stranger: Address;

  before(async () => {
    // The harness's wallets (test/support/rpc-harness.ts): wallet 0 a genesis candidate, wallet 1 delegating to it.
    [validator, delegator, stranger] = [0, 1, 2].map((i) => new Wallet(`0x${createHash('sha256').update(`rpc-harness-${i}`).digest('hex')}`).address.toLowerCase() as Address) as [
      Address,
      Address,
      Address,
    ];
    h = await startHarness(
      {},
      {
        appState: {
          params: { stake_limits_enabled: false },
          candidates: [
            {
              address: validator,
              pub_key: randomBytes(32).toString('base64'),
              max_stake: (100_000n * CMT).toString(),
              self_stake: (10_000n * CMT).toString(),
              comp_rate_bp: 2000,
              description: { name: 'v0' },
            },
          ],
          delegations: [{ delegator, candidate: validator, amount: (5_000n * CMT).toString() }],
        },
      },
    );
    assert.equal(h.wallets[0]!.address.toLowerCase(), validator);
    await h.block();
  });
  after(async () => h?.cleanup());

  async function systemTx(wallet: Wallet, to: Address, data: string): Promise<string> {
    const nonce = Number(BigInt((await h.rpc('eth_getTransactionCount', [wallet.address, 'pending'])).result as string));
    const signed = await wallet.signTransaction({ chainId: 18n, type: 0, gasPrice: 2n * GWEI, gasLimit: 400_000n, nonce, to, data });
    const sent = await h.rpc('eth_sendRawTransaction', [signed]);
    assert.equal(sent.error, undefined, JSON.stringify(sent.error));
    return sent.result as string;
  }

  /** The ABCI answer of `path` at the latest height: the JSON value, or null when not found. */
  async function abci(path: string): Promise<unknown> {
    const r = await h.app.query({ path, data: new Uint8Array(0), height: 0n, prove: false });
    if (r.code === QueryCode.NotFound) return null;
    assert.equal(r.code, QueryCode.Ok, `${path}: ${r.log}`);
    return JSON.parse(Buffer.from(r.value!).toString('utf8'));
  }

  /** The method's result, checked equal to the ABCI answer of `path`. */
  async function agree(method: string, params: unknown[], path: string): Promise<unknown> {
    const r = await h.rpc(method, params);
    assert.equal(r.error, undefined, `${method}: ${JSON.stringify(r.error)}`);
    assert.deepEqual(r.result, await abci(path), `${method}(${params.join(', ')}) ≠ ABCI ${path}`);
    return r.result;
  }

  it('answers every query method with exactly the ABCI answer of its path', async () => {
    // Something in every answer: an unstake request and a proposal, in a committed block.
    const unstake = await systemTx(h.wallets[1]!, STAKING_ADDRESS, STAKING_INTERFACE.encodeFunctionData('unstake', [validator, 1_000n * CMT]));
    await systemTx(h.wallets[0]!, GOVERNANCE_ADDRESS, governanceInterface.encodeFunctionData('proposeParamChange', ['unstake_waiting_period_s', '130', 'cmt_* test']));
    await h.block();

    const candidates = (await agree('cmt_getCandidates', [], queryPath('candidates'))) as Array<{ address: string; totalStake: string }>;
    assert.deepEqual(
      candidates.map((c) => c.address),
      [validator],
    );
    assert.ok(BigInt(candidates[0]!.totalStake) > 14_000n * CMT, 'self-stake and the delegation left after the unstake, with their awards');
    assert.equal(((await agree('cmt_getCandidate', [validator], queryPath('candidate', validator))) as { address: string }).address, validator);
    assert.equal(await agree('cmt_getCandidate', [stranger], queryPath('candidate', stranger)), null, 'a non-candidate is null');
    const validators = (await agree('cmt_getValidators', [], queryPath('validators'))) as Array<{ address: string; role: string }>;
    assert.deepEqual(
      validators.map((v) => [v.address, v.role]),
      [[validator, 'validator']],
    );
    const delegations = (await agree('cmt_getDelegations', [delegator], queryPath('delegations', delegator))) as Array<{ candidate: string; principal: string }>;
    assert.deepEqual(
      delegations.map((d) => [d.candidate, d.principal]),
      [[validator, (4_000n * CMT).toString()]],
    );
    const unstakes = (await agree('cmt_getUnstakes', [delegator], queryPath('unstakes', delegator))) as Array<{ candidate: string; amount: string }>;
    assert.deepEqual(
      unstakes.map((u) => u.candidate),
      [validator],
    );
    assert.ok(BigInt(unstakes[0]!.amount) >= 1_000n * CMT, 'the unstaked amount (waiting stake still earns)');
    const proposals = (await agree('cmt_getProposals', [], queryPath('proposals'))) as Array<{ id: string; param: { name: string } }>;
    assert.deepEqual(
      proposals.map((p) => [p.id, p.param.name]),
      [['1', 'unstake_waiting_period_s']],
    );
    assert.equal(((await agree('cmt_getProposal', ['0x1'], queryPath('proposal', 1n))) as { id: string }).id, '1');
    assert.equal(((await agree('cmt_getProposal', [1], queryPath('proposal', 1n))) as { id: string }).id, '1');
    assert.equal(await agree('cmt_getProposal', ['0x3e7'], queryPath('proposal', 999n)), null, 'an unknown proposal is null');
    const params = (await agree('cmt_getParams', [], queryPath('params'))) as Record<string, unknown>;
    assert.equal(params.stake_limits_enabled, false);
    const supply = (await agree('cmt_getSupply', [], queryPath('supply'))) as Record<string, string>;
    assert.ok(BigInt(supply.staked) > 15_000n * CMT, 'genesis stake and its awards; the waiting unstake is still staked');
    assert.equal(supply.unstaking, unstakes[0]!.amount);
    const awards = (await agree('cmt_getAwards', [`0x${h.height.toString(16)}`], queryPath('awards', h.height))) as { height: string; awards: Array<{ candidate: string }> };
    assert.equal(awards.height, h.height.toString());
    assert.deepEqual(
      awards.awards.map((a) => a.candidate),
      [validator],
    );
    assert.deepEqual((await h.rpc('cmt_getAwards', [])).result, awards, 'no block parameter: the latest block');
    assert.deepEqual((await h.rpc('cmt_getAwards', ['latest'])).result, awards);
    await agree('cmt_query', [queryPath('candidates')], queryPath('candidates'));
    await agree('cmt_query', [queryPath('account', delegator)], queryPath('account', delegator));
    await agree('cmt_query', ['/chain_id'], queryPath('chainId'));
    assert.equal(await agree('cmt_query', [queryPath('candidate', stranger)], queryPath('candidate', stranger)), null);

    // As of an earlier block (the block parameter of eth_getBalance): before the unstake, the whole delegation.
    const before = `0x${(h.height - 1n).toString(16)}`;
    const thenAnswer = await h.rpc('cmt_getDelegations', [delegator, before]);
    assert.equal(thenAnswer.error, undefined, JSON.stringify(thenAnswer.error));
    const then = thenAnswer.result as Array<{ principal: string }>;
    assert.deepEqual(
      then.map((d) => d.principal),
      [(5_000n * CMT).toString()],
    );
    assert.deepEqual((await h.rpc('cmt_getDelegations', [delegator, 'latest'])).result, delegations);
    const candidateThen = (await h.rpc('cmt_getCandidate', [validator, { blockNumber: before }])).result as { totalStake: string };
    assert.ok(BigInt(candidateThen.totalStake) > 0n && candidateThen.totalStake !== candidates[0]!.totalStake, 'the stake changed since (awards)');
    assert.equal((await h.rpc('cmt_getCandidate', [validator, `0x${(h.height + 5n).toString(16)}`])).error?.code, -32000, 'a future block is refused');
    assert.equal((await h.rpc('cmt_getCandidate', [validator, 'soon'])).error?.code, -32602);
    const result = (await h.rpc('cmt_getTransactionResult', [unstake])).result as { status: string; code: number; blockNumber: string };
    assert.deepEqual([result.status, result.code, result.blockNumber], ['executed', 0, `0x${h.height.toString(16)}`]);
    assert.equal((await h.rpc('cmt_getTransactionResult', [`0x${'ab'.repeat(32)}`])).result, null, 'an unknown transaction is null');
  });

  it('refuses bad parameters and unknown paths', async () => {
    assert.equal((await h.rpc('cmt_getCandidate', ['0x12'])).error?.code, -32602);
    assert.equal((await h.rpc('cmt_getDelegations', [])).error?.code, -32602);
    assert.equal((await h.rpc('cmt_getUnstakes', ['nobody'])).error?.code, -32602);
    assert.equal((await h.rpc('cmt_getAwards', ['yesterday'])).error?.code, -32602);
    assert.equal((await h.rpc('cmt_getProposal', ['-1'])).error?.code, -32602);
    assert.equal((await h.rpc('cmt_getTransactionResult', ['0x12'])).error?.code, -32602);
    assert.equal((await h.rpc('cmt_query', ['/no/such/path'])).error?.code, -32004);
    assert.equal((await h.rpc('cmt_query', ['/candidate/0x12'])).error?.code, -32602, 'a malformed argument in a path');
    assert.equal((await h.rpc('cmt_query', ['candidates'])).error?.code, -32602, 'a path starts with /');
    const future = await h.rpc('cmt_getAwards', [`0x${(h.height + 5n).toString(16)}`]);
    assert.equal(future.result, null, 'a height with no award record is null');
  });
});
