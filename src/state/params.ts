/**
 * Chain parameters (SPEC section 3): defaults, validation, JSON form and
 * their place in state. Rates are basis points; amounts are wei (bigint).
 */
import type { KV, KVReader } from '../store/kv.js';
import { STATE_PREFIXES } from './keys.js';

export const CMT = 10n ** 18n;
export const GWEI = 10n ** 9n;

export interface Params {
  max_validators: number;
  backup_validators: number;
  self_stake_ratio_bp: number;
  validator_size_threshold_bp: number;
  validators_award_ratio_bp: number;
  /** Annual inflation in award years 1 … inflation_years. */
  inflation_rate_bp: number;
  /** Annual inflation from award year inflation_years + 1 on. */
  late_inflation_rate_bp: number;
  inflation_years: number;
  /** Length of an award year in block header time (SPEC 5.1). */
  seconds_per_year: bigint;
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
  /**
   * The Ethereum hard fork whose rules the EVM and transactions follow
   * (docs/EVM.md). Fixed at genesis: every node must run the same rules.
   */
  evm_hardfork: EvmHardforkName;
}

/** Hard forks the EVM can follow: Osaka (Ethereum mainnet's current fork) and Cancun (chains created before it). */
export const EVM_HARDFORKS = ['cancun', 'osaka'] as const;
export type EvmHardforkName = (typeof EVM_HARDFORKS)[number];
/** The fork of a new genesis that names none. */
export const DEFAULT_EVM_HARDFORK: EvmHardforkName = 'osaka';
/**
 * The fork of a chain whose stored params predate `evm_hardfork`: those
 * chains ran Cancun, so replaying them must too.
 */
export const LEGACY_EVM_HARDFORK: EvmHardforkName = 'cancun';

export type ParamName = keyof Params;

/**
 * Default block gas limit: a block of the cheapest-per-gas EVM loops executes
 * in well under the reference 10 s block (BENCHMARKS.md, `npm run bench -- blockgas`).
 */
export const DEFAULT_BLOCK_GAS_LIMIT = 15_000_000n;

/** The hard ceiling on both inflation rates (SPEC 3): governance may only lower them. */
export const MAX_INFLATION_RATE_BP = 800;
/** The hard ceiling on the supply cap (SPEC 3): 10^10 CMT. */
export const MAX_SUPPLY_CAP = 10_000_000_000n * CMT;

export const DEFAULT_PARAMS: Readonly<Params> = Object.freeze({
  max_validators: 19,
  backup_validators: 5,
  self_stake_ratio_bp: 1000,
  validator_size_threshold_bp: 1200,
  validators_award_ratio_bp: 9000,
  inflation_rate_bp: 800,
  late_inflation_rate_bp: 0,
  inflation_years: 10,
  seconds_per_year: 31_536_000n,
  supply_cap: MAX_SUPPLY_CAP,
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
  evm_hardfork: DEFAULT_EVM_HARDFORK,
});

/** Params that governance may never change (genesis sets them). */
export const FIXED_PARAMS: ReadonlySet<ParamName> = new Set<ParamName>(['chain_id', 'evm_hardfork', 'foundation_address', 'inflation_years', 'seconds_per_year']);

export class ParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`param ${param}: ${message}`);
    this.name = 'ParamError';
  }
}

type Kind = 'int' | 'bigint' | 'bool' | 'address' | 'hardfork';

interface Rule {
  kind: Kind;
  /** Inclusive bounds for numbers (every number has both: SPEC 3's valid ranges). */
  min?: bigint;
  max?: bigint;
  /** How the bounds read in an error and in docs, when plain digits would not help. */
  range?: string;
}

const BP_MAX = 10_000n;
const DAY = 86_400n;

/** Valid ranges (SPEC 3; docs/GOVERNANCE.md lists them), checked in genesis and when a change is proposed. */
const RULES: Record<ParamName, Rule> = {
  // CometBFT handles far more validators; 100 + 100 keeps per-block staking work small.
  max_validators: { kind: 'int', min: 1n, max: 100n },
  backup_validators: { kind: 'int', min: 0n, max: 100n },
  self_stake_ratio_bp: { kind: 'int', min: 0n, max: BP_MAX },
  validator_size_threshold_bp: { kind: 'int', min: 1n, max: BP_MAX },
  validators_award_ratio_bp: { kind: 'int', min: 0n, max: BP_MAX },
  inflation_rate_bp: { kind: 'int', min: 0n, max: BigInt(MAX_INFLATION_RATE_BP) },
  late_inflation_rate_bp: { kind: 'int', min: 0n, max: BigInt(MAX_INFLATION_RATE_BP) },
  inflation_years: { kind: 'int', min: 0n, max: 100n },
  // Fixed at one year; a genesis for tests may shorten it (down to a minute) to see whole award years.
  seconds_per_year: { kind: 'bigint', min: 60n, max: 31_536_000n },
  supply_cap: { kind: 'bigint', min: 0n, max: MAX_SUPPLY_CAP, range: '0 … 10^10 CMT' },
  unstake_waiting_period_s: { kind: 'bigint', min: 1n, max: 90n * DAY, range: '1 s … 90 days (7776000 s)' },
  slash_ratio_bp: { kind: 'int', min: 0n, max: BP_MAX },
  max_slash_blocks: { kind: 'int', min: 1n, max: 10_000n },
  slash_enabled: { kind: 'bool' },
  stake_limits_enabled: { kind: 'bool' },
  address_min_stake: { kind: 'bigint', min: 0n, max: MAX_SUPPLY_CAP, range: '0 … 10^10 CMT' },
  address_max_stake: { kind: 'bigint', min: 0n, max: MAX_SUPPLY_CAP, range: '0 … 10^10 CMT' },
  enterprise_min_stake: { kind: 'bigint', min: 0n, max: MAX_SUPPLY_CAP, range: '0 … 10^10 CMT' },
  min_gas_price: { kind: 'bigint', min: 0n, max: 1_000_000n * GWEI, range: '0 … 10^6 gwei' },
  free_tx_slots: { kind: 'int', min: 0n, max: 10_000n },
  free_tx_gas_limit: { kind: 'bigint', min: 21_000n, max: 1_000_000_000n },
  proposal_period_s: { kind: 'bigint', min: 1n, max: 90n * DAY, range: '1 s … 90 days (7776000 s)' },
  block_gas_limit: { kind: 'bigint', min: 1_000_000n, max: 1_000_000_000n },
  foundation_address: { kind: 'address' },
  chain_id: { kind: 'bigint', min: 1n, max: 2n ** 53n },
  evm_hardfork: { kind: 'hardfork' },
};

const FIELDS = new Map<string, ParamName>((Object.keys(RULES) as ParamName[]).map((f) => [f, f]));

/** Every field, in the order of their param names. */
export const PARAM_NAMES: readonly ParamName[] = [...FIELDS.keys()].sort().map((n) => FIELDS.get(n)!);

/** The field of a param name, or undefined for an unknown name. */
export function paramField(name: string): ParamName | undefined {
  return FIELDS.get(name);
}

/** The valid range of a numeric param, in words (for errors and docs). */
export function paramRange(field: ParamName): string | undefined {
  const rule = RULES[field];
  if (rule.min === undefined || rule.max === undefined) return undefined;
  return rule.range ?? `${rule.min} … ${rule.max}`;
}

const ADDRESS_RE = /^0x[0-9a-f]{40}$/;

/**
 * Parses one param value from its string form (as in genesis JSON or a
 * governance proposal) and checks its range. Throws ParamError naming the range.
 */
export function parseParamValue<K extends ParamName>(field: K, raw: string | number | boolean): Params[K] {
  const rule = RULES[field];
  if (rule === undefined) throw new ParamError(field, 'unknown parameter');
  const name: string = field;
  const text = String(raw).trim();
  switch (rule.kind) {
    case 'bool': {
      if (text !== 'true' && text !== 'false') throw new ParamError(name, `expected true or false, got '${text}'`);
      const value = text === 'true';
      return value as Params[K];
    }
    case 'address': {
      const lower = text.toLowerCase();
      if (lower !== '' && !ADDRESS_RE.test(lower)) throw new ParamError(name, `expected a 0x address, got '${text}'`);
      return lower as Params[K];
    }
    case 'hardfork': {
      const lower = text.toLowerCase();
      if (!(EVM_HARDFORKS as readonly string[]).includes(lower)) throw new ParamError(name, `expected one of ${EVM_HARDFORKS.join(', ')}, got '${text.slice(0, 80)}'`);
      return lower as Params[K];
    }
    case 'int':
    case 'bigint': {
      if (!/^[0-9]+$/.test(text)) throw new ParamError(name, `expected a non-negative integer, got '${text.length > 80 ? `${text.slice(0, 80)}…` : text}'`);
      const value = BigInt(text);
      if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
        const shown = text.length > 80 ? `${text.slice(0, 80)}…` : String(value);
        throw new ParamError(name, `${shown} is outside its valid range ${paramRange(field)}`);
      }
      const typed = rule.kind === 'int' ? Number(value) : value;
      return typed as Params[K];
    }
  }
}

/** Checks every range and the relations between params that no single range expresses. */
export function validateParams(params: Params): void {
  for (const field of PARAM_NAMES) parseParamValue(field, paramToString(params[field]));
  if (params.address_min_stake > params.address_max_stake) {
    throw new ParamError('address_min_stake', `${params.address_min_stake} must not exceed address_max_stake (${params.address_max_stake})`);
  }
  if (params.free_tx_gas_limit > params.block_gas_limit) {
    throw new ParamError('free_tx_gas_limit', `${params.free_tx_gas_limit} must not exceed block_gas_limit (${params.block_gas_limit})`);
  }
  if (BigInt(params.slash_ratio_bp) * BigInt(params.max_slash_blocks) > BP_MAX) {
    throw new ParamError('slash_ratio_bp', `slash_ratio_bp × max_slash_blocks (the byzantine slash) must not exceed 10000 bp (100%)`);
  }
}

export function paramToString(value: Params[ParamName]): string {
  return typeof value === 'string' ? value : String(value);
}

/** Params as JSON-safe strings/numbers/booleans (bigints as decimal strings), by param name, sorted. */
export function paramsToJson(params: Params): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const field of PARAM_NAMES) {
    const value = params[field];
    out[field] = typeof value === 'bigint' ? value.toString() : value;
  }
  return out;
}

/** Defaults overridden by a genesis `app_state.params` object. Unknown names are an error. */
export function paramsFromJson(json: unknown, defaults: Readonly<Params> = DEFAULT_PARAMS): Params {
  const params: Params = { ...defaults };
  if (json === undefined || json === null) return params;
  if (typeof json !== 'object' || Array.isArray(json)) throw new ParamError('params', 'expected an object');
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    const field = paramField(name);
    if (field === undefined) throw new ParamError(name, 'unknown parameter');
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw new ParamError(name, 'expected a string, number or boolean');
    }
    (params as unknown as Record<string, unknown>)[field] = parseParamValue(field, raw);
  }
  validateParams(params);
  return params;
}

const PARAMS_KEY = `${STATE_PREFIXES.params}params`;

/** Params live in state as one canonical JSON record (sorted keys), so the app hash covers them. */
export function loadParams(kv: KVReader): Params {
  const raw = kv.get(PARAMS_KEY);
  if (raw === undefined) throw new Error('params are missing from state: was InitChain run?');
  // Several readers load params every block (rules, staking, governance) and
  // they change rarely: the last record's parse is reused while the stored
  // bytes are the same, which by construction parse to the same params.
  if (lastLoaded === undefined || (lastLoaded.raw !== raw && !Buffer.from(raw.buffer, raw.byteOffset, raw.length).equals(lastLoaded.raw))) {
    // Params stored before `evm_hardfork` existed belong to a chain that ran Cancun.
    lastLoaded = { raw, params: paramsFromJson(JSON.parse(Buffer.from(raw).toString('utf8')), { ...DEFAULT_PARAMS, evm_hardfork: LEGACY_EVM_HARDFORK }) };
  }
  // A copy: callers may build on the object they get.
  return { ...lastLoaded.params };
}

let lastLoaded: { raw: Uint8Array; params: Params } | undefined;

export function saveParams(kv: KV, params: Params): void {
  validateParams(params);
  const json = paramsToJson(params);
  // Chains that ran Cancun before the param existed stored no such key: a
  // Cancun chain's record stays byte-identical (so does its app hash), and a
  // genesis from before it resyncs with "evm_hardfork": "cancun" added.
  if (params.evm_hardfork === LEGACY_EVM_HARDFORK) delete json.evm_hardfork;
  kv.set(PARAMS_KEY, Buffer.from(JSON.stringify(json), 'utf8'));
}
