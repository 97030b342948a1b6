/** Output helpers shared by CLI commands: CMT amounts, tables, JSON, ratios. */
import { bigintReplacer } from '../util/logger.js';

const WEI = 10n ** 18n;

/** Wei as CMT with up to `digits` decimals (truncated toward 0, so never "-0"), e.g. 1.5 CMT → "1.5". */
export function formatCmt(wei: bigint, digits = 6): string {
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const whole = abs / WEI;
  const frac = (abs % WEI).toString().padStart(18, '0').slice(0, digits).replace(/0+$/, '');
  return `${negative && (whole > 0n || frac !== '') ? '-' : ''}${whole.toLocaleString('en-US')}${frac ? `.${frac}` : ''}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, bigintReplacer, 2)}\n`);
}

/** A plain text table: header row, then rows, columns padded; numbers right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[0-9,.]+%?$/.test(r[i] ?? '')));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

/**
 * A ratio given as a fraction ("0.25") or a percentage ("25%", "12.5%"),
 * in basis points, exactly (no floating point). Throws with the flag name.
 */
export function parseRatioBp(raw: string, flag: string): number {
  const text = raw.trim();
  const percent = text.endsWith('%');
  const number = percent ? text.slice(0, -1) : text;
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(number);
  if (m === null) throw new Error(`${flag} must be a fraction like 0.25 or a percentage like 25%, got '${raw}'`);
  const decimals = percent ? 2 : 4; // fraction digits that make whole basis points
  const frac = (m[2] ?? '').padEnd(decimals, '0');
  if (frac.length > decimals && /[^0]/.test(frac.slice(decimals))) throw new Error(`${flag}: '${raw}' is finer than a basis point (0.01%)`);
  const bp = Number(m[1]) * 10 ** decimals + Number(frac.slice(0, decimals) || '0');
  if (bp > 10_000) throw new Error(`${flag} must be at most 100%, got '${raw}'`);
  return bp;
}
