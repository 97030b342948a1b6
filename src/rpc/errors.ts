/**
 * JSON-RPC error codes of the gateway (docs/RPC.md): the JSON-RPC 2.0 ones,
 * Ethereum's 3 for a reverted call, and the EIP-1474 server range.
 */
export const RpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  /** Execution reverted (eth_call / eth_estimateGas); `data` holds the revert data. */
  ExecutionReverted: 3,
  /** Refused transaction, unavailable state, other server-side refusals (geth's catch-all). */
  Server: -32000,
  /** A filter, subscription or other resource that does not exist. */
  ResourceNotFound: -32001,
  /** The node cannot serve this now (CometBFT unreachable, historical state). */
  ResourceUnavailable: -32002,
  /** A method this node knows but cannot answer (e.g. module not loaded). */
  MethodNotSupported: -32004,
  /** A limit (block range, result count, filters, subscriptions) was exceeded. */
  LimitExceeded: -32005,
} as const;

export type RpcErrorCode = (typeof RpcCode)[keyof typeof RpcCode];

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export function invalidParams(message: string): RpcError {
  return new RpcError(RpcCode.InvalidParams, message);
}
