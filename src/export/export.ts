/**
 * `cmtd export`: a genesis `app_state` from a node's committed state, such
 * that a chain started from it has the same state root (docs/EXPORT.md).
 *
 * The SPEC 10 fields describe the state the way people and the genesis tools
 * read it; `exact_state.records` holds every key those fields cannot
 * reproduce (share pools, unstake queues, proposals, supply counters, the
 * BLOCKHASH ring, ...). The records are computed, not hand-picked: the
 * genesis loader is run on the SPEC 10 fields alone and every key whose
 * value differs from the node's is recorded. Before anything is returned the
 * whole file is loaded again, through the same path InitChain takes, and its
 * root must equal the node's app hash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CmtdApp } from '../app/app.js';
import { MAX_GAS_KEY, saveBlockGasLimit } from '../app/consensus.js';
import { EXACT_STATE_FORMAT, parseAppGenesis, specSeal } from '../app/genesis.js';
import { createModules } from '../app/wiring.js';
import { stateDir } from '../node/run.js';
import { StakingQueries, cometAddress } from '../staking/index.js';
import { STATE_PREFIXES } from '../state/keys.js';
import type { ValidatorUpdate } from '../staking/types.js';
import { CommittedStore } from '../store/committed-store.js';
import { Overlay } from '../store/kv.js';
import { compareKeys } from '../store/keys.js';
import { bytesEqual } from '../util/bytes.js';
import { silentLogger } from '../util/logger.js';
import { describeState, type Json } from './describe.js';
import { readSnapshot, type StateSnapshot } from './snapshot.js';

/** Key of the block gas limit InitChain records from CometBFT's consensus params (src/app/consensus.ts). */

export interface ExportedValidator {
  /** ed25519 public key, base64 (as in CometBFT's genesis.json). */
  pubKey: string;
  /** CometBFT validator address, upper-case hex. */
  address: string;
  power: bigint;
}

export interface ExportResult {
  height: bigint;
  appHash: Uint8Array;
  /** The genesis `app_state` (JSON-ready). */
  appState: { [key: string]: Json };
  /** The validator set InitChain returns for this app_state: what genesis.json `validators` should list. */
  validators: ExportedValidator[];
  /** CometBFT `consensus_params.block.max_gas` the new genesis must have (-1: unlimited). */
  blockMaxGas: bigint;
  /** Number of exact records. */
  records: number;
}

/** Thrown when the export cannot be made (wrong height, a state the genesis format cannot restore). */
export class ExportError extends Error {
  override readonly name = 'ExportError';
}

/**
 * Exports the committed state of the node whose cmtd home is `home`;
 * `height`, when given, must be its last committed height (the only one a
 * node keeps).
 */
export async function exportHome(home: string, height?: bigint): Promise<ExportResult> {
  const snapshot = await readSnapshot(stateDir(home));
  if (snapshot.height === 0n || (height !== undefined && snapshot.height !== height)) {
    throw new ExportError(
      snapshot.height === 0n
        ? `the state in ${home} has no committed block yet (height 0): start the chain first`
        : `the state in ${home} is at height ${snapshot.height}, not ${height}: a node keeps only its latest state, so only height ${snapshot.height} can be exported. ` +
            `For an earlier height, replay the chain to it into a fresh home and export that: ` +
            `cmtd replay --from <rpc-url|recording> --to ${height} --home <dir> && cmtd export --home <dir> --height ${height}`,
    );
  }
  return buildExport(snapshot);
}

function blockMaxGasOf(snapshot: StateSnapshot): bigint {
  const raw = snapshot.get(MAX_GAS_KEY);
  return raw === undefined ? -1n : BigInt(Buffer.from(raw).toString('utf8'));
}

/** The state InitChain writes for `appState` (src/app/app.ts initChain, without the store): complete, deletions dropped. */
function loadGenesis(appState: unknown, blockMaxGas: bigint, cometValidators: ValidatorUpdate[]): Map<string, Uint8Array> {
  const genesis = parseAppGenesis(Buffer.from(JSON.stringify(appState), 'utf8'));
  const state = new Overlay({ get: () => undefined });
  saveBlockGasLimit(state, blockMaxGas);
  // A chain id no chain has: the state's own one then always travels as an exact record.
  createModules().initGenesis(state, genesis, cometValidators, '\u0000export');
  const out = new Map<string, Uint8Array>();
  for (const [key, change] of state.sortedChanges()) if (change !== null) out.set(key, change);
  return out;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Keys whose values differ between a complete state and a snapshot, ascending. */
function differingKeys(loaded: ReadonlyMap<string, Uint8Array>, snapshot: StateSnapshot): string[] {
  const keys = new Set<string>([...snapshot.keys, ...loaded.keys()]);
  const differs = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => (a === undefined || b === undefined ? a !== b : !bytesEqual(a, b));
  return [...keys].filter((k) => differs(loaded.get(k), snapshot.get(k))).sort(compareKeys);
}

/** Records as the genesis loader parses them (ascending keys, bytes), for the seal. */
function sealedRecords(records: { [key: string]: string | null }): Array<[string, Uint8Array | null]> {
  return Object.keys(records)
    .sort(compareKeys)
    .map((key): [string, Uint8Array | null] => {
      const value = records[key] ?? null;
      return [key, value === null ? null : new Uint8Array(Buffer.from(value.slice(2), 'hex'))];
    });
}

export async function buildExport(snapshot: StateSnapshot): Promise<ExportResult> {
  const described = describeState(snapshot);
  const blockMaxGas = blockMaxGasOf(snapshot);
  const lastSent = new StakingQueries(snapshot).lastValidatorSet();

  const spec = parseAppGenesis(Buffer.from(JSON.stringify(described.spec), 'utf8'));
  const exactState = (records: { [key: string]: string | null }): { [key: string]: Json } => ({
    format: EXACT_STATE_FORMAT,
    height: snapshot.height.toString(),
    app_hash: hex(snapshot.appHash).toUpperCase(),
    consensus: {
      block_max_gas: blockMaxGas.toString(),
      validators: lastSent.map((v) => ({ pub_key: Buffer.from(v.pubKey).toString('base64'), power: v.power.toString() })),
    },
    seal: specSeal(spec, sealedRecords(records)),
    summary: described.summary,
    records,
  });

  // What the SPEC 10 fields alone load to; every key they get wrong becomes a record.
  const base = loadGenesis({ ...described.spec, exact_state: exactState({}) }, blockMaxGas, lastSent);
  const records: { [key: string]: string | null } = {};
  for (const key of differingKeys(base, snapshot)) {
    if (key.startsWith(STATE_PREFIXES.consensus)) {
      throw new ExportError(`consensus key ${key} would differ after InitChain; it comes from the genesis consensus_params, not from app_state`);
    }
    const value = snapshot.get(key);
    records[key] = value === undefined ? null : `0x${hex(value)}`;
  }
  const appState: { [key: string]: Json } = { ...described.spec, exact_state: exactState(records) };

  // The round trip, key by key ...
  const loaded = loadGenesis(appState, blockMaxGas, lastSent);
  const wrong = differingKeys(loaded, snapshot);
  if (wrong.length > 0) {
    throw new ExportError(
      `the exported app_state would not restore the state of height ${snapshot.height}: ${wrong.length} key(s) differ after loading ` +
        `(${wrong.slice(0, 8).join(', ')}${wrong.length > 8 ? ', ...' : ''}). ` +
        'InitChain recomputes the staking ranking (k/r) and the validator set (k/vs) from the restored ledger; they differ from the stored ones ' +
        'when a governance change of max_validators/backup_validators passed in the last block or no candidate has consensus power. ' +
        'Export at a later height.',
    );
  }
  // ... and through a real InitChain, whose app hash block 1 of the new chain will carry.
  const validators = await verifyInitChain(appState, snapshot, blockMaxGas, lastSent);
  return { height: snapshot.height, appHash: snapshot.appHash, appState, validators, blockMaxGas, records: Object.keys(records).length };
}

async function verifyInitChain(appState: unknown, snapshot: StateSnapshot, blockMaxGas: bigint, lastSent: ValidatorUpdate[]): Promise<ExportedValidator[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-export-check-'));
  const store = await CommittedStore.open(join(dir, 'state.db'));
  try {
    const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
    const response = await app.initChain({
      time: { seconds: 0n, nanos: 0 },
      chainId: 'cmtd-export-check',
      consensusParams: { block: { maxBytes: 22_020_096n, maxGas: blockMaxGas } },
      validators: lastSent.map((v) => ({ pubKey: { ed25519: v.pubKey }, power: v.power })),
      appStateBytes: Buffer.from(JSON.stringify(appState), 'utf8'),
      initialHeight: snapshot.height + 1n,
    });
    if (response.appHash === undefined || !bytesEqual(response.appHash, snapshot.appHash)) {
      throw new ExportError(
        `InitChain of the exported app_state gives app hash ${response.appHash === undefined ? '(none)' : hex(response.appHash)}, not ${hex(snapshot.appHash)}`,
      );
    }
    // An empty list: CometBFT's genesis validators stand (the ledger then keeps them as its last sent set).
    const set = response.validators !== undefined && response.validators.length > 0 ? response.validators.map((v) => ({ pubKey: v.pubKey.ed25519!, power: v.power })) : lastSent;
    return set.map((v) => ({
      pubKey: Buffer.from(v.pubKey).toString('base64'),
      address: hex(cometAddress(v.pubKey)).toUpperCase(),
      power: v.power,
    }));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
