/** A uPlot chart as a Preact component: drawn on a canvas, resized with its container. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot, { type AlignedData, type Options } from 'uplot';

export interface ChartProps {
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  label: string;
  options: Omit<Options, 'width' | 'height'>;
  data: AlignedData;
  height?: number;
  testId?: string;
}

export function Chart({ label, options, data, height = 240, testId }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const width = (): number => Math.max(240, el.clientWidth);
    const plot = new uPlot({ ...options, width: width(), height }, data, el);
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [options, data, height]);
  return <div class="chart" ref={box} role="img" aria-label={label} data-testid={testId} />;
}

/** Series colours that read on the light and dark theme alike. */
export const COLORS = ['#2f6fde', '#d9822b', '#2a9d5b', '#b83280', '#6b7280'];

/** Bars for uPlot series (the share of stake chart). */
export const bars = uPlot.paths.bars!({ size: [0.6, 48] });
