/**
 * The EVM through the transaction executor: the OpenZeppelin ERC-20
 * LoyaltyToken deployed and used with real signed transactions, receipts and
 * logs, failures that still pay gas, persistence through a real
 * CommittedStore, determinism and CMT conservation.
 */
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBytes, id as topicOf, zeroPadValue } from 'ethers';
import { Accounts } from '../../src/state/accounts.js';
import { readSupply } from '../../src/state/supply.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { Overlay } from '../../src/store/kv.js';
import { TxCode } from '../../src/tx/errors.js';
import { executeTx } from '../../src/tx/executor.js';
import { decodeReceipt, encodeReceipt } from '../../src/tx/receipt.js';
import { ethCall } from '../../src/tx/call.js';
import { FEE_POOL_ADDRESS } from '../../src/evm/engine.js';
import { CMT, EMPTY_STATE, GWEI, Sender, deploy, noSystem, rules, send, sumBalances, wallet, type Chain, type Deployed } from '../support/evm.js';

const merchant = wallet(1);
const alice = wallet(2);
const bob = wallet(3);
const TRANSFER = topicOf('Transfer(address,address,uint256)');

function topicAddress(address: string): string {
  return zeroPadValue(address, 32).toLowerCase();
}

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

async function newChain(): Promise<{ chain: Chain; state: Overlay; m: Sender; a: Sender }> {
  const state = new Overlay(EMPTY_STATE);
  const accounts = new Accounts(state);
  accounts.credit(merchant.address, 100n * CMT);
  accounts.credit(alice.address, 10n * CMT);
  const chain: Chain = { state, rules: rules(), block: { height: 7n, time: 1_700_000_000n }, resolveSystem: noSystem };
  return { chain, state, m: new Sender(merchant.wallet, merchant.address), a: new Sender(alice.wallet, alice.address) };
}

async function balanceOf(state: Overlay, token: Deployed, who: string): Promise<bigint> {
  const r = await ethCall(
    state,
    { to: token.address, data: getBytes(token.iface.encodeFunctionData('balanceOf', [who])) },
    { height: 7n, time: 1_700_000_000n, params: rules().params, blockGasLimit: 30_000_000n },
    noSystem,
  );
  assert.ok(r.success, r.error);
  return token.iface.decodeFunctionResult('balanceOf', r.returnData)[0] as bigint;
}

describe('ERC-20 LoyaltyToken through executeTx', () => {
  let chain: Chain;
  let state: Overlay;
  let m: Sender;
  let a: Sender;
  let token: Deployed;

  beforeEach(async () => {
    ({ chain, state, m, a } = await newChain());
    token = await deploy(chain, m, 'LoyaltyToken', ['Shop Points', 'PTS', merchant.address]);
  });

  it('deploys: receipt has the contract address, code is stored by hash, the fee is in the pool', () => {
    const { outcome } = token;
    assert.equal(outcome.code, TxCode.Ok, outcome.log);
    assert.equal(outcome.receipt.contractAddress, token.address);
    const account = new Accounts(state).get(token.address);
    assert.equal(account.codeHash.length, 32);
    assert.equal(account.nonce, 1n, 'EIP-161: a new contract starts at nonce 1');
    const code = state.get(`code/${Buffer.from(account.codeHash).toString('hex')}`);
    assert.equal(hex(code!), token.contract.deployedBytecode);
    assert.equal(readSupply(state).feePool, outcome.gasUsed * 2n * GWEI);
    assert.equal(new Accounts(state).balance(merchant.address), 100n * CMT - outcome.fee);
    // OwnershipTransferred(0, merchant) from the Ownable constructor.
    assert.equal(outcome.receipt.logs.length, 1);
    assert.equal(outcome.receipt.logs[0]!.address, token.address);
  });

  it('mints and transfers with Transfer events in the receipts', async () => {
    const minted = await send(chain, m, token, 'mint', [alice.address, 500n]);
    assert.equal(minted.code, TxCode.Ok, minted.log);
    const transfer = await send(chain, a, token, 'transfer', [bob.address, 120n]);
    assert.equal(transfer.code, TxCode.Ok, transfer.log);
    const receipt = decodeReceipt(encodeReceipt(transfer.receipt));
    assert.equal(receipt.status, 1);
    assert.equal(receipt.logs.length, 1);
    const log = receipt.logs[0]!;
    assert.equal(log.address, token.address);
    assert.deepEqual(log.topics.map(hex), [TRANSFER, topicAddress(alice.address), topicAddress(bob.address)]);
    assert.equal(BigInt(hex(log.data)), 120n);
    const parsed = token.iface.parseLog({ topics: log.topics.map(hex), data: hex(log.data) });
    assert.equal(parsed?.name, 'Transfer');
    assert.equal(await balanceOf(state, token, alice.address), 380n);
    assert.equal(await balanceOf(state, token, bob.address), 120n);
    // 21,000 + calldata + a cold SSTORE to a fresh slot and a warm one: the usual ~51k of an ERC-20 transfer.
    assert.ok(transfer.gasUsed > 45_000n && transfer.gasUsed < 56_000n, `gas ${transfer.gasUsed}`);
  });

  it('reverts a transfer above the balance: custom error returned, state unchanged, gas paid, nonce used', async () => {
    await send(chain, m, token, 'mint', [alice.address, 10n]);
    const before = new Accounts(state).get(alice.address);
    const storageBefore = state.sortedChanges().filter(([k]) => k.startsWith('st/'));
    const outcome = await send(chain, a, token, 'transfer', [bob.address, 11n]);
    assert.equal(outcome.code, TxCode.Reverted);
    assert.equal(outcome.receipt.status, 0);
    assert.equal(outcome.receipt.logs.length, 0);
    assert.match(outcome.log, /execution reverted/);
    const err = token.iface.parseError(hex(outcome.receipt.returnData));
    assert.equal(err?.name, 'ERC20InsufficientBalance');
    assert.deepEqual([String(err!.args[0]).toLowerCase(), err!.args[1], err!.args[2]], [alice.address, 10n, 11n]);
    assert.ok(outcome.gasUsed > 21_000n && outcome.gasUsed < 60_000n);
    const after = new Accounts(state).get(alice.address);
    assert.equal(after.nonce, before.nonce + 1n);
    assert.equal(after.balance, before.balance - outcome.fee);
    assert.deepEqual(
      state.sortedChanges().filter(([k]) => k.startsWith('st/')),
      storageBefore,
    );
    assert.equal(await balanceOf(state, token, alice.address), 10n);
  });

  it('refuses a mint by someone other than the merchant (OwnableUnauthorizedAccount)', async () => {
    const outcome = await send(chain, a, token, 'mint', [alice.address, 1n]);
    assert.equal(outcome.code, TxCode.Reverted);
    assert.equal(token.iface.parseError(hex(outcome.receipt.returnData))?.name, 'OwnableUnauthorizedAccount');
  });

  it('runs out of gas: the whole gas limit is charged and nothing else changes', async () => {
    await send(chain, m, token, 'mint', [alice.address, 10n]);
    const feeBefore = readSupply(state).feePool;
    const outcome = await send(chain, a, token, 'transfer', [bob.address, 1n], { gasLimit: 30_000n });
    assert.equal(outcome.code, TxCode.Reverted);
    assert.match(outcome.log, /out of gas/);
    assert.equal(outcome.gasUsed, 30_000n);
    assert.equal(outcome.fee, 30_000n * 2n * GWEI);
    assert.equal(readSupply(state).feePool - feeBefore, outcome.fee);
    assert.equal(await balanceOf(state, token, bob.address), 0n);
  });

  it('conserves CMT: Σ balances + fee pool is unchanged by EVM transactions, to the wei', async () => {
    const total = (): bigint => sumBalances(state.sortedChanges()) + readSupply(state).feePool;
    const start = 110n * CMT;
    assert.equal(total(), start);
    await send(chain, m, token, 'mint', [alice.address, 1000n]);
    await send(chain, a, token, 'transfer', [bob.address, 1n]);
    await send(chain, a, token, 'transfer', [bob.address, 10_000n]); // reverts
    await send(chain, a, token, 'transfer', [bob.address, 1n], { gasLimit: 25_000n }); // out of gas
    await send(chain, a, token, 'transfer', [bob.address, 1n], { type: 2, gasPrice: undefined, maxFeePerGas: 9n * GWEI, maxPriorityFeePerGas: GWEI });
    // CMT sent along with a call to a non-payable function is returned by the revert.
    await send(chain, a, token, 'transfer', [bob.address, 1n], { value: CMT });
    assert.equal(total(), start);
    assert.equal(readSupply(state).burned, 0n);
    assert.equal(new Accounts(state).balance(FEE_POOL_ADDRESS), 0n, 'nothing is paid to the coinbase');
  });
});

describe('EVM state in the committed store', () => {
  it('survives commit and reopen, and the app hash commits to contract storage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmtd-evm-'));
    try {
      let store = await CommittedStore.open(join(dir, 'db'));
      const block1 = new Overlay(store);
      new Accounts(block1).credit(merchant.address, 100n * CMT);
      const chain: Chain = { state: block1, rules: rules(), block: { height: 1n, time: 1_700_000_000n }, resolveSystem: noSystem };
      const m = new Sender(merchant.wallet, merchant.address);
      const token = await deploy(chain, m, 'LoyaltyToken', ['Shop Points', 'PTS', merchant.address]);
      await send(chain, m, token, 'mint', [alice.address, 42n]);
      let pending = store.computeRoot(block1.sortedChanges());
      await store.commit(1n, pending, pending.root);
      const root1 = store.appHash;
      await store.close();

      store = await CommittedStore.open(join(dir, 'db'));
      assert.deepEqual(store.appHash, root1);
      const block2 = new Overlay(store);
      assert.equal(await balanceOf(block2, token, alice.address), 42n);
      const chain2: Chain = { ...chain, state: block2, block: { height: 2n, time: 1_700_000_010n } };
      const m2 = new Sender(merchant.wallet, merchant.address);
      m2.nonce = 2;
      const outcome = await send(chain2, m2, token, 'mint', [alice.address, 1n]);
      assert.equal(outcome.code, TxCode.Ok, outcome.log);
      pending = store.computeRoot(block2.sortedChanges());
      assert.notDeepEqual(pending.root, root1, 'a storage write changes the app hash');
      await store.commit(2n, pending, pending.root);
      assert.equal(await balanceOf(new Overlay(store), token, alice.address), 43n);
      // A Merkle proof of a storage slot against the app hash.
      const slotKey = [...block2.sortedChanges()].find(([k]) => k.startsWith('st/'))![0];
      const proof = store.prove(slotKey);
      assert.ok(CommittedStore.verifyProof(store.appHash, slotKey, store.get(slotKey), proof));
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('EVM determinism', () => {
  it('two executions of the same transactions give identical outcomes and sorted changes', async () => {
    const { chain } = await newChain();
    const m = new Sender(merchant.wallet, merchant.address);
    const a = new Sender(alice.wallet, alice.address);
    const token = await deploy(chain, m, 'LoyaltyToken', ['Shop Points', 'PTS', merchant.address]);
    // The same signed transactions, from the same nonces, for both runs.
    const m2 = new Sender(merchant.wallet, merchant.address);
    const signed = [
      await m2.tx({ to: null, data: token.contract.bytecode + token.iface.encodeDeploy(['Shop Points', 'PTS', merchant.address]).slice(2) }),
      await m2.tx({ to: token.address, data: token.iface.encodeFunctionData('mint', [alice.address, 100n]) }),
    ];
    for (let i = 0; i < 5; i++) signed.push(await a.tx({ to: token.address, data: token.iface.encodeFunctionData('transfer', [wallet(10 + i).address, BigInt(i * 7)]) }));
    signed.push(await a.tx({ to: token.address, data: token.iface.encodeFunctionData('transfer', [bob.address, 10_000n]) }));

    const runs = [];
    for (let r = 0; r < 2; r++) {
      const fresh = await newChain();
      const outcomes = [];
      for (const tx of signed) {
        const o = await executeTx(tx, fresh.state, fresh.chain.rules, fresh.chain.block, noSystem);
        outcomes.push([o.code, o.gasUsed, hex(encodeReceipt(o.receipt))]);
      }
      runs.push({ outcomes, changes: fresh.state.sortedChanges().map(([k, v]) => [k, v === null ? null : hex(v)]) });
    }
    assert.deepEqual(runs[0], runs[1]);
    assert.equal(runs[0]!.outcomes.filter(([code]) => code === TxCode.Ok).length, 7);
    assert.equal(runs[0]!.outcomes[7]![0], TxCode.Reverted);
  });
});
