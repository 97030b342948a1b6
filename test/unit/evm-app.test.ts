/**
 * The EVM inside the ABCI application: genesis contracts (code, storage,
 * balance, genesis supply), contract transactions in FinalizeBlock, the
 * block context the code sees (NUMBER, TIMESTAMP, COINBASE, PREVRANDAO,
 * BASEFEE, GASLIMIT, CHAINID, BLOCKHASH) and state that survives Commit and
 * a reopen of the store.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interface, getBytes, getCreateAddress } from 'ethers';
import { CmtdApp } from '../../src/app/app.js';
import { parseAppGenesis } from '../../src/app/genesis.js';
import { writeBaseGenesis, type ChainModules } from '../../src/app/modules.js';
import { chainReads } from '../../src/app/wiring.js';
import { Accounts } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { DEFAULT_PARAMS } from '../../src/state/params.js';
import { readSupply } from '../../src/state/supply.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { Overlay } from '../../src/store/kv.js';
import { decodeReceipt } from '../../src/tx/receipt.js';
import { ethCall, type CallContext } from '../../src/tx/call.js';
import { compileSolidity } from '../support/contracts.js';
import { FEE_POOL_ADDRESS, prevRandaoOf } from '../../src/evm/engine.js';
import { silentLogger } from '../../src/util/logger.js';
import { CMT, GWEI, Sender, noSystem, wallet } from '../support/evm.js';

const PROBE_SOURCE = `
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
contract BlockProbe {
    uint256 public stored;
    uint256 public lastNumber;
    bytes32 public lastHash;
    uint256 public lastRandao;
    address public lastCoinbase;
    uint256 public lastBaseFee;
    uint256 public lastGasLimit;
    uint256 public lastChainId;
    uint256 public lastTimestamp;
    uint256 public lastGasPrice;
    function record() external {
        lastNumber = block.number;
        lastHash = blockhash(block.number - 1);
        lastRandao = block.prevrandao;
        lastCoinbase = block.coinbase;
        lastBaseFee = block.basefee;
        lastGasLimit = block.gaslimit;
        lastChainId = block.chainid;
        lastTimestamp = block.timestamp;
        lastGasPrice = tx.gasprice;
    }
    function hashOf(uint256 n) external view returns (bytes32) { return blockhash(n); }
    function set(uint256 v) external { stored = v; }
}`;

const PROBE: Address = '0x000000000000000000000000000000000000c0de';
const alice = wallet(31);
const T0 = 1_700_000_000n;
const MAX_GAS = 10_000_000n;

function blockHash(height: bigint): Uint8Array {
  return new Uint8Array(32).fill(Number(height));
}

const modules: ChainModules = {
  initGenesis(state, genesis) {
    writeBaseGenesis(state, genesis);
    return [];
  },
  beginBlock() {},
  endBlock: () => [],
  resolveSystem: noSystem,
  reads: chainReads,
};

describe('EVM in the application', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-evm-app-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const probe = compileSolidity(PROBE_SOURCE, 'BlockProbe');
  const iface = new Interface(probe.abi);
  const appState = {
    params: { chain_id: '18' },
    accounts: [{ address: alice.address, balance: (100n * CMT).toString() }],
    contracts: [{ address: PROBE, code: probe.deployedBytecode, storage: { '0x0': '0x2a' }, balance: '5' }],
  };

  async function runBlock(app: CmtdApp, height: bigint, txs: Uint8Array[]) {
    const response = await app.finalizeBlock({
      txs,
      decidedLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      hash: blockHash(height),
      height,
      time: { seconds: T0 + height * 10n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    });
    await app.commit();
    return response;
  }

  async function read(store: CommittedStore, fn: string, args: unknown[] = [], height = store.height): Promise<unknown> {
    const ctx: CallContext = { height, time: T0 + height * 10n, params: { ...DEFAULT_PARAMS }, blockGasLimit: MAX_GAS };
    const r = await ethCall(new Overlay(store), { to: PROBE, data: getBytes(iface.encodeFunctionData(fn, args)) }, ctx, noSystem);
    assert.ok(r.success, r.error);
    return iface.decodeFunctionResult(fn, r.returnData)[0];
  }

  it('parses genesis contracts strictly', () => {
    const parsed = parseAppGenesis(Buffer.from(JSON.stringify(appState)));
    assert.equal(parsed.contracts.length, 1);
    assert.equal(parsed.contracts[0]!.balance, 5n);
    assert.deepEqual(
      parsed.contracts[0]!.storage.map(([slot, value]) => [Buffer.from(slot).toString('hex'), Buffer.from(value).toString('hex')]),
      [['00'.repeat(32), '2a']],
    );
    const bad = (contracts: unknown, pattern: RegExp) => assert.throws(() => parseAppGenesis(Buffer.from(JSON.stringify({ ...appState, contracts }))), pattern);
    bad([{ address: PROBE, code: '0x' }], /needs code/);
    bad([{ address: PROBE, code: '0x6' }], /whole bytes/);
    bad([{ address: PROBE, code: '0x00', storage: { '0x1': '0x' + '11'.repeat(33) } }], /at most 32 bytes/);
    bad([{ address: PROBE, code: '0x00', colour: 'red' }], /unknown field/);
    bad([{ address: '0x0000000000000000000000000000000000001000', code: '0x00' }], /reserved/);
    bad([{ address: alice.address, code: '0x00' }], /both accounts and contracts/);
    bad(
      [
        { address: PROBE, code: '0x00' },
        { address: PROBE, code: '0x00' },
      ],
      /appears twice/,
    );
  });

  it('writes genesis contracts, runs contract transactions in blocks and keeps them across a reopen', async () => {
    let store = await CommittedStore.open(join(dir, 'db'));
    let app = new CmtdApp({ store, modules, logger: silentLogger() });
    await app.initChain({
      time: { seconds: T0, nanos: 0 },
      chainId: 'evm-test',
      consensusParams: { block: { maxBytes: 1_000_000n, maxGas: MAX_GAS } },
      validators: [],
      appStateBytes: Buffer.from(JSON.stringify(appState)),
      initialHeight: 1n,
    });
    const a = new Sender(alice.wallet, alice.address);
    const raw = async (request: Parameters<Sender['tx']>[0]): Promise<Uint8Array> => (await a.tx(request)).raw;

    // Block 1: a call to the genesis contract and a deployment.
    const r1 = await runBlock(app, 1n, [await raw({ to: PROBE, data: iface.encodeFunctionData('set', [7n]) }), await raw({ to: null, data: probe.bytecode })]);
    assert.deepEqual(
      r1.txResults.map((r) => r.code),
      [0, 0],
      r1.txResults.map((r) => r.log).join('; '),
    );
    const deployed = getCreateAddress({ from: alice.address, nonce: 1 }).toLowerCase();
    assert.equal(decodeReceipt(r1.txResults[1]!.data!).contractAddress, deployed);
    assert.equal(readSupply(store).genesis, 100n * CMT + 5n, 'genesis supply counts contract balances');
    assert.equal(new Accounts(new Overlay(store)).balance(PROBE), 5n);
    assert.equal(await read(store, 'stored'), 7n);

    // Blocks 2 and 3: record the block context.
    await runBlock(app, 2n, []);
    const r3 = await runBlock(app, 3n, [
      await raw({ to: PROBE, data: iface.encodeFunctionData('record'), type: 2, gasPrice: undefined, maxFeePerGas: 4n * GWEI, maxPriorityFeePerGas: GWEI }),
    ]);
    assert.equal(r3.txResults[0]!.code, 0, r3.txResults[0]!.log);
    assert.equal(await read(store, 'lastNumber'), 3n);
    assert.equal(await read(store, 'lastTimestamp'), T0 + 30n);
    assert.equal(await read(store, 'lastHash'), `0x${Buffer.from(blockHash(2n)).toString('hex')}`);
    assert.equal(await read(store, 'lastRandao'), BigInt(`0x${Buffer.from(prevRandaoOf(3n, blockHash(3n))).toString('hex')}`));
    assert.equal(String(await read(store, 'lastCoinbase')).toLowerCase(), FEE_POOL_ADDRESS);
    assert.equal(await read(store, 'lastBaseFee'), 2n * GWEI, 'BASEFEE is min_gas_price');
    assert.equal(await read(store, 'lastGasPrice'), 3n * GWEI, 'EIP-1559: base fee + tip');
    assert.equal(await read(store, 'lastGasLimit'), MAX_GAS);
    assert.equal(await read(store, 'lastChainId'), 18n);
    // BLOCKHASH: the ring holds recent blocks; the current and future blocks answer zero.
    assert.equal(await read(store, 'hashOf', [1n]), `0x${Buffer.from(blockHash(1n)).toString('hex')}`);
    assert.equal(await read(store, 'hashOf', [3n]), `0x${'00'.repeat(32)}`);
    assert.equal(new Accounts(new Overlay(store)).balance(FEE_POOL_ADDRESS), 0n, 'fees go to the pool, not the coinbase');

    const appHash = store.appHash;
    await store.close();
    store = await CommittedStore.open(join(dir, 'db'));
    assert.deepEqual(store.appHash, appHash);
    app = new CmtdApp({ store, modules, logger: silentLogger() });
    assert.equal(await read(store, 'stored'), 7n);
    const r4 = await runBlock(app, 4n, [await raw({ to: PROBE, data: iface.encodeFunctionData('set', [8n]) })]);
    assert.equal(r4.txResults[0]!.code, 0);
    assert.equal(await read(store, 'stored'), 8n);
    await store.close();
  });
});
