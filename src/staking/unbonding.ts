/**
 * Unbonding (SPEC 6): unstake requests wait in one FIFO per waiting period
 * (a request's maturity time only grows along its queue), and the end of
 * every block pays those whose time has come: O(matured requests + queues).
 * A withdrawn candidacy waits as one entry that pays all its delegations.
 */
import type { Address } from '../util/address.js';
import { dropEmptyPools, findPool, type CandidateCache, type StakingKeeper } from './keeper.js';
import { redeem } from './pool.js';
import { REQUEST_DELEGATION, type CandidateRecord, type Queue, type RequestRecord } from './store.js';
import type { BlockContext, EndBlockResult } from './types.js';

/** Appends a request to the FIFO of its waiting period; returns its id. */
export function enqueue(k: StakingKeeper, r: RequestRecord, period: bigint): bigint {
  const qs = k.store.queueState();
  const id = qs.nextId;
  qs.nextId += 1n;
  r.id = id;
  r.next = 0n;
  const q = qs.queues.find((x) => x.period === period);
  if (q === undefined) {
    qs.queues.push({ period, head: id, tail: id });
    qs.queues.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
  } else {
    const tail = k.store.getRequest(q.tail)!;
    tail.next = id;
    k.store.putRequest(tail);
    q.tail = id;
  }
  k.store.putRequest(r);
  k.store.putQueueState(qs);
  return id;
}

/** Pays every request whose maturity time has come: O(matured requests + queues). */
export function payMatured(k: StakingKeeper, ctx: BlockContext, cache: CandidateCache): EndBlockResult['paidOut'] {
  const paid: EndBlockResult['paidOut'] = [];
  const qs = k.store.queueState();
  let changed = false;
  const keep: Queue[] = [];
  for (const q of qs.queues) {
    let head = q.head;
    while (head !== 0n) {
      const r = k.store.getRequest(head)!;
      if (r.matureTime > ctx.time) break;
      changed = true;
      const c = cache.get(r.candidate)!;
      if (r.kind === REQUEST_DELEGATION) {
        const pool = findPool(c, r.pool)!;
        pool.waitingShares -= r.shares;
        const amount = redeem(pool, r.shares);
        const delegator = r.delegator as Address;
        k.bank.credit(delegator, amount);
        paid.push({ delegator, candidate: c.address, amount });
        c.pendingRequests -= 1n;
        k.store.setDelegatorRequests(
          delegator,
          k.store.delegatorRequests(delegator).filter((x) => x !== r.id),
        );
      } else {
        payWithdrawal(k, c, paid);
      }
      k.store.deleteRequest(r.id);
      head = r.next;
      if (c.state === 'withdrawn' && c.delegationCount === 0n && c.pendingRequests === 0n) {
        dropEmptyPools(c);
        if (c.pools.length > 0) throw new Error(`invariant: withdrawn candidate ${c.address} paid out but holds stake`);
        cache.remove(c.address);
      } else {
        cache.put(c);
      }
    }
    if (head !== 0n) keep.push({ period: q.period, head, tail: q.tail });
  }
  if (changed) k.store.putQueueState({ nextId: qs.nextId, queues: keep });
  return paid;
}

/** Pays out every delegation of a withdrawn candidacy. */
function payWithdrawal(k: StakingKeeper, c: CandidateRecord, paid: EndBlockResult['paidOut']): void {
  let cur = c.head;
  while (cur !== '') {
    const d = k.store.getDelegation(c.address, cur)!;
    const pool = findPool(c, d.pool)!;
    pool.waitingShares -= d.shares;
    const amount = redeem(pool, d.shares);
    k.bank.credit(cur, amount);
    paid.push({ delegator: cur, candidate: c.address, amount });
    k.store.deleteDelegationRecord(c.address, cur);
    k.store.setDelegatorCandidates(
      cur,
      k.store.delegatorCandidates(cur).filter((a) => a !== c.address),
    );
    cur = d.next;
  }
  c.head = '';
  c.delegationCount = 0n;
}
