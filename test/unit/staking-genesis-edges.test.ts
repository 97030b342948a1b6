/**
 * canonicalJson (src/staking/genesis.ts): the one canonical text of a JSON
 * value (keys sorted at every level), which genesis candidate descriptions
 * are stored as (docs/STAKING.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../src/staking/genesis.js';

describe('canonicalJson', () => {
  it('sorts object keys at every level and keeps array order', () => {
    assert.equal(canonicalJson({ b: [3, { d: null, c: 'x' }], a: {} }), '{"a":{},"b":[3,{"c":"x","d":null}]}');
    assert.equal(canonicalJson([2, 1]), '[2,1]');
    assert.equal(canonicalJson(null), 'null');
  });

  it('leaves out properties whose value is undefined, as JSON.stringify does', () => {
    assert.equal(canonicalJson({ b: 1, a: undefined }), JSON.stringify({ b: 1 }));
    assert.equal(canonicalJson({ x: { a: undefined } }), '{"x":{}}');
  });
});
