/**
 * The JSON-RPC 2.0 envelope, independent of the transport: parsing, batch
 * rules, id handling, notifications, method dispatch and error objects.
 */
import type { Logger } from '../util/logger.js';
import { BlockUnavailableError } from '../index/reader.js';
import { RpcCode, RpcError, invalidParams } from './errors.js';

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result?: unknown;
  error?: JsonRpcErrorObject;
}

/** Per-call context: the client and, on WebSocket connections, the connection for subscriptions. */
export interface CallContext {
  /** Present on WebSocket connections only. */
  subscriptions?: SubscriptionSink;
  /** Who per-client quotas count against: the remote IP address (absent in-process). */
  client?: string;
}

/** What eth_subscribe needs of a connection. */
export interface SubscriptionSink {
  readonly id: number;
  /** Sends an eth_subscription notification. */
  notify(subscription: string, result: unknown): void;
  /** Called when the connection closes. */
  onClose(listener: () => void): void;
}

export interface MethodSpec {
  /** Most positional parameters accepted. */
  maxParams: number;
  handler(params: unknown[], ctx: CallContext): unknown;
}

export type MethodTable = ReadonlyMap<string, MethodSpec>;

/** A method table being written (eth.ts, trace.ts, dev-accounts.ts): `def(name, maxParams, handler)` adds a method. */
export function methodTable(): { methods: Map<string, MethodSpec>; def: (name: string, maxParams: number, handler: (p: unknown[], ctx: CallContext) => unknown) => void } {
  const methods = new Map<string, MethodSpec>();
  return { methods, def: (name, maxParams, handler) => void methods.set(name, { maxParams, handler }) };
}

/** Positional parameter `i` (`name` in the error) of a method, which must be given. */
export function requiredArg(p: unknown[], i: number, name: string): unknown {
  if (p[i] === undefined) throw invalidParams(`missing value for required argument ${i} (${name})`);
  return p[i];
}

export interface DispatcherOptions {
  methods: MethodTable;
  /** Most requests in one batch. */
  maxBatch: number;
  logger?: Logger;
}

/**
 * Deepest nesting of arrays and objects a request may have. Ethereum's
 * deepest parameter (an access list inside a call object inside a batch)
 * is 6 levels; refusing deeper text before JSON.parse keeps a body of
 * nothing but brackets from costing the event loop (parsing 2.5 million
 * levels takes half a second) or overflowing the stack of anything that
 * walks the value.
 */
export const MAX_JSON_DEPTH = 32;

/** Longest error message sent (a message may quote client input). */
export const MAX_ERROR_MESSAGE = 512;

/** Whether `text` nests arrays and objects deeper than `max` (strings are skipped). */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

function truncate(message: string): string {
  return message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 3)}...` : message;
}

function errorResponse(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcResponse {
  const error: JsonRpcErrorObject = { code, message: truncate(message) };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error };
}

function validId(value: unknown): value is JsonRpcId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** JSON with bigints as decimal strings (module query answers may hold them). */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export class JsonRpcDispatcher {
  private readonly methods: MethodTable;
  private readonly maxBatch: number;
  private readonly log: Logger | undefined;

  constructor(options: DispatcherOptions) {
    this.methods = options.methods;
    this.maxBatch = options.maxBatch;
    this.log = options.logger;
  }

  /** Handles a request body; returns the response text, or undefined when nothing is to be sent (notifications only). */
  async handleText(text: string, ctx: CallContext = {}): Promise<string | undefined> {
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
      return stringify(errorResponse(null, RpcCode.InvalidParams, `invalid params: the request nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`));
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return stringify(errorResponse(null, RpcCode.ParseError, `parse error: ${(err as Error).message}`));
    }
    const response = await this.handleValue(value, ctx);
    return response === undefined ? undefined : stringify(response);
  }

  async handleValue(value: unknown, ctx: CallContext = {}): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    if (Array.isArray(value)) {
      if (value.length === 0) return errorResponse(null, RpcCode.InvalidRequest, 'invalid request: empty batch');
      if (value.length > this.maxBatch) {
        return errorResponse(null, RpcCode.InvalidRequest, `invalid request: batch of ${value.length} requests is above the limit of ${this.maxBatch}`);
      }
      const responses = await Promise.all(value.map((item) => this.handleOne(item, ctx)));
      const sent = responses.filter((r): r is JsonRpcResponse => r !== undefined);
      return sent.length === 0 ? undefined : sent;
    }
    return this.handleOne(value, ctx);
  }

  private async handleOne(request: unknown, ctx: CallContext): Promise<JsonRpcResponse | undefined> {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return errorResponse(null, RpcCode.InvalidRequest, 'invalid request: expected a JSON-RPC request object');
    }
    const r = request as Record<string, unknown>;
    const hasId = Object.hasOwn(r, 'id');
    const id: JsonRpcId = hasId && validId(r.id) ? r.id : null;
    if (hasId && !validId(r.id)) return errorResponse(null, RpcCode.InvalidRequest, 'invalid request: id must be a string, a number or null');
    if (r.jsonrpc !== '2.0') return errorResponse(id, RpcCode.InvalidRequest, 'invalid request: "jsonrpc" must be "2.0"');
    if (typeof r.method !== 'string' || r.method === '') return errorResponse(id, RpcCode.InvalidRequest, 'invalid request: "method" must be a non-empty string');
    const method = r.method;
    const spec = this.methods.get(method);
    let response: JsonRpcResponse;
    if (spec === undefined) {
      response = errorResponse(id, RpcCode.MethodNotFound, `the method ${method.slice(0, 100)} does not exist/is not available`);
    } else if (r.params !== undefined && r.params !== null && !Array.isArray(r.params)) {
      response = errorResponse(id, RpcCode.InvalidParams, 'invalid params: "params" must be an array (positional parameters)');
    } else {
      const params = (r.params ?? []) as unknown[];
      if (params.length > spec.maxParams) {
        response = errorResponse(id, RpcCode.InvalidParams, `too many arguments: ${method} takes at most ${spec.maxParams}, got ${params.length}`);
      } else {
        try {
          response = { jsonrpc: '2.0', id, result: (await spec.handler(params, ctx)) ?? null };
        } catch (err) {
          if (err instanceof RpcError) {
            response = errorResponse(id, err.code, err.message, err.data);
          } else if (err instanceof BlockUnavailableError) {
            response = errorResponse(id, RpcCode.ResourceUnavailable, err.message, { oldestBlock: `0x${err.oldest.toString(16)}` });
          } else {
            const message = truncate(String((err as Error).message));
            this.log?.error('JSON-RPC method failed', { method, error: message, stack: (err as Error).stack });
            response = errorResponse(id, RpcCode.Internal, `internal error: ${message}`);
          }
        }
      }
    }
    // A request without an id is a notification: no response, errors included.
    return hasId ? response : undefined;
  }
}
