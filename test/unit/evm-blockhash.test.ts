/**
 * BLOCKHASH over its full window (issue 19): in block h, BLOCKHASH(n) is the
 * CometBFT hash of block n for every n in [h − 256, h − 1], and 0 for
 * h − 257, h and later, through the app after 300 blocks (so the ring has
 * wrapped). Exact values: the test feeds the block hashes itself. The same
 * probe on Hardhat's node (EDR, in a child process, no network) over a
 * chain of the same length answers for the same heights, each with that
 * node's own block hash.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Interface } from 'ethers';
import { compileSolidity } from '../support/contracts.js';
import { AppNode, Account, CMT } from '../support/app-node.js';

const SOURCE = `
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
contract HashProbe {
    event Hash(uint256 indexed n, bytes32 hash);
    function record(uint256 from, uint256 to) external {
        for (uint256 n = from; n <= to; n++) emit Hash(n, blockhash(n));
    }
}`;
const probe = compileSolidity(SOURCE, 'HashProbe');
const iface = new Interface(probe.abi);
const PROBE = '0x000000000000000000000000000000000000b10c';
const sender = Account.fromSeed('blockhash');
const ZERO = `0x${'00'.repeat(32)}`;

/** The header hash AppNode gives block n. */
function headerHash(n: bigint): string {
  return `0x${createHash('sha256').update(`block-${n}`).digest('hex')}`;
}

describe('BLOCKHASH window', () => {
  const node = new AppNode();
  before(() =>
    node.open({
      accounts: [{ address: sender.address, balance: (1_000n * CMT).toString() }],
      contracts: [{ address: PROBE, code: probe.deployedBytecode, storage: {}, balance: '0', nonce: '1' }],
    }),
  );
  after(() => node.close());

  /** Offsets h − n of the heights n for which BLOCKHASH(n) answered a non-zero hash in block h. */
  const answered = (h: bigint, seen: Map<bigint, string>): bigint[] =>
    [...seen]
      .filter(([, hash]) => hash !== ZERO)
      .map(([n]) => h - n)
      .sort((a, b) => (a < b ? -1 : 1));
  let ours: bigint[] | undefined;

  it('returns the hash of each of the 256 previous blocks, h − 256 included, and 0 outside', async () => {
    for (let i = 0; i < 299; i++) await node.block([]);
    const h = node.height + 1n; // the block the call runs in
    const from = h - 258n;
    const to = h + 1n;
    const block = await node.block([await sender.sign({ to: PROBE, data: iface.encodeFunctionData('record', [from, to]), gasLimit: 3_000_000n })]);
    assert.equal(block.results[0]!.code, 0, block.results[0]!.log);
    const seen = new Map<bigint, string>();
    for (const log of block.receipts[0]!.logs) {
      const e = iface.parseLog({ topics: log.topics.map((t) => `0x${Buffer.from(t).toString('hex')}`), data: `0x${Buffer.from(log.data).toString('hex')}` })!;
      seen.set(e.args.getValue('n') as bigint, e.args.getValue('hash') as string);
    }
    assert.equal(seen.size, Number(to - from + 1n));
    for (let n = from; n <= to; n++) {
      const expected = n >= h - 256n && n <= h - 1n ? headerHash(n) : ZERO;
      assert.equal(seen.get(n), expected, `BLOCKHASH(${n}) in block ${h}`);
    }
    ours = answered(h, seen);
  });

  it("agrees with Hardhat's node on the same window", async () => {
    const script = fileURLToPath(new URL('../hardhat/lib/blockhash-window.cjs', import.meta.url));
    const input = JSON.stringify({ bytecode: probe.bytecode, selector: iface.getFunction('record')!.selector });
    const { stdout } = await promisify(execFile)(process.execPath, [script, input], {
      cwd: fileURLToPath(new URL('../hardhat/', import.meta.url)),
      env: { ...process.env, HARDHAT_NETWORK: 'hardhat', HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', CI: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { h: string; seen: Record<string, string>; blocks: Record<string, string | null> };
    const h = BigInt(out.h);
    const seen = new Map(Object.entries(out.seen).map(([n, hash]) => [BigInt(n), hash]));
    assert.equal(seen.size, 260);
    for (const [n, hash] of seen) if (hash !== ZERO) assert.equal(hash, out.blocks[n.toString()], `Hardhat BLOCKHASH(${n}) is block ${n}'s hash`);
    const theirs = answered(h, seen);
    assert.equal(theirs.length, 256);
    assert.ok(ours !== undefined, 'the cmtd run came first');
    assert.deepEqual(ours, theirs, 'the same heights answer on both nodes');
  });
});
