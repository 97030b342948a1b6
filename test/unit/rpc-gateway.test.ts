/**
 * The JSON-RPC gateway over HTTP and WebSocket, in front of the real app and
 * store with blocks produced in-process (test/support/rpc-harness.ts): limits,
 * errors, transactions and receipts, logs, filters, subscriptions, restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { Transaction } from 'ethers';
import { DEFAULT_BLOCK_GAS_LIMIT } from '../../src/state/params.js';
import { blockHash, CMT, GWEI, LOG_TOPIC, LOGGER_ADDRESS, startHarness, type Harness } from '../support/rpc-harness.js';

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

describe('JSON-RPC gateway (in-process chain)', { timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ maxBodyBytes: 64 * 1024, maxBatch: 5, maxLogBlockRange: 20, maxLogResults: 3, maxFilters: 4 });
  });
  after(async () => h?.cleanup());

  async function send(walletIndex: number, tx: Record<string, unknown>): Promise<string> {
    const signed = await h.wallets[walletIndex]!.signTransaction({ chainId: 18n, gasLimit: 21_000n, type: 0, gasPrice: 2n * GWEI, ...tx });
    const r = await h.rpc('eth_sendRawTransaction', [signed]);
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.result, Transaction.from(signed).hash);
    return r.result as string;
  }

  it('answers nothing but an error before the first block commits', async () => {
    const r = await h.rpc('eth_chainId');
    assert.equal(r.error?.code, -32002);
    assert.equal((await h.rpc('eth_blockNumber')).result, '0x0');
    await h.block();
    assert.equal((await h.rpc('eth_chainId')).result, '0x12');
    assert.equal((await h.rpc('net_version')).result, '18');
  });

  it('bounds HTTP bodies and batches, refuses other HTTP methods, answers notifications with no content', async () => {
    const big = await fetch(h.url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ data: `0x${'00'.repeat(40_000)}` }] }) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: number } }).error.code, -32600);
    const get = await fetch(h.url);
    assert.equal(get.status, 405);
    const batch = await fetch(h.url, { method: 'POST', body: JSON.stringify(Array.from({ length: 6 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_blockNumber' }))) });
    assert.equal(((await batch.json()) as { error: { code: number } }).error.code, -32600);
    const ok = await fetch(h.url, { method: 'POST', body: JSON.stringify(Array.from({ length: 5 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_blockNumber' }))) });
    assert.equal(((await ok.json()) as unknown[]).length, 5);
    const note = await fetch(h.url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', method: 'eth_blockNumber' }) });
    assert.equal(note.status, 204);
    const bad = await fetch(h.url, { method: 'POST', body: '{"jsonrpc":' });
    assert.equal(((await bad.json()) as { error: { code: number } }).error.code, -32700);
  });

  it('validates parameters (-32602) and names unknown methods (-32601)', async () => {
    assert.equal((await h.rpc('eth_getBalance', ['0x1234', 'latest'])).error?.code, -32602);
    assert.equal((await h.rpc('eth_getBalance', [])).error?.code, -32602);
    assert.equal((await h.rpc('eth_getBlockByNumber', ['yesterday', false])).error?.code, -32602);
    assert.equal((await h.rpc('eth_getTransactionReceipt', ['0x12'])).error?.code, -32602);
    assert.equal((await h.rpc('eth_sendRawTransaction', ['0xzz'])).error?.code, -32602);
    assert.equal((await h.rpc('eth_frobnicate')).error?.code, -32601);
    assert.equal((await h.rpc('eth_subscribe', ['newHeads'])).error?.code, -32601, 'subscriptions need a WebSocket');
  });

  it('broadcasts, tracks pending nonces and transactions, then serves receipts, blocks and transactions', async () => {
    const from = h.wallets[0]!.address.toLowerCase();
    const to = h.wallets[1]!.address.toLowerCase();
    assert.equal((await h.rpc('eth_getTransactionCount', [from, 'pending'])).result, '0x0');
    const hashes = [
      await send(0, { nonce: 0, to, value: 1n }),
      await send(0, { nonce: 1, to, value: 2n, type: 2, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: 1n * GWEI, gasPrice: undefined }),
      await send(0, { nonce: 2, to, value: 3n }),
    ];
    assert.equal((await h.rpc('eth_getTransactionCount', [from, 'pending'])).result, '0x3');
    assert.equal((await h.rpc('eth_getTransactionCount', [from, 'latest'])).result, '0x0');
    const pending = (await h.rpc('eth_getTransactionByHash', [hashes[1]])).result as Record<string, unknown>;
    assert.equal(pending.blockHash, null);
    assert.equal(pending.nonce, '0x1');
    assert.equal((await h.rpc('eth_getTransactionReceipt', [hashes[0]])).result, null);

    // A refused transaction becomes a JSON-RPC error with CheckTx's reason.
    const stale = await h.wallets[0]!.signTransaction({ chainId: 18n, gasLimit: 21_000n, type: 0, gasPrice: 1n, nonce: 3, to, value: 1n });
    const refused = await h.rpc('eth_sendRawTransaction', [stale]);
    assert.equal(refused.error?.code, -32000);
    assert.match(refused.error!.message, /^transaction underpriced: /);
    assert.deepEqual((refused.error!.data as { code: number }).code, 9);

    await h.block();
    const height = h.height;
    assert.equal((await h.rpc('eth_blockNumber')).result, `0x${height.toString(16)}`);
    assert.equal((await h.rpc('eth_getTransactionCount', [from, 'latest'])).result, '0x3');
    assert.equal((await h.rpc('eth_getTransactionCount', [from, 'pending'])).result, '0x3');

    const receipts = await Promise.all(hashes.map(async (hash) => (await h.rpc('eth_getTransactionReceipt', [hash])).result as Record<string, unknown>));
    receipts.forEach((r, i) => {
      assert.equal(r.status, '0x1');
      assert.equal(r.transactionIndex, `0x${i}`);
      assert.equal(r.blockNumber, `0x${height.toString(16)}`);
      assert.equal(r.blockHash, hex(blockHash(height)));
      assert.equal(r.gasUsed, '0x5208');
      assert.equal(r.cumulativeGasUsed, `0x${(21_000 * (i + 1)).toString(16)}`);
      assert.equal(r.from, from);
      assert.equal(r.to, to);
    });
    assert.equal(receipts[1]!.effectiveGasPrice, `0x${(3n * GWEI).toString(16)}`, 'base fee 2 gwei + tip 1 gwei');
    assert.equal(receipts[1]!.type, '0x2');

    const block = (await h.rpc('eth_getBlockByNumber', ['latest', false])).result as Record<string, unknown>;
    assert.deepEqual(block.transactions, hashes);
    assert.equal(block.gasUsed, `0x${(3 * 21_000).toString(16)}`);
    assert.equal(block.gasLimit, `0x${DEFAULT_BLOCK_GAS_LIMIT.toString(16)}`, 'the smaller of max_gas (30M) and block_gas_limit');
    assert.equal(block.baseFeePerGas, `0x${(2n * GWEI).toString(16)}`);
    assert.equal(block.parentHash, hex(blockHash(height - 1n)));
    assert.equal(block.timestamp, `0x${(1_700_000_000n + height).toString(16)}`);
    const byHash = (await h.rpc('eth_getBlockByHash', [block.hash, true])).result as { transactions: Array<Record<string, unknown>> };
    assert.deepEqual(
      byHash.transactions.map((t) => t.hash),
      hashes,
    );
    assert.equal(byHash.transactions[2]!.value, '0x3');
    assert.equal((await h.rpc('eth_getBlockTransactionCountByNumber', [block.number])).result, '0x3');
    assert.equal(((await h.rpc('eth_getTransactionByBlockNumberAndIndex', [block.number, '0x1'])).result as { hash: string }).hash, hashes[1]);
    assert.equal(((await h.rpc('eth_getBlockReceipts', [block.number])).result as unknown[]).length, 3);
    assert.equal((await h.rpc('eth_getBlockByNumber', ['0x0', false])).result, null);
    assert.equal((await h.rpc('eth_getBlockByNumber', ['0xffff', false])).result, null);
    assert.equal(BigInt((await h.rpc('eth_getBalance', [to, 'latest'])).result as string), 1_000n * CMT + 6n);
  });

  it('answers state queries at an older block from the retained history (test/unit/rpc-history.test.ts has the details)', async () => {
    const r = await h.rpc('eth_getBalance', [h.wallets[0]!.address, '0x1']);
    assert.equal(r.error, undefined);
    assert.match(r.result as string, /^0x[0-9a-f]+$/);
    assert.equal((await h.rpc('eth_getBalance', [h.wallets[0]!.address, { blockNumber: '0x1' }])).result, r.result);
    assert.equal((await h.rpc('eth_getBalance', [h.wallets[0]!.address, `0x${h.height.toString(16)}`])).error, undefined);
    assert.equal((await h.rpc('eth_getBalance', [h.wallets[0]!.address, { blockHash: hex(blockHash(h.height)) }])).error, undefined);
  });

  it('indexes transactions CometBFT included but the app refused, without an Ethereum receipt', async () => {
    const wrong = await h.wallets[2]!.signTransaction({ chainId: 18n, gasLimit: 21_000n, type: 0, gasPrice: 2n * GWEI, nonce: 9, to: LOGGER_ADDRESS, value: 0n });
    await h.block([Buffer.from(wrong.slice(2), 'hex')]);
    const hash = Transaction.from(wrong).hash!;
    assert.equal((await h.rpc('eth_getTransactionReceipt', [hash])).result, null);
    const result = (await h.rpc('cmt_getTransactionResult', [hash])).result as { status: string; code: number; log: string };
    assert.equal(result.status, 'rejected');
    assert.equal(result.code, 5);
    assert.match(result.log, /too high/);
    const block = (await h.rpc('eth_getBlockByNumber', ['latest', false])).result as { transactions: string[] };
    assert.deepEqual(block.transactions, []);
  });

  it('runs calls and gas estimates against system contracts; reverts are error 3 with data', async () => {
    const from = h.wallets[0]!.address;
    assert.equal((await h.rpc('eth_call', [{ to: LOGGER_ADDRESS, data: '0x00' }, 'latest'])).result, `0x${'00'.repeat(32)}`);
    const reverted = await h.rpc('eth_call', [{ to: LOGGER_ADDRESS, data: '0x02' }]);
    assert.equal(reverted.error?.code, 3);
    assert.match(reverted.error!.message, /^execution reverted: view refused/);
    assert.match(reverted.error!.data as string, /^0x08c379a0/);
    assert.equal((await h.rpc('eth_estimateGas', [{ from, to: LOGGER_ADDRESS, data: '0x01' }])).result, `0x${(21_000 + 16 + 5_000).toString(16)}`);
    assert.equal((await h.rpc('eth_estimateGas', [{ from, to: LOGGER_ADDRESS, data: '0x02' }])).error?.code, 3);
    assert.equal((await h.rpc('eth_estimateGas', [{ from, to: h.wallets[1]!.address }])).result, '0x5208');
    assert.equal((await h.rpc('eth_call', [{ to: h.wallets[1]!.address }])).result, '0x');
    assert.equal((await h.rpc('eth_getCode', [LOGGER_ADDRESS, 'latest'])).result, '0x');
    assert.equal((await h.rpc('eth_getStorageAt', [LOGGER_ADDRESS, '0x0', 'latest'])).result, `0x${'00'.repeat(32)}`);
    assert.equal((await h.rpc('eth_call', [{ to: LOGGER_ADDRESS }, 'latest', { [LOGGER_ADDRESS]: {} }])).error?.code, -32602);
  });

  it('serves logs by range, address and topic; enforces the range and result limits; filters and subscriptions follow new blocks', async () => {
    const from = h.wallets[1]!.address.toLowerCase();
    const ws = new WebSocket(h.gateway.wsUrl);
    await once(ws, 'open');
    const messages: Array<{ id?: number; method?: string; result?: unknown; params?: { subscription: string; result: Record<string, unknown> } }> = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (m) => {
      messages.push(JSON.parse(m.toString()));
      for (const w of waiters.splice(0)) w();
    });
    const until = async <T>(pick: () => T | undefined): Promise<T> => {
      for (;;) {
        const v = pick();
        if (v !== undefined) return v;
        await new Promise<void>((r) => waiters.push(r));
      }
    };
    const wsCall = async (id: number, method: string, params: unknown[]): Promise<unknown> => {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      return until(() => messages.find((m) => m.id === id)?.result);
    };
    const headsSub = (await wsCall(1, 'eth_subscribe', ['newHeads'])) as string;
    const logsSub = (await wsCall(2, 'eth_subscribe', ['logs', { address: LOGGER_ADDRESS, topics: [hex(LOG_TOPIC)] }])) as string;
    const otherLogsSub = (await wsCall(3, 'eth_subscribe', ['logs', { address: h.wallets[2]!.address }])) as string;

    const logFilter = (await h.rpc('eth_newFilter', [{ address: LOGGER_ADDRESS }])).result as string;
    const blockFilter = (await h.rpc('eth_newBlockFilter')).result as string;
    const firstBlock = h.height + 1n;

    // Two blocks with two logger calls each (nonces continue from the transfers).
    let nonce = Number(BigInt((await h.rpc('eth_getTransactionCount', [from, 'pending'])).result as string));
    const txHashes: string[] = [];
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < 2; i++) txHashes.push(await send(1, { nonce: nonce++, to: LOGGER_ADDRESS, data: '0x01', gasLimit: 40_000n }));
      await h.block();
    }
    const lastBlock = h.height;

    const logs = (await h.rpc('eth_getLogs', [{ fromBlock: `0x${firstBlock.toString(16)}`, toBlock: 'latest', address: LOGGER_ADDRESS }])).error;
    assert.equal(logs?.code, -32005, 'four logs are above the limit of three results');
    assert.match(logs!.message, /more than 3 results/);
    const one = (await h.rpc('eth_getLogs', [{ fromBlock: `0x${firstBlock.toString(16)}`, toBlock: `0x${firstBlock.toString(16)}`, topics: [hex(LOG_TOPIC)] }])).result as Array<
      Record<string, unknown>
    >;
    assert.equal(one.length, 2);
    assert.deepEqual(
      one.map((l) => l.logIndex),
      ['0x0', '0x1'],
    );
    assert.deepEqual(
      one.map((l) => l.transactionHash),
      txHashes.slice(0, 2),
    );
    assert.equal(one[0]!.address, LOGGER_ADDRESS);
    assert.equal(one[0]!.data, '0x01');
    assert.equal(one[1]!.data, '0x02');
    assert.equal((one[0]!.topics as string[])[1], `0x${'00'.repeat(12)}${from.slice(2)}`);
    const byHash = (await h.rpc('eth_getLogs', [{ blockHash: hex(blockHash(lastBlock)) }])).result as unknown[];
    assert.equal(byHash.length, 2);
    const bySender = (await h.rpc('eth_getLogs', [{ fromBlock: '0x1', topics: [null, `0x${'00'.repeat(12)}${h.wallets[2]!.address.slice(2).toLowerCase()}`] }]))
      .result as unknown[];
    assert.equal(bySender.length, 0);
    const range = await h.rpc('eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x100', address: h.wallets[2]!.address }]);
    assert.equal(range.error, undefined, 'a range past the head is clamped to it');
    for (let i = 0; i < 20; i++) await h.block();
    const tooWide = await h.rpc('eth_getLogs', [{ fromBlock: '0x1', toBlock: 'latest' }]);
    assert.equal(tooWide.error?.code, -32005);
    assert.match(tooWide.error!.message, /limit is 20 blocks/);

    // The receipt carries the logs and the bloom.
    const receipt = (await h.rpc('eth_getTransactionReceipt', [txHashes[3]])).result as { logs: Array<{ logIndex: string }>; logsBloom: string };
    assert.equal(receipt.logs[0]!.logIndex, '0x1');
    assert.notEqual(receipt.logsBloom, `0x${'00'.repeat(256)}`);

    // Polled filters saw the same.
    const changes = (await h.rpc('eth_getFilterChanges', [logFilter])).error;
    assert.equal(changes?.code, -32005, 'the filter also obeys the result limit');
    assert.equal(((await h.rpc('eth_getFilterChanges', [logFilter])).result as unknown[]).length, 0, 'the failed poll still moved the filter on');
    const blocks = (await h.rpc('eth_getFilterChanges', [blockFilter])).result as string[];
    assert.equal(blocks.length, 22);
    assert.equal(blocks[0], hex(blockHash(firstBlock)));
    assert.deepEqual((await h.rpc('eth_getFilterChanges', [blockFilter])).result, []);
    assert.equal((await h.rpc('eth_uninstallFilter', [blockFilter])).result, true);
    assert.equal((await h.rpc('eth_uninstallFilter', [blockFilter])).result, false);
    assert.equal((await h.rpc('eth_getFilterChanges', [blockFilter])).error?.code, -32001);
    const narrow = (await h.rpc('eth_newFilter', [{ fromBlock: `0x${lastBlock.toString(16)}`, toBlock: `0x${lastBlock.toString(16)}`, address: LOGGER_ADDRESS }])).result as string;
    assert.equal(((await h.rpc('eth_getFilterLogs', [narrow])).result as unknown[]).length, 2);
    for (let i = 0; i < 3; i++) await h.rpc('eth_newBlockFilter');
    assert.equal((await h.rpc('eth_newBlockFilter')).error?.code, -32005, 'at most four filters');

    // Subscriptions: a head per block, the logs that match, nothing for the other filter.
    const heads = await until(() => {
      const hs = messages.filter((m) => m.params?.subscription === headsSub);
      return hs.length >= 22 ? hs : undefined;
    });
    assert.equal(heads[0]!.params!.result.number, `0x${firstBlock.toString(16)}`);
    assert.equal(heads[0]!.params!.result.hash, hex(blockHash(firstBlock)));
    assert.equal(heads[1]!.params!.result.parentHash, hex(blockHash(firstBlock)));
    const subLogs = messages.filter((m) => m.params?.subscription === logsSub).map((m) => m.params!.result);
    assert.deepEqual(
      subLogs.map((l) => l.transactionHash),
      txHashes,
    );
    assert.equal(messages.filter((m) => m.params?.subscription === otherLogsSub).length, 0);
    assert.equal(await wsCall(4, 'eth_unsubscribe', [headsSub]), true);
    ws.close();
    await once(ws, 'close');
  });

  it('keeps blocks, receipts and logs across a restart of the store and gateway', async () => {
    const logsQuery = [{ fromBlock: '0x1', toBlock: '0x1e', address: LOGGER_ADDRESS, topics: [hex(LOG_TOPIC)] }];
    const logsBefore = (await h.rpc('eth_getLogs', [{ ...logsQuery[0], fromBlock: '0x5', toBlock: '0x5' }])).result as unknown[];
    assert.equal(logsBefore.length, 2);
    const blockBefore = (await h.rpc('eth_getBlockByNumber', ['0x2', true])).result;
    await h.restart();
    assert.equal((await h.rpc('eth_blockNumber')).result, `0x${h.height.toString(16)}`);
    assert.deepEqual((await h.rpc('eth_getBlockByNumber', ['0x2', true])).result, blockBefore);
    assert.deepEqual((await h.rpc('eth_getLogs', [{ ...logsQuery[0], fromBlock: '0x5', toBlock: '0x5' }])).result, logsBefore);
    assert.equal((await h.rpc('eth_getLogs', logsQuery)).error?.code, -32005, 'all four logs are still there');
    await h.block();
    assert.equal(((await h.rpc('eth_getBlockByNumber', ['latest', false])).result as { parentHash: string }).parentHash, hex(blockHash(h.height - 1n)));
  });
});
