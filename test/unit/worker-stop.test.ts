/**
 * util/worker-stop.ts: a worker thread busy in native calls is stopped
 * between them, never in one (which aborts the whole process).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { guardCells, nativeGuard, stopWorker } from '../../src/util/worker-stop.js';

describe('stopping worker threads that call native addons', () => {
  it('a thread hashing with the native keccak in a loop is stopped 30 times: the process survives every cycle', () => {
    const fixture = fileURLToPath(new URL('./fixtures/native-busy-stop-cycles.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', fixture, '30', '50'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.signal, null, `the process was killed by ${result.signal}: ${result.stderr}`);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'stopped 30\n');
  });

  it('waits while the thread says it is in a native call, and terminates it once it is out', async () => {
    const guard = nativeGuard();
    const cells = new Int32Array(guard);
    // A stand-in thread: "in a native call" until the test clears the cell; it then idles until terminated.
    const worker = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.postMessage('booted'); setInterval(() => {}, 1000);`, { eval: true });
    const booted = new Promise((resolve) => worker.once('message', resolve));
    await booted;
    Atomics.store(cells, 1, 1);
    const events: string[] = [];
    worker.once('exit', () => events.push('terminated'));
    const stopping = stopWorker(worker, guard, booted).then(() => events.push('stopWorker returned'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(Atomics.load(cells, 0), 1, 'the stop is asked once the thread has booted');
    assert.deepEqual([...events], [], 'not terminated while a native call is in progress');
    events.push('native call returned');
    Atomics.store(cells, 1, 0);
    await stopping;
    assert.deepEqual(events, ['native call returned', 'terminated', 'stopWorker returned']);
  });

  it('guardCells reads a guard from workerData, and nothing else', () => {
    const guard = nativeGuard();
    assert.equal(guardCells({ nativeGuard: guard })?.length, 2);
    for (const data of [undefined, null, {}, { nativeGuard: new ArrayBuffer(8) }, { nativeGuard: new SharedArrayBuffer(4) }, 'x']) {
      assert.equal(guardCells(data), undefined, JSON.stringify(data));
    }
  });
});
