/**
 * Test helpers over a real localnet: temp dirs, signing with ethers,
 * broadcasting through CometBFT and waiting for inclusion.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Wallet, TransactionRequest } from 'ethers';
import { Localnet, type LocalnetOptions, type LocalNode } from '../../src/localnet/network.js';
import { waitFor } from '../../src/node/process.js';
import type { CometRpc, TxResultJson } from '../../src/comet/rpc.js';

export const CHAIN_ID = 18n;
export const GWEI = 10n ** 9n;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cmtd-${prefix}-`));
}

/** Starts a localnet in a temp dir; `stop()` stops it and removes the files unless the test failed. */
export async function startLocalnet(prefix: string, options: Omit<LocalnetOptions, 'dir'>): Promise<Localnet & { cleanup(): Promise<void> }> {
  const dir = tempDir(prefix);
  const net = await Localnet.create({ ...options, dir });
  try {
    await net.start();
  } catch (err) {
    await net.stop();
    throw new Error(`${(err as Error).message} (localnet files kept in ${dir})`);
  }
  return Object.assign(net, {
    async cleanup() {
      await net.stop();
      if (process.env.CMTD_KEEP_TEST_FILES === undefined) rmSync(dir, { recursive: true, force: true });
    },
  });
}

export async function signTransfer(wallet: Wallet, to: string, value: bigint, nonce: number, extra: TransactionRequest = {}): Promise<Uint8Array> {
  const signed = await wallet.signTransaction({
    type: 0,
    chainId: CHAIN_ID,
    nonce,
    gasPrice: 2n * GWEI,
    gasLimit: 21_000n,
    to,
    value,
    ...extra,
  });
  return Buffer.from(signed.slice(2), 'hex');
}

export function cometHash(tx: Uint8Array): string {
  return createHash('sha256').update(tx).digest('hex').toUpperCase();
}

/** Broadcasts with broadcast_tx_sync; throws if CheckTx refused it. */
export async function broadcast(rpc: CometRpc, tx: Uint8Array): Promise<string> {
  const result = await rpc.broadcastTxSync(tx);
  if (result.code !== 0) throw new Error(`CheckTx refused the transaction: code ${result.code}: ${result.log}`);
  return result.hash;
}

/** Waits until the transaction is in a committed block; returns its result and height. */
export async function waitForTx(rpc: CometRpc, hash: string, timeoutMs = 60_000): Promise<{ height: bigint; result: TxResultJson }> {
  const found = await waitFor(
    `transaction ${hash}`,
    async () => {
      try {
        const tx = await rpc.tx(hash);
        return { height: BigInt(tx.height), result: tx.tx_result };
      } catch (err) {
        if (/not found/i.test((err as Error).message)) return undefined;
        throw err;
      }
    },
    timeoutMs,
  );
  return found;
}

export interface AccountJson {
  address: string;
  balance: string;
  nonce: string;
}

export function account(node: LocalNode, address: string): Promise<AccountJson> {
  return node.rpc.queryJson<AccountJson>(`/account/${address}`);
}

export async function balance(node: LocalNode, address: string): Promise<bigint> {
  return BigInt((await account(node, address)).balance);
}
