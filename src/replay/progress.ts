/**
 * Progress of a long replay or recording on stderr: a bar redrawn in place
 * on a terminal, otherwise a plain line at every tenth of the way (logs and
 * CI output stay readable). Driven by heights, never by a clock.
 */
export interface Progress {
  update(height: bigint, first: bigint, last: bigint): void;
  /** Ends the bar's line (a terminal) so later output starts on a fresh line. */
  done(): void;
}

interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export function createProgress(label: string, stream: ProgressStream = process.stderr): Progress {
  let lastStep = -1;
  let drawn = false;
  return {
    update(height, first, last) {
      const total = last - first + 1n;
      const doneCount = height - first + 1n;
      if (stream.isTTY === true) {
        const step = Number((doneCount * 1000n) / total);
        if (step === lastStep && height !== last) return;
        lastStep = step;
        const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 40));
        const filled = Math.floor((step * width) / 1000);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] height ${height}/${last} (${(step / 10).toFixed(1)}%)`);
        drawn = true;
      } else {
        const step = Number((doneCount * 10n) / total);
        if (step === lastStep) return;
        lastStep = step;
        stream.write(`${label}: height ${height} of ${first}..${last} (${step * 10}%)\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
