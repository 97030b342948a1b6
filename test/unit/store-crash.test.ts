/**
 * Crash safety: a child process commits blocks in a loop and is killed with
 * SIGKILL at an arbitrary moment; the reopened store must hold exactly the
 * last reported height or the next one, with every key as of that height.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CommittedStore } from '../../src/store/committed-store.js';
import { KEY_SPACE, expectedState } from './fixtures/store-crash-blocks.js';
import { referenceRoot } from './fixtures/store-reference.js';

const WRITER = fileURLToPath(new URL('./fixtures/store-crash-writer.ts', import.meta.url));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface RunResult {
  opened: number;
  lastReported: number;
}

/**
 * Runs the writer until it has reported `commits` new heights, then SIGKILLs
 * it: at once (`at: 'committed'`), or as soon as it announces the next
 * commit's batch write (`at: 'writing'`), so the kill lands inside it.
 */
function runAndKill(dir: string, commits: number, at: 'committed' | 'writing'): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let opened = -1;
    let lastReported = -1;
    let reported = 0;
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (err += d));
    child.stdout.on('data', (d: string) => {
      out += d;
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const m = /^(opened|writing|committed) (\d+)$/.exec(line);
        if (m === null) continue;
        if (m[1] === 'opened') opened = Number(m[2]);
        else if (m[1] === 'committed') {
          lastReported = Number(m[2]);
          reported++;
        } else if (!killed && at === 'writing' && reported >= commits) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
      if (!killed && at === 'committed' && reported >= commits) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    // 'close' fires after stdout is drained, so lastReported is final.
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`writer exited on its own (code ${code}, signal ${signal}):\n${err}`));
      } else {
        resolve({ opened, lastReported });
      }
    });
  });
}

describe('CommittedStore crash safety (kill -9)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-crash-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  // How many commits to let through before each kill: random, so the kill
  // lands at different points of the writer's loop (compute, batch write,
  // print). The seed is reported; set STORE_CRASH_SEED to replay a run.
  const seed = Number(process.env.STORE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  let rng = seed >>> 0;
  const nextCount = (): number => {
    rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
    return 1 + ((rng >>> 16) % 12);
  };
  const schedule = Array.from({ length: 8 }, (_, i) => ({
    commits: nextCount(),
    at: i % 2 === 0 ? ('writing' as const) : ('committed' as const),
  }));

  it('survives repeated SIGKILLs with a consistent, verified state', async (t) => {
    t.diagnostic(`STORE_CRASH_SEED=${seed} schedule=${schedule.map((s) => `${s.commits}@${s.at}`).join(',')}`);
    let previous = 0;
    for (const [round, { commits, at }] of schedule.entries()) {
      const { opened, lastReported } = await runAndKill(dir, commits, at);
      assert.equal(opened, previous, `round ${round}: writer resumed from the last committed height`);
      assert.ok(lastReported >= opened + commits);

      // open() checks the root node against the recorded app hash; verify() below reads every value
      const store = await CommittedStore.open(dir);
      await store.verify();
      const h = Number(store.height);
      t.diagnostic(`round ${round}: killed at '${at}' after seeing height ${lastReported}; reopened at ${h}`);
      assert.ok(h === lastReported || h === lastReported + 1, `round ${round} (seed ${seed}): height ${h} should be ${lastReported} or ${lastReported + 1}`);
      const expected = expectedState(h);
      assert.equal(hex(store.appHash), hex(referenceRoot(expected)), `round ${round}: app hash of height ${h}`);
      assert.equal(store.size, expected.size);
      for (let i = 0; i < KEY_SPACE; i++) {
        const k = `k/${i}`;
        assert.deepEqual(store.get(k), expected.get(k), `round ${round}: ${k} at height ${h}`);
      }
      assert.equal(new TextDecoder().decode(store.get('height')), String(h));
      if (h > 1) {
        // the previous version survived the kill too, reachable through the tree
        const before = expectedState(h - 1);
        assert.equal(hex(store.appHashAt(BigInt(h - 1))), hex(referenceRoot(before)), `round ${round}: app hash of height ${h - 1}`);
        for (let i = 0; i < KEY_SPACE; i += 7) assert.deepEqual(store.getAt(`k/${i}`, BigInt(h - 1)), before.get(`k/${i}`));
      }
      const lastBlock = await store.getExtra(`blk/${String(h).padStart(10, '0')}`);
      assert.equal(new TextDecoder().decode(lastBlock), `block ${h}`, 'extra records are in the same batch');
      assert.equal(await store.getExtra(`blk/${String(h + 1).padStart(10, '0')}`), undefined);
      await store.close();
      previous = h;
    }
  });
});
