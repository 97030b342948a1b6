/**
 * Our transaction-level EVM driver (src/evm/engine.ts over KvStateManager)
 * against the reference: stock @ethereumjs/vm `runTx` with its own
 * Merkle-Patricia state manager. The same signed transactions must give the
 * same status, gas used, logs, return data and created addresses, and the
 * same balances, nonces, code and storage afterwards. Only the fee's destination
 * differs by design (our fee pool vs the VM's coinbase and base-fee burn).
 * Both run Osaka: the scenario includes EIP-7702 set-code transactions (valid
 * and skipped authorizations, a delegated EOA called and sending), a CLZ
 * contract compiled for solc's default target and EIP-7623 calldata floors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBlock } from '@ethereumjs/block';
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { createTxFromRLP } from '@ethereumjs/tx';
import { Account, Address as EthAddress } from '@ethereumjs/util';
import { createVM, runTx, type RunTxResult } from '@ethereumjs/vm';
import { Interface, getCreateAddress, type TransactionRequest } from 'ethers';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { readSupply } from '../../src/state/supply.js';
import { Overlay } from '../../src/store/kv.js';
import type { SignedTx } from '../../src/tx/decode.js';
import { TxCode } from '../../src/tx/errors.js';
import { executeTx, type TxOutcome } from '../../src/tx/executor.js';
import { FEE_POOL_ADDRESS, prevRandaoOf } from '../../src/evm/engine.js';
import { loadContract } from '../support/contracts.js';
import { readCode } from '../../src/evm/state.js';
import { compileForDefaultTarget } from '../support/solc-default.js';
import { CMT, EMPTY_STATE, GWEI, Sender, noSystem, rules, wallet } from '../support/evm.js';

const HEIGHT = 7n;
const TIME = 1_700_000_000n;
const merchant = wallet(1);
const alice = wallet(2);
const bob = wallet(3);
const arbiter = wallet(4);

/** A delegation target compiled for solc's default EVM target (osaka: CLZ). */
export const DELEGATE_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;
contract Delegate {
  event Ping(address self, address sender, uint256 leadingZeros);
  uint256 public count;
  function ping(uint256 x) external payable returns (uint256 r) {
    assembly { r := clz(x) }
    count += 1;
    emit Ping(address(this), msg.sender, r);
  }
}`;

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

interface Scenario {
  txs: SignedTx[];
  addresses: Address[];
}

async function scenario(): Promise<Scenario> {
  const m = new Sender(merchant.wallet, merchant.address);
  const a = new Sender(alice.wallet, alice.address);
  const b = new Sender(bob.wallet, bob.address);
  const token = loadContract('LoyaltyToken');
  const escrow = loadContract('Escrow');
  const ti = new Interface(token.abi);
  const ei = new Interface(escrow.abi);
  const tokenAddress = getCreateAddress({ from: merchant.address, nonce: 0 }).toLowerCase() as Address;
  const escrowAddress = getCreateAddress({ from: merchant.address, nonce: 1 }).toLowerCase() as Address;
  const burnerAddress = getCreateAddress({ from: bob.address, nonce: 0 }).toLowerCase() as Address;
  const call = (s: Sender, to: Address, i: Interface, fn: string, args: unknown[], extra: TransactionRequest = {}): Promise<SignedTx> =>
    s.tx({ to, data: i.encodeFunctionData(fn, args), ...extra });
  const tokenSlot = '0x' + '00'.repeat(31) + '01';
  const txs = [
    await m.tx({ to: null, data: token.bytecode + ti.encodeDeploy(['Points', 'PTS', merchant.address]).slice(2) }),
    await m.tx({ to: null, data: escrow.bytecode }),
    await call(m, tokenAddress, ti, 'mint', [alice.address, 1_000n]),
    await call(a, tokenAddress, ti, 'transfer', [bob.address, 10n]),
    await call(a, tokenAddress, ti, 'transfer', [bob.address, 5_000n]), // custom-error revert
    await call(a, tokenAddress, ti, 'transfer', [bob.address, 1n], { gasLimit: 30_000n }), // out of gas
    await call(b, tokenAddress, ti, 'transfer', [alice.address, 10n]), // empties a slot: SSTORE refund
    await call(a, tokenAddress, ti, 'transfer', [bob.address, 3n], { type: 2, gasPrice: undefined, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: GWEI }),
    await call(a, tokenAddress, ti, 'transfer', [bob.address, 3n], { type: 1, accessList: [{ address: tokenAddress, storageKeys: [tokenSlot] }] }),
    await call(a, tokenAddress, ti, 'approve', [bob.address, 50n]),
    await call(b, tokenAddress, ti, 'transferFrom', [alice.address, bob.address, 20n]),
    await call(a, escrowAddress, ei, 'createOrder', [merchant.address, arbiter.address, TIME + 3600n, 86_400n, '0x' + 'ab'.repeat(32)], { value: 2n * CMT }),
    await call(a, escrowAddress, ei, 'markShipped', [1n, 'not the seller']), // revert with reason
    await call(m, escrowAddress, ei, 'markShipped', [1n, 'TRACK-1']),
    await call(a, escrowAddress, ei, 'confirmReceived', [1n]), // pays the seller from the contract
    await a.tx({ to: tokenAddress, value: CMT }), // no receive(): reverts, value returned
    await a.tx({ to: '0x0000000000000000000000000000000000000002', data: '0x68656c6c6f' }), // sha256 precompile
    await b.tx({ to: null, data: '0x30ff', value: CMT }), // ADDRESS SELFDESTRUCT in its own creation: 1 CMT destroyed
    await a.tx({ to: bob.address, value: 7n }), // plain transfer (native path)
    await a.tx({ to: bob.address, value: 7n, data: '0x' + '00ff'.repeat(200) }), // EIP-7623: pays the calldata floor
  ];
  // EIP-7702.
  const delegate = compileForDefaultTarget(DELEGATE_SOURCE, 'Delegate');
  const di = new Interface(delegate.abi);
  const delegateAddress = getCreateAddress({ from: merchant.address, nonce: m.nonce }).toLowerCase() as Address;
  txs.push(await m.tx({ to: null, data: delegate.bytecode }));
  txs.push(await m.tx({ to: delegateAddress, data: di.encodeFunctionData('ping', [1n]) })); // CLZ(1) = 255
  const type4 = { type: 4, gasPrice: undefined, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: GWEI } as const;
  const aliceAuth = await alice.wallet.authorize({ address: delegateAddress, nonce: a.nonce, chainId: 18n });
  const wrongChain = await arbiter.wallet.authorize({ address: delegateAddress, nonce: 0, chainId: 99n });
  const wrongNonce = await arbiter.wallet.authorize({ address: delegateAddress, nonce: 5, chainId: 18n });
  const anyChain = await arbiter.wallet.authorize({ address: tokenAddress, nonce: 0, chainId: 0n });
  // Bob sponsors: Alice's delegation applies, Arbiter's first two are skipped, his chain-0 one applies.
  txs.push(await b.tx({ ...type4, to: alice.address, data: di.encodeFunctionData('ping', [256n]), authorizationList: [aliceAuth, wrongChain, wrongNonce, anyChain] }));
  a.nonce++; // the authorization used one of Alice's nonces
  txs.push(await m.tx({ to: alice.address, data: di.encodeFunctionData('ping', [0n]), value: 3n })); // runs Delegate as Alice
  txs.push(await a.tx({ to: bob.address, value: 1n })); // a delegated account may still send (EIP-3607 exception)
  // A reused authorization (Alice's nonce moved on) is skipped; the call still runs.
  txs.push(await b.tx({ ...type4, to: alice.address, data: di.encodeFunctionData('ping', [2n]), authorizationList: [aliceAuth] }));
  // Self-sponsored clear: the sender's nonce is bumped before its own authorization is checked.
  const clear = await alice.wallet.authorize({ address: '0x0000000000000000000000000000000000000000', nonce: a.nonce + 1, chainId: 18n });
  txs.push(await a.tx({ ...type4, to: bob.address, value: 1n, authorizationList: [clear] }));
  txs.push(await m.tx({ to: alice.address, data: di.encodeFunctionData('ping', [0n]) })); // no code any more: a plain call
  return { txs, addresses: [merchant.address, alice.address, bob.address, arbiter.address, tokenAddress, escrowAddress, burnerAddress, delegateAddress] };
}

const FUNDS: Array<[Address, bigint]> = [
  [merchant.address, 100n * CMT],
  [alice.address, 50n * CMT],
  [bob.address, 20n * CMT],
];

describe('equivalence with stock @ethereumjs/vm runTx', () => {
  it('same status, gas, logs, return data, created addresses and end state', async () => {
    const { txs, addresses } = await scenario();

    // Ours.
    const state = new Overlay(EMPTY_STATE);
    const accounts = new Accounts(state);
    for (const [address, amount] of FUNDS) accounts.credit(address, amount);
    const chainRules = rules({}, 30_000_000n);
    const ours: TxOutcome[] = [];
    for (const tx of txs) ours.push(await executeTx(tx, state, chainRules, { height: HEIGHT, time: TIME }, noSystem));

    // Reference.
    const common = createCustomCommon({ chainId: 18 }, Mainnet, { hardfork: Hardfork.Osaka });
    const vm = await createVM({ common });
    for (const [address, amount] of FUNDS) await vm.stateManager.putAccount(new EthAddress(Buffer.from(address.slice(2), 'hex')), new Account(0n, amount));
    const block = createBlock(
      {
        header: {
          number: HEIGHT,
          timestamp: TIME,
          gasLimit: 30_000_000n,
          baseFeePerGas: 2n * GWEI,
          coinbase: FEE_POOL_ADDRESS,
          mixHash: prevRandaoOf(HEIGHT, undefined),
        },
      },
      { common },
    );
    const reference: RunTxResult[] = [];
    for (const tx of txs) reference.push(await runTx(vm, { tx: createTxFromRLP(tx.raw, { common }), block }));

    for (let i = 0; i < txs.length; i++) {
      const o = ours[i]!;
      const r = reference[i]!;
      const what = `tx ${i}`;
      assert.equal(o.receipt.status, r.execResult.exceptionError === undefined ? 1 : 0, `${what} status (${o.log})`);
      assert.equal(o.code === TxCode.Ok, r.execResult.exceptionError === undefined, what);
      assert.equal(o.gasUsed, r.totalGasSpent, `${what} gas`);
      assert.equal(hex(o.receipt.returnData), hex(r.execResult.returnValue), `${what} return data`);
      const refLogs = (r.execResult.exceptionError === undefined ? (r.execResult.logs ?? []) : []).map(([address, topics, data]) => [hex(address), topics.map(hex), hex(data)]);
      assert.deepEqual(
        o.receipt.logs.map((l) => [l.address, l.topics.map(hex), hex(l.data)]),
        refLogs,
        `${what} logs`,
      );
      if (txs[i]!.to === null) assert.equal(o.receipt.contractAddress, r.createdAddress?.toString(), `${what} created address`);
    }
    assert.ok(ours.some((o) => o.code === TxCode.Reverted) && ours.filter((o) => o.code === TxCode.Ok).length >= 12);
    // The delegation ran: CLZ results in the Ping events, the count kept in Alice's own storage.
    assert.equal(ours.at(-6)!.receipt.logs.length, 1, 'the sponsored type-4 call ran the delegate');
    assert.equal(BigInt(hex(ours.at(-6)!.receipt.logs[0]!.data.subarray(64, 96))), 255n - 8n, 'clz(256) = 247');
    assert.equal(ours.at(-1)!.receipt.logs.length, 0, 'after the clear Alice has no code');

    // End state: balances, nonces, code and every storage slot.
    for (const address of addresses) {
      const mine = accounts.get(address);
      const theirs = await vm.stateManager.getAccount(new EthAddress(Buffer.from(address.slice(2), 'hex')));
      assert.equal(mine.balance, theirs?.balance ?? 0n, `balance of ${address}`);
      assert.equal(mine.nonce, theirs?.nonce ?? 0n, `nonce of ${address}`);
      assert.equal(accounts.exists(address), theirs !== undefined, `existence of ${address}`);
      const theirCode = await vm.stateManager.getCode(new EthAddress(Buffer.from(address.slice(2), 'hex')));
      assert.equal(hex(readCode(state, mine.codeHash)), hex(theirCode), `code of ${address}`);
      const dump = theirs === undefined ? {} : await vm.stateManager.dumpStorage!(new EthAddress(Buffer.from(address.slice(2), 'hex')));
      const theirSlots = Object.keys(dump).length;
      const mySlots = state.sortedChanges().filter(([k, v]) => k.startsWith(`st/${address.slice(2)}/`) && v !== null).length;
      assert.equal(mySlots, theirSlots, `storage slot count of ${address}`);
    }
    // Storage values, slot by slot.
    for (const [key, value] of state.sortedChanges()) {
      if (!key.startsWith('st/') || value === null) continue;
      const [, addr, slot] = key.split('/');
      const theirs = await vm.stateManager.getStorage(new EthAddress(Buffer.from(addr!, 'hex')), Buffer.from(slot!, 'hex'));
      assert.equal(BigInt(hex(value)), BigInt(theirs.length === 0 ? 0 : hex(theirs)), key);
    }
    // The self-destructed contract's CMT is recorded as burned; all the rest is conserved.
    assert.equal(readSupply(state).burned, CMT);
    let balances = 0n;
    for (const [key, value] of state.sortedChanges()) if (key.startsWith('a/') && value !== null) balances += new Accounts(state).get(`0x${key.slice(2)}` as Address).balance;
    assert.equal(balances + readSupply(state).feePool + readSupply(state).burned, 170n * CMT);
  });
});
