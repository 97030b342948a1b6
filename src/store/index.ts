/** The state store: see docs/STORE.md. */
export { Overlay, type Change, type KV, type KVReader } from './kv.js';
export {
  CommittedStore,
  PendingRoot,
  StoreCorruptionError,
  StoreUsageError,
  type CommittedStoreOptions,
} from './committed-store.js';
export {
  BUCKET_COUNT,
  MerkleTree,
  MerkleTreeBuilder,
  bucketOf,
  compareKeys,
  decodeProof,
  emptyRoot,
  encodeProof,
  proofRoot,
  verifyProof,
  type MerkleProof,
  type PendingTree,
} from './merkle.js';
