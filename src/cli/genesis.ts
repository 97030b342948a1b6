/**
 * `cmtd genesis add-account|add-candidate|add-delegation|validate`: edits and
 * checks the `app_state` of a CometBFT genesis.json (SPEC 10).
 *
 * Validation is the node's own: the app's `parseAppGenesis`, then the
 * chain modules' InitChain (accounts, params, contracts, the staking
 * ledger's candidate and delegation checks, the first election) over a
 * throw-away in-memory state. An edit that would make the genesis invalid
 * is refused and the file is left as it was.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GenesisError, genesisSupply, parseAppGenesis, type AppGenesis } from '../app/genesis.js';
import { createModules } from '../app/wiring.js';
import { DEFAULT_PARAMS, paramsToJson } from '../state/params.js';
import { cometAddress } from '../staking/index.js';
import { Overlay, type KVReader } from '../store/kv.js';
import { parseAmount } from './amount.js';
import { addDescriptionOptions, descriptionFrom, parseConsensusKey } from './candidate.js';
import { defaultGenesisPath, resolveAddress } from './client.js';
import { opt, required } from './flags.js';
import { formatCmt, parseRatioBp, printJson } from './format.js';
import { homeOption, outputOption } from './options.js';

/** The parts of a CometBFT genesis.json these commands read; the rest is kept as it is. */
export interface GenesisDoc {
  chain_id?: string;
  consensus_params?: { block?: { max_bytes?: string; max_gas?: string; [k: string]: unknown }; [k: string]: unknown };
  validators?: Array<{ address?: string; pub_key: { type?: string; value: string }; power: string; name?: string }> | null;
  app_state?: unknown;
  [field: string]: unknown;
}

type Json = Record<string, unknown>;

/** A default app_state: every param at its SPEC 3 default, no accounts, no candidates. */
export function defaultAppState(): Json {
  return { params: paramsToJson(DEFAULT_PARAMS), accounts: [], candidates: [], delegations: [], enterprise_accounts: [], contracts: [] };
}

export function readGenesisFile(path: string): GenesisDoc {
  if (!existsSync(path)) {
    throw new Error(`no genesis file at ${path}: pass --genesis FILE (or CMTD_GENESIS), or create a home with 'cmtd init'`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${path} is not a genesis file (expected a JSON object)`);
  return doc as GenesisDoc;
}

/** Writes atomically (a temporary file renamed over the old one). */
export function writeGenesisFile(path: string, doc: GenesisDoc): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, path);
}

export interface GenesisValidatorReport {
  /** ed25519 public key, base64. */
  pubKey: string;
  /** CometBFT validator address, upper-case hex. */
  consensusAddress: string;
  power: bigint;
  /** The candidate that owns the key, when the app elected it. */
  operator?: string;
}

export interface GenesisReport {
  chainId: string;
  accounts: number;
  candidates: number;
  delegations: number;
  contracts: number;
  supply: bigint;
  /** 'app': InitChain returned the elected candidates; 'cometbft': the genesis file's validators stand. */
  validatorSource: 'app' | 'cometbft';
  validators: GenesisValidatorReport[];
}

const EMPTY: KVReader = { get: () => undefined };

function cometValidators(doc: GenesisDoc): Array<{ pubKey: Uint8Array; power: bigint }> {
  return (doc.validators ?? []).map((v, i) => {
    const key = Buffer.from(v.pub_key?.value ?? '', 'base64');
    if (key.length !== 32) throw new Error(`validators[${i}].pub_key: an ed25519 key has 32 bytes, got ${key.length}`);
    if (!/^[0-9]+$/.test(String(v.power))) throw new Error(`validators[${i}].power: expected a whole number, got ${JSON.stringify(v.power)}`);
    return { pubKey: new Uint8Array(key), power: BigInt(v.power) };
  });
}

/** Parses the app_state exactly as InitChain will (throws GenesisError). */
export function parseGenesisDoc(doc: GenesisDoc): AppGenesis {
  return parseAppGenesis(Buffer.from(JSON.stringify(doc.app_state ?? {}), 'utf8'));
}

/**
 * Runs the node's genesis path on a throw-away state: the app's parser, then
 * the modules' InitChain. Throws with the node's own message when it would
 * refuse the genesis.
 */
export function validateGenesisDoc(doc: GenesisDoc): GenesisReport {
  const genesis = parseGenesisDoc(doc);
  const comet = cometValidators(doc);
  const state = new Overlay(EMPTY);
  let elected;
  try {
    elected = createModules().initGenesis(state, genesis, comet, doc.chain_id ?? 'cmtd-genesis-check');
  } catch (err) {
    if (err instanceof GenesisError) throw err;
    throw new Error(`genesis app_state: ${(err as Error).message}`);
  }
  const owner = new Map(genesis.candidates.map((c) => [Buffer.from(c.pubKey).toString('base64'), c.address as string]));
  const source = elected.length > 0 ? 'app' : 'cometbft';
  const set = elected.length > 0 ? elected : comet.filter((v) => v.power > 0n);
  if (set.length === 0) {
    throw new Error('no validators: the genesis lists no candidate with at least 1 CMT of voting power and no CometBFT validators; add a candidate (cmtd genesis add-candidate)');
  }
  const chainId = typeof doc.chain_id === 'string' ? doc.chain_id : '';
  if (chainId === '') throw new Error('chain_id is empty: CometBFT needs a chain id');
  return {
    chainId,
    accounts: genesis.accounts.length,
    candidates: genesis.candidates.length,
    delegations: genesis.delegations.length,
    contracts: genesis.contracts.length,
    supply: genesisSupply(genesis),
    validatorSource: source,
    validators: set.map((v) => {
      const pubKey = Buffer.from(v.pubKey).toString('base64');
      const operator = source === 'app' ? owner.get(pubKey) : undefined;
      return {
        pubKey,
        consensusAddress: Buffer.from(cometAddress(v.pubKey)).toString('hex').toUpperCase(),
        power: v.power,
        ...(operator === undefined ? {} : { operator }),
      };
    }),
  };
}

function appStateObject(doc: GenesisDoc): Json {
  if (doc.app_state === undefined || doc.app_state === null) doc.app_state = {};
  const state = doc.app_state;
  if (typeof state !== 'object' || Array.isArray(state)) throw new Error('app_state is not a JSON object');
  return state as Json;
}

function listOf(state: Json, key: string): Json[] {
  const value = state[key];
  if (value === undefined) {
    const fresh: Json[] = [];
    state[key] = fresh;
    return fresh;
  }
  if (!Array.isArray(value)) throw new Error(`app_state.${key} is not a list`);
  return value as Json[];
}

function sameAddress(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
}

interface GenesisFlags {
  home: string;
  genesis?: string;
  output: string;
}

function genesisPath(flags: GenesisFlags): string {
  return flags.genesis ?? defaultGenesisPath(flags.home);
}

/** Validates the edited genesis and writes it; refuses (file unchanged) when the node would. */
function commit(path: string, doc: GenesisDoc): GenesisReport {
  let report: GenesisReport;
  try {
    report = validateGenesisDoc(doc);
  } catch (err) {
    throw new Error(`refusing to write ${path}, the result would be invalid: ${(err as Error).message}`);
  }
  writeGenesisFile(path, doc);
  return report;
}

/** The genesis as it is, parsed (edits start from a valid file, so errors point at the edit). */
function loadForEdit(path: string): { doc: GenesisDoc; genesis: AppGenesis } {
  const doc = readGenesisFile(path);
  let genesis: AppGenesis;
  try {
    genesis = parseGenesisDoc(doc);
  } catch (err) {
    throw new Error(`${path} is invalid already (fix it first; 'cmtd genesis validate' tells more): ${(err as Error).message}`);
  }
  return { doc, genesis };
}

function done(flags: GenesisFlags, message: string, entry: Json, report: GenesisReport): void {
  if (flags.output === 'json') printJson({ genesis: genesisPath(flags), added: entry, supply: report.supply });
  else process.stdout.write(`${message}\ngenesis supply now ${formatCmt(report.supply)} CMT (${genesisPath(flags)})\n`);
}

interface AccountFlags extends GenesisFlags {
  account: string;
  balance: string;
  enterprise?: boolean;
}

function addAccount(flags: AccountFlags): void {
  const path = genesisPath(flags);
  const { doc } = loadForEdit(path);
  const address = resolveAddress(flags.account, flags.home, '--account');
  const balance = parseAmount(flags.balance, '--balance');
  const state = appStateObject(doc);
  const accounts = listOf(state, 'accounts');
  const existing = accounts.find((a) => sameAddress(a.address, address));
  if (existing !== undefined) {
    throw new Error(`${address} is already a genesis account (balance ${formatCmt(BigInt(String(existing.balance)))} CMT); edit ${path} to change it`);
  }
  const entry = { address, balance: balance.toString() };
  accounts.push(entry);
  if (flags.enterprise === true) {
    const enterprise = listOf(state, 'enterprise_accounts') as unknown as string[];
    if (!enterprise.some((e) => sameAddress(e, address))) enterprise.push(address);
  }
  const report = commit(path, doc);
  done(flags, `added account ${address} with ${formatCmt(balance)} CMT${flags.enterprise === true ? ' (enterprise)' : ''}`, entry, report);
}

interface CandidateFlags extends GenesisFlags {
  candidate: string;
  pubKey: string;
  maxStake: string;
  selfStake?: string;
  compRate: string;
  verified?: boolean;
  [field: string]: unknown;
}

function addCandidate(flags: CandidateFlags): void {
  const path = genesisPath(flags);
  const { doc, genesis } = loadForEdit(path);
  const address = resolveAddress(flags.candidate, flags.home, '--candidate');
  const pubKey = Buffer.from(parseConsensusKey(flags.pubKey)).toString('base64');
  const maxStake = parseAmount(flags.maxStake, '--max-stake');
  // Default self-stake: the least the params allow (self_stake_ratio of max_stake, rounded up).
  const ratio = BigInt(genesis.params.self_stake_ratio_bp);
  const selfStake = flags.selfStake === undefined ? (maxStake * ratio + 9_999n) / 10_000n : parseAmount(flags.selfStake, '--self-stake');
  const compRateBp = parseRatioBp(flags.compRate, '--comp-rate');
  const description = descriptionFrom(flags) ?? '{}';
  const state = appStateObject(doc);
  const candidates = listOf(state, 'candidates');
  if (candidates.some((c) => sameAddress(c.address, address))) throw new Error(`${address} is already a genesis candidate; edit ${path} to change it`);
  const entry = {
    address,
    pub_key: pubKey,
    max_stake: maxStake.toString(),
    self_stake: selfStake.toString(),
    comp_rate_bp: compRateBp,
    description: JSON.parse(description) as Json,
    verified: flags.verified === true,
  };
  candidates.push(entry);
  const report = commit(path, doc);
  done(
    flags,
    `added candidate ${address}: self-stake ${formatCmt(selfStake)} of max ${formatCmt(maxStake)} CMT, compensation ${compRateBp / 100}%, consensus key ${pubKey}`,
    entry,
    report,
  );
}

interface DelegationFlags extends GenesisFlags {
  delegator: string;
  candidate: string;
  amount: string;
}

function addDelegation(flags: DelegationFlags): void {
  const path = genesisPath(flags);
  const { doc } = loadForEdit(path);
  const delegator = resolveAddress(flags.delegator, flags.home, '--delegator');
  const candidate = resolveAddress(flags.candidate, flags.home, '--candidate');
  const amount = parseAmount(flags.amount, '--amount');
  const entry = { delegator, candidate, amount: amount.toString() };
  listOf(appStateObject(doc), 'delegations').push(entry);
  const report = commit(path, doc);
  done(flags, `added delegation of ${formatCmt(amount)} CMT from ${delegator} to ${candidate}`, entry, report);
}

function validate(flags: GenesisFlags): void {
  const path = genesisPath(flags);
  const doc = readGenesisFile(path);
  let report: GenesisReport;
  try {
    report = validateGenesisDoc(doc);
  } catch (err) {
    throw new Error(`${path} is invalid: ${(err as Error).message}`);
  }
  if (flags.output === 'json') {
    printJson({ valid: true, genesis: path, ...report });
    return;
  }
  const lines = [
    `${path} is valid`,
    `chain id     ${report.chainId}`,
    `accounts     ${report.accounts}${report.contracts > 0 ? ` (+ ${report.contracts} contracts)` : ''}`,
    `candidates   ${report.candidates}`,
    `delegations  ${report.delegations}`,
    `supply       ${formatCmt(report.supply)} CMT`,
    report.validatorSource === 'app'
      ? `validators   ${report.validators.length}, elected from the candidates (they replace the file's CometBFT validators):`
      : `validators   ${report.validators.length}, the file's CometBFT validators (no candidate elected):`,
    ...report.validators.map((v) => `  ${v.consensusAddress}  power ${v.power}${v.operator === undefined ? '' : `  operator ${v.operator}`}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function genesisCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .addOption(homeOption())
    .addOption(opt('--genesis <file>', 'CometBFT genesis.json to edit (default: <home>/cometbft/config/genesis.json)'))
    .addOption(outputOption());
}

export function registerGenesis(program: Command): void {
  const genesis = program.command('genesis').description('edit and check the app_state of a CometBFT genesis.json');
  genesisCommand(genesis, 'add-account', 'add a funded account')
    .addOption(required('--account <address|key>', 'the account: an address or the name of a key in <home>/keys'))
    .addOption(required('--balance <amount>', 'its balance: CMT ("1000000", "1.5") or wei ("1000wei")'))
    .addOption(opt('--enterprise', 'also mark it a CMT Enterprise account'))
    .action(addAccount);
  addDescriptionOptions(
    genesisCommand(genesis, 'add-candidate', 'add a staking candidate (a genesis validator when it ranks high enough)')
      .addOption(required('--candidate <address|key>', "the candidate's operator address, or a key name"))
      .addOption(required('--pub-key <key>', 'ed25519 consensus key: a priv_validator_key.json file, base64, or hex'))
      .addOption(required('--max-stake <amount>', 'declared maximum total stake (CMT)'))
      .addOption(opt('--self-stake <amount>', 'self-stake (CMT); default: the minimum, self_stake_ratio of --max-stake; not taken from a balance'))
      .addOption(opt('--comp-rate <ratio>', 'default compensation rate: a fraction (0.2) or a percentage (20%)', '0'))
      .addOption(opt('--verified', 'mark the candidate verified')),
  ).action(addCandidate);
  genesisCommand(genesis, 'add-delegation', 'add a delegation to a genesis candidate (not taken from a balance; no stake limits)')
    .addOption(required('--delegator <address|key>', 'the delegator'))
    .addOption(required('--candidate <address|key>', 'the candidate'))
    .addOption(required('--amount <amount>', 'stake (CMT)'))
    .action(addDelegation);
  genesisCommand(genesis, 'validate', 'check the genesis as the node will at InitChain; prints the supply and the genesis validators').action(validate);
}
