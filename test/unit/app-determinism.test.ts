/**
 * Determinism and conservation at the app level (SPEC 5.3, 11): two apps fed
 * the same blocks (transfers, staking calls, absent validators) agree on the
 * app hash at every height, one of them closing and reopening its store every
 * few blocks; and supply = Σ balances + Σ stakes + held + dust at the end.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { STAKING_INTERFACE } from '../../src/staking/index.js';
import { STAKING_ADDRESS } from '../../src/system/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { benchAccounts, signLegacyTransfer, signLegacyTx } from '../../bench/lib/txgen.js';
import type { RequestFinalizeBlock, VoteInfo } from '../../src/abci/types.js';

const CMT = 10n ** 18n;
const accounts = benchAccounts(8, 'determinism');
const keys = [0, 1, 2, 3].map((i) => createHash('sha256').update(`det-key-${i}`).digest());
const consensusAddresses = keys.map((k) => createHash('sha256').update(k).digest().subarray(0, 20));
const genesis = {
  params: { max_validators: 3, backup_validators: 1, unstake_waiting_period_s: '40' },
  accounts: accounts.map((a) => ({ address: a.address, balance: (1_000_000n * CMT).toString() })),
  candidates: keys.map((k, i) => ({
    address: accounts[i]!.address,
    pub_key: k.toString('base64'),
    max_stake: (200_000n * CMT).toString(),
    self_stake: ((20_000n + BigInt(i) * 1_000n) * CMT).toString(),
    comp_rate_bp: 1000 + i * 500,
    description: { name: `c${i}` },
  })),
};

class Node {
  private store!: CommittedStore;
  app!: CmtdApp;
  constructor(private readonly dir: string) {}
  async open(): Promise<void> {
    this.store = await CommittedStore.open(join(this.dir, 'state.db'));
    this.app = new CmtdApp({ store: this.store, modules: createModules(), logger: silentLogger() });
  }
  async reopen(): Promise<void> {
    await this.store.close();
    await this.open();
  }
  close(): Promise<void> {
    return this.store.close();
  }
  async json<T>(path: string): Promise<T> {
    const r = await this.app.query({ path, data: new Uint8Array(0), height: 0n, prove: false });
    assert.equal(r.code, 0, `${path}: ${r.log}`);
    return JSON.parse(Buffer.from(r.value!).toString('utf8')) as T;
  }
}

type Op =
  | { kind: 'transfer'; from: number; to: number; amount: number }
  | { kind: 'delegate'; from: number; candidate: number; amount: number }
  | { kind: 'unstake'; from: number; candidate: number; amount: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('transfer' as const), from: fc.nat(7), to: fc.nat(7), amount: fc.integer({ min: 1, max: 5_000 }) }),
  fc.record({ kind: fc.constant('delegate' as const), from: fc.integer({ min: 4, max: 7 }), candidate: fc.nat(3), amount: fc.integer({ min: 1_000, max: 20_000 }) }),
  fc.record({ kind: fc.constant('unstake' as const), from: fc.integer({ min: 4, max: 7 }), candidate: fc.nat(3), amount: fc.integer({ min: 0, max: 3_000 }) }),
);

describe('app determinism and conservation', () => {
  it('two apps agree at every height, reopening changes nothing, and the supply identity holds', async () => {
    const blocks = fc.sample(fc.array(opArb, { maxLength: 8 }), { numRuns: 30, seed: 4242 });
    const dirs = [mkdtempSync(join(tmpdir(), 'cmtd-det-a-')), mkdtempSync(join(tmpdir(), 'cmtd-det-b-'))];
    const nodes = dirs.map((d) => new Node(d));
    try {
      for (const node of nodes) {
        await node.open();
        await node.app.initChain({
          time: { seconds: 1_000n, nanos: 0 },
          chainId: 'det',
          consensusParams: { block: { maxBytes: 1_000_000n, maxGas: -1n } },
          validators: [],
          appStateBytes: Buffer.from(JSON.stringify(genesis)),
          initialHeight: 1n,
        });
      }
      const nonces = accounts.map(() => 0n);
      for (const [i, ops] of blocks.entries()) {
        const height = BigInt(i + 1);
        const txs = ops.map((op) => {
          const from = accounts[op.from]!;
          const nonce = nonces[op.from]!++;
          if (op.kind === 'transfer') return signLegacyTransfer(from, accounts[op.to]!.address, BigInt(op.amount) * CMT, nonce);
          const data =
            op.kind === 'delegate'
              ? STAKING_INTERFACE.encodeFunctionData('delegate', [accounts[op.candidate]!.address])
              : STAKING_INTERFACE.encodeFunctionData('unstake', [accounts[op.candidate]!.address, BigInt(op.amount) * CMT]);
          return signLegacyTx(from, {
            to: STAKING_ADDRESS,
            data: Buffer.from(data.slice(2), 'hex'),
            value: op.kind === 'delegate' ? BigInt(op.amount) * CMT : 0n,
            nonce,
            gasLimit: 200_000n,
          });
        });
        // Candidate 2 misses blocks 8-14 (it may be slashed, demoted or removed).
        const votes: VoteInfo[] =
          height === 1n
            ? []
            : consensusAddresses.map((address, c) => ({ validator: { address, power: 1n }, blockIdFlag: c === 2 && height >= 8n && height <= 14n ? 'absent' : 'commit' }));
        const request: RequestFinalizeBlock = {
          txs,
          decidedLastCommit: { round: 0, votes },
          misbehavior: [],
          hash: createHash('sha256').update(`block-${height}`).digest(),
          height,
          time: { seconds: 1_000n + height * 5n, nanos: 0 },
          nextValidatorsHash: new Uint8Array(32),
          proposerAddress: new Uint8Array(20),
        };
        const hashes: string[] = [];
        for (const node of nodes) {
          const response = await node.app.finalizeBlock(request);
          await node.app.commit();
          hashes.push(Buffer.from(response.appHash).toString('hex'));
        }
        assert.equal(hashes[1], hashes[0], `app hashes differ at height ${height}`);
        if (height % 3n === 0n) await nodes[1]!.reopen();
      }

      const supply = await nodes[0]!.json<{ supply: string; staked: string; held_by_proposals: string; carried_dust: string; burned: string; minted: string }>('/supply');
      let balances = 0n;
      for (const a of accounts) balances += BigInt((await nodes[0]!.json<{ balance: string }>(`/account/${a.address}`)).balance);
      assert.equal(BigInt(supply.supply), balances + BigInt(supply.staked) + BigInt(supply.held_by_proposals) + BigInt(supply.carried_dust));
      assert.ok(BigInt(supply.minted) > 0n, 'awards were minted');
      assert.ok(BigInt(supply.burned) > 0n, 'the absent validator was slashed');
      let delegations = 0;
      for (const a of accounts.slice(4)) delegations += (await nodes[0]!.json<unknown[]>(`/delegations/${a.address}`)).length;
      assert.ok(delegations > 0, 'staking transactions took effect');
    } finally {
      for (const node of nodes) await node.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
