/**
 * Voting power with the 12% cap (SPEC 4.2), ranking and election (4.3) and
 * the validator updates sent to CometBFT (4.4). All integer arithmetic.
 */
import { CMT } from '../state/params.js';
import { sha256 } from '../util/sha256.js';
import type { CandidateRecord, SentValidator } from './store.js';
import type { ValidatorUpdate } from './types.js';

/** CometBFT's MaxTotalVotingPower: int64 max / 8. */
export const MAX_TOTAL_VOTING_POWER = (2n ** 63n - 1n) / 8n;

/** T_i: every pool of the candidate, waiting requests included. */
export function totalStake(c: CandidateRecord): bigint {
  let t = 0n;
  for (const p of c.pools) t += p.tokens;
  return t;
}

/**
 * The cap `threshold · S` (truncated to wei), with S the summed T_i of the
 * validators (SPEC 4.1); undefined (no cap) while fewer than ⌈1/threshold⌉
 * validators hold stake, since fewer cannot all stay under the threshold
 * and capping them all would flatten power (SPEC 4.2).
 */
export function powerCap(validatorStakes: readonly bigint[], thresholdBp: number): bigint | undefined {
  let S = 0n;
  let holding = 0;
  for (const T of validatorStakes) {
    if (T <= 0n) continue;
    S += T;
    holding++;
  }
  if (holding < Math.ceil(10_000 / thresholdBp)) return undefined;
  return (S * BigInt(thresholdBp)) / 10_000n;
}

/** V_i = min(T_i, threshold · S), or T_i when no cap binds. */
export function votingPower(T: bigint, cap: bigint | undefined): bigint {
  return cap === undefined || T < cap ? T : cap;
}

/** Consensus power: whole CMT of V_i. */
export function consensusPower(V: bigint): bigint {
  return V / CMT;
}

/** CometBFT validator address: the first 20 bytes of sha256(ed25519 pubkey). */
export function cometAddress(pubKey: Uint8Array): Uint8Array {
  return sha256(pubKey).slice(0, 20);
}

export interface RankEntry {
  address: CandidateRecord['address'];
  stake: bigint;
  declareHeight: bigint;
}

/** Orders by stake descending, then earlier declaration, then lower address. */
export function compareRank(a: RankEntry, b: RankEntry): number {
  if (a.stake !== b.stake) return a.stake > b.stake ? -1 : 1;
  if (a.declareHeight !== b.declareHeight) return a.declareHeight < b.declareHeight ? -1 : 1;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

/** Ranks active candidates with stake; returns validators then backups. */
export function elect(
  candidates: readonly CandidateRecord[],
  maxValidators: number,
  backupValidators: number,
): { validators: CandidateRecord['address'][]; backups: CandidateRecord['address'][] } {
  const ranked = candidates
    .filter((c) => c.state === 'active')
    .map((c) => ({ address: c.address, stake: totalStake(c), declareHeight: c.declareHeight }))
    .filter((e) => e.stake > 0n)
    .sort(compareRank);
  return {
    validators: ranked.slice(0, maxValidators).map((e) => e.address),
    backups: ranked.slice(maxValidators, maxValidators + backupValidators).map((e) => e.address),
  };
}

const HEX = new WeakMap<Uint8Array, string>();
/** Hex of a key's bytes, remembered per bytes object (keys are immutable once stored). */
export function keyHex(k: Uint8Array): string {
  let h = HEX.get(k);
  if (h === undefined) {
    h = Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('hex');
    HEX.set(k, h);
  }
  return h;
}

/** Byte order of two keys (equal-length keys compare like their hex). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length === b.length) {
    const x = keyHex(a);
    const y = keyHex(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Keeps the set's total under MaxTotalVotingPower by halving every power as
 * often as needed (unreachable below the 10^10 CMT supply cap, but guarded);
 * members whose power drops to 0 leave. The strongest always stays: the loop
 * stops at the first shift whose total fits, and one shift less left a total
 * above 2^60 − 1, which fewer than 2^60 members could not reach if each of
 * them shifted to 0 (each was then at most 1).
 */
export function boundTotalPower(set: SentValidator[]): SentValidator[] {
  let total = set.reduce((s, v) => s + v.power, 0n);
  let shift = 0n;
  while (total > MAX_TOTAL_VOTING_POWER) {
    shift += 1n;
    total = set.reduce((s, v) => s + (v.power >> shift), 0n);
  }
  if (shift === 0n) return set;
  return set.map((v) => ({ pubKey: v.pubKey, power: v.power >> shift })).filter((v) => v.power > 0n);
}

/** Sorts a set by public key (the canonical order of `k/vs` and of updates). */
export function sortSet(set: SentValidator[]): SentValidator[] {
  return set.sort((a, b) => compareBytes(a.pubKey, b.pubKey));
}

/** The updates that turn `last` into `next` (power 0 for members that leave), sorted by key. */
export function diffSets(last: readonly SentValidator[], next: readonly SentValidator[]): ValidatorUpdate[] {
  const key = keyHex;
  const before = new Map(last.map((v) => [key(v.pubKey), v.power]));
  const after = new Map(next.map((v) => [key(v.pubKey), v.power]));
  const updates: Array<ValidatorUpdate & { k: string }> = [];
  for (const v of last) {
    const k = key(v.pubKey);
    if (!after.has(k)) updates.push({ pubKey: v.pubKey, power: 0n, k });
  }
  for (const v of next) {
    const k = key(v.pubKey);
    if (before.get(k) !== v.power) updates.push({ pubKey: v.pubKey, power: v.power, k });
  }
  return updates.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map(({ pubKey, power }) => ({ pubKey, power }));
}
