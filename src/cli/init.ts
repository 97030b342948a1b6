/**
 * `cmtd init`: a new node home.
 *
 *   <home>/                      (default ~/.cmtd)
 *     data/                      cmtd's state (data/state.db, written by `cmtd start`)
 *     keys/                      account keys, keystore v3 (`cmtd keys`)
 *     cometbft/                  CometBFT's home, when a cometbft binary is available:
 *       config/config.toml       proxy_app unix://<home>/abci.sock (cmtd start's default)
 *       config/genesis.json      chain id, this node as the CometBFT validator, app_state = defaults,
 *                                consensus_params.block.max_gas = the default block_gas_limit
 *       config/priv_validator_key.json, node_key.json
 *       data/
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { cometbftBinary, cometbftInit, readValidatorKey, setTomlValue } from '../localnet/cometbft.js';
import { DEFAULT_BLOCK_GAS_LIMIT } from '../state/params.js';
import { cometHomeOf, defaultAbciAddress, homeHint, keysDir } from './client.js';
import { opt } from './flags.js';
import { printJson } from './format.js';
import { defaultAppState, readGenesisFile, validateGenesisDoc, writeGenesisFile } from './genesis.js';
import { homeOption, outputOption } from './options.js';

interface InitFlags {
  home: string;
  chainId: string;
  moniker: string;
  cometHome?: string;
  output: string;
}

export interface InitResult {
  home: string;
  dataDir: string;
  keysDir: string;
  /** Absent when no cometbft binary was found. */
  cometHome?: string;
  genesis?: string;
  /** Base64 ed25519 key of the node's CometBFT validator. */
  validatorPubKey?: string;
  /** Why the CometBFT home was not created. */
  cometSkipped?: string;
}

function checkChainId(id: string): void {
  // CometBFT: at most 50 characters.
  if (id === '' || id.length > 50 || /\s/.test(id)) throw new Error(`--chain-id must be 1 to 50 characters without spaces, got '${id}'`);
}

export async function initHome(flags: InitFlags): Promise<InitResult> {
  checkChainId(flags.chainId);
  const home = resolve(flags.home);
  const cometHome = resolve(flags.cometHome ?? cometHomeOf(home));
  const genesisPath = join(cometHome, 'config', 'genesis.json');
  if (existsSync(genesisPath)) {
    throw new Error(`${genesisPath} exists already: this home is initialised (remove ${cometHome} to start over, or pick another --home)`);
  }
  const dataDir = join(home, 'data');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(keysDir(home), { recursive: true, mode: 0o700 });
  const result: InitResult = { home, dataDir, keysDir: keysDir(home) };

  let binary: string;
  try {
    binary = cometbftBinary();
  } catch (err) {
    result.cometSkipped = (err as Error).message;
    return result;
  }
  await cometbftInit(binary, cometHome);
  const configPath = join(cometHome, 'config', 'config.toml');
  let config = readFileSync(configPath, 'utf8');
  config = setTomlValue(config, '', 'moniker', flags.moniker);
  config = setTomlValue(config, '', 'proxy_app', defaultAbciAddress(home));
  config = setTomlValue(config, 'tx_index', 'indexer', 'kv'); // `cmtd tx` finds its transactions by hash
  writeFileSync(configPath, config);

  const doc = readGenesisFile(genesisPath);
  doc.chain_id = flags.chainId;
  doc.app_state = defaultAppState();
  // SPEC 9: CometBFT's block gas limit is the app's (its own default, -1, is unlimited).
  doc.consensus_params = { ...doc.consensus_params, block: { ...doc.consensus_params?.block, max_gas: DEFAULT_BLOCK_GAS_LIMIT.toString() } };
  for (const v of doc.validators ?? []) v.name = flags.moniker;
  validateGenesisDoc(doc); // the default must be one the node accepts
  writeGenesisFile(genesisPath, doc);
  return { ...result, cometHome, genesis: genesisPath, validatorPubKey: readValidatorKey(cometHome).pubKey };
}

function print(r: InitResult, flags: InitFlags): void {
  if (flags.output === 'json') {
    printJson(r);
    return;
  }
  const h = homeHint(flags.home);
  const lines = [
    `initialised ${r.home}`,
    `  data/      ${r.dataDir} (cmtd's state, written by 'cmtd start')`,
    `  keys/      ${r.keysDir} (account keys: 'cmtd keys')`,
  ];
  if (r.cometHome === undefined) {
    lines.push('', `no CometBFT home was created: ${r.cometSkipped ?? 'no cometbft binary'}`, "run 'cmtd init' again once cometbft is installed.");
  } else {
    const key = join(r.cometHome, 'config', 'priv_validator_key.json');
    const g = r.cometHome === cometHomeOf(r.home) ? h : `${h} --genesis ${r.genesis}`;
    lines.push(
      `  cometbft/  ${r.cometHome} (CometBFT home; genesis ${r.genesis})`,
      '',
      `chain '${flags.chainId}': this node (consensus key ${r.validatorPubKey}) is its only CometBFT validator; app_state has the default params and no accounts.`,
      'Next: fund accounts and make the node a staking candidate, then start both processes:',
      `  cmtd keys add operator${h}`,
      `  cmtd genesis add-account${g} --account operator --balance 1000000`,
      `  cmtd genesis add-candidate${g} --candidate operator --pub-key ${key} --max-stake 100000 --self-stake 10000 --comp-rate 20% --name ${flags.moniker}`,
      `  cmtd genesis validate${g}`,
      `  cmtd start --home ${r.home}`,
      `  cometbft node --home ${r.cometHome}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a node home: data and keys directories, and a CometBFT home with a genesis whose app_state has the defaults')
    .addOption(homeOption())
    .addOption(opt('--chain-id <id>', 'CometBFT chain id of the new chain', 'cmtd-1'))
    .addOption(opt('--moniker <name>', "this node's name", 'cmtd-node'))
    .addOption(opt('--comet-home <dir>', 'where to create the CometBFT home (default: <home>/cometbft)'))
    .addOption(outputOption())
    .action(async (flags: InitFlags) => print(await initHome(flags), flags));
}
