/**
 * The Ethereum JSON-RPC gateway served by `cmtd start` itself, in front of a
 * real one-node CometBFT chain, driven by real clients: ethers v6
 * (JsonRpcProvider, WebSocketProvider, Wallet) and viem (public and wallet
 * clients with a custom chain id 18).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContractFactory, Contract, JsonRpcProvider, NonceManager, Wallet, WebSocketProvider, type TransactionResponse, type Log, isError, Interface } from 'ethers';
import { createPublicClient, createWalletClient, defineChain, http, parseAbi, webSocket, type Abi, type Chain, type Hex } from 'viem';
import { readFileSync } from 'node:fs';
import { privateKeyToAccount } from 'viem/accounts';
import { loadContract } from '../support/contracts.js';
import type { LocalNode } from '../../src/localnet/network.js';
import { DEFAULT_BLOCK_GAS_LIMIT } from '../../src/state/params.js';
import { balance, startLocalnet, GWEI } from '../support/chain.js';
import { sendSystemCall, systemCall } from '../support/staking.js';
import { QueryCode } from '../../src/app/query-codes.js';
import { CMT } from '../../src/state/params.js';

describe('JSON-RPC gateway with ethers and viem (one node)', { timeout: 300_000 }, () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let node: LocalNode;
  let url: string;
  let wsUrl: string;
  let provider: JsonRpcProvider;
  let chain: Chain;

  before(async () => {
    net = await startLocalnet('rpc-clients', { nodes: 1, accounts: 6, blockTime: '200ms' });
    node = net.nodes[0]!;
    assert.ok(node.ethRpcUrl, 'the localnet serves the gateway');
    url = node.ethRpcUrl;
    wsUrl = url.replace(/^http/, 'ws');
    await net.waitForHeight(2n);
    provider = new JsonRpcProvider(url, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
    chain = defineChain({
      id: 18,
      name: 'cmtd localnet',
      nativeCurrency: { name: 'CMT', symbol: 'CMT', decimals: 18 },
      rpcUrls: { default: { http: [url], webSocket: [wsUrl] } },
    });
  });
  after(async () => {
    provider?.destroy();
    await net?.cleanup();
  });

  async function raw(method: string, params: unknown[] = []): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
  }

  it('identifies the chain and reports balances and blocks (ethers)', async () => {
    assert.equal((await provider.getNetwork()).chainId, 18n);
    assert.equal(await provider.send('net_version', []), '18');
    assert.match(await provider.send('web3_clientVersion', []), /^cmtd\//);
    assert.equal(await provider.getBalance(net.accounts[5]!.address), await balance(node, net.accounts[5]!.address));
    const height = await provider.getBlockNumber();
    assert.ok(height >= 2);
    const block = await provider.getBlock(height);
    assert.ok(block !== null);
    const comet = await node.rpc.block(BigInt(height));
    assert.equal(block.hash, `0x${comet.block_id.hash.toLowerCase()}`, "the block hash is CometBFT's");
    assert.equal(block.baseFeePerGas, 2n * GWEI);
    assert.equal(block.gasLimit, DEFAULT_BLOCK_GAS_LIMIT, 'the genesis max_gas and the param agree');
    const parent = await provider.getBlock(height - 1);
    assert.equal(block.parentHash, parent!.hash);
    assert.equal(block.timestamp, Math.floor(Date.parse(comet.block.header.time) / 1000));
    assert.equal(await provider.send('eth_gasPrice', []), `0x${(2n * GWEI).toString(16)}`);
    const fees = await provider.getFeeData();
    assert.equal(fees.maxPriorityFeePerGas, 0n);
  });

  it('sends queued legacy and EIP-1559 transfers and serves their receipts and transactions (ethers)', async () => {
    const wallet = new Wallet(net.accounts[0]!.privateKey, provider);
    const signer = new NonceManager(wallet);
    const to = Wallet.createRandom().address;
    const sent: TransactionResponse[] = [];
    // Several queued nonces without waiting: the pending nonce comes from the gateway.
    sent.push(await signer.sendTransaction({ to, value: 1n, type: 0, gasPrice: 2n * GWEI }));
    sent.push(await signer.sendTransaction({ to, value: 2n, type: 2, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: GWEI }));
    sent.push(await signer.sendTransaction({ to, value: 3n }));
    sent.push(await signer.sendTransaction({ to, value: 4n, type: 0 }));
    assert.deepEqual(
      sent.map((t) => t.nonce),
      [0, 1, 2, 3],
    );
    // (provider.send: ethers caches identical calls for 250 ms, and NonceManager just asked.)
    assert.equal(await provider.send('eth_getTransactionCount', [wallet.address, 'pending']), '0x4');
    const receipts = await Promise.all(sent.map((t) => t.wait()));
    for (const [i, r] of receipts.entries()) {
      assert.ok(r !== null);
      assert.equal(r.status, 1);
      assert.equal(r.gasUsed, 21_000n);
      assert.equal(r.hash, sent[i]!.hash);
      assert.equal(r.from, wallet.address);
      assert.equal(r.to, to);
      const block = await provider.getBlock(r.blockNumber);
      assert.equal(r.blockHash, block!.hash);
      assert.ok(block!.transactions.includes(r.hash));
    }
    assert.equal(receipts[0]!.gasPrice, 2n * GWEI);
    assert.equal(receipts[1]!.gasPrice, 3n * GWEI, 'base fee 2 gwei + tip 1 gwei');
    assert.equal(await provider.getBalance(to), 10n);
    assert.equal(await provider.getTransactionCount(wallet.address, 'latest'), 4);

    const tx = await provider.getTransaction(sent[1]!.hash);
    assert.ok(tx !== null);
    assert.equal(tx.type, 2);
    assert.equal(tx.nonce, 1);
    assert.equal(tx.value, 2n);
    assert.equal(tx.from, wallet.address);
    assert.equal(tx.maxFeePerGas, 5n * GWEI);
    assert.equal(tx.blockNumber, receipts[1]!.blockNumber);

    const full = await provider.getBlock(receipts[0]!.blockNumber, true);
    const prefetched = full!.prefetchedTransactions.find((t) => t.hash === sent[0]!.hash);
    assert.equal(prefetched?.value, 1n);
  });

  it('turns CheckTx refusals into the errors ethers recognises', async () => {
    const wallet = new Wallet(net.accounts[1]!.privateKey, provider);
    const to = net.accounts[2]!.address;
    await (await wallet.sendTransaction({ to, value: 1n, nonce: 0 })).wait();
    await assert.rejects(wallet.sendTransaction({ to, value: 1n, nonce: 0, gasLimit: 21_000n }), (err: unknown) => isError(err, 'NONCE_EXPIRED'));
    await assert.rejects(wallet.sendTransaction({ to, value: 10n ** 30n, gasLimit: 21_000n, nonce: 1 }), (err: unknown) => isError(err, 'INSUFFICIENT_FUNDS'));
    const poor = Wallet.createRandom(provider);
    await assert.rejects(poor.sendTransaction({ to, value: 1n, gasLimit: 21_000n, nonce: 0, gasPrice: 2n * GWEI, type: 0 }), (err: unknown) => isError(err, 'INSUFFICIENT_FUNDS'));
  });

  it('answers bad requests with JSON-RPC error codes', async () => {
    assert.equal((await raw('eth_nope')).error?.code, -32601);
    assert.equal((await raw('eth_getBalance', ['0x12', 'latest'])).error?.code, -32602);
    assert.equal((await raw('eth_getBlockByNumber', ['0x1'])).error, undefined, 'the second parameter is optional');
    assert.equal((await raw('eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x2', blockHash: `0x${'00'.repeat(32)}` }])).error?.code, -32602);
    const parse = await fetch(url, { method: 'POST', body: 'not json' });
    assert.equal(((await parse.json()) as { error: { code: number } }).error.code, -32700);
    const invalid = await fetch(url, { method: 'POST', body: '{"id":1,"method":"eth_blockNumber"}' });
    assert.equal(((await invalid.json()) as { error: { code: number } }).error.code, -32600);
    const garbage = await raw('eth_sendRawTransaction', ['0xc0']);
    assert.equal(garbage.error?.code, -32000);
    assert.match(garbage.error!.message, /invalid transaction/);
    const future = await raw('eth_getBalance', [net.accounts[0]!.address, '0xffffffff']);
    assert.match(future.error!.message, /header not found: block 4294967295 is after the last committed block/);
  });

  it('sends, reads and waits with viem (custom chain id 18)', async () => {
    const account = privateKeyToAccount(net.accounts[3]!.privateKey as Hex);
    const publicClient = createPublicClient({ chain, transport: http(url), pollingInterval: 100 });
    const walletClient = createWalletClient({ account, chain, transport: http(url) });
    assert.equal(await publicClient.getChainId(), 18);
    const to = privateKeyToAccount(`0x${'77'.repeat(32)}`).address;
    const balanceBefore = await publicClient.getBalance({ address: account.address });
    const gas = await publicClient.estimateGas({ account, to, value: 1n });
    assert.equal(gas, 21_000n);
    const hashes: Hex[] = [];
    hashes.push(await walletClient.sendTransaction({ to, value: 5n })); // EIP-1559 by default
    hashes.push(await walletClient.sendTransaction({ to, value: 6n, type: 'legacy', gasPrice: 2n * GWEI }));
    hashes.push(await walletClient.sendTransaction({ to, value: 7n, type: 'eip2930', gasPrice: 2n * GWEI, accessList: [] }));
    assert.equal(await publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' }), 3);
    const receipts = await Promise.all(hashes.map((hash) => publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 })));
    for (const r of receipts) {
      assert.equal(r.status, 'success');
      assert.equal(r.gasUsed, 21_000n);
    }
    assert.deepEqual(
      receipts.map((r) => r.type),
      ['eip1559', 'legacy', 'eip2930'],
    );
    assert.equal(await publicClient.getBalance({ address: to }), 18n);
    const fees = receipts.reduce((s, r) => s + r.gasUsed * r.effectiveGasPrice, 0n);
    assert.equal(await publicClient.getBalance({ address: account.address }), balanceBefore - 18n - fees);
    const tx = await publicClient.getTransaction({ hash: hashes[1]! });
    assert.equal(tx.type, 'legacy');
    assert.equal(tx.value, 6n);
    assert.equal(tx.chainId, 18);
    const block = await publicClient.getBlock({ blockHash: receipts[0]!.blockHash, includeTransactions: true });
    assert.equal(block.number, receipts[0]!.blockNumber);
    assert.ok(block.transactions.some((t) => t.hash === hashes[0]));
    const history = await publicClient.getFeeHistory({ blockCount: 4, rewardPercentiles: [50] });
    assert.equal(history.baseFeePerGas.length, 5);
    assert.ok(history.baseFeePerGas.every((f) => f === 2n * GWEI));
  });

  it('delivers new heads over WebSocket to ethers and viem', async () => {
    const ws = new WebSocketProvider(wsUrl, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const start = await ws.getBlockNumber();
      const seen = await new Promise<number>((resolve) => {
        void ws.on('block', (n: number) => {
          if (n > start) resolve(n);
        });
      });
      assert.ok(seen > start);
    } finally {
      await ws.destroy();
    }
    const client = createPublicClient({ chain, transport: webSocket(wsUrl) });
    const head = await new Promise<bigint>((resolve, reject) => {
      const unwatch = client.watchBlocks({
        onBlock: (block) => {
          unwatch();
          resolve(block.number);
        },
        onError: reject,
      });
    });
    assert.ok(head > 0n);
    await client.transport.getRpcClient().then((c) => c.close());
  });

  it('deploys a contract, calls it, and serves its logs through getLogs, filters and subscriptions', async () => {
    // solc is a dependency: a contract that does not compile is a failure, not a skip.
    const artifact = loadContract('LoyaltyToken');
    const merchant = new NonceManager(new Wallet(net.accounts[4]!.privateKey, provider));
    const merchantAddress = net.accounts[4]!.address;
    const factory = new ContractFactory(artifact.abi, artifact.bytecode, merchant);
    const deployed = await factory.deploy('Points', 'PTS', merchantAddress);
    const deployReceipt = await deployed.deploymentTransaction()!.wait();
    if (deployReceipt === null || deployReceipt.status !== 1) {
      const result = await provider.send('cmt_getTransactionResult', [deployed.deploymentTransaction()!.hash]);
      assert.fail(`the contract creation failed: ${JSON.stringify(result)}`);
    }
    const address = await deployed.getAddress();
    assert.equal(deployReceipt.contractAddress, address);
    assert.notEqual(await provider.getCode(address), '0x');
    const token = new Contract(address, artifact.abi, merchant);
    const customer = net.accounts[5]!.address;

    // A WebSocket subscription and a polled filter, both installed before the events.
    const wsProvider = new WebSocketProvider(wsUrl, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1 });
    const wsToken = new Contract(address, artifact.abi, wsProvider);
    const wsTransfers: bigint[] = [];
    const wsDone = new Promise<void>((resolve) => {
      void wsToken.on('Transfer', (_from: string, _to: string, value: bigint) => {
        wsTransfers.push(value);
        if (wsTransfers.length === 2) resolve();
      });
    });
    const filterId = (await provider.send('eth_newFilter', [{ address }])) as string;

    const mint1 = await (await token.getFunction('mint')(customer, 100n)).wait();
    const mint2 = await (await token.getFunction('mint')(customer, 50n)).wait();
    assert.equal(mint1.status, 1);
    const iface = new Interface(artifact.abi);
    const parsed = mint1.logs.map((l: Log) => iface.parseLog(l));
    assert.equal(parsed[0]?.name, 'Transfer');
    assert.equal(parsed[0]?.args[2], 100n);
    assert.equal(await token.getFunction('balanceOf')(customer), 150n);
    assert.equal(await token.getFunction('totalSupply')(), 150n);

    // Storage: ERC-20 _balances is slot 0 in OpenZeppelin 5; check a slot read agrees with the call.
    const slot = await provider.getStorage(address, 2n);
    assert.equal(BigInt(slot), 150n, 'OpenZeppelin ERC20: _totalSupply in slot 2');

    const logs = await provider.getLogs({ address, fromBlock: mint1.blockNumber, toBlock: mint2.blockNumber, topics: [iface.getEvent('Transfer')!.topicHash] });
    assert.equal(logs.length, 2);
    assert.deepEqual(
      logs.map((l) => l.transactionHash),
      [mint1.hash, mint2.hash],
    );
    assert.equal(logs[0]!.index, mint1.logs[0]!.index);
    const changes = (await provider.send('eth_getFilterChanges', [filterId])) as Array<{ transactionHash: string }>;
    assert.deepEqual(
      changes.map((l) => l.transactionHash),
      [mint1.hash, mint2.hash],
    );
    await wsDone;
    assert.deepEqual(wsTransfers, [100n, 50n]);
    await wsProvider.destroy();

    // viem reads the contract and its events.
    const abi = parseAbi([
      'function balanceOf(address) view returns (uint256)',
      'event Transfer(address indexed from, address indexed to, uint256 value)',
      'function redeem(uint256 amount, bytes32 rewardRef)',
    ]);
    const client = createPublicClient({ chain, transport: http(url) });
    assert.equal(await client.readContract({ address: address as Hex, abi, functionName: 'balanceOf', args: [customer as Hex] }), 150n);
    const events = await client.getContractEvents({
      address: address as Hex,
      abi,
      eventName: 'Transfer',
      fromBlock: BigInt(mint1.blockNumber),
      toBlock: BigInt(mint2.blockNumber),
    });
    assert.deepEqual(
      events.map((e) => e.args.value),
      [100n, 50n],
    );

    // A revert: eth_call and eth_estimateGas answer code 3 with the revert data.
    const revert = await raw('eth_call', [{ from: customer, to: address, data: iface.encodeFunctionData('redeem', [1_000n, `0x${'00'.repeat(32)}`]) }, 'latest']);
    assert.equal(revert.error?.code, 3);
    assert.match(String(revert.error!.data), /^0x[0-9a-f]{8}/);
    await assert.rejects(
      client.simulateContract({ address: address as Hex, abi, functionName: 'redeem', args: [1_000n, `0x${'00'.repeat(32)}`], account: customer as Hex }),
      (err: Error) => /revert/i.test(err.message),
    );
  });

  it('answers every cmt_* method with exactly the ABCI query it maps to', async () => {
    const validator = new Wallet(net.accounts[0]!.privateKey);
    const delegator = new Wallet(net.accounts[3]!.privateKey);
    const v = validator.address.toLowerCase();
    const d = delegator.address.toLowerCase();
    // Something in every query: a delegation, an unstake request, a proposal.
    assert.equal((await systemCall(node, delegator, 'staking', 'delegate', [v], 2_000n * CMT)).code, 0);
    const unstake = await sendSystemCall(node, delegator, 'staking', 'unstake', [v, 500n * CMT]);
    assert.equal(unstake.result.code, 0, unstake.result.log);
    const proposed = await systemCall(node, validator, 'governance', 'proposeParamChange', ['unstake_waiting_period_s', '130', 'cmt_* test']);
    assert.equal(proposed.code, 0, proposed.log);

    /**
     * The method's answer and the ABCI query's, read at one height: blocks
     * come every 200 ms, so a pair of reads that straddles a commit is retried.
     */
    async function agree(method: string, params: unknown[], path: string): Promise<unknown> {
      for (let attempt = 0; attempt < 20; attempt++) {
        const before = await provider.getBlockNumber();
        const viaRpc = await raw(method, params);
        const viaAbci = await node.rpc.abciQuery(path);
        const after = await provider.getBlockNumber();
        if (before !== after || BigInt(viaAbci.height) !== BigInt(after)) continue;
        assert.equal(viaRpc.error, undefined, `${method}: ${JSON.stringify(viaRpc.error)}`);
        if (viaAbci.code === QueryCode.NotFound) {
          assert.equal(viaRpc.result, null, `${method}: ABCI says not found, so the method answers null`);
          return null;
        }
        assert.equal(viaAbci.code, 0, `${path}: ${viaAbci.log}`);
        assert.deepEqual(viaRpc.result, JSON.parse(Buffer.from(viaAbci.value ?? '', 'base64').toString('utf8')), `${method}(${params.join(', ')}) ≠ ABCI ${path}`);
        return viaRpc.result;
      }
      return assert.fail(`${method}: the chain moved between the reads 20 times in a row`);
    }

    const candidates = (await agree('cmt_getCandidates', [], '/candidates')) as Array<{ address: string }>;
    assert.deepEqual(
      candidates.map((c) => c.address),
      [v],
    );
    assert.equal(((await agree('cmt_getCandidate', [v], `/candidate/${v}`)) as { address: string }).address, v);
    assert.equal(await agree('cmt_getCandidate', [d], `/candidate/${d}`), null, 'a non-candidate is null');
    assert.equal(((await agree('cmt_getValidators', [], '/validators')) as unknown[]).length, 1);
    const delegations = (await agree('cmt_getDelegations', [delegator.address], `/delegations/${d}`)) as Array<{ candidate: string; principal: string }>;
    assert.deepEqual(
      delegations.map((x) => x.candidate),
      [v],
    );
    // The unstake released its share of the principal (a little less than 500 CMT: the stake had earned awards).
    assert.ok(BigInt(delegations[0]!.principal) > 1_500n * CMT && BigInt(delegations[0]!.principal) < 2_000n * CMT, delegations[0]!.principal);
    const unstakes = (await agree('cmt_getUnstakes', [delegator.address], `/unstakes/${d}`)) as Array<{ candidate: string }>;
    assert.deepEqual(
      unstakes.map((x) => x.candidate),
      [v],
    );
    const proposals = (await agree('cmt_getProposals', [], '/proposals')) as Array<{ id: string }>;
    assert.equal(proposals.length, 1);
    const id = BigInt(proposals[0]!.id);
    assert.equal(((await agree('cmt_getProposal', [`0x${id.toString(16)}`], `/proposal/${id}`)) as { id: string }).id, proposals[0]!.id);
    assert.equal(((await agree('cmt_getProposal', [Number(id)], `/proposal/${id}`)) as { id: string }).id, proposals[0]!.id);
    assert.equal(await agree('cmt_getProposal', ['0x3e7'], '/proposal/999'), null, 'an unknown proposal is null');
    const params = (await agree('cmt_getParams', [], '/params')) as Record<string, unknown>;
    assert.equal(String(params.chain_id), '18');
    const supply = (await agree('cmt_getSupply', [], '/supply')) as Record<string, string>;
    assert.ok(BigInt(supply.unstaking!) >= 500n * CMT, 'the unstake request is waiting (and earning)');
    await agree('cmt_query', ['/candidates'], '/candidates');

    // Awards are per block: a given height (stable), and the latest by default.
    const height = unstake.height;
    const awards = (await agree('cmt_getAwards', [`0x${height.toString(16)}`], `/awards/${height}`)) as { height: string; awards: unknown[] };
    assert.equal(BigInt(awards.height), height);
    assert.ok(awards.awards.length > 0, 'the validator was awarded');
    for (let attempt = 0; ; attempt++) {
      const head = await provider.getBlockNumber();
      const latest = (await raw('cmt_getAwards', [])).result as { height: string };
      if (head === (await provider.getBlockNumber()) && BigInt(latest.height) === BigInt(head)) break;
      assert.ok(attempt < 20, 'cmt_getAwards() answers the latest block');
    }
    assert.equal((await raw('cmt_getAwards', ['yesterday'])).error?.code, -32602);

    // cmt_getTransactionResult: the ABCI result CometBFT recorded.
    const comet = await node.rpc.tx(unstake.hash);
    const result = (await raw('cmt_getTransactionResult', [unstake.ethHash])).result as { status: string; code: number; gasUsed: string; blockNumber: string; log: string };
    assert.deepEqual(
      [result.status, result.code, BigInt(result.gasUsed), BigInt(result.blockNumber), result.log],
      ['executed', comet.tx_result.code, BigInt(comet.tx_result.gas_used), BigInt(comet.height), comet.tx_result.log ?? ''],
    );
  });

  it('answers the staking queries (cmt_*) and eth_call to the staking contract', async () => {
    const candidates = await raw('cmt_getCandidates');
    assert.equal(candidates.error, undefined, JSON.stringify(candidates.error));
    const list = candidates.result as Array<{ address: string }>;
    assert.ok(Array.isArray(list));
    const validators = (await raw('cmt_getValidators')).result;
    assert.ok(Array.isArray(validators));
    for (const c of list) assert.equal(((await raw('cmt_getCandidate', [c.address])).result as { address: string }).address, c.address);
    assert.equal((await raw('cmt_getCandidate', [Wallet.createRandom().address])).result, null, 'an unknown candidate is null');
    assert.ok(Array.isArray((await raw('cmt_getDelegations', [net.accounts[0]!.address])).result));
    assert.equal((await raw('cmt_getDelegations', ['0x12'])).error?.code, -32602);
    const params = (await raw('cmt_getParams')).result as Record<string, unknown>;
    assert.equal(String(params.chain_id), '18');
    const supply = (await raw('cmt_getSupply')).result as Record<string, unknown>;
    assert.ok(BigInt(String(supply.supply)) > 0n);
    assert.equal((await raw('cmt_query', ['/no/such/path'])).error?.code, -32004);

    const abi = JSON.parse(readFileSync(new URL('../../contracts/abi/IStaking.json', import.meta.url), 'utf8')) as Abi;
    const client = createPublicClient({ chain, transport: http(url) });
    const staking = '0x0000000000000000000000000000000000001000';
    const viaCall = (await client.readContract({ address: staking, abi, functionName: 'getCandidates' })) as unknown[];
    assert.equal(viaCall.length, list.length, 'eth_call to the staking contract agrees with cmt_getCandidates');
    assert.equal(await client.readContract({ address: staking, abi, functionName: 'isEnterprise', args: [net.accounts[0]!.address as Hex] }), false);
  });
});
