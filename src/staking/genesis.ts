/**
 * Helpers for the staking part of genesis (SPEC 10); the `app_state` JSON
 * itself is parsed, with every check, by src/app/genesis.ts.
 */
import type { StakingGenesis } from './types.js';

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

/** Σ self-stakes + delegations: the part of the genesis supply the staking ledger holds. */
export function genesisStake(g: StakingGenesis): bigint {
  let total = 0n;
  for (const c of g.candidates) total += c.selfStake;
  for (const d of g.delegations) total += d.amount;
  return total;
}
