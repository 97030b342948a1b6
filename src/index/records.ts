/**
 * The block, transaction and log index: records kept beside the state but
 * outside the Merkle tree (CommittedStore `extra`, LevelDB prefix `x:`),
 * written in the same batch as the block they describe, so they are exactly
 * as durable as the state (docs/RPC.md, "Indexing").
 *
 *   eb/<height: 16 hex>   BlockRecord: header fields, per-tx summaries, bloom
 *   eh/<block hash hex>   height of the block with that (CometBFT) hash
 *   et/<tx hash hex>      TxRecord: an executed transaction and its receipt
 *   ex/<tx hash hex>      RejectedTxRecord: included by CometBFT but not
 *                         executed (no nonce, no fee; no Ethereum receipt)
 *   eo/<height: 16 hex>   BlockOpening: the state before the block's first
 *                         transaction, as writes over a committed version
 *                         (what traces re-execute on)
 *   index/base            u64 height of the oldest block indexed (absent: 1):
 *                         older ones were pruned (--min-retain-blocks) or
 *                         precede the state-sync snapshot the node started from
 *
 * Values are a flat binary layout whose first byte is a format version. Hashes are the
 * Ethereum ones (keccak256 of the signed transaction); block hashes are
 * CometBFT's.
 */
import { bigintToBytes, bytesToBigint } from '../state/accounts.js';
import { addressFromBytes, type Address } from '../util/address.js';
import type { EvmLog } from '../state/logs.js';
import { EXTRA_PREFIXES } from '../state/keys.js';

export interface BlockTxSummary {
  hash: Uint8Array;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  logCount: number;
}

export interface BlockRecord {
  height: bigint;
  /** CometBFT block hash (32 bytes; may be empty when the block was executed without one, e.g. in benches). */
  hash: Uint8Array;
  /** Header time, unix seconds. */
  time: bigint;
  /** CometBFT address (20 bytes) of the proposer. */
  proposer: Uint8Array;
  /** Block gas limit from consensus params; null when unlimited. */
  gasLimit: bigint | null;
  gasUsed: bigint;
  /** The chain's constant base fee (min_gas_price) during this block. */
  baseFee: bigint;
  /** The app hash after this block. */
  stateRoot: Uint8Array;
  logsBloom: Uint8Array;
  /** Executed transactions, in execution order (their Ethereum transaction index). */
  txs: BlockTxSummary[];
  /** Hashes of transactions CometBFT included but the app refused to execute. */
  rejected: Uint8Array[];
  /** Bytes of the block's transactions. */
  txBytes: bigint;
}

export interface TxRecord {
  height: bigint;
  /** Position among the block's executed transactions. */
  index: number;
  /** The signed transaction. */
  raw: Uint8Array;
  sender: Address;
  status: 0 | 1;
  gasUsed: bigint;
  cumulativeGasUsed: bigint;
  effectiveGasPrice: bigint;
  contractAddress: Address | null;
  logs: EvmLog[];
  /** Block-wide index of the first log. */
  firstLogIndex: number;
  /** ABCI result code (0 = success; see src/tx/errors.ts). */
  code: number;
  /** ABCI log: the reason of a failure, for people. */
  log: string;
  /** Revert data of a failed transaction (empty on success). */
  returnData: Uint8Array;
}

export interface RejectedTxRecord {
  height: bigint;
  /** Position in the CometBFT block. */
  position: number;
  code: number;
  log: string;
  sender: Address | null;
}

export function heightKey(height: bigint): string {
  return `${EXTRA_PREFIXES.indexBlock}${height.toString(16).padStart(16, '0')}`;
}

export function blockHashKey(hash: Uint8Array): string {
  return `${EXTRA_PREFIXES.indexBlockHash}${hex(hash)}`;
}

export function txKey(hash: Uint8Array): string {
  return `${EXTRA_PREFIXES.indexTx}${hex(hash)}`;
}

export function rejectedKey(hash: Uint8Array): string {
  return `${EXTRA_PREFIXES.indexRejected}${hex(hash)}`;
}

export function openingKey(height: bigint): string {
  return `${EXTRA_PREFIXES.indexOpening}${height.toString(16).padStart(16, '0')}`;
}

/**
 * The state a block's first transaction ran on, as writes over a committed
 * version: over the parent's (`on: 'parent'`), what the block wrote before
 * its transactions (the BLOCKHASH ring entry, begin-block slashing); for
 * block 1, whose parent (genesis) is no version of its own, over the block's
 * own version (`on: 'self'`): the values its transactions and end of block
 * overwrote. Null deletes a key.
 */
export interface BlockOpening {
  on: 'parent' | 'self';
  writes: Array<[string, Uint8Array | null]>;
}

/** Where the index starts (see the layout above). */
export const INDEX_BASE_KEY = `${EXTRA_PREFIXES.indexBase}base`;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

// ---- binary encoding ---------------------------------------------------------
//
// Records are written once per transaction in the block's commit batch, so
// their encoding is on the hot path of FinalizeBlock: a flat binary layout,
// sized first and written into one buffer, costs a fraction of RLP's.
// Integers are big-endian: u8/u32/u64 fixed width; "big" is u8 length + bytes;
// "bytes" is u32 length + bytes.

const FORMAT = 2;

class Writer {
  readonly buf: Buffer;
  private pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }
  u64(v: bigint): void {
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
  }
  raw(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.raw(b);
  }
  big(v: bigint): void {
    const b = bigintToBytes(v);
    this.u8(b.length);
    this.raw(b);
  }
  address(a: Address): void {
    this.pos += this.buf.write(a.slice(2), this.pos, 20, 'hex');
  }
  done(): Uint8Array {
    if (this.pos !== this.buf.length) throw new Error(`index record size mismatch: wrote ${this.pos} of ${this.buf.length} bytes`);
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }
}

class Reader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.b.length) throw new Error('corrupt index record: truncated');
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, false);
    this.pos += 8;
    return v;
  }
  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  bytes(): Uint8Array {
    return this.raw(this.u32());
  }
  big(): bigint {
    return bytesToBigint(this.raw(this.u8()));
  }
  address(): Address {
    return addressFromBytes(this.raw(20));
  }
  end(): void {
    if (this.pos !== this.b.length) throw new Error('corrupt index record: trailing bytes');
  }
}

function bigSize(v: bigint): number {
  return 1 + bigintToBytes(v).length;
}

function version(r: Reader): void {
  const v = r.u8();
  if (v !== FORMAT) throw new Error(`index record of unknown format ${v}`);
}

export function encodeBlock(b: BlockRecord): Uint8Array {
  let size = 1 + 8 + 4 + b.hash.length + 8 + 4 + b.proposer.length + 1 + 8 + 8 + bigSize(b.baseFee) + 4 + b.stateRoot.length + 4 + b.logsBloom.length + 8;
  size += 4;
  for (const t of b.txs) size += 4 + t.hash.length + 8 + bigSize(t.effectiveGasPrice) + 4;
  size += 4;
  for (const h of b.rejected) size += 4 + h.length;
  const w = new Writer(size);
  w.u8(FORMAT);
  w.u64(b.height);
  w.bytes(b.hash);
  w.u64(b.time);
  w.bytes(b.proposer);
  w.u8(b.gasLimit === null ? 0 : 1);
  w.u64(b.gasLimit ?? 0n);
  w.u64(b.gasUsed);
  w.big(b.baseFee);
  w.bytes(b.stateRoot);
  w.bytes(b.logsBloom);
  w.u64(b.txBytes);
  w.u32(b.txs.length);
  for (const t of b.txs) {
    w.bytes(t.hash);
    w.u64(t.gasUsed);
    w.big(t.effectiveGasPrice);
    w.u32(t.logCount);
  }
  w.u32(b.rejected.length);
  for (const h of b.rejected) w.bytes(h);
  return w.done();
}

export function decodeBlock(bytes: Uint8Array): BlockRecord {
  const r = new Reader(bytes);
  version(r);
  const height = r.u64();
  const hash = r.bytes();
  const time = r.u64();
  const proposer = r.bytes();
  const limited = r.u8() === 1;
  const gasLimit = r.u64();
  const gasUsed = r.u64();
  const baseFee = r.big();
  const stateRoot = r.bytes();
  const logsBloom = r.bytes();
  const txBytes = r.u64();
  const txs: BlockTxSummary[] = [];
  for (let i = r.u32(); i > 0; i--) txs.push({ hash: r.bytes(), gasUsed: r.u64(), effectiveGasPrice: r.big(), logCount: r.u32() });
  const rejected: Uint8Array[] = [];
  for (let i = r.u32(); i > 0; i--) rejected.push(r.bytes());
  r.end();
  return { height, hash, time, proposer, gasLimit: limited ? gasLimit : null, gasUsed, baseFee, stateRoot, logsBloom, txs, rejected, txBytes };
}

export function encodeTx(t: TxRecord): Uint8Array {
  const log = Buffer.from(t.log, 'utf8');
  let size = 1 + 8 + 4 + 1 + 4 + 8 + 8 + 4 + bigSize(t.effectiveGasPrice) + 20 + 1 + (t.contractAddress === null ? 0 : 20);
  size += 4 + t.raw.length + 4 + log.length + 4 + t.returnData.length + 4;
  for (const l of t.logs) size += 20 + 1 + 32 * l.topics.length + 4 + l.data.length;
  const w = new Writer(size);
  w.u8(FORMAT);
  w.u64(t.height);
  w.u32(t.index);
  w.u8(t.status);
  w.u32(t.code);
  w.u64(t.gasUsed);
  w.u64(t.cumulativeGasUsed);
  w.u32(t.firstLogIndex);
  w.big(t.effectiveGasPrice);
  w.address(t.sender);
  if (t.contractAddress === null) w.u8(0);
  else {
    w.u8(1);
    w.address(t.contractAddress);
  }
  w.bytes(t.raw);
  w.bytes(log);
  w.bytes(t.returnData);
  w.u32(t.logs.length);
  for (const l of t.logs) {
    w.address(l.address);
    w.u8(l.topics.length);
    for (const topic of l.topics) {
      if (topic.length !== 32) throw new Error('a log topic has 32 bytes');
      w.raw(topic);
    }
    w.bytes(l.data);
  }
  return w.done();
}

export function decodeTxRecord(bytes: Uint8Array): TxRecord {
  const r = new Reader(bytes);
  version(r);
  const height = r.u64();
  const index = r.u32();
  const status = r.u8() === 1 ? 1 : 0;
  const code = r.u32();
  const gasUsed = r.u64();
  const cumulativeGasUsed = r.u64();
  const firstLogIndex = r.u32();
  const effectiveGasPrice = r.big();
  const sender = r.address();
  const contractAddress = r.u8() === 1 ? r.address() : null;
  const raw = r.bytes();
  const log = Buffer.from(r.bytes()).toString('utf8');
  const returnData = r.bytes();
  const logs: EvmLog[] = [];
  for (let i = r.u32(); i > 0; i--) {
    const address = r.address();
    const topics: Uint8Array[] = [];
    for (let j = r.u8(); j > 0; j--) topics.push(r.raw(32));
    logs.push({ address, topics, data: r.bytes() });
  }
  r.end();
  return { height, index, raw, sender, status, gasUsed, cumulativeGasUsed, effectiveGasPrice, contractAddress, logs, firstLogIndex, code, log, returnData };
}

export function encodeRejected(x: RejectedTxRecord): Uint8Array {
  const log = Buffer.from(x.log, 'utf8');
  const w = new Writer(1 + 8 + 4 + 4 + 4 + log.length + 1 + (x.sender === null ? 0 : 20));
  w.u8(FORMAT);
  w.u64(x.height);
  w.u32(x.position);
  w.u32(x.code);
  w.bytes(log);
  if (x.sender === null) w.u8(0);
  else {
    w.u8(1);
    w.address(x.sender);
  }
  return w.done();
}

export function decodeRejected(bytes: Uint8Array): RejectedTxRecord {
  const r = new Reader(bytes);
  version(r);
  const height = r.u64();
  const position = r.u32();
  const code = r.u32();
  const log = Buffer.from(r.bytes()).toString('utf8');
  const sender = r.u8() === 1 ? r.address() : null;
  r.end();
  return { height, position, code, log, sender };
}

/** 8-byte big-endian height, the value of an `eh/` record. */
export function encodeHeight(height: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, height, false);
  return out;
}

export function decodeHeight(bytes: Uint8Array): bigint {
  if (bytes.length !== 8) throw new Error('corrupt block-hash index record');
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, false);
}

export function encodeOpening(o: BlockOpening): Uint8Array {
  const keys = o.writes.map(([k]) => Buffer.from(k, 'utf8'));
  let size = 1 + 1 + 4;
  o.writes.forEach(([, v], i) => (size += 4 + keys[i]!.length + 1 + (v === null ? 0 : 4 + v.length)));
  const w = new Writer(size);
  w.u8(FORMAT);
  w.u8(o.on === 'parent' ? 0 : 1);
  w.u32(o.writes.length);
  o.writes.forEach(([, v], i) => {
    w.bytes(keys[i]!);
    if (v === null) w.u8(0);
    else {
      w.u8(1);
      w.bytes(v);
    }
  });
  return w.done();
}

export function decodeOpening(bytes: Uint8Array): BlockOpening {
  const r = new Reader(bytes);
  version(r);
  const on = r.u8() === 0 ? 'parent' : 'self';
  const writes: Array<[string, Uint8Array | null]> = [];
  for (let i = r.u32(); i > 0; i--) {
    const key = Buffer.from(r.bytes()).toString('utf8');
    writes.push([key, r.u8() === 0 ? null : r.bytes()]);
  }
  r.end();
  return { on, writes };
}
