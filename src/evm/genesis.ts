/**
 * Genesis contracts (SPEC 10 `app_state.contracts`): code, storage and
 * balance written straight into state, in the layout of src/evm/state.ts.
 * Their balances are part of the genesis supply (src/app/genesis.ts).
 */
import { Accounts, type Address } from '../state/accounts.js';
import type { KV } from '../store/kv.js';
import { storageKey, writeCode } from './state.js';

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
