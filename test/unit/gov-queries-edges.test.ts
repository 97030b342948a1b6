/**
 * Governance's read API (src/gov/queries.ts) over a state whose records
 * disagree: a proposal the governance state lists but whose record is gone
 * is corruption, reported as such by name, never a TypeError or a silent gap.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STATE_KEY, encodeGovState } from '../../src/gov/codec.js';
import { GovQueries } from '../../src/gov/queries.js';
import type { KVReader } from '../../src/store/kv.js';

function stateWith(records: ReadonlyMap<string, Uint8Array>): KVReader {
  return { get: (key) => records.get(key) };
}

const NO_VALIDATORS = { validatorSet: () => [] };

describe('GovQueries over a corrupt state', () => {
  it('names a listed proposal whose record is missing, in every listing', () => {
    const state = stateWith(new Map([[STATE_KEY, encodeGovState({ nextId: 3n, held: 0n, open: [2n] })]]));
    const gov = new GovQueries(state, NO_VALIDATORS);
    const corrupt = (err: unknown): boolean => err instanceof Error && err.message === 'governance state is corrupt: proposal 1 is missing';
    assert.throws(() => gov.mustGet(1n), corrupt, 'mustGet');
    assert.throws(() => gov.proposals(), corrupt, 'proposals() walks ids from 1');
    assert.throws(
      () => gov.proposals({ status: 'open' }),
      (err: unknown) => err instanceof Error && err.message === 'governance state is corrupt: proposal 2 is missing',
      'the open list names its own missing id',
    );
    assert.equal(gov.proposal(1n), undefined, 'a single lookup is a plain miss');
  });
});
