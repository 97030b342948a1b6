/**
 * The SPEC 9 admission and fee rules as functions (src/tx/admission.ts,
 * src/tx/gas.ts), with exact values: what is a common operation (a system
 * address, a precompile, an address with code), the refusals' codes and
 * messages, the effective gas price on each side of the cap, intrinsic gas
 * with access lists and initcode. Survivors of mutation testing, killed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BlockAdmission, isCommonOperation } from '../../src/tx/admission.js';
import { decodeSignedTx, type SignedTx } from '../../src/tx/decode.js';
import { TxCode } from '../../src/tx/errors.js';
import { effectiveGasPrice, intrinsicGas } from '../../src/tx/gas.js';
import { Accounts } from '../../src/state/accounts.js';
import { DEFAULT_PARAMS } from '../../src/state/params.js';
import { Overlay } from '../../src/store/kv.js';
import { benchAccounts, signLegacyTx } from '../../bench/lib/txgen.js';
import type { SystemContractResolver } from '../../src/system/types.js';

const [alice, bob, carol] = benchAccounts(3, 'tx-admission') as [
  ReturnType<typeof benchAccounts>[number],
  ReturnType<typeof benchAccounts>[number],
  ReturnType<typeof benchAccounts>[number],
];
const SYSTEM = '0x0000000000000000000000000000000000001000';
const PRECOMPILE = '0x0000000000000000000000000000000000000001';
const CODED = '0x000000000000000000000000000000000000c0de';
const NOBODY = '0x000000000000000000000000000000000000beef';

function tx(from: typeof alice, to: string, gasPrice: bigint, gasLimit = 21_000n, nonce = 0n): SignedTx {
  return decodeSignedTx(signLegacyTx(from, { to, nonce, gasPrice, gasLimit }));
}

function state(): Overlay {
  const base = new Map<string, Uint8Array>();
  const kv = new Overlay({ get: (k) => base.get(k) });
  const accounts = new Accounts(kv);
  accounts.put(CODED, { nonce: 1n, balance: 0n, codeHash: new Uint8Array(32).fill(7) });
  // A system address that, here, also holds code: only the resolver can make a call to it common.
  accounts.put(SYSTEM, { nonce: 1n, balance: 0n, codeHash: new Uint8Array(32).fill(9) });
  return kv;
}

const resolveSystem: SystemContractResolver = (address) => (address === SYSTEM ? ({} as ReturnType<SystemContractResolver>) : undefined);
const noSystem: SystemContractResolver = () => undefined;

describe('isCommonOperation (SPEC 9)', () => {
  const rules = { params: DEFAULT_PARAMS, blockGasLimit: null };
  it('a call to a system address is common, whatever the address holds', () => {
    assert.equal(isCommonOperation(tx(alice, SYSTEM, 0n), state(), resolveSystem, rules), true);
    assert.equal(isCommonOperation(tx(alice, SYSTEM, 0n), state(), noSystem, rules), false, 'the same address without the resolver: it holds code');
  });

  it('a transfer to a precompile is not common, though a precompile holds no code', () => {
    assert.equal(isCommonOperation(tx(alice, PRECOMPILE, 0n), state(), noSystem, rules), false);
  });

  it('a transfer to an address with code is not common; to one without, it is', () => {
    assert.equal(isCommonOperation(tx(alice, CODED, 0n), state(), noSystem, rules), false);
    assert.equal(isCommonOperation(tx(alice, NOBODY, 0n), state(), noSystem, rules), true);
  });
});

describe('BlockAdmission refusals say why', () => {
  const rules = { params: { ...DEFAULT_PARAMS, free_tx_slots: 2 }, blockGasLimit: 50_000n };

  it('one zero-price transaction per sender, free_tx_slots per block, then the gas limit', () => {
    const admission = new BlockAdmission(rules, () => true);
    const first = tx(alice, NOBODY, 0n);
    assert.equal(admission.refusal(first), undefined);
    admission.admit(first, 21_000n);

    const again = admission.refusal(tx(alice, NOBODY, 0n, 21_000n, 1n));
    assert.equal(again?.code, TxCode.FreeTxSlotsFull);
    assert.match(again!.message, new RegExp(`${alice.address} already has a zero-price transaction in this block \\(one per sender\\)`));

    const second = tx(bob, NOBODY, 0n);
    admission.admit(second, 21_000n);
    const full = admission.refusal(tx(carol, NOBODY, 0n));
    assert.equal(full?.code, TxCode.FreeTxSlotsFull);
    assert.match(full!.message, /the block's 2 free slots are used/);

    const over = admission.refusal(tx(carol, NOBODY, 2_000_000_000n, 8_001n));
    assert.equal(over?.code, TxCode.BlockGasLimit);
    assert.match(over!.message, /not enough gas left in the block: 42000 of 50000 counted, this transaction asks for 8001/);
    assert.equal(admission.refusal(tx(carol, NOBODY, 2_000_000_000n, 8_000n)), undefined, 'exactly the gas left fits');
  });

  it('a zero-price transaction asking for more than free_tx_gas_limit is refused with code 10', () => {
    const admission = new BlockAdmission({ ...rules, blockGasLimit: null }, () => true);
    const limit = DEFAULT_PARAMS.free_tx_gas_limit;
    assert.equal(admission.refusal(tx(alice, NOBODY, 0n, limit)), undefined);
    const refused = admission.refusal(tx(alice, NOBODY, 0n, limit + 1n));
    assert.equal(refused?.code, TxCode.FreeTxGasLimit);
    assert.match(refused!.message, new RegExp(`at most ${limit} gas, this one asks for ${limit + 1n}`));
  });
});

describe('gas and fees (SPEC 9)', () => {
  it('a legacy or EIP-2930 transaction pays its gas price, even above base fee + tip', () => {
    assert.equal(effectiveGasPrice({ type: 0, maxFeePerGas: 10n, maxPriorityFeePerGas: 0n }, 2n), 10n);
    assert.equal(effectiveGasPrice({ type: 1, maxFeePerGas: 10n, maxPriorityFeePerGas: 0n }, 2n), 10n);
  });

  it('an EIP-1559 transaction pays min(maxFeePerGas, base fee + tip)', () => {
    assert.equal(effectiveGasPrice({ type: 2, maxFeePerGas: 10n, maxPriorityFeePerGas: 3n }, 2n), 5n, 'under the cap');
    assert.equal(effectiveGasPrice({ type: 2, maxFeePerGas: 5n, maxPriorityFeePerGas: 3n }, 2n), 5n, 'at the cap');
    assert.equal(effectiveGasPrice({ type: 2, maxFeePerGas: 4n, maxPriorityFeePerGas: 3n }, 2n), 4n, 'over the cap');
  });

  it('charges 2,400 per access-list address and 1,900 per key, and 2 per initcode word', () => {
    const key = new Uint8Array(32);
    const accessList = [
      { address: new Uint8Array(20), storageKeys: [key, key] },
      { address: new Uint8Array(20), storageKeys: [] },
    ];
    assert.equal(intrinsicGas({ to: NOBODY, data: Uint8Array.from([0, 1]), accessList }), 21_000n + 4n + 16n + 2n * 2_400n + 2n * 1_900n);
    assert.equal(intrinsicGas({ to: null, data: new Uint8Array(33), accessList: [] }), 53_000n + 33n * 4n + 2n * 2n);
  });
});
