/**
 * Small parts of src/tx with exact values: the receipt carried in
 * ExecTxResult.data (hashed into LastResultsHash, so every byte is
 * consensus), result-code names, and the sender cache's bounds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { Wallet } from 'ethers';

import { decodeReceipt, encodeReceipt, type Receipt } from '../../src/tx/receipt.js';
import { CODESPACE, TxCode, TxError, codeName } from '../../src/tx/errors.js';
import { SenderCache } from '../../src/tx/sender-cache.js';
import type { Address } from '../../src/util/address.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const A = `0x${'a1'.repeat(20)}` as Address;
const C = `0x${'c3'.repeat(20)}` as Address;

describe('receipt bytes', () => {
  it('RLP [status, gasUsed, effectiveGasPrice, [[address, [topics], data]], contractAddress, returnData]', () => {
    const topic = new Uint8Array(32).fill(9);
    const receipt: Receipt = {
      status: 1,
      gasUsed: 53_000n,
      effectiveGasPrice: 2_000_000_000n,
      logs: [{ address: A, topics: [topic], data: Uint8Array.of(1, 2) }],
      contractAddress: C,
      returnData: Uint8Array.of(0xde, 0xad),
    };
    const bytes = RLP.encode([
      1n,
      53_000n,
      2_000_000_000n,
      [[Buffer.from(A.slice(2), 'hex'), [topic], Uint8Array.of(1, 2)]],
      Buffer.from(C.slice(2), 'hex'),
      Uint8Array.of(0xde, 0xad),
    ]);
    assert.equal(hex(encodeReceipt(receipt)), hex(bytes));
    assert.deepEqual(decodeReceipt(bytes), receipt);
  });

  it('a failed call without logs or contract: status 0, empty fields', () => {
    const receipt: Receipt = { status: 0, gasUsed: 21_000n, effectiveGasPrice: 0n, logs: [], contractAddress: null, returnData: new Uint8Array(0) };
    const bytes = RLP.encode([new Uint8Array(0), 21_000n, new Uint8Array(0), [], new Uint8Array(0), new Uint8Array(0)]);
    assert.equal(hex(encodeReceipt(receipt)), hex(bytes));
    assert.deepEqual(decodeReceipt(bytes), receipt);
    // Any status other than 1 reads as a failure.
    assert.equal(decodeReceipt(RLP.encode([2n, 1n, 1n, [], new Uint8Array(0), new Uint8Array(0)])).status, 0);
  });

  it('anything but six fields is corrupt', () => {
    assert.throws(() => decodeReceipt(RLP.encode([1n, 2n, 3n, [], new Uint8Array(0)])), { message: 'corrupt receipt' });
    assert.throws(() => decodeReceipt(RLP.encode([1n, 2n, 3n, [], new Uint8Array(0), new Uint8Array(0), 1n])), { message: 'corrupt receipt' });
    assert.throws(() => decodeReceipt(RLP.encode(Uint8Array.of(1, 2, 3, 4, 5, 6))), { message: 'corrupt receipt' });
  });
});

describe('result codes', () => {
  it('names a known code, and an unknown one by its number', () => {
    assert.equal(CODESPACE, 'cmtd');
    assert.equal(codeName(0), 'Ok');
    assert.equal(codeName(11), 'FreeTxSlotsFull');
    assert.equal(codeName(17), 'Internal');
    assert.equal(codeName(99), 'code99');
    const err = new TxError(TxCode.NonceTooLow, 'nonce 1 already used');
    assert.equal(err.code, 4);
    assert.equal(err.name, 'TxError');
    assert.equal(err.message, 'nonce 1 already used');
  });
});

describe('sender cache', () => {
  const wallet = new Wallet(`0x${'42'.repeat(32)}`);
  const signed = async (nonce: number): Promise<Uint8Array> =>
    Buffer.from((await wallet.signTransaction({ type: 0, chainId: 18n, nonce, gasLimit: 21_000n, gasPrice: 1n, to: C, value: 1n })).slice(2), 'hex');

  it('a hit returns the same decoded transaction; the oldest goes first past the capacity; forgotten hashes are gone', async () => {
    const raws = [await signed(0), await signed(1), await signed(2)];
    const cache = new SenderCache(2);
    const first = cache.resolve(raws[0]!);
    assert.equal(first.sender, wallet.address.toLowerCase());
    assert.equal(cache.resolve(raws[0]!), first, 'cached: the same object');
    assert.equal(cache.size, 1);
    const second = cache.resolve(raws[1]!);
    assert.equal(cache.size, 2, 'exactly at capacity: nothing dropped');
    assert.equal(cache.resolve(raws[0]!), first);
    cache.resolve(raws[2]!);
    assert.equal(cache.size, 2, 'over capacity: one dropped');
    assert.notEqual(cache.resolve(raws[0]!), first, 'the oldest entry was dropped and is decoded anew');
    assert.equal(cache.size, 2);
    // raws[1] went when raws[0] came back; raws[2] and raws[0] are held.
    cache.forget([first.hash]);
    assert.equal(cache.size, 1);
    assert.notEqual(cache.resolve(raws[1]!), second);
    // The cached transaction holds its own copy of the bytes.
    const frame = new Uint8Array(raws[0]!.length + 4);
    frame.set(raws[0]!, 2);
    const fresh = new SenderCache().resolve(frame.subarray(2, 2 + raws[0]!.length));
    frame.fill(0);
    assert.equal(hex(fresh.raw), hex(raws[0]!), 'the frame it came in was overwritten, the cached bytes were not');
  });
});
