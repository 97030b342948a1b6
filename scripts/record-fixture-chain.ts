/**
 * Generates test/unit/fixtures/recorded-chain.jsonl.gz: a chain of a few
 * hundred blocks made by driving the real CmtdApp in process (InitChain,
 * FinalizeBlock, Commit), written in the recording format of `cmtd replay`
 * (docs/REPLAY.md), with the app hash of every height also listed in
 * test/unit/fixtures/recorded-chain.app-hashes.json for a readable diff.
 *
 *   npm run fixture:chain
 *
 * The blocks are the same on every run (deterministic keys, signatures,
 * times and scenario); only what the app answers (app hashes, results,
 * validator updates) can change. Regenerate ONLY for an intended change of
 * the state format, in the same commit, with the reason in the message
 * (docs/TESTING.md).
 *
 * The scenario: transfers every block (legacy and EIP-1559), a contract
 * deployed and called, calls that run out of gas or revert, a new
 * candidacy with its proof of possession, delegations, an enterprise
 * delegation, unstakes paid out at maturity, a validator missing blocks
 * until it is removed, evidence (several per block, against the same and
 * different validators), a re-activation, a withdrawn candidacy, a
 * governance param change that passes and one that expires, zero-price
 * transactions beyond the free slots, a full block, stale nonces and
 * undecodable bytes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Wallet, getCreateAddress } from 'ethers';
import { CmtdApp } from '../src/app/app.js';
import { createModules } from '../src/app/wiring.js';
import { CommittedStore } from '../src/store/committed-store.js';
import { STAKING_INTERFACE } from '../src/staking/index.js';
import { governanceInterface } from '../src/gov/index.js';
import { testPop, testPubKey } from '../test/support/staking-testkit.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../src/system/types.js';
import { silentLogger } from '../src/util/logger.js';
import {
  finalizeBlockRequest,
  initChainRequest,
  type RawBlock,
  type RawBlockResults,
  type RawEvidence,
  type RawGenesis,
  type RawHeader,
  type RawValidator,
} from '../src/replay/cometbft-json.js';
import { RECORDING_KIND, RECORDING_VERSION } from '../src/replay/source.js';
import type { ValidatorUpdate } from '../src/abci/types.js';
import { benchAccounts, signLegacyTx, type BenchAccount } from '../bench/lib/txgen.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURE_DIR = join(HERE, '..', 'test', 'unit', 'fixtures');
export const RECORDING_FILE = join(FIXTURE_DIR, 'recorded-chain.jsonl.gz');
export const APP_HASHES_FILE = join(FIXTURE_DIR, 'recorded-chain.app-hashes.json');

const CMT = 10n ** 18n;
const GWEI = 10n ** 9n;
const HEIGHTS = 240;
const CHAIN_ID = 'cmtd-fixture';
const GENESIS_SECONDS = Date.UTC(2026, 0, 1) / 1000;
/** JUMPDEST PUSH1 0 JUMP: loops until its gas runs out. */
const LOOP = '0x00000000000000000000000000000000000c0de1';
/** PUSH1 0 DUP1 REVERT: always reverts. */
const REVERTER = '0x00000000000000000000000000000000000c0de2';
/**
 * Creation code of a counter: each call adds 1 to slot 0 and logs the new
 * value (runtime PUSH1 0 SLOAD PUSH1 1 ADD DUP1 PUSH1 0 SSTORE PUSH1 0
 * MSTORE PUSH1 32 PUSH1 0 LOG0 STOP, copied out by the 11-byte prefix).
 */
const COUNTER_INIT = '601380600b6000396000f3' + '6000546001018060005560005260206000a000';

const accounts = benchAccounts(14, 'fixture-chain');
const acct = (i: number): BenchAccount => accounts[i]!;
const FOUNDATION = 13;
/** Accounts 0–5 are the genesis candidates; 6 declares later; 7–12 transact and delegate. */
const GENESIS_CANDIDATES = 6;

function hexUpper(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase();
}

function sha256(text: string | Uint8Array): Buffer {
  return createHash('sha256').update(text).digest();
}

/** CometBFT's ed25519 address: the first 20 bytes of sha256(pubkey). */
function consensusAddress(pubKey: Uint8Array): string {
  return hexUpper(sha256(pubKey).subarray(0, 20));
}

/** RFC 3339 with nanoseconds, as CometBFT writes block times. */
function rfc3339(seconds: number, nanos: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
}

const candidateKey = (i: number): Uint8Array => testPubKey(`fixture-${i}`);

/** The account (candidate) whose consensus key has this CometBFT address. */
function candidateOf(consensus: string): number {
  for (let i = 0; i <= GENESIS_CANDIDATES; i++) if (consensusAddress(candidateKey(i)) === consensus) return i;
  throw new Error(`${consensus} is no fixture candidate's key`);
}

function accountOf(address: string): number {
  const i = accounts.findIndex((a) => a.address === address);
  if (i < 0) throw new Error(`${address} is none of the fixture's accounts`);
  return i;
}

function genesisDoc(): RawGenesis {
  return {
    genesis_time: rfc3339(GENESIS_SECONDS, 0),
    chain_id: CHAIN_ID,
    initial_height: '1',
    consensus_params: { block: { max_bytes: '22020096', max_gas: '3000000' } },
    validators: [],
    app_hash: '',
    app_state: {
      params: {
        max_validators: 4,
        backup_validators: 1,
        unstake_waiting_period_s: '60',
        proposal_period_s: '120',
        max_slash_blocks: 6,
        free_tx_slots: 2,
        foundation_address: acct(FOUNDATION).address,
      },
      accounts: accounts.map((a, i) => ({ address: a.address, balance: ((i === 10 ? 3_000_000n : 1_000_000n) * CMT).toString() })),
      candidates: Array.from({ length: GENESIS_CANDIDATES }, (_, i) => ({
        address: acct(i).address,
        pub_key: Buffer.from(candidateKey(i)).toString('base64'),
        max_stake: (2_000_000n * CMT).toString(),
        self_stake: ((300_000n - BigInt(i) * 20_000n) * CMT).toString(),
        comp_rate_bp: 1000 + i * 300,
        description: { name: `genesis-${i}` },
      })),
      delegations: [{ delegator: acct(7).address, candidate: acct(1).address, amount: (50_000n * CMT).toString() }],
      contracts: [
        { address: LOOP, code: '0x5b600056' },
        { address: REVERTER, code: '0x600080fd' },
      ],
    },
  };
}

/** A validator set as CometBFT orders it: power descending, then address. */
type ValidatorSet = RawValidator[];

function applyUpdates(set: ValidatorSet, updates: readonly ValidatorUpdate[]): ValidatorSet {
  const byKey = new Map(set.map((v) => [v.pub_key.value, v]));
  for (const u of updates) {
    const key = Buffer.from(u.pubKey.ed25519 ?? new Uint8Array(0)).toString('base64');
    if (u.power === 0n) byKey.delete(key);
    else byKey.set(key, { address: consensusAddress(u.pubKey.ed25519!), pub_key: { type: 'tendermint/PubKeyEd25519', value: key }, voting_power: u.power.toString() });
  }
  return [...byKey.values()].sort((a, b) => {
    const pa = BigInt(a.voting_power);
    const pb = BigInt(b.voting_power);
    if (pa !== pb) return pa > pb ? -1 : 1;
    return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
  });
}

function setHash(set: ValidatorSet): string {
  return hexUpper(sha256(JSON.stringify(set.map((v) => [v.address, v.voting_power]))));
}

/** A deterministic stream of small numbers for the background transfers. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    return x >>> 8;
  };
}

export interface RecordedChain {
  /** The recording's JSON lines (the `cmtd replay --record` format). */
  lines: string[];
  /** The app hash after InitChain (height 0) and after every height, upper-case hex. */
  appHashes: string[];
  /** Per height: how many transactions each result code got (for the scenario summary). */
  codes: Map<number, number>;
  validatorUpdateHeights: number[];
}

/** Drives a fresh app through the scenario and returns the recording. */
export async function recordChain(): Promise<RecordedChain> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-fixture-chain-'));
  const store = await CommittedStore.open(join(dir, 'state.db'));
  try {
    const app = new CmtdApp({ store, modules: createModules(), logger: silentLogger() });
    const genesis = genesisDoc();
    const init = await app.initChain(initChainRequest(genesis));
    const appHashes = [hexUpper(init.appHash ?? new Uint8Array(0))];
    const lines: string[] = [
      JSON.stringify({
        kind: RECORDING_KIND,
        version: RECORDING_VERSION,
        source: 'scripts/record-fixture-chain.ts',
        chain_id: CHAIN_ID,
        first_height: '1',
        last_height: String(HEIGHTS),
      }),
      JSON.stringify({ kind: 'genesis', genesis }),
    ];

    const query = async <T>(path: string): Promise<T> => {
      const r = await app.query({ path, data: new Uint8Array(0), height: 0n, prove: false });
      if (r.code !== 0) throw new Error(`${path}: ${r.log}`);
      return JSON.parse(Buffer.from(r.value!).toString('utf8')) as T;
    };

    // sets[h] is the validator set of height h (CometBFT applies the updates of block h at h + 2).
    const sets = new Map<number, ValidatorSet>();
    sets.set(1, applyUpdates([], init.validators ?? []));
    sets.set(2, sets.get(1)!);
    const written = new Set<string>();
    const codes = new Map<number, number>();
    const validatorUpdateHeights: number[] = [];
    const random = lcg(2026);
    let counter: string | undefined;
    let missing: number | undefined;
    let missingAgain: number | undefined;
    let byzantine: number[] = [];

    for (let h = 1; h <= HEIGHTS; h++) {
      const time = GENESIS_SECONDS + 5 * h;
      const nonces = new Map<number, bigint>();
      const nonce = async (i: number): Promise<bigint> => {
        let n = nonces.get(i);
        if (n === undefined) n = BigInt((await query<{ nonce: string }>(`/account/${acct(i).address}`)).nonce);
        nonces.set(i, n + 1n);
        return n;
      };
      const txs: Uint8Array[] = [];
      const legacy = async (i: number, to: string, fields: { value?: bigint; data?: string; gasLimit?: bigint; gasPrice?: bigint } = {}): Promise<void> => {
        txs.push(
          signLegacyTx(acct(i), {
            to,
            nonce: await nonce(i),
            value: fields.value ?? 0n,
            gasLimit: fields.gasLimit ?? 21_000n,
            gasPrice: fields.gasPrice ?? 2n * GWEI,
            ...(fields.data === undefined ? {} : { data: Buffer.from(fields.data.replace(/^0x/, ''), 'hex') }),
          }),
        );
      };
      const staking = (i: number, fn: string, args: unknown[], value = 0n): Promise<void> =>
        legacy(i, STAKING_ADDRESS, { data: STAKING_INTERFACE.encodeFunctionData(fn, args), value, gasLimit: 400_000n });
      const governance = (i: number, fn: string, args: unknown[]): Promise<void> =>
        legacy(i, GOVERNANCE_ADDRESS, { data: governanceInterface.encodeFunctionData(fn, args), gasLimit: 400_000n });

      // Background: one or two transfers among accounts 7–12 every block.
      for (let k = 0; k < 1 + (random() % 2); k++) {
        const from = 7 + (random() % 6);
        const to = 7 + (random() % 6);
        await legacy(from, acct(to).address, { value: BigInt(1 + (random() % 1000)) * 10n ** 15n });
      }
      // An EIP-1559 transfer every 9 blocks (ethers signs it).
      if (h % 9 === 0) {
        const wallet = new Wallet(`0x${Buffer.from(acct(12).privateKey).toString('hex')}`);
        const signed = await wallet.signTransaction({
          type: 2,
          chainId: 18n,
          nonce: Number(await nonce(12)),
          maxFeePerGas: 5n * GWEI,
          maxPriorityFeePerGas: GWEI,
          gasLimit: 21_000n,
          to: acct(8).address,
          value: 3n * 10n ** 16n,
        });
        txs.push(Buffer.from(signed.slice(2), 'hex'));
      }

      // Evidence and absences scheduled below; the scenario, by height.
      const evidence: RawEvidence[] = [];
      const absent = new Set<number>();
      const duplicateVote = (candidate: number, atHeight: number): void => {
        const set = sets.get(atHeight)!;
        const total = set.reduce((s, v) => s + BigInt(v.voting_power), 0n);
        const address = consensusAddress(candidateKey(candidate));
        const power = set.find((v) => v.address === address)?.voting_power ?? '0';
        evidence.push({
          type: 'tendermint/DuplicateVoteEvidence',
          value: {
            vote_a: { type: 1, height: String(atHeight), round: 0, validator_address: address, validator_index: 0 },
            vote_b: { type: 1, height: String(atHeight), round: 0, validator_address: address, validator_index: 0 },
            TotalVotingPower: total.toString(),
            ValidatorPower: power,
            Timestamp: rfc3339(GENESIS_SECONDS + 5 * atHeight, 0),
          },
        });
      };

      if (h === 3) {
        const n = await nonce(8);
        txs.push(signLegacyTx(acct(8), { to: '0x', nonce: n, gasLimit: 200_000n, gasPrice: 2n * GWEI, data: Buffer.from(COUNTER_INIT, 'hex') }));
        counter = getCreateAddress({ from: acct(8).address, nonce: n }).toLowerCase();
      }
      if (counter !== undefined && h >= 5 && h % 7 === 5) await legacy(9, counter, { gasLimit: 60_000n });
      if (h === 8) {
        await legacy(10, LOOP, { gasLimit: 100_000n }); // out of gas
        await legacy(11, REVERTER, { gasLimit: 50_000n }); // reverts
      }
      if (h === 10)
        await staking(
          6,
          'declareCandidacy',
          [`0x${Buffer.from(candidateKey(6)).toString('hex')}`, testPop('fixture-6', acct(6).address, CHAIN_ID), 1_000_000n * CMT, 1500, '{"name":"newcomer"}'],
          100_000n * CMT,
        );
      if (h === 14) {
        await staking(11, 'delegate', [acct(6).address], 90_000n * CMT);
        await staking(12, 'delegate', [acct(6).address], 90_000n * CMT);
      }
      if (h === 20) await staking(9, 'delegate', [acct(0).address], 50_000n * CMT);
      if (h === 25) await staking(FOUNDATION, 'setEnterprise', [acct(10).address, true]);
      if (h === 26) await staking(10, 'delegate', [acct(2).address], 1_000_000n * CMT);
      if (h === 30) await staking(9, 'unstake', [acct(0).address, 20_000n * CMT]);
      if (h === 35) await staking(11, 'unstake', [acct(6).address, 0n]);
      // The validators of a height, by rank (they are the candidates' accounts).
      const validatorOf = (height: number, rank: number): number => candidateOf(sets.get(height)!.at(rank)!.address);
      if (h === 40) missing = validatorOf(39, -1);
      if (h >= 40 && h <= 46) absent.add(missing!); // six misses remove it (max_slash_blocks 6)
      if (h === 50) missingAgain = validatorOf(49, -1);
      if (h >= 50 && h <= 52) absent.add(missingAgain!); // three misses: slashed, not removed
      if (h === 60) {
        byzantine = [validatorOf(58, 0), validatorOf(58, 1)];
        duplicateVote(byzantine[0]!, 58);
        duplicateVote(byzantine[0]!, 57); // the same validator again: recorded, nothing more slashed
        duplicateVote(byzantine[1]!, 58);
      }
      if (h === 70) await staking(missing!, 'activateCandidacy', []);
      if (h === 72) for (const i of byzantine) await staking(i, 'activateCandidacy', []);
      if (h === 75) await staking(10, 'unstake', [acct(2).address, 0n]);
      if (h === 80) {
        const validators = await query<Array<{ address: string }>>('/validators');
        await governance(accountOf(validators[0]!.address), 'proposeParamChange', ['unstake_waiting_period_s', '90', 'fixture: a longer wait']);
      }
      if (h === 81 || h === 82) {
        const validators = await query<Array<{ address: string }>>('/validators');
        const voters = h === 81 ? validators.slice(0, 2) : validators.slice(2);
        for (const v of voters) await governance(accountOf(v.address), 'vote', [1n, true]);
      }
      if (h === 85) {
        const validators = await query<Array<{ address: string }>>('/validators');
        await governance(accountOf(validators[1]!.address), 'proposeParamChange', ['free_tx_slots', '5', 'fixture: expires unvoted']);
      }
      if (h === 100) {
        for (const i of [7, 8, 9]) await legacy(i, acct(12).address, { value: CMT, gasPrice: 0n }); // the third finds no free slot
      }
      if (h === 110) {
        txs.push(signLegacyTx(acct(11), { to: acct(7).address, nonce: 0n, value: 1n })); // a stale nonce
        txs.push(Uint8Array.from([0xde, 0xad, 0xbe, 0xef])); // not a transaction
      }
      if (h === 120) {
        for (const i of [9, 10, 11, 12]) await legacy(i, LOOP, { gasLimit: 900_000n }); // the fourth does not fit in 3,000,000 gas
      }
      if (h === 130) await staking(6, 'updateCandidacy', [1_000_000n * CMT, 1500, '{"name":"newcomer, renamed"}']);
      if (h === 140) await staking(5, 'withdrawCandidacy', []);
      if (h === 150) await staking(0, 'unstake', [acct(0).address, 10_000n * CMT]);
      if (h === 160) await staking(FOUNDATION, 'verifyCandidacy', [acct(6).address, true]);
      if (h === 200) {
        byzantine = [validatorOf(199, 0), validatorOf(198, 2)];
        duplicateVote(byzantine[0]!, 199);
        duplicateVote(byzantine[1]!, 198);
      }
      if (h === 210) for (const i of byzantine) await staking(i, 'activateCandidacy', []);

      // The block, as CometBFT's RPC shows it.
      const set = sets.get(h)!;
      const last = h > 1 ? sets.get(h - 1)! : undefined;
      if (last !== undefined) {
        const hash = setHash(last);
        if (!written.has(hash)) {
          written.add(hash);
          lines.push(JSON.stringify({ kind: 'validators', height: String(h - 1), hash, validators: last }));
        }
      }
      const absentAddresses = new Set([...absent].map((i) => consensusAddress(candidateKey(i))));
      const header: RawHeader = {
        chain_id: CHAIN_ID,
        height: String(h),
        time: rfc3339(time, (h * 7_919_101) % 1_000_000_000),
        validators_hash: setHash(set),
        next_validators_hash: setHash(sets.get(h + 1)!),
        app_hash: appHashes[h - 1]!,
        proposer_address: set[h % set.length]!.address,
      };
      const block: RawBlock = {
        block_id: { hash: hexUpper(sha256(`fixture-block-${h}`)) },
        block: {
          header,
          data: { txs: txs.map((t) => Buffer.from(t).toString('base64')) },
          evidence: { evidence },
          last_commit:
            last === undefined
              ? null
              : {
                  height: String(h - 1),
                  round: 0,
                  signatures: last.map((v) =>
                    absentAddresses.has(v.address)
                      ? { block_id_flag: 1, validator_address: '', timestamp: '0001-01-01T00:00:00Z', signature: null }
                      : { block_id_flag: 2, validator_address: v.address, timestamp: rfc3339(time, 0), signature: Buffer.from(sha256(`sig-${h}-${v.address}`)).toString('base64') },
                  ),
                },
        },
      };
      const response = await app.finalizeBlock(finalizeBlockRequest(block, last));
      await app.commit();
      appHashes.push(hexUpper(response.appHash));
      const updates = response.validatorUpdates ?? [];
      if (updates.length > 0) validatorUpdateHeights.push(h);
      sets.set(h + 2, applyUpdates(sets.get(h + 1)!, updates));
      for (const r of response.txResults) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      const results: RawBlockResults = {
        height: String(h),
        txs_results: response.txResults.map((r) => ({
          code: r.code,
          data: r.data === undefined || r.data.length === 0 ? null : Buffer.from(r.data).toString('base64'),
          log: r.log ?? '',
          gas_wanted: (r.gasWanted ?? 0n).toString(),
          gas_used: (r.gasUsed ?? 0n).toString(),
          codespace: r.codespace ?? '',
        })),
        validator_updates:
          updates.length === 0
            ? null
            : updates.map((u) => ({
                pub_key: { Sum: { type: 'tendermint.crypto.PublicKey_Ed25519', value: { ed25519: Buffer.from(u.pubKey.ed25519!).toString('base64') } } },
                power: u.power.toString(),
              })),
        app_hash: Buffer.from(response.appHash).toString('base64'),
      };
      lines.push(JSON.stringify({ kind: 'block', block, results }));
    }
    lines.push(JSON.stringify({ kind: 'end', blocks: String(HEIGHTS) }));
    return { lines, appHashes, codes, validatorUpdateHeights };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const chain = await recordChain();
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const recording = gzipSync(`${chain.lines.join('\n')}\n`, { level: 9 });
  writeFileSync(RECORDING_FILE, recording);
  writeFileSync(
    APP_HASHES_FILE,
    `${JSON.stringify({ chain_id: CHAIN_ID, note: 'app hash after InitChain (index 0) and after each height; regenerate with npm run fixture:chain (docs/TESTING.md)', app_hashes: chain.appHashes }, null, 1)}\n`,
  );
  console.log(`${RECORDING_FILE}: ${HEIGHTS} blocks, ${recording.length} bytes`);
  console.log(
    `result codes: ${[...chain.codes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([c, n]) => `${c}×${n}`)
      .join(' ')}`,
  );
  console.log(`validator updates at heights ${chain.validatorUpdateHeights.join(', ')}`);
  console.log(`last app hash ${chain.appHashes[HEIGHTS]}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
