/**
 * Issue 19.3: the EVM's code cache never answers before the store (a node
 * whose cache was warmed by an eth_call must not run code a cold node
 * cannot), and InitChain refuses a genesis state in which an account's code
 * hash has no code record or a code record does not hash to its key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CmtdApp } from '../../src/app/app.js';
import { parseAppGenesis, specSeal, EXACT_STATE_FORMAT } from '../../src/app/genesis.js';
import { createModules } from '../../src/app/wiring.js';
import { GenesisStateError, verifyGenesisCode } from '../../src/evm/genesis.js';
import { codeKey, readCode, writeCode } from '../../src/evm/state.js';
import { encodeAccount } from '../../src/state/accounts.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { Overlay } from '../../src/store/kv.js';
import { keccak256 } from '../../src/util/crypto.js';
import { silentLogger } from '../../src/util/logger.js';

const CODE = new Uint8Array([0x60, 0x01, 0x60, 0x00, 0x55, 0x00]); // SSTORE(0, 1)

describe('EVM code and the store', () => {
  it('reads code from the store even when the cache holds it (a warm node agrees with a cold one)', () => {
    const warm = new Overlay({ get: () => undefined });
    const hash = writeCode(warm, CODE);
    assert.deepEqual(readCode(warm, hash), CODE); // warms the process-wide cache
    const cold = new Overlay({ get: () => undefined }); // same hash, no code record
    assert.throws(() => readCode(cold, hash), /no code for hash/);
    // Where the store has it, the cached instance is returned (jump analysis is cached by identity).
    const other = new Overlay({ get: () => undefined });
    writeCode(other, CODE.slice());
    assert.equal(readCode(other, hash), readCode(warm, hash));
  });

  it('verifyGenesisCode accepts consistent code and refuses missing or mislabelled code', () => {
    const state = new Overlay({ get: () => undefined });
    const hash = writeCode(state, CODE);
    state.set('a/' + '11'.repeat(20), encodeAccount({ nonce: 1n, balance: 0n, codeHash: hash }));
    verifyGenesisCode(state.sortedChanges(), state);

    const missing = new Overlay({ get: () => undefined });
    missing.set('a/' + '22'.repeat(20), encodeAccount({ nonce: 1n, balance: 0n, codeHash: keccak256(new Uint8Array([1])) }));
    assert.throws(
      () => verifyGenesisCode(missing.sortedChanges(), missing),
      (e: unknown) => e instanceof GenesisStateError && /no code record/.test(e.message),
    );

    const mislabelled = new Overlay({ get: () => undefined });
    mislabelled.set(codeKey(keccak256(new Uint8Array([1]))), CODE);
    assert.throws(
      () => verifyGenesisCode(mislabelled.sortedChanges(), mislabelled),
      (e: unknown) => e instanceof GenesisStateError && /keccak-256/.test(e.message),
    );
  });

  it('InitChain refuses a sealed exported state whose account has no code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmtd-code-genesis-'));
    const store = await CommittedStore.open(join(dir, 'state.db'));
    try {
      const spec = { accounts: [{ address: '0x' + '33'.repeat(20), balance: '1000' }] };
      const records: Array<[string, Uint8Array | null]> = [['a/' + '44'.repeat(20), encodeAccount({ nonce: 1n, balance: 0n, codeHash: keccak256(CODE) })]];
      const seal = specSeal(parseAppGenesis(Buffer.from(JSON.stringify(spec))), records);
      const appState = {
        ...spec,
        exact_state: {
          format: EXACT_STATE_FORMAT,
          seal,
          records: Object.fromEntries(records.map(([k, v]) => [k, v === null ? null : `0x${Buffer.from(v).toString('hex')}`])),
        },
      };
      const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
      const init = (state: unknown): Promise<unknown> =>
        app.initChain({ time: { seconds: 0n, nanos: 0 }, chainId: 'x', validators: [], appStateBytes: Buffer.from(JSON.stringify(state)), initialHeight: 1n });
      await assert.rejects(init(appState), /no code record/);
      // With the code record (and a seal over it) the same state loads.
      const withCode: Array<[string, Uint8Array | null]> = [...records, [codeKey(keccak256(CODE)), CODE]]; // ascending keys, as the loader sorts them
      const fixed = {
        ...appState,
        exact_state: {
          ...appState.exact_state,
          seal: specSeal(parseAppGenesis(Buffer.from(JSON.stringify(spec))), withCode),
          records: Object.fromEntries(withCode.map(([k, v]) => [k, v === null ? null : `0x${Buffer.from(v).toString('hex')}`])),
        },
      };
      await init(fixed);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
