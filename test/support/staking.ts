/** Staking and governance calls from tests: ABI-encoded, signed with ethers, broadcast, waited for. */
import { generateKeyPairSync } from 'node:crypto';
import { type Wallet, keccak256 } from 'ethers';
import { signCandidacy } from '../../src/staking/pop.js';
import { STAKING_INTERFACE } from '../../src/staking/index.js';
import { governanceInterface } from '../../src/gov/index.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../../src/system/types.js';
import type { LocalNode } from '../../src/localnet/network.js';
import { account, broadcast, waitForTx, CHAIN_ID, GWEI } from './chain.js';
import type { TxResultJson } from '../../src/comet/rpc.js';

/** A staking or governance call signed by `wallet`, broadcast to `node` and waited for: its CometBFT result. */
export async function systemCall(...call: Parameters<typeof sendSystemCall>): Promise<TxResultJson> {
  return (await sendSystemCall(...call)).result;
}

/** Like `systemCall`, with the transaction's hashes (CometBFT's sha256, Ethereum's keccak) and height. */
export async function sendSystemCall(
  node: LocalNode,
  wallet: Wallet,
  target: 'staking' | 'governance',
  fn: string,
  args: unknown[],
  value = 0n,
): Promise<{ hash: string; ethHash: string; height: bigint; result: TxResultJson }> {
  const iface = target === 'staking' ? STAKING_INTERFACE : governanceInterface;
  const nonce = Number((await account(node, wallet.address.toLowerCase())).nonce);
  const signed = await wallet.signTransaction({
    type: 2,
    chainId: CHAIN_ID,
    nonce,
    maxFeePerGas: 5n * GWEI,
    maxPriorityFeePerGas: GWEI,
    gasLimit: 400_000n,
    to: target === 'staking' ? STAKING_ADDRESS : GOVERNANCE_ADDRESS,
    value,
    data: iface.encodeFunctionData(fn, args),
  });
  const hash = await broadcast(node.rpc, Buffer.from(signed.slice(2), 'hex'));
  return { hash, ethHash: keccak256(signed), ...(await waitForTx(node.rpc, hash)) };
}

export interface CandidateJson {
  address: string;
  pubKey: string;
  state: string;
  role: string;
  rank: number;
  totalStake: string;
  slashed: string;
  missedBlocks: number;
}

/**
 * A fresh ed25519 consensus key that no node runs, with its proof of
 * possession for `candidate` on `chainId` (SPEC 6); 0x-hex.
 */
export function newConsensusKey(chainId: string, candidate: string): { pubKey: string; signature: string } {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x!, 'base64url');
  const signature = signCandidacy(Buffer.from(jwk.d!, 'base64url'), chainId, candidate);
  return { pubKey: `0x${raw.toString('hex')}`, signature: `0x${Buffer.from(signature).toString('hex')}` };
}
