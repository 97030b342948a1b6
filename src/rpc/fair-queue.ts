/**
 * The waiting line of the EVM call pool (call-pool.ts), shared fairly
 * between clients (remote IP addresses).
 *
 * One FIFO queue would let one client that floods eth_call fill every
 * waiting place and stand ahead of everybody else for the length of the
 * queue times the call limit. Here each client has its own line and the
 * lines are served in turn, so a client with one call waits for at most
 * one call of each other client; and when every place is taken, a newcomer
 * takes the place of the newest job of the client with the longest line,
 * as long as that line stays at least as long as the newcomer's.
 */
export class FairQueue<T> {
  /** Waiting jobs per client; Map order is the order of turns. */
  private readonly lines = new Map<string, T[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Jobs `client` has waiting. */
  waitingOf(client: string): number {
    return this.lines.get(client)?.length ?? 0;
  }

  push(client: string, job: T): void {
    const line = this.lines.get(client);
    if (line === undefined) this.lines.set(client, [job]);
    else line.push(job);
    this.count++;
  }

  /** The next job: the oldest of the client whose turn it is; that client goes to the back of the turns. */
  shift(): T | undefined {
    for (const [client, line] of this.lines) {
      const job = line.shift()!;
      this.count--;
      this.lines.delete(client);
      if (line.length > 0) this.lines.set(client, line);
      return job;
    }
    return undefined;
  }

  /**
   * Gives up the newest job of the client with the longest line when that
   * line is longer than `than` + 1 (so the newcomer, with `than` waiting,
   * never ends with a longer line than the one that gave way).
   */
  yieldLongest(than: number): T | undefined {
    let longest: [string, T[]] | undefined;
    for (const entry of this.lines) if (longest === undefined || entry[1].length > longest[1].length) longest = entry;
    if (longest === undefined || longest[1].length <= than + 1) return undefined;
    const [client, line] = longest;
    const job = line.pop()!;
    this.count--;
    if (line.length === 0) this.lines.delete(client);
    return job;
  }

  /** Removes and returns every waiting job. */
  drain(): T[] {
    const all = [...this.lines.values()].flat();
    this.lines.clear();
    this.count = 0;
    return all;
  }
}
