/**
 * Helpers for the EVM tests: real signed transactions (ethers Wallet)
 * executed through `executeTx` over an Overlay, contract deployment and
 * calls, and state sums for the conservation checks.
 */
import { Interface, Wallet, getCreateAddress, type TransactionRequest } from 'ethers';
import { Accounts, decodeAccount } from '../../src/state/accounts.js';
import type { Address } from '../../src/util/address.js';
import { DEFAULT_PARAMS, type Params } from '../../src/state/params.js';
import { readSupply } from '../../src/state/supply.js';
import type { KV, KVReader, Overlay } from '../../src/store/kv.js';
import { decodeSignedTx, type SignedTx } from '../../src/tx/decode.js';
import { executeTx, type BlockInfo, type ChainRules, type TxOutcome } from '../../src/tx/executor.js';
import { loadContract, type CompiledContract } from './contracts.js';
import type { SystemContractResolver } from '../../src/system/types.js';

export const GWEI = 10n ** 9n;
export const CMT = 10n ** 18n;
export const CHAIN_ID = 18n;

export function rules(overrides: Partial<Params> = {}, blockGasLimit: bigint | null = 30_000_000n): ChainRules {
  return { params: { ...DEFAULT_PARAMS, ...overrides }, blockGasLimit };
}

export const noSystem: SystemContractResolver = () => undefined;

/** A wallet with a deterministic key and its lower-case address. */
export function wallet(seed: number): { wallet: Wallet; address: Address } {
  const w = new Wallet(`0x${seed.toString(16).padStart(64, '0')}`);
  return { wallet: w, address: w.address.toLowerCase() as Address };
}

export async function sign(w: Wallet, request: TransactionRequest): Promise<SignedTx> {
  const signed = await w.signTransaction({ type: 0, chainId: CHAIN_ID, gasPrice: 2n * GWEI, gasLimit: 3_000_000n, value: 0n, ...request });
  return decodeSignedTx(Buffer.from(signed.slice(2), 'hex'));
}

/** Sends transactions from one wallet, tracking its nonce. */
export class Sender {
  nonce = 0;
  constructor(
    readonly w: Wallet,
    readonly address: Address,
  ) {}

  async tx(request: TransactionRequest): Promise<SignedTx> {
    return sign(this.w, { nonce: this.nonce++, ...request });
  }
}

export interface Chain {
  state: KV;
  rules: ChainRules;
  block: BlockInfo;
  resolveSystem: SystemContractResolver;
}

export async function run(chain: Chain, tx: SignedTx): Promise<TxOutcome> {
  return executeTx(tx, chain.state, chain.rules, chain.block, chain.resolveSystem);
}

export interface Deployed {
  address: Address;
  iface: Interface;
  contract: CompiledContract;
  outcome: TxOutcome;
}

/** Deploys contracts/<name>.sol with constructor arguments. */
export async function deploy(chain: Chain, from: Sender, name: string, args: unknown[] = [], request: TransactionRequest = {}): Promise<Deployed> {
  const contract = loadContract(name);
  const iface = new Interface(contract.abi);
  const data = contract.bytecode + iface.encodeDeploy(args).slice(2);
  const address = getCreateAddress({ from: from.address, nonce: from.nonce }).toLowerCase() as Address;
  const outcome = await run(chain, await from.tx({ to: null, data, ...request }));
  return { address, iface, contract, outcome };
}

/** Calls a function of a deployed contract in a transaction. */
export async function send(chain: Chain, from: Sender, target: Deployed, fn: string, args: unknown[] = [], request: TransactionRequest = {}): Promise<TxOutcome> {
  return run(chain, await from.tx({ to: target.address, data: target.iface.encodeFunctionData(fn, args), ...request }));
}

/** Σ balances of every account in `state` (which must list its accounts: an Overlay's changes or a full map). */
export function sumBalances(entries: Iterable<[string, Uint8Array | null]>): bigint {
  let total = 0n;
  for (const [key, value] of entries) if (key.startsWith('a/') && value !== null) total += decodeAccount(value).balance;
  return total;
}

/** Σ balances + fee pool + burned-adjusted supply terms of an in-memory state built from nothing. */
export function conservation(state: Overlay): { balances: bigint; feePool: bigint; burned: bigint } {
  const s = readSupply(state);
  return { balances: sumBalances(state.sortedChanges()), feePool: s.feePool, burned: s.burned };
}

export const EMPTY_STATE: KVReader = { get: () => undefined };

export function balanceOf(state: KVReader, address: Address): bigint {
  return new Accounts(state as KV).balance(address);
}
