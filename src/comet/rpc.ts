/**
 * A small client for CometBFT's JSON-RPC over HTTP (the endpoints cmtd's
 * JSON-RPC gateway, replay, the node supervisor, tools and tests use).
 * Errors carry CometBFT's message.
 */
import { sha256 } from '../util/sha256.js';

/** Where a node's CometBFT RPC listens unless told otherwise (CometBFT's own default). */
export const DEFAULT_COMET_RPC_URL = 'http://127.0.0.1:26657';

/** CometBFT's name for a transaction: upper-case hex of sha256(tx bytes), as its RPC reports and looks it up. */
export function cometTxHash(raw: Uint8Array): string {
  return Buffer.from(sha256(raw)).toString('hex').toUpperCase();
}

export class CometRpcError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`CometBFT RPC ${method}: ${message}`);
    this.name = 'CometRpcError';
  }
}

export interface BroadcastResult {
  code: number;
  data: string;
  log: string;
  codespace: string;
  hash: string;
}

export interface AbciQueryResult {
  code: number;
  log: string;
  /** base64 */
  value: string | null;
  height: string;
}

export interface StatusResult {
  node_info: { id: string; network: string; version: string; moniker: string };
  sync_info: { latest_block_height: string; latest_app_hash: string; latest_block_time: string; catching_up: boolean };
  validator_info: { address: string; voting_power: string };
}

export interface BlockResult {
  block_id: { hash: string };
  block: {
    header: { height: string; time: string; app_hash: string; chain_id: string; proposer_address: string; last_results_hash: string };
    data: { txs: string[] | null };
  };
}

export interface TxResultJson {
  code: number;
  data: string | null;
  log: string;
  gas_wanted: string;
  gas_used: string;
  codespace: string;
  events: Array<{ type: string; attributes: Array<{ key: string; value: string }> }>;
}

export interface BlockResultsResult {
  height: string;
  txs_results: TxResultJson[] | null;
  validator_updates: Array<{ pub_key: { type?: string; value?: string } | Record<string, string>; power: string }> | null;
  app_hash?: string;
}

export interface ValidatorsResult {
  block_height: string;
  validators: Array<{ address: string; pub_key: { type: string; value: string }; voting_power: string }>;
  total: string;
}

export class CometRpc {
  private nextId = 1;

  constructor(readonly url: string) {}

  async call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
    });
    const body = (await response.json()) as { result?: T; error?: { message: string; data?: string } };
    if (body.error !== undefined) throw new CometRpcError(method, `${body.error.message}${body.error.data ? `: ${body.error.data}` : ''}`);
    if (body.result === undefined) throw new CometRpcError(method, `no result (HTTP ${response.status})`);
    return body.result;
  }

  status(): Promise<StatusResult> {
    return this.call('status');
  }

  async height(): Promise<bigint> {
    return BigInt((await this.status()).sync_info.latest_block_height);
  }

  broadcastTxSync(tx: Uint8Array): Promise<BroadcastResult> {
    return this.call('broadcast_tx_sync', { tx: Buffer.from(tx).toString('base64') });
  }

  async abciQuery(path: string, height?: bigint): Promise<AbciQueryResult> {
    const params: Record<string, unknown> = { path, data: '' };
    if (height !== undefined) params.height = height.toString();
    const result = await this.call<{ response: AbciQueryResult }>('abci_query', params);
    return result.response;
  }

  /** Runs an ABCI query and parses its JSON value; throws on a non-zero code. */
  async queryJson<T>(path: string): Promise<T> {
    const response = await this.abciQuery(path);
    if (response.code !== 0) throw new CometRpcError('abci_query', `${path}: code ${response.code}: ${response.log}`);
    return JSON.parse(Buffer.from(response.value ?? '', 'base64').toString('utf8')) as T;
  }

  block(height?: bigint): Promise<BlockResult> {
    return this.call('block', height === undefined ? {} : { height: height.toString() });
  }

  blockResults(height: bigint): Promise<BlockResultsResult> {
    return this.call('block_results', { height: height.toString() });
  }

  validators(height?: bigint): Promise<ValidatorsResult> {
    return this.call('validators', { ...(height === undefined ? {} : { height: height.toString() }), per_page: '100' });
  }

  /** A committed transaction by its CometBFT hash (sha256 of the tx bytes, hex). */
  async tx(hash: string): Promise<{ height: string; index: number; tx_result: TxResultJson }> {
    // The URI form takes the hash as hex; the JSON-RPC body form would want base64.
    const response = await fetch(`${this.url}/tx?hash=0x${hash.replace(/^0x/, '')}`);
    const body = (await response.json()) as { result?: { height: string; index: number; tx_result: TxResultJson }; error?: { message: string; data?: string } };
    if (body.error !== undefined) throw new CometRpcError('tx', `${body.error.message}${body.error.data ? `: ${body.error.data}` : ''}`);
    if (body.result === undefined) throw new CometRpcError('tx', `no result (HTTP ${response.status})`);
    return body.result;
  }
}
