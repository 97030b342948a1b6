/**
 * Amounts on the command line, exactly (no floating point):
 *
 *   "1.5", "1.5cmt", "1,000"  → CMT with up to 18 decimals (1.5 CMT = 1.5·10^18 wei)
 *   "1500000000000000000wei"  → wei
 *   "2gwei", "0.5gwei"        → gwei (10^9 wei)
 *
 * Gas prices take the same units but a bare number is wei, as in other
 * Ethereum tools ("0" is a free transaction, "2gwei" the default minimum).
 */

const UNITS: Record<string, number> = { cmt: 18, gwei: 9, wei: 0 };

function parseWithUnit(raw: string, flag: string, bareUnit: 'cmt' | 'wei'): bigint {
  const text = raw.trim().toLowerCase();
  const m = /^([0-9][0-9,_]*)?(?:\.([0-9]+))?\s*(cmt|gwei|wei)?$/.exec(text);
  if (text === '' || m === null || (m[1] === undefined && m[2] === undefined)) {
    throw new Error(`${flag} must be an amount like 1.5 (CMT), 1500000000000000000wei or 2gwei, got '${raw}'`);
  }
  const whole = (m[1] ?? '0').replace(/[,_]/g, '');
  const unit = m[3] ?? bareUnit;
  const decimals = UNITS[unit]!;
  const frac = m[2] ?? '';
  const significant = frac.replace(/0+$/, '');
  if (significant.length > decimals) {
    throw new Error(
      decimals === 0 ? `${flag}: '${raw}' has a fraction of a wei; wei are whole numbers` : `${flag}: '${raw}' has more than ${decimals} decimals (the smallest unit is 1 wei)`,
    );
  }
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(significant.padEnd(decimals, '0') || '0');
}

/** An amount of CMT: a bare number is CMT; "wei" and "gwei" suffixes are taken too. */
export function parseAmount(raw: string, flag = 'amount'): bigint {
  return parseWithUnit(raw, flag, 'cmt');
}

/** A gas price: a bare number is wei; "gwei" and "cmt" suffixes are taken too. */
export function parseGasPrice(raw: string, flag = '--gas-price'): bigint {
  return parseWithUnit(raw, flag, 'wei');
}

/** A non-negative whole number (gas, nonce, ids), e.g. for --gas-limit. */
export function parseWhole(raw: string, flag: string): bigint {
  const text = raw.trim().replace(/[,_]/g, '');
  if (!/^[0-9]+$/.test(text)) throw new Error(`${flag} must be a whole number, got '${raw}'`);
  return BigInt(text);
}
