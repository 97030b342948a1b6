/**
 * JSON-RPC gateway figures against a running one-node chain (real CometBFT +
 * cmtd serving the gateway, 200 ms blocks): eth_getBalance requests per
 * second over HTTP keep-alive with 8 concurrent clients, and eth_call
 * latency to the staking system contract (native) and to an EVM contract
 * (LoyaltyToken.balanceOf). Runs in well under a minute.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContractFactory, Interface, JsonRpcProvider, Wallet } from 'ethers';
import { loadContract } from '../test/support/contracts.js';
import { Localnet } from '../src/localnet/network.js';

const BALANCE_SECONDS = 5;
const CONCURRENCY = 8;
const CALLS = 500;

/** A keep-alive HTTP client: undici's fetch costs the client ~1 ms a request, which would hide the server. */
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function post(url: string, body: string): Promise<{ result?: string; error?: { message: string } }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: '/', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: string; error?: { message: string } });
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function callLatency(url: string, to: string, data: string): Promise<{ p50: number; p99: number }> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to, data }, 'latest'] });
  const first = await post(url, body);
  if (first.error !== undefined) throw new Error(`eth_call to ${to} failed: ${first.error.message}`);
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await post(url, body);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

export async function benchRpc(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-bench-rpc-'));
  const net = await Localnet.create({ dir, nodes: 1, accounts: 2, blockTime: '200ms', cmtdLogLevel: 'warn', cometLogLevel: 'error' });
  const results: Record<string, number> = {};
  try {
    await net.start();
    await net.waitForHeight(2n);
    const url = net.nodes[0]!.ethRpcUrl;
    if (url === undefined) throw new Error('the localnet does not serve the JSON-RPC gateway');
    const address = net.accounts[0]!.address;

    // eth_getBalance throughput: CONCURRENCY clients in a loop for BALANCE_SECONDS.
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [address, 'latest'] });
    let count = 0;
    const deadline = performance.now() + BALANCE_SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          const r = await post(url, body);
          if (r.result === undefined) throw new Error(`eth_getBalance failed: ${r.error?.message}`);
          count++;
        }
      }),
    );
    results['eth_getBalance_per_s'] = count / ((performance.now() - started) / 1000);

    // eth_call to the staking contract (a native view).
    const staking = new Interface(['function isEnterprise(address) view returns (bool)']);
    const system = await callLatency(url, '0x0000000000000000000000000000000000001000', staking.encodeFunctionData('isEnterprise', [address]));
    results['eth_call_system_p50_ms'] = system.p50;
    results['eth_call_system_p99_ms'] = system.p99;

    // eth_call to EVM code: an ERC-20 balanceOf.
    const artifact = loadContract('LoyaltyToken');
    const provider = new JsonRpcProvider(url, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, pollingInterval: 100 });
    try {
      const wallet = new Wallet(net.accounts[0]!.privateKey, provider);
      const token = await new ContractFactory(artifact.abi, artifact.bytecode, wallet).deploy('Points', 'PTS', address);
      await token.waitForDeployment();
      const iface = new Interface(artifact.abi);
      const evm = await callLatency(url, await token.getAddress(), iface.encodeFunctionData('balanceOf', [address]));
      results['eth_call_evm_p50_ms'] = evm.p50;
      results['eth_call_evm_p99_ms'] = evm.p99;
    } finally {
      provider.destroy();
    }
  } finally {
    agent.destroy();
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [key, value] of Object.entries(await benchRpc())) console.log(`rpc.${key}: ${value.toFixed(2)}`);
}
