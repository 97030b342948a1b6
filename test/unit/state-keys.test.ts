/**
 * The key registry (src/state/keys.ts): no prefix is a prefix of another, so
 * no room's keys or prefix scans reach another room's records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXTRA_PREFIXES, STATE_PREFIXES } from '../../src/state/keys.js';
import { accountKey } from '../../src/state/accounts.js';
import { codeKey, storageKey } from '../../src/evm/state.js';
import { ENTERPRISE_PREFIX, UNBONDINGS_PREFIX, candidateKey, delegationKey, requestKey } from '../../src/staking/store.js';
import { proposalKey, STATE_KEY as GOV_STATE_KEY } from '../../src/gov/codec.js';
import { blockHashKey, heightKey, INDEX_BASE_KEY, rejectedKey, txKey } from '../../src/index/records.js';
import { EVIDENCE_MAX_AGE_KEY } from '../../src/app/retention.js';
import { MAX_GAS_KEY } from '../../src/app/consensus.js';

function overlapping(prefixes: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [a, pa] of Object.entries(prefixes)) {
    for (const [b, pb] of Object.entries(prefixes)) if (a !== b && pb.startsWith(pa)) found.push(`${a} '${pa}' is a prefix of ${b} '${pb}'`);
  }
  return found;
}

test('no state prefix is a prefix of another', () => {
  assert.deepEqual(overlapping(STATE_PREFIXES), []);
  assert.ok(
    Object.values(STATE_PREFIXES).every((p) => p.endsWith('/')),
    'every prefix ends with its separator',
  );
});

test('no extra-record prefix is a prefix of another', () => {
  assert.deepEqual(overlapping(EXTRA_PREFIXES), []);
});

test('the check finds an overlap', () => {
  assert.equal(overlapping({ a: 'k/', b: 'k/c/' }).length, 1);
});

test("each room's keys start with its registered prefix", () => {
  const hash = new Uint8Array(32).fill(0xab);
  const address = new Uint8Array(20).fill(0x12);
  const cases: Array<[string, string]> = [
    [accountKey('0x1212121212121212121212121212121212121212'), STATE_PREFIXES.account],
    [codeKey(hash), STATE_PREFIXES.code],
    [storageKey(address, hash), STATE_PREFIXES.storage],
    [MAX_GAS_KEY, STATE_PREFIXES.consensus],
    [candidateKey('0x1212121212121212121212121212121212121212'), STATE_PREFIXES.staking],
    [delegationKey('0x1212121212121212121212121212121212121212', '0x3434343434343434343434343434343434343434'), STATE_PREFIXES.staking],
    [requestKey(7n), STATE_PREFIXES.staking],
    [UNBONDINGS_PREFIX, STATE_PREFIXES.staking],
    [ENTERPRISE_PREFIX, STATE_PREFIXES.staking],
    [proposalKey(1n), STATE_PREFIXES.governance],
    [GOV_STATE_KEY, STATE_PREFIXES.governance],
    [heightKey(5n), EXTRA_PREFIXES.indexBlock],
    [INDEX_BASE_KEY, EXTRA_PREFIXES.indexBase],
    [blockHashKey(hash), EXTRA_PREFIXES.indexBlockHash],
    [txKey(hash), EXTRA_PREFIXES.indexTx],
    [rejectedKey(hash), EXTRA_PREFIXES.indexRejected],
    [EVIDENCE_MAX_AGE_KEY, EXTRA_PREFIXES.app],
  ];
  for (const [key, prefix] of cases) assert.ok(key.startsWith(prefix), `${key} starts with ${prefix}`);
});
