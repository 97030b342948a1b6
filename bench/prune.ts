/**
 * Pruning's cost per block over a long run (docs/STORE.md "Pruning"): a
 * store with a short history window commits many small blocks, each
 * followed by waiting for its pruning run; printed per 1,000 blocks, the
 * milliseconds per block spent waiting. It should stay flat however many
 * stale lists were deleted before (their deletion marks stay in LevelDB
 * until compaction removes them).
 *
 *   node --import tsx bench/prune.ts [blocks=6000] [history=2] [keys per block=20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CommittedStore } from '../src/store/committed-store.js';
import { nodeDescription } from './lib/node-info.js';

const BLOCKS = Number(process.argv[2] ?? 6000);
const HISTORY = Number(process.argv[3] ?? 2);
const KEYS = Number(process.argv[4] ?? 20);
/** Distinct keys the blocks rewrite: every block replaces values, so every block writes a stale list. */
const KEY_SPACE = 500;

const dir = mkdtempSync(join(tmpdir(), 'cmtd-bench-prune-'));
const store = await CommittedStore.open(join(dir, 'state.db'), { stateHistory: HISTORY });
console.log(`prune benchmark: ${BLOCKS} blocks of ${KEYS} keys, --state-history ${HISTORY} (${nodeDescription()})`);
try {
  let started = performance.now();
  let waited = 0;
  for (let h = 1; h <= BLOCKS; h++) {
    const changes: Array<[string, Uint8Array]> = [];
    for (let k = 0; k < KEYS; k++) changes.push([`a/${(h * 7 + k * 13) % KEY_SPACE}`, Uint8Array.from([h & 0xff, k, 1, 2, 3])]);
    const pending = store.computeRoot(changes);
    await store.commit(BigInt(h), pending, pending.root);
    const t = performance.now();
    await store.pruned();
    waited += performance.now() - t;
    if (h % 1000 === 0) {
      const blocks = 1000;
      console.log(
        `  blocks ${h - blocks + 1}-${h}: ${((performance.now() - started) / blocks).toFixed(2)} ms per block, of which waiting for pruning ${(waited / blocks).toFixed(2)} ms`,
      );
      started = performance.now();
      waited = 0;
    }
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
