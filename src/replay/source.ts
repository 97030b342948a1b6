/**
 * Where replay gets a chain from: a CometBFT node's RPC, or a recording of
 * one (docs/REPLAY.md). Both yield, height by height, the block, its
 * block_results, the validator set that signed its last commit and, when
 * known, the next block's header (whose app_hash is the state after it).
 */
import { once } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createReadStream, createWriteStream, existsSync, openSync, readSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { CometRpc, CometRpcError } from '../comet/rpc.js';
import { initialHeight, ReplayInputError, type RawBlock, type RawBlockResults, type RawGenesis, type RawHeader, type RawValidator } from './cometbft-json.js';

export interface HeightData {
  block: RawBlock;
  results: RawBlockResults;
  /** The validator set at height − 1, which signed `block.last_commit`; undefined for the chain's first block. */
  lastValidators?: { hash: string; validators: RawValidator[] };
  /** The next block's header, when the source has it: its app_hash is the state after this block. */
  nextHeader?: RawHeader;
}

export interface ReplaySource {
  /** For messages: the URL or file. */
  readonly description: string;
  genesis(): Promise<RawGenesis>;
  /** The last height the source can provide. */
  lastHeight(): Promise<bigint>;
  /** Heights `first`…`last` in order (first must be the chain's initial height). */
  heights(first: bigint, last: bigint): AsyncIterable<HeightData>;
  close(): Promise<void>;
}

export function heightOf(block: RawBlock): bigint {
  return BigInt(block.block.header.height);
}

// ------------------------------------------------------------------ RPC

/**
 * Fetching ahead: heights go in JSON-RPC batches of BATCH_HEIGHTS (block +
 * block_results each: 10 calls, CometBFT's default `max_request_batch_size`),
 * BATCHES_IN_FLIGHT batches at once over keep-alive connections, so replay
 * never waits on a round trip. A node that refuses batches is asked one call
 * at a time instead. Bounded: at most BATCH_HEIGHTS × BATCHES_IN_FLIGHT
 * heights are held ahead of the one being replayed.
 */
const BATCH_HEIGHTS = 5;
const BATCHES_IN_FLIGHT = 16;

export class RpcSource implements ReplaySource {
  private readonly rpc: CometRpc;
  private readonly valsets = new Map<string, RawValidator[]>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: BATCHES_IN_FLIGHT });
  /** Set when the node refused a batch: fetch one call at a time. */
  private noBatches = false;

  constructor(readonly description: string) {
    this.rpc = new CometRpc(description.replace(/\/+$/, ''));
  }

  /**
   * Several calls in one JSON-RPC batch; each answer (result or error)
   * settles its own promise. Falls back to single calls when the node does
   * not answer a batch with an array (batches disabled or limited).
   */
  private async batch<T>(calls: Array<{ method: string; params: Record<string, unknown> }>): Promise<Array<Promise<T>>> {
    if (!this.noBatches && calls.length > 1) {
      const body = JSON.stringify(calls.map((c, id) => ({ jsonrpc: '2.0', id, method: c.method, params: c.params })));
      let reply: unknown;
      try {
        reply = JSON.parse(await this.post(body));
      } catch (err) {
        if (err instanceof ReplayInputError) throw err;
        reply = undefined;
      }
      if (Array.isArray(reply) && reply.length === calls.length) {
        const byId = new Map<number, { result?: T; error?: { message: string; data?: string } }>();
        for (const r of reply as Array<{ id: number; result?: T; error?: { message: string; data?: string } }>) byId.set(r.id, r);
        return calls.map((c, id) => {
          const r = byId.get(id);
          if (r?.error !== undefined) return Promise.reject(new CometRpcError(c.method, `${r.error.message}${r.error.data ? `: ${r.error.data}` : ''}`));
          if (r?.result === undefined) return Promise.reject(new CometRpcError(c.method, 'no result in the batch answer'));
          return Promise.resolve(r.result);
        });
      }
      this.noBatches = true;
    }
    return calls.map((c) => this.call<T>(c.method, c.params));
  }

  /** One HTTP POST to the node over the keep-alive agent; the body of the answer. */
  private post(body: string): Promise<string> {
    const url = new URL(this.rpc.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        { method: 'POST', agent: url.protocol === 'https:' ? undefined : this.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('error', (err) => reject(new ReplayInputError(`cannot reach the CometBFT RPC at ${this.description} (${err.message})`)));
      req.end(body);
    });
  }

  /** One RPC call; a network failure names the node. */
  private async call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    try {
      return await this.rpc.call<T>(method, params);
    } catch (err) {
      if (err instanceof CometRpcError) throw err;
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new ReplayInputError(`cannot reach the CometBFT RPC at ${this.description} (${(err as Error).message}${cause})`);
    }
  }

  /** The genesis document; `genesis_chunked` when the node finds it too large for `genesis`. */
  async genesis(): Promise<RawGenesis> {
    try {
      return (await this.call<{ genesis: RawGenesis }>('genesis')).genesis;
    } catch (err) {
      if (!(err instanceof CometRpcError) || !/chunk/i.test(err.message)) throw err;
    }
    const parts: Buffer[] = [];
    for (let chunk = 0, total = 1; chunk < total; chunk++) {
      const r = await this.call<{ chunk: string; total: string; data: string }>('genesis_chunked', { chunk: String(chunk) });
      total = Number(r.total);
      parts.push(Buffer.from(r.data, 'base64'));
    }
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as RawGenesis;
  }

  async lastHeight(): Promise<bigint> {
    return BigInt((await this.call<{ sync_info: { latest_block_height: string } }>('status')).sync_info.latest_block_height);
  }

  private async firstAvailable(): Promise<bigint> {
    const status = await this.call<{ sync_info: { earliest_block_height?: string } }>('status');
    return BigInt(status.sync_info.earliest_block_height ?? '1');
  }

  block(height: bigint): Promise<RawBlock> {
    return this.call<RawBlock>('block', { height: height.toString() });
  }

  blockResults(height: bigint): Promise<RawBlockResults> {
    return this.call<RawBlockResults>('block_results', { height: height.toString() });
  }

  /** The whole validator set at `height` (every page). */
  async validators(height: bigint): Promise<RawValidator[]> {
    const out: RawValidator[] = [];
    for (let page = 1; ; page++) {
      const r = await this.call<{ validators: RawValidator[]; total: string }>('validators', { height: height.toString(), page: String(page), per_page: '100' });
      out.push(...r.validators);
      if (out.length >= Number(r.total) || r.validators.length === 0) return out;
    }
  }

  async *heights(first: bigint, last: bigint): AsyncGenerator<HeightData> {
    const earliest = await this.firstAvailable();
    if (earliest > first) {
      throw new ReplayInputError(
        `${this.description} has pruned its blocks below height ${earliest}; replay needs every block from the initial height ${first} (use an archive node or a recording)`,
      );
    }
    const latest = await this.lastHeight();
    const pending = new Map<bigint, Promise<[RawBlock, RawBlockResults]>>();
    let requestedTo = first - 1n;
    /** Requests heights from requestedTo + 1 in batches, up to `ahead`. */
    const fetchUpTo = (ahead: bigint): void => {
      while (requestedTo < ahead && requestedTo < last) {
        const from = requestedTo + 1n;
        const to = from + BigInt(BATCH_HEIGHTS) - 1n < last ? from + BigInt(BATCH_HEIGHTS) - 1n : last;
        const heights: bigint[] = [];
        for (let h = from; h <= to; h++) heights.push(h);
        const calls = heights.flatMap((h) => [
          { method: 'block', params: { height: h.toString() } },
          { method: 'block_results', params: { height: h.toString() } },
        ]);
        const answers = this.batch<unknown>(calls);
        heights.forEach((h, i) => {
          const p = answers.then(async (a) => (await Promise.all([a[2 * i], a[2 * i + 1]])) as [RawBlock, RawBlockResults]);
          // Awaited later; never an unhandled rejection if replay stops before it.
          p.catch(() => undefined);
          pending.set(h, p);
        });
        requestedTo = to;
      }
    };
    const fetchAt = (h: bigint): Promise<[RawBlock, RawBlockResults]> => {
      fetchUpTo(h);
      return pending.get(h)!;
    };
    let prev: RawHeader | undefined;
    for (let h = first; h <= last; h++) {
      fetchUpTo(h + BigInt(BATCH_HEIGHTS * BATCHES_IN_FLIGHT) - 1n);
      const [block, results] = await fetchAt(h);
      pending.delete(h);
      let nextHeader: RawHeader | undefined;
      if (h < last) nextHeader = (await fetchAt(h + 1n))[0].block.header;
      else if (h < latest) nextHeader = (await this.block(h + 1n)).block.header;
      const data: HeightData = { block, results, ...(nextHeader === undefined ? {} : { nextHeader }) };
      if (prev !== undefined) {
        const hash = prev.validators_hash;
        let set = this.valsets.get(hash);
        if (set === undefined) {
          set = await this.validators(h - 1n);
          this.valsets.set(hash, set);
        }
        data.lastValidators = { hash, validators: set };
      }
      yield data;
      prev = block.block.header;
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

// ------------------------------------------------------------- recordings

export const RECORDING_KIND = 'cmtd-replay-recording';
export const RECORDING_VERSION = 1;

type RecordingLine =
  | { kind: typeof RECORDING_KIND; version: number; source: string; chain_id: string; first_height: string; last_height: string }
  | { kind: 'genesis'; genesis: RawGenesis }
  | { kind: 'validators'; height: string; hash: string; validators: RawValidator[] }
  | { kind: 'block'; block: RawBlock; results: RawBlockResults }
  | { kind: 'next_header'; header: RawHeader }
  | { kind: 'end'; blocks: string };

/** Writes JSON lines, gzip-compressed when the file name ends in `.gz`, honouring backpressure. */
class LineWriter {
  private readonly file: Writable;
  private readonly out: Writable;

  constructor(path: string) {
    this.file = createWriteStream(path);
    if (path.endsWith('.gz')) {
      const gzip = createGzip();
      gzip.pipe(this.file);
      this.out = gzip;
    } else {
      this.out = this.file;
    }
  }

  async write(line: RecordingLine): Promise<void> {
    if (!this.out.write(`${JSON.stringify(line)}\n`)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    this.out.end();
    await finished(this.file);
  }
}

export interface RecordResult {
  first: bigint;
  last: bigint;
  blocks: bigint;
}

/**
 * Records genesis and heights initial…`to` (default: the node's latest) of
 * the chain behind `source` into `path`, for `cmtd replay --from <path>`.
 */
export async function recordChain(
  source: RpcSource,
  path: string,
  options: { to?: bigint; onHeight?: (height: bigint, first: bigint, last: bigint) => void } = {},
): Promise<RecordResult> {
  const genesis = await source.genesis();
  const first = initialHeight(genesis);
  const available = await source.lastHeight();
  const last = options.to ?? available;
  if (last > available) throw new ReplayInputError(`--to ${last} is above the node's latest height ${available}`);
  if (last < first) throw new ReplayInputError(`--to ${last} is below the chain's initial height ${first}`);
  const writer = new LineWriter(path);
  let blocks = 0n;
  try {
    await writer.write({
      kind: RECORDING_KIND,
      version: RECORDING_VERSION,
      source: source.description,
      chain_id: genesis.chain_id,
      first_height: first.toString(),
      last_height: last.toString(),
    });
    await writer.write({ kind: 'genesis', genesis });
    const written = new Set<string>();
    let nextHeader: RawHeader | undefined;
    for await (const data of source.heights(first, last)) {
      const v = data.lastValidators;
      if (v !== undefined && !written.has(v.hash)) {
        written.add(v.hash);
        await writer.write({ kind: 'validators', height: (heightOf(data.block) - 1n).toString(), hash: v.hash, validators: v.validators });
      }
      await writer.write({ kind: 'block', block: data.block, results: data.results });
      nextHeader = data.nextHeader;
      blocks++;
      options.onHeight?.(heightOf(data.block), first, last);
    }
    if (nextHeader !== undefined) await writer.write({ kind: 'next_header', header: nextHeader });
    await writer.write({ kind: 'end', blocks: blocks.toString() });
  } finally {
    await writer.close();
  }
  return { first, last, blocks };
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** A recording made by `cmtd replay --record` (plain or gzip JSON lines). */
export class FileSource implements ReplaySource {
  private readonly input: Readable;
  private readonly lines: AsyncIterator<string>;
  private lineNo = 0;
  private header: Extract<RecordingLine, { kind: typeof RECORDING_KIND }> | undefined;
  private genesisDoc: RawGenesis | undefined;

  private constructor(readonly description: string) {
    const file = createReadStream(description);
    if (isGzip(description)) {
      const gunzip = createGunzip();
      file.on('error', (err) => gunzip.destroy(err));
      this.input = file.pipe(gunzip);
    } else {
      this.input = file;
    }
    this.lines = createInterface({ input: this.input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  }

  static async open(path: string): Promise<FileSource> {
    if (!existsSync(path)) throw new ReplayInputError(`no recording at ${path}`);
    const source = new FileSource(path);
    try {
      const header = await source.next();
      if (header?.kind !== RECORDING_KIND) throw source.error('not a cmtd replay recording (made by `cmtd replay --record`)');
      if (header.version !== RECORDING_VERSION) throw source.error(`recording format version ${header.version}; this cmtd reads version ${RECORDING_VERSION}`);
      source.header = header;
      const genesis = await source.next();
      if (genesis?.kind !== 'genesis') throw source.error('expected the genesis line');
      source.genesisDoc = genesis.genesis;
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
  }

  private error(message: string): ReplayInputError {
    return new ReplayInputError(`${this.description}, line ${this.lineNo}: ${message}`);
  }

  private async next(): Promise<RecordingLine | undefined> {
    for (;;) {
      let r: IteratorResult<string>;
      try {
        r = await this.lines.next();
      } catch (err) {
        throw this.error(`cannot read the recording: ${(err as Error).message} (is it truncated?)`);
      }
      if (r.done === true) return undefined;
      this.lineNo++;
      if (r.value.trim() === '') continue;
      try {
        return JSON.parse(r.value) as RecordingLine;
      } catch (err) {
        throw this.error(`not JSON (${(err as Error).message}); is the file truncated?`);
      }
    }
  }

  async genesis(): Promise<RawGenesis> {
    return this.genesisDoc!;
  }

  async lastHeight(): Promise<bigint> {
    return BigInt(this.header!.last_height);
  }

  async *heights(first: bigint, last: bigint): AsyncGenerator<HeightData> {
    const valsets = new Map<string, RawValidator[]>();
    let pending: HeightData | undefined;
    let prev: RawHeader | undefined;
    for (;;) {
      const line = await this.next();
      if (line === undefined) throw this.error(`the recording ends without its end line after height ${prev?.height ?? 'none'}: it is truncated`);
      if (line.kind === 'validators') {
        valsets.set(line.hash, line.validators);
      } else if (line.kind === 'block') {
        const h = heightOf(line.block);
        const expected = prev === undefined ? first : BigInt(prev.height) + 1n;
        if (h !== expected) throw this.error(`block ${h} where block ${expected} was expected`);
        if (pending !== undefined) {
          pending.nextHeader = line.block.block.header;
          yield pending;
          if (heightOf(pending.block) >= last) return;
        }
        pending = { block: line.block, results: line.results };
        if (prev !== undefined) {
          const set = valsets.get(prev.validators_hash);
          if (set === undefined) throw this.error(`no validator set ${prev.validators_hash} (height ${prev.height}) before block ${h}`);
          pending.lastValidators = { hash: prev.validators_hash, validators: set };
        }
        prev = line.block.block.header;
      } else if (line.kind === 'next_header') {
        if (pending !== undefined) pending.nextHeader = line.header;
      } else if (line.kind === 'end') {
        if (pending !== undefined) yield pending;
        return;
      } else {
        throw this.error(`unexpected line kind '${line.kind}'`);
      }
    }
  }

  async close(): Promise<void> {
    this.input.destroy();
  }
}

/** An RPC URL (http/https) or a recording file. */
export async function openSource(from: string): Promise<ReplaySource> {
  return /^https?:\/\//i.test(from) ? new RpcSource(from) : FileSource.open(from);
}
