/**
 * Income calculator: the whitepaper's formula (SPEC 5.6) — the very module
 * `cmtd economics` runs (src/staking/economics.ts) — with sliders, and the
 * yearly income per staked CMT plotted against the stake ratio.
 */
import { useMemo, useState } from 'preact/hooks';
import type { AlignedData, Options } from 'uplot';
import { incomeProjection, toDecimal, toNumber, mul, rational, type IncomeInputs } from '../../../src/staking/economics.js';
import { Chart, COLORS } from '../chart.js';
import { useLoad } from '../common.js';
import type { Chain } from '../rpc.js';

/** The formula's inputs in basis points, as `cmtd economics` takes them. */
interface Inputs {
  stakeBp: number;
  ssrBp: number;
  compBp: number;
  inflationBp: number;
}

function projection(x: Inputs, stakeBp = x.stakeBp): ReturnType<typeof incomeProjection> {
  const inputs: IncomeInputs = { staked: BigInt(stakeBp), totalSupply: 10_000n, inflationRateBp: x.inflationBp, compRateBp: x.compBp, selfStakeRatioBp: x.ssrBp };
  return incomeProjection(inputs);
}

const pct = (r: ReturnType<typeof rational>): string => `${toDecimal(mul(r, rational(100n)), 2)}%`;

function Slider({
  label,
  value,
  min,
  max,
  step,
  onChange,
  testId,
}: {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (bp: number) => void;
  testId: string;
}) {
  return (
    <label class="slider">
      <span>
        {label}: <strong>{(value / 100).toFixed(2)}%</strong>
      </span>
      <input
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        onInput={(e) => onChange(Number((e.target as HTMLInputElement).value))}
        aria-valuetext={`${(value / 100).toFixed(2)}%`}
        data-testid={testId}
      />
    </label>
  );
}

export function CalculatorPage({ chain }: { chain: Chain }) {
  // Start from the chain's own figures when it answers; the sliders work without it.
  const chainNow = useLoad(
    async () => {
      const [supply, params] = await Promise.all([chain.supply(), chain.params()]);
      const stakeBp = Number((BigInt(supply.staked) * 10_000n) / (BigInt(supply.supply) === 0n ? 1n : BigInt(supply.supply)));
      return { stakeBp: Math.min(10_000, Math.max(1, stakeBp)), inflationBp: Number(params.inflation_rate_bp) };
    },
    [chain],
    0,
  );
  const [edited, setEdited] = useState<Partial<Inputs>>({});
  const x: Inputs = {
    stakeBp: chainNow.data?.stakeBp ?? 2_500,
    ssrBp: 1_000,
    compBp: 2_000,
    inflationBp: chainNow.data?.inflationBp ?? 800,
    ...edited,
  };
  const set = (key: keyof Inputs) => (bpValue: number) => setEdited((e) => ({ ...e, [key]: bpValue }));
  const now = projection(x);
  const chart = useMemo(() => {
    const ratios = Array.from({ length: 96 }, (_, i) => (i + 5) * 100); // 5% … 100%
    const options: Omit<Options, 'width' | 'height'> = {
      scales: { x: { time: false } },
      axes: [{ label: 'stake ratio (%)' }, { label: 'yearly income (%)', size: 60 }],
      series: [{ label: 'stake ratio' }, { label: 'validator', stroke: COLORS[0], width: 2 }, { label: 'delegator', stroke: COLORS[1], width: 2 }],
    };
    const data: AlignedData = [
      ratios.map((r) => r / 100),
      ratios.map((r) => toNumber(projection(x, r).validator) * 100),
      ratios.map((r) => toNumber(projection(x, r).delegator) * 100),
    ];
    return { options, data };
  }, [x.ssrBp, x.compBp, x.inflationBp]);
  return (
    <div>
      <section class="card" aria-labelledby="calc-title">
        <h2 id="calc-title">Yearly income per staked CMT</h2>
        <p class="hint">
          The whitepaper's steady-state formula (the same code as <code>cmtd economics</code>): validator I·Total/S·(1 + (1/SSR − 1)·C), delegator I·Total/S·(1 − C).
        </p>
        <div class="sliders">
          <Slider label="Stake ratio S/Total" value={x.stakeBp} min={100} max={10_000} step={50} onChange={set('stakeBp')} testId="calc-stake" />
          <Slider label="Self-stake ratio SSR" value={x.ssrBp} min={100} max={10_000} step={50} onChange={set('ssrBp')} testId="calc-ssr" />
          <Slider label="Compensation rate C" value={x.compBp} min={0} max={9_900} step={50} onChange={set('compBp')} testId="calc-comp" />
          <Slider label="Inflation I" value={x.inflationBp} min={0} max={800} step={10} onChange={set('inflationBp')} testId="calc-inflation" />
        </div>
        <dl class="stats">
          <div>
            <dt>Validator (on its self-stake)</dt>
            <dd data-testid="calc-validator">{pct(now.validator)}</dd>
          </div>
          <div>
            <dt>Delegator</dt>
            <dd data-testid="calc-delegator">{pct(now.delegator)}</dd>
          </div>
        </dl>
        <Chart label="yearly income against the stake ratio" options={chart.options} data={chart.data} testId="income-chart" />
      </section>
    </div>
  );
}
