/**
 * `cmtd dev`'s development accounts and terminal log, against a real chain:
 * accounts from --mnemonic (printed with addresses and balances), the
 * JSON-RPC signing for them (eth_sendTransaction through ethers'
 * JsonRpcSigner, eth_sign, personal_sign, eth_signTypedData_v4),
 * anvil_setBalance as a faucet transfer, mined transactions printed (hash,
 * sender → recipient or contract created, gas, status, revert reason),
 * CORS open by default — and the node behind it (`cmtd start`) refusing
 * every key method and every foreign origin.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ContractFactory,
  HDNodeWallet,
  JsonRpcProvider,
  Mnemonic,
  TypedDataEncoder,
  getAddress,
  parseEther,
  verifyMessage,
  verifyTypedData,
  type JsonRpcSigner,
  type TransactionReceipt,
} from 'ethers';
import { WebSocket } from 'ws';
import { compileSolidity } from '../support/contracts.js';
import { startDev, type DevChain } from '../support/hardhat.js';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const wallet = (i: number): HDNodeWallet => HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${i}`);

const VAULT = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Vault {
  uint256 public stored;
  function put(uint256 v) external {
    require(v < 100, "Vault: value too large");
    stored = v;
  }
}`;

/** The transaction's receipt, polled until it exists (a reverted one too, which `tx.wait()` would throw for). */
async function receiptOf(provider: JsonRpcProvider, hash: string, timeoutMs: number): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt !== null) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface RpcAnswer {
  result?: unknown;
  error?: { code: number; message: string };
}

async function rpc(url: string, method: string, params: unknown[] = [], headers: Record<string, string> = {}): Promise<RpcAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await response.json()) as RpcAnswer;
}

describe('cmtd dev development accounts', { timeout: 300_000 }, () => {
  let dev: DevChain;
  let provider: JsonRpcProvider;
  let signer: JsonRpcSigner;
  /** The `cmtd start` node behind cmtd dev: its JSON-RPC is the port below. */
  let nodeUrl: string;

  before(async () => {
    dev = await startDev(['--mnemonic', MNEMONIC, '--accounts', '3', '--balance', '250']);
    provider = new JsonRpcProvider(dev.rpcUrl, 18, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
    signer = await provider.getSigner(1);
    nodeUrl = `http://127.0.0.1:${Number(new URL(dev.rpcUrl).port) - 1}`;
  });
  after(async () => {
    provider?.destroy();
    await dev?.stop();
  });
  /** `waiting`, or its error with the end of cmtd dev's log, which says what the chain did meanwhile. */
  const explained = async <T>(what: string, waiting: Promise<T>): Promise<T> => {
    try {
      return await waiting;
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}\n--- cmtd dev output (end) ---\n${dev.output().slice(-6000)}`, { cause: err });
    }
  };

  it("lists the mnemonic's accounts, printed with their balances, funded with --balance", async () => {
    const expected = [0, 1, 2].map((i) => wallet(i).address.toLowerCase());
    assert.deepEqual(await provider.send('eth_accounts', []), expected);
    for (const [i, address] of expected.entries()) {
      assert.equal(await provider.getBalance(address), parseEther('250'));
      assert.match(dev.output(), new RegExp(`\\(${i}\\) ${address}  250 CMT  ${wallet(i).privateKey}`));
    }
    assert.ok(dev.output().includes(MNEMONIC));
  });

  it('signs and sends transactions for an account (ethers JsonRpcSigner); concurrent sends take consecutive nonces', async () => {
    const to = wallet(2).address;
    const before = await provider.getBalance(to);
    const sent = await Promise.all([1, 2, 3].map((n) => signer.sendTransaction({ to, value: parseEther(String(n)) })));
    const receipts = await Promise.all(sent.map((tx) => tx.wait(1, 60_000)));
    assert.deepEqual(
      receipts.map((r) => r?.status),
      [1, 1, 1],
    );
    assert.deepEqual(new Set(sent.map((tx) => tx.nonce)).size, 3);
    assert.equal(await provider.getBalance(to), before + parseEther('6'));
    for (const tx of sent) assert.equal(tx.from, getAddress(wallet(1).address));
  });

  it('prints every mined transaction: hash, sender → recipient or contract created, gas used, status and revert reason', async () => {
    const compiled = compileSolidity(VAULT, 'Vault');
    const vault = await new ContractFactory(compiled.abi, compiled.bytecode, signer).deploy();
    const deployment = vault.deploymentTransaction()!;
    const deployReceipt = await explained(`the deployment ${deployment.hash}`, deployment.wait(1, 60_000));
    const address = (await vault.getAddress()).toLowerCase();
    const put = await signer.sendTransaction({ to: address, data: vault.interface.encodeFunctionData('put', [7n]) });
    const ok = await explained(`the call ${put.hash}`, put.wait(1, 60_000));
    // A failing call, with gas given so that it is mined rather than refused by eth_estimateGas.
    const failing = await signer.sendTransaction({ to: address, data: vault.interface.encodeFunctionData('put', [1000n]), gasLimit: 100_000n });
    // Polled rather than provider.waitForTransaction: on a chain that makes blocks only on demand, that method can miss
    // its block for good (its block poller starts after the receipt check and takes the newest height as its start).
    const failed = await explained(`the failing call ${failing.hash}`, receiptOf(provider, failing.hash, 60_000));
    assert.equal(failed.status, 0);
    const from = wallet(1).address.toLowerCase();
    const line = (hash: string): string | undefined =>
      dev
        .output()
        .split('\n')
        .find((l) => l.includes(hash));
    const waitForLine = async (hash: string): Promise<string> => {
      for (let i = 0; i < 200 && line(hash) === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      return line(hash) ?? assert.fail(`no line printed for ${hash}:\n${dev.output()}`);
    };
    assert.equal(await waitForLine(deployReceipt!.hash), `  ${deployReceipt!.hash}  ${from} → contract created ${address}  gas ${deployReceipt!.gasUsed}  ok`);
    assert.equal(await waitForLine(ok!.hash), `  ${ok!.hash}  ${from} → ${address}  gas ${ok!.gasUsed}  ok`);
    assert.equal(await waitForLine(failing.hash), `  ${failing.hash}  ${from} → ${address}  gas ${failed.gasUsed}  reverted: Vault: value too large`);
  });

  it('eth_sign, personal_sign and eth_signTypedData_v4 sign with the account (checked by ethers)', async () => {
    const address = wallet(1).address;
    assert.equal(verifyMessage('hello cmtd', await signer.signMessage('hello cmtd')), address);
    const viaEthSign = (await provider.send('eth_sign', [address.toLowerCase(), '0x68656c6c6f'])) as string;
    assert.equal(verifyMessage(new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f]), viaEthSign), address);
    const domain = { name: 'Mail', version: '1', chainId: 18, verifyingContract: '0xcccccccccccccccccccccccccccccccccccccccc' };
    const types = {
      Person: [
        { name: 'name', type: 'string' },
        { name: 'wallet', type: 'address' },
      ],
      Mail: [
        { name: 'from', type: 'Person' },
        { name: 'contents', type: 'string' },
      ],
    };
    const message = { from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' }, contents: 'Hello, Bob!' };
    const typed = await signer.signTypedData(domain, types, message);
    assert.equal(verifyTypedData(domain, types, message, typed), address);
    // The raw JSON-RPC form, as MetaMask-style dapps send it (EIP712Domain listed, JSON text).
    const payload = TypedDataEncoder.getPayload(domain, types, message);
    assert.equal(await provider.send('eth_signTypedData_v4', [address, JSON.stringify(payload)]), typed);
    await assert.rejects(provider.send('personal_sign', ['0x00', wallet(5).address]), /unknown account/);
  });

  it('anvil_setBalance / hardhat_setBalance raise a balance by a faucet transfer, and refuse to lower one', async () => {
    const target = '0x00000000000000000000000000000000000c0ffe';
    assert.equal(await provider.send('anvil_setBalance', [target, '0xde0b6b3a7640000']), true);
    assert.equal(await provider.getBalance(target), parseEther('1'));
    assert.equal(await provider.send('hardhat_setBalance', [target, '0x1bc16d674ec80000']), true);
    assert.equal(await provider.getBalance(target), parseEther('2'));
    await assert.rejects(provider.send('hardhat_setBalance', [target, '0x1']), /can only raise a balance/);
    assert.equal(await provider.getBalance(target), parseEther('2'));
    const faucet = wallet(3).address.toLowerCase();
    assert.match(dev.output(), new RegExp(`${faucet} → ${target}  gas 21000  ok`));
  });

  it('serves eth_subscribe over its WebSocket (notifications passed on from the node)', async () => {
    const ws = new WebSocket(dev.rpcUrl.replace('http', 'ws'));
    const heads: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const subscribed = new Promise<string>((resolve) => {
      ws.on('message', (m: Buffer) => {
        const v = JSON.parse(m.toString()) as { id?: number; result?: string; params?: { result: { number: string } } };
        if (v.id === 1) resolve(v.result!);
        else if (v.params !== undefined) heads.push(v.params.result.number);
      });
    });
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    assert.match(await subscribed, /^0x[0-9a-f]+$/);
    await (await signer.sendTransaction({ to: wallet(0).address, value: 1n })).wait(1, 60_000);
    for (let i = 0; i < 200 && heads.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    ws.terminate();
    assert.ok(heads.length > 0, 'a newHeads notification arrived');
  });

  it('allows any origin by default (preflight and answer)', async () => {
    const preflight = await fetch(dev.rpcUrl, {
      method: 'OPTIONS',
      headers: { origin: 'http://dapp.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    const answer = await fetch(dev.rpcUrl, {
      method: 'POST',
      headers: { origin: 'http://dapp.example', 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
    });
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
  });

  it('the node behind it (cmtd start) holds no key: it refuses every signing method with a clear error, lists no account, allows no origin', async () => {
    assert.deepEqual((await rpc(nodeUrl, 'eth_accounts')).result, []);
    for (const [method, params] of [
      ['eth_sendTransaction', [{ from: wallet(1).address, to: wallet(2).address, value: '0x1' }]],
      ['eth_sign', [wallet(1).address, '0x00']],
      ['personal_sign', ['0x00', wallet(1).address]],
      ['eth_signTypedData_v4', [wallet(1).address, '{}']],
      ['anvil_setBalance', [wallet(1).address, '0x1']],
      ['hardhat_setBalance', [wallet(1).address, '0x1']],
    ] as const) {
      const answer = await rpc(nodeUrl, method, [...params]);
      assert.equal(answer.error?.code, -32004, method);
      assert.match(answer.error?.message ?? '', new RegExp(`^${method} is served by 'cmtd dev' only: this node holds no keys`));
    }
    const preflight = await fetch(nodeUrl, { method: 'OPTIONS', headers: { origin: 'http://dapp.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const refused = new WebSocket(nodeUrl.replace('http', 'ws'), { origin: 'http://dapp.example' });
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 403);
  });
});
