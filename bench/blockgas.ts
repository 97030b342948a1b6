/**
 * Worst-case execution speed of block gas (SPEC 9, the default
 * `block_gas_limit`): blocks filled with transactions that burn their whole
 * gas limit in loops of the cheapest opcodes, run through FinalizeBlock +
 * Commit of the real app (executor, EVM, store). The slowest loop's gas per
 * second, times the block time, bounds the gas a block can hold.
 *
 *   npm run bench -- blockgas
 *
 * Environment: BLOCKGAS_BENCH_GAS=<gas per block> (default the default
 * block_gas_limit), BLOCKGAS_BENCH_BLOCKS=<blocks per loop> (default 2).
 */
import { DEFAULT_BLOCK_GAS_LIMIT } from '../src/state/params.js';
import { benchApp, runBlock } from './lib/app.js';
import { benchAccounts, signLegacyTx } from './lib/txgen.js';

const BLOCK_GAS = BigInt(process.env.BLOCKGAS_BENCH_GAS ?? DEFAULT_BLOCK_GAS_LIMIT);
const BLOCKS = Number(process.env.BLOCKGAS_BENCH_BLOCKS ?? 2);
/** Gas limit of each transaction: ~the largest a free slot allows, so a block holds many. */
const TX_GAS = 1_000_000n;

/**
 * Loops that run until their gas is gone, each as runtime code. The gas per
 * iteration is in the name's comment; the slower the interpreter per gas,
 * the worse for the block.
 */
const LOOPS: Record<string, string> = {
  // JUMPDEST PUSH1 0 JUMP: 12 gas per 3 opcodes (the classic 4-byte loop)
  jump_loop: '5b600056',
  // JUMPDEST, 1,000 × JUMPDEST (1 gas each), PUSH1 0 JUMP: ~1 gas per opcode
  jumpdest_sled: `5b${'5b'.repeat(1000)}600056`,
  // JUMPDEST, 500 × (PUSH0 POP) (2+2 gas), PUSH1 0 JUMP
  push0_pop: `5b${'5f50'.repeat(500)}600056`,
  // JUMPDEST, 500 × (CALLER POP) (2+2 gas), PUSH1 0 JUMP: an environment read per iteration
  caller_pop: `5b${'3350'.repeat(500)}600056`,
  // JUMPDEST, 500 × (ORIGIN POP), PUSH1 0 JUMP
  origin_pop: `5b${'3250'.repeat(500)}600056`,
  // JUMPDEST, 300 × (PUSH1 1 BLOCKHASH POP) (3+20+2 gas), PUSH1 0 JUMP: a recent block hash read
  blockhash_pop: `5b${'60014050'.repeat(300)}600056`,
  // JUMPDEST, 500 × (ADDRESS POP), PUSH1 0 JUMP
  address_pop: `5b${'3050'.repeat(500)}600056`,
  // JUMPDEST, 500 × (GAS POP), PUSH1 0 JUMP
  gas_pop: `5b${'5a50'.repeat(500)}600056`,
  // JUMPDEST, 500 × (SELFBALANCE POP) (5+2 gas), PUSH1 0 JUMP: a state read per iteration
  selfbalance_pop: `5b${'4750'.repeat(500)}600056`,
};

function address(i: number): `0x${string}` {
  return `0x${(0xc0de00 + i).toString(16).padStart(40, '0')}`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

async function main(): Promise<void> {
  const names = Object.keys(LOOPS);
  const txsPerBlock = Number(BLOCK_GAS / TX_GAS);
  const senders = benchAccounts(txsPerBlock, 'blockgas');
  const appState = {
    params: { block_gas_limit: BLOCK_GAS.toString() },
    accounts: senders.map((s) => ({ address: s.address, balance: (10n ** 24n).toString() })),
    contracts: names.map((name, i) => ({ address: address(i), code: `0x${LOOPS[name]}` })),
  };
  const bench = await benchApp(appState);
  console.log(`block gas: ${BLOCK_GAS} (${txsPerBlock} transactions × ${TX_GAS} gas, each running out of gas in its loop), ${BLOCKS} blocks per loop`);
  const nonces = new Array<bigint>(senders.length).fill(0n);
  const results: Record<string, number> = {};
  let worst = Infinity;
  for (const [i, name] of names.entries()) {
    let ms = 0;
    let cpuUs = 0;
    let gas = 0n;
    for (let b = 0; b < BLOCKS; b++) {
      const txs = senders.map((s, j) => signLegacyTx(s, { to: address(i), nonce: nonces[j]!++, gasLimit: TX_GAS }));
      const before = bench.store.height;
      const cpu = process.cpuUsage();
      const r = await runBlock(bench, txs);
      const used = process.cpuUsage(cpu);
      cpuUs += used.user + used.system;
      if (bench.store.height !== before + 1n) throw new Error('block not committed');
      // Every transaction must have run its loop out of gas (code 12): nothing was refused.
      if (r.failed !== txs.length) throw new Error(`${name}: expected every transaction to run out of gas`);
      ms += r.ms;
      gas += BigInt(txs.length) * TX_GAS;
    }
    // CPU time (user + system, LevelDB's threads included) is what a loaded machine disturbs least.
    const gasPerCpuS = Number(gas) / (cpuUs / 1e6);
    results[`${name}_mgas_per_s`] = round2(Number(gas) / (ms / 1000) / 1e6);
    results[`${name}_mgas_per_cpu_s`] = round2(gasPerCpuS / 1e6);
    results[`${name}_block_s`] = round2(ms / BLOCKS / 1000);
    worst = Math.min(worst, gasPerCpuS);
  }
  results['worst_mgas_per_cpu_s'] = round2(worst / 1e6);
  results['block_cpu_s_at_worst'] = round2(Number(BLOCK_GAS) / worst);
  await bench.close();
  console.log(results);
}

await main();
