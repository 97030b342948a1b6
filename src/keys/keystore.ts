/**
 * Account keys of the command line: Ethereum keystore v3 files (scrypt,
 * AES-128-CTR, as geth, MetaMask and ethers write them), one per name, in
 * `<home>/keys/<name>.json`, readable by the owner only.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getAddress, isKeystoreJson, Wallet } from 'ethers';

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

export interface KeyInfo {
  name: string;
  /** Checksummed 0x address. */
  address: string;
  /** The keystore file. */
  path: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkKeyName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new KeyError(`'${name}' is not a valid key name: use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)`);
  }
}

/** The address a keystore file records (not checked against the key until it is decrypted). */
export function keystoreAddress(json: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new KeyError(`not a keystore file: ${(err as Error).message}`);
  }
  if (!isKeystoreJson(json)) throw new KeyError('not an Ethereum keystore v3 file (expected version 3 with crypto/Crypto)');
  const raw = (parsed as { address?: unknown }).address;
  if (typeof raw !== 'string') throw new KeyError('the keystore file records no address');
  return getAddress(raw.startsWith('0x') ? raw : `0x${raw}`);
}

/** A 32-byte secp256k1 private key as 0x hex, from hex with or without 0x. */
export function normalizePrivateKey(raw: string): string {
  const text = raw.trim();
  const hex = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new KeyError('a private key is 32 bytes of hex (64 hex digits, optionally with 0x)');
  try {
    return new Wallet(`0x${hex.toLowerCase()}`).privateKey;
  } catch {
    throw new KeyError('that is not a valid secp256k1 private key');
  }
}

export interface KeyStoreOptions {
  /** Appended to hints in error messages, e.g. ' --home /tmp/x' when not the default home. */
  homeHint?: string;
}

export class KeyStore {
  private readonly homeHint: string;

  constructor(
    readonly dir: string,
    options: KeyStoreOptions = {},
  ) {
    this.homeHint = options.homeHint ?? '';
  }

  path(name: string): string {
    checkKeyName(name);
    return join(this.dir, `${name}.json`);
  }

  has(name: string): boolean {
    return existsSync(this.path(name));
  }

  /** Every key, sorted by name; files that are not keystores are skipped. */
  list(): KeyInfo[] {
    if (!existsSync(this.dir)) return [];
    const out: KeyInfo[] = [];
    for (const file of readdirSync(this.dir).sort()) {
      if (!file.endsWith('.json')) continue;
      const name = file.slice(0, -'.json'.length);
      if (!NAME_RE.test(name)) continue;
      try {
        out.push(this.info(name));
      } catch {
        // not a keystore: not ours to list
      }
    }
    return out;
  }

  info(name: string): KeyInfo {
    const path = this.path(name);
    return { name, address: keystoreAddress(this.read(name)), path };
  }

  /** The key whose address is `address`, if any. */
  findByAddress(address: string): KeyInfo | undefined {
    const wanted = address.toLowerCase();
    return this.list().find((k) => k.address.toLowerCase() === wanted);
  }

  /** The keystore JSON text of a key. */
  read(name: string): string {
    const path = this.path(name);
    if (!existsSync(path)) {
      const known = existsSync(this.dir) ? this.list().map((k) => k.name) : [];
      throw new KeyError(
        `no key named '${name}' in ${this.dir}: create one with 'cmtd keys add ${name}${this.homeHint}' or import one with 'cmtd keys import ${name}${this.homeHint}'` +
          (known.length > 0 ? ` (keys there: ${known.join(', ')})` : ''),
      );
    }
    return readFileSync(path, 'utf8');
  }

  /** Encrypts `privateKey` with `password` (scrypt, ethers' defaults) and writes it under `name`. */
  async add(name: string, privateKey: string, password: string): Promise<KeyInfo> {
    this.refuseExisting(name);
    const wallet = new Wallet(normalizePrivateKey(privateKey));
    if (this.findByAddress(wallet.address) !== undefined) {
      throw new KeyError(`the key of ${wallet.address} is already stored as '${this.findByAddress(wallet.address)!.name}'`);
    }
    const json = await wallet.encrypt(password);
    return this.write(name, json);
  }

  /** Stores an existing keystore file under `name` after checking that `password` opens it; it keeps its password. */
  async importKeystore(name: string, json: string, password: string): Promise<KeyInfo> {
    this.refuseExisting(name);
    const recorded = keystoreAddress(json);
    const wallet = await decrypt(json, password, 'the keystore file');
    if (wallet.address !== recorded) throw new KeyError(`the keystore file records ${recorded} but its key is ${wallet.address}`);
    const existing = this.findByAddress(wallet.address);
    if (existing !== undefined) throw new KeyError(`the key of ${wallet.address} is already stored as '${existing.name}'`);
    return this.write(name, json);
  }

  /** Decrypts a key. */
  async unlock(name: string, password: string): Promise<Wallet> {
    return decrypt(this.read(name), password, `key '${name}'`);
  }

  private refuseExisting(name: string): void {
    if (this.has(name)) throw new KeyError(`a key named '${name}' already exists (${this.path(name)}); pick another name`);
  }

  private write(name: string, json: string): KeyInfo {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = this.path(name);
    writeFileSync(path, json.endsWith('\n') ? json : `${json}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return this.info(name);
  }
}

async function decrypt(json: string, password: string, what: string): Promise<Wallet> {
  let wallet;
  try {
    wallet = await Wallet.fromEncryptedJson(json, password);
  } catch (err) {
    const message = (err as Error).message;
    if (/incorrect password/i.test(message)) throw new KeyError(`wrong password for ${what}`);
    throw new KeyError(`cannot decrypt ${what}: ${message}`);
  }
  // A keystore written with a mnemonic decrypts to an HD wallet; signing needs only its key.
  return new Wallet(wallet.privateKey);
}
