/**
 * Which web pages may call the JSON-RPC (`--rpc-cors`): the origins a
 * browser is told it may read answers from (CORS), and the origins whose
 * WebSocket connections are accepted (browsers send Origin on a WebSocket
 * upgrade but apply no CORS to it, so the server must check).
 */

/** Most origins one --rpc-cors may list. */
export const MAX_CORS_ORIGINS = 32;

/** Longest Access-Control-Request-Headers value echoed back in a preflight answer. */
const MAX_REQUEST_HEADERS = 256;

export interface CorsPolicy {
  /** Every origin is allowed ('*'). */
  readonly any: boolean;
  /** The allowed origins (lower case), when not `any`. */
  readonly origins: ReadonlySet<string>;
}

export const NO_CORS: CorsPolicy = Object.freeze({ any: false, origins: new Set<string>() });

const ORIGIN = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * Parses an --rpc-cors value: '*' (any page), a comma-separated list of
 * origins (`https://app.example.com,http://localhost:3000`), or '' (none).
 */
export function parseCorsOrigins(value: string): CorsPolicy {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return NO_CORS;
  if (items.includes('*')) {
    if (items.length > 1) throw new Error(`--rpc-cors: '*' allows every origin and cannot be combined with others, got '${value}'`);
    return { any: true, origins: new Set() };
  }
  if (items.length > MAX_CORS_ORIGINS) throw new Error(`--rpc-cors: at most ${MAX_CORS_ORIGINS} origins, got ${items.length}`);
  const origins = new Set<string>();
  for (const item of items) {
    const origin = item.toLowerCase().replace(/\/$/, '');
    if (!ORIGIN.test(origin)) {
      throw new Error(`--rpc-cors: '${item}' is not an origin: expected '*' or scheme://host[:port] like http://localhost:3000 (no path)`);
    }
    origins.add(origin);
  }
  return { any: false, origins };
}

/** Whether a request from a page of `origin` (its Origin header) may be answered. */
export function originAllowed(policy: CorsPolicy, origin: string): boolean {
  return policy.any || policy.origins.has(origin.toLowerCase());
}

/**
 * The CORS headers of an answer to a request with this Origin header
 * (undefined: not from a browser page): none unless the origin is allowed.
 * A preflight (OPTIONS) also gets the methods and headers it asked for.
 */
export function corsHeaders(policy: CorsPolicy, origin: string | undefined, preflight?: { requestHeaders: string | undefined }): Record<string, string> {
  if (origin === undefined || !originAllowed(policy, origin)) return policy.any || policy.origins.size === 0 ? {} : { vary: 'origin' };
  const headers: Record<string, string> = policy.any ? { 'access-control-allow-origin': '*' } : { 'access-control-allow-origin': origin, vary: 'origin' };
  if (preflight !== undefined) {
    headers['access-control-allow-methods'] = 'POST, OPTIONS';
    const asked = preflight.requestHeaders;
    headers['access-control-allow-headers'] =
      asked !== undefined && asked.length <= MAX_REQUEST_HEADERS && /^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*$/.test(asked.trim()) ? asked.trim() : 'content-type';
    headers['access-control-max-age'] = '600';
  }
  return headers;
}
