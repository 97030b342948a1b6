/**
 * The seam between the block lifecycle (app.ts) and the ledgers that run in
 * it: genesis, the begin/end-of-block work, system contracts and module
 * queries. The app knows only this interface; `createModules` wires the real
 * ledgers.
 */
import type { Address } from '../util/address.js';
import { Accounts } from '../state/accounts.js';
import { Supply } from '../state/supply.js';
import { saveParams } from '../state/params.js';
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

/** Thrown by a module query: becomes a non-zero ABCI query code with this message. */
export class QueryError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
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
  /**
   * Answers a module query path (e.g. `/candidates`) from committed state with
   * a JSON-ready value, or undefined when no module owns the path. Throws QueryError.
   */
  query(state: KVReader, path: string, height: bigint): unknown;
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
