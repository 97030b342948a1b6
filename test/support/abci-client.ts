/** A test client speaking ABCI's socket framing: requests out, responses read in order. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { FrameDecoder } from '../../src/abci/socket-server.js';
import { decodeResponse, encodeRequestFrame, type WireRequest, type WireResponse } from './abci-wire.js';

export class AbciClient {
  private readonly decoder = new FrameDecoder(256 * 1024 * 1024);
  private readonly responses: WireResponse[] = [];
  private readonly waiters: ((r: WireResponse | undefined) => void)[] = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        const res = decodeResponse(frame);
        const w = this.waiters.shift();
        if (w) w(res);
        else this.responses.push(res);
      }
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    });
  }

  static async connect(address: string): Promise<AbciClient> {
    const socket = address.startsWith('unix://') ? net.connect(address.slice('unix://'.length)) : net.connect(Number(address.split(':').pop()), '127.0.0.1');
    await once(socket, 'connect');
    return new AbciClient(socket);
  }

  send(...reqs: WireRequest[]): void {
    this.socket.write(Buffer.concat(reqs.map((r) => encodeRequestFrame(r))));
  }

  writeRaw(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Next response in FIFO order; undefined if the connection closed first. */
  next(): Promise<WireResponse | undefined> {
    const r = this.responses.shift();
    if (r) return Promise.resolve(r);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async call(req: WireRequest): Promise<WireResponse> {
    this.send(req, { type: 'flush', value: {} });
    const res = await this.next();
    const flush = await this.next();
    assert.equal(flush?.type, 'flush');
    assert.ok(res);
    return res;
  }

  close(): void {
    this.socket.destroy();
  }
}
