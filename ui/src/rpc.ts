/**
 * The node's public Ethereum JSON-RPC, the dashboard's only source: the
 * cmt_* reads (docs/RPC.md) with their JSON shapes, and viem's public client
 * for eth_* and eth_call. The URL is the serving node's (/config.json) unless
 * the page is opened with ?rpc=<url> (any node that allows this page's origin).
 */
import { createClient, http, type Client } from 'viem';
import { getBlock } from 'viem/actions';
import { sampleHeights } from './sample.js';

import type { CandidateInfo, DelegationInfo, UnstakeRequestInfo, ValidatorInfo } from '../../src/staking/types.ts';
import type { ProposalJson } from '../../src/gov/types.ts';
import type { SupplyInfo } from '../../src/state/supply.ts';
import type { Address } from '../../src/util/address.ts';

export type { Address, ProposalJson };

/** A node answer as JSON carries it: bigints become decimal strings (src/rpc/jsonrpc.ts `stringify`). */
export type Json<T> = T extends bigint ? string : T extends Array<infer U> ? Array<Json<U>> : T extends object ? { [K in keyof T]: Json<T[K]> } : T;

/** The cmt_* answers: the node's own types (type-only imports, nothing of src is bundled). */
export type CandidateJson = Json<CandidateInfo>;
export type ValidatorJson = Json<ValidatorInfo>;
export type DelegationJson = Json<DelegationInfo>;
export type UnstakeJson = Json<UnstakeRequestInfo>;
export type SupplyJson = Json<SupplyInfo>;

export type ParamsJson = Record<string, string | number | boolean>;

/** A block parameter: a height or 'latest'. */
export type BlockParam = bigint | 'latest';

/** The JSON-RPC error a node answered with, its message kept. */
export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export class Chain {
  /** A bare viem client: the actions are imported one by one (viem/actions), so the bundle holds only those used. */
  readonly client: Client;
  private nextId = 1;

  constructor(readonly url: string) {
    this.client = createClient({ transport: http(url, { retryCount: 1, timeout: 20_000 }) });
  }

  /** One JSON-RPC call; a node error becomes an RpcError with the node's message. */
  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
      });
    } catch (err) {
      throw new Error(`cannot reach the node's JSON-RPC at ${this.url} (${(err as Error).message}); is it running, and does it allow this page (--rpc-cors)?`);
    }
    if (!response.ok) throw new Error(`${method}: the node answered HTTP ${response.status}`);
    const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
    if (body.error !== undefined) throw new RpcError(`${method}: ${body.error.message}`, body.error.code);
    return body.result as T;
  }

  candidates = (): Promise<CandidateJson[]> => this.call('cmt_getCandidates');
  validators = (): Promise<ValidatorJson[]> => this.call('cmt_getValidators');
  candidate = (address: string, block: BlockParam = 'latest'): Promise<CandidateJson | null> => this.call('cmt_getCandidate', [address, blockTag(block)]);
  delegations = (address: string, block: BlockParam = 'latest'): Promise<DelegationJson[]> => this.call('cmt_getDelegations', [address, blockTag(block)]);
  unstakes = (address: string): Promise<UnstakeJson[]> => this.call('cmt_getUnstakes', [address]);
  proposals = (): Promise<ProposalJson[]> => this.call('cmt_getProposals');
  params = (): Promise<ParamsJson> => this.call('cmt_getParams');
  supply = (): Promise<SupplyJson> => this.call('cmt_getSupply');

  /** The latest block's height and header time (seconds). */
  async head(): Promise<{ height: bigint; time: bigint }> {
    const block = await getBlock(this.client, { blockTag: 'latest' });
    return { height: block.number ?? 0n, time: block.timestamp };
  }

  /** Mean seconds per block over the last `span` blocks (undefined on a chain that short). */
  async blockTime(head: { height: bigint; time: bigint }, span = 20n): Promise<number | undefined> {
    const from = head.height - span;
    if (from < 1n) return undefined;
    const past = await getBlock(this.client, { blockNumber: from });
    return Number(head.time - past.timestamp) / Number(span);
  }
}

export function blockTag(block: BlockParam): string {
  return block === 'latest' ? 'latest' : `0x${block.toString(16)}`;
}

/** Where the node's JSON-RPC is: ?rpc= first, then the serving node's /config.json. */
export async function resolveRpcUrl(): Promise<string> {
  const given = new URLSearchParams(location.search).get('rpc');
  if (given !== null && given.trim() !== '') {
    const url = new URL(given.trim(), location.href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`?rpc= must be an http(s) URL, got '${given}'`);
    return url.href;
  }
  let config: { rpcUrl?: unknown };
  try {
    config = (await (await fetch('config.json')).json()) as { rpcUrl?: unknown };
  } catch {
    throw new Error('no JSON-RPC URL: this page was not served by a cmtd node (no config.json); open it with ?rpc=<the node JSON-RPC URL>');
  }
  if (typeof config.rpcUrl !== 'string') throw new Error('config.json names no rpcUrl; open the page with ?rpc=<the node JSON-RPC URL>');
  const url = new URL(config.rpcUrl);
  // A node listening on all interfaces: the JSON-RPC is on the host this page came from.
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = location.hostname;
  return url.href;
}

/**
 * Values of `read` at sampled heights over the retained history; heights the
 * node no longer keeps (pruned, --state-history) are left out.
 */
export async function history<T>(head: bigint, read: (height: bigint) => Promise<T>, span = 2000n, count = 24): Promise<Array<{ height: bigint; value: T }>> {
  const heights = sampleHeights(head, span, count);
  const results = await Promise.all(
    heights.map(async (height): Promise<{ height: bigint; value: T } | undefined> => {
      try {
        return { height, value: await read(height) };
      } catch (err) {
        if (err instanceof RpcError && /historical state unavailable|pruned/.test(err.message)) return undefined;
        throw err;
      }
    }),
  );
  return results.filter((r): r is { height: bigint; value: T } => r !== undefined);
}
