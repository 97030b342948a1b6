/**
 * The ABCI transport's own cost (src/abci/codec.ts), without the app: what
 * the socket server spends turning frames into requests and responses into
 * frames on the hot paths.
 *
 *   node --import tsx bench/abci-wire.ts
 *
 * - decode a FinalizeBlock request of 10,000 transfer-sized txs (the txs
 *   must stay views into the frame: checked);
 * - encode the FinalizeBlock response of 10,000 results shaped like the
 *   app's (receipt data, gas, one `ethereum_tx` event of 4 attributes);
 * - CheckTx: decode a request + encode its response, per second.
 * Each figure is the median of several rounds, in CPU time of this process
 * (process.cpuUsage: µs resolution; the codec is plain JS, so it is the main
 * thread's plus the GC's) — the figure a loaded machine distorts least — and
 * in wall time.
 */
import { decodeRequest, encodeResponseFrame } from '../src/abci/codec.js';
import type { ExecTxResult } from '../src/abci/types.js';
import { checkTxFrame, finalizeBlockFrame } from './lib/abci-frames.js';
import { nodeDescription } from './lib/node-info.js';
import { median } from './lib/median.js';

const BLOCK_TXS = 10_000;
const TX_BYTES = 110; // a signed legacy transfer
const ROUNDS = 15;

const txs = Array.from({ length: BLOCK_TXS }, (_, i) => new Uint8Array(TX_BYTES).fill(i & 0xff));
const fbFrame = finalizeBlockFrame(txs);
const ctFrame = checkTxFrame(txs[0]!);

const results: ExecTxResult[] = txs.map((_, i) => ({
  code: 0,
  codespace: '',
  log: '',
  data: new Uint8Array(72).fill(i & 0xff),
  gasWanted: 21_000n,
  gasUsed: 21_000n,
  events: [
    {
      type: 'ethereum_tx',
      attributes: [
        { key: 'hash', value: `0x${i.toString(16).padStart(64, '0')}`, index: true },
        { key: 'from', value: `0x${'ab'.repeat(20)}`, index: true },
        { key: 'to', value: `0x${'cd'.repeat(20)}`, index: true },
        { key: 'nonce', value: String(i), index: false },
      ],
    },
  ],
}));
const appHash = new Uint8Array(32).fill(7);

/** Median [cpu ms, wall ms] of `rounds` runs of f (after two warm-up runs). */
function measure(f: () => void, rounds = ROUNDS): [number, number] {
  f();
  f();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    f();
    wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  return [median(cpu), median(wall)];
}

const decoded = decodeRequest(fbFrame);
if (decoded.type !== 'finalizeBlock' || decoded.value.txs.length !== BLOCK_TXS) throw new Error('bad FinalizeBlock decode');
if (decoded.value.txs[1]!.buffer !== fbFrame.buffer) throw new Error('txs were copied out of the frame');

const [fbDecCpu, fbDecWall] = measure(() => void decodeRequest(fbFrame));
const [fbEncCpu, fbEncWall] = measure(() => void encodeResponseFrame({ type: 'finalizeBlock', value: { txResults: results, appHash } }));
const CHECKS = 20_000;
const [ctCpu, ctWall] = measure(() => {
  for (let i = 0; i < CHECKS; i++) {
    const req = decodeRequest(ctFrame);
    if (req.type !== 'checkTx') throw new Error('bad CheckTx decode');
    encodeResponseFrame({ type: 'checkTx', value: { code: 0, gasWanted: 21_000n } });
  }
}, 7);

const ms = (cpu: number, wall: number): string => `${cpu.toFixed(2)} ms CPU (${wall.toFixed(2)} ms wall)`;
console.log(`abci wire benchmark: ${BLOCK_TXS}-tx blocks of ${TX_BYTES}-byte txs, median of ${ROUNDS} rounds (${nodeDescription()})`);
console.log(`  decode FinalizeBlock request (${(fbFrame.length / 1e6).toFixed(2)} MB):   ${ms(fbDecCpu, fbDecWall)}`);
console.log(`  encode FinalizeBlock response (10,000 results): ${ms(fbEncCpu, fbEncWall)}`);
console.log(
  `  CheckTx decode + encode: ${Math.round(CHECKS / (ctCpu / 1000)).toLocaleString('en-US')} per CPU second (${Math.round(CHECKS / (ctWall / 1000)).toLocaleString('en-US')}/s wall)`,
);
