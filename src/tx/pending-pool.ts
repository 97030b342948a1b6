/**
 * CheckTx's view of the mempool: per sender, the transactions CheckTx
 * accepted that no block has included yet, in nonce order and contiguous
 * from the sender's committed nonce. A new transaction is checked against
 * the committed account minus these reservations (next nonce, balance left
 * after their worst-case costs).
 *
 * The queues survive Commit, so the view is right whether CometBFT rechecks
 * its mempool after a block or not (`recheck = false`): after every block the
 * queues of the senders whose accounts changed are re-evaluated against the
 * new committed account (included transactions leave, and so does every
 * transaction the block made invalid, with all later ones of its sender).
 *
 * A recheck (CheckTxType Recheck) of a queued transaction is then a hash
 * lookup: its decode, sender and validity are already known. CometBFT
 * rechecks its mempool in insertion order, which per sender is nonce order,
 * so a queued transaction rechecked before its predecessor was rechecked in
 * the same pass means the predecessor left CometBFT's mempool (dropped
 * without a block): the queue is cut there, as nothing after it can be
 * included.
 *
 * Outside consensus: block execution never reads this view (SPEC 11).
 */
import { equalsBytes } from '@ethereumjs/util';
import type { Account } from '../state/accounts.js';
import type { Address } from '../util/address.js';
import type { KVReader } from '../store/kv.js';
import type { SignedTx } from './decode.js';
import { TxCode, TxError } from './errors.js';
import { maxCost, maySend, validateSender } from './executor.js';

interface SenderQueue {
  /** Queued transactions; txs[i].nonce === nonce + i. */
  txs: SignedTx[];
  /** The committed account the queue was last evaluated against. */
  nonce: bigint;
  balance: bigint;
  /** A sender may hold code: an EIP-7702 delegation. */
  codeHash: Uint8Array;
  /** Sum of maxCost over txs. */
  reserved: bigint;
  /** Recheck pass progress: how many queued txs were rechecked at `pass`. */
  pass: bigint;
  rechecked: number;
}

export class PendingPool {
  private readonly queues = new Map<Address, SenderQueue>();
  /** Hash (hex) of every queued transaction → its sender. */
  private readonly byHash = new Map<string, Address>();

  /** @param capacity most transactions queued at once (memory bound; CometBFT's mempool is far smaller). */
  constructor(private readonly capacity = 200_000) {}

  get size(): number {
    return this.byHash.size;
  }

  /** The sender's next nonce as CheckTx sees it, given its committed account. */
  nextNonce(sender: Address, committed: Account, state: KVReader): bigint {
    const queue = this.queueOf(sender, committed, state);
    return committed.nonce + BigInt(queue?.txs.length ?? 0);
  }

  /**
   * Checks a new transaction against the committed account plus the queue,
   * and queues it. Throws TxError (nothing changes then). `readCommitted`
   * is called only for a sender without a queue: a queue already holds its
   * sender's committed account (settled after every block that changed it).
   * `state` is committed state, to read a delegation's code.
   */
  admit(tx: SignedTx, readCommitted: () => Account, state: KVReader): void {
    const queue = this.queues.get(tx.sender);
    const committed = queue === undefined ? readCommitted() : { nonce: queue.nonce, balance: queue.balance, codeHash: queue.codeHash };
    validateSender(
      tx,
      {
        nonce: committed.nonce + BigInt(queue?.txs.length ?? 0),
        balance: committed.balance - (queue?.reserved ?? 0n),
        codeHash: committed.codeHash,
      },
      state,
    );
    if (this.byHash.size >= this.capacity) {
      throw new TxError(TxCode.Internal, `this node's mempool view holds ${this.capacity} transactions; try again after the next block`);
    }
    const q = queue ?? this.newQueue(tx.sender, committed);
    q.txs.push(tx);
    q.reserved += maxCost(tx);
    this.byHash.set(hexOf(tx.hash), tx.sender);
  }

  /**
   * A recheck after the block `height` committed: 'ok' when the transaction
   * is queued and still valid, a TxError when it was queued but can no longer
   * be included, 'unknown' when it is not queued (the caller checks it as new).
   */
  recheck(tx: SignedTx, height: bigint): 'ok' | 'unknown' | TxError {
    if (this.byHash.get(hexOf(tx.hash)) !== tx.sender) return 'unknown';
    const queue = this.queues.get(tx.sender)!;
    const index = Number(tx.nonce - queue.nonce);
    if (queue.pass !== height) {
      queue.pass = height;
      queue.rechecked = 0;
    }
    if (index !== queue.rechecked) {
      // Its predecessors at [rechecked, index) left CometBFT's mempool unseen.
      this.truncate(tx.sender, queue, queue.rechecked);
      return new TxError(TxCode.NonceTooHigh, `nonce ${tx.nonce} of ${tx.sender} follows a transaction no longer in the mempool`);
    }
    queue.rechecked++;
    return 'ok';
  }

  /** Whether `sender` has queued transactions. */
  has(sender: Address): boolean {
    return this.queues.has(sender);
  }

  /** After a commit: re-evaluates the queue of `sender`, whose account changed, against its new committed account. */
  settle(sender: Address, committed: Account, state: KVReader): void {
    this.queueOf(sender, committed, state);
  }

  /** Forgets everything (a new, empty mempool). */
  clear(): void {
    this.queues.clear();
    this.byHash.clear();
  }

  /** The sender's queue, re-evaluated if its committed account changed since; undefined when empty. */
  private queueOf(sender: Address, committed: Account, state: KVReader): SenderQueue | undefined {
    const queue = this.queues.get(sender);
    if (queue === undefined) return undefined;
    if (queue.nonce === committed.nonce && queue.balance === committed.balance && equalsBytes(queue.codeHash, committed.codeHash)) return queue;
    // Included (or superseded by another node's transaction) at the front.
    let included = 0;
    while (included < queue.txs.length && queue.txs[included]!.nonce < committed.nonce) included++;
    for (const tx of queue.txs.slice(0, included)) this.byHash.delete(hexOf(tx.hash));
    queue.txs = queue.txs.slice(included);
    queue.rechecked = Math.max(0, queue.rechecked - included);
    queue.nonce = committed.nonce;
    queue.balance = committed.balance;
    queue.codeHash = committed.codeHash;
    // What is left must still follow on, and be paid for, in order.
    let keep = 0;
    let balance = committed.balance;
    if (maySend(committed, state)) {
      for (const tx of queue.txs) {
        const cost = maxCost(tx);
        if (tx.nonce !== committed.nonce + BigInt(keep) || balance < cost) break;
        balance -= cost;
        keep++;
      }
    }
    this.truncate(sender, queue, keep);
    queue.reserved = committed.balance - balance;
    return this.queues.get(sender);
  }

  /** Drops the queue's transactions from `keep` on. */
  private truncate(sender: Address, queue: SenderQueue, keep: number): void {
    for (const tx of queue.txs.slice(keep)) {
      this.byHash.delete(hexOf(tx.hash));
      queue.reserved -= maxCost(tx);
    }
    queue.txs.length = Math.min(queue.txs.length, keep);
    queue.rechecked = Math.min(queue.rechecked, keep);
    if (queue.txs.length === 0) this.queues.delete(sender);
  }

  private newQueue(sender: Address, committed: Account): SenderQueue {
    const queue: SenderQueue = { txs: [], nonce: committed.nonce, balance: committed.balance, codeHash: committed.codeHash, reserved: 0n, pass: -1n, rechecked: 0 };
    this.queues.set(sender, queue);
    return queue;
  }
}

function hexOf(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.length).toString('hex');
}
