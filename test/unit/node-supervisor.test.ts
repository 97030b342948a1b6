/**
 * The node supervisor (src/node/supervisor.ts) with two stand-in processes:
 * a "cmtd" that prints its ready line and a "cometbft" that answers /status
 * (one that ignores SIGTERM, as CometBFT whose app died may hang). The real
 * pair is exercised in test/integration/node-supervisor.test.ts.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../../src/node/process.js';
import { NodeSupervisor } from '../../src/node/supervisor.js';
import { alive } from '../support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'cmtd-supervisor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Each stand-in appends "<name> <signal>" to the events file when signalled.
const CMTD = `
const { appendFileSync } = require('node:fs');
process.on('SIGTERM', () => { appendFileSync(process.env.EVENTS, 'cmtd SIGTERM\\n'); process.exit(0); });
console.log('cmtd listening on unix:///x');
setInterval(() => undefined, 1000);
`;
const COMET = `
const { appendFileSync } = require('node:fs');
process.on('SIGTERM', () => { appendFileSync(process.env.EVENTS, 'cometbft SIGTERM\\n'); if (process.env.HANG !== '1') process.exit(0); });
require('node:http').createServer((req, res) => res.end(JSON.stringify({ result: { node_info: { id: 'stand-in' }, sync_info: { latest_block_height: '7' } } }))).listen(Number(process.env.PORT), '127.0.0.1');
`;

async function pair(name: string, options: { hang?: boolean; graceMs?: number } = {}): Promise<{ sup: NodeSupervisor; events: string; reports: string[] }> {
  const port = await freePort();
  const events = join(dir, `${name}.events`);
  writeFileSync(events, '');
  const env = { ...process.env, EVENTS: events, PORT: String(port), HANG: options.hang === true ? '1' : '0' };
  const reports: string[] = [];
  const sup = new NodeSupervisor({
    name,
    cometRpcUrl: `http://127.0.0.1:${port}`,
    graceMs: options.graceMs ?? 5_000,
    cmtd: { name: 'cmtd', command: process.execPath, args: ['-e', CMTD], env, logFile: join(dir, `${name}.cmtd.log`) },
    comet: { name: 'cometbft', command: process.execPath, args: ['-e', COMET], env, logFile: join(dir, `${name}.comet.log`) },
    report: (m) => reports.push(m),
  });
  return { sup, events, reports };
}

function events(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

describe('node supervisor', () => {
  it('stops CometBFT first, then cmtd', async () => {
    const { sup, events: file } = await pair('order');
    await sup.start();
    const end = sup.supervise('on-failure');
    await sup.stop();
    assert.deepEqual(events(file), ['cometbft SIGTERM', 'cmtd SIGTERM']);
    assert.deepEqual(await end, { code: 0, reason: 'stopped' });
    assert.equal(sup.cmtd.running || sup.comet.running, false);
  });

  it('when cmtd is killed, ends CometBFT (SIGKILL when it ignores SIGTERM) and restarts the pair', async () => {
    const { sup, events: file, reports } = await pair('restart', { hang: true, graceMs: 500 });
    await sup.start();
    void sup.supervise('on-failure');
    const [cmtdPid, cometPid] = [sup.cmtd.pid!, sup.comet.pid!];
    process.kill(cmtdPid, 'SIGKILL');
    await waitFor('the pair running again', async () => (reports.some((r) => r.startsWith('running again')) ? true : undefined), 30_000);
    assert.equal(alive(cometPid), false, 'the old CometBFT was ended');
    assert.deepEqual(events(file), ['cometbft SIGTERM'], 'CometBFT got SIGTERM first (and then SIGKILL: it ignored it)');
    assert.ok(sup.running && sup.cmtd.pid !== cmtdPid && sup.comet.pid !== cometPid, 'both processes are new');
    assert.ok(
      reports.some((r) => /^cmtd exited \(killed by SIGKILL\)/.test(r)),
      reports.join('\n'),
    );
    assert.ok(
      reports.some((r) => /^restarting the pair in 1 s/.test(r)),
      reports.join('\n'),
    );
    await sup.stop();
  });

  it("with restart 'no', a dead CometBFT ends cmtd and the pair for good", async () => {
    const { sup, events: file, reports } = await pair('no');
    await sup.start();
    const end = sup.supervise('no');
    process.kill(sup.comet.pid!, 'SIGKILL');
    const result = await end;
    assert.equal(result.code, 1);
    assert.match(result.reason, /^cometbft exited \(killed by SIGKILL\)/);
    assert.deepEqual(events(file), ['cmtd SIGTERM']);
    assert.equal(sup.cmtd.running || sup.comet.running, false);
    assert.equal(reports.filter((r) => /exited|not running/.test(r)).length, 1, `one exit reported, nothing restarted: ${reports.join('\n')}`);
  });
});
