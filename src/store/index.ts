/** The state store: see docs/STORE.md. */
export { Overlay, type Change, type KV, type KVReader } from './kv.js';
export { compareKeys, isWellFormedKey } from './keys.js';
export {
  CommittedStore,
  DEFAULT_CACHE_BYTES,
  DEFAULT_STATE_HISTORY,
  PendingRoot,
  StoreCorruptionError,
  StoreUsageError,
  VersionUnavailableError,
  type CommittedStoreOptions,
  type VersionView,
} from './committed-store.js';
export { bulkLoad, type BulkLoadOptions } from './bulk-load.js';
export { decodeProof, encodeProof, stateRoot, verifyProof, type StoreProof } from './tree.js';
