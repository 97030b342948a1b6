/**
 * ABCI over gRPC (@grpc/grpc-js), with service definitions built from the
 * services generated from our `proto/` (./gen, protoc-gen-es) and our codec
 * (no proto-loader at run time), so the application sees the same types as
 * over the socket.
 *
 * Services:
 *   tendermint.abci.ABCI             CometBFT v0.38 method set
 *   tendermint.abci.ABCIApplication  CometBFT v0.37 method set (BeginBlock,
 *                                    DeliverTx, EndBlock; Commit returns the
 *                                    app hash in `data`)
 * The service a call arrives on fixes the protocol: Commit on ABCIApplication
 * calls `app.commitV037()`, on ABCI `app.commit()`.
 *
 * Ordering: gRPC calls may arrive concurrently, and carry no connection
 * identity. Calls are therefore serialized through one queue per logical
 * CometBFT connection, chosen by method:
 *   consensus: InitChain, PrepareProposal, ProcessProposal, ExtendVote,
 *              VerifyVoteExtension, FinalizeBlock, BeginBlock, DeliverTx,
 *              EndBlock, Commit
 *   mempool:   CheckTx
 *   query:     Info, Query
 *   snapshot:  ListSnapshots, OfferSnapshot, LoadSnapshotChunk, ApplySnapshotChunk
 * Echo and Flush are answered at once. This mirrors the socket transport,
 * where each of the four connections is sequential and they interleave.
 *
 * A handler that throws fails that call with status UNKNOWN and the error
 * text (the gRPC counterpart of ResponseException).
 *
 * Defences (src/abci/README.md): the message size limit both ways, and mode
 * 0600 on a unix socket. grpc-js gives a call no connection identity, so the
 * socket transport's connection roles (roles.ts) and connection cap do not
 * apply here: prefer the socket transport where others can reach the port.
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMethod, type DescService } from '@bufbuild/protobuf';
import type { Logger } from '../util/logger.js';
import { formatListenAddress, makeSocketPrivate, parseListenAddress, type ListenAddress } from './address.js';
import { methodCodec, type AbciRequest, type RequestType, type ResponseMap } from './codec.js';
import { Dispatcher, ProtocolDetector, SerialQueue, type ConnectionContext } from './dispatch.js';
import { ABCI, ABCIApplication } from './gen/tendermint/abci/types_pb.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './socket-server.js';
import type { AbciApplication, AbciProtocol } from './types.js';

export interface GrpcServerOptions {
  app: AbciApplication;
  logger: Logger;
  /** Max gRPC message size, both directions (default 64 MiB). */
  maxMessageBytes?: number;
  /** On close(), force the shutdown after this long (default 5000 ms). */
  closeTimeoutMs?: number;
}

type Lane = 'consensus' | 'mempool' | 'query' | 'snapshot' | 'none';

/** Each request type's lane (a method's request type is its generated local name, e.g. finalizeBlock). */
const LANES: Record<RequestType, Lane> = {
  echo: 'none',
  flush: 'none',
  info: 'query',
  query: 'query',
  checkTx: 'mempool',
  initChain: 'consensus',
  prepareProposal: 'consensus',
  processProposal: 'consensus',
  extendVote: 'consensus',
  verifyVoteExtension: 'consensus',
  finalizeBlock: 'consensus',
  beginBlock: 'consensus',
  deliverTx: 'consensus',
  endBlock: 'consensus',
  commit: 'consensus',
  listSnapshots: 'snapshot',
  offerSnapshot: 'snapshot',
  loadSnapshotChunk: 'snapshot',
  applySnapshotChunk: 'snapshot',
};

/** The generated services and the protocol each stands for. */
export const ABCI_SERVICES: Record<'ABCI' | 'ABCIApplication', { protocol: AbciProtocol; desc: DescService }> = {
  ABCI: { protocol: 'v0.38', desc: ABCI },
  ABCIApplication: { protocol: 'v0.37', desc: ABCIApplication },
};

/** The request type a generated method carries (its local name, e.g. "finalizeBlock"). */
function requestTypeOf(method: DescMethod): RequestType {
  const type = method.localName as RequestType;
  if (!(type in LANES)) throw new Error(`ABCI method ${method.name} has no request type`);
  return type;
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.length);
}

/**
 * A grpc-js ServiceDefinition for `tendermint.abci.<service>`: the server
 * side decodes requests into, and encodes responses from, the application's
 * types (codec.ts); the client side (grpc.makeGenericClientConstructor) takes
 * and returns the generated messages as they are.
 */
export function abciServiceDefinition(service: 'ABCI' | 'ABCIApplication'): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of ABCI_SERVICES[service].desc.methods) {
    const codec = methodCodec(requestTypeOf(method), method.input, method.output);
    def[method.name] = {
      path: `/${method.parent.typeName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: unknown) => toBuffer(toBinary(method.input, create(method.input, v as never))),
      requestDeserialize: (b: Buffer) => codec.decodeRequest(b),
      responseSerialize: (v: unknown) => toBuffer(codec.encodeResponse(v as never)),
      responseDeserialize: (b: Buffer) => fromBinary(method.output, b),
      originalName: method.localName,
    };
  }
  return def;
}

export class AbciGrpcServer {
  private readonly server: grpc.Server;
  private readonly dispatcher: Dispatcher;
  private readonly logger: Logger;
  private readonly closeTimeoutMs: number;
  private readonly lanes: Record<Exclude<Lane, 'none'>, SerialQueue> = {
    consensus: new SerialQueue(),
    mempool: new SerialQueue(),
    query: new SerialQueue(),
    snapshot: new SerialQueue(),
  };
  private listenAddress: ListenAddress | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: GrpcServerOptions) {
    this.logger = options.logger.child({ module: 'abci-grpc' });
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.dispatcher = new Dispatcher(options.app, new ProtocolDetector('v0.38'), this.logger);
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': max,
    });
    for (const service of ['ABCI', 'ABCIApplication'] as const) {
      const protocol = ABCI_SERVICES[service].protocol;
      const impl: grpc.UntypedServiceImplementation = {};
      const contexts: Record<string, ConnectionContext> = {};
      for (const method of ABCI_SERVICES[service].desc.methods) {
        const type = requestTypeOf(method);
        const lane = LANES[type];
        const ctx = (contexts[lane] ??= { label: `grpc ${service} ${lane}`, flow: protocol });
        impl[method.name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => this.handle(type, lane, ctx, call.request, callback);
      }
      this.server.addService(abciServiceDefinition(service), impl);
    }
  }

  get protocol(): AbciProtocol | undefined {
    return this.dispatcher.protocol;
  }

  private handle(type: RequestType, lane: Lane, ctx: ConnectionContext, value: unknown, callback: grpc.sendUnaryData<unknown>): void {
    const req = { type, value } as AbciRequest;
    const job = (): Promise<unknown> => this.dispatcher.handle(req, ctx);
    const pending = lane === 'none' ? job() : this.lanes[lane].run(job);
    pending.then(
      (res) => {
        const r = res as { type: keyof ResponseMap; value: unknown };
        if (r.type === 'exception') {
          callback({ code: grpc.status.UNKNOWN, details: (r.value as ResponseMap['exception']).error }, null);
        } else {
          callback(null, r.value);
        }
      },
      (err: unknown) => {
        // Dispatcher.handle never rejects; keep the call from hanging if it ever did.
        callback({ code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) }, null);
      },
    );
  }

  /** Binds `tcp://host:port` (or host:port) or `unix:///path`; resolves to the bound address. */
  async listen(address: string): Promise<string> {
    const parsed = parseListenAddress(address);
    const target = parsed.kind === 'unix' ? `unix:${parsed.path}` : parsed.host.includes(':') ? `[${parsed.host}]:${parsed.port}` : `${parsed.host}:${parsed.port}`;
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
    });
    if (parsed.kind === 'unix') makeSocketPrivate(parsed.path);
    this.listenAddress = parsed.kind === 'tcp' ? { kind: 'tcp', host: parsed.host, port } : parsed;
    const text = formatListenAddress(this.listenAddress);
    this.logger.info('ABCI gRPC server listening', { address: text });
    return text;
  }

  get address(): string | undefined {
    return this.listenAddress === undefined ? undefined : formatListenAddress(this.listenAddress);
  }

  /** Stops accepting calls, waits for running ones (forced after closeTimeoutMs). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn('ABCI gRPC server: forcing shutdown');
        this.server.forceShutdown();
        resolve();
      }, this.closeTimeoutMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        this.logger.info('ABCI gRPC server closed');
        resolve();
      });
    });
    return this.closing;
  }
}
