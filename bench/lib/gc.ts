import { type PerformanceEntry, PerformanceObserver, constants } from 'node:perf_hooks';

/**
 * V8's collections on the main thread (perf_hooks 'gc' entries), for
 * telling how much of a stretch of work went to them: the pauses are part
 * of the main thread's time, and their count follows what the work
 * allocates, which varies far less from run to run than the time does on
 * a shared machine.
 */
export class GcPauses {
  private readonly entries: Array<{ start: number; ms: number; minor: boolean }> = [];
  private readonly observer = new PerformanceObserver((list) => this.keep(list.getEntries()));

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Scavenges and other collections that began in the windows [start, end) of performance.now(). */
  within(windows: ReadonlyArray<readonly [number, number]>): { scavenges: number; scavengeMs: number; others: number; otherMs: number } {
    this.keep(this.observer.takeRecords());
    const out = { scavenges: 0, scavengeMs: 0, others: 0, otherMs: 0 };
    for (const { start, ms, minor } of this.entries) {
      if (!windows.some(([from, to]) => start >= from && start < to)) continue;
      if (minor) {
        out.scavenges++;
        out.scavengeMs += ms;
      } else {
        out.others++;
        out.otherMs += ms;
      }
    }
    return out;
  }

  stop(): void {
    this.observer.disconnect();
  }

  private keep(entries: ReadonlyArray<PerformanceEntry>): void {
    for (const entry of entries) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      this.entries.push({ start: entry.startTime, ms: entry.duration, minor: kind === constants.NODE_PERFORMANCE_GC_MINOR });
    }
  }
}
