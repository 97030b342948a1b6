/** Index records, the logs bloom, and the Ethereum JSON of blocks, transactions, receipts and logs. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Bloom } from '@ethereumjs/vm';
import fc from 'fast-check';
import { Transaction, Wallet } from 'ethers';
import { bloomMayContain, logsBloom } from '../../src/index/bloom.js';
import { bloomAllows, logMatches, type LogFilter } from '../../src/index/reader.js';
import { decodeBlock, decodeRejected, decodeTxRecord, encodeBlock, encodeRejected, encodeTx, type BlockRecord, type TxRecord } from '../../src/index/records.js';
import { EMPTY_TRIE_ROOT, formatBlock, formatReceipt, formatTxRecord } from '../../src/rpc/format.js';
import type { Address } from '../../src/util/address.js';
import { decodeSignedTx } from '../../src/tx/decode.js';

const A: Address = '0x00000000000000000000000000000000000a11ce';
const topic = (b: number): Uint8Array => new Uint8Array(32).fill(b);

async function signed(type: 0 | 2, nonce: number): Promise<Uint8Array> {
  const wallet = new Wallet(`0x${'42'.repeat(32)}`);
  const tx = await wallet.signTransaction({
    type,
    chainId: 18n,
    nonce,
    gasLimit: 50_000n,
    to: '0x0000000000000000000000000000000000001000',
    value: 5n,
    data: '0xabcdef',
    ...(type === 0 ? { gasPrice: 2_000_000_000n } : { maxFeePerGas: 9_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }),
  });
  return Uint8Array.from(Buffer.from(tx.slice(2), 'hex'));
}

function block(txs: TxRecord[], hashes: Uint8Array[]): BlockRecord {
  const bloom = logsBloom(txs.flatMap((t) => t.logs));
  return {
    height: 7n,
    hash: topic(0x77),
    time: 1_700_000_007n,
    proposer: new Uint8Array(20).fill(9),
    gasLimit: 30_000_000n,
    gasUsed: txs.reduce((s, t) => s + t.gasUsed, 0n),
    baseFee: 2_000_000_000n,
    stateRoot: topic(0x5),
    logsBloom: bloom,
    txs: txs.map((t, i) => ({ hash: hashes[i]!, gasUsed: t.gasUsed, effectiveGasPrice: t.effectiveGasPrice, logCount: t.logs.length })),
    rejected: [topic(0xee)],
    txBytes: BigInt(txs.reduce((s, t) => s + t.raw.length, 0)),
  };
}

describe('logs bloom', () => {
  it('equals @ethereumjs/vm Bloom for any logs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ address: fc.uint8Array({ minLength: 20, maxLength: 20 }), topics: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 4 }) }), {
          maxLength: 6,
        }),
        (logs) => {
          const ours = logsBloom(logs);
          const theirs = new Bloom();
          for (const log of logs) {
            theirs.add(log.address);
            for (const t of log.topics) theirs.add(t);
          }
          assert.deepEqual(Buffer.from(ours), Buffer.from(theirs.bitvector));
          for (const log of logs) assert.ok(bloomMayContain(ours, log.address));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('stays equal when values repeat, are views into larger buffers, or outnumber its cache of recent values', () => {
    const pool = new Uint8Array(32 * 9000 + 7);
    for (let i = 0; i < pool.length; i++) pool[i] = (i * 131 + (i >> 8)) & 255;
    // Overlapping views at odd offsets: equal bytes in other places give equal bits, different bytes different ones.
    const topic = (i: number) => pool.subarray(7 + i * 32 - (i % 5), 7 + i * 32 - (i % 5) + 32);
    const address = (i: number) => pool.subarray(3 + i * 11, 3 + i * 11 + 20);
    const logs = Array.from({ length: 9000 }, (_, i) => ({ address: address(i % 300), topics: [topic(0), topic(i), topic((i * 7) % 9000)] }));
    for (const round of [0, 1]) {
      const theirs = new Bloom();
      const ours = new Uint8Array(256);
      for (const [i, log] of logs.entries()) {
        logsBloom([log], ours);
        theirs.add(Uint8Array.from(log.address));
        for (const t of log.topics) theirs.add(Uint8Array.from(t));
        if (i % 1000 === 999) assert.deepEqual(Buffer.from(ours), Buffer.from(theirs.bitvector), `round ${round}, log ${i}`);
      }
      assert.deepEqual(
        Buffer.from(logsBloom(logs.slice(0, 50))),
        Buffer.from(logsBloom(logs.slice(0, 50).map((l) => ({ address: Uint8Array.from(l.address), topics: l.topics.map((t) => Uint8Array.from(t)) })))),
      );
    }
  });
});

describe('log filters', () => {
  const log = { address: A, topics: [topic(1), topic(2)], data: new Uint8Array(0) };
  const cases: Array<[LogFilter, boolean]> = [
    [{ addresses: [], topics: [] }, true],
    [{ addresses: [A], topics: [] }, true],
    [{ addresses: ['0x0000000000000000000000000000000000000001'], topics: [] }, false],
    [{ addresses: [], topics: [[topic(1)]] }, true],
    [{ addresses: [], topics: [null, [topic(3), topic(2)]] }, true],
    [{ addresses: [], topics: [[topic(2)]] }, false],
    [{ addresses: [], topics: [null, null, [topic(1)]] }, false],
    [{ addresses: [], topics: [null, null, null] }, true],
  ];
  it('match as eth_getLogs does, and the bloom never misses a match', () => {
    const bloom = logsBloom([log]);
    for (const [filter, expected] of cases) {
      assert.equal(logMatches(log, filter), expected, JSON.stringify(filter.topics.map((t) => t?.length ?? null)));
      if (expected) assert.ok(bloomAllows(bloom, filter));
    }
  });
});

describe('index records and their JSON', () => {
  it('round-trip and format a block, its transactions and receipts', async () => {
    const raws = [await signed(0, 0), await signed(2, 1)];
    const txs = raws.map((raw) => decodeSignedTx(raw));
    const records: TxRecord[] = [
      {
        height: 7n,
        index: 0,
        raw: raws[0]!,
        sender: txs[0]!.sender,
        status: 1,
        gasUsed: 30_000n,
        cumulativeGasUsed: 30_000n,
        effectiveGasPrice: 2_000_000_000n,
        contractAddress: null,
        logs: [{ address: A, topics: [topic(1)], data: Uint8Array.of(0, 255) }],
        firstLogIndex: 0,
        code: 0,
        log: '',
        returnData: new Uint8Array(0),
      },
      {
        height: 7n,
        index: 1,
        raw: raws[1]!,
        sender: txs[1]!.sender,
        status: 0,
        gasUsed: 25_000n,
        cumulativeGasUsed: 55_000n,
        effectiveGasPrice: 3_000_000_000n,
        contractAddress: null,
        logs: [],
        firstLogIndex: 1,
        code: 12,
        log: 'Reverted: no',
        returnData: Uint8Array.of(8, 0xc3, 0x79, 0xa0),
      },
    ];
    for (const r of records) assert.deepEqual(decodeTxRecord(encodeTx(r)), r);
    const b = block(
      records,
      txs.map((t) => Uint8Array.from(t.hash)),
    );
    assert.deepEqual(decodeBlock(encodeBlock(b)), b);
    assert.deepEqual(decodeBlock(encodeBlock({ ...b, gasLimit: null })).gasLimit, null);
    const rejected = { height: 7n, position: 2, code: 4, log: 'NonceTooLow: x', sender: null };
    assert.deepEqual(decodeRejected(encodeRejected(rejected)), rejected);

    const json = formatBlock(b, topic(0x66), records);
    assert.equal(json.number, '0x7');
    assert.equal(json.hash, `0x${'77'.repeat(32)}`);
    assert.equal(json.parentHash, `0x${'66'.repeat(32)}`);
    assert.equal(json.gasUsed, '0xd6d8');
    assert.equal(json.gasLimit, '0x1c9c380');
    assert.equal(json.baseFeePerGas, '0x77359400');
    assert.equal(json.miner, `0x${'09'.repeat(20)}`);
    assert.equal(json.logsBloom.length, 2 + 512);
    assert.notEqual(json.transactionsRoot, EMPTY_TRIE_ROOT);
    assert.equal(formatBlock({ ...b, txs: [] }, undefined).transactionsRoot, EMPTY_TRIE_ROOT);
    assert.equal(formatBlock(b, undefined).parentHash, `0x${'00'.repeat(32)}`);

    // Full transactions agree with what ethers parses from the signed bytes.
    const full = json.transactions as unknown as Array<Record<string, string>>;
    for (let i = 0; i < 2; i++) {
      const parsed = Transaction.from(`0x${Buffer.from(raws[i]!).toString('hex')}`);
      const t = full[i]!;
      assert.equal(t.hash, parsed.hash);
      assert.equal(t.from, parsed.from!.toLowerCase());
      assert.equal(t.to, parsed.to!.toLowerCase());
      assert.equal(BigInt(t.nonce!), BigInt(parsed.nonce));
      assert.equal(BigInt(t.value!), parsed.value);
      assert.equal(t.input, parsed.data);
      assert.equal(BigInt(t.r!), BigInt(parsed.signature!.r));
      assert.equal(BigInt(t.s!), BigInt(parsed.signature!.s));
      assert.equal(t.blockNumber, '0x7');
      assert.equal(t.transactionIndex, `0x${i}`);
    }
    assert.equal(full[0]!.v, `0x${(18n * 2n + 35n + BigInt(txs[0]!.recovery)).toString(16)}`);
    assert.equal(full[1]!.gasPrice, '0xb2d05e00'); // the effective price once mined
    assert.equal(full[1]!.maxFeePerGas, '0x218711a00');
    assert.equal(full[1]!.yParity, `0x${txs[1]!.recovery}`);
    assert.deepEqual(formatTxRecord(b, records[1]!), full[1]);

    const receipt = formatReceipt(b, records[0]!);
    assert.equal(receipt.status, '0x1');
    assert.equal(receipt.cumulativeGasUsed, '0x7530');
    assert.equal(receipt.effectiveGasPrice, '0x77359400');
    assert.equal(receipt.logs.length, 1);
    assert.deepEqual(receipt.logs[0], {
      address: A,
      topics: [`0x${'01'.repeat(32)}`],
      data: '0x00ff',
      blockNumber: '0x7',
      blockHash: json.hash,
      transactionHash: full[0]!.hash,
      transactionIndex: '0x0',
      logIndex: '0x0',
      removed: false,
    });
    const failed = formatReceipt(b, records[1]!);
    assert.equal(failed.status, '0x0');
    assert.equal(failed.type, '0x2');
    assert.equal(failed.logsBloom, `0x${'00'.repeat(256)}`);
  });
});
