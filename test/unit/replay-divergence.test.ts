/**
 * Replay reports each kind of divergence at exactly the height where it is
 * (docs/REPLAY.md): fabricated recordings, made from the first blocks of the
 * recorded chain (test/unit/fixtures) with one thing changed — an app hash
 * in a header or in block_results, InitChain's app hash, a transaction's
 * code, data or gas, the number of results, a validator update.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { replayChain, type ReplayReport } from '../../src/replay/replay.js';
import { FileSource } from '../../src/replay/source.js';
import type { RawBlock, RawBlockResults } from '../../src/replay/cometbft-json.js';

const RECORDING = new URL('./fixtures/recorded-chain.jsonl.gz', import.meta.url);
/** The prefix replayed: blocks 1–LAST hold staking transactions and validator updates (heights 14, 19, 20, 24, 26). */
const LAST = 30;

type Line = { kind: string; [k: string]: unknown };
type BlockLine = { kind: 'block'; block: RawBlock; results: RawBlockResults };

const allLines = gunzipSync(readFileSync(RECORDING))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Line);

/** The recording cut after block LAST (the last block's app hash then comes from its block_results). */
function prefix(): Line[] {
  const out: Line[] = [];
  for (const line of structuredClone(allLines)) {
    if (line.kind === 'cmtd-replay-recording') out.push({ ...line, last_height: String(LAST) });
    else if (line.kind === 'block') {
      if (Number((line as BlockLine).block.block.header.height) <= LAST) out.push(line);
    } else if (line.kind === 'validators') {
      if (Number(line.height) < LAST) out.push(line);
    } else if (line.kind === 'genesis') out.push(line);
  }
  out.push({ kind: 'end', blocks: String(LAST) });
  return out;
}

function block(lines: Line[], height: number): BlockLine {
  const found = lines.find((l): l is BlockLine => l.kind === 'block' && (l as BlockLine).block.block.header.height === String(height));
  assert.ok(found !== undefined, `block ${height} is in the recording`);
  return found;
}

/** The first height (≤ 30) with a transaction, and one with validator updates. */
function firstWith(predicate: (b: BlockLine) => boolean): BlockLine {
  const found = prefix().find((l): l is BlockLine => l.kind === 'block' && predicate(l as BlockLine));
  assert.ok(found !== undefined);
  return found;
}

async function replay(lines: Line[]): Promise<ReplayReport> {
  const dir = mkdtempSync(join(tmpdir(), 'cmtd-replay-divergence-'));
  try {
    const file = join(dir, 'chain.jsonl');
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const source = await FileSource.open(file);
    try {
      return await replayChain({ source, stateDir: join(dir, 'state.db') });
    } finally {
      await source.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const flip = (hex: string): string => `${hex[0] === 'A' ? 'B' : 'A'}${hex.slice(1)}`;

describe('replay divergence on a fabricated recording', () => {
  it('matches the unchanged recording at every height', async () => {
    const report = await replay(prefix());
    assert.equal(report.divergence, undefined);
    assert.equal(report.matched, BigInt(LAST));
    assert.deepEqual(report.unverified, []);
  });

  it('reports a changed app hash in the next header at the height before it', async () => {
    const lines = prefix();
    const next = block(lines, 13).block.block.header;
    const real = next.app_hash;
    next.app_hash = flip(real);
    const report = await replay(lines);
    assert.deepEqual(report.divergence, { height: 12n, appHash: { expected: flip(real), got: real, from: 'header of block 13' }, txs: [] });
    assert.equal(report.matched, 11n, 'heights 1–11 matched, replay stopped at 12');
  });

  it("reports a changed app hash in the last block's block_results", async () => {
    const lines = prefix();
    const results = block(lines, LAST).results;
    const real = Buffer.from(results.app_hash!, 'base64');
    const changed = Buffer.from(real);
    changed[0]! ^= 0xff;
    results.app_hash = changed.toString('base64');
    const report = await replay(lines);
    assert.deepEqual(report.divergence?.appHash, {
      expected: changed.toString('hex').toUpperCase(),
      got: real.toString('hex').toUpperCase(),
      from: `block_results of block ${LAST}`,
    });
    assert.equal(report.divergence?.height, BigInt(LAST));
  });

  it('reports a changed genesis app hash as a divergence in InitChain (height 0)', async () => {
    const lines = prefix();
    const first = block(lines, 1).block.block.header;
    const real = first.app_hash;
    first.app_hash = flip(real);
    const report = await replay(lines);
    assert.deepEqual(report.divergence, { height: 0n, appHash: { expected: flip(real), got: real, from: 'header of block 1' }, txs: [] });
  });

  for (const field of ['code', 'data', 'gas_wanted', 'gas_used'] as const) {
    it(`reports a transaction whose ${field} differs, with its index and hash`, async () => {
      const lines = prefix();
      const target = firstWith((b) => (b.results.txs_results?.length ?? 0) >= 2);
      const height = Number(target.block.block.header.height);
      const tx = block(lines, height).results.txs_results![1]!;
      const real = { code: String(tx.code), data: Buffer.from(tx.data ?? '', 'base64').toString('hex'), gas_wanted: tx.gas_wanted, gas_used: tx.gas_used }[field];
      let expected: string;
      if (field === 'code') {
        tx.code = 99;
        expected = '99';
      } else if (field === 'data') {
        tx.data = Buffer.from('c0ffee', 'hex').toString('base64');
        expected = 'c0ffee';
      } else {
        tx[field] = String(BigInt(tx[field]) + 1n);
        expected = tx[field];
      }
      const report = await replay(lines);
      assert.equal(report.divergence?.height, BigInt(height));
      assert.equal(report.divergence?.appHash, undefined, 'the app hash itself still matched');
      const hash = createHash('sha256').update(Buffer.from(target.block.block.data.txs![1]!, 'base64')).digest('hex').toUpperCase();
      assert.deepEqual(report.divergence?.txs, [{ index: 1, hash, field, expected, got: real }]);
    });
  }

  it('reports a different number of transaction results', async () => {
    const lines = prefix();
    const target = firstWith((b) => (b.results.txs_results?.length ?? 0) >= 2);
    const height = Number(target.block.block.header.height);
    const results = block(lines, height).results;
    const count = results.txs_results!.length;
    results.txs_results!.pop();
    const report = await replay(lines);
    assert.equal(report.divergence?.height, BigInt(height));
    assert.deepEqual(report.divergence?.txCount, { expected: count - 1, got: count });
  });

  it('reports changed validator updates (a power, a missing update)', async () => {
    const lines = prefix();
    const target = firstWith((b) => (b.results.validator_updates?.length ?? 0) > 0);
    const height = Number(target.block.block.header.height);
    const updates = block(lines, height).results.validator_updates!;
    const real = updates.map((u) => u.power);
    updates[0]!.power = String(BigInt(updates[0]!.power) + 1n);
    const report = await replay(lines);
    assert.equal(report.divergence?.height, BigInt(height));
    assert.equal(report.divergence?.validatorUpdates?.got.map((u) => u.split(':')[1]).join(','), real.join(','));
    assert.equal(report.divergence?.validatorUpdates?.expected[0]?.split(':')[1], String(BigInt(real[0]!) + 1n));

    const dropped = prefix();
    block(dropped, height).results.validator_updates = null;
    const missing = await replay(dropped);
    assert.equal(missing.divergence?.height, BigInt(height));
    assert.deepEqual(missing.divergence?.validatorUpdates?.expected, []);
    assert.equal(missing.divergence?.validatorUpdates?.got.length, real.length);
  });
});
