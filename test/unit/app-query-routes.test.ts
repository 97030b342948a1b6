/**
 * The ABCI query route table (src/app/query-routes.ts): every path a client
 * builds with `queryPath` is matched by its own route alone and parses back
 * to the same arguments; malformed arguments are bad requests.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueryCode, QueryError } from '../../src/app/query-codes.js';
import { QUERY_ROUTES, queryPath, routeQuery, type QueryArgs, type QueryName, type QueryRoute } from '../../src/app/query-routes.js';
import type { ChainReads } from '../../src/app/modules.js';
import { SAMPLE_ADDRESS as ADDRESS, QUERY_SAMPLES as SAMPLES } from './fixtures/query-samples.js';

function routes(): Array<[QueryName, QueryRoute<unknown[], unknown>]> {
  return Object.entries(QUERY_ROUTES) as Array<[QueryName, QueryRoute<unknown[], unknown>]>;
}

describe('ABCI query routes', () => {
  it('parses every built path back to its arguments, through its own route only', () => {
    for (const [name, route] of routes()) {
      const args = SAMPLES[name] as unknown[];
      const path = queryPath(name, ...(args as QueryArgs<typeof name>));
      const match = route.pattern.exec(path);
      assert.ok(match !== null, `${name}: ${path} does not match its own pattern`);
      assert.deepEqual(route.parse(match), args, `${name}: ${path}`);
      const others = routes().filter(([other, r]) => other !== name && r.pattern.test(path));
      assert.deepEqual(
        others.map(([other]) => other),
        [],
        `${path} also matches other routes`,
      );
    }
  });

  it('refuses malformed arguments before reading anything, and says what was not found', () => {
    const reads = new Proxy({} as ChainReads, {
      get: () => {
        throw new Error('a malformed query reached the typed read API');
      },
    });
    for (const path of ['/account/0x12', '/candidate/alice', '/delegations/0x', '/unstakes/0xzz', '/proposal/-1', '/awards/0x10']) {
      assert.throws(
        () => routeQuery(reads, path),
        (err: unknown) => err instanceof QueryError && err.code === QueryCode.BadRequest,
        path,
      );
    }
    assert.equal(routeQuery(reads, '/nothing/here'), undefined, 'no route: undefined');
    const nothing = { staking: { candidate: () => undefined, awards: () => undefined }, gov: { proposal: () => undefined } } as unknown as ChainReads;
    for (const [path, message] of [
      [`/candidate/${ADDRESS}`, `candidate ${ADDRESS} not found`],
      ['/proposal/007', 'proposal 007 not found'],
      ['/awards/9', 'awards of height 9 (only recent heights are kept, and a block that minted, collected, paid and slashed nothing has none) not found'],
    ] as const) {
      assert.throws(
        () => routeQuery(nothing, path),
        (err: unknown) => err instanceof QueryError && err.code === QueryCode.NotFound && err.message === message,
        path,
      );
    }
  });
});
