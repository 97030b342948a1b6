/**
 * The node's public Ethereum JSON-RPC, the dashboard's only source: the
 * cmt_* reads (docs/RPC.md) with their JSON shapes, and viem's public client
 * for eth_* and eth_call. The URL is the serving node's (/config.json) unless
 * the page is opened with ?rpc=<url> (any node that allows this page's origin).
 */
import { createClient, http, type Client } from 'viem';
import { getBlock } from 'viem/actions';
import { sampleHeights } from './sample.js';

export type Address = `0x${string}`;

/** A candidate as cmt_getCandidate(s) answers (wei amounts as decimal strings). */
export interface CandidateJson {
  address: Address;
  pubKey: string;
  consensusAddress: string;
  maxStake: string;
  compRateBp: number;
  description: string;
  verified: boolean;
  state: string;
  declareHeight: string;
  totalStake: string;
  selfStake: string;
  waitingStake: string;
  votingPower: string;
  rank: number;
  role: 'validator' | 'backup' | 'candidate';
  missedBlocks: number;
  awarded: string;
  slashed: string;
  withdrawMatureTime: string;
  delegationCount: string;
}

export interface ValidatorJson {
  address: Address;
  pubKey: string;
  consensusAddress: string;
  rank: number;
  role: 'validator' | 'backup';
  state: string;
  totalStake: string;
  votingPower: string;
  /** What CometBFT weighs the validator with: floor(V_i / 10^18). */
  consensusPower: string;
  verified: boolean;
}

export interface DelegationJson {
  delegator: Address;
  candidate: Address;
  amount: string;
  principal: string;
  earned: string;
  shares: string;
  compRateBp: number;
  self: boolean;
  withdrawing: boolean;
}

export interface UnstakeJson {
  id: string;
  delegator: Address;
  candidate: Address;
  amount: string;
  shares: string;
  matureTime: string;
  height: string;
}

export interface ProposalJson {
  id: string;
  kind: string;
  status: string;
  proposer: Address;
  reason: string;
  createdHeight: string;
  createdTime: string;
  expiresAt: string;
  closedHeight: string | null;
  closedTime: string | null;
  outcome: string;
  param: { name: string; value: string } | null;
  transfer: { from: Address; to: Address; amount: string } | null;
  votes: Array<{ voter: Address; yes: boolean }>;
  tally: { yes: string; no: string; total: string };
}

export interface SupplyJson {
  supply: string;
  genesis: string;
  minted: string;
  burned: string;
  staked: string;
  unstaking: string;
  held_by_proposals: string;
}

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
