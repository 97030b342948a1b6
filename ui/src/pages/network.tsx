/** Network: the chain's pace and money, the validators and backups, every candidate. */
import { useMemo, useState } from 'preact/hooks';
import type { AlignedData, Options } from 'uplot';
import { Chart, COLORS, bars } from '../chart.js';
import { ErrorBox, Loading, Section, useLoad } from '../common.js';
import { bp, cmt, nameOf, percent, ratio } from '../format.js';
import type { CandidateJson, Chain, ParamsJson, SupplyJson, ValidatorJson } from '../rpc.js';

interface NetworkData {
  height: bigint;
  time: bigint;
  blockTime: number | undefined;
  supply: SupplyJson;
  params: ParamsJson;
  validators: ValidatorJson[];
  candidates: CandidateJson[];
}

async function loadNetwork(chain: Chain): Promise<NetworkData> {
  const head = await chain.head();
  const [blockTime, supply, params, validators, candidates] = await Promise.all([chain.blockTime(head), chain.supply(), chain.params(), chain.validators(), chain.candidates()]);
  return { ...head, blockTime, supply, params, validators, candidates };
}

type SortKey = 'rank' | 'name' | 'totalStake' | 'votingPower' | 'compRateBp' | 'selfRatio' | 'missedBlocks' | 'slashed' | 'delegationCount';

const COLUMNS: Array<{ key: SortKey; label: string }> = [
  { key: 'rank', label: 'Rank' },
  { key: 'name', label: 'Name' },
  { key: 'totalStake', label: 'Stake (CMT)' },
  { key: 'votingPower', label: 'Voting power' },
  { key: 'compRateBp', label: 'Comp. rate' },
  { key: 'selfRatio', label: 'Self-stake' },
  { key: 'missedBlocks', label: 'Missed blocks' },
  { key: 'slashed', label: 'Slashed (CMT)' },
  { key: 'delegationCount', label: 'Delegators' },
];

function sortValue(c: CandidateJson, key: SortKey): number | string | bigint {
  switch (key) {
    case 'rank':
      return c.rank === 0 ? Number.MAX_SAFE_INTEGER : c.rank;
    case 'name':
      return nameOf(c).toLowerCase();
    case 'selfRatio':
      return ratio(c.selfStake, c.totalStake);
    case 'totalStake':
    case 'votingPower':
    case 'slashed':
    case 'delegationCount':
      return BigInt(c[key]);
    default:
      return c[key];
  }
}

export function NetworkPage({ chain }: { chain: Chain }) {
  const loaded = useLoad(() => loadNetwork(chain), [chain], 4_000);
  if (loaded.data === undefined) return loaded.error === undefined ? <Loading what="the network" /> : <ErrorBox message={loaded.error} />;
  const d = loaded.data;
  const supply = BigInt(d.supply.supply);
  const stakedRatio = ratio(d.supply.staked, supply);
  const inflationBp = Number(d.params.inflation_rate_bp);
  const byAddress = new Map(d.candidates.map((c) => [c.address, c]));
  const set = d.validators.filter((v) => v.role === 'validator');
  const backups = d.validators.filter((v) => v.role === 'backup');
  const totalPower = set.reduce((s, v) => s + BigInt(v.votingPower), 0n);
  const capBp = Number(d.params.validator_size_threshold_bp);
  return (
    <div>
      <ErrorBox message={loaded.error} />
      <Section title="Chain" id="chain">
        <dl class="stats">
          <div>
            <dt>Height</dt>
            <dd data-testid="height">{d.height.toString()}</dd>
          </div>
          <div>
            <dt>Block time</dt>
            <dd>{d.blockTime === undefined ? '–' : `${d.blockTime.toFixed(2)} s`}</dd>
          </div>
          <div>
            <dt>Supply</dt>
            <dd>{cmt(supply, 0)} CMT</dd>
          </div>
          <div>
            <dt>Inflation rate</dt>
            <dd>
              {bp(inflationBp)} a year ({cmt(d.supply.minted, 2)} CMT minted since genesis)
            </dd>
          </div>
          <div>
            <dt>Staked</dt>
            <dd>
              {cmt(d.supply.staked, 0)} CMT ({percent(stakedRatio)})
            </dd>
          </div>
          <div>
            <dt>Validators / backups</dt>
            <dd>
              {set.length} of {String(d.params.max_validators)} / {backups.length} of {String(d.params.backup_validators ?? '–')}
            </dd>
          </div>
        </dl>
      </Section>
      <Section title="Validators and backups" id="validators">
        <ValidatorTable rows={d.validators} byAddress={byAddress} />
        <h3>Share of the validators' voting power</h3>
        <ShareChart validators={set} byAddress={byAddress} totalPower={totalPower} capBp={capBp} />
      </Section>
      <Section title="All candidates" id="candidates">
        <CandidateTable candidates={d.candidates} />
      </Section>
    </div>
  );
}

function ValidatorTable({ rows, byAddress }: { rows: ValidatorJson[]; byAddress: Map<string, CandidateJson> }) {
  return (
    <div class="table-wrap">
      <table data-testid="validators">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Voting power</th>
            <th scope="col">Stake (CMT)</th>
            <th scope="col">Comp. rate</th>
            <th scope="col">Verified</th>
            <th scope="col">Missed</th>
            <th scope="col">Slashed (CMT)</th>
            <th scope="col">Self-stake</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((v) => {
            const c = byAddress.get(v.address);
            return (
              <tr key={v.address} data-address={v.address}>
                <td>{v.rank}</td>
                <td>
                  <a href={`#/candidate/${v.address}`}>{c === undefined ? v.address : nameOf(c)}</a>
                </td>
                <td>{v.role}</td>
                <td class="num" data-testid="power">
                  {v.consensusPower}
                </td>
                <td class="num">{cmt(v.totalStake, 2)}</td>
                <td class="num">{c === undefined ? '–' : bp(c.compRateBp)}</td>
                <td>{v.verified ? 'yes' : 'no'}</td>
                <td class="num">{c?.missedBlocks ?? '–'}</td>
                <td class="num">{c === undefined ? '–' : cmt(c.slashed, 2)}</td>
                <td class="num">{c === undefined ? '–' : percent(ratio(c.selfStake, c.totalStake), 1)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function ShareChart({ validators, byAddress, totalPower, capBp }: { validators: ValidatorJson[]; byAddress: Map<string, CandidateJson>; totalPower: bigint; capBp: number }) {
  const key = validators.map((v) => `${v.address}:${v.votingPower}`).join(',');
  const { options, data } = useMemo(() => {
    const names = validators.map((v) => {
      const c = byAddress.get(v.address);
      return c === undefined ? v.address.slice(0, 8) : nameOf(c);
    });
    const shares = validators.map((v) => ratio(v.votingPower, totalPower) * 100);
    const xs = validators.map((_, i) => i + 1);
    const cap = capBp / 100;
    const options: Omit<Options, 'width' | 'height'> = {
      scales: { x: { time: false, range: [0.5, validators.length + 0.5] }, y: { range: [0, Math.max(cap + 4, ...shares.map((s) => s + 2))] } },
      axes: [{ values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? (names[s - 1] ?? '') : '')), gap: 4 }, { label: '% of voting power' }],
      series: [{}, { label: 'share of voting power (%)', stroke: COLORS[0], fill: `${COLORS[0]}99`, paths: bars, points: { show: false } }],
      // The cap as a dashed line across the whole plot, labelled.
      hooks: {
        draw: [
          (u) => {
            const y = u.valToPos(cap, 'y', true);
            const { ctx } = u;
            ctx.save();
            ctx.strokeStyle = COLORS[1]!;
            ctx.fillStyle = COLORS[1]!;
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([8 * devicePixelRatio, 5 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
            ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
            ctx.fillText(`cap ${bp(capBp)}`, u.bbox.left + 4 * devicePixelRatio, y - 4 * devicePixelRatio);
            ctx.restore();
          },
        ],
      },
    };
    const data: AlignedData = [xs, shares];
    return { options, data };
  }, [key, totalPower, capBp]);
  if (validators.length === 0) return <p>No validators.</p>;
  return <Chart label={`share of voting power per validator, with the ${bp(capBp)} cap`} options={options} data={data} testId="share-chart" />;
}

function CandidateTable({ candidates }: { candidates: CandidateJson[] }) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'rank', desc: false });
  const [search, setSearch] = useState('');
  const rows = useMemo(() => {
    const q = search.trim().toLowerCase();
    const filtered = q === '' ? candidates : candidates.filter((c) => c.address.includes(q) || c.description.toLowerCase().includes(q));
    const sorted = [...filtered].sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    return sort.desc ? sorted.reverse() : sorted;
  }, [candidates, sort, search]);
  return (
    <div>
      <label class="search">
        Search by name, description or address{' '}
        <input type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} data-testid="candidate-search" />
      </label>
      <div class="table-wrap">
        <table data-testid="candidates">
          <thead>
            <tr>
              {COLUMNS.map((col) => (
                <th scope="col" key={col.key} aria-sort={sort.key === col.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                  <button
                    type="button"
                    class="sort"
                    onClick={() => setSort((s) => ({ key: col.key, desc: s.key === col.key ? !s.desc : col.key !== 'rank' && col.key !== 'name' }))}
                  >
                    {col.label}
                    {sort.key === col.key ? (sort.desc ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
              <th scope="col">Role</th>
              <th scope="col">Verified</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.address} data-address={c.address}>
                <td>{c.rank === 0 ? '–' : c.rank}</td>
                <td>
                  <a href={`#/candidate/${c.address}`}>{nameOf(c)}</a>
                </td>
                <td class="num">{cmt(c.totalStake, 2)}</td>
                <td class="num">{cmt(c.votingPower, 0)}</td>
                <td class="num">{bp(c.compRateBp)}</td>
                <td class="num">{percent(ratio(c.selfStake, c.totalStake), 1)}</td>
                <td class="num">{c.missedBlocks}</td>
                <td class="num">{cmt(c.slashed, 2)}</td>
                <td class="num">{c.delegationCount}</td>
                <td>
                  {c.role}
                  {c.state === 'active' ? '' : ` (${c.state})`}
                </td>
                <td>{c.verified ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && <p>No candidate matches “{search}”.</p>}
    </div>
  );
}
