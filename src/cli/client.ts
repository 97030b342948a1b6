/**
 * What the user commands share: the keys of a home, addresses given as an
 * address or a key name, and a CometBFT RPC client whose errors say what to
 * do.
 */
import { join, resolve } from 'node:path';
import { isAddress as isEthersAddress } from 'ethers';
import { KeyStore } from '../keys/index.js';
import type { Address } from '../util/address.js';
import { queryPath, type QueryArgs, type QueryJson, type QueryName } from '../app/query-routes.js';
import { CometRpc, CometRpcError, type AbciQueryResult } from '../comet/rpc.js';
import { defaultHome } from './options.js';

/** `<home>/keys`: keystore files. */
export function keysDir(home: string): string {
  return join(home, 'keys');
}

/** `<home>/cometbft`: the CometBFT home `cmtd init` creates. */
export function cometHomeOf(home: string): string {
  return join(home, 'cometbft');
}

/**
 * `unix://<home>/abci.sock`: where `cmtd start` serves ABCI unless --address
 * says otherwise, and the proxy_app `cmtd init` writes. A unix socket with
 * mode 0600 lets only this user's CometBFT drive the app (src/abci/README.md).
 */
export function defaultAbciAddress(home: string): string {
  return `unix://${join(resolve(home), 'abci.sock')}`;
}

/** The genesis file commands use when --genesis is not given. */
export function defaultGenesisPath(home: string): string {
  return join(cometHomeOf(home), 'config', 'genesis.json');
}

/** ' --home DIR' when `home` is not the default, for hints that name a command. */
export function homeHint(home: string): string {
  return resolve(home) === resolve(defaultHome()) ? '' : ` --home ${home}`;
}

export function keyStore(home: string): KeyStore {
  return new KeyStore(keysDir(home), { homeHint: homeHint(home) });
}

/**
 * An address given as 0x + 40 hex digits, or the name of a key in the home
 * (its address). Lower-case 0x form.
 */
export function resolveAddress(value: string, home: string, flag: string): Address {
  const text = value.trim();
  if (/^0x[0-9a-fA-F]{40}$/.test(text)) {
    if (!isEthersAddress(text)) throw new Error(`${flag}: '${text}' has a wrong checksum (mixed case); check the address or write it in lower case`);
    return text.toLowerCase() as Address;
  }
  if (text.startsWith('0x')) throw new Error(`${flag}: '${text}' is not an address: expected 0x and 40 hex digits`);
  const store = keyStore(home);
  let known: boolean;
  try {
    known = store.has(text);
  } catch {
    known = false; // not even a valid key name
  }
  if (!known) throw new Error(`${flag}: '${text}' is neither an address (0x and 40 hex digits) nor a key in ${store.dir}`);
  return store.info(text).address.toLowerCase() as Address;
}

/** A CometBFT RPC client with messages that say what to check. */
export class NodeClient {
  readonly rpc: CometRpc;

  constructor(readonly url: string) {
    this.rpc = new CometRpc(url.replace(/\/+$/, ''));
  }

  /** Runs `fn`, turning connection failures into a message about --node. */
  async call<T>(fn: (rpc: CometRpc) => Promise<T>): Promise<T> {
    try {
      return await fn(this.rpc);
    } catch (err) {
      if (err instanceof CometRpcError) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      // CometBFT closes a kept-alive connection idle for its read timeout (10 s), e.g. while a key
      // password is typed or scrypt runs: the request never reached it, so it is sent again once.
      if (cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET') {
        try {
          return await fn(this.rpc);
        } catch (again) {
          if (again instanceof CometRpcError) throw again;
        }
      }
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new Error(`cannot reach the node's CometBFT RPC at ${this.url} (${detail}): is it running? Point --node (or CMTD_NODE) at its RPC address`);
    }
  }

  async abciQuery(path: string, height?: bigint): Promise<AbciQueryResult> {
    return this.call((rpc) => rpc.abciQuery(path, height));
  }

  /** A query's typed JSON answer at the latest height (src/app/query-routes.ts: `read('candidate', address)`). */
  read<N extends QueryName>(name: N, ...args: QueryArgs<N>): Promise<QueryJson<N>> {
    return this.query<QueryJson<N>>(queryPath(name, ...args));
  }

  /** `read` at an older height (the node keeps its last --state-history heights). */
  readAt<N extends QueryName>(height: bigint | undefined, name: N, ...args: QueryArgs<N>): Promise<QueryJson<N>> {
    return this.query<QueryJson<N>>(queryPath(name, ...args), height);
  }

  /** An ABCI query's JSON answer (at `height`, default the latest); a non-zero code becomes an error with the node's message. */
  async query<T>(path: string, height?: bigint): Promise<T> {
    const response = await this.abciQuery(path, height);
    if (response.code !== 0) throw new Error(`query ${path}: ${response.log || `code ${response.code}`}`);
    const text = Buffer.from(response.value ?? '', 'base64').toString('utf8');
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`query ${path}: the node answered with something that is not JSON: ${text.slice(0, 200)}`);
    }
  }
}
