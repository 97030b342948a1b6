/**
 * The snapshots this node serves: built in the background from a retained
 * store version every `interval` heights, kept on disk (the latest
 * `keepRecent`), listed and read back for CometBFT's snapshot connection.
 *
 * On disk, under `dir` (<home>/data/snapshots):
 *   <height>/metadata       the format-1 metadata (format.ts)
 *   <height>/<index>        chunk <index>, decimal
 *   <height>.tmp/           a snapshot being built; removed at open
 * A snapshot directory appears (rename) only once every file is written, so
 * a crash never leaves a partial snapshot that would be listed.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../abci/types.js';
import type { Logger } from '../util/logger.js';
import {
  DEFAULT_CHUNK_BYTES,
  EMPTY_CHUNK_BYTES,
  MAX_CHUNK_BYTES,
  MAX_CHUNKS,
  SNAPSHOT_FORMAT,
  chunkHash,
  decodeMetadata,
  encodeChunk,
  encodeMetadata,
  entrySize,
  snapshotHash,
} from './format.js';

/** The part of CommittedStore a snapshot is read from. */
export interface SnapshotSource {
  entries(version: bigint, fromKey?: string, limit?: number): Promise<{ entries: Array<[string, Uint8Array]>; next?: string }>;
  appHashAt(version: bigint): Uint8Array;
}

export interface SnapshotOptions {
  dir: string;
  source: SnapshotSource;
  /** Take a snapshot at every height divisible by this (0: never). */
  interval: number;
  /** Snapshots kept on disk (the latest ones). */
  keepRecent: number;
  /** Size at which a chunk is cut (≤ MAX_CHUNK_BYTES). */
  chunkBytes?: number;
  logger?: Logger;
  /** TEST ONLY: serve chunks with a flipped byte (a lying peer), see `cmtd start --test-corrupt-snapshot-chunks`. */
  testCorruptChunks?: boolean;
}

/** Entries read from the store per page while building. */
const PAGE = 5_000;

export class SnapshotStore {
  private readonly dir: string;
  private readonly source: SnapshotSource;
  readonly interval: number;
  readonly keepRecent: number;
  private readonly chunkBytes: number;
  private readonly log: Logger | undefined;
  private readonly corrupt: boolean;
  /** Complete snapshots on disk, newest first. */
  private snapshots: Snapshot[] = [];
  private building: Promise<void> | undefined;
  /** A snapshot height was reached and none taken yet (the app was not ready then). */
  private due = false;
  private closed = false;

  constructor(options: SnapshotOptions) {
    if (!Number.isSafeInteger(options.interval) || options.interval < 0) throw new Error(`snapshot interval must be a whole number, got ${options.interval}`);
    if (!Number.isSafeInteger(options.keepRecent) || options.keepRecent < 1) throw new Error(`snapshots kept must be at least 1, got ${options.keepRecent}`);
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1024 || chunkBytes > MAX_CHUNK_BYTES) {
      throw new Error(`snapshot chunk size must be 1024 to ${MAX_CHUNK_BYTES} bytes, got ${chunkBytes}`);
    }
    this.dir = options.dir;
    this.source = options.source;
    this.interval = options.interval;
    this.keepRecent = options.keepRecent;
    this.chunkBytes = chunkBytes;
    this.log = options.logger?.child({ module: 'statesync' });
    this.corrupt = options.testCorruptChunks ?? false;
    if (this.corrupt) this.log?.warn('TEST ONLY: this node serves corrupted snapshot chunks');
  }

  /** Loads the complete snapshots on disk and removes unfinished ones. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const found: Snapshot[] = [];
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.tmp')) {
        await rm(join(this.dir, name), { recursive: true, force: true });
        continue;
      }
      if (!/^[0-9]+$/.test(name)) continue;
      try {
        const metadata = await readFile(join(this.dir, name, 'metadata'));
        const m = decodeMetadata(metadata);
        if (m.height !== BigInt(name)) throw new Error(`metadata is of height ${m.height}`);
        found.push({ height: m.height, format: SNAPSHOT_FORMAT, chunks: m.chunkHashes.length, hash: snapshotHash(metadata), metadata });
      } catch (err) {
        this.log?.warn('ignoring an unreadable snapshot directory', { dir: join(this.dir, name), error: (err as Error).message });
      }
    }
    this.snapshots = found.sort((a, b) => (a.height > b.height ? -1 : a.height < b.height ? 1 : 0));
    await this.pruneOld();
  }

  /** The snapshots offered to peers, newest first. */
  list(): Snapshot[] {
    return [...this.snapshots];
  }

  /** Height of the oldest snapshot kept (undefined: none). */
  get oldestHeight(): bigint | undefined {
    return this.snapshots.at(-1)?.height;
  }

  /** A chunk of a listed snapshot; empty when there is no such chunk (CometBFT then asks another peer). */
  async loadChunk(height: bigint, format: number, index: number): Promise<Uint8Array> {
    const snapshot = this.snapshots.find((s) => s.height === height);
    if (snapshot === undefined || format !== SNAPSHOT_FORMAT || !Number.isSafeInteger(index) || index < 0 || index >= snapshot.chunks) return new Uint8Array(0);
    try {
      const chunk = await readFile(join(this.dir, height.toString(), index.toString()));
      if (this.corrupt && chunk.length > 0) chunk[chunk.length - 1]! ^= 0xff; // TEST ONLY
      return chunk;
    } catch (err) {
      this.log?.error('cannot read a snapshot chunk', { height: height.toString(), index, error: (err as Error).message });
      return new Uint8Array(0);
    }
  }

  /**
   * Called after each commit: at a snapshot height, starts building the
   * snapshot of that version in the background (skipped, with a warning,
   * while the previous one is still being built).
   */
  /**
   * Block `height` is committed: a snapshot is due at every multiple of the
   * interval. `ready` false (the app's state at this height leaves out
   * BLOCKHASH entries of idle blocks, src/app/block-hashes.ts) puts a due
   * snapshot off to the next ready height.
   */
  committed(height: bigint, ready = true): void {
    if (this.interval === 0 || this.closed) return;
    if (height % BigInt(this.interval) === 0n) this.due = true;
    if (!this.due || !ready) return;
    this.due = false;
    if (this.building !== undefined) {
      this.log?.warn('snapshot skipped: the previous one is still being built', { height: height.toString() });
      return;
    }
    this.building = this.build(height)
      .then(() => undefined)
      .catch((err: unknown) => {
        this.log?.error('snapshot failed', { height: height.toString(), error: (err as Error).message });
      })
      .finally(() => {
        this.building = undefined;
      });
  }

  /** Resolves when no snapshot is being built (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.building !== undefined) await this.building;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  /** Builds the snapshot of `height` into <height>.tmp, then renames it into place. */
  async build(height: bigint): Promise<Snapshot> {
    const started = performance.now();
    const appHash = this.source.appHashAt(height);
    const tmp = join(this.dir, `${height}.tmp`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      const chunkHashes: Uint8Array[] = [];
      let pending: Array<[Uint8Array, Uint8Array]> = [];
      let pendingBytes = EMPTY_CHUNK_BYTES;
      let keyCount = 0n;
      const flush = async (): Promise<void> => {
        if (chunkHashes.length >= MAX_CHUNKS) throw new Error(`the state needs more than ${MAX_CHUNKS} chunks of ${this.chunkBytes} bytes: raise --snapshot-chunk-bytes`);
        const chunk = encodeChunk(pending);
        await writeFile(join(tmp, chunkHashes.length.toString()), chunk);
        chunkHashes.push(chunkHash(chunk));
        pending = [];
        pendingBytes = EMPTY_CHUNK_BYTES;
      };
      let from: string | undefined = '';
      while (from !== undefined) {
        if (this.closed) throw new Error('node stopping');
        // Throws VersionUnavailableError if --state-history pruned the version meanwhile.
        const page: { entries: Array<[string, Uint8Array]>; next?: string } = await this.source.entries(height, from, PAGE);
        for (const [key, value] of page.entries) {
          const k = Buffer.from(key, 'utf8');
          const size = entrySize(k, value);
          if (EMPTY_CHUNK_BYTES + size > MAX_CHUNK_BYTES) throw new Error(`state key ${key} has a value of ${value.length} bytes: too large for a chunk`);
          if (pending.length > 0 && pendingBytes + size > this.chunkBytes) await flush();
          pending.push([k, value]);
          pendingBytes += size;
          keyCount++;
        }
        from = page.next;
        await new Promise<void>((resolve) => setImmediate(resolve)); // let blocks and queries run between pages
      }
      if (pending.length > 0 || chunkHashes.length === 0) await flush();
      const metadata = encodeMetadata({ height, appHash, keyCount, chunkHashes });
      await writeFile(join(tmp, 'metadata'), metadata);
      const final = join(this.dir, height.toString());
      await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
      const snapshot: Snapshot = { height, format: SNAPSHOT_FORMAT, chunks: chunkHashes.length, hash: snapshotHash(metadata), metadata };
      this.snapshots = [snapshot, ...this.snapshots.filter((s) => s.height !== height)].sort((a, b) => (a.height > b.height ? -1 : a.height < b.height ? 1 : 0));
      await this.pruneOld();
      this.log?.info('snapshot taken', {
        height: height.toString(),
        chunks: chunkHashes.length,
        keys: keyCount.toString(),
        hash: Buffer.from(snapshot.hash).toString('hex'),
        ms: Math.round(performance.now() - started),
      });
      return snapshot;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Deletes all but the latest `keepRecent` snapshots. */
  private async pruneOld(): Promise<void> {
    const old = this.snapshots.slice(this.keepRecent);
    this.snapshots = this.snapshots.slice(0, this.keepRecent);
    for (const s of old) await rm(join(this.dir, s.height.toString()), { recursive: true, force: true });
  }
}
