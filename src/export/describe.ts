/**
 * A committed state in the words of SPEC 10: params, accounts, candidates,
 * delegations, enterprise accounts and contracts, plus a summary for people
 * (supply, validators, waiting unstake requests, proposals) that genesis
 * loading ignores. Pure reads over a complete state.
 */
import { GovQueries } from '../gov/index.js';
import { decodeAccount } from '../state/accounts.js';
import type { Address } from '../util/address.js';
import { STATE_PREFIXES } from '../state/keys.js';
import { loadParams, paramsToJson } from '../state/params.js';
import { readSupply, totalSupply } from '../state/supply.js';
import { StakingQueries, type DelegationInfo } from '../staking/index.js';
import { ENTERPRISE_PREFIX, UNBONDINGS_PREFIX } from '../staking/store.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../system/types.js';
import type { StateSnapshot } from './snapshot.js';

/** Largest code a genesis contract may have (src/app/genesis.ts, EIP-170). */
const MAX_GENESIS_CODE = 24_576;

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface DescribedState {
  /** The SPEC 10 fields of `app_state`. */
  spec: {
    params: Record<string, string | number | boolean>;
    accounts: Json[];
    candidates: Json[];
    delegations: Json[];
    enterprise_accounts: string[];
    contracts: Json[];
  };
  /** For people: what the exact records hold (ignored by genesis loading). */
  summary: { [key: string]: Json };
}

function hex(b: Uint8Array): string {
  return `0x${Buffer.from(b).toString('hex')}`;
}

/** The modules' typed read API over the snapshot. */
function ledgers(state: StateSnapshot): { staking: StakingQueries; gov: GovQueries } {
  const staking = new StakingQueries(state);
  return { staking, gov: new GovQueries(state, staking) };
}

/** Whether a contract at `address` can be listed in SPEC 10 `contracts` (genesis refuses system and precompile addresses). */
function listableContract(address: Address, code: Uint8Array): boolean {
  return address !== STAKING_ADDRESS && address !== GOVERNANCE_ADDRESS && BigInt(address) > 0x0an && code.length > 0 && code.length <= MAX_GENESIS_CODE;
}

/** The description as stored when it is canonical JSON of an object (as genesis would store it), else the raw string. */
function description(text: string): Json {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && JSON.stringify(parsed) === text) return parsed as Json;
  } catch {
    // not JSON: keep the text
  }
  return text;
}

export function describeState(state: StateSnapshot): DescribedState {
  const { staking, gov } = ledgers(state);

  // Storage slots by contract address, in one pass.
  const storage = new Map<string, Record<string, string>>();
  for (const key of state.keysWithPrefix(STATE_PREFIXES.storage)) {
    const [addr, slot] = key.slice(STATE_PREFIXES.storage.length).split('/');
    if (addr === undefined || slot === undefined) continue;
    let slots = storage.get(addr);
    if (slots === undefined) storage.set(addr, (slots = {}));
    slots[`0x${slot}`] = hex(state.get(key)!);
  }

  const accounts: Json[] = [];
  const contracts: Json[] = [];
  const unlisted: string[] = [];
  for (const key of state.keysWithPrefix(STATE_PREFIXES.account)) {
    const address = `0x${key.slice(2)}` as Address;
    const account = decodeAccount(state.get(key)!);
    if (account.codeHash.length === 0) {
      const entry: { [k: string]: Json } = { address, balance: account.balance.toString() };
      if (account.nonce > 0n) entry.nonce = account.nonce.toString();
      accounts.push(entry);
      continue;
    }
    const code = state.get(STATE_PREFIXES.code + Buffer.from(account.codeHash).toString('hex'));
    if (code === undefined) throw new Error(`state has no code for the contract at ${address}`);
    if (!listableContract(address, code)) {
      unlisted.push(address);
      continue;
    }
    contracts.push({
      address,
      code: hex(code),
      storage: storage.get(address.slice(2)) ?? {},
      balance: account.balance.toString(),
      nonce: account.nonce.toString(),
    });
  }

  const candidateInfos = staking.candidates();
  const candidates: Json[] = candidateInfos.map((c) => ({
    address: c.address,
    pub_key: Buffer.from(c.pubKey.slice(2), 'hex').toString('base64'),
    max_stake: c.maxStake.toString(),
    self_stake: c.selfStake.toString(),
    comp_rate_bp: c.compRateBp,
    description: description(c.description),
    verified: c.verified,
    state: c.state,
  }));

  const delegations: Json[] = [];
  const waiting: Json[] = [];
  const waitingEntry = (d: { delegator: Address; candidate: Address; amount: bigint; id: bigint; matureTime: bigint }): Json => ({
    id: d.id.toString(),
    delegator: d.delegator,
    candidate: d.candidate,
    amount: d.amount.toString(),
    mature_time: d.matureTime.toString(),
  });
  for (const c of candidateInfos) {
    const list: DelegationInfo[] = staking.candidateDelegations(c.address).sort((a, b) => (a.delegator < b.delegator ? -1 : a.delegator > b.delegator ? 1 : 0));
    for (const d of list) {
      if (d.withdrawing) waiting.push(waitingEntry({ ...d, id: 0n, matureTime: c.withdrawMatureTime }));
      else if (!d.self) delegations.push({ delegator: d.delegator, candidate: d.candidate, amount: d.amount.toString() });
    }
  }
  for (const key of state.keysWithPrefix(UNBONDINGS_PREFIX)) {
    const delegator = `0x${key.slice(UNBONDINGS_PREFIX.length)}` as Address;
    for (const r of staking.unstakes(delegator)) if (r.id !== 0n) waiting.push(waitingEntry(r));
  }

  const enterprise = state.keysWithPrefix(ENTERPRISE_PREFIX).map((k) => `0x${k.slice(ENTERPRISE_PREFIX.length)}`);

  const supply = readSupply(state);
  const totals = staking.stakingTotals();
  const summary: { [key: string]: Json } = {
    supply: {
      total: totalSupply(supply).toString(),
      genesis: supply.genesis.toString(),
      minted: supply.minted.toString(),
      burned: supply.burned.toString(),
      carried_dust: supply.dust.toString(),
      staked: totals.bonded.toString(),
      unstaking: totals.waiting.toString(),
      held_by_proposals: gov.heldTotal().toString(),
    },
    validators: staking.validators().map((v) => ({
      address: v.address,
      role: v.role,
      rank: v.rank,
      total_stake: v.totalStake.toString(),
      consensus_power: v.consensusPower.toString(),
    })),
    unstake_requests: waiting,
    proposals: JSON.parse(JSON.stringify(gov.proposals())) as Json,
  };
  if (unlisted.length > 0) summary.contracts_in_records_only = unlisted;

  return {
    spec: {
      params: paramsToJson(loadParams(state)),
      accounts,
      candidates,
      delegations,
      enterprise_accounts: enterprise,
      contracts,
    },
    summary,
  };
}
