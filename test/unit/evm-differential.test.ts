/**
 * The four-way differential run of issue 19: the same 14 blocks — contract
 * deployments and calls, system calls from contracts (stakes, unstakes,
 * nested reverts, refused calls, a SELFDESTRUCT to a system address),
 * transfers, delegations, unstakes, a governance call, a zero-price call,
 * NIL and ABSENT votes and evidence — executed by four apps:
 *
 *   1. v0.38 FinalizeBlock + Commit;
 *   2. v0.37 BeginBlock / DeliverTx / EndBlock + Commit;
 *   3. FinalizeBlock after CheckTx of every transaction, PrepareProposal,
 *      ProcessProposal and eth_call / eth_estimateGas against committed
 *      state (warming every cache a node serving JSON-RPC warms);
 *   4. FinalizeBlock with the store closed and reopened after every block.
 *
 * All four must agree on the app hash and on every transaction's code, gas
 * and receipt at every height. The blocks come from a fixed seed, printed;
 * set CMTD_DIFF_SEED to try another.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interface } from 'ethers';
import type { BlockIdFlag, ExecTxResult, Misbehavior, VoteInfo } from '../../src/abci/types.js';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { ethCall, estimateGas } from '../../src/tx/call.js';
import { governanceInterface } from '../../src/gov/index.js';
import { STAKING_INTERFACE } from '../../src/staking/index.js';
import { loadParams } from '../../src/state/params.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../../src/system/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { Account, CMT, T0 } from '../support/app-node.js';
import { systemCallContract } from '../support/system-calls.js';

const SEED = Number(process.env.CMTD_DIFF_SEED ?? 19_019);
const BLOCKS = 14;

/** mulberry32: a small seeded generator, so the blocks depend only on SEED. */
function generator(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)]! };
}

const candidates = [0, 1, 2, 3].map((i) => Account.fromSeed(`diff-candidate-${i}`));
const users = [0, 1, 2, 3].map((i) => Account.fromSeed(`diff-user-${i}`));
const owner = Account.fromSeed('diff-owner');
const zeroPrice = Account.fromSeed('diff-zero-price');
const pubKeys = candidates.map((_, i) => createHash('sha256').update(`diff-key-${i}`).digest());
const consensusAddresses = pubKeys.map((k) => createHash('sha256').update(k).digest().subarray(0, 20));

const appState = {
  params: { max_validators: 3, backup_validators: 1, unstake_waiting_period_s: '30' },
  accounts: [...candidates, ...users, owner, zeroPrice].map((a) => ({ address: a.address, balance: (1_000_000n * CMT).toString() })),
  candidates: candidates.map((c, i) => ({
    address: c.address,
    pub_key: pubKeys[i]!.toString('base64'),
    max_stake: (200_000n * CMT).toString(),
    self_stake: ((20_000n + BigInt(i) * 1_000n) * CMT).toString(),
    comp_rate_bp: 1000 + i * 500,
    description: { name: `c${i}` },
  })),
};

const pool = systemCallContract('StakingPool');
const relay = systemCallContract('Relay');
const burner = systemCallContract('Burner');
const poolIface = new Interface(pool.abi);
const relayIface = new Interface(relay.abi);
const burnerIface = new Interface(burner.abi);

interface Block {
  height: bigint;
  txs: Uint8Array[];
  votes: VoteInfo[];
  misbehavior: Misbehavior[];
}

async function generateBlocks(): Promise<{ blocks: Block[]; poolAddress: string }> {
  const rng = generator(SEED);
  const poolAddress = owner.nextContract();
  const relayAddress = users[0]!.nextContract();
  const blocks: Block[] = [];
  const candidate = (): string => rng.pick(candidates).address;
  for (let h = 1n; h <= BigInt(BLOCKS); h++) {
    const txs: Uint8Array[] = [];
    if (h === 1n) {
      txs.push(await owner.sign({ to: null, data: pool.bytecode, value: 50_000n * CMT }));
      txs.push(await users[0]!.sign({ to: null, data: relay.bytecode, value: 10_000n * CMT }));
    }
    if (h === 3n) {
      txs.push(
        await candidates[0]!.sign({
          to: GOVERNANCE_ADDRESS,
          data: governanceInterface.encodeFunctionData('proposeParamChange', ['min_gas_price', '3000000000', 'differential']),
          gasLimit: 300_000n,
        }),
      );
    }
    if (h === 5n) {
      // A zero-price call (free slot), from an account that sends nothing else.
      txs.push(
        await zeroPrice.sign({ to: STAKING_ADDRESS, data: STAKING_INTERFACE.encodeFunctionData('delegate', [candidate()]), value: 1_000n * CMT, gasPrice: 0n, gasLimit: 200_000n }),
      );
    }
    const count = h === 1n ? 2 : 3 + rng.int(6);
    for (let i = 0; i < count; i++) {
      const user = rng.pick(users.slice(1));
      switch (rng.int(9)) {
        case 0:
          txs.push(await user.sign({ to: rng.pick(users).address, value: BigInt(1 + rng.int(100)) * CMT, gasLimit: 21_000n }));
          break;
        case 1:
          txs.push(
            await user.sign({
              to: STAKING_ADDRESS,
              data: STAKING_INTERFACE.encodeFunctionData('delegate', [candidate()]),
              value: BigInt(1_000 + rng.int(3_000)) * CMT,
              gasLimit: 200_000n,
            }),
          );
          break;
        case 2:
          txs.push(
            await user.sign({ to: STAKING_ADDRESS, data: STAKING_INTERFACE.encodeFunctionData('unstake', [candidate(), BigInt(rng.int(2)) * 100n * CMT]), gasLimit: 200_000n }),
          );
          break;
        case 3:
          txs.push(await owner.sign({ to: poolAddress, data: poolIface.encodeFunctionData('stake', [candidate(), BigInt(1_000 + rng.int(2_000)) * CMT]), gasLimit: 1_000_000n }));
          break;
        case 4:
          txs.push(await owner.sign({ to: poolAddress, data: poolIface.encodeFunctionData('unstake', [candidate(), BigInt(rng.int(3)) * 100n * CMT]), gasLimit: 1_000_000n }));
          break;
        case 5:
          txs.push(
            await owner.sign({ to: poolAddress, data: poolIface.encodeFunctionData(rng.pick(['level1', 'stakeThenRevert']), [candidate(), 1_000n * CMT]), gasLimit: 1_000_000n }),
          );
          break;
        case 6:
          txs.push(await owner.sign({ to: poolAddress, data: poolIface.encodeFunctionData('refusals', [candidate()]), gasLimit: 2_000_000n }));
          break;
        case 7: {
          const data = rng.int(2) === 0 ? STAKING_INTERFACE.encodeFunctionData('delegate', [candidate()]) : `0x${rng.int(0xffffffff).toString(16).padStart(8, '0')}`;
          const value = BigInt(rng.int(3)) * 1_000n * CMT;
          txs.push(
            await users[0]!.sign({
              to: relayAddress,
              data: relayIface.encodeFunctionData('relay', [rng.pick([STAKING_ADDRESS, GOVERNANCE_ADDRESS]), value, data, rng.int(4)]),
              value,
              gasLimit: 1_000_000n,
            }),
          );
          break;
        }
        default:
          txs.push(await user.sign({ to: null, data: burner.bytecode + burnerIface.encodeDeploy([STAKING_ADDRESS]).slice(2), value: CMT, gasLimit: 500_000n }));
      }
    }
    const flags: BlockIdFlag[] = ['commit', 'commit', 'commit', 'commit', 'nil', 'absent'];
    const votes: VoteInfo[] = h === 1n ? [] : consensusAddresses.map((address) => ({ validator: { address, power: 1n }, blockIdFlag: rng.pick(flags) }));
    const misbehavior: Misbehavior[] =
      h === 9n
        ? [{ type: 'duplicate_vote', validator: { address: consensusAddresses[1]!, power: 1n }, height: 8n, time: { seconds: T0 + 40n, nanos: 0 }, totalVotingPower: 4n }]
        : [];
    blocks.push({ height: h, txs, votes, misbehavior });
  }
  return { blocks, poolAddress };
}

type Mode = 'finalize' | 'v037' | 'mempool' | 'reopen';

interface Observed {
  appHash: string;
  results: Array<{ code: number; gasUsed: string; data: string }>;
}

function observe(appHash: Uint8Array, results: ExecTxResult[]): Observed {
  // An exception inside the EVM library or a system frame would hide as a full-gas revert.
  for (const r of results) assert.doesNotMatch(r.log ?? '', /EVM error/);
  return {
    appHash: Buffer.from(appHash).toString('hex'),
    results: results.map((r) => ({ code: r.code, gasUsed: String(r.gasUsed ?? 0n), data: Buffer.from(r.data ?? new Uint8Array(0)).toString('hex') })),
  };
}

const hashOf = (h: bigint): Uint8Array => createHash('sha256').update(`diff-block-${h}`).digest();
const timeOf = (h: bigint): bigint => T0 + h * 5n;

async function runMode(mode: Mode, blocks: Block[], poolAddress: string): Promise<Observed[]> {
  const dir = mkdtempSync(join(tmpdir(), `cmtd-diff-${mode}-`));
  const modules = createModules();
  let store = await CommittedStore.open(join(dir, 'state.db'));
  let app = new CmtdApp({ store, modules, logger: silentLogger() });
  const out: Observed[] = [];
  try {
    await app.initChain({
      time: { seconds: T0, nanos: 0 },
      chainId: 'differential',
      consensusParams: { block: { maxBytes: 4_000_000n, maxGas: -1n } },
      validators: [],
      appStateBytes: Buffer.from(JSON.stringify(appState)),
      initialHeight: 1n,
    });
    for (const b of blocks) {
      const common = { height: b.height, time: { seconds: timeOf(b.height), nanos: 0 }, nextValidatorsHash: new Uint8Array(32), proposerAddress: consensusAddresses[0]! };
      if (mode === 'v037') {
        await app.beginBlock({
          hash: hashOf(b.height),
          header: {
            version: { block: 11n, app: 1n },
            chainId: 'differential',
            height: b.height,
            time: common.time,
            lastBlockId: { hash: new Uint8Array(32), partSetHeader: { total: 0, hash: new Uint8Array(32) } },
            lastCommitHash: new Uint8Array(32),
            dataHash: new Uint8Array(32),
            validatorsHash: new Uint8Array(32),
            nextValidatorsHash: new Uint8Array(32),
            consensusHash: new Uint8Array(32),
            appHash: new Uint8Array(32),
            lastResultsHash: new Uint8Array(32),
            evidenceHash: new Uint8Array(32),
            proposerAddress: common.proposerAddress,
          },
          lastCommitInfo: { round: 0, votes: b.votes },
          byzantineValidators: b.misbehavior,
        });
        const results: ExecTxResult[] = [];
        for (const tx of b.txs) results.push(await app.deliverTx({ tx }));
        await app.endBlock({ height: b.height });
        const committed = await app.commitV037();
        out.push(observe(committed.data, results));
        continue;
      }
      if (mode === 'mempool') {
        for (const tx of b.txs) await app.checkTx({ tx, type: 'new' });
        await app.prepareProposal({
          maxTxBytes: 4_000_000n,
          txs: b.txs,
          localLastCommit: { round: 0, votes: b.votes.map((v) => ({ ...v, voteExtension: new Uint8Array(0), extensionSignature: new Uint8Array(0) })) },
          misbehavior: b.misbehavior,
          ...common,
        });
        await app.processProposal({ txs: b.txs, proposedLastCommit: { round: 0, votes: b.votes }, misbehavior: b.misbehavior, hash: hashOf(b.height), ...common });
        await rpcCalls(store, poolAddress, modules.resolveSystem, b.height - 1n);
      }
      const response = await app.finalizeBlock({ txs: b.txs, decidedLastCommit: { round: 0, votes: b.votes }, misbehavior: b.misbehavior, hash: hashOf(b.height), ...common });
      await app.commit();
      out.push(observe(response.appHash, response.txResults));
      if (mode === 'reopen') {
        await store.close();
        store = await CommittedStore.open(join(dir, 'state.db'));
        app = new CmtdApp({ store, modules, logger: silentLogger() });
        const info = await app.info({ version: '', blockVersion: 0n, p2pVersion: 0n, abciVersion: '' });
        assert.equal(info.lastBlockHeight, b.height);
      }
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** What a node serving JSON-RPC runs between blocks: eth_call and eth_estimateGas into contracts and system addresses. */
async function rpcCalls(store: CommittedStore, poolAddress: string, resolveSystem: ReturnType<typeof createModules>['resolveSystem'], height: bigint): Promise<void> {
  if (height === 0n) return;
  const ctx = { height, time: timeOf(height), params: loadParams(store), blockGasLimit: null };
  const c = candidates[1]!.address;
  const from = owner.address;
  const bytes = (hex: string): Uint8Array => Buffer.from(hex.slice(2), 'hex');
  await ethCall(store, { from, to: poolAddress as `0x${string}`, data: bytes(poolIface.encodeFunctionData('scenario', [c])) }, ctx, resolveSystem);
  await ethCall(store, { from, to: poolAddress as `0x${string}`, data: bytes(poolIface.encodeFunctionData('look', [c])) }, ctx, resolveSystem);
  await ethCall(store, { to: STAKING_ADDRESS, data: bytes(STAKING_INTERFACE.encodeFunctionData('getCandidates', [])) }, ctx, resolveSystem);
  try {
    await estimateGas(store, { from, to: poolAddress as `0x${string}`, data: bytes(poolIface.encodeFunctionData('stake', [c, 1_000n * CMT])) }, ctx, resolveSystem);
  } catch {
    // A refusal is an answer too; only the side effects matter here.
  }
}

describe('four-way differential run (issue 19)', () => {
  it(`v0.38, v0.37, with mempool and RPC traffic, and with reopens agree at every height (seed ${SEED})`, async () => {
    console.log(`differential seed ${SEED} (set CMTD_DIFF_SEED to change)`);
    const { blocks, poolAddress } = await generateBlocks();
    const runs: Record<Mode, Observed[]> = {
      finalize: await runMode('finalize', blocks, poolAddress),
      v037: await runMode('v037', blocks, poolAddress),
      mempool: await runMode('mempool', blocks, poolAddress),
      reopen: await runMode('reopen', blocks, poolAddress),
    };
    for (const mode of ['v037', 'mempool', 'reopen'] as const) {
      for (let i = 0; i < blocks.length; i++) assert.deepEqual(runs[mode][i], runs.finalize[i], `${mode} differs from finalize at height ${i + 1}`);
    }
    // The run exercised what it claims: successes, failures, system calls from the pool.
    const all = runs.finalize.flatMap((o) => o.results);
    assert.ok(all.some((r) => r.code === 0) && all.some((r) => r.code !== 0), 'both successful and failed transactions');
    assert.ok(all.length >= 50, `${all.length} transactions`);
  });
});
