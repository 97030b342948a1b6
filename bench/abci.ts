/**
 * Issue-2 figures: CheckTx of signed transfers per second (one core), and
 * FinalizeBlock + Commit of 10,000-transfer blocks, with the sender cache
 * warm (transactions seen by CheckTx first, the normal path) and cold.
 */
import { benchAccounts, signLegacyTransfer } from './lib/txgen.js';
import { benchApp, runBlock } from './lib/app.js';

const SENDERS = 2_000;
const BLOCK_TXS = 10_000;
const BLOCKS = 3;

/** CPU seconds of this process so far (all threads): steadier than wall time on a loaded machine. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function benchAbci(): Promise<Record<string, number>> {
  const accounts = benchAccounts(SENDERS);
  const recipients = benchAccounts(SENDERS, 'recipient');
  const appState = { accounts: accounts.map((a) => ({ address: a.address, balance: (10n ** 24n).toString() })) };
  const bench = await benchApp(appState);
  await runBlock(bench, []);

  const nonces = new Array<bigint>(SENDERS).fill(0n);
  const makeBlock = (): Uint8Array[] =>
    Array.from({ length: BLOCK_TXS }, (_, i) => {
      const s = i % SENDERS;
      return signLegacyTransfer(accounts[s]!, recipients[(i * 7) % SENDERS]!.address, 1n, nonces[s]!++);
    });

  const results: Record<string, number> = {};
  // CheckTx: every transaction of BLOCKS blocks, as the mempool sees them.
  const blocks = Array.from({ length: BLOCKS }, makeBlock);
  let checked = 0;
  const checkCpu = cpuSeconds();
  const checkStart = performance.now();
  for (const tx of blocks[0]!) {
    const r = await bench.app.checkTx({ tx, type: 'new' });
    if (r.code !== 0) throw new Error(`CheckTx refused a bench tx: ${r.log}`);
    checked++;
  }
  results['checktx_per_s'] = checked / ((performance.now() - checkStart) / 1000);
  results['checktx_per_cpu_s'] = checked / (cpuSeconds() - checkCpu);
  // Block 1 waits in the mempool while block 0 commits.
  for (const tx of blocks[1]!) {
    const r = await bench.app.checkTx({ tx, type: 'new' });
    if (r.code !== 0) throw new Error(`CheckTx refused a bench tx: ${r.log}`);
  }

  // FinalizeBlock + Commit, warm: block 0 went through CheckTx.
  const warm = await runBlock(bench, blocks[0]!);
  if (warm.failed > 0) throw new Error(`${warm.failed} bench transactions failed`);
  results['finalize_commit_warm_tx_per_s'] = BLOCK_TXS / (warm.ms / 1000);

  // Recheck: CometBFT rechecks what is left in its mempool (block 1) after the commit.
  const recheckCpu = cpuSeconds();
  const recheckStart = performance.now();
  for (const tx of blocks[1]!) {
    const r = await bench.app.checkTx({ tx, type: 'recheck' });
    if (r.code !== 0) throw new Error(`recheck refused a bench tx: ${r.log}`);
  }
  results['recheck_per_s'] = BLOCK_TXS / ((performance.now() - recheckStart) / 1000);
  results['recheck_per_cpu_s'] = BLOCK_TXS / (cpuSeconds() - recheckCpu);
  const next = await runBlock(bench, blocks[1]!);
  if (next.failed > 0) throw new Error(`${next.failed} bench transactions failed`);

  // Cold: blocks 2.. never seen by CheckTx (a node catching up, or a replay).
  let coldMs = 0;
  for (const block of blocks.slice(2)) {
    const cold = await runBlock(bench, block);
    if (cold.failed > 0) throw new Error(`${cold.failed} bench transactions failed`);
    coldMs += cold.ms;
  }
  results['finalize_commit_cold_tx_per_s'] = (BLOCK_TXS * (BLOCKS - 2)) / (coldMs / 1000);
  await bench.close();
  return results;
}

const figures = await benchAbci();
console.log(`abci benchmark: ${SENDERS} senders, ${BLOCK_TXS}-transfer blocks (Node ${process.version})`);
console.log(`  CheckTx (one core):                     ${Math.round(figures.checktx_per_s!).toLocaleString('en-US')} tx/s, ${Math.round(figures.checktx_per_cpu_s!).toLocaleString('en-US')} per CPU-second (goal >= 12,000)`);
console.log(`  recheck after a block:                  ${Math.round(figures.recheck_per_s!).toLocaleString('en-US')} tx/s, ${Math.round(figures.recheck_per_cpu_s!).toLocaleString('en-US')} per CPU-second (goal >= 50,000)`);
console.log(`  FinalizeBlock + Commit, warm cache:     ${Math.round(figures.finalize_commit_warm_tx_per_s!).toLocaleString('en-US')} tx/s (goal >= 10,000)`);
console.log(`  FinalizeBlock + Commit, cold (replay):  ${Math.round(figures.finalize_commit_cold_tx_per_s!).toLocaleString('en-US')} tx/s`);
