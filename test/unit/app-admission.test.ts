/**
 * SPEC 9 block admission through the app itself, over a real LevelDB store:
 * free slots (common operations only, free_tx_slots per block, one per
 * sender) and the block gas limit (min of CometBFT max_gas and the param),
 * in CheckTx, PrepareProposal, ProcessProposal and FinalizeBlock.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestProcessProposal } from '../../src/abci/types.js';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { STAKING_ADDRESS } from '../../src/system/types.js';
import { getCreateAddress } from 'ethers';
import { TxCode } from '../../src/tx/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { benchAccounts, signLegacyTx, type BenchAccount } from '../../bench/lib/txgen.js';
import { finalizeRequest } from '../../bench/lib/app.js';

const CMT = 10n ** 18n;
/** JUMPDEST PUSH1 0 JUMP: loops until its gas runs out. */
const LOOP = '0x00000000000000000000000000000000000c0de1';
const NOBODY = '0x000000000000000000000000000000000000beef';

describe('block admission (SPEC 9)', () => {
  let dir: string;
  let store: CommittedStore;
  let app: CmtdApp;
  let height: bigint;
  const accounts: BenchAccount[] = benchAccounts(6, 'admission');
  const [a, b, c, d, poor1, poor2] = accounts as [BenchAccount, BenchAccount, BenchAccount, BenchAccount, BenchAccount, BenchAccount];

  async function start(params: Record<string, string | number>, maxGas: bigint): Promise<void> {
    store = await CommittedStore.open(join(dir, 'state.db'));
    app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
    await app.initChain({
      time: { seconds: 1_700_000_000n, nanos: 0 },
      chainId: 'test',
      consensusParams: { block: { maxBytes: 1_000_000n, maxGas } },
      validators: [],
      appStateBytes: Buffer.from(
        JSON.stringify({
          params,
          accounts: [a, b, c, d].map((x) => ({ address: x.address, balance: (100n * CMT).toString() })),
          contracts: [{ address: LOOP, code: '0x5b600056' }],
        }),
      ),
      initialHeight: 1n,
    });
    height = 0n;
    await block([]);
  }

  async function block(txs: Uint8Array[]): Promise<number[]> {
    height += 1n;
    const r = await app.finalizeBlock(finalizeRequest(height, txs));
    await app.commit();
    return r.txResults.map((x) => x.code);
  }

  function tx(from: BenchAccount, to: string, nonce: bigint, gasPrice: bigint, gasLimit = 21_000n, data?: Uint8Array): Uint8Array {
    return signLegacyTx(from, { to, nonce, gasPrice, gasLimit, ...(data === undefined ? {} : { data }) });
  }
  const free = (from: BenchAccount, to: string, nonce = 0n, gasLimit = 21_000n): Uint8Array => tx(from, to, nonce, 0n, gasLimit);
  const paid = (from: BenchAccount, to: string, nonce = 0n, gasLimit = 21_000n): Uint8Array => tx(from, to, nonce, 2_000_000_000n, gasLimit);

  async function nonceOf(address: string): Promise<bigint> {
    const r = await app.query({ path: `/account/${address}`, data: new Uint8Array(0), height: 0n, prove: false });
    return BigInt((JSON.parse(Buffer.from(r.value!).toString('utf8')) as { nonce: string }).nonce);
  }

  async function check(raw: Uint8Array): Promise<{ code: number; log: string }> {
    const r = await app.checkTx({ tx: raw, type: 'new' });
    return { code: r.code, log: r.log ?? '' };
  }

  function proposal(txs: Uint8Array[]): RequestProcessProposal {
    return {
      txs,
      proposedLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      hash: new Uint8Array(32),
      height: height + 1n,
      time: { seconds: 1_700_000_100n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    };
  }

  async function prepare(txs: Uint8Array[]): Promise<Uint8Array[]> {
    const { txs: out } = await app.prepareProposal({ ...proposal(txs), maxTxBytes: 1_000_000n, localLastCommit: { round: 0, votes: [] } });
    return out;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-admission-'));
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('the block gas limit is the smaller of max_gas and block_gas_limit', () => {
    for (const [maxGas, param, limit] of [
      [100_000n, 2_000_000n, 100_000n],
      [3_000_000n, 2_000_000n, 2_000_000n],
      [-1n, 1_000_000n, 1_000_000n],
    ] as const) {
      it(`max_gas ${maxGas}, block_gas_limit ${param}: CheckTx takes gas limit ${limit}, refuses ${limit + 1n} (code 8)`, async () => {
        await start({ block_gas_limit: param.toString() }, maxGas);
        assert.equal((await check(paid(a, NOBODY, 0n, limit))).code, TxCode.Ok);
        const over = await check(paid(b, NOBODY, 0n, limit + 1n));
        assert.equal(over.code, TxCode.BlockGasLimit, over.log);
        assert.match(over.log, new RegExp(`above the block gas limit ${limit}`));
      });
    }
  });

  describe('FinalizeBlock', () => {
    it('fills a block exactly to its gas limit, and refuses the next transaction with code 8', async () => {
      await start({}, 63_000n); // max_gas below the param: the smaller one binds
      const codes = await block([paid(a, NOBODY), paid(b, NOBODY), paid(c, NOBODY), paid(d, NOBODY)]);
      assert.deepEqual(codes, [TxCode.Ok, TxCode.Ok, TxCode.Ok, TxCode.BlockGasLimit]);
      assert.equal(await nonceOf(d.address), 0n, 'the refused transaction changed nothing');
    });

    it('counts the gas transactions used: a block of gas limits above the limit still runs what fits', async () => {
      await start({}, 100_000n); // max_gas below the param: the smaller one binds
      // Each asks for 50,000 but a plain transfer uses 21,000: 21k + 21k + 50k ≤ 100k, then 63k + 50k > 100k.
      const codes = await block([paid(a, NOBODY, 0n, 50_000n), paid(b, NOBODY, 0n, 50_000n), paid(c, NOBODY, 0n, 50_000n), paid(d, NOBODY, 0n, 50_000n)]);
      assert.deepEqual(codes, [TxCode.Ok, TxCode.Ok, TxCode.Ok, TxCode.BlockGasLimit]);
    });

    it('holds at most free_tx_slots zero-price transactions: the next gets code 11 and changes nothing', async () => {
      await start({ free_tx_slots: 2 }, -1n);
      const codes = await block([free(poor1, NOBODY), free(poor2, NOBODY), free(a, NOBODY), paid(b, NOBODY)]);
      assert.deepEqual(codes, [TxCode.Ok, TxCode.Ok, TxCode.FreeTxSlotsFull, TxCode.Ok]);
      assert.equal(await nonceOf(a.address), 0n);
      assert.equal(await nonceOf(poor2.address), 1n);
    });

    it('takes one zero-price transaction per sender per block', async () => {
      await start({}, -1n);
      const codes = await block([free(a, NOBODY, 0n), free(a, NOBODY, 1n), free(b, NOBODY, 0n)]);
      assert.deepEqual(codes, [TxCode.Ok, TxCode.FreeTxSlotsFull, TxCode.Ok]);
      assert.deepEqual(await block([free(a, NOBODY, 1n)]), [TxCode.Ok], 'the next block has a slot for it');
    });

    it('refuses zero-price calls into contract code and contract creation (code 9), takes zero-price system calls', async () => {
      await start({}, -1n);
      const create = signLegacyTx(a, { to: '0x', nonce: 0n, gasPrice: 0n, gasLimit: 100_000n, data: Uint8Array.from([0x00]) });
      const codes = await block([free(poor1, LOOP, 0n, 500_000n), create, free(b, STAKING_ADDRESS, 0n, 100_000n)]);
      assert.equal(codes[0], TxCode.GasPriceTooLow);
      assert.equal(codes[1], TxCode.GasPriceTooLow);
      // The staking call reverts (no calldata) but it ran: a common operation may use a free slot.
      assert.equal(codes[2], TxCode.Reverted);
      assert.equal(await nonceOf(poor1.address), 0n);
      assert.equal(await nonceOf(b.address), 1n);
    });
  });

  it('judges a zero-price transaction on the state it runs in: a call into code created earlier in the block is refused', async () => {
    await start({}, -1n);
    // PUSH1 1 PUSH1 0 RETURN: deploys the one-byte code 0x00.
    const create = signLegacyTx(a, { to: '0x', nonce: 0n, gasPrice: 2_000_000_000n, gasLimit: 100_000n, data: Uint8Array.from([0x60, 0x01, 0x60, 0x00, 0xf3]) });
    const created = getCreateAddress({ from: a.address, nonce: 0 }).toLowerCase();
    const call = free(poor1, created);
    assert.equal((await app.processProposal(proposal([create, call]))).status, 'accept', 'on committed state the address holds no code yet');
    assert.deepEqual(await block([create, call]), [TxCode.Ok, TxCode.GasPriceTooLow]);
    assert.equal(await nonceOf(poor1.address), 0n);
  });

  describe('CheckTx', () => {
    it('refuses zero-price transactions that are not common operations (code 9)', async () => {
      await start({}, -1n);
      const loop = await check(free(poor1, LOOP, 0n, 500_000n));
      assert.equal(loop.code, TxCode.GasPriceTooLow, loop.log);
      assert.match(loop.log, /zero-price transaction must be a plain transfer/);
      const create = await check(signLegacyTx(poor2, { to: '0x', nonce: 0n, gasPrice: 0n, gasLimit: 100_000n, data: Uint8Array.from([0x00]) }));
      assert.equal(create.code, TxCode.GasPriceTooLow, create.log);
      assert.equal((await check(free(a, NOBODY))).code, TxCode.Ok);
      assert.equal((await check(free(b, STAKING_ADDRESS, 0n, 100_000n))).code, TxCode.Ok);
      assert.equal((await check(paid(c, LOOP, 0n, 500_000n))).code, TxCode.Ok, 'the same call pays and is welcome');
    });
  });

  describe('PrepareProposal and ProcessProposal', () => {
    it('PrepareProposal keeps one free transaction per sender, drops the sender’s later ones, and stops at the block gas limit', async () => {
      await start({}, 84_000n); // max_gas below the param: the smaller one binds
      const txs = [free(a, NOBODY, 0n), free(a, NOBODY, 1n), paid(a, NOBODY, 2n), free(poor1, LOOP, 0n, 100_000n), paid(b, NOBODY), paid(c, NOBODY), paid(d, NOBODY)];
      const out = await prepare(txs);
      assert.deepEqual(
        out.map((t) => Buffer.from(t).toString('hex')),
        [txs[0]!, txs[4]!, txs[5]!, txs[6]!].map((t) => Buffer.from(t).toString('hex')),
      );
      assert.equal((await app.processProposal(proposal(out))).status, 'accept');
    });

    it('PrepareProposal puts each sender’s transactions in nonce order from its committed nonce, leaving stale and unreachable nonces out', async () => {
      await start({}, -1n);
      assert.deepEqual(await block([paid(c, NOBODY, 0n)]), [TxCode.Ok]); // c's committed nonce is 1
      // The mempool order CometBFT's gRPC client can produce: later nonces before earlier ones.
      const [a0, a1, a2, a3, a5] = [0n, 1n, 2n, 3n, 5n].map((n) => paid(a, NOBODY, n)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      const [b0, b1] = [paid(b, NOBODY, 0n), paid(b, NOBODY, 1n)];
      const [c0, c1] = [paid(c, NOBODY, 0n), paid(c, NOBODY, 1n)];
      const hex = (t: Uint8Array): string => Buffer.from(t).toString('hex');
      const out = await prepare([a1, b1, a0, c0, b0, a3, c1, a5, a2]);
      assert.deepEqual(out.map(hex), [a0, a1, b0, b1, c1, a2, a3].map(hex), 'a1 waits for a0, b1 for b0, a3 for a2; c0 is stale; a5 has no a4 before it');
      assert.equal((await app.processProposal(proposal(out))).status, 'accept');
      assert.deepEqual(await block(out), [TxCode.Ok, TxCode.Ok, TxCode.Ok, TxCode.Ok, TxCode.Ok, TxCode.Ok, TxCode.Ok], 'every proposed transaction runs');
      assert.equal(await nonceOf(a.address), 4n);
    });

    it('ProcessProposal accepts gas limits summing exactly to the limit and rejects one gas more', async () => {
      await start({}, 63_000n); // max_gas below the param: the smaller one binds
      assert.equal((await app.processProposal(proposal([paid(a, NOBODY), paid(b, NOBODY), paid(c, NOBODY)]))).status, 'accept');
      assert.equal((await app.processProposal(proposal([paid(a, NOBODY), paid(b, NOBODY), paid(c, NOBODY, 0n, 21_001n)]))).status, 'reject');
    });

    it('ProcessProposal rejects a zero-price call into code, two free transactions of one sender, and free slots over the cap', async () => {
      await start({ free_tx_slots: 2 }, -1n);
      assert.equal((await app.processProposal(proposal([free(poor1, LOOP, 0n, 500_000n)]))).status, 'reject');
      assert.equal((await app.processProposal(proposal([free(a, NOBODY, 0n), free(a, NOBODY, 1n)]))).status, 'reject');
      assert.equal((await app.processProposal(proposal([free(a, NOBODY), free(b, NOBODY)]))).status, 'accept');
      assert.equal((await app.processProposal(proposal([free(a, NOBODY), free(b, NOBODY), free(c, NOBODY)]))).status, 'reject');
    });
  });
});
