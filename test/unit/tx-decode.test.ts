import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Transaction, Wallet, type TransactionRequest } from 'ethers';
import { createTxFromRLP } from '@ethereumjs/tx';
import { createCustomCommon, Hardfork, Mainnet, type ChainConfig } from '@ethereumjs/common';
import { decodeSignedTx, decodeTx } from '../../src/tx/decode.js';
import { TxCode, TxError } from '../../src/tx/errors.js';

const common = createCustomCommon({ chainId: 18 } as unknown as Partial<ChainConfig>, Mainnet, { hardfork: Hardfork.Cancun });
const wallet = new Wallet('0x' + '42'.repeat(32));

const txRequest = fc.record({
  type: fc.constantFrom(0, 1, 2),
  nonce: fc.integer({ min: 0, max: 2 ** 40 }),
  gasLimit: fc.bigInt({ min: 21_000n, max: 30_000_000n }),
  price: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  tip: fc.bigInt({ min: 0n, max: 10n ** 9n }),
  to: fc.option(fc.uint8Array({ minLength: 20, maxLength: 20 }), { nil: null }),
  value: fc.bigInt({ min: 0n, max: 10n ** 27n }),
  data: fc.uint8Array({ maxLength: 200 }),
  accessList: fc.array(fc.record({ address: fc.uint8Array({ minLength: 20, maxLength: 20 }), keys: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 3 }) }), {
    maxLength: 3,
  }),
});

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

type TxFields = typeof txRequest extends fc.Arbitrary<infer T> ? T : never;

async function sign(r: TxFields): Promise<Uint8Array> {
  const request: TransactionRequest = {
    type: r.type,
    chainId: 18n,
    nonce: r.nonce,
    gasLimit: r.gasLimit,
    to: r.to === null ? null : hex(r.to),
    value: r.value,
    data: hex(r.data),
  };
  if (r.type === 2) {
    request.maxFeePerGas = r.price + r.tip;
    request.maxPriorityFeePerGas = r.tip;
  } else {
    request.gasPrice = r.price;
  }
  if (r.type !== 0) request.accessList = r.accessList.map((e: TxFields['accessList'][number]) => ({ address: hex(e.address), storageKeys: e.keys.map(hex) }));
  return Buffer.from((await wallet.signTransaction(request)).slice(2), 'hex');
}

describe('transaction decoding', () => {
  it('agrees with @ethereumjs/tx on every field and the sender (differential)', async () => {
    await fc.assert(
      fc.asyncProperty(txRequest, async (r) => {
        const raw = await sign(r);
        const ours = decodeSignedTx(raw);
        const reference = createTxFromRLP(raw, { common });
        assert.equal(ours.sender, reference.getSenderAddress().toString().toLowerCase());
        assert.equal(ours.sender, wallet.address.toLowerCase());
        assert.equal(ours.type, reference.type);
        assert.equal(ours.nonce, reference.nonce);
        assert.equal(ours.gasLimit, reference.gasLimit);
        assert.equal(ours.value, reference.value);
        assert.deepEqual(Buffer.from(ours.data), Buffer.from(reference.data));
        assert.equal(ours.to, reference.to === undefined ? null : reference.to.toString().toLowerCase());
        assert.deepEqual(Buffer.from(ours.hash), Buffer.from(reference.hash()));
        assert.deepEqual(Buffer.from(ours.signingHash), Buffer.from(reference.getHashedMessageToSign()));
        assert.equal(ours.chainId, 18n);
      }),
      { numRuns: 150 },
    );
  });

  it('never throws anything but a TxError on arbitrary bytes or mutated transactions (fuzz)', async () => {
    const valid = await sign({
      type: 2,
      nonce: 1,
      gasLimit: 21_000n,
      price: 2n * 10n ** 9n,
      tip: 1n,
      to: new Uint8Array(20).fill(1),
      value: 1n,
      data: new Uint8Array(0),
      accessList: [],
    });
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const copy = Uint8Array.from(valid);
      copy[i] = b;
      return copy;
    });
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      mutated,
      fc.uint8Array({ maxLength: 40 }).map((tail) => Uint8Array.from([0x02, 0xf8, ...tail])),
    );
    fc.assert(
      fc.property(inputs, (raw) => {
        try {
          decodeSignedTx(raw);
        } catch (err) {
          assert.ok(err instanceof TxError, `unexpected ${String(err)}`);
          assert.ok(err.code > 0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('hashes what was signed for chain ids and lengths of every RLP form (signing hash taken from the raw bytes)', async () => {
    const to = `0x${'ab'.repeat(20)}`;
    for (const chainId of [1n, 18n, 127n, 128n, 300n, 2n ** 40n + 7n, 2n ** 62n]) {
      for (const type of [0, 1, 2]) {
        for (const size of [0, 1, 55, 56, 300, 70_000]) {
          const request: TransactionRequest = {
            type,
            chainId,
            nonce: size,
            gasLimit: 21_000n + BigInt(size),
            to,
            value: BigInt(size) * 10n ** 15n,
            data: hex(new Uint8Array(size).fill(size % 251)),
          };
          if (type === 2) Object.assign(request, { maxFeePerGas: 3n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n });
          else request.gasPrice = 2n * 10n ** 9n;
          if (type !== 0) request.accessList = [{ address: to, storageKeys: Array.from({ length: size % 3 }, (_, i) => hex(new Uint8Array(32).fill(i + 1))) }];
          const signed = await wallet.signTransaction(request);
          const tx = decodeSignedTx(Buffer.from(signed.slice(2), 'hex'));
          const label = `type ${type}, chain ${chainId}, ${size} data bytes`;
          assert.equal(hex(tx.signingHash), Transaction.from(signed).unsignedHash, label);
          assert.equal(tx.sender, wallet.address.toLowerCase(), label);
          assert.equal(tx.chainId, chainId, label);
        }
      }
    }
  });

  it('refuses unprotected (pre-EIP-155) signatures with the chain-id code', async () => {
    const unprotected = await wallet.signTransaction({ type: 0, nonce: 0, gasPrice: 1n, gasLimit: 21_000n, to: wallet.address, value: 0n });
    assert.throws(
      () => decodeTx(Buffer.from(unprotected.slice(2), 'hex')),
      (err: unknown) => err instanceof TxError && err.code === TxCode.ChainId && /unprotected/.test(err.message),
    );
  });

  it('refuses unsupported types, empty input and oversize transactions', () => {
    assert.throws(
      () => decodeTx(Uint8Array.from([0x03, 0xc0])),
      (e: unknown) => e instanceof TxError && e.code === TxCode.UnsupportedType,
    );
    assert.throws(
      () => decodeTx(new Uint8Array(0)),
      (e: unknown) => e instanceof TxError && e.code === TxCode.Encoding,
    );
    assert.throws(
      () => decodeTx(new Uint8Array(200_000).fill(0xc0)),
      (e: unknown) => e instanceof TxError && e.code === TxCode.TooLarge,
    );
  });

  it('refuses a high-s signature (EIP-2)', async () => {
    const raw = await sign({ type: 0, nonce: 0, gasLimit: 21_000n, price: 1n, tip: 0n, to: new Uint8Array(20), value: 0n, data: new Uint8Array(0), accessList: [] });
    const tx = decodeTx(raw);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = n - BigInt(hex(tx.s));
    const { RLP } = await import('@ethereumjs/rlp');
    const fields = RLP.decode(raw) as Uint8Array[];
    fields[8] = Buffer.from(highS.toString(16).padStart(64, '0'), 'hex');
    assert.throws(
      () => decodeTx(RLP.encode(fields)),
      (e: unknown) => e instanceof TxError && e.code === TxCode.Signature && /EIP-2/.test(e.message),
    );
  });
});
