/**
 * Genesis contracts (SPEC 10 `app_state.contracts`): code, storage and
 * balance written straight into state, in the layout of src/evm/state.ts.
 * Their balances are part of the genesis supply (src/app/genesis.ts).
 */
import { Accounts, decodeAccount } from '../state/accounts.js';
import type { Address } from '../util/address.js';
import { STATE_PREFIXES } from '../state/keys.js';
import type { Change, KV, KVReader } from '../store/kv.js';
import { keccak256 } from '../util/crypto.js';
import { codeKey, storageKey, writeCode } from './state.js';

/** A contract present from genesis (SPEC 10), as parsed by src/app/genesis.ts. */
export interface GenesisContract {
  address: Address;
  /** Runtime code (non-empty). */
  code: Uint8Array;
  /** Non-zero storage slots: 32-byte slot → value without leading zeros, slots in ascending order. */
  storage: Array<[Uint8Array, Uint8Array]>;
  balance: bigint;
  nonce: bigint;
}

export function writeGenesisContracts(state: KV, contracts: readonly GenesisContract[]): void {
  const accounts = new Accounts(state);
  for (const c of contracts) {
    const codeHash = writeCode(state, c.code);
    const account = accounts.get(c.address);
    accounts.put(c.address, { nonce: c.nonce, balance: account.balance + c.balance, codeHash });
    const address = Buffer.from(c.address.slice(2), 'hex');
    for (const [slot, value] of c.storage) state.set(storageKey(address, slot), value);
  }
}

/** The genesis state breaks an invariant the EVM relies on: the node must not start on it. */
export class GenesisStateError extends Error {
  override readonly name = 'GenesisStateError';
}

/**
 * Checks the complete genesis state (every key InitChain wrote, `changes`,
 * read through `state`): every code record hashes to its key, and every
 * account's code hash has its code. A node would otherwise fail (or, with a
 * warm cache, succeed) calling such an account; exported-state records can
 * carry any keys, so this runs on every InitChain.
 */
export function verifyGenesisCode(changes: Iterable<[string, Change]>, state: KVReader): void {
  for (const [key, value] of changes) {
    if (value === null) continue;
    if (key.startsWith(STATE_PREFIXES.code)) {
      const hash = Buffer.from(keccak256(value)).toString('hex');
      if (key !== STATE_PREFIXES.code + hash) throw new GenesisStateError(`genesis state: code record ${key} holds code whose keccak-256 is ${hash}`);
    } else if (key.startsWith(STATE_PREFIXES.account)) {
      let codeHash: Uint8Array;
      try {
        codeHash = decodeAccount(value).codeHash;
      } catch (err) {
        throw new GenesisStateError(`genesis state: account record ${key} is malformed (${(err as Error).message})`);
      }
      if (codeHash.length > 0 && state.get(codeKey(codeHash)) === undefined) {
        throw new GenesisStateError(`genesis state: account 0x${key.slice(2)} has code hash 0x${Buffer.from(codeHash).toString('hex')} but no code record`);
      }
    }
  }
}
