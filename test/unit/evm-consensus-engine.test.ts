/**
 * Issue 19.1: nothing outside the block changes an EVM result. The issue's
 * scenario (A calls B, whose REVERT asks for a 2^256 − 1 byte range, then A
 * writes storage) gives the same app hash, code and gas with DEBUG=ethjs in
 * the environment; consensus engines refuse listeners, a tampered one
 * stops block execution instead of computing another state, and engines
 * that serve JSON-RPC (and may trace) are never used for blocks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { acquireEngine, releaseEngine, type EvmEngine } from '../../src/evm/engine.js';
import { AppNode, Account, CMT } from '../support/app-node.js';

const run = promisify(execFile);
const SCENARIO = fileURLToPath(new URL('./fixtures/evm-debug-scenario.ts', import.meta.url));

interface ScenarioResult {
  appHash: string;
  code: number;
  gasUsed: string;
}

async function scenario(env: NodeJS.ProcessEnv): Promise<ScenarioResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', SCENARIO], { env, maxBuffer: 256 * 1024 * 1024 });
  const line = stdout.trim().split('\n').at(-1)!;
  return JSON.parse(line) as ScenarioResult;
}

describe('consensus EVM engines', () => {
  it('DEBUG=ethjs in the environment changes no result (app hash, code, gas)', async () => {
    const plain = await scenario({ ...process.env, DEBUG: '' });
    const debug = await scenario({ ...process.env, DEBUG: 'ethjs' });
    assert.equal(plain.code, 0, 'B fails out of gas, A carries on');
    assert.equal(plain.gasUsed, '145729');
    assert.deepEqual({ appHash: debug.appHash, code: debug.code, gasUsed: debug.gasUsed }, { appHash: plain.appHash, code: plain.code, gasUsed: plain.gasUsed });
  });

  describe('listeners', () => {
    const sender = Account.fromSeed('engine-listeners');
    const node = new AppNode();
    const A = '0x000000000000000000000000000000000000a001';
    before(() =>
      node.open({
        accounts: [{ address: sender.address, balance: (1_000n * CMT).toString() }],
        contracts: [{ address: A, code: '0x6001600055600160005500', storage: {}, balance: '0', nonce: '1' }],
      }),
    );
    after(() => node.close());

    /** Block 1 with one call to A (a refused block commits nothing, so each attempt is block 1 again). */
    const attempt = async (): Promise<unknown> => {
      sender.nonce = 0;
      node.height = 0n;
      return node.block([await sender.sign({ to: A, gasLimit: 200_000n })]);
    };

    it('a consensus engine refuses a listener; one attached behind its back stops the block', async () => {
      const engine: EvmEngine = await acquireEngine(18n, 'consensus');
      assert.throws(() => engine.evm.events.on('step', () => {}), /takes no listeners/);
      // Bypass the refusal through the emitter's prototype, as a careless tracer could.
      const proto = Object.getPrototypeOf(engine.evm.events) as { on(this: unknown, event: string, fn: () => void): void };
      let steps = 0;
      proto.on.call(engine.evm.events, 'step', () => steps++);
      releaseEngine(engine);
      await assert.rejects(attempt(), /has listeners \(step\)/);
      assert.equal(steps, 0, 'the listener never ran');

      // The executor dropped that engine; the next one gets its debug hook turned on.
      const next = await acquireEngine(18n, 'consensus');
      assert.notEqual(next, engine);
      (next.evm as unknown as { DEBUG: boolean }).DEBUG = true;
      releaseEngine(next);
      await assert.rejects(attempt(), /debug hook is on/);
    });

    it('an RPC engine may trace, and block execution never uses it', async () => {
      const rpc = await acquireEngine(18n);
      assert.equal(rpc.role, 'rpc');
      let steps = 0;
      rpc.evm.events.on('step', () => steps++);
      releaseEngine(rpc);
      const fresh = new AppNode();
      await fresh.open({
        accounts: [{ address: sender.address, balance: (1_000n * CMT).toString() }],
        contracts: [{ address: A, code: '0x6001600055600160005500', storage: {}, balance: '0', nonce: '1' }],
      });
      try {
        sender.nonce = 0;
        const block = await fresh.block([await sender.sign({ to: A, gasLimit: 200_000n })]);
        assert.equal(block.results[0]!.code, 0, block.results[0]!.log);
        assert.equal(steps, 0, 'the block ran on a consensus engine');
      } finally {
        await fresh.close();
        const again = await acquireEngine(18n);
        assert.equal(again, rpc, 'the RPC engine is still in its own pool');
        again.evm.events.removeAllListeners();
        releaseEngine(again);
      }
    });
  });
});
