/**
 * Traces re-execute what the block executed (src/rpc/trace.ts, tracers.ts,
 * the block openings of src/index/records.ts): a transaction of block 1
 * (which runs on the genesis state, no committed version of its own), and
 * EIP-7702 set-code transactions whose authorizations change the code that
 * runs, both to a fresh account and to one already delegated elsewhere.
 * Every trace's gas must be the receipt's, and the struct log must run the
 * code the block ran.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Interface, Transaction, type Wallet } from 'ethers';
import { compileSolidity } from '../support/contracts.js';
import { GWEI, blockHash, startHarness, type Harness } from '../support/rpc-harness.js';

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract First {
  uint256 public n;
  function hit() external returns (uint256) { n = n + 1; return 111; }
}
contract Second {
  uint256 public n;
  function hit() external returns (uint256) { n = n + 2; return 222; }
}
contract Hashes {
  function at(uint256 n) external view returns (bytes32) { return blockhash(n); }
}`;

interface StructTrace {
  gas: number;
  failed: boolean;
  returnValue: string;
  structLogs: Array<{ op: string; depth: number }>;
}
interface Frame {
  type: string;
  to?: string;
  gasUsed: string;
  output?: string;
  error?: string;
}

describe('traces re-execute what the block executed', { timeout: 120_000 }, () => {
  let h: Harness;
  const first = compileSolidity(SOURCE, 'First');
  const second = compileSolidity(SOURCE, 'Second');
  const abi = new Interface(first.abi);
  const nonces = new Map<string, number>();

  const ok = async (method: string, params: unknown[]): Promise<unknown> => {
    const r = await h.rpc(method, params);
    assert.equal(r.error, undefined, `${method}: ${JSON.stringify(r.error)}`);
    return r.result;
  };
  const nextNonce = (w: Wallet): number => {
    const n = nonces.get(w.address) ?? 0;
    nonces.set(w.address, n + 1);
    return n;
  };
  const send = async (w: Wallet, tx: Record<string, unknown>): Promise<string> => {
    const raw = await w.signTransaction({ chainId: 18n, type: 2, nonce: nextNonce(w), gasLimit: 1_000_000n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 0n, ...tx });
    await ok('eth_sendRawTransaction', [raw]);
    return Transaction.from(raw).hash!;
  };
  const receipt = (hash: string): Promise<{ status: string; gasUsed: string; contractAddress: string | null; blockNumber: string }> =>
    ok('eth_getTransactionReceipt', [hash]) as Promise<{ status: string; gasUsed: string; contractAddress: string | null; blockNumber: string }>;

  /** Both tracers: their gas is the receipt's; returns the struct log. */
  const traced = async (hash: string): Promise<StructTrace> => {
    const r = await receipt(hash);
    const struct = (await ok('debug_traceTransaction', [hash])) as StructTrace;
    const frame = (await ok('debug_traceTransaction', [hash, { tracer: 'callTracer' }])) as Frame;
    assert.equal(BigInt(struct.gas), BigInt(r.gasUsed), 'struct logger gas = receipt gasUsed');
    assert.equal(frame.gasUsed, r.gasUsed, 'callTracer gasUsed = receipt gasUsed');
    assert.equal(struct.failed, r.status === '0x0');
    return struct;
  };

  let firstAddress: string;
  let secondAddress: string;
  let deployFirst: string;
  let deploySecond: string;

  before(async () => {
    // No mint: blocks without transactions are idle (the last test needs some).
    h = await startHarness({}, { params: { inflation_rate_bp: '0' } });
    const [deployer] = h.wallets;
    // Block 1: both contracts are created in the genesis block's successor, the first block there is.
    deployFirst = await send(deployer!, { data: first.bytecode });
    deploySecond = await send(deployer!, { data: second.bytecode });
    await h.block();
    firstAddress = (await receipt(deployFirst)).contractAddress!;
    secondAddress = (await receipt(deploySecond)).contractAddress!;
  });
  after(async () => {
    await h?.cleanup();
  });

  it('traces the transactions of block 1, on the genesis state', async () => {
    assert.equal((await receipt(deployFirst)).blockNumber, '0x1');
    const one = await traced(deployFirst);
    assert.ok(one.structLogs.length > 10 && one.structLogs.some((l) => l.op === 'RETURN'), 'the constructor runs');
    // The second creation runs after the first (same block, the deployer's next nonce).
    const two = await traced(deploySecond);
    assert.ok(two.structLogs.length > 10);
    const frame = (await ok('debug_traceTransaction', [deploySecond, { tracer: 'callTracer' }])) as Frame;
    assert.equal(frame.type, 'CREATE');
    assert.equal(frame.to, secondAddress.toLowerCase());
    const block = (await ok('debug_traceBlockByNumber', ['0x1', { tracer: 'callTracer' }])) as Array<{ result: Frame }>;
    assert.deepEqual(
      block.map((t) => t.result.to),
      [firstAddress.toLowerCase(), secondAddress.toLowerCase()],
    );
  });

  it('applies a type-4 transaction’s authorization before tracing its call, for a fresh account and one delegated elsewhere', async () => {
    const [sponsor, eoa] = [h.wallets[0]!, h.wallets[1]!];
    const setCode = async (target: string): Promise<string> => {
      // The EOA signs the authorization with its current nonce (it sends nothing itself).
      const auth = await eoa.authorize({ address: target, nonce: nonces.get(eoa.address) ?? 0, chainId: 18n });
      nonces.set(eoa.address, (nonces.get(eoa.address) ?? 0) + 1);
      return send(sponsor, { type: 4, to: eoa.address, data: abi.encodeFunctionData('hit'), authorizationList: [auth] });
    };

    // A fresh account: without the authorization it has no code, and the call would run nothing.
    const toFirst = await setCode(firstAddress);
    await h.block();
    assert.equal((await receipt(toFirst)).status, '0x1');
    const a = await traced(toFirst);
    assert.ok(
      a.structLogs.some((l) => l.op === 'SSTORE'),
      'the delegated code runs',
    );
    assert.equal(BigInt(a.returnValue), 111n, "First's hit()");

    // Already delegated to First: the authorization moves it to Second before the call.
    const toSecond = await setCode(secondAddress);
    await h.block();
    assert.equal((await receipt(toSecond)).status, '0x1');
    const b = await traced(toSecond);
    assert.equal(BigInt(b.returnValue), 222n, "Second's hit(), not First's");
    const frame = (await ok('debug_traceTransaction', [toSecond, { tracer: 'callTracer' }])) as Frame;
    assert.equal(frame.to, eoa.address.toLowerCase());
    assert.equal(BigInt(frame.output!), 222n);
    // The storage both delegates used is the EOA's own: 1 (First) + 2 (Second).
    assert.equal(BigInt((await ok('eth_getStorageAt', [eoa.address, '0x0', 'latest'])) as string), 3n);
  });
  it("eth_call reads BLOCKHASH of idle blocks (not yet in the state's ring) as the chain's hashes", async () => {
    const hashes = compileSolidity(SOURCE, 'Hashes');
    const deploy = await send(h.wallets[2]!, { data: hashes.bytecode });
    await h.block();
    const address = (await receipt(deploy)).contractAddress!;
    // Blocks without transactions on a chain that mints nothing: idle, their hashes kept outside the state.
    const idleFrom = h.height + 1n;
    await h.block();
    await h.block();
    assert.deepEqual(
      h.app.idleBlockHashes.map(([height]) => height),
      [idleFrom, idleFrom + 1n],
      'the blocks were idle',
    );
    const iface = new Interface(hashes.abi);
    // A call at "latest" runs in the last block (idleFrom + 1): the blocks before it are asked.
    for (const n of [idleFrom - 1n, idleFrom]) {
      const out = (await ok('eth_call', [{ to: address, data: iface.encodeFunctionData('at', [n]) }, 'latest'])) as string;
      assert.equal(out, `0x${Buffer.from(blockHash(n)).toString('hex')}`, `blockhash(${n})`);
      const block = (await ok('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])) as { hash: string };
      assert.equal(out, block.hash);
    }
    // At the state of the first idle block, the second is in the future: 0 (the current block's own hash is 0, as on Ethereum).
    const before = (await ok('eth_call', [{ to: address, data: iface.encodeFunctionData('at', [idleFrom + 1n]) }, `0x${idleFrom.toString(16)}`])) as string;
    assert.equal(BigInt(before), 0n);
  });
});
