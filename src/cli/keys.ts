/**
 * `cmtd keys add|import|list|show|export|delete NAME`: account keys as
 * Ethereum keystore v3 files in `<home>/keys/<name>.json`. Passwords come
 * from --password-file, CMTD_KEY_PASSWORD, or a prompt on a terminal.
 *
 * A new key is derived from a new BIP-39 mnemonic (24 words, path
 * m/44'/60'/0'/0/0, as MetaMask and the localnet's accounts): the words are
 * shown once, and `keys add NAME --recover` rebuilds the key from them.
 */
import { readFileSync, rmSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { HDNodeWallet, Mnemonic, randomBytes } from 'ethers';
import { getPassword, normalizePrivateKey, promptHidden, type KeyInfo } from '../keys/index.js';
import { keyStore } from './client.js';
import { parseWhole } from './amount.js';
import { opt } from './flags.js';
import { printJson, printTable } from './format.js';
import { homeOption, outputOption } from './options.js';

interface KeyFlags {
  home: string;
  output: string;
  passwordFile?: string;
}

interface ImportFlags extends KeyFlags {
  privateKey?: string;
  privateKeyFile?: string;
  keystore?: string;
}

interface ExportFlags extends KeyFlags {
  unsafeExportPrivateKey?: boolean;
}

interface AddFlags extends KeyFlags {
  recover?: boolean;
  mnemonicFile?: string;
  index: string;
}

interface DeleteFlags extends KeyFlags {
  yes?: boolean;
}

/** The BIP-44 path of Ethereum account `index`, as MetaMask and Hardhat derive it. */
function accountPath(index: number): string {
  return `m/44'/60'/0'/0/${index}`;
}

async function readMnemonic(flags: AddFlags): Promise<Mnemonic> {
  let phrase: string;
  if (flags.mnemonicFile !== undefined) {
    try {
      phrase = readFileSync(flags.mnemonicFile, 'utf8');
    } catch (err) {
      throw new Error(`cannot read --mnemonic-file ${flags.mnemonicFile}: ${(err as Error).message}`);
    }
  } else if (process.stdin.isTTY) phrase = await promptHidden('Mnemonic (the words, separated by spaces): ');
  else throw new Error('--recover needs the words: pass --mnemonic-file FILE, or run in a terminal to type them');
  const words = phrase.trim().toLowerCase().split(/\s+/).join(' ');
  if (!Mnemonic.isValidMnemonic(words)) throw new Error('that is not a valid BIP-39 mnemonic (12 to 24 English words with a valid checksum): check the words and their order');
  return Mnemonic.fromPhrase(words);
}

function printKey(key: KeyInfo, flags: KeyFlags, verb: string): void {
  if (flags.output === 'json') printJson({ name: key.name, address: key.address, path: key.path });
  else process.stdout.write(`${verb} key '${key.name}': ${key.address}\n  ${key.path}\n`);
}

async function add(name: string, flags: AddFlags): Promise<void> {
  const store = keyStore(flags.home);
  if (store.has(name)) throw new Error(`a key named '${name}' already exists (${store.path(name)}); pick another name`);
  if (flags.recover !== true && flags.mnemonicFile !== undefined) throw new Error('--mnemonic-file is for --recover: add --recover to rebuild a key from its words');
  const index = Number(parseWhole(flags.index, '--index'));
  if (index >= 2 ** 31) throw new Error(`--index must be below 2^31, got ${flags.index}`);
  const mnemonic = flags.recover === true ? await readMnemonic(flags) : Mnemonic.fromEntropy(randomBytes(32));
  const wallet = HDNodeWallet.fromMnemonic(mnemonic, accountPath(index));
  const password = await getPassword({ file: flags.passwordFile, purpose: `the new key '${name}'`, create: true });
  const key = await store.add(name, wallet.privateKey, password);
  if (flags.recover === true) return printKey(key, flags, 'recovered');
  if (flags.output === 'json') {
    printJson({ name: key.name, address: key.address, path: key.path, mnemonic: mnemonic.phrase, derivationPath: accountPath(index) });
    return;
  }
  printKey(key, flags, 'created');
  process.stdout.write(
    `\n  write these ${mnemonic.phrase.split(' ').length} words down and keep them secret: they rebuild the key ('cmtd keys add NAME --recover'),\n` +
      `  and anyone who has them owns the account. They are not shown again.\n\n  ${mnemonic.phrase}\n\n`,
  );
}

async function deleteKey(name: string, flags: DeleteFlags): Promise<void> {
  const store = keyStore(flags.home);
  const key = store.info(name); // says so when there is no such key
  if (flags.yes !== true) {
    if (!process.stdin.isTTY) throw new Error(`deleting key '${name}' (${key.address}) cannot be undone: pass --yes to confirm`);
    const answer = await promptHidden(`Delete key '${name}' (${key.address})? Without a backup or its mnemonic the account is lost. Type the key name to confirm: `);
    if (answer.trim() !== name) throw new Error('not confirmed: nothing deleted');
  }
  rmSync(store.path(name));
  if (flags.output === 'json') printJson({ name, address: key.address, deleted: true });
  else process.stdout.write(`deleted key '${name}': ${key.address}\n`);
}

async function importKey(name: string, flags: ImportFlags): Promise<void> {
  const store = keyStore(flags.home);
  if (store.has(name)) throw new Error(`a key named '${name}' already exists (${store.path(name)}); pick another name`);
  const sources = [flags.privateKey, flags.privateKeyFile, flags.keystore].filter((s) => s !== undefined);
  if (sources.length > 1) throw new Error('give one of --private-key, --private-key-file and --keystore');
  let key: KeyInfo;
  if (flags.keystore !== undefined) {
    let json: string;
    try {
      json = readFileSync(flags.keystore, 'utf8');
    } catch (err) {
      throw new Error(`cannot read --keystore ${flags.keystore}: ${(err as Error).message}`);
    }
    const password = await getPassword({ file: flags.passwordFile, purpose: `the keystore ${flags.keystore}` });
    key = await store.importKeystore(name, json, password);
  } else {
    let raw: string;
    if (flags.privateKey !== undefined) raw = flags.privateKey;
    else if (flags.privateKeyFile !== undefined) {
      try {
        raw = readFileSync(flags.privateKeyFile, 'utf8');
      } catch (err) {
        throw new Error(`cannot read --private-key-file ${flags.privateKeyFile}: ${(err as Error).message}`);
      }
    } else if (process.stdin.isTTY) raw = await promptHidden('Private key (hex): ');
    else throw new Error('nothing to import: pass --private-key-file FILE (hex private key), --keystore FILE (keystore v3), or run in a terminal to paste the key');
    const privateKey = normalizePrivateKey(raw);
    const password = await getPassword({ file: flags.passwordFile, purpose: `the key '${name}'`, create: true });
    key = await store.add(name, privateKey, password);
  }
  printKey(key, flags, 'imported');
}

function list(flags: KeyFlags): void {
  const store = keyStore(flags.home);
  const keys = store.list();
  if (flags.output === 'json') {
    printJson(keys.map((k) => ({ name: k.name, address: k.address })));
    return;
  }
  if (keys.length === 0) {
    process.stdout.write(`no keys in ${store.dir}: create one with 'cmtd keys add NAME' or import one with 'cmtd keys import NAME'\n`);
    return;
  }
  printTable(
    ['name', 'address'],
    keys.map((k) => [k.name, k.address]),
  );
}

function show(name: string, flags: KeyFlags): void {
  const key = keyStore(flags.home).info(name);
  if (flags.output === 'json') printJson({ name: key.name, address: key.address });
  else process.stdout.write(`${key.address}\n`);
}

async function exportKey(name: string, flags: ExportFlags): Promise<void> {
  const store = keyStore(flags.home);
  if (flags.unsafeExportPrivateKey !== true) {
    // The keystore file itself: encrypted, safe to back up.
    const json = store.read(name);
    process.stdout.write(json.endsWith('\n') ? json : `${json}\n`);
    return;
  }
  const password = await getPassword({ file: flags.passwordFile, purpose: `key '${name}'` });
  const wallet = await store.unlock(name, password);
  if (flags.output === 'json') printJson({ name, address: wallet.address, privateKey: wallet.privateKey });
  else process.stdout.write(`${wallet.privateKey}\n`);
}

function passwordFileOption(): Option {
  return opt('--password-file <file>', `file whose first line is the password (else CMTD_KEY_PASSWORD, else a prompt on a terminal)`);
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('account keys: Ethereum keystore v3 files in <home>/keys');
  const common = (c: Command): Command => c.addOption(homeOption()).addOption(outputOption());
  common(keys.command('add <name>').description('create a new key from a new mnemonic (shown once), or rebuild one from its mnemonic with --recover'))
    .addOption(passwordFileOption())
    .addOption(opt('--recover', 'rebuild the key from its BIP-39 mnemonic (from --mnemonic-file, else a prompt)'))
    .addOption(opt('--mnemonic-file <file>', 'file holding the mnemonic words, for --recover'))
    .addOption(opt('--index <n>', "account index in the mnemonic's path m/44'/60'/0'/0/<n>", '0'))
    .action(add);
  common(keys.command('import <name>').description('store an existing key: a hex private key, or a keystore v3 file (which keeps its password)'))
    .addOption(opt('--private-key-file <file>', 'file holding the private key in hex'))
    .addOption(opt('--private-key <hex>', 'the private key in hex (visible in shell history and ps: prefer --private-key-file)'))
    .addOption(opt('--keystore <file>', 'a keystore v3 file (geth, MetaMask, ethers); the password opens it'))
    .addOption(passwordFileOption())
    .action(importKey);
  common(keys.command('list').description('names and addresses of the stored keys')).action(list);
  common(keys.command('show <name>').description("a key's address")).action(show);
  common(keys.command('export <name>').description('print the keystore file (encrypted); the private key only with --unsafe-export-private-key'))
    .addOption(passwordFileOption())
    // Deliberately no environment variable: printing a private key must be asked for each time.
    .addOption(new Option('--unsafe-export-private-key', 'print the private key in hex instead: anyone who sees it owns the account'))
    .action(exportKey);
  common(keys.command('delete <name>').description('delete a key file (asks first; --yes in scripts)'))
    // Deliberately no environment variable: deleting a key must be asked for each time.
    .addOption(new Option('--yes', 'delete without asking'))
    .action(deleteKey);
}
