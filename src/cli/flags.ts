/**
 * Option builders for the operator and user commands (init, genesis, keys,
 * tx, query): every option also reads an environment variable named after
 * its long flag, `--max-stake` → CMTD_MAX_STAKE.
 */
import { Option } from 'commander';

/** CMTD_<FLAG> for a long flag, e.g. '--gas-price <wei>' → 'CMTD_GAS_PRICE'. */
export function envName(flags: string): string {
  const long = /--([a-z0-9][a-z0-9-]*)/.exec(flags);
  if (long === null) throw new Error(`option '${flags}' has no long flag`);
  return `CMTD_${long[1]!.replace(/-/g, '_').toUpperCase()}`;
}

/** An option with its CMTD_ environment variable; `fallback` is its default. */
export function opt(flags: string, description: string, fallback?: string): Option {
  const option = new Option(flags, description).env(envName(flags));
  return fallback === undefined ? option : option.default(fallback);
}

/** A required option (the environment variable satisfies it too). */
export function required(flags: string, description: string): Option {
  return opt(flags, description).makeOptionMandatory();
}
