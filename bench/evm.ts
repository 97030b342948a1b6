/**
 * EVM figures (docs/EVM.md):
 *  - ERC-20 (OpenZeppelin LoyaltyToken) transfers executed per second in
 *    FinalizeBlock + Commit, blocks of BLOCK_TXS transfers from SENDERS
 *    accounts, senders recovered in FinalizeBlock (not seen by CheckTx);
 *  - the same, same process, blocks alternating between our synchronous
 *    interpreter loop and @ethereumjs/evm's own (src/evm/fast-step.ts),
 *    AB_ROUNDS rounds: a before/after that machine load disturbs equally;
 *  - eth_call latency of `balanceOf` on the committed state;
 *  - the same transfers through stock @ethereumjs/vm (createVM + runTx with
 *    its own Merkle-Patricia state manager), for comparison: as a user would
 *    run them (parsed with @ethereumjs/tx, sender recovered by its noble
 *    secp256k1), and execution only (parsed and recovered beforehand).
 *
 *   npm run bench -- evm        (once wired into bench/run.ts)
 *   node --import tsx -e "import('./bench/evm.ts').then(async m => console.log(await m.benchEvm()))"
 *
 * The transfer figure is given twice: by wall-clock time and by the
 * process's CPU time (user + system, LevelDB's threads included), which a
 * machine loaded by other work disturbs much less. Environment, for
 * profiling our path alone:
 *   EVM_BENCH_BLOCKS=<n>   blocks of transfers (default 2)
 *   EVM_BENCH_OURS_ONLY=1  skip eth_call and the stock @ethereumjs/vm runs
 *   node --cpu-prof --import tsx bench/evm.ts
 */
import { createBlock } from '@ethereumjs/block';
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { RLP } from '@ethereumjs/rlp';
import { createTxFromRLP } from '@ethereumjs/tx';
import { Account, Address as EthAddress } from '@ethereumjs/util';
import { createVM, runTx } from '@ethereumjs/vm';
import { Interface, getCreateAddress } from 'ethers';
import { bigintToBytes } from '../src/state/accounts.js';
import { DEFAULT_PARAMS } from '../src/state/params.js';
import { Overlay } from '../src/store/kv.js';
import { keccak256, signHash } from '../src/util/crypto.js';
import { ethCall } from '../src/tx/call.js';
import { loadContract } from '../test/support/contracts.js';
import { FEE_POOL_ADDRESS } from '../src/evm/engine.js';
import { forceLibraryLoop } from '../src/evm/fast-step.js';
import { benchApp, runBlock } from './lib/app.js';
import { benchAccounts, type BenchAccount } from './lib/txgen.js';

const SENDERS = 1_000;
const BLOCK_TXS = 4_000;
const BLOCKS = Number(process.env.EVM_BENCH_BLOCKS ?? 2);
/** Rounds of the same-process comparison (one block with each loop per round). */
const AB_ROUNDS = Number(process.env.EVM_BENCH_AB_ROUNDS ?? 2);
const CALLS = 2_000;
const DEFAULT_VM_TXS = 500;
const GAS_PRICE = 2_000_000_000n;

function strip(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

/** A legacy EIP-155 transaction signed with the native secp256k1 binding. */
function signCall(from: BenchAccount, to: string | null, data: Uint8Array, nonce: bigint, gasLimit: bigint): Uint8Array {
  const fields = [
    bigintToBytes(nonce),
    bigintToBytes(GAS_PRICE),
    bigintToBytes(gasLimit),
    to === null ? new Uint8Array(0) : Buffer.from(to.slice(2), 'hex'),
    new Uint8Array(0),
    data,
  ];
  const chainId = 18n;
  const hash = keccak256(RLP.encode([...fields, bigintToBytes(chainId), new Uint8Array(0), new Uint8Array(0)]));
  const { r, s, recovery } = signHash(hash, from.privateKey);
  return RLP.encode([...fields, bigintToBytes(chainId * 2n + 35n + BigInt(recovery)), strip(r), strip(s)]);
}

function hexBytes(hex: string): Uint8Array {
  return Buffer.from(hex.slice(2), 'hex');
}

interface Workload {
  merchant: BenchAccount;
  senders: BenchAccount[];
  token: string;
  iface: Interface;
  deploy: Uint8Array;
  mints: Uint8Array[];
  /** Blocks of transfers. */
  blocks: Uint8Array[][];
}

function workload(blocks: number, perBlock: number): Workload {
  const [merchant] = benchAccounts(1, 'evm-merchant');
  const senders = benchAccounts(SENDERS, 'evm-sender');
  const contract = loadContract('LoyaltyToken');
  const iface = new Interface(contract.abi);
  const token = getCreateAddress({ from: merchant!.address, nonce: 0 }).toLowerCase();
  const deploy = signCall(merchant!, null, hexBytes(contract.bytecode + iface.encodeDeploy(['Bench Points', 'BP', merchant!.address]).slice(2)), 0n, 3_000_000n);
  const mints = senders.map((s, i) => signCall(merchant!, token, hexBytes(iface.encodeFunctionData('mint', [s.address, 1_000_000n])), BigInt(i + 1), 100_000n));
  const nonces = new Array<bigint>(SENDERS).fill(0n);
  const out: Uint8Array[][] = [];
  for (let b = 0; b < blocks; b++) {
    out.push(
      Array.from({ length: perBlock }, (_, i) => {
        const s = i % SENDERS;
        const to = senders[(i * 7 + b + 1) % SENDERS]!.address;
        return signCall(senders[s]!, token, hexBytes(iface.encodeFunctionData('transfer', [to, 1n])), nonces[s]!++, 100_000n);
      }),
    );
  }
  return { merchant: merchant!, senders, token, iface, deploy, mints, blocks: out };
}

export async function benchEvm(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const w = workload(BLOCKS + 2 * AB_ROUNDS, BLOCK_TXS);
  const balance = (10n ** 24n).toString();
  const appState = { accounts: [w.merchant, ...w.senders].map((a) => ({ address: a.address, balance })) };

  // ---- ours: FinalizeBlock + Commit -----------------------------------------
  const bench = await benchApp(appState);
  const setup = await runBlock(bench, [w.deploy, ...w.mints]);
  if (setup.failed > 0) throw new Error(`${setup.failed} setup transactions failed`);
  let ms = 0;
  let cpuUs = 0;
  for (const block of w.blocks.slice(0, BLOCKS)) {
    const cpu = process.cpuUsage();
    const r = await runBlock(bench, block);
    const used = process.cpuUsage(cpu);
    if (r.failed > 0) throw new Error(`${r.failed} bench transfers failed`);
    ms += r.ms;
    cpuUs += used.user + used.system;
  }
  results['erc20_transfer_finalize_commit_tx_per_s'] = (BLOCKS * BLOCK_TXS) / (ms / 1000);
  results['erc20_transfer_finalize_commit_tx_per_cpu_s'] = (BLOCKS * BLOCK_TXS) / (cpuUs / 1e6);

  // ---- the same, alternating with the library's interpreter loop ------------
  const spent = { ours: { ms: 0, cpuUs: 0 }, library: { ms: 0, cpuUs: 0 } };
  for (let round = 0; round < 2 * AB_ROUNDS; round++) {
    // ours, library, library, ours, ...: neither always goes first.
    const loop = round % 4 === 0 || round % 4 === 3 ? 'ours' : 'library';
    forceLibraryLoop(loop === 'library');
    const cpu = process.cpuUsage();
    const r = await runBlock(bench, w.blocks[BLOCKS + round]!);
    const used = process.cpuUsage(cpu);
    if (r.failed > 0) throw new Error(`${r.failed} bench transfers failed`);
    spent[loop].ms += r.ms;
    spent[loop].cpuUs += used.user + used.system;
  }
  forceLibraryLoop(false);
  if (AB_ROUNDS > 0) {
    for (const loop of ['ours', 'library'] as const) {
      results[`ab_${loop}_loop_tx_per_s`] = (AB_ROUNDS * BLOCK_TXS) / (spent[loop].ms / 1000);
      results[`ab_${loop}_loop_tx_per_cpu_s`] = (AB_ROUNDS * BLOCK_TXS) / (spent[loop].cpuUs / 1e6);
    }
  }
  if (process.env.EVM_BENCH_OURS_ONLY === '1') {
    await bench.close();
    return results;
  }

  // ---- eth_call balanceOf latency ---------------------------------------------
  const ctx = { height: bench.store.height, time: 1_700_000_000n, params: { ...DEFAULT_PARAMS }, blockGasLimit: null };
  const state = new Overlay(bench.store);
  for (let i = 0; i < 100; i++)
    await ethCall(state, { to: w.token as `0x${string}`, data: hexBytes(w.iface.encodeFunctionData('balanceOf', [w.senders[i]!.address])) }, ctx, () => undefined);
  const calls = Array.from({ length: CALLS }, (_, i) => hexBytes(w.iface.encodeFunctionData('balanceOf', [w.senders[i % SENDERS]!.address])));
  const callStart = performance.now();
  for (const data of calls) {
    const r = await ethCall(state, { to: w.token as `0x${string}`, data }, ctx, () => undefined);
    if (!r.success) throw new Error(`balanceOf failed: ${r.error}`);
  }
  results['eth_call_balanceOf_us'] = ((performance.now() - callStart) * 1000) / CALLS;
  await bench.close();

  // ---- stock @ethereumjs/vm -----------------------------------------------------
  const common = createCustomCommon({ chainId: 18 }, Mainnet, { hardfork: Hardfork.Cancun });
  const vm = await createVM({ common });
  for (const a of [w.merchant, ...w.senders]) await vm.stateManager.putAccount(new EthAddress(hexBytes(a.address)), new Account(0n, 10n ** 24n));
  const block = createBlock({ header: { number: 1n, timestamp: 1_700_000_000n, gasLimit: 1_000_000_000n, baseFeePerGas: GAS_PRICE, coinbase: FEE_POOL_ADDRESS } }, { common });
  for (const raw of [w.deploy, ...w.mints]) {
    const r = await runTx(vm, { tx: createTxFromRLP(raw, { common }), block });
    if (r.execResult.exceptionError !== undefined) throw new Error(`default VM setup failed: ${r.execResult.exceptionError.error}`);
  }
  // As a user would: parse each transaction and run it (sender recovery by @ethereumjs/tx's noble secp256k1 included).
  const full = w.blocks[0]!.slice(0, DEFAULT_VM_TXS);
  let started = performance.now();
  for (const raw of full) {
    const r = await runTx(vm, { tx: createTxFromRLP(raw, { common }), block });
    if (r.execResult.exceptionError !== undefined) throw new Error(`default VM transfer failed: ${r.execResult.exceptionError.error}`);
  }
  await vm.stateManager.getStateRoot(); // the state commitment a block needs
  results['default_vm_erc20_transfer_tx_per_s'] = full.length / ((performance.now() - started) / 1000);
  // Execution only: transactions parsed and senders recovered before the clock starts.
  const parsed = w.blocks[0]!.slice(DEFAULT_VM_TXS, 2 * DEFAULT_VM_TXS).map((raw) => {
    const tx = createTxFromRLP(raw, { common });
    tx.getSenderAddress();
    return tx;
  });
  started = performance.now();
  for (const tx of parsed) {
    const r = await runTx(vm, { tx, block });
    if (r.execResult.exceptionError !== undefined) throw new Error(`default VM transfer failed: ${r.execResult.exceptionError.error}`);
  }
  await vm.stateManager.getStateRoot();
  results['default_vm_erc20_transfer_exec_only_tx_per_s'] = parsed.length / ((performance.now() - started) / 1000);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await benchEvm());
}
