/**
 * Staking benchmark (SPEC 5.5): per-block staking work — slashing in
 * beginBlock; award, compounding, maturity, power, election and updates in
 * endBlock — with 24 candidates (19 validators + 5 backups, three
 * compensation rates each) and 100 vs 1,000,000 delegations. The goal is a
 * ratio ≤ 1.2: per-block cost must not grow with delegations. Also measures
 * staking transactions per second through the real contract (ABI decoding,
 * scratch overlay per transaction, as the executor runs them).
 *
 *   node --import tsx bench/staking.ts [--small 100] [--large 1000000] [--blocks 300] [--txs 5000]
 */
import { Overlay } from '../src/store/kv.js';
import { Accounts } from '../src/state/accounts.js';
import type { Address } from '../src/util/address.js';
import { CMT, DEFAULT_PARAMS, saveParams } from '../src/state/params.js';
import { Supply } from '../src/state/supply.js';
import { StakingLedger } from '../src/staking/ledger.js';
import { genesisStake } from '../src/staking/genesis.js';
import { cometAddress } from '../src/staking/power.js';
import { sendStakingTx, testAddress, testPubKey } from '../test/support/staking-testkit.js';
import { StakingContract, STAKING_INTERFACE } from '../src/staking/contract.js';
import type { StakingGenesis } from '../src/staking/types.js';
import { nodeDescription } from './lib/node-info.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const CANDIDATES = 24;
const RATES = [2000, 1500, 1000];

function delegatorAddress(i: number): Address {
  return `0x${(0x10_0000_0000 + i).toString(16).padStart(40, '0')}`;
}

interface Setup {
  base: Overlay;
  candidates: Address[];
  setupMs: number;
}

function build(delegations: number): Setup {
  const t0 = performance.now();
  const base = new Overlay({ get: () => undefined });
  const params = { ...DEFAULT_PARAMS, unstake_waiting_period_s: 600n };
  saveParams(base, params);
  const candidates = Array.from({ length: CANDIDATES }, (_, i) => testAddress(`bench-cand-${i}`));
  const accounts = new Accounts(base);
  let balances = 0n;
  for (const c of candidates) {
    accounts.credit(c, 1_000_000n * CMT);
    balances += 1_000_000n * CMT;
  }
  const g: StakingGenesis = {
    candidates: candidates.map((address, i) => ({
      address,
      pubKey: testPubKey(`bench-${i}`),
      maxStake: 100_000_000n * CMT + BigInt(i) * 100_000n * CMT,
      selfStake: (10_000_000n + BigInt(i) * 10_000n) * CMT,
      compRateBp: RATES[0]!,
      description: '{"name":"bench"}',
      verified: false,
    })),
    delegations: Array.from({ length: delegations }, (_, i) => ({
      delegator: delegatorAddress(i),
      candidate: candidates[i % CANDIDATES]!,
      amount: 1_000n * CMT + BigInt(i),
    })),
    enterpriseAccounts: [],
  };
  new Supply(base).setGenesis(balances + genesisStake(g));
  const ledger = new StakingLedger(base, { params: () => params });
  ledger.initGenesis(g);
  // Give every candidate three distinct rates (pools): move two delegations each.
  for (let c = 0; c < CANDIDATES; c++) {
    for (let r = 1; r < RATES.length; r++) {
      const d = delegatorAddress(c + r * CANDIDATES);
      if (r * CANDIDATES + c >= delegations) continue;
      const out = sendStakingTx(base, { sender: candidates[c]!, height: 0n, time: 0n }, 'setCompRate', [d, RATES[r]!]);
      if (!out.ok) throw out.error;
    }
  }
  return { base, candidates, setupMs: performance.now() - t0 };
}

/**
 * Wall time of one block's staking work (beginBlock + endBlock), per-block
 * overlay committed like the node: median, mean and p95. The median is the
 * work itself; the mean also carries the garbage collector's pauses, which
 * grow with the heap (a million delegation records) rather than with the
 * block's work.
 */
function runBlocks(s: Setup, blocks: number): { perBlockMs: number; medianMs: number; p95Ms: number } {
  const params = { ...DEFAULT_PARAMS, unstake_waiting_period_s: 600n };
  const byKey = new Map<string, Address>();
  {
    const l = new StakingLedger(s.base, { params: () => params });
    for (const c of l.candidates()) byKey.set(c.pubKey.slice(2), c.address);
  }
  const times: number[] = [];
  for (let h = 1; h <= blocks + 20; h++) {
    const kv = new Overlay(s.base);
    const ledger = new StakingLedger(kv, { params: () => params });
    const ctx = { height: BigInt(h), time: BigInt(h) * 10n };
    const set = ledger.lastValidatorSet();
    // one validator misses every 7th block: slashing is part of the work
    const votes = h === 1 ? [] : set.map((v, i) => ({ validatorAddress: cometAddress(v.pubKey), absent: h % 7 === 0 && i === h % set.length }));
    const t0 = performance.now();
    ledger.beginBlock(ctx, votes, []);
    ledger.endBlock(ctx);
    const t1 = performance.now();
    kv.commitTo(s.base);
    if (h > 20) times.push(t1 - t0); // after warm-up
  }
  times.sort((a, b) => a - b);
  return {
    perBlockMs: times.reduce((a, b) => a + b, 0) / times.length,
    medianMs: times[Math.floor(times.length / 2)]!,
    p95Ms: times[Math.floor(times.length * 0.95)]!,
  };
}

/**
 * Staking transactions per second through the contract, run as the executor
 * runs them: a scratch overlay per transaction, the value debited, the call
 * (ABI decoding, rules, events), the scratch committed. Calldata is encoded
 * before the clock starts (wallets do that, not the node).
 */
function txRate(s: Setup, n: number): { delegatePerS: number; unstakePerS: number } {
  const kv = new Overlay(s.base);
  const accounts = new Accounts(kv);
  const senders = Array.from({ length: n }, (_, i) => testAddress(`bench-sender-${i}`));
  for (const a of senders) accounts.credit(a, 10_000n * CMT);
  const enc = (fn: string, args: unknown[]): Uint8Array => new Uint8Array(Buffer.from(STAKING_INTERFACE.encodeFunctionData(fn, args).slice(2), 'hex'));
  const delegations = senders.map((_, i) => enc('delegate', [s.candidates[i % CANDIDATES]!]));
  const unstakes = senders.map((_, i) => enc('unstake', [s.candidates[i % CANDIDATES]!, 0n]));
  const run = (sender: Address, value: bigint, data: Uint8Array): void => {
    const scratch = new Overlay(kv);
    new Accounts(scratch).debit(sender, value);
    StakingContract.over(scratch).call({ sender, value, height: 10_000n, time: 100_000n, txHash: new Uint8Array(32) }, data);
    scratch.commitTo(kv);
  };
  const t0 = performance.now();
  senders.forEach((a, i) => run(a, 2_000n * CMT, delegations[i]!));
  const t1 = performance.now();
  senders.forEach((a, i) => run(a, 0n, unstakes[i]!));
  const t2 = performance.now();
  return { delegatePerS: (n / (t1 - t0)) * 1000, unstakePerS: (n / (t2 - t1)) * 1000 };
}

const small = arg('small', 100);
const large = arg('large', 1_000_000);
const blocks = arg('blocks', 300);
const txs = arg('txs', 5000);

console.log(`staking benchmark: ${CANDIDATES} candidates × ${RATES.length} rates, ${blocks} blocks each (${nodeDescription()})`);
const a = build(small);
const ra = runBlocks(a, blocks);
console.log(
  `  ${small.toLocaleString('en-US').padStart(9)} delegations: median ${ra.medianMs.toFixed(3)} ms/block, mean ${ra.perBlockMs.toFixed(3)}, p95 ${ra.p95Ms.toFixed(3)}  [setup ${(a.setupMs / 1000).toFixed(1)} s]`,
);
const tx = txRate(a, txs);
const b = build(large);
const rb = runBlocks(b, blocks);
console.log(
  `  ${large.toLocaleString('en-US').padStart(9)} delegations: median ${rb.medianMs.toFixed(3)} ms/block, mean ${rb.perBlockMs.toFixed(3)}, p95 ${rb.p95Ms.toFixed(3)}  [setup ${(b.setupMs / 1000).toFixed(1)} s]`,
);
const ratio = rb.medianMs / ra.medianMs;
const meanRatio = rb.perBlockMs / ra.perBlockMs;
console.log(
  `  ratio ${large.toLocaleString('en-US')} / ${small.toLocaleString('en-US')}: median ${ratio.toFixed(2)} (goal ≤ 1.2) ${ratio <= 1.2 ? 'OK' : 'OVER'}, mean ${meanRatio.toFixed(2)} (GC pauses included)`,
);
console.log(`  staking txs: delegate ${Math.round(tx.delegatePerS).toLocaleString('en-US')}/s, unstake ${Math.round(tx.unstakePerS).toLocaleString('en-US')}/s`);
