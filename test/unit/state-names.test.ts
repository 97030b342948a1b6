/**
 * What a reader sees of src/state's errors and ranges: the error names and
 * every numeric param's range exactly as docs/GOVERNANCE.md documents it
 * (the table is the reference; an edit on one side only fails here).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { InsufficientBalanceError } from '../../src/state/accounts.js';
import { DEFAULT_PARAMS, PARAM_NAMES, ParamError, paramRange, parseParamValue } from '../../src/state/params.js';

describe('state names', () => {
  it('the errors carry their class names', () => {
    assert.equal(new InsufficientBalanceError(`0x${'0'.repeat(40)}`, 1n, 2n).name, 'InsufficientBalanceError');
    assert.throws(
      () => parseParamValue('max_validators', '0'),
      (e: unknown) => e instanceof ParamError && e.name === 'ParamError' && e.param === 'max_validators',
    );
  });

  it("each numeric param's range reads exactly as in the table of docs/GOVERNANCE.md", () => {
    const rows = new Map<string, string>();
    for (const line of readFileSync('docs/GOVERNANCE.md', 'utf8').split('\n')) {
      const m = /^\| `([a-z_]+)` \| [^|]* \| ([^|]*) \| (?:yes|fixed) \|$/.exec(line);
      if (m !== null) rows.set(m[1]!, m[2]!.trim());
    }
    for (const field of PARAM_NAMES) {
      const documented = rows.get(field);
      assert.ok(documented !== undefined, `${field} is in the table`);
      const numeric = typeof DEFAULT_PARAMS[field] !== 'string' && typeof DEFAULT_PARAMS[field] !== 'boolean';
      assert.equal(paramRange(field), numeric ? documented : undefined, field);
    }
  });
});
