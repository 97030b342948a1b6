/**
 * debug_traceTransaction, debug_traceCall, debug_traceBlockByNumber and
 * debug_traceBlockByHash (docs/RPC.md "Traces"): the parameters, which
 * state each trace re-executes on, and the per-client bound. The tracers
 * themselves run in the call workers (tracers.ts).
 *
 * A transaction of block N is re-executed on the state its block's first
 * transaction saw (the state after block N − 1 plus the block's opening
 * writes) plus the block's earlier transactions; a call on the state it names.
 */
import type { ChainIndex } from '../index/reader.js';
import type { BlockRecord } from '../index/records.js';
import type { CallState } from './call.js';
import type { CallRunner } from './call-runner.js';
import { parseCallRequest } from './call.js';
import type { RpcLimits } from './eth.js';
import { RpcCode, RpcError, invalidParams } from './errors.js';
import { describeValue, fixed, parseHash } from './hex.js';
import { methodTable, requiredArg, type CallContext, type MethodSpec } from './jsonrpc.js';
import { parseBlockTag, stateResolver, type IdleBlockHashes, type RpcStore } from './state-at.js';
import type { AccessListResult, TraceOptions, TraceOutput, TraceRequest } from './tracers.js';

/** Runs of eth_createAccessList before it settles for the list it has. */
const MAX_ACCESS_LIST_RUNS = 4;

export interface TraceApiOptions {
  store: RpcStore;
  /** As EthApiOptions.idleBlockHashes. */
  idleBlockHashes?: IdleBlockHashes;
  index: ChainIndex;
  calls: CallRunner;
  limits: RpcLimits;
}

const STRUCT_FIELDS = new Set(['disableStack', 'disableStorage', 'enableMemory', 'disableMemory', 'enableReturnData', 'limit', 'timeout', 'tracer', 'tracerConfig', 'reexec']);
const CALL_TRACER_FIELDS = new Set(['onlyTopCall', 'withLog']);

function flag(obj: Record<string, unknown>, key: string): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw invalidParams(`${key}: expected a boolean, got ${describeValue(v)}`);
  return v;
}

/** A Go duration as geth takes it ("5s", "500ms", "1m"), ms. */
function parseDuration(value: unknown): number {
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value) : null;
  if (m === null) throw invalidParams(`timeout: expected a duration like "5s" or "500ms", got ${describeValue(value)}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** Parses geth's trace config; returns the options and the wall-clock limit asked for (at most the node's). */
export function parseTraceConfig(value: unknown, limits: RpcLimits): { options: TraceOptions; timeoutMs: number } {
  const obj = value === undefined || value === null ? {} : value;
  if (typeof obj !== 'object' || Array.isArray(obj)) throw invalidParams(`trace config: expected an object, got ${describeValue(obj)}`);
  const c = obj as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (key === 'stateOverrides' || key === 'blockOverrides') throw invalidParams(`${key} are not supported`);
    if (!STRUCT_FIELDS.has(key)) throw invalidParams(`trace config: unknown field "${key.slice(0, 40)}"`);
  }
  let tracer: TraceOptions['tracer'] = 'structLogger';
  if (c.tracer !== undefined && c.tracer !== null && c.tracer !== '') {
    if (c.tracer !== 'callTracer') {
      throw invalidParams(`tracer ${describeValue(c.tracer)} is not supported: use the default struct logger (no tracer) or "callTracer"`);
    }
    tracer = 'callTracer';
  }
  const tc = c.tracerConfig ?? {};
  if (typeof tc !== 'object' || tc === null || Array.isArray(tc)) throw invalidParams('tracerConfig: expected an object');
  const tracerConfig = tc as Record<string, unknown>;
  for (const key of Object.keys(tracerConfig)) if (!CALL_TRACER_FIELDS.has(key)) throw invalidParams(`tracerConfig: unknown field "${key.slice(0, 40)}"`);
  if (flag(tracerConfig, 'withLog')) throw invalidParams('tracerConfig.withLog is not supported');
  if (flag(c, 'enableReturnData')) throw invalidParams('enableReturnData is not supported');
  const limit = c.limit ?? 0;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) throw invalidParams(`limit: expected a whole number, got ${describeValue(limit)}`);
  const asked = c.timeout === undefined || c.timeout === null ? limits.traceTimeoutMs : parseDuration(c.timeout);
  return {
    options: {
      tracer,
      disableStack: flag(c, 'disableStack'),
      disableStorage: flag(c, 'disableStorage'),
      enableMemory: flag(c, 'enableMemory') && !flag(c, 'disableMemory'),
      limit,
      onlyTopCall: flag(tracerConfig, 'onlyTopCall'),
      maxBytes: limits.traceMaxBytes,
    },
    timeoutMs: Math.max(1, Math.min(asked, limits.traceTimeoutMs)),
  };
}

export function traceMethods(o: TraceApiOptions): Map<string, MethodSpec> {
  const { store, index, limits } = o;
  const { stateAt, versionAt, heightOf } = stateResolver(store, index, o.idleBlockHashes);
  const running = new Map<string, number>();
  const { methods, def } = methodTable();
  const arg = requiredArg;

  /** Runs a trace within the client's quota. */
  const trace = async (ctx: CallContext, state: CallState, request: TraceRequest, timeoutMs: number): Promise<TraceOutput> => {
    const run = o.calls.trace?.bind(o.calls);
    if (run === undefined) throw new RpcError(RpcCode.MethodNotSupported, 'this node does not run traces');
    const client = ctx.client ?? '';
    const count = running.get(client) ?? 0;
    if (count >= limits.maxTracesPerClient) {
      throw new RpcError(RpcCode.LimitExceeded, `too many traces at once: a client may run ${limits.maxTracesPerClient} (--rpc-traces-per-client); retry later`);
    }
    running.set(client, count + 1);
    try {
      return await run(state, request, timeoutMs, client);
    } finally {
      const left = (running.get(client) ?? 1) - 1;
      if (left === 0) running.delete(client);
      else running.set(client, left);
    }
  };

  /**
   * Where the transactions of `block` start: a committed version and the
   * block's opening writes over it (src/index/records.ts BlockOpening: the
   * BLOCKHASH entry and begin-block slashing over the parent's state; for
   * block 1, its own state with its later writes undone). A block indexed
   * before openings were recorded starts from its parent's state.
   */
  const startOf = async (block: BlockRecord): Promise<{ state: CallState; opening?: Array<[string, Uint8Array | null]> }> => {
    const opening = await index.opening(block.height);
    if (opening !== undefined) return { state: versionAt(opening.on === 'self' ? block.height : block.height - 1n), opening: opening.writes };
    if (block.height <= 1n) throw new RpcError(RpcCode.Server, 'historical state unavailable: block 1 runs on the genesis state, which is not kept apart from it');
    return { state: versionAt(block.height - 1n) };
  };

  const traceBlock = async (block: BlockRecord | undefined, config: unknown, ctx: CallContext): Promise<TraceOutput> => {
    if (block === undefined) throw new RpcError(RpcCode.Server, 'block not found');
    const { options, timeoutMs } = parseTraceConfig(config, limits);
    const txs = await index.blockTxs(block);
    if (txs.length === 0) return [];
    const { state, opening } = await startOf(block);
    return trace(
      ctx,
      state,
      {
        kind: 'txs',
        block: { height: block.height, time: block.time, hash: block.hash },
        ...(opening === undefined ? {} : { opening }),
        prior: [],
        traced: txs.map((t) => t.raw),
        options,
      },
      timeoutMs,
    );
  };

  def('debug_traceTransaction', 2, async (p, ctx) => {
    const hash = parseHash(arg(p, 0, 'hash'), 'hash');
    const { options, timeoutMs } = parseTraceConfig(p[1], limits);
    const record = await index.tx(hash);
    if (record === undefined) throw new RpcError(RpcCode.Server, `transaction ${fixed(hash, 32)} not found`);
    const block = await index.block(record.height);
    if (block === undefined) throw new RpcError(RpcCode.Server, `block ${record.height} of transaction ${fixed(hash, 32)} is not in the index`);
    const { state, opening } = await startOf(block);
    const txs = await index.blockTxs(block);
    const out = await trace(
      ctx,
      state,
      {
        kind: 'txs',
        block: { height: block.height, time: block.time, hash: block.hash },
        ...(opening === undefined ? {} : { opening }),
        prior: txs.slice(0, record.index).map((t) => t.raw),
        traced: [record.raw],
        options,
      },
      timeoutMs,
    );
    return Array.isArray(out) ? out[0]!.result : out;
  });

  def('debug_traceCall', 3, async (p, ctx) => {
    const req = parseCallRequest(arg(p, 0, 'call object'), limits.maxBodyBytes);
    const { options, timeoutMs } = parseTraceConfig(p[2], limits);
    const state = await stateAt(p[1]);
    const gas = req.gas === null || req.gas > limits.gasCap ? limits.gasCap : req.gas;
    const block = await index.block(state.height);
    return trace(ctx, state, { kind: 'call', req: { ...req, gas }, block: { height: state.height, time: block?.time ?? 0n }, options }, timeoutMs);
  });

  /**
   * eth_createAccessList: runs the call, then again with the list it
   * touched, until the list stops changing (as geth); gasUsed is that of
   * the last run, with the list.
   */
  def('eth_createAccessList', 2, async (p, ctx) => {
    const first = parseCallRequest(arg(p, 0, 'call object'), limits.maxBodyBytes);
    const state = await stateAt(p[1]);
    const block = await index.block(state.height);
    const gas = first.gas === null || first.gas > limits.gasCap ? limits.gasCap : first.gas;
    const options: TraceOptions = {
      tracer: 'accessList',
      disableStack: true,
      disableStorage: true,
      enableMemory: false,
      limit: 0,
      onlyTopCall: false,
      maxBytes: limits.traceMaxBytes,
    };
    let req = { ...first, gas };
    let previous = '';
    for (let run = 1; ; run++) {
      const result = (await trace(ctx, state, { kind: 'call', req, block: { height: state.height, time: block?.time ?? 0n }, options }, limits.evmTimeoutMs)) as AccessListResult;
      const key = JSON.stringify(result.accessList);
      if (key === previous || run === MAX_ACCESS_LIST_RUNS) return result;
      previous = key;
      req = {
        ...req,
        accessList: result.accessList.map((e) => ({ address: Buffer.from(e.address.slice(2), 'hex'), storageKeys: e.storageKeys.map((k) => Buffer.from(k.slice(2), 'hex')) })),
      };
    }
  });

  def('debug_traceBlockByNumber', 2, async (p, ctx) => traceBlock(await index.block(heightOf(parseBlockTag(arg(p, 0, 'block'), 'block'))), p[1], ctx));
  def('debug_traceBlockByHash', 2, async (p, ctx) => traceBlock(await index.blockByHash(parseHash(arg(p, 0, 'blockHash'), 'blockHash')), p[1], ctx));

  return methods;
}
