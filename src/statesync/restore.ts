/**
 * Restoring a snapshot offered by CometBFT's state sync (ABCI OfferSnapshot
 * and ApplySnapshotChunk, which CometBFT calls in chunk order).
 *
 * Trust: the snapshot, its metadata and its chunks come from peers and may
 * lie; only `appHash` in OfferSnapshot is trusted (CometBFT's light client
 * verified it for the snapshot's height). So:
 * - OfferSnapshot refuses metadata that is malformed, does not hash to the
 *   snapshot hash, or names another app hash than the verified one;
 * - each chunk must hash to its entry in the metadata, else it is refused
 *   (RETRY, the sender rejected) and never decoded;
 * - after the last chunk the rebuilt state's Merkle root must equal the
 *   verified app hash, else the whole snapshot is rejected (CometBFT tries
 *   another one). Only then is the state committed, in one batch, as version
 *   `height` of the store.
 * Nothing touches the store before that final check.
 */
import type { ApplySnapshotChunkResult, RequestApplySnapshotChunk, RequestOfferSnapshot, ResponseApplySnapshotChunk, ResponseOfferSnapshot } from '../abci/types.js';
import type { Change, PendingRoot } from '../store/index.js';
import { bytesEqual } from '../util/bytes.js';
import type { Logger } from '../util/logger.js';
import { SNAPSHOT_FORMAT, SnapshotFormatError, chunkHash, decodeChunk, decodeMetadata, snapshotHash, type SnapshotMetadata } from './format.js';

/** The part of CommittedStore a restore writes to. */
export interface RestoreTarget {
  readonly height: bigint;
  readonly appHash: Uint8Array;
  computeRoot(changes: Iterable<readonly [string, Change]>): PendingRoot;
  commit(height: bigint, changes: PendingRoot, appHash: Uint8Array, extra?: Iterable<readonly [string, Change]>): Promise<void>;
}

export interface RestoreOptions {
  target: RestoreTarget;
  logger?: Logger;
  /** Non-consensus records written with the restored state (e.g. where the block index starts). */
  extraFor(height: bigint): Array<[string, Change]>;
  /** Called once the restored state is committed. */
  onRestored(height: bigint): void;
}

interface InProgress {
  metadata: SnapshotMetadata;
  /** The light-client-verified app hash of `metadata.height`. */
  appHash: Uint8Array;
  next: number;
  lastKey: string | undefined;
  entries: Array<[string, Uint8Array]>;
  started: number;
  /** The store already holds exactly this state (restored before a crash of CometBFT): chunks are only acknowledged. */
  alreadyRestored: boolean;
}

export class SnapshotRestorer {
  private readonly target: RestoreTarget;
  private readonly log: Logger | undefined;
  private readonly options: RestoreOptions;
  private current: InProgress | undefined;

  constructor(options: RestoreOptions) {
    this.target = options.target;
    this.log = options.logger?.child({ module: 'statesync' });
    this.options = options;
  }

  offer(req: RequestOfferSnapshot): ResponseOfferSnapshot {
    const s = req.snapshot;
    if (s === undefined) return { result: 'reject' };
    const height = s.height.toString();
    // CometBFT crashed after the app committed a restore but before it saved its own state: it syncs
    // again, and the verified app hash of that height is the one the store has.
    const alreadyRestored = s.height > 0n && this.target.height === s.height && bytesEqual(this.target.appHash, req.appHash);
    if (this.target.height !== 0n && !alreadyRestored) {
      // Rejected, not aborted: CometBFT may still offer the snapshot this store holds.
      this.log?.warn('snapshot refused: this node already has state (of another height); to state sync, empty its data directory', {
        height,
        storeHeight: this.target.height.toString(),
      });
      return { result: 'reject' };
    }
    if (s.format !== SNAPSHOT_FORMAT) return this.refuse('reject_format', height, `format ${s.format}, this node restores format ${SNAPSHOT_FORMAT}`);
    if (!bytesEqual(snapshotHash(s.metadata), s.hash)) return this.refuse('reject', height, 'its metadata does not hash to the snapshot hash');
    let metadata: SnapshotMetadata;
    try {
      metadata = decodeMetadata(s.metadata);
    } catch (err) {
      return this.refuse('reject', height, (err as Error).message);
    }
    if (metadata.height !== s.height) return this.refuse('reject', height, `its metadata is of height ${metadata.height}`);
    if (metadata.chunkHashes.length !== s.chunks) return this.refuse('reject', height, `it says ${s.chunks} chunks, its metadata ${metadata.chunkHashes.length}`);
    if (!bytesEqual(metadata.appHash, req.appHash)) {
      return this.refuse('reject', height, `its app hash ${hex(metadata.appHash)} is not the verified one ${hex(req.appHash)}`);
    }
    this.current = { metadata, appHash: Uint8Array.from(req.appHash), next: 0, lastKey: undefined, entries: [], started: performance.now(), alreadyRestored };
    if (alreadyRestored) {
      this.log?.info('snapshot offered again after a restart: the store already holds it (chunks are acknowledged, not applied)', { height });
      return { result: 'accept' };
    }
    this.log?.info('restoring snapshot', { height, chunks: s.chunks, keys: metadata.keyCount.toString(), appHash: hex(req.appHash) });
    return { result: 'accept' };
  }

  async apply(req: RequestApplySnapshotChunk): Promise<ResponseApplySnapshotChunk> {
    const c = this.current;
    if (c === undefined) return { result: 'abort' }; // CometBFT applies chunks only after an accepted offer
    const expected = c.metadata.chunkHashes[req.index];
    if (expected === undefined) return this.rejectSnapshot(`chunk index ${req.index} out of range`);
    if (c.alreadyRestored) {
      if (req.index === c.metadata.chunkHashes.length - 1) this.current = undefined;
      return { result: 'accept' };
    }
    if (req.index !== c.next) {
      // CometBFT applies in order; a chunk already applied is answered as accepted (idempotent).
      if (req.index < c.next) return { result: 'accept' };
      return this.chunkResult('retry', [c.next], [], `chunk ${req.index} arrived before chunk ${c.next}`);
    }
    if (!bytesEqual(chunkHash(req.chunk), expected)) {
      this.log?.warn('snapshot chunk refused: its hash is not the one in the metadata; fetching it again from another peer', {
        height: c.metadata.height.toString(),
        index: req.index,
        sender: req.sender,
        bytes: req.chunk.length,
      });
      return { result: 'retry', refetchChunks: [req.index], rejectSenders: req.sender === '' ? [] : [req.sender] };
    }
    let entries: Array<[string, Uint8Array]>;
    try {
      entries = decodeChunk(req.chunk, c.lastKey);
    } catch (err) {
      if (!(err instanceof SnapshotFormatError)) throw err;
      // The metadata vouches for these bytes: the snapshot itself is bad.
      return this.rejectSnapshot(`chunk ${req.index}: ${err.message}`);
    }
    for (const e of entries) c.entries.push(e);
    if (entries.length > 0) c.lastKey = entries[entries.length - 1]![0];
    c.next++;
    if (BigInt(c.entries.length) > c.metadata.keyCount) return this.rejectSnapshot(`more entries than the ${c.metadata.keyCount} its metadata announces`);
    if (c.next < c.metadata.chunkHashes.length) return { result: 'accept' };
    return this.finish(c);
  }

  private async finish(c: InProgress): Promise<ResponseApplySnapshotChunk> {
    const height = c.metadata.height;
    if (BigInt(c.entries.length) !== c.metadata.keyCount) return this.rejectSnapshot(`${c.entries.length} entries, its metadata announces ${c.metadata.keyCount}`);
    const pending = this.target.computeRoot(c.entries);
    if (!bytesEqual(pending.root, c.appHash)) {
      return this.rejectSnapshot(`the restored state's root ${hex(pending.root)} is not the verified app hash ${hex(c.appHash)}`);
    }
    await this.target.commit(height, pending, c.appHash, this.options.extraFor(height));
    this.current = undefined;
    this.log?.info('snapshot restored', {
      height: height.toString(),
      keys: c.entries.length,
      appHash: hex(c.appHash),
      ms: Math.round(performance.now() - c.started),
    });
    this.options.onRestored(height);
    return { result: 'accept' };
  }

  private refuse(result: ResponseOfferSnapshot['result'], height: string, why: string): ResponseOfferSnapshot {
    this.log?.warn('snapshot refused', { height, result, reason: why });
    return { result };
  }

  private rejectSnapshot(why: string): ResponseApplySnapshotChunk {
    this.log?.warn('snapshot rejected: CometBFT will try another one', { height: this.current?.metadata.height.toString(), reason: why });
    this.current = undefined;
    return { result: 'reject_snapshot' };
  }

  private chunkResult(result: ApplySnapshotChunkResult, refetch: number[], reject: string[], why: string): ResponseApplySnapshotChunk {
    this.log?.warn('snapshot chunk not applied', { result, reason: why });
    return { result, refetchChunks: refetch, rejectSenders: reject };
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
