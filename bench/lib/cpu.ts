import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU milliseconds of the main thread alone (Linux; 10 ms resolution): what
 * the work cost the event loop, without LevelDB's background compaction
 * threads (which process.cpuUsage() includes) and without the time the
 * process waited for a core on a loaded machine. NaN elsewhere.
 */
export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU milliseconds of each thread of this process by thread id (Linux; 10 ms
 * resolution; empty elsewhere). The difference of two readings shows where
 * a stretch of work ran: the main thread, LevelDB's one compaction thread,
 * libuv's readers, V8's collector helpers.
 */
export function threadCpuMs(): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}
