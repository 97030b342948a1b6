/**
 * What the gateway runs calls and traces through (eth.ts, trace.ts): the
 * worker pool (call-pool.ts) in the node, the EVM on the calling thread in
 * tests. Its own file because it joins calls (call.ts) and traces
 * (tracers.ts), which must not import each other both ways.
 */
import type { CallBlock, CallRequest, CallState } from './call.js';
import type { TraceOutput, TraceRequest } from './tracers.js';

/**
 * Runs calls against one pinned version of committed state (`state`, the
 * state after `block`), off the event loop (call-pool.ts).
 */
export interface CallRunner {
  /**
   * Return data of the call; throws RpcError (3 with the revert data when it
   * reverts). `client` (the remote IP address) is whose share of the
   * runner's capacity the call takes.
   */
  call(state: CallState, req: CallRequest, block: CallBlock, client?: string): Promise<Uint8Array>;
  /** Gas the call would need as a transaction; throws RpcError. */
  estimateGas(state: CallState, req: CallRequest, block: CallBlock, client?: string): Promise<bigint>;
  /** Re-executes with a tracer (trace.ts) within `timeoutMs`; absent: the runner cannot trace. */
  trace?(state: CallState, job: TraceRequest, timeoutMs: number, client?: string): Promise<TraceOutput>;
  /** Stops what the runner started (worker threads). */
  close?(): Promise<void>;
}
