/**
 * The injected EIP-1193 wallet (MetaMask and the like) and the system
 * contract calls the dashboard sends through it. Every call is run with
 * eth_call on the node first: a call that would revert is explained (the
 * system contract's revert reason) and never reaches the wallet.
 */
import { BaseError, ContractFunctionRevertedError, createClient, custom, encodeFunctionData, type Abi, type EIP1193Provider } from 'viem';
import { estimateGas, sendTransaction, simulateContract, waitForTransactionReceipt } from 'viem/actions';
import governanceAbi from '../../contracts/abi/IGovernance.json';
import stakingAbi from '../../contracts/abi/IStaking.json';
import type { Address, Chain } from './rpc.js';

export const STAKING_ADDRESS: Address = '0x0000000000000000000000000000000000001000';
export const GOVERNANCE_ADDRESS: Address = '0x0000000000000000000000000000000000001001';

export const STAKING_ABI = stakingAbi as Abi;
export const GOVERNANCE_ABI = governanceAbi as Abi;

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

export function injectedWallet(): EIP1193Provider | undefined {
  return window.ethereum;
}

/** Asks the wallet for its account (the wallet shows its own prompt). */
export async function connectWallet(): Promise<Address> {
  const provider = injectedWallet();
  if (provider === undefined) throw new Error('no browser wallet found (install one such as MetaMask), or type an address to look at it read-only');
  const accounts = (await provider.request({ method: 'eth_requestAccounts' })) as string[];
  const first = accounts[0];
  if (first === undefined) throw new Error('the wallet shared no account');
  return first.toLowerCase() as Address;
}

/** One system contract call the page can make. */
export interface SystemCall {
  target: 'staking' | 'governance';
  functionName: string;
  args: readonly unknown[];
  /** wei sent with the call (delegate, updateCandidacy). */
  value?: bigint;
}

export interface Preview {
  ok: boolean;
  /** Gas eth_estimateGas expects, when the call would succeed. */
  gas?: bigint;
  /** Why the call would fail, in the system contract's words. */
  reason?: string;
}

function request(call: SystemCall): { to: Address; data: `0x${string}`; value: bigint } {
  const abi = call.target === 'staking' ? STAKING_ABI : GOVERNANCE_ABI;
  return {
    to: call.target === 'staking' ? STAKING_ADDRESS : GOVERNANCE_ADDRESS,
    data: encodeFunctionData({ abi, functionName: call.functionName, args: call.args }),
    value: call.value ?? 0n,
  };
}

/** The revert reason inside a viem error: the contract's Error(string) text, else viem's short message. */
export function reasonOf(err: unknown): string {
  if (err instanceof BaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.reason !== undefined) return reverted.reason;
    const details = err.walk((e) => e instanceof BaseError && /reverted/i.test(e.shortMessage));
    if (details instanceof BaseError) return details.shortMessage.replace(/^.*reverted with (the following )?reason:\s*/is, '').trim();
    return err.shortMessage;
  }
  return (err as Error).message;
}

/** Runs the call with eth_call from `from` at the latest state: would it go through? */
export async function preview(chain: Chain, from: Address, call: SystemCall): Promise<Preview> {
  const abi = call.target === 'staking' ? STAKING_ABI : GOVERNANCE_ABI;
  const { to, value } = request(call);
  try {
    await simulateContract(chain.client, { address: to, abi, functionName: call.functionName, args: call.args, account: from, value });
  } catch (err) {
    return { ok: false, reason: reasonOf(err) };
  }
  try {
    return { ok: true, gas: await estimateGas(chain.client, { ...request(call), account: from }) };
  } catch (err) {
    return { ok: false, reason: reasonOf(err) };
  }
}

/** The outcome of a sent call once it is in a block. */
export interface Sent {
  hash: `0x${string}`;
  ok: boolean;
  blockNumber: bigint;
  /** The node's account of a failed call (cmt_getTransactionResult). */
  log?: string;
}

/** Has the wallet sign and send the call (after a preview that passed), then waits for its block. */
export async function send(chain: Chain, from: Address, call: SystemCall, gas: bigint | undefined): Promise<Sent> {
  const provider = injectedWallet();
  if (provider === undefined) throw new Error('no browser wallet to sign with');
  const wallet = createClient({ transport: custom(provider) });
  const hash = await sendTransaction(wallet, { account: from, chain: null, ...request(call), ...(gas === undefined ? {} : { gas: (gas * 12n) / 10n }) });
  const receipt = await waitForTransactionReceipt(chain.client, { hash, timeout: 120_000, pollingInterval: 500 });
  if (receipt.status === 'success') return { hash, ok: true, blockNumber: receipt.blockNumber };
  const result = await chain.call<{ log?: string } | null>('cmt_getTransactionResult', [hash]);
  return { hash, ok: false, blockNumber: receipt.blockNumber, ...(result?.log === undefined ? {} : { log: result.log }) };
}
