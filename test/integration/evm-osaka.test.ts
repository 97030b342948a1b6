/**
 * The EVM follows Osaka on a real one-node chain (CometBFT + `cmtd start`'s
 * JSON-RPC gateway), driven by viem and ethers as a dapp developer would:
 *  - a contract compiled with solc's default target (osaka: it uses CLZ)
 *    deploys and its calls run;
 *  - an EIP-7702 delegation (type-4 transaction) signed with viem, sponsored
 *    by another account, makes an EOA run the contract's code as itself;
 *    the transaction, its receipt and its block show type 0x4 and the
 *    authorization list; a delegated EOA can still send transactions;
 *  - ethers signs a self-sponsored type-4 that clears the delegation;
 *  - a blob transaction (type 3) is refused with a clear error.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JsonRpcProvider, Wallet } from 'ethers';
import { createPublicClient, createWalletClient, decodeEventLog, defineChain, encodeFunctionData, http, type Abi, type Chain, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { LocalNode } from '../../src/localnet/network.js';
import { startLocalnet, GWEI } from '../support/chain.js';
import { compileForDefaultTarget } from '../support/solc-default.js';

const DELEGATE_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;
contract Delegate {
  event Ping(address self, address sender, uint256 leadingZeros);
  uint256 public count;
  function ping(uint256 x) external returns (uint256 r) {
    assembly { r := clz(x) }
    count += 1;
    emit Ping(address(this), msg.sender, r);
  }
  function leadingZeros(uint256 x) external pure returns (uint256 r) {
    assembly { r := clz(x) }
  }
}`;

const FEES = { maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: GWEI } as const;

describe('Osaka on a real chain: solc default target, EIP-7702 with viem and ethers', { timeout: 300_000 }, () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let node: LocalNode;
  let url: string;
  let chain: Chain;

  before(async () => {
    net = await startLocalnet('evm-osaka', { nodes: 1, accounts: 4, blockTime: '200ms' });
    node = net.nodes[0]!;
    assert.ok(node.ethRpcUrl, 'the localnet serves the gateway');
    url = node.ethRpcUrl;
    await net.waitForHeight(2n);
    chain = defineChain({ id: 18, name: 'cmtd localnet', nativeCurrency: { name: 'CMT', symbol: 'CMT', decimals: 18 }, rpcUrls: { default: { http: [url] } } });
  });
  after(async () => {
    await net?.cleanup();
  });

  async function raw(method: string, params: unknown[] = []): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
  }

  it('deploys a CLZ contract built for the default target, delegates an EOA to it with viem, and clears it with ethers', async () => {
    const compiled = compileForDefaultTarget(DELEGATE_SOURCE, 'Delegate');
    assert.equal(compiled.evmVersion, 'osaka', "solc's default target");
    const abi = compiled.abi as Abi;
    const publicClient = createPublicClient({ chain, transport: http(url) });
    const sponsor = privateKeyToAccount(net.accounts[1]!.privateKey as Hex);
    const eoa = privateKeyToAccount(net.accounts[2]!.privateKey as Hex);
    const sponsorClient = createWalletClient({ account: sponsor, chain, transport: http(url) });
    const eoaClient = createWalletClient({ account: eoa, chain, transport: http(url) });

    // Deploy and call the CLZ contract.
    const deployHash = await sponsorClient.deployContract({ abi, bytecode: compiled.bytecode as Hex, ...FEES });
    const deployed = await publicClient.waitForTransactionReceipt({ hash: deployHash });
    assert.equal(deployed.status, 'success');
    const delegate = deployed.contractAddress!;
    assert.equal(await publicClient.readContract({ address: delegate, abi, functionName: 'leadingZeros', args: [1n] }), 255n);
    assert.equal(await publicClient.readContract({ address: delegate, abi, functionName: 'leadingZeros', args: [0n] }), 256n);
    const direct = await sponsorClient.writeContract({ address: delegate, abi, functionName: 'ping', args: [2n ** 200n], ...FEES });
    const directReceipt = await publicClient.waitForTransactionReceipt({ hash: direct });
    assert.equal(directReceipt.status, 'success', 'a CLZ call runs in a transaction');
    assert.equal((decodeEventLog({ abi, ...directReceipt.logs[0]! }).args as unknown as { leadingZeros: bigint }).leadingZeros, 55n);

    // The EOA signs an authorization; the sponsor sends the type-4 transaction calling the EOA.
    const eoaNonce = await publicClient.getTransactionCount({ address: eoa.address });
    const authorization = await eoaClient.signAuthorization({ contractAddress: delegate, chainId: 18, nonce: eoaNonce });
    const call = { to: eoa.address, data: encodeFunctionData({ abi, functionName: 'ping', args: [256n] }), authorizationList: [authorization] };
    // eth_estimateGas applies the authorization first: the estimate covers running the delegate as the EOA.
    const estimate = await publicClient.estimateGas({ account: sponsor, ...call });
    assert.ok(estimate > 21_000n + 25_000n + 20_000n, `estimate ${estimate} covers the authorization and the delegate's SSTORE`);
    // viem estimates the gas itself (eth_estimateGas with the authorizationList).
    const hash = await sponsorClient.sendTransaction({ type: 'eip7702', ...call, ...FEES });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.type, 'eip7702');
    assert.ok(receipt.gasUsed <= estimate, 'the estimate was enough');
    assert.equal(receipt.logs.length, 1);
    assert.equal(receipt.logs[0]!.address, eoa.address.toLowerCase(), 'the delegate ran as the EOA');
    const ping = decodeEventLog({ abi, ...receipt.logs[0]! }).args as unknown as { self: string; sender: string; leadingZeros: bigint };
    assert.equal(ping.self, eoa.address);
    assert.equal(ping.sender, sponsor.address);
    assert.equal(ping.leadingZeros, 247n);
    assert.equal(await publicClient.getCode({ address: eoa.address }), `0xef0100${delegate.slice(2).toLowerCase()}`);
    assert.equal(await publicClient.getTransactionCount({ address: eoa.address }), eoaNonce + 1, 'the authorization used a nonce of the EOA');
    assert.equal(await publicClient.readContract({ address: eoa.address, abi, functionName: 'count' }), 1n, "the count lives in the EOA's storage");

    // JSON-RPC shows the type-4 transaction with its authorization list.
    const tx = await publicClient.getTransaction({ hash });
    assert.equal(tx.type, 'eip7702');
    assert.equal(tx.authorizationList?.length, 1);
    assert.equal(tx.authorizationList![0]!.address.toLowerCase(), delegate.toLowerCase());
    assert.equal(tx.authorizationList![0]!.chainId, 18);
    assert.equal(tx.authorizationList![0]!.nonce, eoaNonce);
    const block = (await raw('eth_getBlockByNumber', [`0x${receipt.blockNumber.toString(16)}`, true])).result as {
      transactions: Array<{ hash: string; type: string; authorizationList?: unknown[] }>;
    };
    const inBlock = block.transactions.find((t) => t.hash === hash)!;
    assert.equal(inBlock.type, '0x4');
    assert.equal(inBlock.authorizationList?.length, 1);

    // The delegated EOA still sends ordinary transactions.
    const plain = await eoaClient.sendTransaction({ to: sponsor.address, value: 1n, ...FEES });
    assert.equal((await publicClient.waitForTransactionReceipt({ hash: plain })).status, 'success');

    // ethers: a self-sponsored type-4 clears the delegation (authorization nonce = tx nonce + 1).
    const provider = new JsonRpcProvider(url, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
    try {
      const wallet = new Wallet(net.accounts[2]!.privateKey, provider);
      const nonce = await provider.getTransactionCount(wallet.address);
      const clear = await wallet.authorize({ address: '0x0000000000000000000000000000000000000000', nonce: nonce + 1, chainId: 18n });
      const sent = await wallet.sendTransaction({ type: 4, to: sponsor.address, value: 1n, nonce, gasLimit: 100_000n, authorizationList: [clear], ...FEES });
      const cleared = await sent.wait();
      assert.equal(cleared?.status, 1);
      assert.equal(await provider.getCode(wallet.address), '0x', 'the delegation is cleared');
      assert.equal(await provider.getTransactionCount(wallet.address), nonce + 2);
    } finally {
      provider.destroy();
    }
  });

  it('skips an authorization for another chain without failing the transaction', async () => {
    const publicClient = createPublicClient({ chain, transport: http(url) });
    const sponsor = privateKeyToAccount(net.accounts[3]!.privateKey as Hex);
    const signer = privateKeyToAccount(`0x${'42'.repeat(32)}`);
    const signerClient = createWalletClient({ account: signer, chain, transport: http(url) });
    const sponsorClient = createWalletClient({ account: sponsor, chain, transport: http(url) });
    const wrongChain = await signerClient.signAuthorization({ contractAddress: sponsor.address, chainId: 99, nonce: 0 });
    const hash = await sponsorClient.sendTransaction({ type: 'eip7702', to: signer.address, authorizationList: [wrongChain], gas: 100_000n, ...FEES });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, 'success', 'the call runs');
    assert.equal(await publicClient.getCode({ address: signer.address }), undefined, 'no delegation was set');
    assert.equal(await publicClient.getTransactionCount({ address: signer.address }), 0);
  });

  it('refuses blob transactions (type 3) with a clear error', async () => {
    const blob = `0x03${'c0'}`;
    const res = await raw('eth_sendRawTransaction', [blob]);
    assert.ok(res.error !== undefined);
    assert.match(res.error.message, /blob transactions \(type 0x03, EIP-4844\) are not accepted/);
  });
});
