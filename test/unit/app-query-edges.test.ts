/**
 * Edges of ABCI Query (src/app/query.ts, src/app/query-routes.ts): a path is
 * matched whole (README "Queries": another path is an unknown path, code 1),
 * trailing slashes are ignored, malformed arguments are refused with a
 * message that quotes them, `/chain_id` answers the chain id recorded at
 * genesis, errors carry codespace `cmtd` (query-codes.ts), and faults that
 * are not query errors propagate instead of becoming query codes. Also the
 * genesis writer's exact records: null deletes (docs/EXPORT.md).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAppGenesis, type AppGenesis } from '../../src/app/genesis.js';
import { writeBaseGenesis, type ChainModules, type ChainReads } from '../../src/app/modules.js';
import { answerQuery, type QueryableStore } from '../../src/app/query.js';
import { QueryCode, QueryError } from '../../src/app/query-codes.js';
import { QUERY_ROUTES, queryPath, routeQuery, type QueryArgs, type QueryName } from '../../src/app/query-routes.js';
import { createModules } from '../../src/app/wiring.js';
import type { RequestQuery } from '../../src/abci/types.js';
import { accountKey } from '../../src/state/accounts.js';
import { VersionUnavailableError } from '../../src/store/committed-store.js';
import { Overlay, type KV, type KVReader } from '../../src/store/kv.js';
import { SAMPLE_ADDRESS as ADDRESS, QUERY_SAMPLES as SAMPLES } from './fixtures/query-samples.js';

/** Every built path, one per route. */
function builtPaths(): Array<[QueryName, string]> {
  return (Object.keys(QUERY_ROUTES) as QueryName[]).map((name) => [name, queryPath(name, ...(SAMPLES[name] as QueryArgs<typeof name>))]);
}

/** A read API no query may reach: any read throws a plain Error. */
function untouchable(): ChainReads {
  return new Proxy({} as ChainReads, {
    get: () => {
      throw new Error('the typed read API was reached');
    },
  });
}

function request(path: string, height = 0n): RequestQuery {
  return { path, data: new Uint8Array(0), height, prove: false };
}

function text(value: Uint8Array | undefined): string {
  assert.ok(value !== undefined, 'an answer has a value');
  return Buffer.from(value).toString('utf8');
}

/** A committed store over `state` at `height`, whose `at()` does what the test says. */
function committed(state: KVReader, height: bigint, at: (h: bigint) => KVReader): QueryableStore {
  return { height, get: (key) => state.get(key), at };
}

/** Genesis state (all defaults, no accounts) written by the real modules, CometBFT chain id `chainId`. */
function genesisState(chainId: string): Overlay {
  const state = new Overlay({ get: () => undefined });
  createModules().initGenesis(state, parseAppGenesis(new Uint8Array(0)), [], chainId);
  return state;
}

function modulesReading(reads: ChainReads): ChainModules {
  return { reads: () => reads } as unknown as ChainModules;
}

describe('ABCI query routes: edges', () => {
  it('matches a path whole: text before a route path, or after it, is no route and reads nothing', () => {
    const reads = untouchable();
    for (const [name, path] of builtPaths()) {
      assert.equal(routeQuery(reads, `/x${path}`), undefined, `${name}: /x${path} is another path`);
      // /account/<rest> takes the whole rest as the address; a line break is not part of any match
      const longer = name === 'account' ? `${path}\n` : `${path}/x`;
      assert.equal(routeQuery(reads, longer), undefined, `${name}: ${JSON.stringify(longer)} is another path`);
    }
  });

  it('refuses a malformed argument with a QueryError that quotes it and says what was expected', () => {
    for (const [path, message] of [
      ['/account/0x12', `'0x12' is not an address: expected 0x and 40 hex digits`],
      ['/candidate/alice', `'alice' is not an address: expected 0x and 40 hex digits`],
      ['/proposal/-1', `'-1' is not a proposal id`],
      ['/awards/0x10', `'0x10' is not a height`],
    ] as const) {
      assert.throws(
        () => routeQuery(untouchable(), path),
        (err: unknown) => err instanceof QueryError && err.name === 'QueryError' && err.code === QueryCode.BadRequest && err.message === message,
        path,
      );
    }
  });

  it('answers /chain_id with the chain id, and says "chain id not found" when none is recorded', () => {
    const reads = (chainId: string | undefined) => ({ staking: { chainId: () => chainId } }) as unknown as ChainReads;
    assert.deepEqual(routeQuery(reads('edge-chain'), '/chain_id'), { value: { chain_id: 'edge-chain' } });
    assert.throws(
      () => routeQuery(reads(undefined), '/chain_id'),
      (err: unknown) => err instanceof QueryError && err.code === QueryCode.NotFound && err.message === 'chain id not found',
    );
  });

  it('says "<path> not found" when a route without its own wording finds nothing', () => {
    const nothing = { staking: { candidates: () => undefined } } as unknown as ChainReads;
    assert.throws(
      () => routeQuery(nothing, '/candidates'),
      (err: unknown) => err instanceof QueryError && err.code === QueryCode.NotFound && err.message === '/candidates not found',
    );
  });
});

describe('ABCI Query (answerQuery): edges', () => {
  const noHistory = (): KVReader => {
    throw new Error('no older version is read in this test');
  };

  it('answers /chain_id with the CometBFT chain id recorded at genesis, as JSON, trailing slashes ignored', () => {
    const store = committed(genesisState('edge-chain'), 3n, noHistory);
    for (const path of ['/chain_id', '/chain_id/', '/chain_id///']) {
      const r = answerQuery(request(path), store, createModules());
      assert.equal(r.code, QueryCode.Ok, `${path}: ${r.log}`);
      assert.equal(r.height, 3n, path);
      assert.deepEqual(JSON.parse(text(r.value)), { chain_id: 'edge-chain' }, path);
    }
  });

  it('answers an unrecorded chain id as not found, in codespace cmtd', () => {
    const store = committed(new Overlay({ get: () => undefined }), 3n, noHistory);
    const r = answerQuery(request('/chain_id'), store, createModules());
    assert.deepEqual(
      { code: r.code, log: r.log, height: r.height, codespace: r.codespace },
      { code: QueryCode.NotFound, log: 'chain id not found', height: 3n, codespace: 'cmtd' },
    );
  });

  it('names an unknown path as it was sent, in codespace cmtd', () => {
    const store = committed(genesisState('edge-chain'), 3n, noHistory);
    for (const path of ['/nothing/', '/chain_ids']) {
      const r = answerQuery(request(path), store, createModules());
      assert.deepEqual(
        { code: r.code, log: r.log, height: r.height, codespace: r.codespace },
        { code: QueryCode.UnknownPath, log: `unknown query path '${path}'`, height: 3n, codespace: 'cmtd' },
        path,
      );
    }
  });

  it('answers an unavailable height with the store message (code 4), but lets any other fault of the store propagate', () => {
    const state = genesisState('edge-chain');
    const pruned = committed(state, 9n, (h) => {
      throw new VersionUnavailableError(`the state at height ${h} was pruned`, true);
    });
    const r = answerQuery(request('/chain_id', 2n), pruned, createModules());
    assert.deepEqual(
      { code: r.code, log: r.log, height: r.height, codespace: r.codespace },
      { code: QueryCode.HeightUnavailable, log: 'the state at height 2 was pruned', height: 9n, codespace: 'cmtd' },
    );
    const broken = committed(state, 9n, () => {
      throw new Error('disk on fire');
    });
    assert.throws(() => answerQuery(request('/chain_id', 2n), broken, createModules()), /disk on fire/);
  });

  it('lets a fault of the read API propagate instead of answering it as a query code', () => {
    const faulty = {
      staking: {
        candidates: () => {
          throw new Error('read fault');
        },
      },
    } as unknown as ChainReads;
    const store = committed(new Overlay({ get: () => undefined }), 3n, noHistory);
    assert.throws(() => answerQuery(request('/candidates'), store, modulesReading(faulty)), /read fault/);
  });
});

describe('genesis writer: exact records', () => {
  it('deletes a key whose exact record is null (docs/EXPORT.md), through the KV interface', () => {
    // A plain map KV: set stores what it is given, delete removes.
    const map = new Map<string, Uint8Array>();
    const kv: KV = { get: (key) => map.get(key), set: (key, value) => void map.set(key, value), delete: (key) => void map.delete(key) };
    const base = parseAppGenesis(new Uint8Array(0));
    const genesis: AppGenesis = {
      ...base,
      accounts: [{ address: ADDRESS, balance: 5n }],
      exactState: { records: [[accountKey(ADDRESS), null]], described: { candidates: [], delegations: [], enterpriseAccounts: [] } },
    };
    writeBaseGenesis(kv, genesis);
    assert.equal(map.has(accountKey(ADDRESS)), false, 'the account record written from accounts[] is deleted by its null exact record');
  });
});
