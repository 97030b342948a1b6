/**
 * The seam between the block lifecycle (app.ts) and the ledgers that run in
 * it: genesis, the begin/end-of-block work, system contracts and module
 * queries. The app knows only this interface; `createModules` wires the real
 * ledgers.
 */
import type { Address } from '../util/address.js';
import { Accounts } from '../state/accounts.js';
import { Supply, type SupplyInfo } from '../state/supply.js';
import { saveParams, type Params } from '../state/params.js';
import type { GovQueries } from '../gov/queries.js';
import type { StakingQueries } from '../staking/queries.js';
import type { Evidence, LastCommitVote, ValidatorUpdate as PowerUpdate } from '../staking/types.js';
import type { KV, KVReader } from '../store/kv.js';
import type { BlockInfo } from '../tx/executor.js';
import { writeGenesisContracts } from '../evm/genesis.js';
import { genesisSupply, type AppGenesis } from './genesis.js';
import type { SystemContractResolver } from '../system/types.js';

/** Block-boundary inputs and outputs, as the staking ledger defines them. */
export type { Evidence, LastCommitVote } from '../staking/types.js';
/** A validator power change for CometBFT (ed25519 key, power 0 removes). */
export type { ValidatorUpdate as PowerUpdate } from '../staking/types.js';

export { QueryError } from './query-codes.js';

/** An account as the `/account/<address>` query answers it. */
export interface AccountInfo {
  address: Address;
  balance: bigint;
  nonce: bigint;
}

/**
 * The modules' typed read API over one state (committed, at a version).
 * ABCI query paths (query-routes.ts), JSON-RPC cmt_* methods, metrics and
 * export are thin mappings over it; nothing reads module state by path.
 */
export interface ChainReads {
  readonly staking: StakingQueries;
  readonly gov: GovQueries;
  account(address: Address): AccountInfo;
  params(): Params;
  supply(): SupplyInfo;
}

export interface ChainModules {
  /**
   * Writes the genesis state; returns the genesis validator set (empty:
   * CometBFT's own, `cometValidators`, stands). `chainId` is CometBFT's
   * (genesis.json `chain_id`): candidacy proofs sign it (SPEC 6).
   */
  initGenesis(state: KV, genesis: AppGenesis, cometValidators: PowerUpdate[], chainId: string): PowerUpdate[];
  beginBlock(state: KV, block: BlockInfo, votes: LastCommitVote[], evidence: Evidence[]): void;
  /** End-of-block work; returns validator power changes for CometBFT. */
  endBlock(state: KV, block: BlockInfo): PowerUpdate[];
  resolveSystem: SystemContractResolver;
  /** The typed read API over `state` (committed state at some version; never written). */
  reads(state: KVReader): ChainReads;
}

/**
 * Genesis accounts and supply: the part every configuration has. For an
 * exported state (docs/EXPORT.md) its exact records are written last,
 * verbatim, over what the SPEC 10 fields wrote.
 */
export function writeBaseGenesis(state: KV, genesis: AppGenesis): void {
  saveParams(state, genesis.params);
  const accounts = new Accounts(state);
  for (const account of genesis.accounts) {
    accounts.credit(account.address, account.balance);
    if (account.nonce !== undefined && account.nonce > 0n) accounts.put(account.address, { ...accounts.get(account.address), nonce: account.nonce });
  }
  writeGenesisContracts(state, genesis.contracts);
  new Supply(state).setGenesis(genesisSupply(genesis));
  for (const [key, value] of genesis.exactState?.records ?? []) {
    if (value === null) state.delete(key);
    else state.set(key, value);
  }
}

export type { Address };
