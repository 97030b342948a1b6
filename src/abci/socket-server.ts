/**
 * ABCI socket server (CometBFT >= 0.37 framing).
 *
 * Framing: every message is an unsigned varint length followed by that many
 * bytes of protobuf `tendermint.abci.Request` (responses likewise).
 *
 * CometBFT opens four connections (consensus, mempool, query, snapshot). Each
 * is served on its own, and roles.ts decides which may send what: block
 * lifecycle requests only on the one consensus connection, CheckTx only on
 * the mempool one, state sync only on the snapshot one (a refused request
 * gets a ResponseException and its connection is closed). At most
 * `maxConnections` are open at once; more are closed on arrival.
 * - requests on one connection are processed strictly one after another and
 *   answered in FIFO order; CometBFT may pipeline many before reading answers;
 * - answers are written corked and the writes are released when a Flush is
 *   answered (or when the connection has nothing more queued);
 * - a handler that throws answers `ResponseException{error}`; the connection
 *   carries on;
 * - a malformed frame (bad varint, oversize length, undecodable protobuf,
 *   unknown request) is logged and closes that connection only.
 * Connections run concurrently with each other (interleaving at `await`s).
 */
import { lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { Logger } from '../util/logger.js';
import { formatListenAddress, makeSocketPrivate, parseListenAddress, type ListenAddress } from './address.js';
import { decodeRequest, encodeResponseFrame, type AbciRequest, type AbciResponse } from './codec.js';
import { Dispatcher, ProtocolDetector, type ConnectionContext } from './dispatch.js';
import { ConnectionRoles, roleOf, type ExclusiveRole, type RoleHolder } from './roles.js';
import type { AbciApplication, AbciProtocol } from './types.js';

/**
 * Largest request frame (and, per connection, the most bytes buffered for a
 * frame still arriving). It must exceed a block's FinalizeBlock request:
 * CometBFT's default block.max_bytes is 21 MiB (22,020,096 bytes).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** CometBFT opens 4; twice that covers a restart overlapping the old ones' close. */
export const DEFAULT_MAX_CONNECTIONS = 10;

/** A framing violation: the connection it happened on must be closed. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  /** Frames completed by the same push() before the violation. */
  frames: Buffer[] = [];
}

/**
 * Splits a byte stream into uvarint-length-prefixed frames.
 * Frames contained in one chunk are returned as views (no copy); a frame
 * spanning chunks is assembled with one copy.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the frame being collected, or -1 while reading its header. */
  private need = -1;

  constructor(private readonly maxFrameBytes: number = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds a chunk; returns the frames it completed. Throws FrameError. */
  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length === 0) return out;
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.buffered += chunk.length;
    try {
      for (;;) {
        if (this.need < 0) {
          const header = this.readHeader();
          if (header === undefined) break;
          this.skip(header.size);
          this.need = header.length;
        }
        if (this.buffered < this.need) break;
        out.push(this.take(this.need));
        this.need = -1;
      }
    } catch (err) {
      if (err instanceof FrameError) err.frames = out;
      throw err;
    }
    return out;
  }

  /** Reads the uvarint at the head of the buffer; undefined if incomplete. */
  private readHeader(): { length: number; size: number } | undefined {
    let value = 0;
    let size = 0;
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i] as number;
        value += (b & 0x7f) * 2 ** (7 * size);
        size++;
        if (value > this.maxFrameBytes) {
          throw new FrameError(`frame length exceeds the maximum of ${this.maxFrameBytes} bytes`);
        }
        if (b < 0x80) return { length: value, size };
        if (size >= 10) throw new FrameError('frame length varint is too long');
      }
    }
    return undefined;
  }

  private skip(n: number): void {
    while (n > 0) {
      const first = this.chunks[0] as Buffer;
      if (first.length <= n) {
        this.chunks.shift();
        n -= first.length;
        this.buffered -= first.length;
      } else {
        this.chunks[0] = first.subarray(n);
        this.buffered -= n;
        n = 0;
      }
    }
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= n) {
      const frame = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return frame;
    }
    // Spans chunks: one copy. Index + a single splice keeps this linear even
    // for a frame that arrived in many tiny chunks.
    const frame = Buffer.allocUnsafe(n);
    let pos = 0;
    let used = 0;
    while (pos < n) {
      const c = this.chunks[used] as Buffer;
      const want = n - pos;
      if (c.length <= want) {
        c.copy(frame, pos);
        pos += c.length;
        used++;
      } else {
        c.copy(frame, pos, 0, want);
        this.chunks[used] = c.subarray(want);
        pos += want;
      }
    }
    this.chunks.splice(0, used);
    this.buffered -= n;
    return frame;
  }
}

export interface SocketServerOptions {
  app: AbciApplication;
  logger: Logger;
  /** Largest accepted request frame, in bytes (default 32 MiB); a longer one closes its connection. */
  maxMessageBytes?: number;
  /** Most connections open at once (default 10); further ones are closed on arrival. */
  maxConnections?: number;
  /** Protocol assumed for Commit if nothing was detected yet (default 'v0.38'). */
  defaultProtocol?: AbciProtocol;
  /** Stop reading from a connection while this many requests wait (default 1024). */
  maxQueuedRequests?: number;
  /** On close(), destroy connections that have not closed after this long (default 5000 ms). */
  closeTimeoutMs?: number;
}

let nextConnectionId = 1;

/** A received frame and its request (undefined if it did not decode: `error` says why). */
interface Queued {
  frame: Buffer;
  req?: AbciRequest;
  error?: unknown;
}

class Connection implements RoleHolder {
  readonly ctx: ConnectionContext;
  role: ExclusiveRole | undefined;
  private readonly decoder: FrameDecoder;
  private readonly queue: Queued[] = [];
  /** A queued frame did not decode: the frames after it are never run, so they are not decoded. */
  private undecodable = false;
  private queueHead = 0;
  private queuedBytes = 0;
  private running = false;
  private corked = false;
  private paused = false;
  private closing = false;
  private peerEnded = false;
  private brokenBy: { reason: string; err: unknown } | undefined;
  private dead = false;
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    private readonly dispatcher: Dispatcher,
    private readonly roles: ConnectionRoles,
    private readonly logger: Logger,
    private readonly maxFrameBytes: number,
    private readonly maxQueued: number,
  ) {
    const id = nextConnectionId++;
    const remote = socket.remoteAddress === undefined ? 'unix' : `${socket.remoteAddress}:${socket.remotePort}`;
    this.ctx = { label: `#${id} ${remote}` };
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      // The peer will send nothing more: answer what is queued, then end our side.
      this.peerEnded = true;
      if (!this.running && !this.dead) {
        this.uncork();
        this.socket.end();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.dead || this.closing) return;
      // A peer that goes away (CometBFT stopping) resets the connection: not a fault of ours.
      const level = err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'info' : 'warn';
      this.logger.log(level, 'ABCI connection error', { connection: this.ctx.label, error: err.message });
    });
    socket.once('close', () => {
      this.dead = true;
      this.logger.info('ABCI connection closed', { connection: this.ctx.label });
    });
    this.logger.info('ABCI connection opened', { connection: this.ctx.label });
  }

  get label(): string {
    return this.ctx.label;
  }

  get ending(): boolean {
    return this.peerEnded || this.dead;
  }

  private get queueLength(): number {
    return this.queue.length - this.queueHead;
  }

  private onData(chunk: Buffer): void {
    if (this.dead || this.closing || this.brokenBy !== undefined) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.enqueue(err instanceof FrameError ? err.frames : []);
      this.broken('bad frame', err);
      return;
    }
    this.enqueue(frames);
    if (!this.paused && (this.queueLength >= this.maxQueued || this.queuedBytes >= this.maxFrameBytes)) {
      this.paused = true;
      this.socket.pause();
    }
    if (!this.running && this.queueLength > 0) void this.run();
  }

  /**
   * Queues frames, decoded on arrival: the mempool connection's new CheckTx
   * requests are then told to the app before the first of them runs, so it
   * can start on the ones behind it (Dispatcher.checkTxQueued).
   */
  private enqueue(frames: Buffer[]): void {
    const decoded: AbciRequest[] = [];
    for (const frame of frames) {
      const entry: Queued = { frame };
      if (!this.undecodable) {
        try {
          entry.req = decodeRequest(frame);
          decoded.push(entry.req);
        } catch (err) {
          entry.error = err;
          this.undecodable = true;
        }
      }
      this.queue.push(entry);
      this.queuedBytes += frame.length;
    }
    if (this.role === 'mempool' && decoded.length > 1) this.dispatcher.checkTxQueued(decoded);
  }

  private dequeue(): Queued | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const entry = this.queue[this.queueHead] as Queued;
    this.queue[this.queueHead] = undefined as unknown as Queued;
    this.queueHead++;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.queuedBytes -= entry.frame.length;
    return entry;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (;;) {
        if (this.dead || this.closing) return;
        const entry = this.dequeue();
        if (entry === undefined) {
          if (this.brokenBy !== undefined) this.fail(this.brokenBy.reason, this.brokenBy.err);
          return;
        }
        const req = entry.req;
        if (req === undefined) {
          this.fail('malformed request', entry.error);
          return;
        }
        const role = roleOf(req.type);
        if (role !== undefined && role !== this.role) {
          const refusal = await this.roles.claim(this, req.type);
          if (this.dead) return;
          if (refusal !== undefined) {
            this.write(this.encode({ type: 'exception', value: { error: refusal } }));
            this.fail('request refused', new Error(refusal));
            return;
          }
        }
        const res = await this.dispatcher.handle(req, this.ctx);
        if (this.dead) return;
        this.write(this.encode(res));
        if (req.type === 'flush') this.uncork();
        if (this.socket.writableNeedDrain) {
          this.uncork();
          await this.drained();
        }
        if (this.paused && this.brokenBy === undefined && this.queueLength <= this.maxQueued / 2 && this.queuedBytes < this.maxFrameBytes / 2) {
          this.paused = false;
          this.socket.resume();
        }
      }
    } catch (err) {
      // Only reachable through a bug in this class; never let it escape.
      this.fail('internal error', err);
    } finally {
      this.running = false;
      if (!this.dead) {
        this.uncork();
        if (this.closing || (this.peerEnded && this.queueLength === 0)) this.socket.end();
      }
    }
  }

  private encode(res: AbciResponse): Uint8Array[] {
    try {
      return encodeResponseFrame(res);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.logger.error('ABCI response could not be encoded', { connection: this.ctx.label, response: res.type, error });
      return encodeResponseFrame({ type: 'exception', value: { error: `${res.type}: invalid response: ${error}` } });
    }
  }

  private write(frame: Uint8Array[]): void {
    if (!this.corked) {
      this.socket.cork();
      this.corked = true;
    }
    for (const bytes of frame) this.socket.write(bytes);
  }

  private uncork(): void {
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /**
   * Stops reading after a bad frame: requests queued before it are still
   * answered, then the connection is closed.
   */
  private broken(reason: string, err: unknown): void {
    this.brokenBy = { reason, err };
    this.socket.pause();
    if (this.running) return; // run() closes the connection once the queue is empty
    if (this.queueLength > 0) void this.run();
    else this.fail(reason, err);
  }

  /** Logs and closes this connection: flushes what was answered, then destroys it. */
  private fail(reason: string, err: unknown): void {
    if (this.dead) return;
    this.dead = true;
    this.logger.error('closing ABCI connection', {
      connection: this.ctx.label,
      reason,
      error: err instanceof Error ? err.message : String(err),
    });
    const socket = this.socket;
    socket.pause();
    this.uncork();
    const timer = setTimeout(() => socket.destroy(), 5000);
    timer.unref();
    socket.once('finish', () => {
      clearTimeout(timer);
      socket.destroy();
    });
    socket.end();
  }

  /** Stops taking requests; ends the connection once the current one is answered. */
  shutdown(): void {
    if (this.dead || this.closing) return;
    this.closing = true;
    this.socket.pause();
    this.queue.length = 0;
    this.queueHead = 0;
    this.queuedBytes = 0;
    if (!this.running) {
      this.uncork();
      this.socket.end();
    }
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }
}

export class AbciSocketServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly dispatcher: Dispatcher;
  private readonly logger: Logger;
  private readonly maxFrameBytes: number;
  private readonly maxQueued: number;
  private readonly maxConnections: number;
  private readonly closeTimeoutMs: number;
  private readonly roles: ConnectionRoles;
  private listenAddress: ListenAddress | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: SocketServerOptions) {
    this.logger = options.logger.child({ module: 'abci' });
    this.maxFrameBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxQueued = Math.max(2, options.maxQueuedRequests ?? 1024);
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    this.dispatcher = new Dispatcher(options.app, new ProtocolDetector(options.defaultProtocol), this.logger);
    this.roles = new ConnectionRoles((role, conn) => this.dispatcher.connectionBound(role, conn.label));
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => this.logger.error('ABCI server error', { error: err.message }));
  }

  /** Protocol detected so far (undefined before the first Info / block). */
  get protocol(): AbciProtocol | undefined {
    return this.dispatcher.protocol;
  }

  private accept(socket: net.Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.maxConnections) {
      this.logger.warn('ABCI connection refused: too many connections', { remote: socket.remoteAddress ?? 'unix', max: this.maxConnections });
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this.dispatcher, this.roles, this.logger, this.maxFrameBytes, this.maxQueued);
    this.connections.add(conn);
    void conn.closed.then(() => {
      this.connections.delete(conn);
      this.roles.release(conn);
    });
  }

  /** Listens on `tcp://host:port` or `unix:///path`; resolves to the bound address (real port for port 0). */
  async listen(address: string): Promise<string> {
    const parsed = parseListenAddress(address);
    if (parsed.kind === 'unix') removeStaleSocket(parsed.path);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      const done = (): void => {
        this.server.off('error', onError);
        resolve();
      };
      if (parsed.kind === 'unix') {
        // Owner-only from the moment it exists (bind happens inside listen()), then chmod to be sure.
        const umask = process.umask(0o177);
        try {
          this.server.listen(parsed.path, done);
        } finally {
          process.umask(umask);
        }
      } else this.server.listen(parsed.port, parsed.host, done);
    });
    if (parsed.kind === 'unix') makeSocketPrivate(parsed.path);
    const bound = this.server.address();
    this.listenAddress = parsed.kind === 'tcp' && bound !== null && typeof bound === 'object' ? { kind: 'tcp', host: parsed.host, port: bound.port } : parsed;
    const text = formatListenAddress(this.listenAddress);
    this.logger.info('ABCI socket server listening', { address: text });
    return text;
  }

  get address(): string | undefined {
    return this.listenAddress === undefined ? undefined : formatListenAddress(this.listenAddress);
  }

  /** Stops accepting, ends every connection (after its in-flight request), resolves when all are closed. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
    const conns = [...this.connections];
    for (const c of conns) c.shutdown();
    const timer = setTimeout(() => {
      for (const c of conns) c.destroy();
    }, this.closeTimeoutMs);
    timer.unref();
    await Promise.all([serverClosed, ...conns.map((c) => c.closed)]);
    clearTimeout(timer);
    this.logger.info('ABCI socket server closed');
  }
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // absent: nothing to remove
  }
}
