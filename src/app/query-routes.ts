/**
 * The ABCI query paths, each a thin mapping onto the typed read API
 * (ChainReads): how its path is written and parsed, and which typed read
 * answers it. ABCI Query (query.ts) and JSON-RPC `cmt_query` route paths
 * through this table; clients (the CLI) build paths with `path()` and type
 * the JSON answers with `QueryJson`.
 *
 *   /account/<address>     AccountInfo
 *   /candidates            CandidateInfo[]
 *   /candidate/<address>   CandidateInfo
 *   /validators            ValidatorInfo[]
 *   /delegations/<address> DelegationInfo[]
 *   /unstakes/<address>    UnstakeRequestInfo[]
 *   /params                params JSON (paramsToJson)
 *   /chain_id              {"chain_id"}
 *   /proposals             ProposalJson[]
 *   /proposal/<id>         ProposalJson
 *   /supply                SupplyInfo
 *   /awards/<height>       BlockAwards (recent heights only)
 *
 * Answers go out as JSON with bigints as decimal strings (`Json<T>`).
 */
import { isAddress, toAddress, type Address } from '../util/address.js';
import { paramsToJson } from '../state/params.js';
import type { ChainReads } from './modules.js';
import { QueryCode, QueryError } from './query-codes.js';

export interface QueryRoute<A extends unknown[], T> {
  readonly pattern: RegExp;
  /** The path of these arguments (its parameters name the arguments' types). */
  path(...args: A): string;
  /** The arguments of a matching path; throws QueryError(BadRequest) for a malformed one. */
  parse(match: RegExpExecArray): NoInfer<A>;
  /** The answer from the typed read API; undefined: not found. */
  answer(reads: ChainReads, ...args: A): T | undefined;
  /** What was not found, in the words of the path as written (`<what> not found`). */
  missing?(match: RegExpExecArray): string;
}

function route<A extends unknown[], T>(r: QueryRoute<A, T>): QueryRoute<A, T> {
  return r;
}

function addressParam(raw: string): Address {
  if (!isAddress(raw)) throw new QueryError(QueryCode.BadRequest, `'${raw}' is not an address: expected 0x and 40 hex digits`);
  return toAddress(raw);
}

function numberParam(raw: string, what: string): bigint {
  if (!/^[0-9]+$/.test(raw)) throw new QueryError(QueryCode.BadRequest, `'${raw}' is not ${what}`);
  return BigInt(raw);
}

export const QUERY_ROUTES = {
  account: route({
    pattern: /^\/account\/(.*)$/,
    path: (address: Address) => `/account/${address}`,
    parse: (m): [Address] => [addressParam(m[1]!)],
    answer: (r, address) => r.account(address),
  }),
  candidates: route({
    pattern: /^\/candidates$/,
    path: () => '/candidates',
    parse: (): [] => [],
    answer: (r) => r.staking.candidates(),
  }),
  candidate: route({
    pattern: /^\/candidate\/([^/]+)$/,
    path: (address: Address) => `/candidate/${address}`,
    parse: (m): [Address] => [addressParam(m[1]!)],
    answer: (r, address) => r.staking.candidate(address),
    missing: (m) => `candidate ${m[1]}`,
  }),
  validators: route({
    pattern: /^\/validators$/,
    path: () => '/validators',
    parse: (): [] => [],
    answer: (r) => r.staking.validators(),
  }),
  delegations: route({
    pattern: /^\/delegations\/([^/]+)$/,
    path: (delegator: Address) => `/delegations/${delegator}`,
    parse: (m): [Address] => [addressParam(m[1]!)],
    answer: (r, delegator) => r.staking.delegations(delegator),
  }),
  unstakes: route({
    pattern: /^\/unstakes\/([^/]+)$/,
    path: (delegator: Address) => `/unstakes/${delegator}`,
    parse: (m): [Address] => [addressParam(m[1]!)],
    answer: (r, delegator) => r.staking.unstakes(delegator),
  }),
  params: route({
    pattern: /^\/params$/,
    path: () => '/params',
    parse: (): [] => [],
    answer: (r) => paramsToJson(r.params()),
  }),
  chainId: route({
    pattern: /^\/chain_id$/,
    path: () => '/chain_id',
    parse: (): [] => [],
    answer: (r) => {
      const chainId = r.staking.chainId();
      return chainId === undefined ? undefined : { chain_id: chainId };
    },
    missing: () => 'chain id',
  }),
  proposals: route({
    pattern: /^\/proposals$/,
    path: () => '/proposals',
    parse: (): [] => [],
    answer: (r) => r.gov.proposals(),
  }),
  proposal: route({
    pattern: /^\/proposal\/([^/]+)$/,
    path: (id: bigint) => `/proposal/${id}`,
    parse: (m): [bigint] => [numberParam(m[1]!, 'a proposal id')],
    answer: (r, id) => r.gov.proposal(id),
    missing: (m) => `proposal ${m[1]}`,
  }),
  supply: route({
    pattern: /^\/supply$/,
    path: () => '/supply',
    parse: (): [] => [],
    answer: (r) => r.supply(),
  }),
  awards: route({
    pattern: /^\/awards\/([^/]+)$/,
    path: (height: bigint) => `/awards/${height}`,
    parse: (m): [bigint] => [numberParam(m[1]!, 'a height')],
    answer: (r, height) => r.staking.awards(height),
    missing: (m) => `awards of height ${m[1]} (only recent heights are kept, and a block that minted, collected, paid and slashed nothing has none)`,
  }),
};

export type QueryName = keyof typeof QUERY_ROUTES;
/** The arguments of a query's path. */
export type QueryArgs<N extends QueryName> = (typeof QUERY_ROUTES)[N] extends { path(...args: infer A): string } ? A : never;
/** A query's typed answer (when found). */
export type QueryAnswer<N extends QueryName> = (typeof QUERY_ROUTES)[N] extends { answer(reads: ChainReads, ...args: never): infer T } ? NonNullable<T> : never;

/** A value as JSON carries it: bigints as decimal strings. */
export type Json<T> = T extends bigint ? string : T extends ReadonlyArray<infer U> ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
/** A query's answer as the JSON a client receives. */
export type QueryJson<N extends QueryName> = Json<QueryAnswer<N>>;

/** The path of a query (e.g. `queryPath('candidate', address)`). */
export function queryPath<N extends QueryName>(name: N, ...args: QueryArgs<N>): string {
  return (QUERY_ROUTES[name].path as (...a: QueryArgs<N>) => string)(...args);
}

/**
 * Answers a query path from the typed read API, or undefined when no route
 * has the path. Throws QueryError: BadRequest for malformed arguments,
 * NotFound for a missing record.
 */
export function routeQuery(reads: ChainReads, path: string): { value: unknown } | undefined {
  for (const r of Object.values(QUERY_ROUTES) as Array<QueryRoute<unknown[], unknown>>) {
    const match = r.pattern.exec(path);
    if (match === null) continue;
    const value = r.answer(reads, ...r.parse(match));
    if (value === undefined) throw new QueryError(QueryCode.NotFound, `${r.missing?.(match) ?? path} not found`);
    return { value };
  }
  return undefined;
}
