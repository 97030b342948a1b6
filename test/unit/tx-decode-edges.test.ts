/**
 * Byte-level edge cases of transaction decoding (src/tx/decode.ts): each
 * transaction is built field by field with RLP, so every boundary (field
 * count, field kind, integer canonicity and width, signature ranges, size
 * limit, type byte) is exercised exactly. decodeTx does not recover the
 * sender, so r = s = 1 is a well-formed signature for these cases.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { decodeSignedTx, decodeTx, hashHex, MAX_TX_BYTES } from '../../src/tx/decode.js';
import { TxCode, TxError } from '../../src/tx/errors.js';

type Field = Uint8Array | Field[];

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N / 2n;
const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
const empty = (): Uint8Array => new Uint8Array(0);
const filled = (length: number, byte: number): Uint8Array => new Uint8Array(length).fill(byte);
/** Canonical big-endian bytes of a non-negative integer (empty for 0). */
function uint(value: bigint): Uint8Array {
  if (value === 0n) return empty();
  let h = value.toString(16);
  if (h.length % 2) h = `0${h}`;
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

const TO = filled(20, 0x11);

/** [nonce, gasPrice, gasLimit, to, value, data, v, r, s]; v = 37: chain id 1, recovery 0 (EIP-155). */
function legacyFields(): Field[] {
  return [empty(), b(1), b(0x52, 0x08), TO, empty(), empty(), b(37), b(1), b(1)];
}
/** Type 1: [chainId, nonce, gasPrice, gasLimit, to, value, data, accessList, yParity, r, s]. */
function type1Fields(): Field[] {
  return [b(18), empty(), b(1), b(0x52, 0x08), TO, empty(), empty(), [], empty(), b(1), b(1)];
}
/** Type 2: [chainId, nonce, tip, maxFee, gasLimit, to, value, data, accessList, yParity, r, s]. */
function type2Fields(): Field[] {
  return [b(18), empty(), b(1), b(2), b(0x52, 0x08), TO, empty(), empty(), [], empty(), b(1), b(1)];
}
/** Type 4: type 2's fields with the authorization list before yParity. */
function type4Fields(): Field[] {
  const auth: Field[] = [b(18), filled(20, 0x22), empty(), empty(), b(1), b(1)];
  return [b(18), empty(), b(1), b(2), b(0x52, 0x08), TO, empty(), empty(), [], [auth], empty(), b(1), b(1)];
}

function legacy(fields: Field[]): Uint8Array {
  return RLP.encode(fields as never);
}
function typed(type: number, fields: Field[]): Uint8Array {
  const payload = RLP.encode(fields as never);
  const out = new Uint8Array(payload.length + 1);
  out[0] = type;
  out.set(payload, 1);
  return out;
}
function withField(fields: Field[], index: number, value: Field): Field[] {
  const copy = fields.slice();
  copy[index] = value;
  return copy;
}

function refuses(raw: Uint8Array, code: TxCode, message: RegExp): void {
  assert.throws(
    () => decodeTx(raw),
    (err: unknown) => {
      assert.ok(err instanceof TxError, `not a TxError: ${String(err)}`);
      assert.equal(err.code, code, `code ${err.code} (${err.message})`);
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('transaction decoding: byte-level edges', () => {
  it('decodes the hand-built base transactions of every type', () => {
    const l = decodeTx(legacy(legacyFields()));
    assert.equal(l.type, 0);
    assert.equal(l.chainId, 1n);
    assert.equal(l.recovery, 0);
    assert.equal(l.gasLimit, 21_000n);
    assert.equal(l.maxFeePerGas, 1n);
    const t1 = decodeTx(typed(1, type1Fields()));
    assert.equal(t1.chainId, 18n);
    assert.equal(t1.maxFeePerGas, 1n);
    assert.equal(t1.maxPriorityFeePerGas, 1n);
    const t2 = decodeTx(typed(2, type2Fields()));
    assert.equal(t2.maxPriorityFeePerGas, 1n);
    assert.equal(t2.maxFeePerGas, 2n);
    const t4 = decodeTx(typed(4, type4Fields()));
    assert.equal(t4.authorizationList?.length, 1);
    assert.equal(t4.authorizationList?.[0]?.chainId, 18n);
  });

  it('has an authorizationList property on type-4 transactions only', () => {
    for (const tx of [decodeTx(legacy(legacyFields())), decodeTx(typed(1, type1Fields())), decodeTx(typed(2, type2Fields()))]) {
      assert.equal(Object.hasOwn(tx, 'authorizationList'), false, `type ${tx.type}`);
    }
    assert.equal(Object.hasOwn(decodeTx(typed(4, type4Fields())), 'authorizationList'), true);
  });

  it('returns the access list entries with their addresses and storage keys', () => {
    const a1 = filled(20, 0xaa);
    const a2 = filled(20, 0xbb);
    const k1 = filled(32, 0x01);
    const k2 = filled(32, 0x02);
    const tx = decodeTx(
      typed(
        1,
        withField(type1Fields(), 7, [
          [a1, [k1, k2]],
          [a2, []],
        ]),
      ),
    );
    assert.deepEqual(
      tx.accessList.map((e) => ({ address: Buffer.from(e.address).toString('hex'), keys: e.storageKeys.map((k) => Buffer.from(k).toString('hex')) })),
      [
        { address: 'aa'.repeat(20), keys: ['01'.repeat(32), '02'.repeat(32)] },
        { address: 'bb'.repeat(20), keys: [] },
      ],
    );
  });

  it('refuses malformed access lists (EIP-2930 shape: list of [20-byte address, list of 32-byte keys])', () => {
    const t1 = type1Fields();
    refuses(typed(1, withField(t1, 7, empty())), TxCode.Encoding, /^field accessList must be a list$/);
    refuses(typed(1, withField(t1, 7, [[TO, [], empty()]])), TxCode.Encoding, /^accessList\[0\] must be \[address, storageKeys\]$/);
    refuses(typed(1, withField(t1, 7, [[TO]])), TxCode.Encoding, /^accessList\[0\] must be \[address, storageKeys\]$/);
    refuses(typed(1, withField(t1, 7, [filled(2, 1)])), TxCode.Encoding, /^accessList\[0\] must be \[address, storageKeys\]$/);
    refuses(typed(1, withField(t1, 7, [[filled(19, 0x11), []]])), TxCode.Encoding, /^accessList\[0\] address must be 20 bytes$/);
    refuses(typed(1, withField(t1, 7, [[filled(21, 0x11), []]])), TxCode.Encoding, /^accessList\[0\] address must be 20 bytes$/);
    refuses(typed(1, withField(t1, 7, [[[], []]])), TxCode.Encoding, /^accessList\[0\] address must be 20 bytes$/);
    refuses(typed(1, withField(t1, 7, [[TO, empty()]])), TxCode.Encoding, /^accessList\[0\] storage keys must be a list$/);
    refuses(typed(1, withField(t1, 7, [[TO, [filled(31, 1)]]])), TxCode.Encoding, /^accessList\[0\] storage key 0 must be 32 bytes$/);
    refuses(typed(1, withField(t1, 7, [[TO, [filled(32, 1), filled(33, 1)]]])), TxCode.Encoding, /^accessList\[0\] storage key 1 must be 32 bytes$/);
    refuses(typed(1, withField(t1, 7, [[TO, [[]]]])), TxCode.Encoding, /^accessList\[0\] storage key 0 must be 32 bytes$/);
  });

  it('refuses a list where a byte string is expected, naming the field', () => {
    refuses(legacy(withField(legacyFields(), 5, [])), TxCode.Encoding, /^field data must be a byte string, not a list$/);
    refuses(legacy(withField(legacyFields(), 3, [])), TxCode.Encoding, /^field to must be a byte string, not a list$/);
    refuses(typed(2, withField(type2Fields(), 7, [])), TxCode.Encoding, /^field data must be a byte string, not a list$/);
  });

  it('refuses a recipient that is neither empty nor 20 bytes', () => {
    refuses(legacy(withField(legacyFields(), 3, filled(19, 0x11))), TxCode.Encoding, /^field to must be empty or 20 bytes, got 19$/);
    refuses(typed(2, withField(type2Fields(), 5, filled(21, 0x11))), TxCode.Encoding, /^field to must be empty or 20 bytes, got 21$/);
  });

  it('refuses non-canonical integers (leading zero bytes), naming the field', () => {
    const l = legacyFields();
    // A single 0x00 byte is not the canonical 0 (the empty string is).
    refuses(legacy(withField(l, 0, b(0))), TxCode.Encoding, /^field nonce has leading zero bytes/);
    refuses(legacy(withField(l, 0, b(0, 1))), TxCode.Encoding, /^field nonce has leading zero bytes/);
    refuses(legacy(withField(l, 1, b(0, 1))), TxCode.Encoding, /^field gasPrice has leading zero bytes/);
    refuses(legacy(withField(l, 2, b(0, 0x52, 0x08))), TxCode.Encoding, /^field gasLimit has leading zero bytes/);
    refuses(legacy(withField(l, 4, b(0))), TxCode.Encoding, /^field value has leading zero bytes/);
    refuses(legacy(withField(l, 6, b(0, 37))), TxCode.Encoding, /^field v has leading zero bytes/);
    refuses(legacy(withField(l, 7, b(0, 1))), TxCode.Encoding, /^field r has leading zero bytes/);
    refuses(legacy(withField(l, 8, b(0, 1))), TxCode.Encoding, /^field s has leading zero bytes/);
    const t1 = type1Fields();
    refuses(typed(1, withField(t1, 2, b(0, 1))), TxCode.Encoding, /^field gasPrice has leading zero bytes/);
    const t2 = type2Fields();
    refuses(typed(2, withField(t2, 0, b(0, 18))), TxCode.Encoding, /^field chainId has leading zero bytes/);
    refuses(typed(2, withField(t2, 1, b(0))), TxCode.Encoding, /^field nonce has leading zero bytes/);
    refuses(typed(2, withField(t2, 2, b(0, 1))), TxCode.Encoding, /^field maxPriorityFeePerGas has leading zero bytes/);
    refuses(typed(2, withField(t2, 3, b(0, 2))), TxCode.Encoding, /^field maxFeePerGas has leading zero bytes/);
    refuses(typed(2, withField(t2, 4, b(0, 0x52, 0x08))), TxCode.Encoding, /^field gasLimit has leading zero bytes/);
    refuses(typed(2, withField(t2, 6, b(0, 1))), TxCode.Encoding, /^field value has leading zero bytes/);
    refuses(typed(2, withField(t2, 9, b(0))), TxCode.Encoding, /^field yParity has leading zero bytes/);
    refuses(typed(2, withField(t2, 10, b(0, 1))), TxCode.Encoding, /^field r has leading zero bytes/);
    refuses(typed(2, withField(t2, 11, b(0, 1))), TxCode.Encoding, /^field s has leading zero bytes/);
  });

  it('bounds integer widths: gas limit and nonce 8 bytes, yParity 1 byte', () => {
    const l = legacyFields();
    assert.equal(decodeTx(legacy(withField(l, 2, filled(8, 0xff)))).gasLimit, 2n ** 64n - 1n);
    refuses(legacy(withField(l, 2, filled(9, 0x01))), TxCode.Encoding, /^field gasLimit is longer than 8 bytes$/);
    refuses(typed(2, withField(type2Fields(), 4, filled(9, 0x01))), TxCode.Encoding, /^field gasLimit is longer than 8 bytes$/);
    refuses(typed(2, withField(type2Fields(), 9, b(1, 0))), TxCode.Encoding, /^field yParity is longer than 1 bytes$/);
    refuses(typed(2, withField(type2Fields(), 9, b(2))), TxCode.Signature, /^yParity must be 0 or 1, got 2$/);
    assert.equal(decodeTx(typed(2, withField(type2Fields(), 9, b(1)))).recovery, 1);
  });

  it('refuses nonce 2^64-1 and accepts 2^64-2 (EIP-2681)', () => {
    const max = filled(8, 0xff);
    refuses(legacy(withField(legacyFields(), 0, max)), TxCode.Encoding, /^nonce must be below 2\^64-1 \(EIP-2681\)$/);
    refuses(typed(2, withField(type2Fields(), 1, max)), TxCode.Encoding, /EIP-2681/);
    const belowMax = uint(2n ** 64n - 2n);
    assert.equal(decodeTx(legacy(withField(legacyFields(), 0, belowMax))).nonce, 2n ** 64n - 2n);
    assert.equal(decodeTx(typed(2, withField(type2Fields(), 1, belowMax))).nonce, 2n ** 64n - 2n);
  });

  it('refuses a field count other than the type layout (legacy 9, 0x01 11, 0x02 12, 0x04 13)', () => {
    refuses(legacy([...legacyFields(), empty()]), TxCode.Encoding, /^a legacy transaction has 9 fields, got 10$/);
    refuses(typed(1, [...type1Fields(), empty()]), TxCode.Encoding, /^a type-1 transaction has 11 fields, got 12$/);
    refuses(typed(2, [...type2Fields(), empty()]), TxCode.Encoding, /^a type-2 transaction has 12 fields, got 13$/);
    refuses(typed(4, [...type4Fields(), empty()]), TxCode.Encoding, /^a type-4 transaction has 13 fields, got 14$/);
    // 0xc0 is an empty RLP list: a legacy transaction with no field.
    refuses(b(0xc0), TxCode.Encoding, /^a legacy transaction has 9 fields, got 0$/);
  });

  it('refuses an invalid RLP body or a typed body that is not a list', () => {
    // 0x01 ‖ 0x81 0x05: a one-byte string below 0x80 in long form (non-canonical RLP).
    refuses(b(0x01, 0x81, 0x05), TxCode.Encoding, /^malformed RLP: /);
    // 0x02 ‖ 0xc3 0x01: list announces 3 bytes, holds 1.
    refuses(b(0x02, 0xc3, 0x01), TxCode.Encoding, /^malformed RLP: /);
    // 0x02 ‖ an RLP byte string of 12 bytes (the type-2 field count) instead of a list.
    refuses(typed(2, filled(12, 1) as never), TxCode.Encoding, /^a transaction must be an RLP list$/);
    refuses(b(0x01, 0x80), TxCode.Encoding, /^a transaction must be an RLP list$/);
  });

  it('refuses unsupported type bytes with the type in the message, blobs with their own', () => {
    refuses(b(0x05, 0xc0), TxCode.UnsupportedType, /^unsupported transaction type 0x05 \(accepted: legacy, 0x01, 0x02, 0x04\)$/);
    refuses(b(0x00, 0xc0), TxCode.UnsupportedType, /^unsupported transaction type 0x00 /);
    refuses(b(0xbf), TxCode.UnsupportedType, /^unsupported transaction type 0xbf /);
    refuses(b(0x03, 0xc0), TxCode.UnsupportedType, /^blob transactions \(type 0x03, EIP-4844\)/);
    refuses(empty(), TxCode.Encoding, /^empty transaction$/);
  });

  it('accepts exactly MAX_TX_BYTES bytes and refuses one more', () => {
    const base = legacy(legacyFields()).length; // one-byte list header (0xc0 + length)
    // Find data sizes so that the whole RLP is exactly MAX_TX_BYTES / MAX_TX_BYTES + 1.
    const build = (total: number): Uint8Array => {
      for (let d = total - base - 8; d <= total; d++) {
        const raw = legacy(withField(legacyFields(), 5, filled(d, 0xaa)));
        if (raw.length === total) return raw;
      }
      throw new Error(`no data size gives ${total} bytes`);
    };
    assert.equal(MAX_TX_BYTES, 131_072);
    const atLimit = build(MAX_TX_BYTES);
    assert.equal(atLimit.length, 131_072);
    // data grows from 0x80 (1 byte) to 0xba + 3 length bytes + d; the list header from 1 byte to 0xfa + 3 length bytes (payload > 65535).
    assert.equal(decodeTx(atLimit).data.length, atLimit.length - (base + 6));
    const over = build(MAX_TX_BYTES + 1);
    refuses(over, TxCode.TooLarge, /^transaction is 131073 bytes, more than the 131072-byte limit$/);
  });

  it('refuses v of an unprotected signature (27, 28) with the chain-id code and v below 37 as invalid', () => {
    refuses(legacy(withField(legacyFields(), 6, b(27))), TxCode.ChainId, /unprotected/);
    refuses(legacy(withField(legacyFields(), 6, b(28))), TxCode.ChainId, /unprotected/);
    // v = 35, 36 encode chain id 0; anything else below 37 is no EIP-155 v at all.
    refuses(legacy(withField(legacyFields(), 6, b(36))), TxCode.Signature, /^invalid signature v 36$/);
    refuses(legacy(withField(legacyFields(), 6, b(35))), TxCode.Signature, /^invalid signature v 35$/);
    refuses(legacy(withField(legacyFields(), 6, empty())), TxCode.Signature, /^invalid signature v 0$/);
    refuses(legacy(withField(legacyFields(), 6, b(29))), TxCode.Signature, /^invalid signature v 29$/);
    const v37 = decodeTx(legacy(withField(legacyFields(), 6, b(37))));
    assert.deepEqual([v37.chainId, v37.recovery], [1n, 0]);
    const v38 = decodeTx(legacy(withField(legacyFields(), 6, b(38))));
    assert.deepEqual([v38.chainId, v38.recovery], [1n, 1]);
  });

  it('bounds r and s: 1 <= r < n, 1 <= s <= n/2 (EIP-2), for legacy and typed transactions', () => {
    const cases: Array<[string, (f: Field[], i: number, v: Field) => Uint8Array, Field[], number]> = [
      ['legacy', (f, i, v) => legacy(withField(f, i, v)), legacyFields(), 7],
      ['type 2', (f, i, v) => typed(2, withField(f, i, v)), type2Fields(), 10],
      ['type 4', (f, i, v) => typed(4, withField(f, i, v)), type4Fields(), 11],
    ];
    for (const [, build, f, ri] of cases) {
      const si = ri + 1;
      refuses(build(f, ri, empty()), TxCode.Signature, /^signature r is out of range$/);
      refuses(build(f, si, empty()), TxCode.Signature, /^signature s is out of range$/);
      refuses(build(f, ri, uint(N)), TxCode.Signature, /^signature r is out of range$/);
      refuses(build(f, ri, filled(32, 0xff)), TxCode.Signature, /^signature r is out of range$/);
      refuses(build(f, ri, filled(33, 0x01)), TxCode.Signature, /^signature r is out of range$/);
      refuses(build(f, si, filled(33, 0x01)), TxCode.Signature, /^signature s is out of range$/);
      assert.equal(hashHex(decodeTx(build(f, ri, uint(N - 1n))).r), `0x${(N - 1n).toString(16)}`);
      // s = floor(n/2) is the largest low s; one more is refused (EIP-2).
      assert.equal(hashHex(decodeTx(build(f, si, uint(HALF_N))).s), `0x${HALF_N.toString(16)}`);
      refuses(build(f, si, uint(HALF_N + 1n)), TxCode.Signature, /^signature s is in the upper half of the curve order \(EIP-2\)$/);
      refuses(build(f, si, uint(N - 1n)), TxCode.Signature, /EIP-2/);
    }
  });

  it('refuses maxPriorityFeePerGas above maxFeePerGas (EIP-1559) and accepts them equal', () => {
    refuses(typed(2, withField(withField(type2Fields(), 2, b(3)), 3, b(2))), TxCode.GasPriceTooLow, /^maxPriorityFeePerGas is above maxFeePerGas$/);
    refuses(typed(4, withField(withField(type4Fields(), 2, b(1, 0)), 3, b(0xff))), TxCode.GasPriceTooLow, /above maxFeePerGas/);
    const equal = decodeTx(typed(2, withField(withField(type2Fields(), 2, b(7)), 3, b(7))));
    assert.deepEqual([equal.maxPriorityFeePerGas, equal.maxFeePerGas], [7n, 7n]);
  });

  it('names the authorization tuple field that is out of bounds (EIP-7702)', () => {
    const withAuth = (index: number, value: Field): Uint8Array => {
      const auth: Field[] = [b(18), filled(20, 0x22), empty(), empty(), b(1), b(1)];
      auth[index] = value;
      return typed(4, withField(type4Fields(), 9, [auth]));
    };
    refuses(withAuth(0, b(0, 18)), TxCode.Encoding, /^field authorizationList\[0\]\.chainId has leading zero bytes/);
    refuses(withAuth(0, filled(33, 1)), TxCode.Encoding, /^field authorizationList\[0\]\.chainId is longer than 32 bytes$/);
    refuses(withAuth(5, b(0, 1)), TxCode.Encoding, /^field authorizationList\[0\]\.s has leading zero bytes/);
    refuses(withAuth(5, filled(33, 1)), TxCode.Encoding, /^field authorizationList\[0\]\.s is longer than 32 bytes$/);
  });

  it('reports a signature that recovers no public key', () => {
    // The smallest x >= 1 for which x^3 + 7 is not a square mod p (Euler's criterion)
    // is the x of no secp256k1 point: r = x recovers nothing.
    const modpow = (base: bigint, exp: bigint, mod: bigint): bigint => {
      let result = 1n;
      let x = base % mod;
      for (let e = exp; e > 0n; e >>= 1n) {
        if (e & 1n) result = (result * x) % mod;
        x = (x * x) % mod;
      }
      return result;
    };
    let x = 1n;
    while (modpow(x ** 3n + 7n, (P - 1n) / 2n, P) === 1n) x++;
    const raw = typed(2, withField(type2Fields(), 10, uint(x)));
    assert.equal(decodeTx(raw).r.length, 1);
    assert.throws(
      () => decodeSignedTx(raw),
      (err: unknown) => err instanceof TxError && err.code === TxCode.Signature && /^the signature does not recover a public key$/.test(err.message),
    );
  });

  it('hashHex is 0x and two lowercase hex digits a byte', () => {
    assert.equal(hashHex(b(0x00, 0xab, 0x0f)), '0x00ab0f');
    assert.equal(hashHex(empty()), '0x');
  });
});
