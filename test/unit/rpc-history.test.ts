/**
 * State as of a past block (src/rpc/state-at.ts): every state method reads
 * the state after block N (store version N) for a number, a tag or an
 * EIP-1898 object, with values that change between blocks; pruned blocks
 * get an error naming the oldest available one; and `hardhat node --fork
 * <gateway> --fork-block-number N` reads a contract's storage as of N
 * after it changed later.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Interface, Transaction } from 'ethers';
import { compileSolidity } from '../support/contracts.js';
import { CMT, GWEI, blockHash, startHarness, type Harness } from '../support/rpc-harness.js';
import { ROOT, freeRpcPort, hardhatEnv } from '../support/hardhat.js';

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Box {
  uint256 public value;
  function set(uint256 v) external { value = v; }
}`;

const hex = (n: bigint | number): string => `0x${n.toString(16)}`;

describe('state as of a past block', { timeout: 240_000 }, () => {
  let h: Harness;
  const box = compileSolidity(SOURCE, 'Box');
  const abi = new Interface(box.abi);
  let boxAddress: string;
  /** Blocks: deployed in `deployed`, value 7 from `first`, value 9 from `second` (a transfer of 5 wei in the same block). */
  const at = { deployed: 0n, first: 0n, second: 0n };
  let nonce = 0;

  const ok = async (method: string, params: unknown[]): Promise<unknown> => {
    const r = await h.rpc(method, params);
    assert.equal(r.error, undefined, `${method}: ${JSON.stringify(r.error)}`);
    return r.result;
  };
  const send = async (tx: { to?: string; data?: string; value?: bigint }): Promise<string> => {
    const raw = await h.wallets[0]!.signTransaction({ chainId: 18n, type: 2, nonce: nonce++, gasLimit: 500_000n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 0n, ...tx });
    await ok('eth_sendRawTransaction', [raw]);
    return Transaction.from(raw).hash!;
  };

  before(async () => {
    h = await startHarness();
    await h.block();
    const deploy = await send({ data: box.bytecode });
    await h.block();
    at.deployed = h.height;
    boxAddress = ((await ok('eth_getTransactionReceipt', [deploy])) as { contractAddress: string }).contractAddress;
    await h.block();
    await send({ to: boxAddress, data: abi.encodeFunctionData('set', [7]) });
    await h.block();
    at.first = h.height;
    await send({ to: boxAddress, data: abi.encodeFunctionData('set', [9]) });
    await send({ to: h.wallets[1]!.address, value: 5n });
    await h.block();
    at.second = h.height;
    await h.block();
  });
  after(async () => {
    await h?.cleanup();
  });

  it('reads balances, nonces, code and storage after each block', async () => {
    const [me, other] = [h.wallets[0]!.address, h.wallets[1]!.address];
    const balance = async (who: string, block: unknown): Promise<bigint> => BigInt((await ok('eth_getBalance', [who, block])) as string);
    assert.equal(await balance(other, hex(at.first)), 1_000n * CMT);
    assert.equal(await balance(other, hex(at.second)), 1_000n * CMT + 5n, 'block N includes its own transactions');
    assert.equal(await balance(other, 'latest'), 1_000n * CMT + 5n);
    assert.ok((await balance(me, hex(at.first))) > (await balance(me, hex(at.second))), 'fees and the transfer after block first');

    assert.equal(await ok('eth_getTransactionCount', [me, hex(at.deployed - 1n)]), '0x0');
    assert.equal(await ok('eth_getTransactionCount', [me, hex(at.deployed)]), '0x1');
    assert.equal(await ok('eth_getTransactionCount', [me, hex(at.second)]), '0x4');

    assert.equal(await ok('eth_getCode', [boxAddress, hex(at.deployed - 1n)]), '0x');
    assert.equal(await ok('eth_getCode', [boxAddress, hex(at.deployed)]), await ok('eth_getCode', [boxAddress, 'latest']));
    assert.notEqual(await ok('eth_getCode', [boxAddress, hex(at.deployed)]), '0x');

    const slot = async (block: unknown): Promise<bigint> => BigInt((await ok('eth_getStorageAt', [boxAddress, '0x0', block])) as string);
    assert.equal(await slot(hex(at.deployed)), 0n);
    assert.equal(await slot(hex(at.first)), 7n);
    assert.equal(await slot(hex(at.second - 1n)), 7n);
    assert.equal(await slot(hex(at.second)), 9n);
    // EIP-1898 objects.
    assert.equal(await slot({ blockNumber: hex(at.first) }), 7n);
    assert.equal(await slot({ blockHash: `0x${Buffer.from(blockHash(at.first)).toString('hex')}`, requireCanonical: true }), 7n);
    assert.equal(await slot({ blockHash: `0x${Buffer.from(blockHash(at.second)).toString('hex')}` }), 9n);
    assert.equal(await slot('earliest'), 0n);
  });

  it('runs eth_call, eth_estimateGas and eth_createAccessList on the state after the block asked for', async () => {
    const call = { to: boxAddress, data: abi.encodeFunctionData('value') };
    assert.equal(BigInt((await ok('eth_call', [call, hex(at.first)])) as string), 7n);
    assert.equal(BigInt((await ok('eth_call', [call, { blockNumber: hex(at.second) }])) as string), 9n);
    assert.equal(BigInt((await ok('eth_call', [call, 'latest'])) as string), 9n);
    // Writing a non-zero value into a zero slot costs 20,000 gas more than overwriting a non-zero one.
    const set = { from: h.wallets[1]!.address, to: boxAddress, data: abi.encodeFunctionData('set', [3]) };
    const fresh = BigInt((await ok('eth_estimateGas', [set, hex(at.deployed)])) as string);
    const overwrite = BigInt((await ok('eth_estimateGas', [set, hex(at.first)])) as string);
    assert.equal(fresh - overwrite, 17_100n, `estimates ${fresh} and ${overwrite}`);
    const list = (await ok('eth_createAccessList', [set, hex(at.first)])) as { accessList: Array<{ address: string; storageKeys: string[] }>; gasUsed: string };
    assert.deepEqual(list.accessList, [{ address: boxAddress.toLowerCase(), storageKeys: [`0x${'0'.repeat(64)}`] }]);
  });

  it('refuses future blocks and block 0 with clear errors, and pruned blocks naming the oldest available one', async () => {
    const me = h.wallets[0]!.address;
    const future = await h.rpc('eth_getBalance', [me, hex(h.height + 1n)]);
    assert.match(future.error!.message, new RegExp(`header not found: block ${h.height + 1n} is after the last committed block ${h.height}`));
    assert.match((await h.rpc('eth_getBalance', [me, '0x0'])).error!.message, /block 0 has no state of its own/);
    assert.equal((await h.rpc('eth_getBalance', [me, { blockHash: `0x${'11'.repeat(32)}` }])).error?.code, -32000);
    assert.equal((await h.rpc('eth_getBalance', [me, { blockNumber: '0x1', blockHash: `0x${'11'.repeat(32)}` }])).error?.code, -32602);

    const short = await startHarness({}, { stateHistory: 2 });
    try {
      for (let i = 0; i < 6; i++) await short.block();
      await short.store.pruned();
      const oldest = short.store.oldestVersion;
      assert.equal(oldest, short.height - 1n);
      const r = await short.rpc('eth_getBalance', [me, '0x1']);
      assert.equal(r.error?.code, -32000);
      assert.equal(r.error!.message, `historical state unavailable: the state of block 1 was pruned; the oldest available block is ${oldest} (--state-history)`);
      assert.deepEqual(r.error!.data, { oldestBlock: hex(oldest) });
      assert.match((await short.rpc('eth_call', [{ to: me }, '0x2'])).error!.message, /oldest available block is/);
      assert.equal((await short.rpc('eth_getBalance', [me, hex(oldest)])).result, hex(1_000n * CMT));
    } finally {
      await short.cleanup();
    }
  });

  it('serves `hardhat node --fork <gateway> --fork-block-number N`: storage, balance and calls as of N', async () => {
    const port = await freeRpcPort();
    // The CLI itself (not through npx), so stopping it stops the node.
    const child = spawn(
      join(ROOT, 'node_modules', '.bin', 'hardhat'),
      ['node', '--config', 'test/hardhat/hardhat.config.cjs', '--hostname', '127.0.0.1', '--port', String(port), '--fork', h.url, '--fork-block-number', at.first.toString()],
      { cwd: ROOT, env: hardhatEnv({}), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          output += chunk.toString('utf8');
          if (/Started HTTP and WebSocket JSON-RPC server/.test(output)) resolve();
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`hardhat node exited with ${code}:\n${output}`)));
      });
      const fork = async (method: string, params: unknown[]): Promise<unknown> => {
        const res = await fetch(`http://127.0.0.1:${port}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
        });
        const body = (await res.json()) as { result?: unknown; error?: unknown };
        assert.equal(body.error, undefined, `${method} on the fork: ${JSON.stringify(body.error)}\n${output}`);
        return body.result;
      };
      assert.equal(BigInt((await fork('eth_getStorageAt', [boxAddress, '0x0', 'latest'])) as string), 7n, 'the value as of the fork block');
      assert.equal(BigInt((await ok('eth_getStorageAt', [boxAddress, '0x0', 'latest'])) as string), 9n, 'changed later on the chain');
      // Hardhat runs calls only on blocks it mined itself (no hard-fork history for chain 18): mine one on top of N.
      await fork('evm_mine', []);
      assert.equal(BigInt((await fork('eth_call', [{ to: boxAddress, data: abi.encodeFunctionData('value') }, 'latest'])) as string), 7n);
      assert.equal(await fork('eth_getBalance', [h.wallets[1]!.address, 'latest']), hex(1_000n * CMT));
      assert.equal(await fork('eth_getCode', [boxAddress, 'latest']), await ok('eth_getCode', [boxAddress, hex(at.first)]));
      assert.equal(BigInt((await fork('eth_blockNumber', [])) as string), at.first + 1n, 'hardhat mined on top of the fork block');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  });
});
