/**
 * A validator joins a running network and stays up, as an operator does it:
 * a 4-validator localnet runs; a 5th node is made with `cmtd init --join
 * --genesis <node0's /genesis> --peers …` and run with `cmtd node` (both
 * child processes, the real CLI). It syncs by block replay, reaches the
 * others' app hash, declares candidacy (`tx declare --validator-key`), is
 * delegated to, enters CometBFT's validator set and signs blocks. Then its
 * cmtd and, after that, its CometBFT are killed with SIGKILL: `cmtd node`
 * brings the pair back to the tip by itself, and transactions sent around
 * the CometBFT kill never fail in a block with a nonce gap (code 5). A
 * CometBFT restarted alone beside a running cmtd resets cmtd's CheckTx view.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Wallet } from 'ethers';
import { cometbftBinary, nodeId, readValidatorKey } from '../../src/localnet/cometbft.js';
import { defaultCmtdCommand, type LocalNode } from '../../src/localnet/network.js';
import { canListen, waitFor } from '../../src/localnet/process.js';
import { CometRpc } from '../../src/localnet/rpc.js';
import { account, signTransfer, startLocalnet, tempDir } from '../support/chain.js';
import { alive } from '../support/processes.js';

const run = promisify(execFile);
const [COMMAND, ...BASE_ARGS] = defaultCmtdCommand();
const PASSWORD = 'join test password';

/** Four consecutive free ports (the node's --base-port plan), below the ephemeral range. */
async function freeBasePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const base = 20_000 + 4 * Math.floor(Math.random() * 3_000);
    if ((await Promise.all([0, 1, 2, 3].map((o) => canListen(base + o)))).every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

async function cmtd(...args: string[]): Promise<string> {
  try {
    return (await run(COMMAND!, [...BASE_ARGS, ...args], { timeout: 120_000, env: { ...process.env, CMTD_KEY_PASSWORD: PASSWORD } })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`cmtd ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`);
  }
}

describe('joining a network with cmtd init --join and cmtd node', () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let dir: string;
  let home: string;
  let supervisor: ChildProcess | undefined;
  let output = '';
  let rpc: CometRpc;

  /** The pid `cmtd node` last reported for `which` ('cmtd' or 'cometbft'). */
  function lastPid(which: string): number {
    const pids = [...output.matchAll(new RegExp(`${which} started \\(pid (\\d+)\\)`, 'g'))].map((m) => Number(m[1]));
    assert.ok(pids.length > 0, `cmtd node reported no ${which} pid:\n${output}`);
    return pids.at(-1)!;
  }

  /** Waits until the joined node is at the height the network had when called (after a restart by `cmtd node`). */
  async function backAtTip(restartsBefore: number): Promise<void> {
    const tip = await net.nodes[0]!.rpc.height();
    await waitFor(
      `the pair back at height ${tip} by itself`,
      async () => {
        if ((output.match(/running again/g) ?? []).length <= restartsBefore) return undefined;
        const status = await rpc.status();
        return BigInt(status.sync_info.latest_block_height) >= tip && !status.sync_info.catching_up ? true : undefined;
      },
      30_000,
      200,
    );
  }

  /** Asserts that no transaction in blocks from..to of node0 failed with a nonce gap (code 5). */
  async function noNonceGapFailures(from: bigint, to: bigint): Promise<number> {
    let txs = 0;
    for (let h = from; h <= to; h++) {
      const results = (await net.nodes[0]!.rpc.blockResults(h)).txs_results ?? [];
      txs += results.length;
      for (const r of results) assert.notEqual(r.code, 5, `height ${h}: a transaction failed with a nonce gap: ${r.log}`);
    }
    return txs;
  }

  before(async () => {
    net = await startLocalnet('join', { nodes: 4, accounts: 8, blockTime: '500ms' });
    await net.waitForHeight(3n);
    dir = tempDir('join-node');
    home = join(dir, 'home');
  });

  after(async () => {
    if (supervisor !== undefined && supervisor.exitCode === null) {
      const exited = new Promise((resolve) => supervisor!.once('exit', resolve));
      supervisor.kill('SIGTERM');
      await exited;
    }
    await net?.cleanup();
    if (dir !== undefined && process.env.CMTD_KEEP_TEST_FILES === undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('a 5th node joins by block replay, has the same app hash, declares, is delegated to, enters the validator set and signs blocks', async () => {
    const binary = cometbftBinary();
    const peers = await Promise.all(net.validatorNodes.map(async (n) => `${await nodeId(binary, n.home)}@127.0.0.1:${n.p2pPort}`));
    const base = await freeBasePort();
    const init = await cmtd('init', '--join', '--home', home, '--genesis', `http://127.0.0.1:${net.nodes[0]!.rpcPort}/genesis`, '--peers', peers.join(','), '--moniker', 'node4', '--base-port', String(base), '--private-network');
    assert.match(init, new RegExp(`to join chain '${net.chainId}'`));
    assert.match(init, /sync {7}by replaying every block from genesis/);
    const genesis = JSON.parse(readFileSync(join(home, 'cometbft', 'config', 'genesis.json'), 'utf8')) as { chain_id: string; app_state: unknown };
    const original = JSON.parse(readFileSync(join(net.nodes[0]!.home, 'config', 'genesis.json'), 'utf8')) as { app_state: unknown };
    assert.equal(genesis.chain_id, net.chainId);
    assert.deepEqual(genesis.app_state, original.app_state, "the network's genesis, fetched from a node");

    supervisor = spawn(COMMAND!, [...BASE_ARGS, 'node', '--home', home, '--status-interval', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    supervisor.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    supervisor.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    rpc = new CometRpc(`http://127.0.0.1:${base + 1}`);

    // Caught up by replay: at the network's height, with node0's app hash at that height.
    const target = await net.nodes[0]!.rpc.height();
    await waitFor(
      `the joined node at height ${target}`,
      async () => {
        if (supervisor!.exitCode !== null) throw new Error(`cmtd node exited:\n${output}`);
        return (await rpc.height()) > target ? true : undefined;
      },
      180_000,
      250,
    );
    const [mine, theirs] = await Promise.all([rpc.block(target), net.nodes[0]!.rpc.block(target)]);
    assert.equal(mine.block.header.app_hash, theirs.block.header.app_hash, `app hash at height ${target}`);
    assert.match(readFileSync(join(home, 'logs', 'cometbft.log'), 'utf8'), /executed block|finalizing commit of block/i, 'blocks replayed');

    // Its operator (dev account 4, funded) declares it with the node's consensus key; account 5 delegates.
    const operator = net.accounts[4]!;
    const delegator = net.accounts[5]!;
    for (const [name, key] of [['operator', operator.privateKey], ['delegator', delegator.privateKey]] as const) {
      const keyFile = join(dir, `${name}.key`);
      writeFileSync(keyFile, key.slice(2), { mode: 0o600 });
      await cmtd('keys', 'import', name, '--home', home, '--private-key-file', keyFile);
    }
    const node = ['--home', home, '--node', rpc.url, '--eth-rpc', `http://127.0.0.1:${base + 3}`, '--output', 'json'];
    const declared = JSON.parse(
      await cmtd('tx', 'declare', ...node, '--from', 'operator', '--validator-key', join(home, 'cometbft', 'config', 'priv_validator_key.json'), '--max-stake', '100000', '--self-stake', '10000', '--comp-rate', '10%', '--name', 'node4'),
    ) as { status: string; log?: string };
    assert.equal(declared.status, 'ok', declared.log);
    const delegated = JSON.parse(await cmtd('tx', 'delegate', ...node, '--from', 'delegator', '--candidate', operator.address, '--amount', '5000')) as { status: string; log?: string };
    assert.equal(delegated.status, 'ok', delegated.log);

    // Elected: in CometBFT's validator set, then signing blocks.
    const key = readValidatorKey(join(home, 'cometbft'));
    const elected = await waitFor(
      'the joined node in the validator set',
      async () => {
        const set = await net.nodes[0]!.rpc.validators();
        return set.validators.some((v) => v.pub_key.value === key.pubKey) ? BigInt(set.block_height) : undefined;
      },
      120_000,
      500,
    );
    await waitFor(
      'a block signed by the joined node',
      async () => {
        const height = await net.nodes[0]!.rpc.height();
        if (height <= elected + 1n) return undefined;
        const commit = await net.nodes[0]!.rpc.call<{ signed_header: { commit: { signatures: Array<{ validator_address: string }> } } }>('commit', { height: String(height) });
        return commit.signed_header.commit.signatures.some((s) => s.validator_address === key.address) ? true : undefined;
      },
      60_000,
      500,
    );
  });

  it('init --join --state-sync-rpc writes the trust point of the real chain: a height below the tip and its block hash', async () => {
    const syncHome = join(dir, 'state-sync-home');
    const servers = net.validatorNodes.slice(0, 2).map((n) => `http://127.0.0.1:${n.rpcPort}`);
    const peer = `${await nodeId(cometbftBinary(), net.nodes[0]!.home)}@127.0.0.1:${net.nodes[0]!.p2pPort}`;
    const out = JSON.parse(
      await cmtd('init', '--join', '--home', syncHome, '--genesis', `${servers[0]}/genesis`, '--peers', peer, '--base-port', String(await freeBasePort()), '--state-sync-rpc', servers.join(','), '--output', 'json'),
    ) as { joined: { stateSync: { trustHeight: string; trustHash: string; rpcServers: string[] } } };
    const { trustHeight, trustHash, rpcServers } = out.joined.stateSync;
    assert.deepEqual(rpcServers, servers);
    assert.ok(BigInt(trustHeight) >= 1n && BigInt(trustHeight) < (await net.nodes[0]!.rpc.height()));
    assert.equal(trustHash, (await net.nodes[0]!.rpc.block(BigInt(trustHeight))).block_id.hash);
    const config = readFileSync(join(syncHome, 'cometbft', 'config', 'config.toml'), 'utf8');
    assert.match(config, /\[statesync\][^[]*enable = true/);
    assert.match(config, new RegExp(`trust_hash = "${trustHash}"`));
  });

  it('kill -9 of the cmtd under cmtd node: the pair is back at the tip by itself within 30 s', async () => {
    const [cmtdPid, cometPid] = [lastPid('cmtd'), lastPid('cometbft')];
    const restarts = (output.match(/running again/g) ?? []).length;
    process.kill(cmtdPid, 'SIGKILL');
    await backAtTip(restarts);
    assert.equal(alive(cometPid), false, 'the CometBFT left without its app was ended');
    assert.notEqual(lastPid('cmtd'), cmtdPid);
    assert.match(output, /cmtd exited \(killed by SIGKILL\)/);
  });

  it('kill -9 of its CometBFT: back at the tip within 30 s, and no transaction sent around it fails with a nonce gap', async () => {
    const wallet = new Wallet(net.accounts[6]!.privateKey);
    const to = Wallet.createRandom().address;
    const from = await net.nodes[0]!.rpc.height();
    let nonce = Number((await account(net.nodes[0]!, wallet.address.toLowerCase())).nonce);
    // A burst into the joined node's mempool, then its CometBFT dies with whatever it still holds.
    for (let i = 0; i < 10; i++) {
      const r = await rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, nonce));
      assert.equal(r.code, 0, r.log);
      nonce++;
    }
    const cometPid = lastPid('cometbft');
    const restarts = (output.match(/running again/g) ?? []).length;
    process.kill(cometPid, 'SIGKILL');
    await backAtTip(restarts);

    // The client goes on from where it was: a nonce the chain has not reached must be refused at CheckTx, never accepted into a block.
    for (let i = 0; i < 5; i++) {
      const r = await rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, nonce + i));
      const committed = Number((await account(net.nodes[0]!, wallet.address.toLowerCase())).nonce);
      if (r.code !== 0) assert.ok(nonce + i > committed, `nonce ${nonce + i} refused (code ${r.code}) though the chain is at ${committed}: ${r.log}`);
    }
    // Then from the chain's nonce (another value, so not a copy of one already sent): whatever the
    // mempool does not hold yet it accepts, and the chain executes it.
    const committed = Number((await account(net.nodes[0]!, wallet.address.toLowerCase())).nonce);
    for (let n = committed; n < committed + 3; n++) await rpc.broadcastTxSync(await signTransfer(wallet, to, 2n, n));
    await waitFor(
      'the transactions after the restart committed',
      async () => (Number((await account(net.nodes[0]!, wallet.address.toLowerCase())).nonce) >= committed + 3 ? true : undefined),
      60_000,
      250,
    );
    const end = (await net.nodes[0]!.rpc.height()) + 3n;
    await net.waitForHeight(end);
    const txs = await noNonceGapFailures(from, end);
    assert.ok(txs >= 3, `transactions were executed (${txs})`);
  });

  it('a CometBFT restarted alone beside its running cmtd resets the CheckTx view', async () => {
    const victim: LocalNode = net.nodes[1]!;
    const resets = (): number => (readFileSync(join(victim.home, 'cmtd.log'), 'utf8').match(/CheckTx view reset to committed state/g) ?? []).length;
    const before = resets();
    assert.ok(before >= 1, 'reset when CometBFT first connected');
    const wallet = new Wallet(net.accounts[7]!.privateKey);
    const to = Wallet.createRandom().address;
    const from = await net.nodes[0]!.rpc.height();
    let nonce = Number((await account(net.nodes[0]!, wallet.address.toLowerCase())).nonce);
    for (let i = 0; i < 10; i++, nonce++) assert.equal((await victim.rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, nonce))).code, 0);
    await victim.comet.kill();
    await net.startComet(victim);
    // The new mempool connection takes its role with its first CheckTx, and the view is reset before that CheckTx runs.
    for (let i = 0; i < 5; i++) await victim.rpc.broadcastTxSync(await signTransfer(wallet, to, 1n, nonce + i));
    await waitFor('the CheckTx view reset', async () => (resets() > before ? true : undefined), 30_000);
    const end = (await net.nodes[0]!.rpc.height()) + 4n;
    await net.waitForHeight(end, 60_000, [net.nodes[0]!]);
    await noNonceGapFailures(from, end);
  });

  it('SIGTERM stops the node: both processes end and cmtd node exits 0', async () => {
    const [cmtdPid, cometPid] = [lastPid('cmtd'), lastPid('cometbft')];
    const exited = new Promise<number | null>((resolve) => supervisor!.once('exit', (code) => resolve(code)));
    supervisor!.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /SIGTERM: stopping cometbft, then cmtd/);
    assert.equal(alive(cmtdPid) || alive(cometPid), false, 'no process left behind');
  });
});
