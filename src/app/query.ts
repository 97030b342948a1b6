/**
 * ABCI Query: path routing over committed state, JSON answers.
 *
 *   /account/<address>   {"address","balance","nonce"}
 *   module paths         see ChainModules.query (staking, governance)
 *
 * `height` 0 (or the latest height) reads the latest committed state; an
 * older height reads that version of the store (docs/STORE.md "Historical
 * reads"). A height that was pruned, never committed or not yet committed
 * gets a HeightUnavailable error saying which, rather than a wrong answer.
 */
import type { RequestQuery, ResponseQuery } from '../abci/types.js';
import { AccountReader } from '../state/accounts.js';
import { isAddress, toAddress } from '../util/address.js';
import { VersionUnavailableError } from '../store/committed-store.js';
import type { KVReader } from '../store/kv.js';
import { bigintReplacer } from '../util/logger.js';
import { QueryError, type ChainModules } from './modules.js';
import { QueryCode } from './query-codes.js';

export { QueryCode };

export interface QueryableStore extends KVReader {
  readonly height: bigint;
  /** A read-only view of an older version; throws VersionUnavailableError when it is not retained. */
  at(height: bigint): KVReader;
}

function ok(value: unknown, height: bigint): ResponseQuery {
  return { code: QueryCode.Ok, value: Buffer.from(JSON.stringify(value, bigintReplacer), 'utf8'), height };
}

function error(code: QueryCode, log: string, height: bigint): ResponseQuery {
  return { code, log, height, codespace: 'cmtd' };
}

export function answerQuery(req: RequestQuery, committed: QueryableStore, modules: ChainModules): ResponseQuery {
  let height = committed.height;
  let store: KVReader = committed;
  if (req.height !== 0n && req.height !== height) {
    try {
      store = committed.at(req.height);
    } catch (err) {
      if (!(err instanceof VersionUnavailableError)) throw err;
      return error(QueryCode.HeightUnavailable, err.message, height);
    }
    height = req.height;
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
