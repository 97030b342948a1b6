/**
 * EIP-7702 authorizations applied one by one (src/tx/authorization.ts),
 * each rule of the EIP at its edge: the delegation indicator's exact bytes,
 * the chain id (0 or ours), the nonce bound 2^64 − 1, the low-s rule at
 * exactly n/2, the refund for signers that exist, the zero address clearing
 * a delegation. Kills StrykerJS survivors (docs/TESTING.md).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Authorization as EthersAuthorization } from 'ethers';

import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { Overlay } from '../../src/store/kv.js';
import { readCode } from '../../src/evm/state.js';
import { applyAuthorizations, authorizationSigner, isDelegation } from '../../src/tx/authorization.js';
import type { Authorization } from '../../src/tx/decode.js';
import { EMPTY_STATE, wallet } from '../support/evm.js';

const alice = wallet(21);
const target = `0x${'00'.repeat(18)}c0de` as Address;
const ZERO = `0x${'00'.repeat(20)}` as Address;
/** secp256k1 group order n, and n/2 (EIP-2: s above it is malleable). */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N / 2n;
/** EIP-7702: PER_EMPTY_ACCOUNT_COST 25,000 − PER_AUTH_BASE_COST 12,500, refunded for a signer that exists. */
const EXISTING_SIGNER_REFUND = 25_000n - 12_500n;

const int = (n: bigint): Uint8Array => (n === 0n ? new Uint8Array(0) : Buffer.from(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'), 'hex'));

function toAuthorization(a: EthersAuthorization): Authorization {
  return {
    chainId: a.chainId,
    address: Buffer.from(a.address.slice(2), 'hex'),
    nonce: a.nonce,
    yParity: a.signature.yParity,
    r: int(BigInt(a.signature.r)),
    s: int(BigInt(a.signature.s)),
  };
}

const authorize = async (address: Address, nonce: bigint, chainId = 18n): Promise<Authorization> => toAuthorization(await alice.wallet.authorize({ address, nonce, chainId }));

const delegation = (address: Address): string => `ef0100${address.slice(2)}`;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('EIP-7702 authorizations', () => {
  it('the delegation indicator is exactly 0xef0100 followed by 20 bytes', () => {
    const good = Buffer.from(delegation(target), 'hex');
    assert.equal(isDelegation(good), true);
    for (const i of [0, 1, 2]) {
      const bad = Uint8Array.from(good);
      bad[i]! ^= 0x40;
      assert.equal(isDelegation(bad), false, `byte ${i} changed`);
    }
    assert.equal(isDelegation(good.subarray(0, 22)), false);
    assert.equal(isDelegation(Buffer.concat([good, Uint8Array.of(0)])), false);
    assert.equal(isDelegation(new Uint8Array(23)), false);
  });

  it('the signer: low s only (exactly n/2 still recovers), a parity of 0 or 1, no empty s', async () => {
    const auth = await authorize(target, 0n);
    assert.equal(authorizationSigner(auth), alice.address);
    const s = BigInt(`0x${hex(auth.s)}`);
    // The malleable twin (n − s, other parity) recovers the same key: refused.
    assert.equal(authorizationSigner({ ...auth, s: int(N - s), yParity: 1 - auth.yParity }), undefined);
    assert.notEqual(authorizationSigner({ ...auth, s: int(HALF_N) }), undefined, 's = n/2 is low');
    assert.equal(authorizationSigner({ ...auth, s: int(HALF_N + 1n) }), undefined, 's = n/2 + 1 is high');
    assert.equal(authorizationSigner({ ...auth, s: new Uint8Array(0) }), undefined);
    assert.equal(authorizationSigner({ ...auth, yParity: 2 }), undefined);
    assert.equal(authorizationSigner({ ...auth, yParity: 2 + auth.yParity }), undefined);
  });

  it('applies in order: nonce bumped, code set, refund only for a signer that exists; skips the rest', async () => {
    const state = new Overlay(EMPTY_STATE);
    // Alice does not exist yet: applied, no refund.
    let out = applyAuthorizations([await authorize(target, 0n)], state, 18n);
    assert.deepEqual(out, { warm: [alice.address], refund: 0n, applied: 1 });
    const accounts = new Accounts(state);
    assert.equal(accounts.nonce(alice.address), 1n);
    assert.equal(hex(readCode(state, accounts.get(alice.address).codeHash)), delegation(target));

    // Now she exists; chain id 0 is valid on any chain.
    out = applyAuthorizations([await authorize(target, 1n, 0n)], state, 18n);
    assert.deepEqual(out, { warm: [alice.address], refund: EXISTING_SIGNER_REFUND, applied: 1 });

    // Another chain's, a wrong nonce, and a nonce of 2^64 − 1 are skipped (the last still recovers a signer).
    out = applyAuthorizations([await authorize(target, 2n, 19n)], state, 18n);
    assert.deepEqual(out, { warm: [], refund: 0n, applied: 0 });
    out = applyAuthorizations([await authorize(target, 5n)], state, 18n);
    assert.deepEqual(out, { warm: [alice.address], refund: 0n, applied: 0 });
    out = applyAuthorizations([await authorize(target, 2n ** 64n - 1n)], state, 18n);
    assert.deepEqual(out, { warm: [], refund: 0n, applied: 0 });
    assert.equal(accounts.nonce(alice.address), 2n);

    // The zero address clears the delegation; the nonce still moves.
    out = applyAuthorizations([await authorize(ZERO, 2n)], state, 18n);
    assert.equal(out.applied, 1);
    assert.equal(accounts.get(alice.address).codeHash.length, 0);
    assert.equal(accounts.nonce(alice.address), 3n);
  });
});
