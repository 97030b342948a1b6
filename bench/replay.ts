/**
 * Issue-18 figures: `cmtd replay` speed, every app hash checked. A one-node
 * chain is made once (REPLAY_EMPTY empty blocks, then REPLAY_TXS signed
 * transfers from 200 senders) and recorded; then, in this process:
 *   - replay of the recording: empty blocks/s over the empty part, and
 *     transfers/s over the transfer part;
 *   - replay of the empty part straight from the node's RPC on loopback.
 *
 * The RPC figure needs a live node, so the chain is made on every run;
 * with REPLAY_SKIP_RPC=1 the recording of an earlier run (kept under
 * ~/.cache/cmtd/bench/replay) is reused when there is one. REPLAY_FRESH=1
 * always makes a new chain. Both replays of the recording run in the same
 * process, one LevelDB write per block first (as before issue 18), then
 * batched, so their ratio is comparable on a loaded machine.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../src/localnet/cometbft.js';
import { defaultAppState, Localnet } from '../src/localnet/network.js';
import { replayChain } from '../src/replay/replay.js';
import { FileSource, recordChain, RpcSource, type ReplaySource } from '../src/replay/source.js';
import { BENCH_SENDER_THREADS } from './lib/app.js';
import { benchAccounts, signLegacyTransfer } from './lib/txgen.js';
import { nodeDescription } from './lib/node-info.js';

const EMPTY = BigInt(process.env.REPLAY_EMPTY ?? 2_000);
const TXS = Number(process.env.REPLAY_TXS ?? 20_000);
const SENDERS = 200;
const BLOCK_GAS = 1_000_000_000n;

const senders = benchAccounts(SENDERS, 'replay-bench');
const recipient = benchAccounts(1, 'replay-bench-recipient')[0]!.address;
const dir = join(cacheDir(), 'bench', 'replay');
const recording = join(dir, `chain-${EMPTY}-${TXS}.jsonl`);
const manifest = `${recording}.json`;

interface ChainShape {
  /** Last height of the empty part. */
  emptyTo: string;
  last: string;
  txs: number;
}

function post(agent: Agent, port: number, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function makeChain(net: Localnet): Promise<ChainShape> {
  const node = net.nodes[0]!;
  await net.waitForHeight(EMPTY, 30 * 60_000);
  const emptyTo = await node.rpc.height();
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const perSender = Math.ceil(TXS / SENDERS);
  await Promise.all(
    Array.from({ length: 16 }, async (_, k) => {
      for (let n = 0; n < perSender; n++) {
        for (let s = k; s < SENDERS; s += 16) {
          const tx = Buffer.from(signLegacyTransfer(senders[s]!, recipient, 1n, BigInt(n))).toString('base64');
          await post(agent, node.rpcPort, `{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"${tx}"}}`);
        }
      }
    }),
  );
  agent.destroy();
  // Until every transfer is in a block: the recipient's balance.
  let last = 0n;
  for (;;) {
    const account = await node.rpc.queryJson<{ balance: string }>(`/account/${recipient}`).catch(() => ({ balance: '0' }));
    if (BigInt(account.balance) >= BigInt(perSender * SENDERS)) {
      last = await node.rpc.height();
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await net.waitForHeight(last + 1n);
  return { emptyTo: emptyTo.toString(), last: last.toString(), txs: perSender * SENDERS };
}

interface Timing {
  seconds: number;
  cpuSeconds: number;
  markSeconds: number;
  markCpuSeconds: number;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Wall and CPU seconds (this process, all threads) of a replay, and at height `mark`. */
async function timedReplay(source: ReplaySource, to: bigint, mark: bigint | undefined, flushBlocks?: number): Promise<Timing> {
  const state = mkdtempSync(join(tmpdir(), 'cmtd-replay-bench-'));
  const started = performance.now();
  const cpuStarted = cpuNow();
  let markAt = 0;
  let markCpu = 0;
  try {
    const report = await replayChain({
      source,
      stateDir: state,
      to,
      senderThreads: BENCH_SENDER_THREADS,
      ...(flushBlocks === undefined ? {} : { flushBlocks }),
      onHeight: (h) => {
        if (h === mark) {
          markAt = performance.now();
          markCpu = cpuNow();
        }
      },
    });
    if (report.divergence !== undefined) throw new Error(`replay diverged at ${report.divergence.height}`);
    if (report.unverified.length > 0) throw new Error(`${report.unverified.length} heights without a checked app hash`);
  } finally {
    await source.close();
    rmSync(state, { recursive: true, force: true });
  }
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpuNow() - cpuStarted, markSeconds: (markAt - started) / 1000, markCpuSeconds: markCpu - cpuStarted };
}

mkdirSync(dir, { recursive: true });
const needRpc = process.env.REPLAY_SKIP_RPC !== '1';
let net: Localnet | undefined;
let netDir: string | undefined;
if (process.env.REPLAY_FRESH === '1' || !existsSync(manifest) || needRpc) {
  netDir = mkdtempSync(join(tmpdir(), 'cmtd-replay-chain-'));
  net = await Localnet.create({
    dir: netDir,
    nodes: 1,
    blockTime: '5ms',
    maxGas: BLOCK_GAS,
    cmtdLogLevel: 'warn',
    cometLogLevel: 'error',
    appState: (ctx) => {
      const state = defaultAppState(ctx, 1_000_000n * 10n ** 18n) as { params: Record<string, unknown>; accounts: Array<{ address: string; balance: string }> };
      state.params.block_gas_limit = BLOCK_GAS.toString();
      state.accounts.push(...senders.map((s) => ({ address: s.address, balance: (10n ** 24n).toString() })));
      return state;
    },
  });
  await net.start();
}
try {
  let shape: ChainShape;
  if (net !== undefined) {
    console.log(`replay benchmark: making a chain of ${EMPTY} empty blocks and ${TXS} transfers…`);
    shape = await makeChain(net);
    await recordChain(new RpcSource(`http://127.0.0.1:${net.nodes[0]!.rpcPort}`), recording, { to: BigInt(shape.last) });
    writeFileSync(manifest, JSON.stringify(shape));
  } else {
    shape = JSON.parse(readFileSync(manifest, 'utf8')) as ChainShape;
  }
  const emptyTo = BigInt(shape.emptyTo);
  const last = BigInt(shape.last);
  console.log(
    `replay benchmark: heights 1-${emptyTo} empty, ${emptyTo + 1n}-${last} holding ${shape.txs} transfers, ${BENCH_SENDER_THREADS} sender thread(s) (${nodeDescription()})`,
  );
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const show = (label: string, t: Timing): void => {
    console.log(`  ${label}, empty blocks: ${fmt(Number(emptyTo) / t.markSeconds)} blocks/s, ${fmt(Number(emptyTo) / t.markCpuSeconds)} per CPU-second (goal >= 2,000)`);
    const txSeconds = t.seconds - t.markSeconds;
    console.log(`  ${label}, transfers:    ${fmt(shape.txs / txSeconds)} tx/s, ${fmt(shape.txs / (t.cpuSeconds - t.markCpuSeconds))} per CPU-second (goal >= 5,000)`);
  };
  // Same run, same machine load: one LevelDB write per block (as before issue 18), then batched.
  show('from a recording, a write per block', await timedReplay(await FileSource.open(recording), last, emptyTo, 1));
  show('from a recording, batched writes  ', await timedReplay(await FileSource.open(recording), last, emptyTo));
  if (net !== undefined) {
    const rpc = await timedReplay(new RpcSource(`http://127.0.0.1:${net.nodes[0]!.rpcPort}`), emptyTo, undefined);
    console.log(
      `  from the node's RPC, empty blocks: ${fmt(Number(emptyTo) / rpc.seconds)} blocks/s, ${fmt(Number(emptyTo) / rpc.cpuSeconds)} per CPU-second of replay (goal >= 1,000)`,
    );
  }
} finally {
  await net?.stop();
  if (netDir !== undefined) rmSync(netDir, { recursive: true, force: true });
}
