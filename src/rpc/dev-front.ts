/**
 * `cmtd dev`'s public JSON-RPC endpoint: its own methods (the development
 * accounts, dev-accounts.ts) answered here, every other call passed to the
 * node's gateway unchanged — over HTTP, or, for a WebSocket client, over a
 * WebSocket of its own to the node so that eth_subscribe notifications come
 * back to it. An EVM call the node gave up on because blocks kept
 * committing under it is sent again. The keys stay in this process: the node (`cmtd start`) never
 * sees one.
 */
import { WebSocket } from 'ws';
import type { Logger } from '../util/logger.js';
import { RpcCode, RpcError } from './errors.js';
import { JsonRpcDispatcher, stringify, type CallContext, type MethodSpec, type MethodTable, type SubscriptionSink } from './jsonrpc.js';
import { startRpcServer, type RpcServer } from './server.js';
import type { NodeRpc } from './dev-accounts.js';

/** Parameters a passed-on call may have (the node checks each method's own limit). */
const FORWARDED_MAX_PARAMS = 8;

interface RpcAnswer {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

function answerOf<T>(method: string, body: RpcAnswer): T {
  if (body.error !== undefined) throw new RpcError(body.error.code, body.error.message, body.error.data);
  if (!('result' in body)) throw new RpcError(RpcCode.Internal, `the node answered ${method} with neither a result nor an error`);
  return body.result as T;
}

/** JSON-RPC calls to the node over HTTP. */
export class HttpNodeRpc implements NodeRpc {
  private id = 0;
  constructor(readonly url: string) {}

  async call<T>(method: string, params: unknown[]): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
      });
    } catch (err) {
      throw new RpcError(RpcCode.ResourceUnavailable, `the node's JSON-RPC is unreachable: ${(err as Error).message}`);
    }
    const text = await response.text();
    let body: RpcAnswer;
    try {
      body = JSON.parse(text) as RpcAnswer;
    } catch {
      throw new RpcError(RpcCode.Internal, `the node answered ${method} with HTTP ${response.status} and no JSON`);
    }
    return answerOf<T>(method, body);
  }
}

/**
 * One client WebSocket's connection to the node: calls matched to answers by
 * an id of its own, subscription notifications passed to the client.
 */
class WsNodeRpc implements NodeRpc {
  private readonly ws: WebSocket;
  private readonly open: Promise<void>;
  private readonly waiting = new Map<number, { method: string; resolve: (a: RpcAnswer) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(url: string, sink: SubscriptionSink) {
    this.ws = new WebSocket(url);
    this.open = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', (err) => reject(new RpcError(RpcCode.ResourceUnavailable, `the node's WebSocket is unreachable: ${err.message}`)));
    });
    this.open.catch(() => undefined);
    this.ws.on('message', (message: Buffer) => {
      let value: { id?: number; method?: string; params?: { subscription: string; result: unknown } } & RpcAnswer;
      try {
        value = JSON.parse(message.toString('utf8')) as typeof value;
      } catch {
        return;
      }
      if (value.method === 'eth_subscription' && value.params !== undefined) {
        sink.notify(value.params.subscription, value.params.result);
        return;
      }
      const pending = typeof value.id === 'number' ? this.waiting.get(value.id) : undefined;
      if (pending === undefined) return;
      this.waiting.delete(value.id!);
      pending.resolve(value);
    });
    this.ws.on('error', () => undefined); // 'close' follows
    this.ws.on('close', () => {
      this.closed = true;
      for (const pending of this.waiting.values()) pending.reject(new RpcError(RpcCode.ResourceUnavailable, 'the node closed its WebSocket'));
      this.waiting.clear();
    });
  }

  async call<T>(method: string, params: unknown[]): Promise<T> {
    await this.open;
    if (this.closed) throw new RpcError(RpcCode.ResourceUnavailable, 'the node closed its WebSocket');
    const id = this.nextId++;
    const answer = await new Promise<RpcAnswer>((resolve, reject) => {
      this.waiting.set(id, { method, resolve, reject });
      this.ws.send(stringify({ jsonrpc: '2.0', id, method, params }));
    });
    return answerOf<T>(method, answer);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The methods of `local`, and every other name passed on to the node. */
class ForwardingTable extends Map<string, MethodSpec> {
  constructor(
    local: ReadonlyMap<string, MethodSpec>,
    private readonly forward: (method: string, params: unknown[], ctx: CallContext) => Promise<unknown>,
  ) {
    super(local);
  }

  override get(method: string): MethodSpec {
    return super.get(method) ?? { maxParams: FORWARDED_MAX_PARAMS, handler: (params, ctx) => this.forward(method, params, ctx) };
  }
}

export interface DevFrontOptions {
  host: string;
  port: number;
  /** The node's gateway, http://host:port (its WebSocket is the same address). */
  nodeUrl: string;
  /** Methods answered here (dev-accounts.ts). */
  local: ReadonlyMap<string, MethodSpec>;
  /** --rpc-cors. */
  cors: string;
  maxBodyBytes: number;
  maxBatch: number;
  maxConnections: number;
  maxWsBufferedBytes: number;
  logger?: Logger;
}

export async function startDevFront(o: DevFrontOptions): Promise<RpcServer> {
  const http = new HttpNodeRpc(o.nodeUrl);
  const wsUrl = o.nodeUrl.replace(/^http/, 'ws');
  const sockets = new Map<number, WsNodeRpc>();
  const nodeFor = (ctx: CallContext): NodeRpc => {
    const sink = ctx.subscriptions;
    if (sink === undefined) return http;
    let ws = sockets.get(sink.id);
    if (ws === undefined) {
      const created = new WsNodeRpc(wsUrl, sink);
      sockets.set(sink.id, created);
      sink.onClose(() => {
        created.close();
        sockets.delete(sink.id);
      });
      ws = created;
    }
    return ws;
  };
  const methods: MethodTable = new ForwardingTable(o.local, (method, params, ctx) => nodeFor(ctx).call(method, params));
  const dispatcher = new JsonRpcDispatcher({ methods, maxBatch: o.maxBatch, ...(o.logger === undefined ? {} : { logger: o.logger }) });
  const server = await startRpcServer({
    host: o.host,
    port: o.port,
    dispatcher,
    maxBodyBytes: o.maxBodyBytes,
    maxConnections: o.maxConnections,
    maxWsBufferedBytes: o.maxWsBufferedBytes,
    cors: o.cors,
    ...(o.logger === undefined ? {} : { logger: o.logger }),
  });
  return {
    host: server.host,
    port: server.port,
    url: server.url,
    wsUrl: server.wsUrl,
    get wsConnections() {
      return server.wsConnections;
    },
    async close() {
      for (const ws of sockets.values()) ws.close();
      await server.close();
    },
  };
}
