/**
 * `cmtd dev` as a developer runs it: a child process on free ports, ethers
 * against its JSON-RPC (a funded dev account, a transfer mined), then
 * Ctrl-C: the process exits 0, its cmtd and cometbft are gone, and its
 * temporary state is deleted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { devAccounts, defaultCmtdCommand } from '../../src/localnet/network.js';
import { alive, descendants } from '../support/processes.js';
import { freeRpcPort } from '../support/hardhat.js';

describe('cmtd dev', () => {
  let child: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let rpcPort: number;

  before(async () => {
    rpcPort = await freeRpcPort();
    const [command, ...args] = defaultCmtdCommand();
    child = spawn(command!, [...args, 'dev', '--rpc-port', String(rpcPort), '--accounts', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (/cmtd dev ready: /.test(output)) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`cmtd dev exited with ${code} before it was ready:\n${output}`)));
    });
    const timeout = setTimeout(() => child.kill('SIGINT'), 120_000);
    try {
      await ready;
    } finally {
      clearTimeout(timeout);
    }
  });

  after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await exited;
    }
  });

  it('prints the dev accounts with their keys and the JSON-RPC URL', () => {
    const accounts = devAccounts(3);
    for (const a of accounts) {
      assert.ok(output.includes(a.address), `${a.address} printed`);
      assert.ok(output.includes(a.privateKey), `the key of ${a.address} printed`);
    }
    assert.match(output, new RegExp(`cmtd dev ready: Ethereum JSON-RPC http://127\\.0\\.0\\.1:${rpcPort} \\(chain id 18\\)`));
  });

  it('serves ethers: funded account 0, a transfer mined', async () => {
    const provider = new JsonRpcProvider(`http://127.0.0.1:${rpcPort}`, 18, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 200 });
    try {
      const [a0, a1] = devAccounts(2);
      assert.equal(await provider.getBalance(a0!.address), parseEther('1000000'));
      const before = await provider.getBalance(a1!.address);
      const wallet = new Wallet(a0!.privateKey, provider);
      const tx = await wallet.sendTransaction({ to: a1!.address, value: parseEther('1.5') });
      const receipt = await tx.wait(1, 60_000);
      assert.equal(receipt?.status, 1);
      assert.equal(await provider.getBalance(a1!.address), before + parseEther('1.5'));
    } finally {
      provider.destroy();
    }
  });

  it('serves the staking dashboard five ports below the JSON-RPC, pointed at it and allowed by its CORS', async () => {
    const uiPort = rpcPort - 5;
    assert.match(output, new RegExp(`staking dashboard\\s+http://127\\.0\\.0\\.1:${uiPort}/`));
    const page = await fetch(`http://127.0.0.1:${uiPort}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="app\.js"><\/script>/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${uiPort}/config.json`)).json(), { rpcUrl: `http://127.0.0.1:${rpcPort}` });
    // The page's calls to the JSON-RPC come from the dashboard's origin.
    const call = await fetch(`http://127.0.0.1:${rpcPort}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${uiPort}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    assert.ok(['*', `http://127.0.0.1:${uiPort}`].includes(call.headers.get('access-control-allow-origin') ?? ''));
  });

  it('stops everything on Ctrl-C: exit code 0, no cmtd or cometbft left, temporary state deleted', async () => {
    const state = /state\s+(\S+) \(temporary/.exec(output)?.[1];
    assert.ok(state !== undefined && existsSync(state), 'the temporary state directory is printed and exists');
    const children = descendants(child.pid!);
    assert.ok(children.length >= 2, `cmtd and cometbft run under cmtd dev (found ${children.length} processes)`);
    child.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.deepEqual(children.filter(alive), [], 'every process cmtd dev started has exited');
    assert.ok(!existsSync(state), 'the temporary state was deleted');
  });
});
