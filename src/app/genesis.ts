/**
 * Genesis `app_state` (SPEC 10): parsing and validation. The parts owned by
 * the staking ledger (candidates, delegations, enterprise accounts) are parsed
 * here into typed records and handed to it.
 */
import { toAddress, type Address } from '../util/address.js';
import { STATE_PREFIXES } from '../state/keys.js';
import { paramsFromJson, paramsToJson, type Params } from '../state/params.js';
import type { GenesisCandidate, GenesisDelegation } from '../staking/types.js';
import { canonicalJson } from '../staking/genesis.js';

export type { GenesisCandidate, GenesisDelegation };
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../system/types.js';
import type { GenesisContract } from '../evm/genesis.js';
import { compareKeys, isWellFormedKey } from '../store/keys.js';
import { sha256 } from '../util/sha256.js';

export type { GenesisContract };

export interface GenesisAccount {
  address: Address;
  balance: bigint;
  /** Extension for exported states (docs/EXPORT.md): the account's nonce; absent = 0. */
  nonce?: bigint;
}

/** Format tag of `app_state.exact_state` written by `cmtd export`. */
export const EXACT_STATE_FORMAT = 'cmtd-export/1';

/**
 * Extension `app_state.exact_state` (docs/EXPORT.md): the part of an
 * exported state that the SPEC 10 fields cannot express (share pools,
 * unstake queues, proposals, supply counters, ...), written verbatim after
 * them, so the chain starts with exactly the exported state root.
 */
export interface ExactState {
  /** Keys to write (bytes) or delete (null), in ascending key order. */
  records: Array<[string, Uint8Array | null]>;
  /**
   * The SPEC 10 staking lists of the file: a description of the staking
   * records (which restore the ledger), sealed with the rest of SPEC 10 and
   * not loaded by the ledger.
   */
  described: { candidates: GenesisCandidate[]; delegations: GenesisDelegation[]; enterpriseAccounts: Address[] };
}

export interface AppGenesis {
  params: Params;
  accounts: GenesisAccount[];
  candidates: GenesisCandidate[];
  delegations: GenesisDelegation[];
  enterpriseAccounts: Address[];
  contracts: GenesisContract[];
  /**
   * Present for an exported state (docs/EXPORT.md); the staking lists above
   * are then empty (the ledger comes from `exactState.records`).
   */
  exactState?: ExactState;
}

export class GenesisError extends Error {
  constructor(path: string, message: string) {
    super(`genesis app_state.${path}: ${message}`);
    this.name = 'GenesisError';
  }
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GenesisError(path, 'expected an object');
  return value as Json;
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new GenesisError(path, 'expected a list');
  return value;
}

function wei(value: unknown, path: string): bigint {
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) {
    throw new GenesisError(path, `expected a decimal string of wei, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

function address(value: unknown, path: string): Address {
  if (typeof value !== 'string') throw new GenesisError(path, 'expected a 0x address');
  try {
    return toAddress(value);
  } catch (err) {
    throw new GenesisError(path, (err as Error).message);
  }
}

function noDuplicates(values: string[], path: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new GenesisError(path, `${value} appears twice`);
    seen.add(value);
  }
}

/** Parses `app_state` bytes (JSON). Empty bytes mean all defaults and no accounts. */
export function parseAppGenesis(bytes: Uint8Array): AppGenesis {
  const text = Buffer.from(bytes).toString('utf8').trim();
  let json: unknown = {};
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new GenesisError('', `not valid JSON: ${(err as Error).message}`);
    }
  }
  const root = object(json, '');
  const known = new Set(['params', 'accounts', 'candidates', 'delegations', 'enterprise_accounts', 'contracts', 'exact_state']);
  for (const key of Object.keys(root)) if (!known.has(key)) throw new GenesisError(key, 'unknown field');

  let params: Params;
  try {
    params = paramsFromJson(root.params);
  } catch (err) {
    throw new GenesisError('params', (err as Error).message);
  }

  const accounts = list(root.accounts, 'accounts').map((raw, i) => {
    const a = object(raw, `accounts[${i}]`);
    const account: GenesisAccount = { address: address(a.address, `accounts[${i}].address`), balance: wei(a.balance, `accounts[${i}].balance`) };
    if (a.nonce !== undefined) account.nonce = wei(a.nonce, `accounts[${i}].nonce`);
    return account;
  });
  noDuplicates(
    accounts.map((a) => a.address),
    'accounts',
  );

  const candidates = list(root.candidates, 'candidates').map((raw, i): GenesisCandidate => {
    const c = object(raw, `candidates[${i}]`);
    const path = `candidates[${i}]`;
    if (typeof c.pub_key !== 'string') throw new GenesisError(`${path}.pub_key`, 'expected base64 ed25519 public key');
    const pubKey = Buffer.from(c.pub_key, 'base64');
    if (pubKey.length !== 32) throw new GenesisError(`${path}.pub_key`, `an ed25519 key has 32 bytes, got ${pubKey.length}`);
    const rate = c.comp_rate_bp;
    if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 0 || rate >= 10_000) {
      throw new GenesisError(`${path}.comp_rate_bp`, 'expected an integer from 0 to 9999');
    }
    if (c.verified !== undefined && typeof c.verified !== 'boolean') throw new GenesisError(`${path}.verified`, 'expected a boolean');
    return {
      address: address(c.address, `${path}.address`),
      pubKey: new Uint8Array(pubKey),
      maxStake: wei(c.max_stake, `${path}.max_stake`),
      selfStake: wei(c.self_stake, `${path}.self_stake`),
      compRateBp: rate,
      // SPEC 10 shows the description as an object: stored as canonical JSON (sorted keys), so a
      // genesis re-serialised with another key order loads the same state. A JSON string is taken as is.
      description: typeof c.description === 'string' ? c.description : canonicalJson(c.description ?? {}),
      verified: c.verified === true,
    };
  });
  noDuplicates(
    candidates.map((c) => c.address),
    'candidates',
  );
  noDuplicates(
    candidates.map((c) => Buffer.from(c.pubKey).toString('hex')),
    'candidates[].pub_key',
  );

  const delegations = list(root.delegations, 'delegations').map((raw, i) => {
    const d = object(raw, `delegations[${i}]`);
    return {
      delegator: address(d.delegator, `delegations[${i}].delegator`),
      candidate: address(d.candidate, `delegations[${i}].candidate`),
      amount: wei(d.amount, `delegations[${i}].amount`),
    };
  });

  const enterpriseAccounts = list(root.enterprise_accounts, 'enterprise_accounts').map((raw, i) => address(raw, `enterprise_accounts[${i}]`));
  noDuplicates(enterpriseAccounts, 'enterprise_accounts');

  const contracts = list(root.contracts, 'contracts').map((raw, i) => genesisContract(raw, `contracts[${i}]`));
  noDuplicates(
    contracts.map((c) => c.address),
    'contracts',
  );
  const accountSet = new Set<string>(accounts.map((a) => a.address));
  for (const c of contracts) {
    if (accountSet.has(c.address)) throw new GenesisError('contracts', `${c.address} is listed in both accounts and contracts`);
  }
  const genesis: AppGenesis = { params, accounts, candidates, delegations, enterpriseAccounts, contracts };
  if (root.exact_state === undefined) return genesis;
  const records = exactRecords(root.exact_state, genesis);
  return {
    ...genesis,
    candidates: [],
    delegations: [],
    enterpriseAccounts: [],
    exactState: { records, described: { candidates, delegations, enterpriseAccounts } },
  };
}

/**
 * The seal of an exported genesis: a digest of the SPEC 10 part of the
 * parsed genesis (everything but `exact_state`) and of the exact records,
 * independent of JSON formatting. `cmtd export` stores it in
 * `exact_state.seal`, so a genesis whose fields or records were edited after
 * export is refused, never loaded into a state other than the one it
 * claims (its app hash).
 */
export function specSeal(g: AppGenesis, records: ReadonlyArray<[string, Uint8Array | null]>): string {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const canonical = JSON.stringify([
    paramsToJson(g.params),
    g.accounts.map((a) => [a.address, a.balance.toString(), (a.nonce ?? 0n).toString()]),
    g.candidates.map((c) => [c.address, hex(c.pubKey), c.maxStake.toString(), c.selfStake.toString(), c.compRateBp, c.description, c.verified]),
    g.delegations.map((d) => [d.delegator, d.candidate, d.amount.toString()]),
    g.enterpriseAccounts,
    g.contracts.map((c) => [c.address, hex(c.code), c.storage.map(([k, v]) => [hex(k), hex(v)]), c.balance.toString(), c.nonce.toString()]),
    records.map(([key, value]) => [key, value === null ? null : hex(value)]),
  ]);
  return hex(sha256(Buffer.from(canonical, 'utf8')));
}

function exactRecords(raw: unknown, genesis: AppGenesis): Array<[string, Uint8Array | null]> {
  const e = object(raw, 'exact_state');
  if (e.format !== EXACT_STATE_FORMAT) {
    throw new GenesisError('exact_state.format', `expected '${EXACT_STATE_FORMAT}', got ${JSON.stringify(e.format)}`);
  }
  const records = object(e.records, 'exact_state.records');
  // The store's key order (UTF-8 bytes), as the exporter seals them.
  const parsed = Object.keys(records)
    .sort(compareKeys)
    .map((key): [string, Uint8Array | null] => {
      const path = `exact_state.records[${JSON.stringify(key)}]`;
      if (key === '' || !isWellFormedKey(key)) throw new GenesisError(path, 'not a state key');
      // Consensus params are CometBFT's (genesis consensus_params), recorded by InitChain itself.
      if (key.startsWith(STATE_PREFIXES.consensus)) throw new GenesisError(path, 'consensus params come from the genesis consensus_params, not from records');
      const value = records[key];
      if (value === null) return [key, null];
      if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value)) throw new GenesisError(path, 'expected 0x-prefixed hex or null');
      return [key, new Uint8Array(Buffer.from(value.slice(2), 'hex'))];
    });
  if (e.seal !== specSeal(genesis, parsed)) {
    throw new GenesisError(
      'exact_state.seal',
      'the SPEC 10 fields (params, accounts, candidates, delegations, enterprise_accounts, contracts) or the exact records differ from the ones this state was exported with; ' +
        'undo the edit, or remove exact_state to start a new chain from the SPEC 10 fields alone (docs/EXPORT.md)',
    );
  }
  return parsed;
}

/** Largest runtime code of a genesis contract, as EIP-170 bounds deployed code. */
const MAX_CODE_SIZE = 24_576;

function hexBytes(value: unknown, path: string, maxBytes: number): Uint8Array {
  if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value)) {
    throw new GenesisError(path, `expected 0x-prefixed hex with whole bytes, got ${JSON.stringify(value)}`);
  }
  const bytes = new Uint8Array(Buffer.from(value.slice(2), 'hex'));
  if (bytes.length > maxBytes) throw new GenesisError(path, `at most ${maxBytes} bytes, got ${bytes.length}`);
  return bytes;
}

/** A storage slot or value: 0x hex of up to 32 bytes (odd digit counts allowed), as a left-padded 32-byte word. */
function word(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
    throw new GenesisError(path, `expected 0x-prefixed hex of at most 32 bytes, got ${JSON.stringify(value)}`);
  }
  return new Uint8Array(Buffer.from(value.slice(2).padStart(64, '0'), 'hex'));
}

function genesisContract(raw: unknown, path: string): GenesisContract {
  const c = object(raw, path);
  for (const key of Object.keys(c)) {
    if (!['address', 'code', 'storage', 'balance', 'nonce'].includes(key)) throw new GenesisError(`${path}.${key}`, 'unknown field');
  }
  const code = hexBytes(c.code, `${path}.code`, MAX_CODE_SIZE);
  if (code.length === 0) throw new GenesisError(`${path}.code`, 'a contract needs code (list a code-less account under accounts)');
  const storageJson = c.storage === undefined ? {} : object(c.storage, `${path}.storage`);
  const slots = new Map<string, [Uint8Array, Uint8Array]>();
  for (const [slotText, valueText] of Object.entries(storageJson)) {
    const slot = word(slotText, `${path}.storage`);
    const value = word(valueText, `${path}.storage[${slotText}]`);
    const key = Buffer.from(slot).toString('hex');
    if (slots.has(key)) throw new GenesisError(`${path}.storage`, `slot ${slotText} appears twice`);
    let i = 0;
    while (i < value.length && value[i] === 0) i++;
    if (i < value.length) slots.set(key, [slot, value.subarray(i)]);
  }
  const storage = [...slots.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
  const nonce = c.nonce === undefined ? 0n : wei(c.nonce, `${path}.nonce`);
  if (nonce >= 2n ** 64n - 1n) throw new GenesisError(`${path}.nonce`, 'must be below 2^64-1');
  const at = address(c.address, `${path}.address`);
  if (at === STAKING_ADDRESS || at === GOVERNANCE_ADDRESS || BigInt(at) <= 0x0an) {
    throw new GenesisError(`${path}.address`, `${at} is reserved (system contract or precompile)`);
  }
  return {
    address: at,
    code,
    storage,
    balance: c.balance === undefined ? 0n : wei(c.balance, `${path}.balance`),
    nonce,
  };
}

/** SPEC 10: Σ balances (accounts and contracts) + Σ self-stakes + Σ delegations. */
export function genesisSupply(g: AppGenesis): bigint {
  let total = 0n;
  for (const a of g.accounts) total += a.balance;
  for (const c of g.contracts) total += c.balance;
  for (const c of g.candidates) total += c.selfStake;
  for (const d of g.delegations) total += d.amount;
  return total;
}
