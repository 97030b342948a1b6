/**
 * `cmtd export` on a real chain (docs/EXPORT.md): a one-node chain gets some
 * state (transfers, a delegation, a waiting unstake request, an enterprise
 * account, a contract with storage), is stopped and exported; a NEW chain is
 * started from the exported app_state, and its first block's header carries
 * the old node's app hash at the export height: the same state root.
 *
 * Validator keys: the exported candidates' consensus keys are the old
 * node's, so the new node reuses the old priv_validator_key.json (the new
 * genesis lists it with the exported power). The new chain continues at
 * initial_height = export height + 1, with the same block max_gas.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Interface, Wallet, getCreateAddress } from 'ethers';
import { Localnet, defaultCmtdCommand } from '../../src/localnet/network.js';
import { readGenesis, writeGenesis } from '../../src/localnet/cometbft.js';
import { loadContract } from '../support/contracts.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { stateDir } from '../../src/node/run.js';
import { account, balance, broadcast, CHAIN_ID, GWEI, signTransfer, startLocalnet, tempDir, waitForTx } from '../support/chain.js';
import { systemCall } from '../support/staking.js';

const CMT = 10n ** 18n;

function cmtd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...base] = defaultCmtdCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(command!, [...base, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface ExportedAppState {
  accounts: Array<{ address: string; balance: string; nonce?: string }>;
  candidates: Array<{ address: string; pub_key: string; self_stake: string }>;
  delegations: Array<{ delegator: string; candidate: string; amount: string }>;
  enterprise_accounts: string[];
  contracts: Array<{ address: string; code: string; storage: Record<string, string> }>;
  exact_state: {
    height: string;
    app_hash: string;
    consensus: { block_max_gas: string; validators: Array<{ pub_key: string; power: string }> };
    summary: { unstake_requests: Array<{ delegator: string; amount: string }> };
    records: Record<string, string | null>;
  };
}

describe('cmtd export', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('starts a new chain from the exported app_state with the same state root', async () => {
    const old = await startLocalnet('export-old', { nodes: 1, blockTime: '200ms', cmtdLogLevel: 'warn', cometLogLevel: 'error' });
    cleanups.push(() => old.cleanup());
    const node = old.nodes[0]!;
    const wallets = old.accounts.map((a) => new Wallet(a.privateKey));
    const nonceOf = async (w: Wallet): Promise<number> => Number((await account(node, w.address.toLowerCase())).nonce);
    const send = async (from: number, to: string | null, data: string): Promise<void> => {
      const w = wallets[from]!;
      const signed = await w.signTransaction({
        type: 2,
        chainId: CHAIN_ID,
        nonce: await nonceOf(w),
        maxFeePerGas: 5n * GWEI,
        maxPriorityFeePerGas: GWEI,
        gasLimit: 3_000_000n,
        to,
        data,
      });
      const { result } = await waitForTx(node.rpc, await broadcast(node.rpc, Buffer.from(signed.slice(2), 'hex')));
      assert.equal(result.code, 0, result.log);
    };

    // Some state.
    for (const [from, to] of [
      [1, 2],
      [3, 2],
      [1, 5],
    ] as const) {
      const tx = await signTransfer(wallets[from]!, old.accounts[to]!.address, 7n * CMT, await nonceOf(wallets[from]!));
      assert.equal((await waitForTx(node.rpc, await broadcast(node.rpc, tx))).result.code, 0);
    }
    const operator = old.accounts[0]!.address; // the validator's candidate (and the localnet's foundation)
    assert.equal((await systemCall(node, wallets[4]!, 'staking', 'delegate', [operator], 3_000n * CMT)).code, 0);
    assert.equal((await systemCall(node, wallets[4]!, 'staking', 'unstake', [operator, 500n * CMT])).code, 0); // waits 120 s: still waiting at export
    assert.equal((await systemCall(node, wallets[0]!, 'staking', 'setEnterprise', [old.accounts[8]!.address, true])).code, 0);
    const token = loadContract('LoyaltyToken');
    const iface = new Interface(token.abi);
    const tokenAddress = getCreateAddress({ from: wallets[6]!.address, nonce: await nonceOf(wallets[6]!) }).toLowerCase();
    await send(6, null, token.bytecode + iface.encodeDeploy(['Points', 'PTS', wallets[6]!.address]).slice(2));
    await send(6, tokenAddress, iface.encodeFunctionData('mint', [wallets[7]!.address, 1_000n]));
    const balance2 = await balance(node, old.accounts[2]!.address);
    await old.waitForHeight((await node.rpc.height()) + 2n);
    await old.stop();

    // The state the old node committed last: height H and its app hash.
    const store = await CommittedStore.open(stateDir(node.cmtdHome));
    const height = store.height;
    const appHash = Buffer.from(store.appHash).toString('hex').toUpperCase();
    await store.close();

    // Only the last committed height can be exported; the message says which and how to get another.
    const wrong = await cmtd(['export', '--home', node.cmtdHome, '--height', (height - 1n).toString()]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`is at height ${height}, not ${height - 1n}.*cmtd replay`));

    const files = tempDir('export-files');
    cleanups.push(() => rmSync(files, { recursive: true, force: true }));
    const file = join(files, 'app_state.json');
    // --output is a format, as everywhere: a file name there is refused with the flag that takes one.
    const oldUsage = await cmtd(['export', '--home', node.cmtdHome, '--output', file]);
    assert.equal(oldUsage.code, 1);
    assert.match(oldUsage.stderr, new RegExp(`--output is a format \\(json\\), not a file: .* --out ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(!existsSync(file));
    // Without --height, the last committed height (the only one there is); --output json prints it.
    const toStdout = await cmtd(['export', '--home', node.cmtdHome, '--output', 'json']);
    assert.equal(toStdout.code, 0, toStdout.stderr);
    assert.match(toStdout.stderr, new RegExp(`exported height ${height} \\(the last committed one\\)`));
    assert.equal((JSON.parse(toStdout.stdout) as ExportedAppState).exact_state.app_hash, appHash);
    const exported = await cmtd(['export', '--home', node.cmtdHome, '--height', height.toString(), '--out', file]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, new RegExp(`exported height ${height} \\(the last committed one\\), app hash ${appHash}`));
    const appState = JSON.parse(readFileSync(file, 'utf8')) as ExportedAppState;

    // Human-meaningful SPEC 10 content ...
    assert.equal(appState.exact_state.app_hash, appHash);
    assert.equal(appState.accounts.find((a) => a.address === old.accounts[2]!.address)?.balance, balance2.toString());
    assert.equal(appState.accounts.find((a) => a.address === old.accounts[1]!.address)?.nonce, '2');
    const delegation = appState.delegations.find((d) => d.delegator === old.accounts[4]!.address && d.candidate === operator);
    assert.ok(delegation !== undefined && BigInt(delegation.amount) >= 2_500n * CMT, JSON.stringify(appState.delegations));
    assert.deepEqual(appState.enterprise_accounts, [old.accounts[8]!.address]);
    assert.deepEqual(
      appState.candidates.map((c) => c.pub_key),
      [node.validatorKey.pubKey],
    );
    const contract = appState.contracts.find((c) => c.address === tokenAddress);
    assert.ok(contract !== undefined && Object.keys(contract.storage).length > 0, 'the token contract with its storage');
    assert.ok(
      appState.exact_state.summary.unstake_requests.some((r) => r.delegator === old.accounts[4]!.address),
      'the waiting unstake request',
    );
    assert.ok(
      Object.keys(appState.exact_state.records).some((k) => k.startsWith('k/u/')),
      'the unstake request is an exact record',
    );

    // A new one-node chain from it. Its validator must be the exported one, so it reuses the old node's key.
    const fresh = await Localnet.create({ dir: tempDir('export-new'), nodes: 1, blockTime: '200ms', appState: () => appState, cmtdLogLevel: 'warn', cometLogLevel: 'error' });
    cleanups.push(async () => {
      await fresh.stop();
      if (process.env.CMTD_KEEP_TEST_FILES === undefined) Localnet.reset(fresh.dir);
    });
    const newNode = fresh.nodes[0]!;
    copyFileSync(join(node.home, 'config', 'priv_validator_key.json'), join(newNode.home, 'config', 'priv_validator_key.json'));
    const genesis = readGenesis(newNode.home);
    genesis.initial_height = (height + 1n).toString();
    genesis.consensus_params.block.max_gas = appState.exact_state.consensus.block_max_gas;
    genesis.validators = appState.exact_state.consensus.validators.map((v) => {
      assert.equal(v.pub_key, node.validatorKey.pubKey);
      return { address: node.validatorKey.address, pub_key: { type: 'tendermint/PubKeyEd25519', value: v.pub_key }, power: v.power, name: 'node0' };
    });
    writeGenesis(newNode.home, genesis);
    await fresh.start();
    await fresh.waitForHeight(height + 3n, 60_000);

    // The new chain's first block carries InitChain's app hash: the old state root.
    const first = await newNode.rpc.block(height + 1n);
    assert.equal(first.block.header.app_hash, appHash);
    // ... and it runs on it: balances, the delegation and the waiting request are there, and it signs blocks.
    assert.equal(await balance(newNode, old.accounts[2]!.address), balance2);
    const unstakes = await newNode.rpc.queryJson<Array<{ delegator: string }>>(`/unstakes/${old.accounts[4]!.address}`);
    assert.equal(unstakes.length, 1);
    const tx = await signTransfer(wallets[3]!, old.accounts[9]!.address, CMT, Number((await account(newNode, old.accounts[3]!.address)).nonce));
    const { result } = await waitForTx(newNode.rpc, await broadcast(newNode.rpc, tx));
    assert.equal(result.code, 0, result.log);
  });
});
