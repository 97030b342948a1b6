/**
 * `cmtd replay` against a real one-node CometBFT chain (docs/REPLAY.md):
 * ~200 blocks with transfers, staking calls (a delegation that changes the
 * validator's power, an unstake) and a contract (deploy, mint, token
 * transfers);
 * - replay straight from the running node's RPC matches every height;
 * - the chain is recorded (gzip JSON lines), stopped, and replay from the
 *   recording reproduces every app hash (exit 0);
 * - with a deliberately altered rule, replay reports the divergence at
 *   exactly the first height the rule touches (exit 3).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Interface, Wallet, getCreateAddress } from 'ethers';
import { defaultCmtdCommand } from '../../src/localnet/network.js';
import { loadContract } from '../support/contracts.js';
import { account, broadcast, CHAIN_ID, GWEI, signTransfer, startLocalnet, tempDir, waitForTx } from '../support/chain.js';
import { systemCall } from '../support/staking.js';

const CMT = 10n ** 18n;
const TARGET_HEIGHT = 200n;

interface CmtdRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs this checkout's `cmtd` with `args` and collects its output and exit status. */
function cmtd(args: string[]): Promise<CmtdRun> {
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

function describeRun(r: CmtdRun): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

describe('cmtd replay', () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  const files = tempDir('replay-files');
  const recording = join(files, 'chain.jsonl.gz');
  /** Heights holding a successful plain CMT transfer. */
  const transferHeights: bigint[] = [];
  let recordedTo = 0n;

  before(async () => {
    net = await startLocalnet('replay', { nodes: 1, blockTime: '200ms', cmtdLogLevel: 'warn', cometLogLevel: 'error' });
  });
  after(async () => {
    await net?.cleanup();
    rmSync(files, { recursive: true, force: true });
  });

  it('matches a live chain, records it, replays the recording and catches an altered rule at its height', async () => {
    const node = net.nodes[0]!;
    const wallets = net.accounts.map((a) => new Wallet(a.privateKey));
    const nonceOf = async (w: Wallet): Promise<number> => Number((await account(node, w.address.toLowerCase())).nonce);

    const transfer = async (from: number, to: number, value: bigint): Promise<void> => {
      const w = wallets[from]!;
      const tx = await signTransfer(w, net.accounts[to]!.address, value, await nonceOf(w));
      const { height, result } = await waitForTx(node.rpc, await broadcast(node.rpc, tx));
      assert.equal(result.code, 0, result.log);
      transferHeights.push(height);
    };
    const send = async (from: number, to: string | null, data: string): Promise<{ height: bigint }> => {
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
      const { height, result } = await waitForTx(node.rpc, await broadcast(node.rpc, Buffer.from(signed.slice(2), 'hex')));
      assert.equal(result.code, 0, result.log);
      return { height };
    };

    // A contract: deploy, mint, token transfers.
    const token = loadContract('LoyaltyToken');
    const iface = new Interface(token.abi);
    const merchant = wallets[6]!;
    const tokenAddress = getCreateAddress({ from: merchant.address, nonce: await nonceOf(merchant) });
    await send(6, null, token.bytecode + iface.encodeDeploy(['Points', 'PTS', merchant.address]).slice(2));
    await send(6, tokenAddress, iface.encodeFunctionData('mint', [wallets[7]!.address, 1_000n]));
    // Staking: a delegation (the validator's power changes: a validator update) and an unstake request.
    const delegated = await systemCall(node, wallets[4]!, 'staking', 'delegate', [net.accounts[0]!.address], 3_000n * CMT);
    assert.equal(delegated.code, 0, delegated.log);
    await transfer(1, 2, 5n * CMT);
    await send(7, tokenAddress, iface.encodeFunctionData('transfer', [wallets[8]!.address, 10n]));
    const unstaked = await systemCall(node, wallets[4]!, 'staking', 'unstake', [net.accounts[0]!.address, 500n * CMT]);
    assert.equal(unstaked.code, 0, unstaked.log);
    // Transfers spread over the rest of the run, until the chain passes the target height.
    for (let i = 0; (await node.rpc.height()) < TARGET_HEIGHT; i++) {
      await transfer(1 + (i % 3), 5 + (i % 4), BigInt(i + 1) * CMT);
      if (i % 5 === 4) await send(7, tokenAddress, iface.encodeFunctionData('transfer', [wallets[9]!.address, 1n]));
    }
    assert.ok(transferHeights.length >= 10, `only ${transferHeights.length} transfers`);

    // 1. Straight from the running node's RPC, to a height it has.
    const live = await cmtd(['replay', '--from', `http://127.0.0.1:${node.rpcPort}`, '--to', '60', '--output', 'json']);
    assert.equal(live.code, 0, describeRun(live));
    const liveReport = JSON.parse(live.stdout) as { status: string; matched: string; last_height: string };
    assert.equal(liveReport.status, 'ok');
    assert.equal(liveReport.matched, '60');

    // 2. Record it, stop the chain.
    recordedTo = await node.rpc.height();
    const rec = await cmtd(['replay', '--record', recording, '--from', `http://127.0.0.1:${node.rpcPort}`, '--to', recordedTo.toString()]);
    assert.equal(rec.code, 0, describeRun(rec));
    assert.match(rec.stdout, new RegExp(`recorded heights 1\\.\\.${recordedTo} \\(${recordedTo} blocks\\)`));
    await net.stop();

    // 3. Replay from the recording: every app hash, tx result and validator update reproduced.
    const ok = await cmtd(['replay', '--from', recording, '--output', 'json']);
    assert.equal(ok.code, 0, describeRun(ok));
    const report = JSON.parse(ok.stdout) as { status: string; matched: string; last_height: string; unverified: string[] };
    assert.equal(report.status, 'ok');
    assert.equal(report.last_height, recordedTo.toString());
    assert.equal(report.matched, recordedTo.toString());
    assert.deepEqual(report.unverified, [], 'every height had an app hash to compare with');

    // 4. A changed rule (1 wei more fee on plain transfers from height H) diverges at exactly H.
    const altered = transferHeights[Math.floor(transferHeights.length / 2)]!;
    const bad = await cmtd(['replay', '--from', recording, '--test-alter-rule', `transfer-fee-plus-one@${altered}`]);
    assert.equal(bad.code, 3, describeRun(bad));
    assert.match(bad.stdout, new RegExp(`DIVERGENCE at height ${altered} `));
    assert.match(bad.stdout, /app hash {2}expected [0-9A-F]{64} {2}\(header of block \d+\)\n {12}got {6}[0-9A-F]{64}/);
    assert.match(bad.stdout, new RegExp(`heights 1\\.\\.${altered - 1n} matched`));
    assert.match(bad.stderr, /TEST ONLY/);

    // ... and the JSON report names the same height.
    const badJson = await cmtd(['replay', '--from', recording, '--to', altered.toString(), '--test-alter-rule', `transfer-fee-plus-one@${altered}`, '--output', 'json']);
    assert.equal(badJson.code, 3, describeRun(badJson));
    const divergence = (JSON.parse(badJson.stdout) as { divergence: { height: string; app_hash: { expected: string; got: string; from: string } } }).divergence;
    assert.equal(divergence.height, altered.toString());
    assert.notEqual(divergence.app_hash.expected, divergence.app_hash.got);
    // The last recorded height's expected hash comes from block_results when no next header is known.
    assert.match(divergence.app_hash.from, /header of block|block_results/);
  });
});
