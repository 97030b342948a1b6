/**
 * Key order and key validity (src/store/keys.ts) against the naive
 * reference: the byte order of the keys' UTF-8 encodings, on characters at
 * every encoding boundary (1 to 4 UTF-8 bytes, both sides of the surrogate
 * range) and on random strings of any code point.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { compareKeys, isWellFormedKey } from '../../src/store/keys.js';

/** The order the store promises (docs/STORE.md): UTF-8 bytes, compared as unsigned bytes. */
const byteOrder = (a: string, b: string): number => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

/** Code points at the edges of each UTF-8 length and of the surrogate block. */
const EDGES = ['\u0001', 'a', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uf000', '\uffff', '\u{10000}', '\u{10400}', '\u{1f600}', '\u{f0000}', '\u{10ffff}'];

describe('state keys', () => {
  it('every pair of boundary characters, alone and after a common prefix, in UTF-8 byte order', () => {
    const keys = [''];
    for (const c of EDGES) keys.push(c, `k${c}`, `${c}z`, `${c}${c}`);
    for (const a of keys) {
      for (const b of keys) {
        assert.equal(Math.sign(compareKeys(a, b)), byteOrder(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
  });

  it('a prefix sorts first; equal keys compare 0', () => {
    assert.ok(compareKeys('a', 'ab') < 0);
    assert.ok(compareKeys('ab', 'a') > 0);
    assert.ok(compareKeys('\u{10000}', '\u{10000}a') < 0);
    assert.equal(compareKeys('same', 'same'), 0);
  });

  it('random strings of any code point', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }), (a, b) => {
        assert.equal(Math.sign(compareKeys(a, b)), byteOrder(a, b));
        assert.equal(Math.sign(compareKeys(a + b, a)), byteOrder(a + b, a));
      }),
      { numRuns: 2000 },
    );
  });

  it('a key is well-formed UTF-16 without U+0000', () => {
    assert.equal(isWellFormedKey(''), true);
    assert.equal(isWellFormedKey('a/\u{1f600}é'), true);
    assert.equal(isWellFormedKey('\ud800'), false, 'lone high surrogate');
    assert.equal(isWellFormedKey('x\udc00'), false, 'lone low surrogate');
    assert.equal(isWellFormedKey('\0'), false);
    assert.equal(isWellFormedKey('a\0b'), false);
  });
});
