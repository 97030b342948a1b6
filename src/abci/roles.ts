/**
 * Which ABCI connection may send which requests (src/abci/README.md).
 *
 * CometBFT opens four connections to the app: consensus (InitChain, the
 * block lifecycle, Commit), mempool (CheckTx), query (Info, Query) and
 * snapshot (state sync). Anything else that reaches the ABCI port is not
 * CometBFT. So:
 * - consensus, mempool and snapshot are exclusive roles: the first
 *   connection that sends a request of a role holds it; the same request on
 *   any other connection is refused (ResponseException, connection closed);
 *   a connection holds one role at most;
 * - when the holder closes, the role is free again (CometBFT restarted); a
 *   claimant arriving while the old holder is still finishing its last
 *   requests (its peer has gone) waits for it to close, so two connections
 *   never execute blocks at once;
 * - query requests (Info, Query) and Echo/Flush are read-only and allowed on
 *   every connection.
 */
import type { RequestType } from './codec.js';

export type ExclusiveRole = 'consensus' | 'mempool' | 'snapshot';

const ROLES: Partial<Record<RequestType, ExclusiveRole>> = {
  initChain: 'consensus',
  prepareProposal: 'consensus',
  processProposal: 'consensus',
  extendVote: 'consensus',
  verifyVoteExtension: 'consensus',
  finalizeBlock: 'consensus',
  beginBlock: 'consensus',
  deliverTx: 'consensus',
  endBlock: 'consensus',
  commit: 'consensus',
  checkTx: 'mempool',
  listSnapshots: 'snapshot',
  offerSnapshot: 'snapshot',
  loadSnapshotChunk: 'snapshot',
  applySnapshotChunk: 'snapshot',
};

/** The exclusive role a request needs, or undefined when any connection may send it. */
export function roleOf(type: RequestType): ExclusiveRole | undefined {
  return ROLES[type];
}

/** A connection as the role table sees it. */
export interface RoleHolder {
  readonly label: string;
  role: ExclusiveRole | undefined;
  /** The peer has gone: the connection only finishes what it has queued. */
  readonly ending: boolean;
  /** Resolves once the connection is closed. */
  readonly closed: Promise<void>;
}

export class ConnectionRoles {
  private readonly holders = new Map<ExclusiveRole, RoleHolder>();

  /** @param onBound told whenever a connection takes a role (e.g. a new mempool connection). */
  constructor(private readonly onBound: (role: ExclusiveRole, conn: RoleHolder) => void = () => undefined) {}

  /** The refusal (a message) of a request of `type` on `conn`, or undefined when it may proceed. */
  async claim(conn: RoleHolder, type: RequestType): Promise<string | undefined> {
    const role = roleOf(type);
    if (role === undefined || conn.role === role) return undefined;
    if (conn.role !== undefined) return `${type} is a ${role} request, but ${conn.label} is the ${conn.role} connection`;
    let holder = this.holders.get(role);
    if (holder?.ending) {
      await holder.closed;
      this.release(holder);
      holder = this.holders.get(role);
    }
    if (holder !== undefined) return `${type} refused on ${conn.label}: the ${role} connection is ${holder.label}`;
    this.holders.set(role, conn);
    conn.role = role;
    this.onBound(role, conn);
    return undefined;
  }

  /** Frees the role of a closed connection. */
  release(conn: RoleHolder): void {
    if (conn.role !== undefined && this.holders.get(conn.role) === conn) this.holders.delete(conn.role);
  }
}
