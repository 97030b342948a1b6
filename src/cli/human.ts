/**
 * Words for people: times as dates with a duration, and the chain's own
 * messages (revert reasons, CheckTx logs) with their wei amounts and Unix
 * times rewritten in CMT and dates. `--output json` never goes through here:
 * scripts get the exact wei strings and raw numbers.
 */
import { formatCmt } from './format.js';

/** A duration in words: "45 s", "2 min 5 s", "3 h 20 min", "14 days 2 h". */
export function formatDuration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3_600) return `${Math.floor(s / 60)} min${s % 60 === 0 ? '' : ` ${s % 60} s`}`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h${s % 3_600 < 60 ? '' : ` ${Math.floor((s % 3_600) / 60)} min`}`;
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3_600);
  return `${days} day${days === 1 ? '' : 's'}${hours === 0 ? '' : ` ${hours} h`}`;
}

/** A Unix time as a UTC date. */
export function formatDate(unixSeconds: bigint | number): string {
  return new Date(Number(unixSeconds) * 1000)
    .toISOString()
    .replace(/\.000Z$/, 'Z')
    .replace('T', ' ')
    .replace(/Z$/, ' UTC');
}

/** A Unix time as a date and how far it is from `now` (Unix seconds): "2026-12-02 08:10:00 UTC (in 2 min)". */
export function formatTimeFromNow(unixSeconds: bigint | number, now: number = Date.now() / 1000): string {
  const delta = Number(unixSeconds) - now;
  const when = Math.abs(delta) < 1 ? 'now' : delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
  return `${formatDate(unixSeconds)} (${when})`;
}

/** An amount in wei as "1,000 CMT" (up to 6 decimals, truncated). */
export function cmtText(wei: bigint): string {
  return `${formatCmt(wei)} CMT`;
}

/**
 * Wei has 18 decimals, so any chain amount of 0.001 CMT or more is a 16+
 * digit integer, while gas, heights, ids, nonces and basis points are far
 * shorter: such integers in a chain message are amounts.
 */
const WEI_WORD = /\b([0-9]+) wei\b/g;
const BARE_AMOUNT = /(?<![0-9a-zA-Z.])([0-9]{16,})(?![0-9a-zA-Z])/g;
/** Unix times the chain writes into messages ("expired at time 1796188489"). */
const UNIX_TIME = /\b(time|at) ([0-9]{9,10})\b/g;

/** A chain message for people: wei amounts in CMT, Unix times as dates. */
export function humanizeChainText(message: string, now?: number): string {
  return message
    .replace(WEI_WORD, (_, n: string) => cmtText(BigInt(n)))
    .replace(BARE_AMOUNT, (_, n: string) => cmtText(BigInt(n)))
    .replace(UNIX_TIME, (_, word: string, n: string) => `${word} ${formatTimeFromNow(Number(n), now)}`);
}
