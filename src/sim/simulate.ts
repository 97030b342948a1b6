/**
 * A simulator of the real staking ledger without CometBFT (`cmtd simulate`):
 * from a genesis `app_state` (SPEC 10 shape) it runs N blocks of
 * beginBlock/endBlock, with chosen validators absent over height ranges, and
 * reports what every address ends with and what it earned and lost.
 *
 * CometBFT's timing is modelled: the genesis set signs heights 1 and 2, and
 * updates returned at the end of height h take effect at h + 2; the last
 * commit of block h carries the votes of height h − 1's validators.
 */
import { parseAppGenesis } from '../app/genesis.js';
import { writeBaseGenesis } from '../app/modules.js';
import { GovernanceLedger } from '../gov/index.js';
import { Overlay, type KV } from '../store/kv.js';
import { Accounts } from '../state/accounts.js';
import { toAddress, type Address } from '../util/address.js';
import type { Params } from '../state/params.js';
import { Supply, totalSupply } from '../state/supply.js';
import { StakingLedger, cometAddress } from '../staking/index.js';
import type { CandidateInfo, Evidence, LastCommitVote, ValidatorUpdate } from '../staking/types.js';

export interface AbsentRange {
  /** The candidate's (Ethereum) address. */
  address: string;
  /** First and last height (inclusive) whose last commit shows it ABSENT. */
  from: number;
  to: number;
}

export interface ByzantineEvent {
  address: string;
  /** Height whose block carries the evidence. */
  height: number;
}

export interface SimulateOptions {
  /** Genesis `app_state`: params, accounts, candidates, delegations, enterprise_accounts. */
  genesis: unknown;
  blocks: number;
  /** Seconds between blocks (default 10). */
  blockTimeS?: number;
  /** Header time of height 1 (default 0). */
  startTime?: bigint;
  absent?: AbsentRange[];
  byzantine?: ByzantineEvent[];
}

export interface AddressOutcome {
  address: Address;
  balance: bigint;
  /** Every delegation (self-stake included) plus waiting unstake requests, at current value. */
  stake: bigint;
  /** Awards (and compensation) compounded into its stake during the run. */
  earned: bigint;
  slashed: bigint;
}

export interface SimulateResult {
  blocks: number;
  finalHeight: bigint;
  finalTime: bigint;
  genesisSupply: bigint;
  supply: bigint;
  minted: bigint;
  burned: bigint;
  dust: bigint;
  bonded: bigint;
  addresses: AddressOutcome[];
  candidates: CandidateInfo[];
  /** Validators removed by slashing, with the height. */
  removals: Array<{ address: Address; height: bigint }>;
  /** The consensus set CometBFT ends with (pubkey hex → power). */
  consensusSet: Array<{ pubKey: string; power: bigint }>;
}

interface Genesis {
  accounts?: Array<{ address: string; balance: string }>;
}

/**
 * Writes the genesis into `kv` exactly as the node's InitChain does (the
 * app's parser and genesis writer); returns the ledger and its validators.
 */
export function loadGenesis(kv: KV, appState: unknown): { ledger: StakingLedger; params: Params; validators: ValidatorUpdate[] } {
  const genesis = parseAppGenesis(Buffer.from(JSON.stringify(appState ?? {})));
  writeBaseGenesis(kv, genesis);
  // Params are fixed for a simulation (no governance runs): read them once.
  const params = genesis.params;
  const ledger = new StakingLedger(kv, { params: () => params });
  const validators = ledger.initGenesis({
    candidates: genesis.candidates,
    delegations: genesis.delegations,
    enterpriseAccounts: genesis.enterpriseAccounts,
  });
  return { ledger, params, validators };
}

export function simulate(opts: SimulateOptions): SimulateResult {
  const kv = new Overlay({ get: () => undefined });
  const { ledger } = loadGenesis(kv, opts.genesis);
  const gov = new GovernanceLedger(kv, ledger);
  const accounts = new Accounts(kv);
  const supply = new Supply(kv);
  const blockTime = BigInt(opts.blockTimeS ?? 10);
  const startTime = opts.startTime ?? 0n;

  // Everyone the genesis names is tracked.
  const g = (opts.genesis ?? {}) as Genesis & {
    candidates?: Array<{ address: string }>;
    delegations?: Array<{ delegator: string; candidate: string }>;
  };
  const tracked = new Set<Address>();
  for (const a of g.accounts ?? []) tracked.add(toAddress(a.address));
  for (const c of g.candidates ?? []) tracked.add(toAddress(c.address));
  for (const d of g.delegations ?? []) tracked.add(toAddress(d.delegator));
  const addrs = [...tracked].sort();

  const stakeOf = (a: Address): bigint => {
    let s = 0n;
    for (const d of ledger.delegations(a)) s += d.amount;
    for (const r of ledger.unstakes(a)) if (r.id !== 0n) s += r.amount;
    return s;
  };
  const start = new Map(addrs.map((a) => [a, stakeOf(a) + accounts.balance(a)]));
  const slashed = new Map(addrs.map((a) => [a, 0n]));

  // CometBFT's view: consensus address → candidate, and the sets in force.
  const byConsensus = new Map<string, Address>();
  const refreshKeys = (): void => {
    for (const c of ledger.candidates()) byConsensus.set(c.consensusAddress.slice(2), c.address);
  };
  refreshKeys();
  const vaOf = new Map<string, Uint8Array>();
  const keyOf = (pk: Uint8Array): string => Buffer.from(pk).toString('hex');
  const genesisSet = new Map(ledger.lastValidatorSet().map((v) => [keyOf(v.pubKey), v.power]));
  const sets = new Map<bigint, Map<string, bigint>>([
    [1n, genesisSet],
    [2n, new Map(genesisSet)],
  ]);
  const absentAt = (a: Address, h: number): boolean => (opts.absent ?? []).some((r) => toAddress(r.address) === a && h >= r.from && h <= r.to);
  const removals: SimulateResult['removals'] = [];

  let height = 0n;
  let time = startTime;
  for (let i = 0; i < opts.blocks; i++) {
    height = BigInt(i + 1);
    time = startTime + BigInt(i) * blockTime;
    const ctx = { height, time };
    const votes: LastCommitVote[] = [];
    if (height >= 2n) {
      for (const pk of [...(sets.get(height - 1n) ?? new Map<string, bigint>()).keys()].sort()) {
        let va = vaOf.get(pk);
        if (va === undefined) {
          va = cometAddress(Buffer.from(pk, 'hex'));
          vaOf.set(pk, va);
        }
        const who = byConsensus.get(Buffer.from(va).toString('hex'));
        votes.push({ validatorAddress: va, absent: who !== undefined && absentAt(who, i + 1) });
      }
    }
    const evidence: Evidence[] = [];
    for (const b of opts.byzantine ?? []) {
      if (b.height !== i + 1) continue;
      const c = ledger.candidate(toAddress(b.address));
      if (c !== undefined) {
        evidence.push({
          validatorAddress: Buffer.from(c.consensusAddress.slice(2), 'hex'),
          height: height - 1n,
          kind: 'duplicate_vote',
        });
      }
    }
    const needDiff = votes.some((v) => v.absent) || evidence.length > 0;
    const before = needDiff ? new Map(addrs.map((a) => [a, stakeOf(a)])) : undefined;
    const begin = ledger.beginBlock(ctx, votes, evidence);
    if (before !== undefined && begin.slashes.length > 0) {
      for (const a of addrs) slashed.set(a, slashed.get(a)! + (before.get(a)! - stakeOf(a)));
    }
    for (const r of begin.removed) removals.push({ address: r, height });
    const updates = ledger.endBlock(ctx);
    gov.endBlock(ctx); // as the node does (src/app/wiring.ts)
    // The set signing height h + 2 is the one signing h + 1 with this block's updates applied.
    const current = new Map(sets.get(height + 1n)!);
    for (const u of updates) {
      if (u.power === 0n) current.delete(keyOf(u.pubKey));
      else current.set(keyOf(u.pubKey), u.power);
    }
    sets.set(height + 2n, current);
    sets.delete(height - 1n);
  }

  const s = supply.read();
  const addresses = addrs.map((a): AddressOutcome => {
    const stake = stakeOf(a);
    const balance = accounts.balance(a);
    const lost = slashed.get(a)!;
    return { address: a, balance, stake, earned: stake + balance - start.get(a)! + lost, slashed: lost };
  });
  const finalSet = sets.get(height + 1n) ?? new Map<string, bigint>();
  return {
    blocks: opts.blocks,
    finalHeight: height,
    finalTime: time,
    genesisSupply: s.genesis,
    supply: totalSupply(s),
    minted: s.minted,
    burned: s.burned,
    dust: s.dust,
    bonded: ledger.stakingTotals().bonded,
    addresses,
    candidates: ledger.candidates(),
    removals,
    consensusSet: [...finalSet.entries()].sort().map(([pubKey, power]) => ({ pubKey: `0x${pubKey}`, power })),
  };
}
