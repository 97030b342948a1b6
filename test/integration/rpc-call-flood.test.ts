/**
 * Issue 8.2 acceptance: under a sustained flood of looping eth_calls at one
 * validator of a 4-validator localnet (real CometBFT), that validator misses
 * no block: its signature is in every commit for 60 s. Before eth_call ran
 * off the event loop, a batch of 8 such calls froze the node for 25 s.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalnet } from '../support/chain.js';

/** Init code JUMPDEST PUSH1 0 JUMP: loops until the gas cap runs out. */
const LOOP = '0x5b600056';
const FLOOD_MS = 60_000;
const CLIENTS = 8;
const BATCH = 8;

interface CommitResult {
  signed_header: { commit: { height: string; signatures: Array<{ block_id_flag: number; validator_address: string }> } };
}

describe('eth_call flood at one validator', { timeout: 600_000 }, () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;

  before(async () => {
    net = await startLocalnet('callflood', { nodes: 4, accounts: 1, blockTime: '1s' });
    await net.waitForHeight(3n);
  });
  after(async () => net?.cleanup());

  it('the flooded validator signs every block while looping calls are refused or time out', async (t) => {
    const target = net.nodes[0]!;
    const url = target.ethRpcUrl!;
    const first = (await target.rpc.height()) + 1n;
    const answers = { timeout: 0, outOfGas: 0, busy: 0, other: [] as string[] };
    const end = Date.now() + FLOOD_MS;
    const body = JSON.stringify(
      Array.from({ length: BATCH }, (_, id) => ({ jsonrpc: '2.0', id, method: id % 2 === 0 ? 'eth_call' : 'eth_estimateGas', params: [{ data: LOOP }] })),
    );
    // The flood stops at its end even with batches still queued at the node.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), FLOOD_MS);
    const client = async (): Promise<void> => {
      while (Date.now() < end) {
        let replies: Array<{ error?: { code: number; message: string } }>;
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: stop.signal });
          replies = (await res.json()) as typeof replies;
        } catch (err) {
          if (stop.signal.aborted) return;
          throw err;
        }
        for (const r of replies) {
          if (r.error?.code === -32005) answers.busy++;
          else if (/execution aborted \(timeout/.test(r.error?.message ?? '')) answers.timeout++;
          else if (r.error?.message === 'out of gas') answers.outOfGas++;
          else answers.other.push(JSON.stringify(r).slice(0, 200));
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    clearTimeout(timer);
    const last = await target.rpc.height();
    t.diagnostic(`blocks ${first}..${last}; answers ${JSON.stringify({ ...answers, other: answers.other.length })}`);
    // The flood ran: every call used its whole gas or time, or was refused.
    assert.deepEqual(answers.other, []);
    assert.ok(answers.timeout + answers.outOfGas >= 8, JSON.stringify(answers));
    assert.ok(last - first >= 20n, `only ${last - first} blocks in ${FLOOD_MS / 1000} s`);

    // Every commit from the flood's start holds the flooded validator's signature.
    await net.waitForHeight(last + 1n);
    const missed: bigint[] = [];
    for (let h = first; h <= last; h++) {
      const commit = await net.nodes[1]!.rpc.call<CommitResult>('commit', { height: h.toString() });
      const sig = commit.signed_header.commit.signatures.find((s) => s.validator_address === target.validatorKey.address);
      if (sig?.block_id_flag !== 2) missed.push(h);
    }
    assert.deepEqual(missed, [], `node0 missed ${missed.length} of ${last - first + 1n} blocks; answers ${JSON.stringify(answers)}`);
  });
});
