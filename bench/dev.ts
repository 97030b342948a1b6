/**
 * `cmtd dev` as a dapp developer's script meets it: the time from sending a
 * transfer to having its receipt, with ethers polling every 50 ms (a
 * signed-locally transfer, a pre-signed raw one (the chain's own part),
 * then eth_sendTransaction signed by cmtd dev),
 * one transaction after another as a test suite sends them; and how many
 * blocks an idle chain makes. The goals (issue 20): p50 ≤ 200 ms, and none.
 */
import { spawn } from 'node:child_process';
import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { defaultCmtdCommand, devAccounts } from '../src/localnet/network.js';
import { canListen } from '../src/node/process.js';

const TRANSFERS = 40;
const IDLE_SECONDS = 5;

async function freeRpcPort(): Promise<number> {
  for (;;) {
    const port = 20_010 + 5 * Math.floor(Math.random() * 2_300);
    if ((await Promise.all([port - 4, port - 3, port - 2, port - 1, port].map(canListen))).every(Boolean)) return port;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(name: string, times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(48)} p50 ${percentile(sorted, 50).toFixed(0).padStart(4)} ms   p90 ${percentile(sorted, 90).toFixed(0).padStart(4)} ms   max ${sorted.at(-1)!.toFixed(0).padStart(4)} ms   (${times.length} txs)`,
  );
}

async function main(): Promise<void> {
  const port = await freeRpcPort();
  const [command, ...args] = defaultCmtdCommand();
  const child = spawn(command!, [...args, 'dev', '--rpc-port', String(port), '--accounts', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('cmtd dev ready: ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`cmtd dev exited with ${code}:\n${output}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(url, 18, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  try {
    const [a0, a1, a2] = devAccounts(3);
    const wallet = new Wallet(a1!.privateKey, provider);
    const local: number[] = [];
    for (let i = 0; i < TRANSFERS; i++) {
      const started = performance.now();
      const tx = await wallet.sendTransaction({ to: a2!.address, value: parseEther('0.001') });
      await tx.wait(1, 30_000);
      local.push(performance.now() - started);
    }
    summary('send → receipt, signed by ethers Wallet', local);
    // The chain's own part: transfers signed beforehand, sent raw, the receipt polled every 50 ms.
    const nonce = await provider.getTransactionCount(a1!.address, 'pending');
    const gasPrice = (await provider.getFeeData()).gasPrice!;
    const raws = await Promise.all(
      Array.from({ length: TRANSFERS }, (_, i) => wallet.signTransaction({ to: a2!.address, value: 1n, nonce: nonce + i, gasLimit: 21_000n, gasPrice, chainId: 18n, type: 0 })),
    );
    const raw: number[] = [];
    for (const signed of raws) {
      const started = performance.now();
      const hash = (await provider.send('eth_sendRawTransaction', [signed])) as string;
      while ((await provider.send('eth_getTransactionReceipt', [hash])) === null) await new Promise((r) => setTimeout(r, 50));
      raw.push(performance.now() - started);
    }
    summary('send → receipt, pre-signed raw transaction', raw);
    const signer = await provider.getSigner(a0!.address);
    const remote: number[] = [];
    for (let i = 0; i < TRANSFERS; i++) {
      const started = performance.now();
      const tx = await signer.sendTransaction({ to: a2!.address, value: parseEther('0.001') });
      await tx.wait(1, 30_000);
      remote.push(performance.now() - started);
    }
    summary('send → receipt, eth_sendTransaction (dev keys)', remote);
    // The block after the last transaction's (it carries its app hash) comes at once; then the chain should be idle.
    await new Promise((r) => setTimeout(r, 1000));
    const from = await provider.getBlockNumber();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idle = (await provider.getBlockNumber()) - from;
    console.log(`idle chain: ${(idle / IDLE_SECONDS).toFixed(1)} blocks/s over ${IDLE_SECONDS} s (goal 0; README 'cmtd dev')`);
  } finally {
    provider.destroy();
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
}

await main();
