/**
 * The preflight of `cmtd tx`: the transaction is run by the node as
 * `eth_estimateGas` (and, for --dry-run, `eth_call`) through its Ethereum
 * JSON-RPC before anything is signed. A call the chain would refuse
 * (a revert, too little balance for its value) comes back with the chain's
 * own reason; the gas it needs is the node's answer, exact.
 */
import { CliError } from './errors.js';

/** What the node answered for a transaction it was asked to run. */
export type Simulation = { ok: true; gas: bigint } | { ok: false; reason: string };

interface JsonRpcAnswer {
  result?: unknown;
  error?: { code: number; message: string };
}

/** Error codes with which the node says the call itself would fail (geth's, docs/RPC.md). */
const REFUSAL_CODES = new Set([3, -32000]);

export interface CallObject {
  from: string;
  to: string;
  value: bigint;
  data: string;
}

const hexQuantity = (n: bigint): string => `0x${n.toString(16)}`;

export class EthRpcClient {
  private nextId = 1;

  constructor(readonly url: string) {}

  private async request(method: string, params: unknown[]): Promise<JsonRpcAnswer> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach the node's Ethereum JSON-RPC at ${this.url} to simulate the transaction (${cause?.code ?? cause?.message ?? (err as Error).message}): ` +
          "point --eth-rpc (or CMTD_ETH_RPC) at it (cmtd start --rpc-address; 'cmtd localnet start' lists each node's), or pass --no-simulate to send without a simulation",
        1,
      );
    }
    const text = await response.text();
    try {
      return JSON.parse(text) as JsonRpcAnswer;
    } catch {
      throw new CliError(`${this.url} is not an Ethereum JSON-RPC (HTTP ${response.status}: ${text.slice(0, 120)}); check --eth-rpc`, 1);
    }
  }

  private static callObject(call: CallObject, gas?: bigint): Record<string, string> {
    return { from: call.from, to: call.to, value: hexQuantity(call.value), data: call.data, ...(gas === undefined ? {} : { gas: hexQuantity(gas) }) };
  }

  /** eth_estimateGas at the latest committed state: the gas it needs, or why it would fail. */
  async estimate(call: CallObject): Promise<Simulation> {
    const answer = await this.request('eth_estimateGas', [EthRpcClient.callObject(call), 'latest']);
    if (answer.error !== undefined) {
      if (REFUSAL_CODES.has(answer.error.code)) return { ok: false, reason: answer.error.message };
      throw new CliError(`the simulation failed: ${answer.error.message} (JSON-RPC error ${answer.error.code})`, 1);
    }
    if (typeof answer.result !== 'string' || !/^0x[0-9a-f]+$/i.test(answer.result))
      throw new CliError(`eth_estimateGas answered ${JSON.stringify(answer.result)}, not a quantity`, 1);
    return { ok: true, gas: BigInt(answer.result) };
  }

  /** eth_call: what the call returns (hex), run with `gas`. */
  async call(call: CallObject, gas: bigint): Promise<string> {
    const answer = await this.request('eth_call', [EthRpcClient.callObject(call, gas), 'latest']);
    if (answer.error !== undefined) throw new CliError(`eth_call failed: ${answer.error.message}`, 1);
    return typeof answer.result === 'string' ? answer.result : '0x';
  }
}
