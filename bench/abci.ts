/**
 * Issue-2 figures: CheckTx of signed transfers per second (one core), and
 * FinalizeBlock + Commit of 10,000-transfer blocks, with the sender cache
 * warm (transactions seen by CheckTx first, the normal path) and cold.
 *
 *   node --max-semi-space-size=64 --import tsx bench/abci.ts [fillers=0] [senders=2000]
 *
 * (`npm run bench -- abci` passes a node's V8 flags, src/node/v8-flags.ts,
 * itself; the header says whether they were given.)
 *
 * With `fillers` > 0 (issue 10: 1000000) the state also holds that many
 * funded accounts, built once and cached (bench/lib/app.ts
 * benchAppWithFillers), and every transfer pays a random one of them, so a
 * block touches 10,000 cold accounts of a large state.
 *
 * ABCI_SUSTAINED=N then runs N more warm blocks in a row (each checked by
 * CheckTx first, whose rate it also prints: the first CheckTx figure reads
 * every sender's account from LevelDB, these find them cached) and prints
 * their median, range and where the CPU went per block: the main thread, the busiest other thread (LevelDB's compaction
 * thread when the store compacts) and all threads. One block says little on
 * a large state: LevelDB's compactions come in waves over tens of blocks.
 * ABCI_VOTE_MS=M (with it) gives each block its ProcessProposal and M ms of
 * vote rounds before FinalizeBlock, as on a network: the block's reads,
 * started at ProcessProposal, happen meanwhile.
 */
import { benchAccounts, signLegacyTransfer } from './lib/txgen.js';
import { BENCH_SENDER_THREADS, benchApp, benchAppWithFillers, fillerAddress, processRequest, runBlock } from './lib/app.js';
import { mainThreadCpuMs, threadCpuMs } from './lib/cpu.js';
import { GcPauses } from './lib/gc.js';
import { nodeDescription } from './lib/node-info.js';
import { median } from './lib/median.js';

const FILLERS = Number(process.argv[2] ?? 0);
const SENDERS = Number(process.argv[3] ?? 2_000);
const BLOCK_TXS = 10_000;
const BLOCKS = 3;
/** CheckTx requests per socket burst (CometBFT flushes its ABCI client every 20 ms). */
const BURST = Number(process.env.ABCI_BURST ?? 100);
const SUSTAINED = Number(process.env.ABCI_SUSTAINED ?? 0);
/**
 * With ABCI_SUSTAINED: ProcessProposal before each block, then this many ms
 * for the network's prevote and precommit rounds before FinalizeBlock, as a
 * validator sees a block (unset: FinalizeBlock alone, as a replay).
 */
const VOTE_MS = process.env.ABCI_VOTE_MS === undefined ? undefined : Number(process.env.ABCI_VOTE_MS);
/** Lines of the sustained run, printed after the summary. */
const sustainedReport: string[] = [];

async function benchAbci(): Promise<Record<string, number>> {
  const accounts = benchAccounts(SENDERS);
  const recipients = benchAccounts(SENDERS, 'recipient');
  const appState = { accounts: accounts.map((a) => ({ address: a.address, balance: (10n ** 24n).toString() })) };
  const bench = FILLERS > 0 ? await benchAppWithFillers(appState, FILLERS, `abci-${SENDERS}-senders-${FILLERS}-fillers`) : await benchApp(appState);
  await runBlock(bench, []);

  const nonces = new Array<bigint>(SENDERS).fill(0n);
  const makeBlock = (): Uint8Array[] =>
    Array.from({ length: BLOCK_TXS }, (_, i) => {
      const s = i % SENDERS;
      const to = FILLERS > 0 ? fillerAddress(Math.floor(Math.random() * FILLERS)) : recipients[(i * 7) % SENDERS]!.address;
      return signLegacyTransfer(accounts[s]!, to, 1n, nonces[s]!++);
    });

  const results: Record<string, number> = {};
  // CheckTx: every transaction of BLOCKS blocks, as the mempool sees them.
  const blocks = Array.from({ length: BLOCKS }, makeBlock);
  let checked = 0;
  const checkStart = performance.now();
  const checkCpu = mainThreadCpuMs();
  for (const tx of blocks[0]!) {
    const r = await bench.app.checkTx({ tx, type: 'new' });
    if (r.code !== 0) throw new Error(`CheckTx refused a bench tx: ${r.log}`);
    checked++;
  }
  results['checktx_per_s'] = checked / ((performance.now() - checkStart) / 1000);
  results['checktx_per_cpu_s'] = checked / ((mainThreadCpuMs() - checkCpu) / 1000);
  // Block 1 waits in the mempool while block 0 commits. Its CheckTx requests
  // come as the socket delivers them: bursts, each announced to the app
  // before its first request runs (so sender threads recover the rest).
  const burstStart = performance.now();
  const burstCpu = mainThreadCpuMs();
  const burstAllCpu = process.cpuUsage();
  for (let at = 0; at < BLOCK_TXS; at += BURST) {
    const burst = blocks[1]!.slice(at, at + BURST);
    bench.app.checkTxQueued(burst);
    for (const tx of burst) {
      const r = await bench.app.checkTx({ tx, type: 'new' });
      if (r.code !== 0) throw new Error(`CheckTx refused a bench tx: ${r.log}`);
    }
  }
  results['checktx_burst_per_s'] = BLOCK_TXS / ((performance.now() - burstStart) / 1000);
  results['checktx_burst_per_cpu_s'] = BLOCK_TXS / ((mainThreadCpuMs() - burstCpu) / 1000);
  const all = process.cpuUsage(burstAllCpu);
  results['checktx_burst_per_all_cpu_s'] = BLOCK_TXS / ((all.user + all.system) / 1e6);

  // FinalizeBlock + Commit, warm: block 0 went through CheckTx.
  const warmCpu = mainThreadCpuMs();
  const warm = await runBlock(bench, blocks[0]!);
  results['finalize_commit_warm_tx_per_cpu_s'] = BLOCK_TXS / ((mainThreadCpuMs() - warmCpu) / 1000);
  if (warm.failed > 0) throw new Error(`${warm.failed} bench transactions failed`);
  results['finalize_commit_warm_tx_per_s'] = BLOCK_TXS / (warm.ms / 1000);

  // Recheck: CometBFT rechecks what is left in its mempool (block 1) after the commit.
  const recheckCpu = mainThreadCpuMs();
  const recheckStart = performance.now();
  for (const tx of blocks[1]!) {
    const r = await bench.app.checkTx({ tx, type: 'recheck' });
    if (r.code !== 0) throw new Error(`recheck refused a bench tx: ${r.log}`);
  }
  results['recheck_per_s'] = BLOCK_TXS / ((performance.now() - recheckStart) / 1000);
  results['recheck_per_cpu_s'] = BLOCK_TXS / ((mainThreadCpuMs() - recheckCpu) / 1000);
  const next = await runBlock(bench, blocks[1]!);
  if (next.failed > 0) throw new Error(`${next.failed} bench transactions failed`);

  // Cold: blocks 2.. never seen by CheckTx (a node catching up, or a replay).
  let coldMs = 0;
  const coldCpu = mainThreadCpuMs();
  for (const block of blocks.slice(2)) {
    const cold = await runBlock(bench, block);
    if (cold.failed > 0) throw new Error(`${cold.failed} bench transactions failed`);
    coldMs += cold.ms;
  }
  results['finalize_commit_cold_tx_per_s'] = (BLOCK_TXS * (BLOCKS - 2)) / (coldMs / 1000);
  results['finalize_commit_cold_tx_per_cpu_s'] = (BLOCK_TXS * (BLOCKS - 2)) / ((mainThreadCpuMs() - coldCpu) / 1000);
  if (SUSTAINED > 0) await sustained(bench, makeBlock);
  await bench.close();
  return results;
}

/** {@link SUSTAINED} warm blocks in a row: wall and CPU per block, and their spread. */
async function sustained(bench: Awaited<ReturnType<typeof benchApp>>, makeBlock: () => Uint8Array[]): Promise<void> {
  const rows: Array<{ ms: number; main: number; other: number; all: number }> = [];
  const proposalMs: number[] = [];
  /** CheckTx of each block before it, one core: its senders' accounts are cached after the first block. */
  const checkRates: Array<{ wall: number; cpu: number }> = [];
  /** Each block's FinalizeBlock + Commit in performance.now() time: the collections in them are counted. */
  const windows: Array<[number, number]> = [];
  const gc = new GcPauses();
  for (let b = 0; b < SUSTAINED; b++) {
    const block = makeBlock();
    const checkStart = performance.now();
    const checkCpu = mainThreadCpuMs();
    for (const tx of block) {
      const r = await bench.app.checkTx({ tx, type: 'new' });
      if (r.code !== 0) throw new Error(`CheckTx refused a bench tx: ${r.log}`);
    }
    checkRates.push({ wall: block.length / ((performance.now() - checkStart) / 1000), cpu: block.length / ((mainThreadCpuMs() - checkCpu) / 1000) });
    if (VOTE_MS !== undefined) {
      const proposalStart = performance.now();
      const proposal = await bench.app.processProposal(processRequest(bench.height + 1n, block));
      proposalMs.push(performance.now() - proposalStart);
      if (proposal.status !== 'accept') throw new Error('ProcessProposal refused a bench block');
      await new Promise((resolve) => setTimeout(resolve, VOTE_MS));
    }
    const threadsBefore = threadCpuMs();
    const allBefore = process.cpuUsage();
    const blockStart = performance.now();
    const run = await runBlock(bench, block);
    windows.push([blockStart, performance.now()]);
    if (run.failed > 0) throw new Error(`${run.failed} bench transactions failed`);
    const all = process.cpuUsage(allBefore);
    const spent = [...threadCpuMs()].map(([tid, ms]) => [tid, ms - (threadsBefore.get(tid) ?? 0)] as const);
    const main = spent.find(([tid]) => tid === process.pid)?.[1] ?? Number.NaN;
    const other = Math.max(0, ...spent.filter(([tid]) => tid !== process.pid).map(([, ms]) => ms));
    rows.push({ ms: run.ms, main, other, all: (all.user + all.system) / 1000 });
  }
  const rates = rows.map((r) => BLOCK_TXS / (r.ms / 1000));
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const flow = VOTE_MS === undefined ? '' : `, each after its ProcessProposal and ${VOTE_MS} ms of vote rounds (not counted)`;
  sustainedReport.push(`  ${SUSTAINED} warm blocks in a row${flow} (tx/s, per block: wall ms / main thread CPU ms / busiest other thread / all threads):`);
  sustainedReport.push(`    ${rows.map((r, i) => `${fmt(rates[i]!)} (${fmt(r.ms)} / ${fmt(r.main)} / ${fmt(r.other)} / ${fmt(r.all)})`).join(', ')}`);
  sustainedReport.push(
    `    median ${fmt(median(rates))} tx/s (range ${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}); per block, medians: main thread ${fmt(median(rows.map((r) => r.main)))} ms, busiest other thread ${fmt(median(rows.map((r) => r.other)))} ms, all threads ${fmt(median(rows.map((r) => r.all)))} ms (goal >= 10,000 tx/s)`,
  );
  const collections = gc.within(windows);
  gc.stop();
  sustainedReport.push(
    `    garbage collection in the blocks, main thread: ${collections.scavenges} scavenges (${fmt(collections.scavengeMs)} ms), ${collections.others} other collections (${fmt(collections.otherMs)} ms)`,
  );
  sustainedReport.push(
    `    CheckTx (one core) of each block before it, the senders' accounts cached: median ${fmt(median(checkRates.map((r) => r.wall)))} tx/s (${fmt(median(checkRates.map((r) => r.cpu)))} per main-thread CPU second; range ${fmt(Math.min(...checkRates.map((r) => r.wall)))}–${fmt(Math.max(...checkRates.map((r) => r.wall)))})`,
  );
  const totalMs = rows.reduce((sum, r) => sum + r.ms, 0);
  sustainedReport.push(`    all ${fmt(SUSTAINED * BLOCK_TXS)} transfers ÷ the blocks' total FinalizeBlock + Commit time: ${fmt((SUSTAINED * BLOCK_TXS) / (totalMs / 1000))} tx/s`);
  if (proposalMs.length > 0) sustainedReport.push(`    ProcessProposal (before the vote rounds, not counted above): median ${fmt(median(proposalMs))} ms`);
}

const figures = await benchAbci();
/** `n tx/s`, and per second of the main thread's CPU (the figure a loaded machine distorts least). */
const rate = (wall: string): string =>
  `${Math.round(figures[wall]!).toLocaleString('en-US')} tx/s (${Math.round(figures[wall.replace('_per_s', '_per_cpu_s')]!).toLocaleString('en-US')} per main-thread CPU second)`;
console.log(
  `abci benchmark: ${SENDERS} senders, ${BLOCK_TXS}-transfer blocks${FILLERS > 0 ? `, state of ${FILLERS.toLocaleString('en-US')} more accounts (each transfer pays a random one)` : ''} (${nodeDescription()})`,
);
console.log(`  CheckTx (one core):                     ${rate('checktx_per_s')} (goal >= 12,000)`);
console.log(
  `  CheckTx in bursts of ${BURST}, ${BENCH_SENDER_THREADS} sender thread(s): ${rate('checktx_burst_per_s')}, ${Math.round(figures['checktx_burst_per_all_cpu_s']!).toLocaleString('en-US')} per CPU second of all threads`,
);
console.log(`  recheck after a block:                  ${rate('recheck_per_s')} (goal >= 50,000)`);
console.log(`  FinalizeBlock + Commit, warm cache:     ${rate('finalize_commit_warm_tx_per_s')} (goal >= 10,000)`);
console.log(`  FinalizeBlock + Commit, cold (replay):  ${rate('finalize_commit_cold_tx_per_s')}`);
for (const line of sustainedReport) console.log(line);
