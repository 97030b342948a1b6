/**
 * What `cmtd init --join` needs from the network it joins: the genesis (a
 * file, or a node's CometBFT `/genesis`), checked peer addresses, and the
 * state-sync trust point (a recent height and its block hash, agreed on by
 * every RPC server given).
 */
import { readFileSync } from 'node:fs';

/** Largest genesis or RPC answer read (a genesis with 100,000 accounts is ~15 MB). */
export const MAX_RPC_RESPONSE_BYTES = 256 * 1024 * 1024;
const RPC_TIMEOUT_MS = 30_000;
/**
 * Default of --state-sync-trust-offset: how far below the tip the trust
 * height is. 1.5 default snapshot intervals (1,000), so that it is at or
 * below the newest snapshot the peers offer: CometBFT's light client then
 * verifies forward from it, skipping; a trust height above the snapshot
 * makes it fetch and check every header back down to the snapshot, one by one.
 */
export const DEFAULT_TRUST_OFFSET = 1_500n;
/** Largest --state-sync-trust-offset accepted. */
export const MAX_TRUST_OFFSET = 100_000_000n;

/** GET `url`, parsed as JSON; bounded in size and time, errors say which URL. */
export async function getJson(url: string, maxBytes = MAX_RPC_RESPONSE_BYTES): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(RPC_TIMEOUT_MS) });
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${(err as Error).message}`);
  }
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const part = await reader?.read();
    if (part === undefined || part.done) break;
    size += part.value.length;
    if (size > maxBytes) {
      await reader?.cancel();
      throw new Error(`${url} answered more than ${maxBytes} bytes`);
    }
    chunks.push(part.value);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${url} did not answer JSON (HTTP ${response.status}): ${text.slice(0, 200)}`);
  }
}

interface RpcEnvelope<T> {
  result?: T;
  error?: { message?: string; data?: string };
}

/** A CometBFT RPC GET (`base` + `path`); its error message when it answers one. */
async function cometGet<T>(base: string, path: string): Promise<T> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  const body = (await getJson(url)) as RpcEnvelope<T>;
  if (body.error !== undefined) throw new Error(`${url}: ${body.error.message ?? 'error'}${body.error.data ? `: ${body.error.data}` : ''}`);
  if (body.result === undefined) throw new Error(`${url}: not a CometBFT RPC answer`);
  return body.result;
}

function isGenesisDoc(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { chain_id?: unknown }).chain_id === 'string' && 'genesis_time' in value;
}

/**
 * The genesis document at `source`: a file path, a URL of a genesis.json, or
 * a node's CometBFT RPC (`http://host:26657` or `…/genesis`; a large genesis
 * is read through `/genesis_chunked`).
 */
export async function loadGenesis(source: string): Promise<Record<string, unknown>> {
  if (!/^https?:\/\//.test(source)) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(source, 'utf8'));
    } catch (err) {
      throw new Error(`--genesis ${source}: ${(err as Error).message}`);
    }
    if (!isGenesisDoc(doc)) throw new Error(`--genesis ${source} is not a genesis document (no chain_id / genesis_time)`);
    return doc;
  }
  const url = new URL(source);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/genesis';
  const body = (await getJson(url.toString())) as RpcEnvelope<{ genesis?: unknown }> | Record<string, unknown>;
  if (isGenesisDoc(body)) return body; // a plain genesis.json
  const envelope = body as RpcEnvelope<{ genesis?: unknown }>;
  if (isGenesisDoc(envelope.result?.genesis)) return envelope.result.genesis;
  if (envelope.error !== undefined && /genesis_chunked/.test(`${envelope.error.message} ${envelope.error.data}`)) {
    return loadChunkedGenesis(`${url.origin}${url.pathname.replace(/\/genesis$/, '')}`);
  }
  throw new Error(`--genesis ${source}: no genesis document in the answer${envelope.error ? ` (${envelope.error.message}: ${envelope.error.data ?? ''})` : ''}`);
}

async function loadChunkedGenesis(base: string): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  let total = 1;
  let size = 0;
  for (let chunk = 0; chunk < total; chunk++) {
    const r = await cometGet<{ chunk: string; total: string; data: string }>(base, `/genesis_chunked?chunk=${chunk}`);
    total = Number(r.total);
    if (!Number.isSafeInteger(total) || total < 1 || total > 10_000) throw new Error(`${base}/genesis_chunked: bad chunk count '${r.total}'`);
    const data = Buffer.from(r.data, 'base64');
    size += data.length;
    if (size > MAX_RPC_RESPONSE_BYTES) throw new Error(`${base}: the genesis is larger than ${MAX_RPC_RESPONSE_BYTES} bytes`);
    parts.push(data);
  }
  const doc = JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  if (!isGenesisDoc(doc)) throw new Error(`${base}/genesis_chunked is not a genesis document`);
  return doc;
}

/** `id@host:port,…` checked: a 40-hex-digit node id, a host, a port. */
export function parsePeers(list: string, flag: string): string[] {
  const peers = list
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const peer of peers) {
    const m = /^([0-9a-f]{40})@([^@:\s]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})$/.exec(peer);
    if (m === null || Number(m[3]) < 1 || Number(m[3]) > 65_535) {
      throw new Error(`${flag}: '${peer}' is not node-id@host:port (the node id is 40 lowercase hex digits: 'cometbft show-node-id' on that node)`);
    }
  }
  return peers;
}

export interface StateSyncTrust {
  rpcServers: string[];
  trustHeight: bigint;
  /** Upper-case hex block hash, as CometBFT writes it. */
  trustHash: string;
}

/**
 * A trust point for CometBFT's light client: the height `offset` below the
 * servers' tip (not below the oldest block any of them still has, nor below
 * 1) and that block's hash, which every server must give alike (one lying
 * server is caught here, not after a long sync).
 */
export async function stateSyncTrust(servers: string[], chainId: string, offset = DEFAULT_TRUST_OFFSET): Promise<StateSyncTrust> {
  if (servers.length === 0) throw new Error('--state-sync-rpc: give at least one CometBFT RPC URL');
  for (const s of servers) if (!/^https?:\/\/[^\s,]+$/.test(s)) throw new Error(`--state-sync-rpc: '${s}' is not an http(s) URL`);
  const statuses = await Promise.all(
    servers.map(async (s) => {
      const status = await cometGet<{ node_info: { network: string }; sync_info: { latest_block_height: string; earliest_block_height?: string } }>(s, '/status');
      if (status.node_info.network !== chainId) throw new Error(`--state-sync-rpc ${s} serves chain '${status.node_info.network}', the genesis is of '${chainId}'`);
      return { tip: BigInt(status.sync_info.latest_block_height), earliest: BigInt(status.sync_info.earliest_block_height ?? '1') };
    }),
  );
  // A block every server has: below the lowest tip, not below the highest pruning horizon.
  const tip = statuses.reduce((m, s) => (s.tip < m ? s.tip : m), statuses[0]!.tip);
  const earliest = statuses.reduce((m, s) => (s.earliest > m ? s.earliest : m), 1n);
  if (earliest > tip) throw new Error(`--state-sync-rpc: the servers have no block in common (one has pruned below height ${earliest}, another is at ${tip})`);
  const wanted = tip - offset;
  const trustHeight = wanted > earliest ? wanted : earliest;
  const hashes = await Promise.all(servers.map(async (s) => (await cometGet<{ block_id: { hash: string } }>(s, `/block?height=${trustHeight}`)).block_id.hash.toUpperCase()));
  const trustHash = hashes[0]!;
  if (!/^[0-9A-F]{64}$/.test(trustHash)) throw new Error(`--state-sync-rpc ${servers[0]}: block ${trustHeight} has no hash`);
  hashes.forEach((h, i) => {
    if (h !== trustHash) throw new Error(`--state-sync-rpc: ${servers[i]} gives block ${trustHeight} the hash ${h}, ${servers[0]} gives ${trustHash}: do not trust them both`);
  });
  // CometBFT wants two servers (one to fetch from, one to cross-check); a single one is listed twice.
  return { rpcServers: servers.length === 1 ? [servers[0]!, servers[0]!] : servers, trustHeight, trustHash };
}
