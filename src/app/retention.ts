/**
 * Which blocks a node keeps (`--min-retain-blocks`): the `retain_height`
 * Commit gives CometBFT (it prunes its block store below it) and the app
 * prunes its own index to (src/index/pruner.ts). Never below what:
 * - the snapshots need: peers restoring the oldest kept snapshot fetch the
 *   blocks after it;
 * - evidence needs: CometBFT verifies evidence against blocks up to
 *   `evidence.max_age_num_blocks` old (the duration bound is not considered:
 *   see docs/STATE-SYNC.md, "Pruning");
 * - the state history needs: blocks of every retained state version stay
 *   queryable (`--state-history`; 0 keeps every state, hence every block).
 */
import type { PrunableIndexStore } from '../index/pruner.js';
import { EXTRA_PREFIXES } from '../state/keys.js';

/** CometBFT's default `evidence.max_age_num_blocks`, used when the genesis value is not known (a state-synced node). */
export const DEFAULT_EVIDENCE_MAX_AGE_BLOCKS = 100_000n;
/** The non-consensus record holding the chain's `evidence.max_age_num_blocks` (from InitChain). */
export const EVIDENCE_MAX_AGE_KEY = `${EXTRA_PREFIXES.app}evidence_max_age`;

export interface RetentionOptions {
  /** Blocks to keep at least (0: keep every block, never prune). */
  minRetainBlocks: number;
  snapshotInterval: number;
  snapshotKeepRecent: number;
  /** `--state-history` (0: all). */
  stateHistory: number;
}

export class BlockRetention {
  private evidenceMaxAge = DEFAULT_EVIDENCE_MAX_AGE_BLOCKS;

  constructor(readonly options: RetentionOptions) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got ${value}`);
    }
  }

  /** Reads the evidence age recorded at genesis (absent on a state-synced node: the CometBFT default). */
  async load(store: PrunableIndexStore): Promise<void> {
    const raw = await store.getExtra(EVIDENCE_MAX_AGE_KEY);
    if (raw !== undefined) this.evidenceMaxAge = BigInt(Buffer.from(raw).toString('utf8'));
  }

  /** The genesis consensus param; returns the record to write with block 1. */
  setEvidenceMaxAge(blocks: bigint): [string, Uint8Array] {
    this.evidenceMaxAge = blocks > 0n ? blocks : DEFAULT_EVIDENCE_MAX_AGE_BLOCKS;
    return [EVIDENCE_MAX_AGE_KEY, Buffer.from(this.evidenceMaxAge.toString(), 'utf8')];
  }

  /** The lowest height to keep after committing `height`; 0 keeps everything. */
  retainHeight(height: bigint): bigint {
    const { minRetainBlocks, snapshotInterval, snapshotKeepRecent, stateHistory } = this.options;
    if (minRetainBlocks === 0 || stateHistory === 0) return 0n;
    let retain = height - BigInt(minRetainBlocks) + 1n;
    const lower = (h: bigint): void => {
      if (h < retain) retain = h;
    };
    lower(height - BigInt(stateHistory) + 1n);
    lower(height - this.evidenceMaxAge);
    if (snapshotInterval > 0) {
      const interval = BigInt(snapshotInterval);
      lower(height - (height % interval) - BigInt(Math.max(snapshotKeepRecent - 1, 0)) * interval);
    }
    return retain > 1n ? retain : 0n;
  }
}
