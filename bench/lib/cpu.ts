import { readFileSync } from 'node:fs';

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
