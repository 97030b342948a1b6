/** CMT amounts, percentages, dates and durations as the dashboard shows them. */
import { formatUnits, parseUnits } from 'viem';

const WEI_PER_CMT = 10n ** 18n;

/** A wei amount as CMT with at most `digits` fraction digits (rounded down), thousands grouped. */
export function cmt(wei: string | bigint, digits = 4): string {
  const value = typeof wei === 'bigint' ? wei : BigInt(wei);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / WEI_PER_CMT;
  const scale = 10n ** BigInt(18 - digits);
  const fraction = ((abs % WEI_PER_CMT) / scale).toString().padStart(digits, '0').replace(/0+$/, '');
  const grouped = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction === '' ? '' : `.${fraction}`}`;
}

/** CMT as a float, for charts only. */
export function cmtNumber(wei: string | bigint): number {
  return Number(formatUnits(typeof wei === 'bigint' ? wei : BigInt(wei), 18));
}

/** Parses a CMT amount typed by a person ('1,000.5'); throws a readable error. */
export function parseCmt(text: string, what = 'amount'): bigint {
  const clean = text.replace(/[,_\s]/g, '');
  if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(clean)) throw new Error(`${what}: expected a CMT amount like 100 or 0.5, got '${text}'`);
  return parseUnits(clean, 18);
}

/** Basis points as a percentage: 1200 → '12%'. */
export function bp(value: number): string {
  return `${(value / 100).toFixed(value % 100 === 0 ? 0 : 2)}%`;
}

/** A ratio as a percentage with `digits` fraction digits. */
export function percent(ratio: number, digits = 2): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(digits)}%` : '–';
}

/** part / whole of two wei amounts as a float ratio (0 when whole is 0). */
export function ratio(part: string | bigint, whole: string | bigint): number {
  const w = BigInt(whole);
  if (w === 0n) return 0;
  return Number((BigInt(part) * 1_000_000n) / w) / 1_000_000;
}

/** A Unix time (seconds) as a local date and time. */
export function date(seconds: string | bigint | number): string {
  return new Date(Number(seconds) * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Seconds as '3 d 4 h', '5 min 10 s'. */
export function duration(totalSeconds: number): string {
  if (totalSeconds <= 0) return 'now';
  const s = Math.round(totalSeconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

/** 0x1234…abcd */
export function short(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** The description fields a candidate declared (a JSON object in its description text). */
export interface Description {
  name?: string;
  website?: string;
  location?: string;
  email?: string;
  jurisdiction?: string;
  data_centre?: string;
  security?: string;
  technical_setup?: string;
  [field: string]: unknown;
}

export function description(text: string): Description {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Description;
  } catch {
    // Plain text: the whole of it is the name.
  }
  return text === '' ? {} : { name: text };
}

/** A candidate's display name: its declared name, else its short address. */
export function nameOf(c: { address: string; description: string }): string {
  const name = description(c.description).name;
  return typeof name === 'string' && name.trim() !== '' ? name : short(c.address);
}

/** An http(s) link only: a declared website is shown as a link only when it is one. */
export function safeLink(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
