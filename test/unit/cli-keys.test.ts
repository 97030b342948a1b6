/** `cmtd keys`: keystore v3 files round trip, with the password from a file or from CMTD_KEY_PASSWORD. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Wallet } from 'ethers';
import { getPassword, KeyStore, readPasswordFile } from '../../src/keys/index.js';
import { DEV_MNEMONIC, devAccounts } from '../../src/localnet/network.js';

const run = promisify(execFile);

/** A well-known test key (Hardhat/Anvil account 1): never holds real funds. */
const TEST_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const TEST_ADDRESS = new Wallet(TEST_KEY).address;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without a terminal and with only the environment given (no CMTD_* leaking in). */
async function cmtd(args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('cmtd keys', () => {
  let dir: string;
  let home: string;
  let passwordFile: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-cli-keys-'));
    home = join(dir, 'home');
    passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, 'correct horse battery staple\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports a private key with the password from a file and exports it back only when asked', async () => {
    const keyFile = join(dir, 'alice.hex');
    writeFileSync(keyFile, `${TEST_KEY.slice(2)}\n`); // without 0x: accepted too
    const imported = await cmtd(['keys', 'import', 'alice', '--home', home, '--private-key-file', keyFile, '--password-file', passwordFile, '--output', 'json']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal((JSON.parse(imported.stdout) as { address: string }).address, TEST_ADDRESS);

    const path = join(home, 'keys', 'alice.json');
    assert.equal(statSync(path).mode & 0o777, 0o600, 'only the owner may read a key file');
    const keystore = JSON.parse(readFileSync(path, 'utf8')) as { version: number; address: string; Crypto?: { kdf: string } };
    assert.equal(keystore.version, 3);
    assert.equal(keystore.Crypto?.kdf, 'scrypt');
    assert.ok(!readFileSync(path, 'utf8').includes(TEST_KEY.slice(2)), 'the private key is not stored in the clear');

    const shown = await cmtd(['keys', 'show', 'alice', '--home', home]);
    assert.equal(shown.stdout.trim(), TEST_ADDRESS);

    // Without the flag, export prints the (encrypted) keystore, never the key.
    const safe = await cmtd(['keys', 'export', 'alice', '--home', home]);
    assert.equal(safe.code, 0, safe.stderr);
    assert.ok(!safe.stdout.includes(TEST_KEY.slice(2)));
    assert.equal(JSON.parse(safe.stdout).address, keystore.address);

    const unsafe = await cmtd(['keys', 'export', 'alice', '--home', home, '--unsafe-export-private-key', '--password-file', passwordFile]);
    assert.equal(unsafe.code, 0, unsafe.stderr);
    assert.equal(unsafe.stdout.trim(), TEST_KEY);

    const wrong = await cmtd(['keys', 'export', 'alice', '--home', home, '--unsafe-export-private-key'], { CMTD_KEY_PASSWORD: 'wrong' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong password for key 'alice'/);
  });

  it('creates a key with the password from CMTD_KEY_PASSWORD, lists it, and decrypts it with the same password', async () => {
    const added = await cmtd(['keys', 'add', 'bob', '--home', home, '--output', 'json'], { CMTD_KEY_PASSWORD: 'env secret' });
    assert.equal(added.code, 0, added.stderr);
    const bob = (JSON.parse(added.stdout) as { address: string }).address;

    const listed = await cmtd(['keys', 'list', '--home', home, '--output', 'json']);
    assert.deepEqual(JSON.parse(listed.stdout), [
      { name: 'alice', address: TEST_ADDRESS },
      { name: 'bob', address: bob },
    ]);

    const exported = await cmtd(['keys', 'export', 'bob', '--home', home, '--unsafe-export-private-key', '--output', 'json'], { CMTD_KEY_PASSWORD: 'env secret' });
    assert.equal(exported.code, 0, exported.stderr);
    const { privateKey } = JSON.parse(exported.stdout) as { privateKey: string };
    assert.equal(new Wallet(privateKey).address, bob);

    // The same keystore, in process: the library the CLI uses.
    const wallet = await new KeyStore(join(home, 'keys')).unlock('bob', 'env secret');
    assert.equal(wallet.address, bob);
  });

  it('imports a keystore file, which keeps its own password', async () => {
    const other = new Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
    const file = join(dir, 'geth-style.json');
    writeFileSync(file, await other.encrypt('its own password'));
    const wrong = await cmtd(['keys', 'import', 'carol', '--home', home, '--keystore', file, '--password-file', passwordFile]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong password for the keystore file/);
    const ok = await cmtd(['keys', 'import', 'carol', '--home', home, '--keystore', file], { CMTD_KEY_PASSWORD: 'its own password' });
    assert.equal(ok.code, 0, ok.stderr);
    const wallet = await new KeyStore(join(home, 'keys')).unlock('carol', 'its own password');
    assert.equal(wallet.address, other.address);
  });

  it('says what to do when something is missing', async () => {
    const missing = await cmtd(['keys', 'show', 'dave', '--home', home]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no key named 'dave' in .*keys: create one with 'cmtd keys add dave --home .*' or import one/);

    const noPassword = await cmtd(['keys', 'add', 'erin', '--home', home]);
    assert.equal(noPassword.code, 1);
    assert.match(noPassword.stderr, /needs a password: pass --password-file FILE, set CMTD_KEY_PASSWORD, or run in a terminal/);

    const taken = await cmtd(['keys', 'add', 'alice', '--home', home], { CMTD_KEY_PASSWORD: 'x' });
    assert.match(taken.stderr, /a key named 'alice' already exists/);

    const badKey = join(dir, 'bad.hex');
    writeFileSync(badKey, 'not a key');
    const bad = await cmtd(['keys', 'import', 'frank', '--home', home, '--private-key-file', badKey], { CMTD_KEY_PASSWORD: 'x' });
    assert.match(bad.stderr, /a private key is 32 bytes of hex/);
  });

  it("shows a new key's mnemonic once, deletes the key only when confirmed, and recovers it from the words", async () => {
    const added = await cmtd(['keys', 'add', 'gina', '--home', home, '--output', 'json'], { CMTD_KEY_PASSWORD: 'g' });
    assert.equal(added.code, 0, added.stderr);
    const { address, mnemonic } = JSON.parse(added.stdout) as { address: string; mnemonic: string };
    assert.equal(mnemonic.split(' ').length, 24);

    const refused = await cmtd(['keys', 'delete', 'gina', '--home', home]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /cannot be undone: pass --yes to confirm/);
    assert.ok(statSync(join(home, 'keys', 'gina.json')).isFile());
    const deleted = await cmtd(['keys', 'delete', 'gina', '--yes', '--home', home]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /deleted key 'gina'/);
    const listed = JSON.parse((await cmtd(['keys', 'list', '--home', home, '--output', 'json'])).stdout) as Array<{ name: string }>;
    assert.ok(!listed.some((k) => k.name === 'gina') && listed.some((k) => k.name === 'alice'));
    const missing = await cmtd(['keys', 'delete', 'gina', '--yes', '--home', home]);
    assert.match(missing.stderr, /no key named 'gina'/);

    const words = join(dir, 'gina.words');
    writeFileSync(words, `  ${mnemonic.toUpperCase()}\n`); // case and spacing do not matter
    const recovered = await cmtd(['keys', 'add', 'gina', '--recover', '--mnemonic-file', words, '--home', home, '--output', 'json'], { CMTD_KEY_PASSWORD: 'g2' });
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.equal((JSON.parse(recovered.stdout) as { address: string }).address, address);
    assert.ok(!recovered.stdout.includes(mnemonic.split(' ')[0]!), 'a recovery does not print the words back');

    // Account 5 of the development mnemonic, by its index in the path (accounts 1 and 2 are stored already).
    const devWords = join(dir, 'dev.words');
    writeFileSync(devWords, DEV_MNEMONIC);
    const dev = await cmtd(['keys', 'add', 'dev5', '--recover', '--mnemonic-file', devWords, '--index', '5', '--home', home, '--output', 'json'], { CMTD_KEY_PASSWORD: 'd' });
    assert.equal(dev.code, 0, dev.stderr);
    assert.equal((JSON.parse(dev.stdout) as { address: string }).address.toLowerCase(), devAccounts(6)[5]!.address);

    writeFileSync(words, mnemonic.split(' ').reverse().join(' '));
    const bad = await cmtd(['keys', 'add', 'gina3', '--recover', '--mnemonic-file', words, '--home', home], { CMTD_KEY_PASSWORD: 'g3' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a valid BIP-39 mnemonic/);
    const noWords = await cmtd(['keys', 'add', 'gina3', '--recover', '--home', home], { CMTD_KEY_PASSWORD: 'g3' });
    assert.match(noWords.stderr, /--recover needs the words: pass --mnemonic-file FILE/);
  });

  it('takes the password file first, then the environment, and refuses an empty new password', async () => {
    const file = join(dir, 'pw-crlf');
    writeFileSync(file, 'from file\r\nsecond line ignored\n');
    assert.equal(readPasswordFile(file), 'from file');
    assert.equal(await getPassword({ file, purpose: 'k', env: { CMTD_KEY_PASSWORD: 'from env' } }), 'from file');
    assert.equal(await getPassword({ purpose: 'k', env: { CMTD_KEY_PASSWORD: 'from env' } }), 'from env');
    await assert.rejects(getPassword({ purpose: 'k', create: true, env: { CMTD_KEY_PASSWORD: '' } }), /must not be empty/);
  });
});
