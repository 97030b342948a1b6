/**
 * Sender recovery on worker threads (src/tx/sender-recovery.ts): the
 * senders and refusals are exactly those of recovery on the main thread,
 * whoever claims a transaction first; offers are bounded and withdrawn
 * when nobody takes them; a closed or failed pool leaves everything to the
 * main thread.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RLP } from '@ethereumjs/rlp';
import { Transaction, Wallet } from 'ethers';

import { decodeSignedTx, decodeTx, type SignedTx } from '../../src/tx/decode.js';
import { TxError } from '../../src/tx/errors.js';
import { SenderCache } from '../../src/tx/sender-cache.js';
import { MAX_OUTSTANDING_TXS, MIN_BATCH, SenderRecovery, type Signed } from '../../src/tx/sender-recovery.js';
import { keccak256, signHash } from '../../src/util/crypto.js';
import { silentLogger } from '../../src/util/logger.js';

const CHAIN_ID = 18n;

/** A legacy EIP-155 transfer signed natively (fast enough for thousands). */
function legacyTransfer(key: Uint8Array, nonce: number): Uint8Array {
  const fields = [
    nonce === 0
      ? new Uint8Array(0)
      : Uint8Array.of(nonce & 0xff, nonce >> 8)
          .reverse()
          .subarray(nonce < 256 ? 1 : 0),
    Uint8Array.of(0x77, 0x35, 0x94, 0x00),
    Uint8Array.of(0x52, 0x08),
    new Uint8Array(20).fill(7),
    Uint8Array.of(1),
    new Uint8Array(0),
  ];
  const hash = keccak256(RLP.encode([...fields, Uint8Array.of(Number(CHAIN_ID)), new Uint8Array(0), new Uint8Array(0)]));
  const { r, s, recovery } = signHash(hash, key);
  const strip = (b: Uint8Array): Uint8Array => b.subarray(b.findIndex((x) => x !== 0));
  return RLP.encode([...fields, Uint8Array.of(Number(CHAIN_ID) * 2 + 35 + recovery), strip(r), strip(s)]);
}

/** Offers transactions the way SenderCache does: decoded, each under its own byte array. */
function offerRaws(recovery: SenderRecovery, raws: Uint8Array[]): void {
  recovery.offer(
    raws,
    raws.map((raw) => decodeTx(raw)),
  );
}

function keyOf(i: number): Uint8Array {
  return keccak256(Buffer.from(`sender-recovery-${i}`));
}

/** The outcome of resolving `raw`: its sender, or the refusal's code and message. */
function outcome(cache: SenderCache, raw: Uint8Array): string {
  try {
    const tx: SignedTx = cache.resolve(raw);
    return `sender ${tx.sender} nonce ${tx.nonce}`;
  } catch (err) {
    if (!(err instanceof TxError)) throw err;
    return `refused ${err.code}: ${err.message}`;
  }
}

/** One pool with one worker thread for the two suites that need one. */
let recovery: SenderRecovery;
before(() => {
  recovery = new SenderRecovery({ threads: 1, logger: silentLogger() });
});
after(async () => {
  await recovery.close();
});

describe('sender recovery on worker threads', () => {
  it('gives the senders and refusals of main-thread recovery, for every kind of transaction', async () => {
    const wallet = new Wallet(`0x${'11'.repeat(32)}`);
    const signed = [
      await wallet.signTransaction({ type: 0, chainId: CHAIN_ID, nonce: 0, gasPrice: 1n, gasLimit: 21_000n, to: wallet.address, value: 1n }),
      await wallet.signTransaction({ type: 1, chainId: CHAIN_ID, nonce: 1, gasPrice: 1n, gasLimit: 30_000n, to: wallet.address, accessList: [] }),
      await wallet.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: 2, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n, gasLimit: 60_000n, data: '0x6001' }),
    ].map((h) => Uint8Array.from(Buffer.from(h.slice(2), 'hex')));
    // A signature that recovers no key (r = 5 is no point's x: 5³ + 7 is not a square mod p), a malformed encoding, a truncated one.
    const tx = Transaction.from(Buffer.from(signed[2]!).toString('hex').replace(/^/, '0x'));
    const badSig = Uint8Array.from(
      Buffer.from(Transaction.from({ ...tx.toJSON(), signature: { r: `0x${'00'.repeat(31)}05`, s: `0x${'00'.repeat(31)}01`, v: 27 } }).serialized.slice(2), 'hex'),
    );
    const raws: Uint8Array[] = [...signed, badSig, Uint8Array.of(0xc0), signed[0]!.subarray(0, 40)];
    for (let i = 0; i < 200; i++) raws.push(legacyTransfer(keyOf(i % 20), i));

    const inline = new SenderCache();
    const expected = raws.map((raw) => outcome(inline, raw));
    assert.equal(expected.filter((e) => e.startsWith('refused')).length, 3, 'the three broken transactions are refused');
    assert.match(expected[3]!, /does not recover a public key/);

    const cache = new SenderCache(undefined, recovery);
    cache.offer(raws);
    assert.deepEqual(
      raws.map((raw) => outcome(cache, raw)),
      expected,
    );
  });

  it('hands out what the worker recovered once it is done, the same address as the main thread', async () => {
    const raws = Array.from({ length: 64 }, (_, i) => legacyTransfer(keyOf(i), 0));
    offerRaws(recovery, raws);
    // Wait until the worker has recovered the last transaction (it works from the back).
    const last = raws[raws.length - 1]!;
    const deadline = Date.now() + 10_000;
    let sender: Uint8Array | undefined;
    // The first take claims the first transaction for the main thread unless the worker already has it: take from the back.
    while (sender === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
      sender = peekRecovered(recovery, last);
    }
    assert.ok(sender !== undefined, 'the worker recovered the last transaction');
    assert.equal(`0x${Buffer.from(sender).toString('hex')}`, decodeSignedTx(last).sender);
    assert.deepEqual(recovery.take(last), sender);
    assert.equal(recovery.take(last), undefined, 'a transaction is handed out once');
    for (const raw of raws.slice(0, -1)) {
      const got = recovery.take(raw);
      if (got !== undefined) assert.equal(`0x${Buffer.from(got).toString('hex')}`, decodeSignedTx(raw).sender);
    }
  });

  it(`does not offer a batch of fewer than ${MIN_BATCH}, nor a transaction already offered`, () => {
    const small = Array.from({ length: MIN_BATCH - 1 }, (_, i) => legacyTransfer(keyOf(i), 9));
    offerRaws(recovery, small);
    assert.equal(
      small.some((raw) => recoveryHolds(recovery, raw)),
      false,
      'a small batch is left to the main thread',
    );
    const batch = Array.from({ length: MIN_BATCH }, (_, i) => legacyTransfer(keyOf(i), 10));
    offerRaws(recovery, batch);
    offerRaws(recovery, [...batch, ...small]);
    assert.equal(
      batch.every((raw) => recoveryHolds(recovery, raw)),
      true,
    );
    assert.equal(
      small.some((raw) => recoveryHolds(recovery, raw)),
      false,
      'offered again with the batch, the small ones alone are too few',
    );
    const taken = batch.map((raw) => recovery.take(raw));
    // Whichever side claimed each, a second take has nothing left.
    assert.deepEqual(
      batch.map((raw) => recovery.take(raw)),
      batch.map(() => undefined),
    );
    for (const [i, got] of taken.entries()) if (got !== undefined) assert.equal(`0x${Buffer.from(got).toString('hex')}`, decodeSignedTx(batch[i]!).sender);
  });

  it('withdraws the oldest offers nobody took when new ones need the room', () => {
    // Signatures that recover no key (r = 5): the worker gives up on each at once.
    const unrecoverable: Signed = { signingHash: new Uint8Array(32).fill(3), r: Uint8Array.of(5), s: Uint8Array.of(1), recovery: 0 };
    const keys = (n: number): Uint8Array[] => Array.from({ length: n }, () => new Uint8Array(1));
    const old = keys(MAX_OUTSTANDING_TXS - 10);
    const fresh = keys(20);
    recovery.offer(
      old,
      old.map(() => unrecoverable),
    );
    recovery.offer(
      fresh,
      fresh.map(() => unrecoverable),
    );
    assert.equal(
      old.some((raw) => recovery.take(raw) !== undefined || recoveryHolds(recovery, raw)),
      false,
      'the old batch was withdrawn',
    );
    assert.equal(
      fresh.every((raw) => recoveryHolds(recovery, raw)),
      true,
      'the new batch is offered',
    );
  });
});

describe('sender cache offers', () => {
  it('lets go of offers that will not be read (a rejected proposal): the pool holds none of them, and they still resolve', () => {
    const cache = new SenderCache(undefined, recovery);
    const raws = Array.from({ length: 16 }, (_, i) => legacyTransfer(keyOf(i), 20));
    cache.offer(raws);
    assert.equal(recoveryHolds(recovery, raws[15]!), true);
    assert.equal(cacheOffers(cache), 16);
    cache.resolve(raws[0]!);
    cache.release(raws);
    assert.equal(cacheOffers(cache), 0);
    assert.equal(
      raws.some((raw) => recoveryHolds(recovery, raw)),
      false,
    );
    assert.deepEqual(
      raws.map((raw) => cache.resolve(raw).sender),
      raws.map((raw) => decodeSignedTx(raw).sender),
    );
  });

  it('keeps at most 32,768 offers, oldest let go first', () => {
    const cache = new SenderCache(undefined, recovery);
    const raw = legacyTransfer(keyOf(0), 21);
    cache.resolve(raw); // cached: offers of its copies keep only their key
    const copies = Array.from({ length: 32_769 }, () => raw.slice());
    cache.offer(copies);
    assert.equal(cacheOffers(cache), 32_768);
    assert.equal(cacheHolds(cache, copies[0]!), false, 'the oldest is let go');
    assert.equal(cacheHolds(cache, copies[32_768]!), true);
  });
});

describe('sender recovery without workers', () => {
  it('a pool of 0 threads or a closed pool leaves every transaction to the main thread', async () => {
    const raws = Array.from({ length: 8 }, (_, i) => legacyTransfer(keyOf(i), 1));
    const none = new SenderRecovery({ threads: 0, logger: silentLogger() });
    offerRaws(none, raws);
    assert.deepEqual(
      raws.map((raw) => none.take(raw)),
      raws.map(() => undefined),
    );
    const closed = new SenderRecovery({ threads: 1, logger: silentLogger() });
    await closed.close();
    offerRaws(closed, raws);
    assert.equal(closed.threads, 1);
    assert.deepEqual(
      raws.map((raw) => closed.take(raw)),
      raws.map(() => undefined),
    );
    const cache = new SenderCache(undefined, closed);
    cache.offer(raws);
    assert.deepEqual(
      raws.map((raw) => cache.resolve(raw).sender),
      raws.map((raw) => decodeSignedTx(raw).sender),
    );
  });

  it('a worker that dies leaves every transaction to the main thread, and says so', async () => {
    const errors: string[] = [];
    const logger = silentLogger();
    logger.error = ((message: string) => {
      errors.push(message);
      return logger;
    }) as typeof logger.error;
    const dying = new SenderRecovery({ threads: 1, logger });
    // Killed once it has booted and is idle: a thread killed while it boots or while it is in a
    // native call aborts the process (the next test, util/worker-stop.ts). It claims from the back,
    // so the batch is done once the front transaction is.
    const first = Array.from({ length: 8 }, (_, i) => legacyTransfer(keyOf(100 + i), 0));
    offerRaws(dying, first);
    const idle = Date.now() + 10_000;
    while (first.some((raw) => peekRecovered(dying, raw) === undefined) && Date.now() < idle) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(
      first.every((raw) => peekRecovered(dying, raw) !== undefined),
      'the worker recovered its first batch',
    );
    const worker = (dying as unknown as { workers: Array<{ terminate(): Promise<number> }> }).workers[0]!;
    await worker.terminate();
    const deadline = Date.now() + 10_000;
    while (dying.threads !== 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(dying.threads, 0);
    assert.match(errors.join('\n'), /a sender recovery thread exited \(code \d+\); senders are recovered on the main thread from now on/);
    const raws = Array.from({ length: 8 }, (_, i) => legacyTransfer(keyOf(i), 2));
    const cache = new SenderCache(undefined, dying);
    cache.offer(raws);
    assert.equal(recoveryHolds(dying, raws[0]!), false, 'nothing is offered any more');
    assert.deepEqual(
      raws.map((raw) => cache.resolve(raw).sender),
      raws.map((raw) => decodeSignedTx(raw).sender),
    );
    await dying.close();
  });

  it('closing a pool while its thread still boots ends the thread cleanly: the process survives every cycle', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/sender-recovery-close-cycles.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', fixture, '30', '300'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.signal, null, `the process was killed by ${result.signal}: ${result.stderr}`);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'closed 30\n');
  });

  it('refuses a thread count out of range', () => {
    for (const threads of [-1, 1.5, 17]) {
      assert.throws(() => new SenderRecovery({ threads, logger: silentLogger() }), /sender threads must be an integer from 0 to 16/);
    }
  });
});

/** Test view: whether `raw` is still offered (not taken, not withdrawn). */
function recoveryHolds(recovery: SenderRecovery, raw: Uint8Array): boolean {
  return (recovery as unknown as { offered: Map<Uint8Array, unknown> }).offered.has(raw);
}

/** Test view: the sender the worker wrote for `raw`, without claiming it; undefined until it is done. */
function peekRecovered(recovery: SenderRecovery, raw: Uint8Array): Uint8Array | undefined {
  const entry = (recovery as unknown as { offered: Map<Uint8Array, { batch: { claims: Int32Array; senders: Uint8Array }; index: number }> }).offered.get(raw);
  if (entry === undefined) return undefined;
  return Atomics.load(entry.batch.claims, entry.index) === 3 ? entry.batch.senders.slice(20 * entry.index, 20 * entry.index + 20) : undefined;
}

/** Test view: how many offers a sender cache holds. */
function cacheOffers(cache: SenderCache): number {
  return (cache as unknown as { offered: Map<Uint8Array, unknown> }).offered.size;
}

function cacheHolds(cache: SenderCache, raw: Uint8Array): boolean {
  return (cache as unknown as { offered: Map<Uint8Array, unknown> }).offered.has(raw);
}
