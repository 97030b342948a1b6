/**
 * BLOCKHASH over its full window (issue 19): in block h, BLOCKHASH(n) is the
 * CometBFT hash of block n for every n in [h − 256, h − 1], and 0 for
 * h − 257, h and later, through the app after 300 blocks (so the ring has
 * wrapped). Exact values: the test feeds the block hashes itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Interface } from 'ethers';
import { compileSolidity } from '../../src/evm/contracts.js';
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
    const zero = `0x${'00'.repeat(32)}`;
    for (let n = from; n <= to; n++) {
      const expected = n >= h - 256n && n <= h - 1n ? headerHash(n) : zero;
      assert.equal(seen.get(n), expected, `BLOCKHASH(${n}) in block ${h}`);
    }
  });
});
