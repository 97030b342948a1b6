/**
 * The key space, one place. Every record of the Merkle state starts with one
 * of STATE_PREFIXES, each owned by one room; records kept outside consensus
 * (CommittedStore extras: the block index, the app's own bookkeeping) start
 * with one of EXTRA_PREFIXES. No prefix is a prefix of another in its space
 * (test/unit/state-keys.test.ts), so a room's prefix scan or key never meets
 * another room's records. A new kind of record takes a new prefix here.
 */

export const STATE_PREFIXES = {
  /** Accounts: `a/<40 hex>` → RLP [nonce, balance, codeHash] (state/accounts.ts). */
  account: 'a/',
  /** Contract code by its keccak-256 (evm/state.ts). */
  code: 'code/',
  /** Contract storage: `st/<address hex>/<slot hex>` (evm/state.ts). */
  storage: 'st/',
  /** The recent block hashes BLOCKHASH reads (evm/engine.ts). */
  blockHash: 'bh/',
  /** Consensus parameters the app keeps, from CometBFT's, not from app_state (app/consensus.ts). */
  consensus: 'c/',
  /** Chain parameters (state/params.ts). */
  params: 'p/',
  /** The CMT supply record (state/supply.ts). */
  supply: 's/',
  /** The staking ledger (staking/store.ts). */
  staking: 'k/',
  /** Governance (gov/codec.ts). */
  governance: 'g/',
} as const;

export const EXTRA_PREFIXES = {
  /** Block index by height, the oldest indexed height (index/records.ts). */
  indexBlock: 'eb/',
  indexBase: 'index/',
  /** Block index by hash, transactions, refused transactions (index/records.ts). */
  indexBlockHash: 'eh/',
  indexTx: 'et/',
  indexRejected: 'ex/',
  /** A block's opening state for traces (index/records.ts). */
  indexOpening: 'eo/',
  /** The app's own bookkeeping (app/retention.ts). */
  app: 'app/',
} as const;
