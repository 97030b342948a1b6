/**
 * ABCI Query: path routing over committed state, JSON answers.
 *
 *   /account/<address>   {"address","balance","nonce"}
 *   module paths         see ChainModules.query (staking, governance)
 *
 * Only the latest committed state is served; a query for another height
 * gets a clear error rather than a wrong answer.
 */
import type { RequestQuery, ResponseQuery } from '../abci/types.js';
import { AccountReader, isAddress, toAddress } from '../state/accounts.js';
import type { KVReader } from '../store/kv.js';
import { bigintReplacer } from '../util/logger.js';
import { QueryError, type ChainModules } from './modules.js';
import { QueryCode } from './query-codes.js';

export { QueryCode };

export interface QueryableStore extends KVReader {
  readonly height: bigint;
}

function ok(value: unknown, height: bigint): ResponseQuery {
  return { code: QueryCode.Ok, value: Buffer.from(JSON.stringify(value, bigintReplacer), 'utf8'), height };
}

function error(code: QueryCode, log: string, height: bigint): ResponseQuery {
  return { code, log, height, codespace: 'cmtd' };
}

export function answerQuery(req: RequestQuery, store: QueryableStore, modules: ChainModules): ResponseQuery {
  const height = store.height;
  if (req.height !== 0n && req.height !== height) {
    return error(QueryCode.HeightUnavailable, `only the latest height (${height}) can be queried; got ${req.height}`, height);
  }
  const path = req.path.replace(/\/+$/, '');
  try {
    const account = /^\/account\/(.*)$/.exec(path);
    if (account !== null) {
      const raw = account[1]!;
      if (!isAddress(raw)) return error(QueryCode.BadRequest, `'${raw}' is not an address: expected 0x and 40 hex digits`, height);
      const address = toAddress(raw);
      const record = new AccountReader(store).get(address);
      return ok({ address, balance: record.balance.toString(), nonce: record.nonce.toString() }, height);
    }
    const answer = modules.query(store, path, height);
    if (answer !== undefined) return ok(answer, height);
  } catch (err) {
    if (err instanceof QueryError) return error(err.code, err.message, height);
    throw err;
  }
  return error(QueryCode.UnknownPath, `unknown query path '${req.path}'`, height);
}
