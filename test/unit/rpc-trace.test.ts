/**
 * debug_trace* (src/rpc/trace.ts, tracers.ts) against Hardhat's own network:
 * the same signed transactions run on the gateway's chain and on Hardhat
 * (in-process EDR, the hard fork cmtd's EVM runs); the default struct-logger
 * traces of a contract whose inner call reverts must be equal step by step
 * (op, pc, gas, gasCost, depth, stack, memory, storage; failed, gas,
 * returnValue), and the callTracer frames must agree with the struct log
 * (callee, gas given and used, revert reason).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Interface, Transaction } from 'ethers';
import { compileSolidity } from '../support/contracts.js';
import type { CallFrame, StructLoggerResult } from '../../src/rpc/tracers.js';
import { decodeRevertReason } from '../../src/system/revert.js';
import { CMT, GWEI, LOGGER_ADDRESS, startHarness, type Harness } from '../support/rpc-harness.js';
import { hardhatNetwork, type Eip1193 } from '../support/hardhat-network.js';

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Inner {
  uint256 public x;
  function fail(uint256 v) external { x = v; require(v == 0, "inner says no"); }
}
contract Outer {
  Inner inner;
  uint256 public y;
  constructor(Inner i) { inner = i; }
  function catching(uint256 v) external { y = y + 1; try inner.fail(v) { y = 2; } catch { y = y + 3; } }
  function bubbling(uint256 v) external { y = 5; inner.fail(v); }
}`;

describe('debug_trace* against Hardhat', { timeout: 180_000 }, () => {
  let h: Harness;
  let hardhat: Eip1193;
  const hashes: Record<string, string> = {};
  let innerAddress: string;
  let outerAddress: string;
  const outer = compileSolidity(SOURCE, 'Outer');
  const inner = compileSolidity(SOURCE, 'Inner');
  const abi = new Interface(outer.abi);

  const ok = async (method: string, params: unknown[]): Promise<unknown> => {
    const r = await h.rpc(method, params);
    assert.equal(r.error, undefined, `${method}: ${JSON.stringify(r.error)}`);
    return r.result;
  };

  before(async () => {
    h = await startHarness();
    await h.block();
    const wallet = h.wallets[0]!;
    hardhat = await hardhatNetwork({ accounts: [{ privateKey: wallet.privateKey, balance: 1_000n * CMT }] });
    let nonce = 0;
    const sign = (tx: { to?: string; data: string }): Promise<string> =>
      wallet.signTransaction({ chainId: 18n, type: 2, nonce: nonce++, gasLimit: 2_000_000n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 0n, ...tx });
    /** Sends the raw transactions to both chains: one cmtd block, one Hardhat block each. */
    const both = async (raws: string[]): Promise<void> => {
      for (const raw of raws) await ok('eth_sendRawTransaction', [raw]);
      await h.block();
      for (const raw of raws) await hardhat.request({ method: 'eth_sendRawTransaction', params: [raw] });
    };
    const deployInner = await sign({ data: inner.bytecode });
    await both([deployInner]);
    innerAddress = ((await ok('eth_getTransactionReceipt', [Transaction.from(deployInner).hash])) as { contractAddress: string }).contractAddress;
    const deployOuter = await sign({ data: outer.bytecode + innerAddress.slice(2).padStart(64, '0') });
    await both([deployOuter]);
    outerAddress = ((await ok('eth_getTransactionReceipt', [Transaction.from(deployOuter).hash])) as { contractAddress: string }).contractAddress;
    // Two calls in one cmtd block: the second is traced after replaying the first.
    const catching = await sign({ to: outerAddress, data: abi.encodeFunctionData('catching', [7]) });
    const bubbling = await sign({ to: outerAddress, data: abi.encodeFunctionData('bubbling', [7]) });
    await both([catching, bubbling]);
    hashes.catching = Transaction.from(catching).hash!;
    hashes.bubbling = Transaction.from(bubbling).hash!;
    const receipt = (await ok('eth_getTransactionReceipt', [hashes.bubbling])) as { status: string; blockNumber: string };
    assert.equal(receipt.status, '0x0');
    assert.equal(((await ok('eth_getTransactionReceipt', [hashes.catching])) as { blockNumber: string }).blockNumber, receipt.blockNumber);
  });
  after(async () => {
    await h?.cleanup();
  });

  for (const name of ['catching', 'bubbling']) {
    it(`the struct log of ${name}() equals Hardhat's, step by step`, async () => {
      const ours = (await ok('debug_traceTransaction', [hashes[name], { enableMemory: true }])) as StructLoggerResult;
      const theirs = (await hardhat.request({ method: 'debug_traceTransaction', params: [hashes[name]] })) as StructLoggerResult;
      assert.equal(ours.failed, theirs.failed);
      assert.equal(ours.failed, name === 'bubbling');
      assert.equal(ours.gas, theirs.gas);
      assert.equal(ours.returnValue, theirs.returnValue);
      assert.ok(ours.structLogs.length > 100, `a real trace (${ours.structLogs.length} steps)`);
      assert.equal(ours.structLogs.length, theirs.structLogs.length);
      assert.ok(ours.structLogs.some((l) => l.depth === 2) && ours.structLogs.some((l) => l.op === 'REVERT' && l.depth === 2));
      ours.structLogs.forEach((a, i) => {
        const b = theirs.structLogs[i]!;
        const at = `step ${i} (${b.op} at pc ${b.pc}, depth ${b.depth})`;
        assert.deepEqual({ op: a.op, pc: a.pc, gas: a.gas, gasCost: a.gasCost, depth: a.depth }, { op: b.op, pc: b.pc, gas: b.gas, gasCost: b.gasCost, depth: b.depth }, at);
        assert.deepEqual(
          a.stack!.map(BigInt),
          b.stack!.map((v) => BigInt(`0x${v}`)),
          `${at}: stack`,
        );
        assert.deepEqual(a.memory, b.memory, `${at}: memory`);
        if (a.op === 'SLOAD' || a.op === 'SSTORE') assert.deepEqual(a.storage, b.storage, `${at}: storage`);
        else assert.equal(a.storage, undefined, `${at}: storage only on SLOAD / SSTORE (geth)`);
      });
    });
  }

  it('leaves out the stack and storage on request, and memory by default (geth defaults)', async () => {
    const full = (await ok('debug_traceTransaction', [hashes.bubbling])) as StructLoggerResult;
    assert.ok(full.structLogs.every((l) => l.memory === undefined && l.stack !== undefined));
    const bare = (await ok('debug_traceTransaction', [hashes.bubbling, { disableStack: true, disableStorage: true }])) as StructLoggerResult;
    assert.equal(bare.structLogs.length, full.structLogs.length);
    assert.ok(bare.structLogs.every((l) => l.stack === undefined && l.storage === undefined));
    const limited = (await ok('debug_traceTransaction', [hashes.bubbling, { limit: 10 }])) as StructLoggerResult;
    assert.equal(limited.structLogs.length, 10);
  });

  it('gives callTracer frames that agree with the struct log: callee, gas given and used, revert reason', async () => {
    const log = ((await ok('debug_traceTransaction', [hashes.bubbling, { enableMemory: true }])) as StructLoggerResult).structLogs;
    const top = (await ok('debug_traceTransaction', [hashes.bubbling, { tracer: 'callTracer' }])) as CallFrame;
    const receipt = (await ok('eth_getTransactionReceipt', [hashes.bubbling])) as { gasUsed: string; from: string };
    assert.equal(top.type, 'CALL');
    assert.equal(top.from, receipt.from);
    assert.equal(top.to, outerAddress.toLowerCase());
    assert.equal(top.gas, '0x1e8480');
    assert.equal(top.gasUsed, receipt.gasUsed);
    assert.equal(top.error, 'execution reverted');
    assert.equal(top.revertReason, 'inner says no');
    assert.equal(top.calls?.length, 1);
    const call = top.calls![0]!;

    const callStep = log.findIndex((l) => l.op === 'CALL');
    const stack = log[callStep]!.stack!;
    assert.equal(call.type, 'CALL');
    assert.equal(call.from, outerAddress.toLowerCase());
    assert.equal(BigInt(call.to!), BigInt(stack[stack.length - 2]!), 'the callee is the CALL step address argument');
    assert.equal(call.to, innerAddress.toLowerCase());
    const innerSteps = log.filter((l) => l.depth === 2);
    assert.equal(BigInt(call.gas), BigInt(innerSteps[0]!.gas), 'gas given = gas at the first inner step');
    assert.equal(BigInt(call.gasUsed), BigInt(innerSteps.reduce((sum, l) => sum + l.gasCost, 0)), 'gas used = the inner steps’ costs');
    assert.equal(call.error, 'execution reverted');
    assert.equal(call.revertReason, 'inner says no');
    // The reason the REVERT step hands back, read from its memory.
    const revert = innerSteps[innerSteps.length - 1]!;
    assert.equal(revert.op, 'REVERT');
    const [offset, size] = [Number(BigInt(revert.stack!.at(-1)!)), Number(BigInt(revert.stack!.at(-2)!))];
    const memory = Buffer.from(revert.memory!.join(''), 'hex');
    assert.equal(decodeRevertReason(memory.subarray(offset, offset + size)), call.revertReason);
    assert.equal(call.output, `0x${memory.subarray(offset, offset + size).toString('hex')}`);

    const onlyTop = (await ok('debug_traceTransaction', [hashes.bubbling, { tracer: 'callTracer', tracerConfig: { onlyTopCall: true } }])) as CallFrame;
    assert.equal(onlyTop.calls, undefined);
    assert.equal(onlyTop.gasUsed, top.gasUsed);
  });

  it('traces a whole block, a call, and a plain transfer; refuses unknown tracers and hashes clearly', async () => {
    const receipt = (await ok('eth_getTransactionReceipt', [hashes.bubbling])) as { blockNumber: string };
    const block = (await ok('debug_traceBlockByNumber', [receipt.blockNumber, { tracer: 'callTracer' }])) as Array<{ txHash: string; result: CallFrame }>;
    assert.deepEqual(
      block.map((t) => t.txHash),
      [hashes.catching, hashes.bubbling],
    );
    assert.equal(block[0]!.result.error, undefined, 'catching() succeeded: the inner revert was caught');
    assert.equal(block[0]!.result.calls![0]!.revertReason, 'inner says no');
    assert.equal(block[1]!.result.revertReason, 'inner says no');

    const call = (await ok('debug_traceCall', [
      { from: h.wallets[1]!.address, to: outerAddress, data: abi.encodeFunctionData('bubbling', [0]) },
      'latest',
      { tracer: 'callTracer' },
    ])) as CallFrame;
    assert.equal(call.error, undefined);
    assert.equal(call.calls![0]!.to, innerAddress.toLowerCase());
    const theirs = (await hardhat.request({
      method: 'debug_traceCall',
      params: [{ from: h.wallets[1]!.address, to: outerAddress, data: abi.encodeFunctionData('catching', [7]), gas: '0x1e8480' }, 'latest'],
    })) as StructLoggerResult;
    const ours = (await ok('debug_traceCall', [
      { from: h.wallets[1]!.address, to: outerAddress, data: abi.encodeFunctionData('catching', [7]), gas: '0x1e8480' },
      'latest',
    ])) as StructLoggerResult;
    assert.deepEqual(
      ours.structLogs.map((l) => [l.op, l.gasCost, l.depth]),
      theirs.structLogs.map((l) => [l.op, l.gasCost, l.depth]),
    );
    assert.equal(ours.gas, theirs.gas);

    const transfer = await h.wallets[2]!.signTransaction({
      chainId: 18n,
      type: 2,
      nonce: 0,
      gasLimit: 21_000n,
      maxFeePerGas: 10n * GWEI,
      maxPriorityFeePerGas: 0n,
      to: h.wallets[1]!.address,
      value: 1n,
    });
    await ok('eth_sendRawTransaction', [transfer]);
    await h.block();
    const plain = (await ok('debug_traceTransaction', [Transaction.from(transfer).hash])) as StructLoggerResult;
    assert.deepEqual(plain, { gas: 21_000, failed: false, returnValue: '', structLogs: [] });

    assert.match((await h.rpc('debug_traceTransaction', [hashes.bubbling, { tracer: 'prestateTracer' }])).error!.message, /not supported/);
    assert.match((await h.rpc('debug_traceTransaction', [`0x${'12'.repeat(32)}`])).error!.message, /transaction 0x1212.* not found/);
  });

  it('debug_traceCall pays the EIP-7623 calldata floor as Hardhat does, and refuses a gas limit below it', async () => {
    // 100 non-zero bytes to an account without code: intrinsic 22,600, floor 25,000.
    const request = { from: h.wallets[1]!.address, to: h.wallets[2]!.address, data: `0x${'ff'.repeat(100)}` };
    const theirs = (await hardhat.request({ method: 'debug_traceCall', params: [request, 'latest'] })) as StructLoggerResult;
    const ours = (await ok('debug_traceCall', [request, 'latest'])) as StructLoggerResult;
    assert.equal(ours.gas, theirs.gas);
    assert.equal(ours.gas, 25_000);
    const frame = (await ok('debug_traceCall', [request, 'latest', { tracer: 'callTracer' }])) as CallFrame;
    assert.equal(frame.gasUsed, '0x61a8');
    const short = await h.rpc('debug_traceCall', [{ ...request, gas: '0x61a7' }, 'latest', { tracer: 'callTracer' }]);
    assert.equal(short.error, undefined);
    assert.equal((short.result as CallFrame).error, 'gas limit 24999 is below the calldata floor 25000 of this call (EIP-7623)');
  });

  it('gives a system contract call one CALL frame with its fixed gas, output and refusal', async () => {
    // The harness's stand-in system contract (like staking 0x…1000): 0x01… succeeds, 0x02… is refused.
    const sign = (nonce: number, data: string): Promise<string> =>
      h.wallets[1]!.signTransaction({ chainId: 18n, type: 2, nonce, gasLimit: 100_000n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 0n, to: LOGGER_ADDRESS, data });
    const nonce = Number(BigInt((await ok('eth_getTransactionCount', [h.wallets[1]!.address, 'latest'])) as string));
    const good = await sign(nonce, '0x01aa');
    const refused = await sign(nonce + 1, '0x02bb');
    await ok('eth_sendRawTransaction', [good]);
    await ok('eth_sendRawTransaction', [refused]);
    await h.block();
    for (const [raw, fails] of [
      [good, false],
      [refused, true],
    ] as const) {
      const hash = Transaction.from(raw).hash!;
      const receipt = (await ok('eth_getTransactionReceipt', [hash])) as { gasUsed: string; status: string };
      assert.equal(receipt.status, fails ? '0x0' : '0x1');
      const frame = (await ok('debug_traceTransaction', [hash, { tracer: 'callTracer' }])) as CallFrame;
      assert.equal(frame.type, 'CALL');
      assert.equal(frame.to, LOGGER_ADDRESS);
      assert.equal(frame.from, h.wallets[1]!.address.toLowerCase());
      assert.equal(frame.gasUsed, receipt.gasUsed);
      assert.equal(frame.calls, undefined);
      if (fails) {
        assert.equal(frame.error, 'execution reverted');
        assert.equal(frame.revertReason, 'refused by the logger');
      } else {
        assert.equal(frame.error, undefined);
        assert.equal(frame.output, '0x01aa', 'the logger returns its calldata');
      }
      const struct = (await ok('debug_traceTransaction', [hash])) as StructLoggerResult;
      assert.deepEqual([struct.gas, struct.failed, struct.structLogs.length], [Number(BigInt(receipt.gasUsed)), fails, 0]);
    }
  });

  it('runs at most --rpc-traces-per-client traces of one client at once', async () => {
    const busy = await startHarness({ maxTracesPerClient: 1, traceTimeoutMs: 3_000, gasCap: 10n ** 9n }, { maxGas: 10n ** 9n, params: { block_gas_limit: '1000000000' } });
    try {
      await busy.block();
      // Init code JUMPDEST PUSH1 0 JUMP loops until its gas or the trace's time runs out.
      let done = false;
      const startLooping = (): ReturnType<typeof busy.rpc> => {
        done = false;
        const call = busy.rpc('debug_traceCall', [{ data: '0x5b600056', gas: `0x${(10n ** 9n).toString(16)}` }, 'latest', { tracer: 'callTracer' }]);
        void call.then(() => (done = true));
        return call;
      };
      let looping = startLooping();
      let refused: { code: number; message: string } | undefined;
      for (let restarts = 0; restarts < 20; ) {
        refused = (await busy.rpc('debug_traceCall', [{ to: busy.wallets[1]!.address }, 'latest'])).error;
        if (refused !== undefined) break;
        if (!done) continue;
        // The requests race: if a second trace started first, the looping one was the one refused; start it again.
        if ((await looping).error?.code !== -32005) break;
        looping = startLooping();
        restarts++;
      }
      assert.ok(refused !== undefined, 'a second trace was refused while the first ran');
      assert.equal(refused.code, -32005);
      assert.match(refused.message, /a client may run 1 \(--rpc-traces-per-client\)/);
      assert.match((await looping).error?.message ?? '', /execution aborted \(timeout = 3s\)|out of gas/);
      assert.equal((await busy.rpc('debug_traceCall', [{ to: busy.wallets[1]!.address }, 'latest'])).error, undefined, 'traces run again');
    } finally {
      await busy.cleanup();
    }
  });

  it('refuses a trace larger than the byte limit with an error naming it', async () => {
    const small = await startHarness({ traceMaxBytes: 2_000 });
    try {
      await small.block();
      const raw = await small.wallets[0]!.signTransaction({
        chainId: 18n,
        type: 2,
        nonce: 0,
        gasLimit: 2_000_000n,
        maxFeePerGas: 10n * GWEI,
        maxPriorityFeePerGas: 0n,
        data: inner.bytecode,
      });
      await small.rpc('eth_sendRawTransaction', [raw]);
      await small.block();
      const r = await small.rpc('debug_traceTransaction', [Transaction.from(raw).hash]);
      assert.equal(r.error?.code, -32005);
      assert.match(r.error!.message, /larger than 2000 bytes \(--rpc-trace-max-bytes\)/);
      const top = await small.rpc('debug_traceTransaction', [Transaction.from(raw).hash, { tracer: 'callTracer' }]);
      assert.equal(top.error, undefined, 'a call frame fits');
    } finally {
      await small.cleanup();
    }
  });
});
