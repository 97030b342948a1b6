/**
 * The seam between the block lifecycle (app.ts) and the ledgers that run in
 * it: genesis, the begin/end-of-block work, system contracts and module
 * queries. The app knows only this interface; `createModules` wires the real
 * ledgers.
 */
import type { Address } from '../state/accounts.js';
import { Accounts } from '../state/accounts.js';
import { Supply } from '../state/supply.js';
import { saveParams } from '../state/params.js';
import type { KV, KVReader } from '../store/kv.js';
import type { BlockInfo, SystemContractResolver } from '../tx/executor.js';
import { writeGenesisContracts } from '../evm/genesis.js';
import { genesisSupply, type AppGenesis } from './genesis.js';

export interface LastCommitVote {
  /** CometBFT validator address: first 20 bytes of sha256(ed25519 public key). */
  validatorAddress: Uint8Array;
  absent: boolean;
}

export interface Evidence {
  validatorAddress: Uint8Array;
  height: bigint;
  kind: 'duplicate_vote' | 'light_client_attack';
}

export interface PowerUpdate {
  /** ed25519 public key, 32 bytes. */
  pubKey: Uint8Array;
  power: bigint;
}

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
   * CometBFT's own, `cometValidators`, stands).
   */
  initGenesis(state: KV, genesis: AppGenesis, cometValidators: PowerUpdate[]): PowerUpdate[];
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

/** Genesis accounts and supply: the part every configuration has. */
export function writeBaseGenesis(state: KV, genesis: AppGenesis): void {
  saveParams(state, genesis.params);
  const accounts = new Accounts(state);
  for (const account of genesis.accounts) accounts.credit(account.address, account.balance);
  writeGenesisContracts(state, genesis.contracts);
  new Supply(state).setGenesis(genesisSupply(genesis));
}

export type { Address };
