// temporary: our path only of bench/evm.ts, for profiling
import { RLP } from '@ethereumjs/rlp';
import { Interface, getCreateAddress } from 'ethers';
import { bigintToBytes } from './src/state/accounts.js';
import { keccak256, signHash } from './src/util/crypto.js';
import { loadContract } from './src/evm/contracts.js';
import { benchApp, runBlock } from './bench/lib/app.js';
import { benchAccounts, type BenchAccount } from './bench/lib/txgen.js';
const SENDERS = 1000, BLOCK_TXS = 4000, BLOCKS = Number(process.env.BLOCKS ?? 4);
const GAS_PRICE = 2_000_000_000n;
function strip(b: Uint8Array): Uint8Array { let i = 0; while (i < b.length && b[i] === 0) i++; return b.subarray(i); }
function signCall(from: BenchAccount, to: string | null, data: Uint8Array, nonce: bigint, gasLimit: bigint): Uint8Array {
  const fields = [bigintToBytes(nonce), bigintToBytes(GAS_PRICE), bigintToBytes(gasLimit), to === null ? new Uint8Array(0) : Buffer.from(to.slice(2), 'hex'), new Uint8Array(0), data];
  const hash = keccak256(RLP.encode([...fields, bigintToBytes(18n), new Uint8Array(0), new Uint8Array(0)]));
  const { r, s, recovery } = signHash(hash, from.privateKey);
  return RLP.encode([...fields, bigintToBytes(18n * 2n + 35n + BigInt(recovery)), strip(r), strip(s)]);
}
const hexBytes = (h: string): Uint8Array => Buffer.from(h.slice(2), 'hex');
const [merchant] = benchAccounts(1, 'evm-merchant');
const senders = benchAccounts(SENDERS, 'evm-sender');
const contract = loadContract('LoyaltyToken');
const iface = new Interface(contract.abi);
const token = getCreateAddress({ from: merchant!.address, nonce: 0 }).toLowerCase();
const deploy = signCall(merchant!, null, hexBytes(contract.bytecode + iface.encodeDeploy(['Bench Points', 'BP', merchant!.address]).slice(2)), 0n, 3_000_000n);
const mints = senders.map((s, i) => signCall(merchant!, token, hexBytes(iface.encodeFunctionData('mint', [s.address, 1_000_000n])), BigInt(i + 1), 100_000n));
const nonces = new Array<bigint>(SENDERS).fill(0n);
const blocks: Uint8Array[][] = [];
for (let b = 0; b < BLOCKS; b++) blocks.push(Array.from({ length: BLOCK_TXS }, (_, i) => { const s = i % SENDERS; const to = senders[(i * 7 + b + 1) % SENDERS]!.address; return signCall(senders[s]!, token, hexBytes(iface.encodeFunctionData('transfer', [to, 1n])), nonces[s]!++, 100_000n); }));
const balance = (10n ** 24n).toString();
const bench = await benchApp({ accounts: [merchant!, ...senders].map((a) => ({ address: a.address, balance })) });
const setup = await runBlock(bench, [deploy, ...mints]);
if (setup.failed > 0) throw new Error('setup failed');
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
const session = process.env.PROF ? new Session() : undefined;
if (session) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 200 }); await session.post('Profiler.start'); }
const per: number[] = [];
const cpu: number[] = [];
for (const block of blocks) { (globalThis as any).__T = {}; const tb = performance.now(); const c0 = process.cpuUsage(); const r = await runBlock(bench, block); const c = process.cpuUsage(c0); if (r.failed > 0) throw new Error(`${r.failed} failed`); per.push(Math.round(BLOCK_TXS / (r.ms / 1000))); cpu.push(Math.round(BLOCK_TXS / ((c.user + c.system) / 1e6))); const T = (globalThis as any).__T; console.log('block ms', Math.round(performance.now() - tb), Object.entries(T).map(([k, v]) => `${k}=${Math.round(v as number)}`).join(' ')); }
if (session) { const { profile } = await session.post('Profiler.stop'); writeFileSync(process.env.PROF!, JSON.stringify(profile)); }
console.log('wall tx/s', per.join(' '), 'best', Math.max(...per), '| cpu tx/s', cpu.join(' '), 'median(2..)', cpu.slice(1).sort((a, b) => a - b)[Math.floor((cpu.length - 1) / 2)]);
await bench.close();
