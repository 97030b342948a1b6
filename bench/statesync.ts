/**
 * Joining a network by state sync vs by replay (docs/STATE-SYNC.md), with
 * real CometBFT v0.38 processes: one validator whose genesis funds
 * `accounts` accounts (default 100,000) runs until it has a snapshot
 * (every 20 heights); then, one after the other so they never compete for
 * the CPU:
 * - node1 joins by state sync (its [statesync] section as an operator
 *   writes it) — timed from starting its processes to reaching the
 *   validator's height at that moment;
 * - node2 joins by replay (InitChain of the whole genesis, then every block
 *   from 1 over block sync) — timed the same way.
 *
 *   node --import tsx bench/statesync.ts [accounts=100000]
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Localnet, defaultAppState, type LocalNode } from '../src/localnet/network.js';
import { waitFor } from '../src/node/process.js';
import { CMT } from '../src/state/params.js';
import { tempDir } from '../test/support/chain.js';
import { configureStateSync, trustPoint } from '../test/support/statesync.js';

const ACCOUNTS = Number(process.argv[2] ?? 100_000);
const INTERVAL = 20n;

function address(i: number): string {
  return `0x${createHash('sha256').update(`bench-account-${i}`).digest('hex').slice(0, 40)}`;
}

async function joinAndTime(net: Localnet, node: LocalNode, target: bigint): Promise<number> {
  const started = performance.now();
  await net.startCmtd(node);
  await net.startComet(node);
  await waitFor(`node${node.index} at height ${target}`, async () => ((await node.rpc.height()) >= target ? true : undefined), 1_200_000);
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  process.env.CMTD_SNAPSHOT_INTERVAL = INTERVAL.toString();
  const dir = tempDir('bench-statesync');
  const net = await Localnet.create({
    dir,
    nodes: 1,
    candidates: 2,
    accounts: 4,
    blockTime: '500ms',
    appState: (ctx) => {
      const state = defaultAppState(ctx, 1_000_000n * CMT) as { accounts: Array<{ address: string; balance: string }> };
      for (let i = 0; i < ACCOUNTS; i++) state.accounts.push({ address: address(i), balance: (BigInt(i + 1) * CMT).toString() });
      return state;
    },
  });
  const [validator, bySync, byReplay] = net.nodes as [LocalNode, LocalNode, LocalNode];
  try {
    const t = performance.now();
    await net.startCmtd(validator);
    await net.startComet(validator);
    await net.waitForHeight(1n, 600_000, [validator]);
    console.log(`state sync bench: ${ACCOUNTS.toLocaleString('en')} genesis accounts; validator at height 1 after ${((performance.now() - t) / 1000).toFixed(1)} s (InitChain)`);
    const snapshotsDir = join(validator.cmtdHome, 'data', 'snapshots');
    await waitFor('a snapshot on the validator', async () => (readFileSync(join(validator.home, 'cmtd.log'), 'utf8').includes('"snapshot taken"') ? true : undefined), 600_000);
    const taken = readFileSync(join(validator.home, 'cmtd.log'), 'utf8')
      .split('\n')
      .find((l) => l.includes('"snapshot taken"'))!;
    const snap = JSON.parse(taken) as { height: string; chunks: number; keys: string; ms: number };
    console.log(`  snapshot of height ${snap.height}: ${snap.keys} keys in ${snap.chunks} chunk(s), built in ${snap.ms} ms (in the background) under ${snapshotsDir}`);

    configureStateSync(bySync.home, { rpcServers: [`http://127.0.0.1:${validator.rpcPort}`, `http://127.0.0.1:${validator.rpcPort}`], trust: await trustPoint(validator.rpc) });
    let target = (await validator.rpc.height()) + 1n;
    const syncSeconds = await joinAndTime(net, bySync, target);
    const restored = readFileSync(join(bySync.home, 'cmtd.log'), 'utf8')
      .split('\n')
      .find((l) => l.includes('"snapshot restored"'));
    if (restored === undefined) throw new Error('node1 did not restore a snapshot');
    const r = JSON.parse(restored) as { height: string; ms: number };
    console.log(
      `  join by state sync: at height ${target} after ${syncSeconds.toFixed(1)} s (snapshot ${r.height} restored in ${r.ms} ms; the rest is CometBFT's discovery (5 s), light client and block sync)`,
    );
    await bySync.comet.stop();
    await bySync.cmtd.stop();

    target = (await validator.rpc.height()) + 1n;
    const replaySeconds = await joinAndTime(net, byReplay, target);
    console.log(`  join by replay:     at height ${target} after ${replaySeconds.toFixed(1)} s (InitChain of the genesis, then every block from 1)`);
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
