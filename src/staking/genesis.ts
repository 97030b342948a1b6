/**
 * The staking part of genesis `app_state` (SPEC 10): JSON → StakingGenesis.
 * Amounts are decimal wei strings, public keys base64 ed25519 (32 bytes).
 */
import { toAddress, type Address } from '../util/address.js';
import type { GenesisCandidate, GenesisDelegation, StakingGenesis } from './types.js';

function fail(where: string, message: string): never {
  throw new Error(`genesis ${where}: ${message}`);
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'expected an object');
  return v as Record<string, unknown>;
}

function arr(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(where, 'expected an array');
  return v;
}

function wei(v: unknown, where: string): bigint {
  const text = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof text !== 'string' || !/^[0-9]+$/.test(text)) fail(where, `expected a decimal wei string, got ${JSON.stringify(v)}`);
  return BigInt(text);
}

function address(v: unknown, where: string): Address {
  if (typeof v !== 'string') fail(where, 'expected a 0x address');
  try {
    return toAddress(v);
  } catch (e) {
    fail(where, (e as Error).message);
  }
}

/** JSON text with object keys sorted at every level: one canonical form per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function parseStakingGenesis(appState: unknown): StakingGenesis {
  const s = obj(appState ?? {}, 'app_state');
  const candidates = arr(s.candidates, 'candidates').map((raw, i): GenesisCandidate => {
    const where = `candidates[${i}]`;
    const c = obj(raw, where);
    if (typeof c.pub_key !== 'string') fail(`${where}.pub_key`, 'expected base64 ed25519 public key');
    const pubKey = new Uint8Array(Buffer.from(c.pub_key, 'base64'));
    if (pubKey.length !== 32) fail(`${where}.pub_key`, `an ed25519 key has 32 bytes, got ${pubKey.length}`);
    const rate = c.comp_rate_bp ?? 0;
    if (typeof rate !== 'number' || !Number.isInteger(rate)) fail(`${where}.comp_rate_bp`, 'expected an integer');
    const description = c.description === undefined ? '{}' : typeof c.description === 'string' ? c.description : canonicalJson(c.description);
    if (c.verified !== undefined && typeof c.verified !== 'boolean') fail(`${where}.verified`, 'expected a boolean');
    return {
      address: address(c.address, `${where}.address`),
      pubKey,
      maxStake: wei(c.max_stake, `${where}.max_stake`),
      selfStake: wei(c.self_stake ?? '0', `${where}.self_stake`),
      compRateBp: rate,
      description,
      verified: c.verified === true,
    };
  });
  const delegations = arr(s.delegations, 'delegations').map((raw, i): GenesisDelegation => {
    const where = `delegations[${i}]`;
    const d = obj(raw, where);
    return {
      delegator: address(d.delegator, `${where}.delegator`),
      candidate: address(d.candidate, `${where}.candidate`),
      amount: wei(d.amount, `${where}.amount`),
    };
  });
  const enterpriseAccounts = arr(s.enterprise_accounts, 'enterprise_accounts').map((v, i) => address(v, `enterprise_accounts[${i}]`));
  return { candidates, delegations, enterpriseAccounts };
}

/** Σ self-stakes + delegations: the part of the genesis supply the staking ledger holds. */
export function genesisStake(g: StakingGenesis): bigint {
  let total = 0n;
  for (const c of g.candidates) total += c.selfStake;
  for (const d of g.delegations) total += d.amount;
  return total;
}
