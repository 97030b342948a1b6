/**
 * Chain parameters (SPEC section 3): defaults, validation, JSON form and
 * their place in state. Rates are basis points; amounts are wei (bigint).
 */
import type { KV, KVReader } from '../store/kv.js';

export const CMT = 10n ** 18n;
export const GWEI = 10n ** 9n;

export interface Params {
  max_validators: number;
  backup_validators: number;
  self_stake_ratio_bp: number;
  validator_size_threshold_bp: number;
  validators_award_ratio_bp: number;
  inflation_rate_bp: number;
  blocks_per_year: bigint;
  supply_cap: bigint;
  unstake_waiting_period_s: bigint;
  slash_ratio_bp: number;
  max_slash_blocks: number;
  slash_enabled: boolean;
  stake_limits_enabled: boolean;
  address_min_stake: bigint;
  address_max_stake: bigint;
  enterprise_min_stake: bigint;
  min_gas_price: bigint;
  free_tx_slots: number;
  free_tx_gas_limit: bigint;
  proposal_period_s: bigint;
  /** Most gas a block may use (SPEC 9), whatever CometBFT's max_gas says. */
  block_gas_limit: bigint;
  /** Lower-case 0x address; '' when the genesis sets none (no foundation powers). */
  foundation_address: string;
  chain_id: bigint;
}

export type ParamName = keyof Params;

/**
 * Default block gas limit: a block of the cheapest-per-gas EVM loops executes
 * in well under the reference 10 s block (BENCHMARKS.md, `npm run bench -- blockgas`).
 */
export const DEFAULT_BLOCK_GAS_LIMIT = 15_000_000n;

export const DEFAULT_PARAMS: Readonly<Params> = Object.freeze({
  max_validators: 19,
  backup_validators: 5,
  self_stake_ratio_bp: 1000,
  validator_size_threshold_bp: 1200,
  validators_award_ratio_bp: 9000,
  inflation_rate_bp: 800,
  blocks_per_year: 3_153_600n,
  supply_cap: 10_000_000_000n * CMT,
  unstake_waiting_period_s: 604_800n,
  slash_ratio_bp: 10,
  max_slash_blocks: 12,
  slash_enabled: true,
  stake_limits_enabled: true,
  address_min_stake: 1_000n * CMT,
  address_max_stake: 100_000n * CMT,
  enterprise_min_stake: 1_000_000n * CMT,
  min_gas_price: 2n * GWEI,
  free_tx_slots: 100,
  free_tx_gas_limit: 500_000n,
  proposal_period_s: 604_800n,
  block_gas_limit: DEFAULT_BLOCK_GAS_LIMIT,
  foundation_address: '',
  chain_id: 18n,
});

/** Params that governance may never change. */
export const FIXED_PARAMS: ReadonlySet<ParamName> = new Set<ParamName>(['chain_id', 'foundation_address']);

/** The hard ceiling on inflation (SPEC 3): governance may only lower it. */
export const MAX_INFLATION_RATE_BP = 800;

export class ParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`param ${param}: ${message}`);
    this.name = 'ParamError';
  }
}

type Kind = 'int' | 'bigint' | 'bool' | 'address';

interface Rule {
  kind: Kind;
  /** Inclusive bounds for numbers. */
  min?: bigint;
  max?: bigint;
}

const BP_MAX = 10_000n;

const RULES: Record<ParamName, Rule> = {
  max_validators: { kind: 'int', min: 1n, max: 100n },
  backup_validators: { kind: 'int', min: 0n, max: 100n },
  self_stake_ratio_bp: { kind: 'int', min: 0n, max: BP_MAX },
  validator_size_threshold_bp: { kind: 'int', min: 1n, max: BP_MAX },
  validators_award_ratio_bp: { kind: 'int', min: 0n, max: BP_MAX },
  inflation_rate_bp: { kind: 'int', min: 0n, max: BigInt(MAX_INFLATION_RATE_BP) },
  blocks_per_year: { kind: 'bigint', min: 1n },
  supply_cap: { kind: 'bigint', min: 0n },
  unstake_waiting_period_s: { kind: 'bigint', min: 0n },
  slash_ratio_bp: { kind: 'int', min: 0n, max: BP_MAX },
  max_slash_blocks: { kind: 'int', min: 1n, max: 1_000_000n },
  slash_enabled: { kind: 'bool' },
  stake_limits_enabled: { kind: 'bool' },
  address_min_stake: { kind: 'bigint', min: 0n },
  address_max_stake: { kind: 'bigint', min: 0n },
  enterprise_min_stake: { kind: 'bigint', min: 0n },
  min_gas_price: { kind: 'bigint', min: 0n },
  free_tx_slots: { kind: 'int', min: 0n, max: 100_000n },
  free_tx_gas_limit: { kind: 'bigint', min: 21_000n },
  proposal_period_s: { kind: 'bigint', min: 1n },
  // CometBFT's max_gas is an int64.
  block_gas_limit: { kind: 'bigint', min: 21_000n, max: 2n ** 63n - 1n },
  foundation_address: { kind: 'address' },
  chain_id: { kind: 'bigint', min: 1n, max: 2n ** 53n },
};

export const PARAM_NAMES: readonly ParamName[] = Object.keys(RULES).sort() as ParamName[];

export function isParamName(name: string): name is ParamName {
  return Object.prototype.hasOwnProperty.call(RULES, name);
}

const ADDRESS_RE = /^0x[0-9a-f]{40}$/;

/**
 * Parses one param value from its string form (as in genesis JSON or a
 * governance proposal) and checks its range. Throws ParamError.
 */
export function parseParamValue<K extends ParamName>(name: K, raw: string | number | boolean): Params[K] {
  const rule = RULES[name];
  if (rule === undefined) throw new ParamError(name, 'unknown parameter');
  const text = String(raw).trim();
  switch (rule.kind) {
    case 'bool': {
      if (text !== 'true' && text !== 'false') throw new ParamError(name, `expected true or false, got '${text}'`);
      return (text === 'true') as Params[K];
    }
    case 'address': {
      const lower = text.toLowerCase();
      if (lower !== '' && !ADDRESS_RE.test(lower)) throw new ParamError(name, `expected a 0x address, got '${text}'`);
      return lower as Params[K];
    }
    case 'int':
    case 'bigint': {
      if (!/^[0-9]+$/.test(text)) throw new ParamError(name, `expected a non-negative integer, got '${text}'`);
      const value = BigInt(text);
      if (rule.min !== undefined && value < rule.min) throw new ParamError(name, `must be at least ${rule.min}, got ${value}`);
      if (rule.max !== undefined && value > rule.max) throw new ParamError(name, `must be at most ${rule.max}, got ${value}`);
      return (rule.kind === 'int' ? Number(value) : value) as Params[K];
    }
  }
}

/** Checks relations between params that no single range expresses. */
export function validateParams(params: Params): void {
  for (const name of PARAM_NAMES) parseParamValue(name, paramToString(params[name]));
  if (params.address_min_stake > params.address_max_stake) {
    throw new ParamError('address_min_stake', 'must not exceed address_max_stake');
  }
}

export function paramToString(value: Params[ParamName]): string {
  return typeof value === 'string' ? value : String(value);
}

/** Params as JSON-safe strings/numbers/booleans (bigints as decimal strings), keys sorted. */
export function paramsToJson(params: Params): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const name of PARAM_NAMES) {
    const value = params[name];
    out[name] = typeof value === 'bigint' ? value.toString() : value;
  }
  return out;
}

/** Defaults overridden by a genesis `app_state.params` object. Unknown names are an error. */
export function paramsFromJson(json: unknown): Params {
  const params: Params = { ...DEFAULT_PARAMS };
  if (json === undefined || json === null) return params;
  if (typeof json !== 'object' || Array.isArray(json)) throw new ParamError('params', 'expected an object');
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (!isParamName(name)) throw new ParamError(name, 'unknown parameter');
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw new ParamError(name, 'expected a string, number or boolean');
    }
    (params as unknown as Record<string, unknown>)[name] = parseParamValue(name, raw);
  }
  validateParams(params);
  return params;
}

const PARAMS_KEY = 'p/params';

/** Params live in state as one canonical JSON record (sorted keys), so the app hash covers them. */
export function loadParams(kv: KVReader): Params {
  const raw = kv.get(PARAMS_KEY);
  if (raw === undefined) throw new Error('params are missing from state: was InitChain run?');
  return paramsFromJson(JSON.parse(Buffer.from(raw).toString('utf8')));
}

export function saveParams(kv: KV, params: Params): void {
  validateParams(params);
  kv.set(PARAMS_KEY, Buffer.from(JSON.stringify(paramsToJson(params)), 'utf8'));
}
