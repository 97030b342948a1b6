/** Prometheus metrics: the app's observer hook feeding NodeMetrics, the state gauges, and the /metrics endpoint. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { CmtdApp } from '../../src/app/app.js';
import { createModules } from '../../src/app/wiring.js';
import { METRICS_MAX_CONNECTIONS, METRICS_MIN_INTERVAL_MS, NodeMetrics, parseHostPort, startMetricsServer, weiToCmt } from '../../src/metrics/index.js';
import { CommittedStore } from '../../src/store/committed-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { benchAccounts, signLegacyTransfer, type BenchAccount } from '../../bench/lib/txgen.js';
import { finalizeRequest } from '../../bench/lib/app.js';

const CMT = 10n ** 18n;

/** The value of one sample in the registry's text output, e.g. `cmtd_block_height` or `cmtd_tx_rejected_total{stage="check",code="NonceTooHigh"}`. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}

/** Resolves after the callbacks queued with setImmediate so far have run (the state refresh after Commit). */
function afterImmediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('metrics', () => {
  let dir: string;
  let store: CommittedStore;
  let app: CmtdApp;
  let metrics: NodeMetrics;
  let alice: BenchAccount;
  let bob: BenchAccount;
  let carol: BenchAccount;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-metrics-'));
    [alice, bob, carol] = benchAccounts(3, 'metrics-test');
    store = await CommittedStore.open(join(dir, 'state.db'));
    const modules = createModules();
    metrics = new NodeMetrics({ store, modules, logger: silentLogger(), processMetrics: false });
    app = new CmtdApp({ store, modules, logger: silentLogger(), metrics });
    const candidate = (who: BenchAccount, stake: bigint, name: string): unknown => ({
      address: who.address,
      pub_key: randomBytes(32).toString('base64'),
      max_stake: (100_000n * CMT).toString(),
      self_stake: stake.toString(),
      comp_rate_bp: 2000,
      description: { name },
    });
    await app.initChain({
      time: { seconds: 1_700_000_000n, nanos: 0 },
      chainId: 'test',
      consensusParams: { block: { maxBytes: 1_000_000n, maxGas: 10_000_000n } },
      validators: [],
      appStateBytes: Buffer.from(
        JSON.stringify({
          params: { max_validators: 1, backup_validators: 1 },
          accounts: [alice, bob, carol].map((a) => ({ address: a!.address, balance: (1_000_000n * CMT).toString() })),
          candidates: [candidate(bob!, 20_000n * CMT, 'bob'), candidate(carol!, 10_000n * CMT, 'carol')],
        }),
      ),
      initialHeight: 1n,
    });
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from the committed state: height 0, nothing staked yet', async () => {
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'cmtd_block_height'), 0);
    assert.equal(sample(text, 'cmtd_validators'), 0);
    assert.equal(sample(text, 'cmtd_staked_ratio'), 0);
    assert.equal(sample(text, 'cmtd_block_txs_count'), 0);
    assert.equal(sample(text, 'process_cpu_seconds_total'), undefined, 'process metrics were turned off');
  });

  it('counts CheckTx latencies and refusals by code name', async () => {
    const ok = await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, 0n), type: 'new' });
    assert.equal(ok.code, 0, ok.log);
    const gap = await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, 7n), type: 'new' });
    assert.equal(gap.code, 5);
    const wrongChain = await app.checkTx({ tx: signLegacyTransfer(alice!, bob!.address, 1n, 1n, 1n), type: 'new' });
    assert.equal(wrongChain.code, 3);
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'cmtd_checktx_duration_seconds_count'), 3);
    assert.equal(sample(text, 'cmtd_tx_rejected_total{stage="check",code="NonceTooHigh"}'), 1);
    assert.equal(sample(text, 'cmtd_tx_rejected_total{stage="check",code="ChainId"}'), 1);
    assert.ok((sample(text, 'cmtd_checktx_duration_seconds_sum') ?? -1) >= 0);
  });

  it('reports committed blocks: height, transactions, refusals, latencies, and the state gauges after Commit', async () => {
    const txs = [
      signLegacyTransfer(alice!, bob!.address, 5n * CMT, 0n),
      signLegacyTransfer(alice!, bob!.address, 1n, 0n), // nonce already used by the first
      signLegacyTransfer(alice!, carol!.address, 1n, 1n),
    ];
    const r1 = await app.finalizeBlock(finalizeRequest(1n, txs));
    assert.deepEqual(
      r1.txResults.map((r) => r.code),
      [0, 4, 0],
    );
    await app.commit();
    await afterImmediate();
    const r2 = await app.finalizeBlock(finalizeRequest(2n, []));
    assert.equal(r2.txResults.length, 0);
    await app.commit();
    await afterImmediate();

    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'cmtd_block_height'), 2);
    assert.equal(sample(text, 'cmtd_txs_total'), 3);
    assert.equal(sample(text, 'cmtd_block_txs_count'), 2);
    assert.equal(sample(text, 'cmtd_block_txs_sum'), 3);
    assert.equal(sample(text, 'cmtd_block_txs_bucket{le="0"}'), 1, 'one empty block');
    assert.equal(sample(text, 'cmtd_finalize_block_duration_seconds_count'), 2);
    assert.equal(sample(text, 'cmtd_commit_duration_seconds_count'), 2);
    assert.equal(sample(text, 'cmtd_tx_rejected_total{stage="block",code="NonceTooLow"}'), 1);

    // State gauges, from the same queries the RPC answers.
    assert.equal(sample(text, 'cmtd_validators'), 1);
    assert.equal(sample(text, 'cmtd_backup_validators'), 1);
    assert.equal(sample(text, 'cmtd_candidates'), 2);
    const supply = (await app.query({ path: '/supply', data: new Uint8Array(0), height: 0n, prove: false })).value!;
    const s = JSON.parse(Buffer.from(supply).toString('utf8')) as { supply: string; staked: string };
    assert.ok(BigInt(s.staked) >= 30_000n * CMT, 'the genesis self-stakes, plus block awards');
    assert.equal(sample(text, 'cmtd_total_supply_cmt'), weiToCmt(BigInt(s.supply)));
    assert.equal(sample(text, 'cmtd_staked_cmt'), weiToCmt(BigInt(s.staked)));
    assert.equal(sample(text, 'cmtd_staked_ratio'), Number((BigInt(s.staked) * 1_000_000n) / BigInt(s.supply)) / 1_000_000);
  });

  it('serves the registry on GET /metrics', async () => {
    const server = await startMetricsServer({ address: '127.0.0.1:0', registry: metrics.registry, logger: silentLogger() });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const response = await fetch(server.url);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      assert.equal(sample(text, 'cmtd_block_height'), 2);
      assert.match(text, /# HELP cmtd_staked_ratio /);
      assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
      assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
    } finally {
      await server.close();
    }
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:26660'), { host: '127.0.0.1', port: 26660 });
    assert.deepEqual(parseHostPort(':9100'), { host: '0.0.0.0', port: 9100 });
    assert.deepEqual(parseHostPort('[::1]:9100'), { host: '::1', port: 9100 });
    assert.throws(() => parseHostPort('localhost'), /expected host:port/);
    assert.throws(() => parseHostPort('127.0.0.1:70000'), /expected host:port/);
  });
});

describe('metrics of the state database (LevelDB)', () => {
  const table = [
    '                               Compactions',
    'Level  Files Size(MB) Time(sec) Read(MB) Write(MB)',
    '--------------------------------------------------',
    '  0        2        5         3        0       451',
    '  1        7      201         4      499       500',
    '',
  ].join('\n');
  const MiB = 2 ** 20;

  const nodesTable = table
    .replace('  0        2        5         3        0       451\n', '')
    .replace('  1        7      201         4      499       500', '  2        3       96         2        0        96');

  it('reports each level of each database and the background thread’s totals from LevelDB’s tables, read at each scrape', async () => {
    let stats = table;
    const state = { height: 0n, get: (): undefined => undefined, levelDbStats: () => ({ values: stats, nodes: nodesTable }) };
    const metrics = new NodeMetrics({ store: state, modules: createModules(), logger: silentLogger(), processMetrics: false });
    let text = await metrics.registry.metrics();
    assert.equal(sample(text, 'cmtd_state_db_level_files{db="values",level="0"}'), 2);
    assert.equal(sample(text, 'cmtd_state_db_level_files{db="values",level="1"}'), 7);
    assert.equal(sample(text, 'cmtd_state_db_level_bytes{db="values",level="1"}'), 201 * MiB);
    assert.equal(sample(text, 'cmtd_state_db_level_files{db="nodes",level="2"}'), 3);
    assert.equal(sample(text, 'cmtd_state_db_level_bytes{db="nodes",level="2"}'), 96 * MiB);
    assert.equal(sample(text, 'cmtd_state_db_level_files{db="nodes",level="1"}'), undefined);
    assert.equal(sample(text, 'cmtd_state_db_compaction_seconds_total'), 9);
    assert.equal(sample(text, 'cmtd_state_db_compaction_read_bytes_total'), 499 * MiB);
    assert.equal(sample(text, 'cmtd_state_db_compaction_written_bytes_total'), 1047 * MiB);
    // A level that empties disappears; totals follow the tables.
    stats = table.replace('  0        2        5         3        0       451\n', '');
    text = await metrics.registry.metrics();
    assert.equal(sample(text, 'cmtd_state_db_level_files{db="values",level="0"}'), undefined);
    assert.equal(sample(text, 'cmtd_state_db_compaction_seconds_total'), 6);
    // A store that cannot answer (closed under a late scrape): no samples, the scrape still works.
    const state2 = {
      ...state,
      levelDbStats: (): { values: string; nodes: string } => {
        throw new Error('the state store is closed');
      },
    };
    const closed = new NodeMetrics({ store: state2, modules: createModules(), logger: silentLogger(), processMetrics: false });
    text = await closed.registry.metrics();
    assert.equal(sample(text, 'cmtd_state_db_level_files{db="values",level="1"}'), undefined);
    assert.equal(sample(text, 'cmtd_state_db_compaction_seconds_total'), 0);
  });

  it('reads a real store, and has no such series for a state without LevelDB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmtd-metrics-db-'));
    try {
      const store = await CommittedStore.open(join(dir, 'state.db'), { writeBufferBytes: 1024 * 1024 });
      try {
        for (let h = 1; h <= 16; h++) {
          // Values that do not compress: ≈ 200 KB of values and ≈ 300 KB of nodes a block.
          const pending = store.computeRoot(Array.from({ length: 500 }, (_, i) => [`k/${h}/${i}`, randomBytes(400)] as const));
          await store.commit(BigInt(h), pending, pending.root);
        }
        const metrics = new NodeMetrics({ store, modules: createModules(), logger: silentLogger(), processMetrics: false });
        const text = await metrics.registry.metrics();
        const written = sample(text, 'cmtd_state_db_compaction_written_bytes_total');
        assert.ok(written !== undefined && written >= 4 * MiB, `≈ 10 MB through a 1 MiB write buffer: ${written} bytes of tables written`);
        assert.match(text, /^cmtd_state_db_level_files\{db="values",level="\d"\} [1-9]/m);
        assert.match(text, /^cmtd_state_db_level_files\{db="nodes",level="\d"\} [1-9]/m);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const plain = new NodeMetrics({ store: { height: 0n, get: () => undefined }, modules: createModules(), logger: silentLogger(), processMetrics: false });
    assert.doesNotMatch(await plain.registry.metrics(), /cmtd_state_db_/);
  });
});

describe('the metrics listener bounds what a client can make it do', () => {
  /** A registry whose one gauge counts its collections (and fails the collections listed in `failing`). */
  function countingRegistry(failing: number[] = []): { registry: Registry; collections: () => number } {
    const registry = new Registry();
    let count = 0;
    new Gauge({
      name: 'test_collections',
      help: 'collections so far',
      registers: [registry],
      collect() {
        count++;
        if (failing.includes(count)) throw new Error(`collection ${count} fails`);
        this.set(count);
      },
    });
    return { registry, collections: () => count };
  }

  it('collects at most once per interval: a flood of scrapes, concurrent or one after another, shares one collection', async () => {
    assert.equal(METRICS_MIN_INTERVAL_MS, 1_000);
    const { registry, collections } = countingRegistry();
    const server = await startMetricsServer({ address: '127.0.0.1:0', registry, logger: silentLogger(), minIntervalMs: 60_000 });
    try {
      const concurrent = await Promise.all(Array.from({ length: 12 }, () => fetch(server.url).then((r) => r.text())));
      for (let i = 0; i < 5; i++) concurrent.push(await (await fetch(server.url)).text());
      for (const text of concurrent) assert.equal(sample(text, 'test_collections'), 1);
      assert.equal(collections(), 1);
    } finally {
      await server.close();
    }
  });

  it('collects again once the interval has passed (0 ms: every scrape), and retries a collection that failed', async () => {
    const { registry, collections } = countingRegistry([2]);
    const server = await startMetricsServer({ address: '127.0.0.1:0', registry, logger: silentLogger(), minIntervalMs: 0 });
    try {
      assert.equal(sample(await (await fetch(server.url)).text(), 'test_collections'), 1);
      const failed = await fetch(server.url);
      assert.equal(failed.status, 500);
      assert.equal(await failed.text(), 'cannot collect metrics\n');
      assert.equal(sample(await (await fetch(server.url)).text(), 'test_collections'), 3, 'a failure is not kept: the next scrape collects');
      assert.equal(collections(), 3);
    } finally {
      await server.close();
    }
  });

  it(`holds at most ${METRICS_MAX_CONNECTIONS} connections: one more is closed unanswered, and a scrape works once one goes`, async () => {
    const { registry } = countingRegistry();
    const server = await startMetricsServer({ address: '127.0.0.1:0', registry, logger: silentLogger() });
    const port = Number(new URL(server.url).port);
    const request = 'GET /metrics HTTP/1.1\r\nHost: metrics\r\n\r\n';
    const held: Socket[] = [];
    try {
      // Each holds its connection open (keep-alive) after an answer, which proves the server accepted it.
      for (let i = 0; i < METRICS_MAX_CONNECTIONS; i++) {
        const socket = connect(port, '127.0.0.1');
        held.push(socket);
        socket.write(request);
        const [data] = (await once(socket, 'data')) as [Buffer];
        assert.match(data.toString('latin1'), /^HTTP\/1\.1 200 /);
      }
      const extra = connect(port, '127.0.0.1');
      let answered = false;
      extra.on('data', () => {
        answered = true;
      });
      extra.on('error', () => {}); // a reset is a refusal too
      extra.write(request);
      await once(extra, 'close');
      assert.equal(answered, false, 'the connection over the limit gets no answer');
      held.pop()!.destroy();
      // The server sees that close on its next turns of the event loop.
      let status = 0;
      for (let attempt = 0; attempt < 1_000 && status !== 200; attempt++) {
        status = (await fetch(server.url).catch(() => undefined))?.status ?? 0;
        if (status !== 200) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(status, 200, 'a scrape is served again');
    } finally {
      for (const socket of held) socket.destroy();
      await server.close();
    }
  });
});
