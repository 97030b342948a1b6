/**
 * `cmtd dev`: a one-node chain for dapp development, what `anvil` or
 * `hardhat node` give on Ethereum: 1-second blocks, funded development
 * accounts printed with their keys, the Ethereum JSON-RPC on
 * 127.0.0.1:8545, state in a temporary directory (or --home to keep it).
 * Ctrl-C stops cmtd and cometbft and deletes the temporary state.
 *
 * It is a Localnet of one validator whose base port is chosen so that the
 * node's Ethereum JSON-RPC (base+9) lands on --rpc-port: CometBFT's RPC is
 * on rpc-port-2, its p2p on rpc-port-3, ABCI on rpc-port-1.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { Localnet, type LocalNode } from '../localnet/network.js';
import { waitFor } from '../localnet/process.js';

interface DevFlags {
  home?: string;
  rpcPort: string;
  blockTime: string;
  accounts: string;
  logLevel: string;
}

/** The port offsets of a localnet node (src/localnet/network.ts): base+6 p2p, +7 RPC, +8 ABCI, +9 Ethereum JSON-RPC. */
const ETH_RPC_OFFSET = 9;
const FIRST_PORT_OFFSET = 6;

function wholeNumber(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\s*[0-9]+\s*$/.test(value) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  return n;
}

async function ethCall<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.result === undefined) throw new Error(`${method}: ${body.error?.message ?? `HTTP ${response.status}`}`);
  return body.result;
}

async function dev(flags: DevFlags): Promise<void> {
  const rpcPort = wholeNumber(flags.rpcPort, 'rpc-port', ETH_RPC_OFFSET - FIRST_PORT_OFFSET + 1, 65_535);
  const temporary = flags.home === undefined;
  const dir = temporary ? mkdtempSync(join(tmpdir(), 'cmtd-dev-')) : resolve(flags.home!);
  const removeTemporary = (): void => {
    if (temporary) rmSync(dir, { recursive: true, force: true });
  };
  let net: Localnet;
  try {
    net = existsSync(join(dir, 'localnet.json'))
      ? Localnet.load(dir, { cmtdLogLevel: flags.logLevel })
      : await Localnet.create({
          dir,
          nodes: 1,
          accounts: wholeNumber(flags.accounts, 'accounts', 1, 1000),
          blockTime: flags.blockTime,
          basePort: rpcPort - ETH_RPC_OFFSET,
          chainId: 'cmtd-dev',
          cmtdLogLevel: flags.logLevel,
        });
  } catch (err) {
    removeTemporary();
    throw err;
  }
  if (net.nodes.length !== 1 || net.docker) throw new Error(`${dir} holds a localnet of ${net.nodes.length} nodes, not a 'cmtd dev' chain`);
  const node = net.nodes[0]!;
  const ethUrl = node.ethRpcUrl;
  if (ethUrl === undefined) throw new Error(`${dir} was created before nodes had a JSON-RPC port: delete it`);
  if (node.ethRpcPort !== rpcPort) process.stdout.write(`note: ${dir} was created with JSON-RPC port ${node.ethRpcPort}; --rpc-port applies to new chains only\n`);

  let stopping = false;
  const stop = async (reason: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${reason}: stopping...\n`);
    await net.stop();
    removeTemporary();
    process.stdout.write(temporary ? 'stopped; the chain was temporary and is deleted\n' : `stopped; the chain is kept in ${dir}\n`);
    process.exit(code);
  };
  process.once('SIGINT', () => void stop('interrupted', 0));
  process.once('SIGTERM', () => void stop('terminated', 0));

  try {
    await net.start();
    // Ready once the first block is committed: before it the JSON-RPC has no state to answer from.
    await waitFor('the first block', async () => (BigInt(await ethCall<string>(ethUrl, 'eth_blockNumber')) >= 1n ? true : undefined), 60_000);
  } catch (err) {
    if (stopping) return; // interrupted while starting
    stopping = true;
    await net.stop();
    removeTemporary();
    throw new Error(`${(err as Error).message}${temporary ? '' : ` (logs in ${node.home})`}`);
  }
  if (stopping) return;
  const chainId = BigInt(await ethCall<string>(ethUrl, 'eth_chainId'));
  printBanner(net, node, ethUrl, chainId, temporary);
  // Ready line: scripts and tests wait for it.
  process.stdout.write(`cmtd dev ready: Ethereum JSON-RPC ${ethUrl} (chain id ${chainId})\n`);
  // The supervisor (src/node/supervisor.ts) ends the other process when one dies; the chain then stops.
  void net.supervise('no', () => undefined).then(({ end }) => {
    if (end.code !== 0) void stop(end.reason, 1);
  });
}

function printBanner(net: Localnet, node: LocalNode, ethUrl: string, chainId: bigint, temporary: boolean): void {
  const lines = [
    `cmtd dev chain '${net.chainId}': one validator, a block every ${blockTime(node)}`,
    '',
    `Ethereum JSON-RPC   ${ethUrl} (HTTP and WebSocket), chain id ${chainId}`,
    `CometBFT RPC        http://127.0.0.1:${node.rpcPort}`,
    `state               ${net.dir}${temporary ? ' (temporary: deleted on exit; --home DIR keeps it)' : ''}`,
    `logs                ${node.home}/cmtd.log, ${node.home}/cometbft.log`,
    '',
    'Accounts (funded; well-known development keys: never use them for real funds)',
    ...net.accounts.map((a, i) => `(${i}) ${a.address}  ${a.privateKey}`),
    '',
    'Ctrl-C stops the chain.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** CometBFT's timeout_commit from the node's config.toml. */
function blockTime(node: LocalNode): string {
  const config = readFileSync(join(node.home, 'config', 'config.toml'), 'utf8');
  return /^\s*timeout_commit\s*=\s*"([^"]*)"/m.exec(config)?.[1] ?? '?';
}

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description('a one-node development chain (like anvil or hardhat node): funded accounts, Ethereum JSON-RPC on 127.0.0.1:8545')
    .addOption(new Option('--home <dir>', 'keep the chain in this directory (default: a temporary directory, deleted on exit)').env('CMTD_DEV_HOME'))
    .addOption(
      new Option('--rpc-port <port>', 'Ethereum JSON-RPC port; CometBFT takes the three ports below it (RPC port-2, p2p port-3, ABCI port-1)')
        .env('CMTD_DEV_RPC_PORT')
        .default('8545'),
    )
    .addOption(new Option('--block-time <duration>', 'CometBFT timeout_commit').env('CMTD_DEV_BLOCK_TIME').default('1s'))
    .addOption(new Option('--accounts <n>', 'funded development accounts (the DEV_MNEMONIC\'s first n)').env('CMTD_DEV_ACCOUNTS').default('10'))
    .addOption(new Option('--log-level <level>', 'cmtd log level (its log is a file in the chain directory)').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .action(dev);
}
