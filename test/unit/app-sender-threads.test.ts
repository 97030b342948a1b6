/**
 * Sender recovery threads change nothing an app answers: two apps, one
 * with a recovery thread and one without, served over the real ABCI socket
 * server, get the same pipelined CheckTx bursts (valid transfers, a nonce
 * gap, an unrecoverable signature, garbage, a wrong chain id), the same
 * proposals and blocks, and must give byte-identical CheckTx answers, the
 * same ProcessProposal verdicts, transaction results and app hashes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RLP } from '@ethereumjs/rlp';
import { CheckTxType } from '../../src/abci/gen/tendermint/abci/types_pb.js';
import { startAbciServer, type AbciServer } from '../../src/abci/server.js';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { Claim, SenderRecovery } from '../../src/tx/sender-recovery.js';
import { silentLogger } from '../../src/util/logger.js';
import { benchAccounts, signLegacyTransfer } from '../../bench/lib/txgen.js';
import { finalizeRequest } from '../../bench/lib/app.js';
import { AbciClient } from '../support/abci-client.js';
import type { WireRequest, WireResponse } from '../support/abci-wire.js';

const CMT = 10n ** 18n;
const senders = benchAccounts(12, 'sender-threads-test');
const recipient = benchAccounts(1, 'sender-threads-recipient')[0]!.address;

interface Node {
  dir: string;
  store: CommittedStore;
  recovery: SenderRecovery;
  server: AbciServer;
  mempool: AbciClient;
  consensus: AbciClient;
}

async function startNode(threads: number): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-sender-threads-'));
  const store = await CommittedStore.open(join(dir, 'state.db'));
  const recovery = new SenderRecovery({ threads, logger: silentLogger() });
  const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger(), senderRecovery: recovery });
  const server = await startAbciServer({ transport: 'socket', address: 'tcp://127.0.0.1:0', app, logger: silentLogger() });
  const consensus = await AbciClient.connect(server.address);
  const mempool = await AbciClient.connect(server.address);
  return { dir, store, recovery, server, mempool, consensus };
}

async function stopNode(node: Node): Promise<void> {
  node.mempool.close();
  node.consensus.close();
  await node.server.close();
  await node.recovery.close();
  await node.store.close();
  rmSync(node.dir, { recursive: true, force: true });
}

/** Sends requests in one write (one burst, as CometBFT's buffered client does) and reads every answer. */
async function burst(client: AbciClient, reqs: WireRequest[]): Promise<WireResponse[]> {
  client.send(...reqs, { type: 'flush', value: {} });
  const out: WireResponse[] = [];
  for (let i = 0; i <= reqs.length; i++) {
    const res = await client.next();
    assert.ok(res, 'the connection answered every request');
    out.push(res);
  }
  return out;
}

const checkTx = (tx: Uint8Array, type = CheckTxType.NEW): WireRequest => ({ type: 'checkTx', value: { tx, type } });

/** Every kind of transaction a burst can hold, for one round (`round` keeps nonces fresh). */
function mixedTxs(round: number): Uint8Array[] {
  const txs: Uint8Array[] = [];
  for (const [i, s] of senders.entries()) {
    for (let n = 0; n < 3; n++) txs.push(signLegacyTransfer(s, recipient, BigInt(i + 1), BigInt(round * 3 + n)));
  }
  const fields = RLP.decode(txs[0]!) as Uint8Array[];
  txs.splice(5, 0, RLP.encode([...fields.slice(0, 7), Uint8Array.of(5), Uint8Array.of(1)])); // r = 5: no key recovers
  txs.splice(9, 0, Uint8Array.of(0xde, 0xad, 0xbe, 0xef)); // not RLP
  txs.splice(14, 0, signLegacyTransfer(senders[0]!, recipient, 1n, BigInt(round * 3 + 7))); // a nonce gap
  txs.splice(20, 0, signLegacyTransfer(senders[1]!, recipient, 1n, BigInt(round * 3), 99n)); // another chain
  return txs;
}

describe('sender recovery threads over the ABCI socket', () => {
  let threaded: Node;
  let inline: Node;
  before(async () => {
    threaded = await startNode(1);
    inline = await startNode(0);
    const appState = { accounts: senders.map((s) => ({ address: s.address, balance: (1_000n * CMT).toString() })) };
    for (const node of [threaded, inline]) {
      const init = await burst(node.consensus, [
        {
          type: 'initChain',
          value: {
            time: { seconds: 1_700_000_000n, nanos: 0 },
            chainId: 'test',
            consensusParams: { block: { maxBytes: 1_000_000n, maxGas: 100_000_000n } },
            validators: [],
            appStateBytes: Buffer.from(JSON.stringify(appState)),
            initialHeight: 1n,
          },
        },
      ]);
      assert.equal(init[0]!.type, 'initChain');
    }
  });
  after(async () => {
    await stopNode(threaded);
    await stopNode(inline);
  });

  it('answers the same pipelined CheckTx bursts, proposals and blocks byte for byte, over four heights (the last one cold)', async () => {
    // The test must reach the thread's path, not only the inline one, whatever the scheduling: before
    // the main thread takes from a batch, it waits until the worker (which starts from the back) holds
    // or has recovered the batch's last transaction. Then count the senders the thread handed over.
    let fromThread = 0;
    const take = threaded.recovery.take.bind(threaded.recovery);
    threaded.recovery.take = (key) => {
      const claims = batchClaims(threaded.recovery, key);
      if (claims !== undefined) {
        const last = claims.length - 1;
        for (let claim = Atomics.load(claims, last); claim === Claim.Free || claim === Claim.Worker; claim = Atomics.load(claims, last)) {
          if (Atomics.wait(claims, last, claim, 10_000) === 'timed-out') break;
        }
      }
      const sender = take(key);
      if (sender !== undefined) fromThread++;
      return sender;
    };
    for (let round = 0; round < 4; round++) {
      const txs = mixedTxs(round);
      if (round < 3) {
        const requests = txs.map((tx) => checkTx(tx));
        const [a, b] = await Promise.all([burst(threaded.mempool, requests), burst(inline.mempool, requests)]);
        assert.deepEqual(a, b, `CheckTx answers of round ${round}`);
        const accepted = a.filter((r) => r.type === 'checkTx' && r.value.code === 0).length;
        assert.equal(accepted, senders.length * 3, 'every valid transfer is accepted');
        const refused = a.filter((r) => r.type === 'checkTx' && r.value.code !== 0).length;
        assert.equal(refused, 4, 'the bad signature, the garbage, the nonce gap and the other chain are refused');
      }

      const height = BigInt(round + 1);
      const block = finalizeRequest(height, txs);
      const common = { txs, misbehavior: [], hash: block.hash, height, time: block.time, nextValidatorsHash: block.nextValidatorsHash, proposerAddress: block.proposerAddress };
      const proposal: WireRequest = { type: 'processProposal', value: { ...common, proposedLastCommit: { round: 0, votes: [] } } };
      const [pa, pb] = await Promise.all([burst(threaded.consensus, [proposal]), burst(inline.consensus, [proposal])]);
      assert.deepEqual(pa, pb, 'ProcessProposal verdicts');

      const finalize: WireRequest = { type: 'finalizeBlock', value: { ...common, decidedLastCommit: { round: 0, votes: [] } } };
      const [fa, fb] = await Promise.all([
        burst(threaded.consensus, [finalize, { type: 'commit', value: {} }]),
        burst(inline.consensus, [finalize, { type: 'commit', value: {} }]),
      ]);
      assert.deepEqual(fa, fb, `FinalizeBlock and Commit of height ${height}`);
      assert.equal(fa[0]!.type, 'finalizeBlock');
      if (fa[0]!.type === 'finalizeBlock') {
        assert.equal(fa[0]!.value.txResults.filter((r) => r.code === 0).length, senders.length * 3, 'the valid transfers run, the rest are refused');
      }
    }
    assert.ok(fromThread > 0, 'some senders came from the recovery thread');
  });
});

/** Test view: the claim words of the batch `key` was offered in, if it is still offered. */
function batchClaims(recovery: SenderRecovery, key: Uint8Array): Int32Array | undefined {
  return (recovery as unknown as { offered: Map<Uint8Array, { batch: { claims: Int32Array } }> }).offered.get(key)?.batch.claims;
}
