/**
 * `cmtd keys add|import|list|show|export NAME`: account keys as Ethereum
 * keystore v3 files in `<home>/keys/<name>.json`. Passwords come from
 * --password-file, CMTD_KEY_PASSWORD, or a prompt on a terminal.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { Wallet } from 'ethers';
import { getPassword, normalizePrivateKey, promptHidden, type KeyInfo } from '../keys/index.js';
import { keyStore } from './client.js';
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

function printKey(key: KeyInfo, flags: KeyFlags, verb: string): void {
  if (flags.output === 'json') printJson({ name: key.name, address: key.address, path: key.path });
  else process.stdout.write(`${verb} key '${key.name}': ${key.address}\n  ${key.path}\n`);
}

async function add(name: string, flags: KeyFlags): Promise<void> {
  const store = keyStore(flags.home);
  if (store.has(name)) throw new Error(`a key named '${name}' already exists (${store.path(name)}); pick another name`);
  const password = await getPassword({ file: flags.passwordFile, purpose: `the new key '${name}'`, create: true });
  const key = await store.add(name, Wallet.createRandom().privateKey, password);
  printKey(key, flags, 'created');
  if (flags.output !== 'json') process.stdout.write("  back up the file (or 'cmtd keys export' it): without it and its password the account is lost\n");
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
  printTable(['name', 'address'], keys.map((k) => [k.name, k.address]));
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
  common(keys.command('add <name>').description('create a new random key, encrypted with a password'))
    .addOption(passwordFileOption())
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
}
