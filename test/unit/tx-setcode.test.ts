/**
 * Type-4 (EIP-7702 set-code) transactions: decoding against @ethereumjs/tx,
 * malformed authorization lists refused with a TxError, CheckTx-level
 * validation (fork, delegated senders, EIP-7623 floor, EIP-7825 cap), and
 * authorizations that must be skipped (bad signature, wrong chain id, nonce
 * mismatch, high s, signer with ordinary code) without failing the
 * transaction. Blob transactions are refused by name.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { createTxFromRLP } from '@ethereumjs/tx';
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import type { Authorization as EthersAuthorization } from 'ethers';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { Overlay } from '../../src/store/kv.js';
import { readCode, writeCode } from '../../src/evm/state.js';
import { applyAuthorizations, authorizationSigner, isDelegation } from '../../src/tx/authorization.js';
import { decodeSignedTx, decodeTx, type Authorization } from '../../src/tx/decode.js';
import { TxCode, TxError } from '../../src/tx/errors.js';
import { executeTx, validateSender, validateStatic } from '../../src/tx/executor.js';
import { calldataFloorGas, intrinsicGas } from '../../src/tx/gas.js';
import { CMT, EMPTY_STATE, GWEI, noSystem, rules, sign, wallet } from '../support/evm.js';

const alice = wallet(11);
const bob = wallet(12);
const target = '0x00000000000000000000000000000000000c0de1' as Address;

function toAuthorization(a: EthersAuthorization): Authorization {
  const bytes = (hex: string): Uint8Array => {
    const b = Buffer.from(
      BigInt(hex)
        .toString(16)
        .padStart(2, '0')
        .replace(/^(.(..)*)$/, '0$1'),
      'hex',
    );
    return BigInt(hex) === 0n ? new Uint8Array(0) : b;
  };
  return { chainId: a.chainId, address: Buffer.from(a.address.slice(2), 'hex'), nonce: a.nonce, yParity: a.signature.yParity, r: bytes(a.signature.r), s: bytes(a.signature.s) };
}

async function setCodeTx(authorizationList: EthersAuthorization[], extra: Record<string, unknown> = {}) {
  return sign(bob.wallet, {
    type: 4,
    gasPrice: undefined,
    maxFeePerGas: 5n * GWEI,
    maxPriorityFeePerGas: GWEI,
    nonce: 0,
    to: alice.address,
    gasLimit: 200_000n,
    authorizationList,
    ...extra,
  });
}

/** Replaces the authorization list of a signed type-4 transaction (the outer signature no longer matters for decoding). */
function withAuthorizationList(raw: Uint8Array, list: unknown): Uint8Array {
  const fields = RLP.decode(raw.subarray(1)) as unknown[];
  fields[9] = list;
  return Buffer.concat([Buffer.from([4]), RLP.encode(fields as Uint8Array[])]);
}

describe('type-4 (EIP-7702) decoding', () => {
  it('decodes as @ethereumjs/tx does: fields, signing hash, sender, authorization list', async () => {
    const auth = await alice.wallet.authorize({ address: target, nonce: 3, chainId: 18n });
    const tx = await setCodeTx([auth]);
    const common = createCustomCommon({ chainId: 18 }, Mainnet, { hardfork: Hardfork.Osaka });
    const reference = createTxFromRLP(tx.raw, { common });
    assert.equal(tx.type, 4);
    assert.equal(tx.sender, bob.address);
    assert.equal(tx.sender, reference.getSenderAddress().toString());
    assert.equal(Buffer.from(tx.hash).toString('hex'), Buffer.from(reference.hash()).toString('hex'));
    assert.equal(tx.authorizationList?.length, 1);
    assert.equal(tx.authorizationList![0]!.nonce, 3n);
    assert.equal(authorizationSigner(tx.authorizationList![0]!), alice.address);
    assert.equal(intrinsicGas(tx), reference.getIntrinsicGas(), 'intrinsic gas counts 25,000 per authorization');
  });

  it('refuses malformed authorization lists and type-4 creations with a TxError', async () => {
    const auth = await alice.wallet.authorize({ address: target, nonce: 0, chainId: 18n });
    const tx = await setCodeTx([auth]);
    const good = RLP.decode(tx.raw.subarray(1)) as unknown[];
    const tuple = (good[9] as unknown[][])[0]!;
    const cases: Array<[string, unknown, RegExp]> = [
      ['empty list', [], /at least one authorization/],
      ['not a list', new Uint8Array([1]), /authorizationList must be a list/],
      ['short tuple', [tuple.slice(0, 5)], /must be \[chainId, address, nonce, yParity, r, s\]/],
      ['19-byte address', [[tuple[0], new Uint8Array(19), tuple[2], tuple[3], tuple[4], tuple[5]]], /address must be 20 bytes/],
      ['nonce of 9 bytes', [[tuple[0], tuple[1], new Uint8Array(9).fill(1), tuple[3], tuple[4], tuple[5]]], /nonce is longer than 8 bytes/],
      ['33-byte r', [[tuple[0], tuple[1], tuple[2], tuple[3], new Uint8Array(33).fill(1), tuple[5]]], /\.r is longer than 32 bytes/],
      ['yParity of 2 bytes', [[tuple[0], tuple[1], tuple[2], new Uint8Array([1, 0]), tuple[4], tuple[5]]], /yParity is longer than 1 bytes/],
    ];
    for (const [what, list, message] of cases) {
      assert.throws(
        () => decodeTx(withAuthorizationList(tx.raw, list)),
        (err: unknown) => err instanceof TxError && err.code === TxCode.Encoding && message.test(err.message),
        what,
      );
    }
    const fields = [...good];
    fields[5] = new Uint8Array(0); // to: empty = creation
    assert.throws(() => decodeTx(Buffer.concat([Buffer.from([4]), RLP.encode(fields as Uint8Array[])])), /cannot create a contract/);
  });

  it('refuses blob transactions by name', () => {
    assert.throws(
      () => decodeTx(Buffer.from('03c0', 'hex')),
      (err: unknown) => err instanceof TxError && err.code === TxCode.UnsupportedType && /EIP-4844/.test(err.message),
    );
  });
});

describe('type-4 validation (CheckTx rules)', () => {
  it('needs the osaka fork: a cancun chain refuses type 4', async () => {
    const tx = await setCodeTx([await alice.wallet.authorize({ address: target, nonce: 0, chainId: 18n })]);
    assert.doesNotThrow(() => validateStatic(tx, rules()));
    assert.throws(
      () => validateStatic(tx, rules({ evm_hardfork: 'cancun' })),
      (err: unknown) => err instanceof TxError && err.code === TxCode.UnsupportedType,
    );
  });

  it('enforces the EIP-7825 gas cap and the EIP-7623 calldata floor from osaka on', async () => {
    const big = await sign(bob.wallet, { nonce: 0, to: alice.address, gasLimit: 2n ** 24n + 1n });
    assert.throws(() => validateStatic(big, rules({}, 100_000_000n)), /EIP-7825/);
    assert.doesNotThrow(() => validateStatic(big, rules({ evm_hardfork: 'cancun' }, 100_000_000n)));
    const data = '0x' + 'ff'.repeat(1000);
    const floor = calldataFloorGas({ data: Buffer.from('ff'.repeat(1000), 'hex') });
    assert.equal(floor, 21_000n + 40n * 1000n);
    const low = await sign(bob.wallet, { nonce: 0, to: alice.address, data, gasLimit: floor - 1n });
    assert.ok(intrinsicGas(low) < floor - 1n);
    assert.throws(() => validateStatic(low, rules()), /calldata floor/);
    assert.doesNotThrow(() => validateStatic(low, rules({ evm_hardfork: 'cancun' })));
  });

  it('lets a delegated account send, not one with ordinary code (EIP-3607)', async () => {
    const state = new Overlay(EMPTY_STATE);
    const accounts = new Accounts(state);
    const tx = await sign(alice.wallet, { nonce: 0, to: bob.address, value: 1n });
    const delegated = { nonce: 0n, balance: CMT, codeHash: writeCode(state, Buffer.concat([Buffer.from('ef0100', 'hex'), Buffer.from(target.slice(2), 'hex')])) };
    accounts.put(alice.address, delegated);
    assert.doesNotThrow(() => validateSender(tx, delegated, state));
    const contract = { nonce: 0n, balance: CMT, codeHash: writeCode(state, Buffer.from('6000', 'hex')) };
    assert.throws(() => validateSender(tx, contract, state), /EIP-3607/);
  });
});

describe('type-4 execution: skipped authorizations', () => {
  it('skips bad signature, wrong chain, nonce mismatch, high s and ordinary code; applies the valid one', async () => {
    const state = new Overlay(EMPTY_STATE);
    const accounts = new Accounts(state);
    accounts.credit(bob.address, 10n * CMT);
    const carol = wallet(13);
    const dave = wallet(14);
    accounts.put(dave.address, { nonce: 0n, balance: 1n, codeHash: writeCode(state, Buffer.from('6000', 'hex')) });
    const valid = toAuthorization(await alice.wallet.authorize({ address: target, nonce: 0, chainId: 18n }));
    const badSignature = { ...valid, r: Buffer.alloc(32, 0xff) };
    const wrongChain = toAuthorization(await carol.wallet.authorize({ address: target, nonce: 0, chainId: 7n }));
    const wrongNonce = toAuthorization(await carol.wallet.authorize({ address: target, nonce: 1, chainId: 18n }));
    const highS = { ...wrongNonce, s: Buffer.from('ff'.repeat(32), 'hex') };
    const ordinaryCode = toAuthorization(await dave.wallet.authorize({ address: target, nonce: 0, chainId: 18n }));
    assert.equal(authorizationSigner(badSignature) === alice.address, false);
    assert.equal(authorizationSigner(highS), undefined);

    const applied = applyAuthorizations([badSignature, wrongChain, wrongNonce, highS, ordinaryCode, valid], state, 18n);
    assert.equal(applied.applied, 1);
    assert.equal(applied.refund, 0n, 'Alice did not exist: no refund');
    assert.ok(applied.warm.includes(alice.address) && applied.warm.includes(carol.address));
    const a = accounts.get(alice.address);
    assert.equal(a.nonce, 1n);
    assert.ok(isDelegation(readCode(state, a.codeHash)));
    assert.equal(accounts.get(carol.address).nonce, 0n, 'skipped: nothing changed');
    assert.equal(accounts.get(dave.address).nonce, 0n);
  });

  it('a transaction whose every authorization is invalid still runs and pays', async () => {
    const state = new Overlay(EMPTY_STATE);
    new Accounts(state).credit(bob.address, 10n * CMT);
    const wrongChain = await alice.wallet.authorize({ address: target, nonce: 0, chainId: 99n });
    const tx = await setCodeTx([wrongChain]);
    const outcome = await executeTx(decodeSignedTx(tx.raw), state, rules(), { height: 1n, time: 1_700_000_000n }, noSystem);
    assert.equal(outcome.code, TxCode.Ok);
    assert.equal(outcome.gasUsed, 21_000n + 25_000n);
    assert.equal(new Accounts(state).get(bob.address).nonce, 1n);
    assert.equal(new Accounts(state).exists(alice.address), false);
  });
});
