/**
 * Routes one decoded ABCI request to the application and returns the response
 * to send. Shared by the socket and gRPC servers; no I/O here.
 *
 * - Echo and Flush are answered here, without the application.
 * - Optional application methods get defaults: no snapshots, reject offered
 *   snapshots, abort chunk application, empty vote extension, accept vote
 *   extensions.
 * - A handler that throws becomes `ResponseException{error}` (logged).
 * - Which Commit the application gets (v0.38 `commit()` or v0.37
 *   `commitV037()`) is decided by `ProtocolDetector` + the connection's flow:
 *   see `resolveProtocol`.
 */
import type { Logger } from '../util/logger.js';
import type { AbciRequest, AbciResponse } from './codec.js';
import type { ExclusiveRole } from './roles.js';
import type { AbciApplication, AbciProtocol } from './types.js';

/**
 * Server-wide knowledge of which CometBFT generation is connected.
 *
 * Sources, in order of precedence when Commit arrives:
 *  1. the block flow seen on the connection carrying the Commit: BeginBlock /
 *     DeliverTx / EndBlock => v0.37; FinalizeBlock / ExtendVote /
 *     VerifyVoteExtension => v0.38 (CometBFT always executes a block on the
 *     consensus connection before committing it, replay included);
 *  2. the `abci_version` of the last RequestInfo (sent on the query
 *     connection during the handshake): "1.x" => v0.37, "2.x" => v0.38;
 *  3. the block flow last seen on any connection;
 *  4. the configured default (v0.38).
 * Over gRPC the service name decides (ABCIApplication = v0.37, ABCI = v0.38).
 */
export class ProtocolDetector {
  private fromInfo: AbciProtocol | undefined;
  private fromFlow: AbciProtocol | undefined;

  constructor(private readonly fallback: AbciProtocol = 'v0.38') {}

  /** Records the ABCI version announced in RequestInfo. */
  noteInfo(abciVersion: string): void {
    const major = abciVersion.split('.')[0];
    if (major === '1') this.fromInfo = 'v0.37';
    else if (major === '2') this.fromInfo = 'v0.38';
  }

  noteFlow(p: AbciProtocol): void {
    this.fromFlow = p;
  }

  /** What the detector believes now, without connection context. */
  get current(): AbciProtocol | undefined {
    return this.fromInfo ?? this.fromFlow;
  }

  resolve(connectionFlow: AbciProtocol | undefined): AbciProtocol {
    return connectionFlow ?? this.fromInfo ?? this.fromFlow ?? this.fallback;
  }
}

/** Per logical connection state the dispatcher keeps. */
export interface ConnectionContext {
  /** Block flow last seen on this connection (or fixed by the gRPC service). */
  flow?: AbciProtocol;
  /** For logs. */
  readonly label: string;
}

const EMPTY = new Uint8Array(0);

export class Dispatcher {
  constructor(
    private readonly app: AbciApplication,
    private readonly detector: ProtocolDetector,
    private readonly logger: Logger,
  ) {}

  get protocol(): AbciProtocol | undefined {
    return this.detector.current;
  }

  /** A connection took a role (roles.ts). A new mempool connection means CometBFT's mempool is empty. */
  connectionBound(role: ExclusiveRole, connection: string): void {
    this.logger.info('ABCI connection role taken', { role, connection });
    if (role === 'mempool') this.app.mempoolConnected?.();
  }

  /** New CheckTx requests just queued on a connection (their order kept): the app may start on them early. */
  checkTxQueued(reqs: readonly AbciRequest[]): void {
    if (this.app.checkTxQueued === undefined) return;
    const txs: Uint8Array[] = [];
    for (const req of reqs) if (req.type === 'checkTx' && req.value.type === 'new') txs.push(req.value.tx);
    if (txs.length > 1) this.app.checkTxQueued(txs);
  }

  /** Never rejects: application errors become an `exception` response. */
  async handle(req: AbciRequest, ctx: ConnectionContext): Promise<AbciResponse> {
    try {
      return await this.route(req, ctx);
    } catch (err) {
      const error = err instanceof Error ? err.message || err.name : String(err);
      this.logger.error('ABCI handler failed', {
        request: req.type,
        connection: ctx.label,
        error,
        stack: err instanceof Error ? err.stack : undefined,
      });
      return { type: 'exception', value: { error: `${req.type}: ${error}` } };
    }
  }

  private flow(ctx: ConnectionContext, p: AbciProtocol): void {
    ctx.flow = p;
    this.detector.noteFlow(p);
  }

  private async route(req: AbciRequest, ctx: ConnectionContext): Promise<AbciResponse> {
    const app = this.app;
    switch (req.type) {
      case 'echo':
        return { type: 'echo', value: { message: req.value.message } };
      case 'flush':
        return { type: 'flush', value: {} };
      case 'info':
        this.detector.noteInfo(req.value.abciVersion);
        return { type: 'info', value: await app.info(req.value) };
      case 'initChain':
        return { type: 'initChain', value: await app.initChain(req.value) };
      case 'query':
        return { type: 'query', value: await app.query(req.value) };
      case 'checkTx':
        return { type: 'checkTx', value: await app.checkTx(req.value) };
      case 'prepareProposal':
        return { type: 'prepareProposal', value: await app.prepareProposal(req.value) };
      case 'processProposal':
        return { type: 'processProposal', value: await app.processProposal(req.value) };
      case 'extendVote':
        this.flow(ctx, 'v0.38');
        return {
          type: 'extendVote',
          value: app.extendVote ? await app.extendVote(req.value) : { voteExtension: EMPTY },
        };
      case 'verifyVoteExtension':
        this.flow(ctx, 'v0.38');
        return {
          type: 'verifyVoteExtension',
          value: app.verifyVoteExtension ? await app.verifyVoteExtension(req.value) : { status: 'accept' },
        };
      case 'finalizeBlock':
        this.flow(ctx, 'v0.38');
        return { type: 'finalizeBlock', value: await app.finalizeBlock(req.value) };
      case 'beginBlock':
        this.flow(ctx, 'v0.37');
        return { type: 'beginBlock', value: await app.beginBlock(req.value) };
      case 'deliverTx':
        this.flow(ctx, 'v0.37');
        return { type: 'deliverTx', value: await app.deliverTx(req.value) };
      case 'endBlock':
        this.flow(ctx, 'v0.37');
        return { type: 'endBlock', value: await app.endBlock(req.value) };
      case 'commit': {
        if (this.detector.resolve(ctx.flow) === 'v0.37') {
          const r = await app.commitV037();
          return { type: 'commit', value: { retainHeight: r.retainHeight, data: r.data } };
        }
        const r = await app.commit();
        return { type: 'commit', value: { retainHeight: r.retainHeight } };
      }
      case 'listSnapshots':
        return {
          type: 'listSnapshots',
          value: app.listSnapshots ? await app.listSnapshots(req.value) : { snapshots: [] },
        };
      case 'offerSnapshot':
        return {
          type: 'offerSnapshot',
          value: app.offerSnapshot ? await app.offerSnapshot(req.value) : { result: 'reject' },
        };
      case 'loadSnapshotChunk':
        return {
          type: 'loadSnapshotChunk',
          value: app.loadSnapshotChunk ? await app.loadSnapshotChunk(req.value) : { chunk: EMPTY },
        };
      case 'applySnapshotChunk':
        return {
          type: 'applySnapshotChunk',
          value: app.applySnapshotChunk ? await app.applySnapshotChunk(req.value) : { result: 'abort' },
        };
      default: {
        const never: never = req;
        throw new Error(`unsupported request ${String((never as { type: unknown }).type)}`);
      }
    }
  }
}

/** Runs async jobs one at a time, in submission order. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
