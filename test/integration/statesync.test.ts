/**
 * State sync on a real CometBFT network:
 * - 4 validators (cmtd + CometBFT v0.38 each), genesis with 1,000 extra
 *   funded accounts and 40 delegations; during the run a contract is
 *   deployed, a delegation made and a governance proposal filed; snapshots
 *   every 10 heights in 4 KiB chunks (many chunks per snapshot);
 * - node0 and node1 serve corrupted chunks (the test-only fault flag): the
 *   new node refuses them (RETRY, sender rejected) and restores from the
 *   honest node2/node3;
 * - a 5th node, made as an operator does it (`cmtd init --join --genesis
 *   <node0>/genesis --peers … --state-sync-rpc <node2>,<node1>`, which
 *   fetches the trust point itself) and run by `cmtd node`, restores a
 *   snapshot taken at height 20 or later rather than replaying from block 1,
 *   reaches the tip with the others' app hashes, serves the current state
 *   over JSON-RPC and answers a clear error for blocks before its snapshot;
 *   then it declares candidacy, is delegated to, enters the validator set
 *   and signs blocks (the same steps as the replay join of node-join.test.ts);
 * - node3 runs with --min-retain-blocks 15 (--state-history 12, genesis
 *   evidence age 5 blocks): CometBFT prunes its block store, cmtd its index,
 *   and JSON-RPC names the oldest block it still has.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { loadContract } from '../support/contracts.js';
import { readGenesis, writeGenesis } from '../../src/localnet/cometbft.js';
import { Localnet, defaultAppState, type LocalNode } from '../../src/localnet/network.js';
import { waitFor } from '../../src/node/process.js';
import { CMT } from '../../src/state/params.js';
import { tempDir } from '../support/chain.js';
import { systemCall } from '../support/staking.js';
import { becomeValidator, cmtd, freeBasePort, JoinedNode, peerAddresses } from '../support/join.js';

const SNAPSHOT_INTERVAL = 10n;
const EXTRA_ACCOUNTS = 1000;

/** The i-th extra genesis account: an address nobody holds a key for. */
function extraAccount(i: number): string {
  return `0x${createHash('sha256').update(`statesync-account-${i}`).digest('hex').slice(0, 40)}`;
}

interface JsonRpcAnswer {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

async function ethRpc(node: { ethRpcUrl?: string }, method: string, params: unknown[]): Promise<JsonRpcAnswer> {
  const res = await fetch(node.ethRpcUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as JsonRpcAnswer;
}

/** The JSON lines of a cmtd log file. */
function jsonLog(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** cmtd's JSON log lines of the node `cmtd node` runs in `home`. */
const cmtdLog = (home: string): Array<Record<string, unknown>> => jsonLog(join(home, 'logs', 'cmtd.log'));

/** cmtd's JSON log lines of a validator of the localnet. */
const validatorLog = (node: LocalNode): Array<Record<string, unknown>> => jsonLog(join(node.home, 'cmtd.log'));

describe('state sync: a new node joins from a snapshot', { timeout: 900_000 }, () => {
  let net: Localnet;
  let dir: string;
  let validators: LocalNode[];
  let joiner: JoinedNode;
  let token: Contract;
  let tokenAddress: string;
  let failed = false;

  before(async () => {
    // Every cmtd of this network: snapshots every 10 heights, 4 KiB chunks.
    process.env.CMTD_SNAPSHOT_INTERVAL = SNAPSHOT_INTERVAL.toString();
    process.env.CMTD_SNAPSHOT_CHUNK_BYTES = '4096';
    // A snapshot must outlive the joiner's discovery (CometBFT's discovery_time, 15 s by default), its
    // restore, and CometBFT's 2 minutes on a snapshot whose only listed peers are liars: on a slow
    // machine the joiner starts so late that the next snapshot comes during its discovery, listed by
    // one late-connecting peer. If that is a liar, CometBFT falls back to the one before after 2
    // minutes, and that one must still be served (a snapshot deleted under a joiner stalls it; CI
    // 2026-12-06). 3–6 s a snapshot: 100 kept are 5–10 minutes.
    process.env.CMTD_SNAPSHOT_KEEP_RECENT = '100';
    dir = tempDir('statesync');
    net = await Localnet.create({
      dir,
      nodes: 4,
      accounts: 8,
      blockTime: '300ms',
      appState: (ctx) => {
        const state = defaultAppState(ctx, 1_000_000n * CMT) as {
          accounts: Array<{ address: string; balance: string }>;
          delegations?: Array<{ delegator: string; candidate: string; amount: string }>;
          params: Record<string, unknown>;
        };
        state.params.slash_enabled = false;
        for (let i = 0; i < EXTRA_ACCOUNTS; i++) state.accounts.push({ address: extraAccount(i), balance: ((BigInt(i) + 1n) * CMT).toString() });
        state.delegations = Array.from({ length: 40 }, (_, i) => ({ delegator: extraAccount(i), candidate: ctx.accounts[i % 4]!.address, amount: (10n * CMT).toString() }));
        return state;
      },
    });
    validators = net.validatorNodes;
    // A short evidence age, so that pruning is not held back by it (CometBFT's default is 100,000 blocks).
    for (const node of net.nodes) {
      const genesis = readGenesis(node.home);
      genesis.consensus_params.evidence = { max_age_num_blocks: '5', max_age_duration: '10000000000', max_bytes: '1048576' };
      writeGenesis(node.home, genesis);
    }
    // node3 keeps 10 snapshots (its oldest bounds its pruning: from height ~110 on, not ~210).
    validators[3]!.cmtd.spec.args.push('--min-retain-blocks', '15', '--state-history', '12', '--snapshot-keep-recent', '10');
    // node0 and node1 lie about chunks: the joiner must refuse theirs and use node2's and node3's.
    for (const liar of [validators[0]!, validators[1]!]) liar.cmtd.spec.args.push('--test-corrupt-snapshot-chunks');
    for (const node of validators) await net.startCmtd(node);
    for (const node of validators) await net.startComet(node);
    await net.waitForHeight(2n, 60_000, validators);
  });
  after(async () => {
    await joiner?.stop();
    await net?.stop();
    if (!failed && process.env.CMTD_KEEP_TEST_FILES === undefined && dir !== undefined) rmSync(dir, { recursive: true, force: true });
    else if (dir !== undefined) console.log(`statesync test files kept in ${dir}`);
  });

  it('runs a network with a contract, delegations and a proposal past two snapshot heights', async () => {
    try {
      const provider = new JsonRpcProvider(validators[2]!.ethRpcUrl, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
      const artifact = loadContract('LoyaltyToken');
      const merchant = net.accounts[5]!;
      const deployer = new NonceManager(new Wallet(merchant.privateKey, provider));
      token = (await new ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy('Points', 'PTS', merchant.address)) as Contract;
      assert.equal((await token.deploymentTransaction()!.wait())?.status, 1);
      tokenAddress = (await token.getAddress()).toLowerCase();
      const minted = await (token.connect(deployer) as Contract).getFunction('mint')(extraAccount(7), 1234n);
      assert.equal((await minted.wait())?.status, 1);
      provider.destroy();

      const delegated = await systemCall(validators[2]!, new Wallet(net.accounts[6]!.privateKey), 'staking', 'delegate', [net.accounts[1]!.address], 1_000n * CMT);
      assert.equal(delegated.code, 0, delegated.log);
      const proposed = await systemCall(validators[2]!, new Wallet(net.accounts[0]!.privateKey), 'governance', 'proposeParamChange', [
        'min_gas_price',
        '3000000000',
        'state sync test',
      ]);
      assert.equal(proposed.code, 0, proposed.log);

      await net.waitForHeight(2n * SNAPSHOT_INTERVAL + 3n, 180_000, validators);
      // Every validator has built both snapshots (they are byte-identical across nodes).
      const snapshotDirs = validators.map((n) => join(n.cmtdHome, 'data', 'snapshots'));
      await waitFor(
        'two snapshots on every validator',
        async () => (snapshotDirs.every((d) => existsSync(d) && readdirSync(d).filter((f) => /^[0-9]+$/.test(f)).length >= 2) ? true : undefined),
        60_000,
      );
      const metadata = snapshotDirs.map((d) => readFileSync(join(d, '20', 'metadata')).toString('hex'));
      assert.ok(
        metadata.every((m) => m === metadata[0]),
        'the snapshot of height 20 is the same on every node',
      );
      const chunks = readdirSync(join(snapshotDirs[0]!, '20')).filter((f) => /^[0-9]+$/.test(f)).length;
      assert.ok(chunks >= 10, `1,000+ accounts in 4 KiB chunks: many chunks (${chunks})`);
    } catch (err) {
      failed = true;
      throw err;
    }
  });

  it('a new node restores a snapshot, refusing corrupted chunks, and reaches the tip with the same app hash', async () => {
    try {
      const home = join(dir, 'joiner');
      const base = await freeBasePort();
      // The light client's servers: node2 (honest) and node1 (serves bad chunks, but its RPC tells the truth); not node3, which prunes.
      const servers = [validators[2]!, validators[1]!].map((n) => `http://127.0.0.1:${n.rpcPort}`);
      const peers = await peerAddresses(validators);
      const init = JSON.parse(
        await cmtd(
          'init',
          '--join',
          '--home',
          home,
          '--genesis',
          `http://127.0.0.1:${validators[0]!.rpcPort}/genesis`,
          '--peers',
          peers.join(','),
          '--moniker',
          'node4',
          '--base-port',
          String(base),
          '--private-network',
          '--state-sync-rpc',
          servers.join(','),
          '--output',
          'json',
        ),
      ) as { joined: { chainId: string; stateSync: { trustHeight: string; trustHash: string; rpcServers: string[] } } };
      assert.equal(init.joined.chainId, net.chainId);
      const { trustHeight, trustHash, rpcServers } = init.joined.stateSync;
      assert.deepEqual(rpcServers, servers);
      assert.equal(trustHash, (await validators[2]!.rpc.block(BigInt(trustHeight))).block_id.hash, 'the trust point is a block of the real chain');
      assert.ok(BigInt(trustHeight) >= 1n && BigInt(trustHeight) < (await validators[2]!.rpc.height()), `the trust height (${trustHeight}) is a committed block below the tip`);
      joiner = new JoinedNode(home, base);
      // CometBFT asks each peer for its snapshots once, when it connects, and restores the highest one
      // found. Start just after every validator has taken a snapshot: all of them, the liars too, then
      // list it to the joiner, and the next one is an interval away. Started at any moment, the joiner
      // could meet a snapshot only a late-connecting honest node listed, and no liar would serve a chunk.
      const next = ((await validators[2]!.rpc.height()) / SNAPSHOT_INTERVAL + 1n) * SNAPSHOT_INTERVAL;
      await waitFor(
        `every validator's snapshot of height ${next}`,
        async () => (validators.every((v) => validatorLog(v).some((l) => l.message === 'snapshot taken' && l.height === next.toString())) ? true : undefined),
        120_000,
      );
      joiner.start();

      const log = await waitFor(
        'the joiner restored a snapshot',
        async () => {
          if (joiner.exited) throw new Error(`cmtd node exited:\n${joiner.output}`);
          const restored = cmtdLog(joiner.home).find((l) => l.message === 'snapshot restored');
          return restored;
        },
        240_000,
      );
      const restoredHeight = BigInt(log.height as string);
      assert.ok(restoredHeight >= 2n * SNAPSHOT_INTERVAL && restoredHeight % SNAPSHOT_INTERVAL === 0n, `restored a snapshot height (${restoredHeight})`);
      assert.ok(BigInt(init.joined.stateSync.trustHeight) <= restoredHeight, 'the trust height is at or below the snapshot: the light client verified forward from it');
      const lines = cmtdLog(joiner.home);
      assert.ok(!lines.some((l) => l.message === 'genesis loaded'), 'no InitChain: the joiner did not start from genesis');
      const firstCommit = lines.find((l) => l.message === 'committed block');
      assert.ok(firstCommit === undefined || BigInt(firstCommit.height as string) === restoredHeight + 1n, 'the first block it executed follows the snapshot');
      // CometBFT logs its own line only after it has checked the restored app hash through Info, a moment after cmtd's.
      await waitFor(
        "CometBFT's log and cmtd node's summary: the snapshot restored",
        async () => (/Snapshot restored/.test(readFileSync(join(home, 'logs', 'cometbft.log'), 'utf8')) && /cometbft: .*Snapshot restored/.test(joiner.output) ? true : undefined),
        60_000,
      );
      const refused = lines.filter((l) => l.message === 'snapshot chunk refused: its hash is not the one in the metadata; fetching it again from another peer');
      assert.ok(refused.length > 0, 'chunks served by the lying nodes were refused');

      // At the tip with everyone else.
      const tip = (await validators[2]!.rpc.height()) + 2n;
      await joiner.waitPast(tip, 180_000);
      await net.waitForHeight(tip, 60_000, validators);
      for (const h of [restoredHeight + 2n, tip]) {
        // node3 prunes old blocks (last test): compare the others'.
        const hashes = await Promise.all(
          [validators[0]!, validators[1]!, validators[2]!, joiner].map(async (n) => {
            const answer = await ethRpc(n, 'eth_getBlockByNumber', [`0x${h.toString(16)}`, false]);
            assert.ok(answer.result !== undefined && answer.result !== null, `block ${h} on ${n.ethRpcUrl}: ${JSON.stringify(answer)}`);
            return answer.result as { stateRoot: string; hash: string };
          }),
        );
        for (const b of hashes) assert.equal(b.stateRoot, hashes[0]!.stateRoot, `app hash after block ${h}`);
        for (const b of hashes) assert.equal(b.hash, hashes[0]!.hash, `block hash ${h}`);
      }
      const status = await joiner.rpc.status();
      assert.ok(BigInt((status as unknown as { sync_info: { earliest_block_height: string } }).sync_info.earliest_block_height) > 1n, 'its block store starts after the snapshot');
    } catch (err) {
      failed = true;
      throw err;
    }
  });

  it('answers JSON-RPC for the current state, and a clear error for blocks before its snapshot', async () => {
    try {
      const reference = validators[2]!;
      // Balances that no block changes: the same on both, and what genesis gave.
      for (const i of [0, 499, 999]) {
        const [a, b] = await Promise.all([reference, joiner].map(async (n) => (await ethRpc(n, 'eth_getBalance', [extraAccount(i), 'latest'])).result));
        assert.equal(a, `0x${((BigInt(i) + 1n) * CMT).toString(16)}`);
        assert.equal(b, a, `balance of extra account ${i}`);
      }
      const provider = new JsonRpcProvider(joiner.ethRpcUrl, { chainId: 18, name: 'cmtd' }, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
      const onJoiner = new Contract(tokenAddress, token.interface, provider);
      assert.equal(await onJoiner.getFunction('balanceOf')(extraAccount(7)), 1234n, 'contract storage restored');
      provider.destroy();
      // Delegations earn every block: compare both nodes' state at one height (an ABCI query at a height).
      const at = (await joiner.rpc.height()) - 1n;
      const queryAt = async (n: LocalNode | JoinedNode, path: string): Promise<unknown> => {
        const r = await n.rpc.abciQuery(path, at);
        assert.equal(r.code, 0, `${path} at ${at} on ${n.rpc.url}: ${r.log}`);
        return JSON.parse(Buffer.from(r.value ?? '', 'base64').toString('utf8')) as unknown;
      };
      const path = `/delegations/${net.accounts[6]!.address}`;
      const [refDelegations, joinDelegations] = await Promise.all([reference, joiner].map((n) => queryAt(n, path)));
      assert.ok(Array.isArray(joinDelegations) && joinDelegations.length === 1, JSON.stringify(joinDelegations));
      assert.deepEqual(joinDelegations, refDelegations, 'delegations');
      const [refProposals, joinProposals] = await Promise.all([reference, joiner].map((n) => queryAt(n, '/proposals')));
      assert.ok(Array.isArray(joinProposals) && joinProposals.length === 1);
      assert.deepEqual(joinProposals, refProposals, 'proposals');

      const old = await ethRpc(joiner, 'eth_getBlockByNumber', ['0x1', false]);
      assert.equal(old.error?.code, -32002, JSON.stringify(old));
      assert.match(old.error!.message, /block 1 is not on this node: the oldest block it has is \d+/);
      const logs = await ethRpc(joiner, 'eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x5' }]);
      assert.equal(logs.error?.code, -32002, 'logs of blocks before the snapshot: the same clear error');
      assert.ok((await ethRpc(reference, 'eth_getBlockByNumber', ['0x1', false])).result !== null, 'the validators still have block 1');
    } catch (err) {
      failed = true;
      throw err;
    }
  });

  it('the state-synced node declares candidacy, is delegated to, enters the validator set and signs blocks', async () => {
    try {
      await becomeValidator(joiner, { operator: net.accounts[4]!, delegator: net.accounts[7]!, observer: validators[2]!, dir, name: 'node4' });
    } catch (err) {
      failed = true;
      throw err;
    }
  });

  it('a node with --min-retain-blocks prunes CometBFT blocks and its index, and names its oldest block', async () => {
    try {
      const pruner = validators[3]!;
      const earliest = await waitFor(
        'node3 pruned its block store',
        async () => {
          const status = (await pruner.rpc.status()) as unknown as { sync_info: { earliest_block_height: string; latest_block_height: string } };
          const e = BigInt(status.sync_info.earliest_block_height);
          return e > 1n ? { earliest: e, latest: BigInt(status.sync_info.latest_block_height) } : undefined;
        },
        120_000,
      );
      // retain = min(h - 14, h - 11, h - 5, oldest snapshot): at least the last 15 blocks stay.
      assert.ok(earliest.latest - earliest.earliest >= 14n, `node3 keeps at least 15 blocks (${earliest.earliest}..${earliest.latest})`);
      // The index follows within a few blocks (its deletes are prepared between blocks, then committed).
      const old = await waitFor(
        "node3's index pruned",
        async () => {
          const answer = await ethRpc(pruner, 'eth_getBlockByNumber', ['0x1', false]);
          return answer.error !== undefined ? answer : undefined;
        },
        60_000,
      );
      assert.equal(old.error?.code, -32002, JSON.stringify(old));
      const oldest = BigInt((old.error!.data as { oldestBlock: string }).oldestBlock);
      assert.ok(oldest > 1n, `the index was pruned too (oldest ${oldest})`);
      assert.match(old.error!.message, new RegExp(`oldest block it has is ${oldest}`));
      const kept = (await ethRpc(pruner, 'eth_getBlockByNumber', [`0x${oldest.toString(16)}`, false])).result as { number: string } | null;
      assert.equal(kept?.number, `0x${oldest.toString(16)}`, 'the oldest block it names is there');
      assert.ok((await ethRpc(validators[2]!, 'eth_getBlockByNumber', ['0x1', false])).result !== null, 'a node without the flag keeps block 1');
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
