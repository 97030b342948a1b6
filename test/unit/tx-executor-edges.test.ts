/**
 * Edges of src/tx/executor.ts that the mutation run found untested: the
 * EIP-7825 cap at its boundary, the EIP-3860 initcode limit, the unlimited
 * block gas note, the EIP-7623 calldata floor on the native and EVM paths,
 * EIP-7702 authorizations (applied, refunded, capped at a fifth by EIP-3529)
 * on the EVM and system-call paths, precompile detection, the per-block EVM
 * context cache and the system-call protocol's gas boundary and faults.
 * Expected gas is computed from the EIPs' constants, not read from the code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TransactionRequest } from 'ethers';
import { Accounts, accountKey } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { Overlay } from '../../src/store/kv.js';
import { EvmInvariantError } from '../../src/evm/engine.js';
import { readCode, writeCode } from '../../src/evm/state.js';
import { forkRules } from '../../src/evm/hardfork.js';
import { isDelegation } from '../../src/tx/authorization.js';
import type { SignedTx } from '../../src/tx/decode.js';
import { TxCode, TxError } from '../../src/tx/errors.js';
import { evmBlockContext, executeTx, isPrecompile, validateSender, validateStatic, type EngineObserver } from '../../src/tx/executor.js';
import { SystemCallError, type SystemContract, type SystemContractResolver } from '../../src/system/types.js';
import { CMT, GWEI, noSystem, rules, sign, wallet } from '../support/evm.js';

const alice = wallet(21);
const bob = wallet(22);
const carol = '0x00000000000000000000000000000000000ca201' as Address;
const target = '0x00000000000000000000000000000000000c0de1' as Address;
const SYSTEM = '0x0000000000000000000000000000000000001000' as Address;
const SHA256 = '0x0000000000000000000000000000000000000002' as Address;
const IDENTITY = '0x0000000000000000000000000000000000000004' as Address;
const block = { height: 9n, time: 1_700_000_000n };
const osaka = rules();
const cancun = rules({ evm_hardfork: 'cancun' });
/** Legacy price of sign(): 2 gwei, equal to the default min_gas_price, so the effective price is 2 gwei. */
const PRICE = 2n * GWEI;

// EIP-2028 / EIP-7623 / EIP-7702 / EIP-3860 constants.
const TX_BASE = 21_000n;
const TX_CREATE_BASE = 53_000n;
const NONZERO_BYTE = 16n;
const ZERO_BYTE = 4n;
const FLOOR_PER_TOKEN = 10n;
const PER_EMPTY_ACCOUNT_COST = 25_000n;
const PER_AUTH_BASE_COST = 12_500n;
const MAX_INITCODE = 49_152n;

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

function refusedWith(code: TxCode, message: string) {
  return (err: unknown): boolean => err instanceof TxError && err.code === code && err.message === message;
}

function freshState(): { state: Overlay; accounts: Accounts } {
  const state = new Overlay({ get: () => undefined });
  const accounts = new Accounts(state);
  accounts.credit(bob.address, 10n * CMT);
  return { state, accounts };
}

function legacy(request: TransactionRequest): Promise<SignedTx> {
  return sign(bob.wallet, { nonce: 0, to: carol, ...request });
}

async function setCode(request: TransactionRequest = {}): Promise<SignedTx> {
  const auth = await alice.wallet.authorize({ address: target, nonce: 0, chainId: 18n });
  return sign(bob.wallet, {
    type: 4,
    gasPrice: undefined,
    maxFeePerGas: PRICE,
    maxPriorityFeePerGas: 0n,
    nonce: 0,
    to: carol,
    gasLimit: 200_000n,
    authorizationList: [auth],
    ...request,
  });
}

describe('validateStatic edges', () => {
  it('names the fork when it refuses a type-4 transaction before osaka', async () => {
    const t = await setCode();
    assert.throws(() => validateStatic(t, cancun), refusedWith(TxCode.UnsupportedType, 'type-4 (EIP-7702) transactions need the osaka hard fork; this chain runs cancun'));
  });

  it('accepts a gas limit of exactly the EIP-7825 cap 2^24 and refuses one more', async () => {
    const unlimited = rules({}, null);
    validateStatic(await legacy({ gasLimit: 16_777_216n }), unlimited);
    const above = await legacy({ gasLimit: 16_777_217n });
    assert.throws(() => validateStatic(above, unlimited), refusedWith(TxCode.BlockGasLimit, 'gas limit 16777217 is above the per-transaction cap 16777216 (EIP-7825)'));
  });

  it('notes an unlimited consensus max_gas only when the block limit is unlimited', async () => {
    // 100_000_000 is the stand-in EVM block gas limit of an unlimited chain (docs/EVM.md); cancun has no EIP-7825 cap.
    const over = await legacy({ gasLimit: 100_000_001n });
    assert.throws(
      () => validateStatic(over, rules({ evm_hardfork: 'cancun' }, null)),
      refusedWith(TxCode.BlockGasLimit, 'gas limit 100000001 is above the block gas limit 100000000 (consensus max_gas is unlimited; one transaction may use at most this much)'),
    );
    const t = await legacy({ gasLimit: 1_000_001n });
    assert.throws(
      () => validateStatic(t, rules({ evm_hardfork: 'cancun' }, 1_000_000n)),
      refusedWith(TxCode.BlockGasLimit, 'gas limit 1000001 is above the block gas limit 1000000'),
    );
  });

  it('limits contract creation code to 49152 bytes (EIP-3860) but not the calldata of a call', async () => {
    const exact = await legacy({ to: undefined, data: hex(new Uint8Array(Number(MAX_INITCODE))), gasLimit: 600_000n });
    // 600000 covers the creation intrinsic 53000 + 4·49152 + 2·1536 words and the floor 21000 + 10·49152.
    assert.ok(TX_CREATE_BASE + ZERO_BYTE * MAX_INITCODE + 2n * (MAX_INITCODE / 32n) < 600_000n);
    assert.ok(TX_BASE + FLOOR_PER_TOKEN * MAX_INITCODE < 600_000n);
    validateStatic(exact, osaka);
    const over = await legacy({ to: undefined, data: hex(new Uint8Array(Number(MAX_INITCODE) + 1)), gasLimit: 600_000n });
    assert.throws(() => validateStatic(over, osaka), refusedWith(TxCode.Encoding, 'contract creation code is 49153 bytes, more than the 49152-byte limit (EIP-3860)'));
    const call = await legacy({ data: hex(new Uint8Array(Number(MAX_INITCODE) + 1)), gasLimit: 600_000n });
    validateStatic(call, osaka);
  });
});

describe('validateSender without state', () => {
  it('refuses a sender holding code when no state is given to read a delegation from (EIP-3607)', async () => {
    const t = await legacy({ gasLimit: 21_000n });
    const account = { nonce: 0n, balance: 10n * CMT, codeHash: new Uint8Array(32).fill(9) };
    assert.throws(() => validateSender(t, account), refusedWith(TxCode.Signature, `${bob.address} holds contract code and cannot send transactions (EIP-3607)`));
  });
});

describe('precompiles and the EVM block context', () => {
  it('recognises a precompile only at a low address', () => {
    const fork = forkRules('osaka');
    assert.equal(isPrecompile('0x0000000000000000000000000000000000000001' as Address, fork), true);
    assert.equal(isPrecompile('0x1000000000000000000000000000000000000001' as Address, fork), false);
  });

  it('rebuilds the block context when any one of height, time, hash, gas limit or base fee changes', () => {
    const h1 = new Uint8Array(32).fill(1);
    const h2 = new Uint8Array(32).fill(2);
    const r = rules();
    const c1 = evmBlockContext(r, { height: 100n, time: 1000n, hash: h1 });
    assert.equal(evmBlockContext(r, { height: 100n, time: 1000n, hash: h1 }), c1);
    const c2 = evmBlockContext(r, { height: 101n, time: 1000n, hash: h1 });
    assert.equal(c2.height, 101n);
    const c3 = evmBlockContext(r, { height: 101n, time: 1001n, hash: h1 });
    assert.equal(c3.time, 1001n);
    const c4 = evmBlockContext(r, { height: 101n, time: 1001n, hash: h2 });
    assert.notDeepEqual(c4.prevRandao, c3.prevRandao);
    const c5 = evmBlockContext(rules({}, 2_000_000n), { height: 101n, time: 1001n, hash: h2 });
    assert.equal(c5.gasLimit, 2_000_000n);
    const c6 = evmBlockContext(rules({ min_gas_price: 3n * GWEI }, 2_000_000n), { height: 101n, time: 1001n, hash: h2 });
    assert.equal(c6.baseFee, 3n * GWEI);
  });
});

describe('calldata floor and precompiles in executeTx', () => {
  it('charges a plain transfer its EIP-7623 floor when the floor exceeds the intrinsic gas', async () => {
    const { state, accounts } = freshState();
    const data = new Uint8Array(100).fill(0xff);
    // intrinsic 21000 + 100·16 = 22600; floor 21000 + 10·(100·4 tokens) = 25000.
    assert.ok(TX_BASE + 100n * NONZERO_BYTE < TX_BASE + FLOOR_PER_TOKEN * 400n);
    const out = await executeTx(await legacy({ data: hex(data), value: 1n, gasLimit: 30_000n }), state, osaka, block, noSystem);
    assert.equal(out.code, TxCode.Ok);
    assert.equal(out.log, '');
    assert.equal(out.gasUsed, 25_000n);
    assert.equal(accounts.get(bob.address).balance, 10n * CMT - 25_000n * PRICE - 1n);
    assert.equal(accounts.get(carol).balance, 1n);
  });

  it('charges a call through the EVM its calldata floor', async () => {
    const { state, accounts } = freshState();
    const data = new Uint8Array(100).fill(0xff);
    // EVM: 22600 + identity 15 + 3·4 words = 22627, below the floor 25000.
    const out = await executeTx(await legacy({ to: IDENTITY, data: hex(data), gasLimit: 30_000n }), state, osaka, block, noSystem);
    assert.equal(out.code, TxCode.Ok);
    assert.equal(out.gasUsed, 25_000n);
    assert.equal(out.fee, 25_000n * PRICE);
    assert.equal(out.receipt.gasUsed, 25_000n);
    assert.equal(accounts.get(bob.address).balance, 10n * CMT - 25_000n * PRICE);
  });

  it('runs a transfer to a precompile: it pays the precompile gas and gets an empty log', async () => {
    const { state, accounts } = freshState();
    // sha256 of empty input: 60 + 12·0 words.
    // A tracer's observer adds a listener: it must get an 'rpc' engine (consensus engines refuse listeners).
    const observed: string[] = [];
    const listener = (): void => {};
    const observer: EngineObserver = {
      attach: (engine) => {
        observed.push(`attach ${engine.role}`);
        engine.evm.events.on('beforeMessage', listener);
      },
      detach: (engine) => {
        observed.push(`detach ${engine.role}`);
        engine.evm.events.off('beforeMessage', listener);
      },
    };
    const out = await executeTx(await legacy({ to: SHA256, gasLimit: 30_000n }), state, osaka, block, noSystem, observer);
    assert.equal(out.code, TxCode.Ok);
    assert.equal(out.log, '');
    assert.equal(out.gasUsed, TX_BASE + 60n);
    assert.equal(out.receipt.returnData.length, 32);
    assert.equal(accounts.get(bob.address).balance, 10n * CMT - (TX_BASE + 60n) * PRICE);
    assert.deepEqual(observed, ['attach rpc', 'detach rpc']);
  });
});

describe('EVM failure', () => {
  it('reports the EVM error as the log and charges the whole limit when a precompile runs out of gas', async () => {
    const { state, accounts } = freshState();
    // sha256 needs 21000 + 60; one gas short fails with out of gas, which consumes the whole limit.
    const out = await executeTx(await legacy({ to: SHA256, gasLimit: TX_BASE + 59n }), state, osaka, block, noSystem);
    assert.equal(out.code, TxCode.Reverted);
    assert.equal(out.log, 'out of gas');
    assert.equal(out.gasUsed, TX_BASE + 59n);
    assert.equal(out.receipt.status, 0);
    assert.equal(accounts.get(bob.address).balance, 10n * CMT - (TX_BASE + 59n) * PRICE);
  });
});

describe('an exception inside the EVM', () => {
  it('fails the transaction with the whole gas limit charged and nothing of the EVM kept', async () => {
    // The store throws when the EVM reads the sha256 precompile's account (executeTx itself never reads it).
    const faulty = accountKey(SHA256);
    const base = new Overlay({
      get: (key) => {
        if (key === faulty) throw new Error('store fault');
        return undefined;
      },
    });
    const state = new Overlay(base);
    const accounts = new Accounts(state);
    accounts.credit(bob.address, 10n * CMT);
    const out = await executeTx(await legacy({ to: SHA256, value: 7n, gasLimit: 30_000n }), state, osaka, block, noSystem);
    assert.equal(out.code, TxCode.Reverted);
    assert.equal(out.log, 'EVM error: store fault');
    assert.equal(out.gasUsed, 30_000n);
    assert.deepEqual(out.receipt.logs, []);
    assert.equal(out.receipt.returnData.length, 0);
    const b = accounts.get(bob.address);
    assert.equal(b.nonce, 1n);
    assert.equal(b.balance, 10n * CMT - 30_000n * PRICE);
  });

  it('lets an EVM invariant error escape: it must stop the node, not become a receipt', async () => {
    const faulty = accountKey(SHA256);
    const state = new Overlay(
      new Overlay({
        get: (key) => {
          if (key === faulty) throw new EvmInvariantError('invariant broken');
          return undefined;
        },
      }),
    );
    new Accounts(state).credit(bob.address, 10n * CMT);
    await assert.rejects(executeTx(await legacy({ to: SHA256, gasLimit: 30_000n }), state, osaka, block, noSystem), EvmInvariantError);
  });
});

describe('EIP-7702 authorizations', () => {
  it('applies an authorization on a type-4 call to an account without code and refunds at most a fifth', async () => {
    const { state, accounts } = freshState();
    accounts.credit(alice.address, CMT);
    const out = await executeTx(await setCode(), state, osaka, block, noSystem);
    assert.equal(out.code, TxCode.Ok);
    // intrinsic 21000 + 25000; alice exists: refund 25000 − 12500 = 12500, capped at 46000 / 5 = 9200.
    const used = TX_BASE + PER_EMPTY_ACCOUNT_COST;
    const refund = PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST;
    assert.ok(refund > used / 5n);
    assert.equal(out.gasUsed, used - used / 5n);
    assert.equal(out.gasUsed, 36_800n);
    const a = accounts.get(alice.address);
    assert.equal(a.nonce, 1n);
    assert.ok(isDelegation(readCode(state, a.codeHash)));
    assert.equal(accounts.get(bob.address).balance, 10n * CMT - 36_800n * PRICE);
  });

  it('starts the authority warm (EIP-7702 with EIP-2929): BALANCE of it costs 100, not 2600', async () => {
    const { state, accounts } = freshState();
    accounts.credit(alice.address, CMT);
    // carol's code: PUSH20 alice, BALANCE, POP, STOP.
    const code = Buffer.concat([Buffer.from('73', 'hex'), Buffer.from(alice.address.slice(2), 'hex'), Buffer.from('315000', 'hex')]);
    accounts.put(carol, { nonce: 1n, balance: 0n, codeHash: writeCode(state, code) });
    const out = await executeTx(await setCode(), state, osaka, block, noSystem);
    assert.equal(out.code, TxCode.Ok);
    // 46000 intrinsic + PUSH20 3 + warm BALANCE 100 + POP 2 = 46105; refund 12500 capped at 46105 / 5 = 9221.
    const used = TX_BASE + PER_EMPTY_ACCOUNT_COST + 3n + 100n + 2n;
    assert.equal(out.gasUsed, used - used / 5n);
    assert.equal(out.gasUsed, 36_884n);
  });

  function systemWithCost(cost: bigint): SystemContractResolver {
    const contract: SystemContract = {
      address: SYSTEM,
      gasCost: () => cost,
      call: () => ({ returnData: new Uint8Array(0), logs: [] }),
      view: () => new Uint8Array(0),
    };
    return (address) => (address === SYSTEM ? contract : undefined);
  }

  it('refunds an authorization on a type-4 system call, capped at a fifth of the gas used', async () => {
    const { state, accounts } = freshState();
    accounts.credit(alice.address, CMT);
    const tx = await setCode({ to: SYSTEM, data: '0x01' });
    const out = await executeTx(tx, state, osaka, block, systemWithCost(10_000n));
    assert.equal(out.code, TxCode.Ok);
    // 21000 + 16 + 25000 + 10000 = 56016; refund 12500 > 56016 / 5 = 11203.
    const used = TX_BASE + NONZERO_BYTE + PER_EMPTY_ACCOUNT_COST + 10_000n;
    assert.equal(used, 56_016n);
    assert.equal(out.gasUsed, used - 11_203n);
    assert.equal(out.fee, (used - 11_203n) * PRICE);
    assert.equal(accounts.get(bob.address).balance, 10n * CMT - (used - 11_203n) * PRICE);
    assert.ok(isDelegation(readCode(state, accounts.get(alice.address).codeHash)));
  });

  it('refunds an authorization on a type-4 system call in full when it is below a fifth', async () => {
    const { state, accounts } = freshState();
    accounts.credit(alice.address, CMT);
    const tx = await setCode({ to: SYSTEM, data: '0x01' });
    const out = await executeTx(tx, state, osaka, block, systemWithCost(100_000n));
    // 21000 + 16 + 25000 + 100000 = 146016; refund 12500 < 146016 / 5 = 29203.
    const used = TX_BASE + NONZERO_BYTE + PER_EMPTY_ACCOUNT_COST + 100_000n;
    assert.equal(out.gasUsed, used - (PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST));
    assert.equal(out.gasUsed, 133_516n);
    assert.equal(accounts.get(bob.address).balance, 10n * CMT - 133_516n * PRICE);
  });
});

describe('system-call protocol edges', () => {
  const contract: SystemContract = {
    address: SYSTEM,
    gasCost(data) {
      if (data.length === 0) throw new SystemCallError('empty calldata', 'unknown_function');
      if (data[0] === 0xee) throw new Error('internal gasCost fault');
      return 10_000n;
    },
    call(_ctx, data) {
      if (data[0] === 0xef) throw new Error('internal call fault');
      return { returnData: new Uint8Array(0), logs: [] };
    },
    view: () => new Uint8Array(0),
  };
  const resolve: SystemContractResolver = (address) => (address === SYSTEM ? contract : undefined);
  const cost = TX_BASE + NONZERO_BYTE + 10_000n; // 31016

  it('succeeds with a gas limit of exactly intrinsic + the call cost, with an empty log', async () => {
    const { state, accounts } = freshState();
    const out = await executeTx(await legacy({ to: SYSTEM, data: '0x01', gasLimit: cost }), state, osaka, block, resolve);
    assert.equal(out.code, TxCode.Ok);
    assert.equal(out.log, '');
    assert.equal(out.gasUsed, cost);
    assert.equal(accounts.get(bob.address).balance, 10n * CMT - cost * PRICE);
  });

  it('runs out of gas one below: whole limit charged, no logs', async () => {
    const { state } = freshState();
    const out = await executeTx(await legacy({ to: SYSTEM, data: '0x01', gasLimit: cost - 1n }), state, osaka, block, resolve);
    assert.equal(out.code, TxCode.Reverted);
    assert.equal(out.log, `out of gas: the call costs ${cost} gas, the gas limit is ${cost - 1n}`);
    assert.equal(out.gasUsed, cost - 1n);
    assert.deepEqual(out.receipt.logs, []);
  });

  it('reverts a refused gas cost with the contract address and reason, charging the intrinsic gas', async () => {
    const { state, accounts } = freshState();
    const out = await executeTx(await legacy({ to: SYSTEM, gasLimit: 50_000n, value: 5n }), state, osaka, block, resolve);
    assert.equal(out.code, TxCode.Reverted);
    assert.equal(out.log, `${SYSTEM}: empty calldata`);
    assert.equal(out.gasUsed, TX_BASE);
    assert.equal(accounts.get(bob.address).balance, 10n * CMT - TX_BASE * PRICE);
  });

  it('lets an internal fault in gasCost or call escape instead of becoming a receipt', async () => {
    const { state } = freshState();
    await assert.rejects(executeTx(await legacy({ to: SYSTEM, data: '0xee', gasLimit: 50_000n }), state, osaka, block, resolve), /internal gasCost fault/);
    const other = freshState();
    await assert.rejects(executeTx(await legacy({ to: SYSTEM, data: '0xef', gasLimit: 50_000n }), other.state, osaka, block, resolve), /internal call fault/);
  });
});
