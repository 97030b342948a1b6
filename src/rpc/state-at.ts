/**
 * Which committed state a JSON-RPC block parameter names. Store version N
 * is the state after executing block N (its app hash is in block N+1's
 * header), which is what Ethereum's "balance at block N" means; versions
 * older than the store's retained history (`--state-history`) are pruned.
 */
import { withIdleBlockHashes, type BlockHashEntry } from '../app/block-hashes.js';
import type { ChainIndex, IndexStore } from '../index/reader.js';
import { VersionUnavailableError, type VersionView } from '../store/committed-store.js';
import type { KVReader } from '../store/kv.js';
import { RpcCode, RpcError, invalidParams } from './errors.js';
import { describeValue, fixed, parseHash, parseQuantity, quantity } from './hex.js';

/** The store as the gateway reads it: committed state (latest and retained versions) and the index records. */
export interface RpcStore extends KVReader, IndexStore {
  /** The state after block `height` (throws VersionUnavailableError when it is not retained). */
  at(height: bigint): VersionView;
  /** The oldest retained version (`--state-history`). */
  readonly oldestVersion: bigint;
}

export type BlockTag = bigint | 'latest' | 'earliest' | 'pending' | 'safe' | 'finalized';
const TAGS = new Set(['latest', 'earliest', 'pending', 'safe', 'finalized']);

export function parseBlockTag(value: unknown, name: string): BlockTag {
  if (typeof value === 'string' && TAGS.has(value)) return value as BlockTag;
  if (typeof value === 'string' && value.startsWith('0x')) return parseQuantity(value, name, 64);
  throw invalidParams(`${name}: expected a block number (hex) or "latest", "earliest", "pending", "safe", "finalized"; got ${describeValue(value)}`);
}

export interface StateResolver {
  /** The height a block tag names (latest-like tags: the last committed block; earliest: block 1). */
  heightOf(tag: BlockTag): bigint;
  /** The state a block parameter (number, tag or EIP-1898 object) names; absent: the latest. */
  stateAt(value: unknown): Promise<VersionView>;
  /** The state after block `height`, or a clear error when it is in the future, before block 1 or pruned. */
  versionAt(height: bigint): VersionView;
}

/** The app's hashes of idle blocks not in the BLOCKHASH ring yet (src/app/block-hashes.ts). */
export type IdleBlockHashes = () => readonly BlockHashEntry[];

export function stateResolver(store: RpcStore, index: ChainIndex, idleBlockHashes?: IdleBlockHashes): StateResolver {
  const heightOf = (tag: BlockTag): bigint => {
    if (typeof tag === 'bigint') return tag;
    return tag === 'earliest' ? 1n : store.height;
  };

  const versionAt = (height: bigint): VersionView => {
    const head = store.height;
    if (head === 0n) throw new RpcError(RpcCode.ResourceUnavailable, 'the chain has no committed block yet');
    if (height > head) throw new RpcError(RpcCode.Server, `header not found: block ${height} is after the last committed block ${head}`);
    // The genesis state is committed with block 1: there is no state "after block 0".
    if (height === 0n) throw new RpcError(RpcCode.Server, 'historical state unavailable: block 0 has no state of its own (the genesis state is committed with block 1)');
    try {
      if (height < store.oldestVersion) throw new VersionUnavailableError('pruned', true);
      const view = store.at(height);
      return idleBlockHashes === undefined ? view : withIdleBlockHashes(view, idleBlockHashes());
    } catch (err) {
      if (!(err instanceof VersionUnavailableError)) throw err;
      const oldest = store.oldestVersion;
      throw new RpcError(RpcCode.Server, `historical state unavailable: the state of block ${height} was pruned; the oldest available block is ${oldest} (--state-history)`, {
        oldestBlock: quantity(oldest),
      });
    }
  };

  /**
   * EIP-1898 objects: {blockNumber} or {blockHash, requireCanonical}. Every
   * block is final (CometBFT), so requireCanonical is always met.
   */
  const stateAt = async (value: unknown): Promise<VersionView> => {
    if (value === undefined || value === null) return versionAt(store.height);
    if (typeof value !== 'object' || Array.isArray(value)) return versionAt(heightOf(parseBlockTag(value, 'block')));
    const v = value as Record<string, unknown>;
    if (v.requireCanonical !== undefined && typeof v.requireCanonical !== 'boolean') throw invalidParams('requireCanonical: expected a boolean');
    if (v.blockHash !== undefined && v.blockNumber !== undefined) throw invalidParams('block parameter object: blockHash and blockNumber are exclusive');
    if (v.blockHash !== undefined) {
      const hash = parseHash(v.blockHash, 'blockHash');
      const block = await index.blockByHash(hash);
      if (block === undefined) throw new RpcError(RpcCode.Server, `header for hash ${fixed(hash, 32)} not found`);
      return versionAt(block.height);
    }
    if (v.blockNumber !== undefined) return versionAt(heightOf(parseBlockTag(v.blockNumber, 'blockNumber')));
    throw invalidParams('block parameter object needs blockHash or blockNumber');
  };

  return { heightOf, stateAt, versionAt };
}
