/**
 * One CmtdApp over a real CommittedStore (LevelDB) with the real modules,
 * fed FinalizeBlock requests in-process: for tests that need the whole
 * chain (staking ledger, supply) but no CometBFT.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet, getCreateAddress, type TransactionRequest } from 'ethers';
import type { ExecTxResult, ResponseFinalizeBlock } from '../../src/abci/types.js';
import { CmtdApp, type AppOptions } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import type { Address } from '../../src/util/address.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../../src/system/types.js';
import { decodeReceipt, type Receipt } from '../../src/tx/receipt.js';
import { FEE_POOL_ADDRESS } from '../../src/evm/engine.js';
import { silentLogger } from '../../src/util/logger.js';

export const CMT = 10n ** 18n;
export const GWEI = 10n ** 9n;
export const T0 = 1_000n;

export interface SupplyJson {
  supply: string;
  staked: string;
  unstaking: string;
  held_by_proposals: string;
  carried_dust: string;
  burned: string;
}

/** A signer with a tracked nonce. */
export class Account {
  nonce = 0;
  readonly address: Address;
  constructor(readonly wallet: Wallet) {
    this.address = wallet.address.toLowerCase() as Address;
  }

  static fromSeed(seed: string): Account {
    return new Account(new Wallet(`0x${createHash('sha256').update(seed).digest('hex')}`));
  }

  /** The next contract address this account creates. */
  nextContract(): Address {
    return getCreateAddress({ from: this.address, nonce: this.nonce }).toLowerCase() as Address;
  }

  async sign(request: TransactionRequest): Promise<Uint8Array> {
    const signed = await this.wallet.signTransaction({ type: 0, chainId: 18n, gasPrice: 2n * GWEI, gasLimit: 3_000_000n, value: 0n, nonce: this.nonce++, ...request });
    return Buffer.from(signed.slice(2), 'hex');
  }
}

export interface BlockResult {
  response: ResponseFinalizeBlock;
  results: ExecTxResult[];
  receipts: Receipt[];
  /** Commit's retain_height. */
  retainHeight: bigint;
}

/** Extra app options: snapshots, retention (state-sync tests). */
export type AppNodeOptions = Partial<Pick<AppOptions, 'snapshots' | 'retention'>> & { stateHistory?: number };

export class AppNode {
  store!: CommittedStore;
  app!: CmtdApp;
  height = 0n;
  readonly dir = mkdtempSync(join(tmpdir(), 'cmtd-app-node-'));

  async open(appState: unknown, options: AppNodeOptions = {}): Promise<void> {
    await this.openEmpty(options);
    await this.app.initChain({
      time: { seconds: T0, nanos: 0 },
      chainId: 'system-calls',
      consensusParams: { block: { maxBytes: 1_000_000n, maxGas: -1n } },
      validators: [],
      appStateBytes: Buffer.from(JSON.stringify(appState)),
      initialHeight: 1n,
    });
  }

  /** Opens the store and the app without InitChain (a node about to state sync); `snapshots` may use `this.store` once open. */
  async openEmpty(options: AppNodeOptions | ((store: CommittedStore) => AppNodeOptions) = {}): Promise<void> {
    const history = typeof options === 'function' ? undefined : options.stateHistory;
    this.store = await CommittedStore.open(join(this.dir, 'state.db'), history === undefined ? {} : { stateHistory: history });
    const o = typeof options === 'function' ? options(this.store) : options;
    const { stateHistory: _history, ...appOptions } = o;
    this.app = new CmtdApp({ store: this.store, modules: createModules(), logger: silentLogger(), ...appOptions });
    await this.app.open();
    this.height = this.store.height;
  }

  async close(): Promise<void> {
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Executes and commits one block of raw transactions. */
  async block(txs: Uint8Array[]): Promise<BlockResult> {
    this.height += 1n;
    const response = await this.app.finalizeBlock({
      txs,
      decidedLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      hash: createHash('sha256').update(`block-${this.height}`).digest(),
      height: this.height,
      time: { seconds: T0 + this.height * 5n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    });
    const { retainHeight } = await this.app.commit();
    const results = response.txResults;
    return {
      response,
      retainHeight,
      results,
      receipts: results.map((r) => (r.data !== undefined && r.data.length > 0 ? decodeReceipt(r.data) : (undefined as unknown as Receipt))),
    };
  }

  async json<T>(path: string): Promise<T> {
    const r = await this.app.query({ path, data: new Uint8Array(0), height: 0n, prove: false });
    assert.equal(r.code, 0, `${path}: ${r.log}`);
    return JSON.parse(Buffer.from(r.value!).toString('utf8')) as T;
  }

  async balance(address: Address): Promise<bigint> {
    return BigInt((await this.json<{ balance: string }>(`/account/${address}`)).balance);
  }

  /**
   * The supply identity (SPEC 5.3) over the accounts given (every account
   * that can hold CMT must be listed): supply = Σ balances + stakes +
   * held + dust; and the system addresses hold nothing.
   */
  async assertConservation(accounts: readonly Address[]): Promise<SupplyJson> {
    const s = await this.json<SupplyJson>('/supply');
    let balances = 0n;
    for (const a of new Set([...accounts, STAKING_ADDRESS, GOVERNANCE_ADDRESS, FEE_POOL_ADDRESS])) balances += await this.balance(a);
    assert.equal(BigInt(s.supply), balances + BigInt(s.staked) + BigInt(s.held_by_proposals) + BigInt(s.carried_dust), 'supply = Σ balances + staked + held + dust');
    assert.equal(await this.balance(STAKING_ADDRESS), 0n, 'the staking address holds no CMT');
    assert.equal(await this.balance(GOVERNANCE_ADDRESS), 0n, 'the governance address holds no CMT');
    return s;
  }
}
