/**
 * `cmtd init --join` against a stand-in CometBFT RPC (an HTTP server with
 * /genesis, /genesis_chunked, /status and /block): the home it writes
 * (genesis, peers, ports, [statesync] with the fetched trust point), and the
 * refusals (bad peers, disagreeing state-sync servers, a bad genesis), which
 * leave no home behind. The real joins: test/integration/node-join.test.ts
 * (by replay) and test/integration/statesync.test.ts (by state sync).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHome, type InitFlags } from '../../src/cli/init.js';
import { getTomlValue } from '../../src/localnet/cometbft.js';
import { defaultAppState } from '../../src/cli/genesis.js';
import { parsePeers } from '../../src/node/join.js';
import { readNodeSettings } from '../../src/node/home.js';

const dir = mkdtempSync(join(tmpdir(), 'cmtd-init-join-'));
const PEER = `${'ab'.repeat(20)}@10.0.0.1:26656`;
const GENESIS = {
  genesis_time: '2026-01-01T00:00:00Z',
  chain_id: 'joined-1',
  initial_height: '1',
  consensus_params: {
    block: { max_bytes: '22020096', max_gas: '15000000' },
    evidence: { max_age_num_blocks: '100000', max_age_duration: '172800000000000', max_bytes: '1048576' },
    validator: { pub_key_types: ['ed25519'] },
  },
  validators: [{ address: '', pub_key: { type: 'tendermint/PubKeyEd25519', value: 'wlgvGOk3SNlUbz9I4XHJV/HNF4H6hoWTJcZQfNHZbDc=' }, power: '10', name: 'v0' }],
  app_hash: '',
  app_state: defaultAppState(),
};

/** A stand-in CometBFT RPC: tip height 100 (its oldest block `earliest`, default 1), block hashes per server, the genesis whole or only chunked. */
function standIn(blockHash: string, options: { chunkedOnly?: boolean; earliest?: number } = {}): Promise<{ server: Server; url: string }> {
  const json = JSON.stringify(GENESIS);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = (result: unknown, error?: unknown): void => void res.end(JSON.stringify({ jsonrpc: '2.0', id: -1, ...(error ? { error } : { result }) }));
    if (url.pathname === '/genesis') {
      if (options.chunkedOnly) return reply(undefined, { code: -32603, message: 'Internal error', data: 'genesis response is large, please use the genesis_chunked API instead' });
      return reply({ genesis: GENESIS });
    }
    if (url.pathname === '/genesis_chunked') {
      const chunk = Number(url.searchParams.get('chunk'));
      const half = Math.ceil(json.length / 2);
      return reply({ chunk: String(chunk), total: '2', data: Buffer.from(json.slice(chunk * half, (chunk + 1) * half)).toString('base64') });
    }
    if (url.pathname === '/status')
      return reply({ node_info: { network: 'joined-1' }, sync_info: { latest_block_height: '100', earliest_block_height: String(options.earliest ?? 1) } });
    if (url.pathname === '/block') return reply({ block_id: { hash: blockHash }, block: { header: { height: url.searchParams.get('height') } } });
    res.statusCode = 404;
    res.end('not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

function flags(home: string, extra: Partial<InitFlags>): InitFlags {
  return { home, chainId: 'unused', moniker: 'newcomer', output: 'json', stateSyncTrustPeriod: '168h0m0s', join: true, ...extra };
}

describe('cmtd init --join', () => {
  const servers: Server[] = [];
  let honest: string;
  let honest2: string;
  let liar: string;
  let chunked: string;
  let pruned: string;
  const HASH = 'AA'.repeat(32);

  before(async () => {
    for (const [hash, opts] of [
      [HASH, {}],
      [HASH.toLowerCase(), {}],
      ['BB'.repeat(32), {}],
      [HASH, { chunkedOnly: true }],
      [HASH, { earliest: 60 }],
    ] as const) {
      const s = await standIn(hash, opts);
      servers.push(s.server);
    }
    [honest, honest2, liar, chunked, pruned] = servers.map((s) => `http://127.0.0.1:${(s.address() as { port: number }).port}`) as [string, string, string, string, string];
  });
  after(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a home from a node's /genesis, with peers, ports and the state-sync trust point", async () => {
    const home = join(dir, 'synced');
    const r = await initHome(
      flags(home, { genesis: honest, peers: PEER, basePort: '30000', privateNetwork: true, stateSyncRpc: `${honest},${honest2}`, stateSyncTrustOffset: '20' }),
    );
    assert.equal(r.joined?.chainId, 'joined-1');
    const genesis = JSON.parse(readFileSync(join(home, 'cometbft', 'config', 'genesis.json'), 'utf8')) as typeof GENESIS;
    assert.deepEqual(genesis.app_state, GENESIS.app_state);
    assert.deepEqual(genesis.validators, GENESIS.validators, "the network's validators, not this node");
    const config = readFileSync(join(home, 'cometbft', 'config', 'config.toml'), 'utf8');
    const get = (section: string, key: string): string | undefined => getTomlValue(config, section, key);
    assert.equal(get('', 'moniker'), 'newcomer');
    assert.equal(get('', 'proxy_app'), 'tcp://127.0.0.1:30002');
    assert.equal(get('p2p', 'laddr'), 'tcp://0.0.0.0:30000');
    assert.equal(get('rpc', 'laddr'), 'tcp://127.0.0.1:30001');
    assert.equal(get('p2p', 'persistent_peers'), PEER);
    assert.equal(get('p2p', 'allow_duplicate_ip'), 'true');
    assert.equal(get('p2p', 'addr_book_strict'), 'false');
    assert.equal(get('statesync', 'enable'), 'true');
    assert.equal(get('statesync', 'rpc_servers'), `${honest},${honest2}`);
    assert.equal(get('statesync', 'trust_height'), '80', '--state-sync-trust-offset 20 below the tip (100)');
    assert.equal(get('statesync', 'trust_hash'), HASH);
    assert.equal(get('statesync', 'trust_period'), '168h0m0s');
    assert.equal(readNodeSettings(home).ethRpcAddress, '127.0.0.1:30003');
  });

  it('reads a large genesis through /genesis_chunked, lists a single state-sync server twice, and keeps block replay without one', async () => {
    const home = join(dir, 'chunked');
    await initHome(flags(home, { genesis: `${chunked}/genesis`, seeds: PEER, stateSyncRpc: honest }));
    const config = readFileSync(join(home, 'cometbft', 'config', 'config.toml'), 'utf8');
    assert.equal(getTomlValue(config, 'statesync', 'rpc_servers'), `${honest},${honest}`);
    assert.equal(getTomlValue(config, 'p2p', 'seeds'), PEER);
    assert.equal(getTomlValue(config, 'p2p', 'laddr'), 'tcp://0.0.0.0:26656');
    assert.equal(getTomlValue(config, '', 'proxy_app'), `unix://${join(home, 'abci.sock')}`);
    const replay = join(dir, 'replay');
    await initHome(flags(replay, { genesis: honest, peers: PEER }));
    assert.equal(getTomlValue(readFileSync(join(replay, 'cometbft', 'config', 'config.toml'), 'utf8'), 'statesync', 'enable'), 'false');
  });

  it('puts the trust height 1,500 blocks below the tip by default (at or below a snapshot), never below a block every server has', async () => {
    const trustHeight = async (name: string, extra: Partial<InitFlags>): Promise<string | undefined> => {
      const home = join(dir, name);
      const r = await initHome(flags(home, { genesis: honest, peers: PEER, ...extra }));
      assert.equal(getTomlValue(readFileSync(join(home, 'cometbft', 'config', 'config.toml'), 'utf8'), 'statesync', 'trust_height'), r.joined?.stateSync?.trustHeight);
      return r.joined?.stateSync?.trustHeight;
    };
    assert.equal(await trustHeight('default-offset', { stateSyncRpc: honest }), '1', 'tip 100 - 1,500: the first block');
    assert.equal(await trustHeight('pruned-server', { stateSyncRpc: `${honest},${pruned}`, stateSyncTrustOffset: '90' }), '60', 'the oldest block the pruned server has');
    assert.equal(await trustHeight('zero-offset', { stateSyncRpc: honest, stateSyncTrustOffset: '0' }), '100', 'offset 0: the tip');
  });

  it('refuses bad input and leaves no home behind', async () => {
    const cases: Array<[Partial<InitFlags>, RegExp]> = [
      [{ genesis: honest }, /--join needs --peers or --seeds/],
      [{ peers: PEER }, /--join needs --genesis/],
      [{ genesis: honest, peers: 'abc@host:1' }, /is not node-id@host:port/],
      [{ genesis: honest, peers: PEER, stateSyncRpc: `${honest},${liar}` }, /gives block 1 the hash B+.*do not trust them both/],
      [{ genesis: honest, peers: PEER, stateSyncRpc: honest, stateSyncTrustOffset: '-5' }, /--state-sync-trust-offset must be a number of blocks/],
      [{ genesis: honest, peers: PEER, basePort: '65534' }, /--base-port must leave room/],
      [{ genesis: honest, peers: PEER, p2pPort: '9000', rpcPort: '9000' }, /ports must differ/],
      [{ genesis: honest, peers: PEER, stateSyncRpc: honest, stateSyncTrustPeriod: 'a week' }, /--state-sync-trust-period/],
      [{ genesis: `${honest}/nothing`, peers: PEER }, /did not answer JSON/],
      [{ genesis: join(dir, 'missing.json'), peers: PEER }, /--genesis .*missing\.json/],
    ];
    for (const [extra, message] of cases) {
      const home = join(dir, 'refused');
      await assert.rejects(initHome(flags(home, extra)), message);
      assert.equal(existsSync(home), false, `nothing written for ${JSON.stringify(extra)}`);
    }
    assert.deepEqual(parsePeers(` ${PEER} ,`, '--peers'), [PEER]);
  });
});
