/**
 * One candidate: its declared description, stake over time (cmt_getCandidate
 * as of sampled earlier blocks, within the node's retained history),
 * delegators, awards, and the slashes seen between the samples.
 */
import { useMemo } from 'preact/hooks';
import type { AlignedData, Options } from 'uplot';
import { Chart, COLORS } from '../chart.js';
import { ErrorBox, Loading, Section, useLoad } from '../common.js';
import { bp, cmt, cmtNumber, date, description, nameOf, percent, ratio, safeLink } from '../format.js';
import { history, type CandidateJson, type Chain } from '../rpc.js';

const FIELDS: Array<[string, string]> = [
  ['website', 'Website'],
  ['location', 'Location'],
  ['email', 'Email'],
  ['jurisdiction', 'Jurisdiction'],
  ['data_centre', 'Data centre'],
  ['security', 'Security'],
  ['technical_setup', 'Technical setup'],
];

export function CandidatePage({ chain, address }: { chain: Chain; address: string }) {
  const loaded = useLoad(async () => ({ head: await chain.head(), candidate: await chain.candidate(address) }), [chain, address], 4_000);
  if (loaded.data === undefined) return loaded.error === undefined ? <Loading what="the candidate" /> : <ErrorBox message={loaded.error} />;
  const { head, candidate: c } = loaded.data;
  if (c === null) return <ErrorBox message={`${address} is not a candidate`} />;
  const desc = description(c.description);
  const website = safeLink(desc.website);
  return (
    <div>
      <ErrorBox message={loaded.error} />
      <Section title={nameOf(c)} id="candidate">
        <dl class="stats">
          <div>
            <dt>Address</dt>
            <dd>
              <code>{c.address}</code>
            </dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>
              {c.role}
              {c.rank > 0 ? ` (rank ${c.rank})` : ''}, {c.state}
              {c.verified ? ', verified' : ', not verified'}
            </dd>
          </div>
          <div>
            <dt>Stake</dt>
            <dd data-testid="candidate-stake">{cmt(c.totalStake, 2)} CMT</dd>
          </div>
          <div>
            <dt>Self-stake</dt>
            <dd>
              {cmt(c.selfStake, 2)} CMT ({percent(ratio(c.selfStake, c.totalStake), 1)})
            </dd>
          </div>
          <div>
            <dt>Max stake</dt>
            <dd>{cmt(c.maxStake, 0)} CMT</dd>
          </div>
          <div>
            <dt>Comp. rate</dt>
            <dd>{bp(c.compRateBp)}</dd>
          </div>
          <div>
            <dt>Delegators</dt>
            <dd data-testid="delegators">{c.delegationCount}</dd>
          </div>
          <div>
            <dt>Awards paid</dt>
            <dd>{cmt(c.awarded, 4)} CMT</dd>
          </div>
          <div>
            <dt>Slashed in all</dt>
            <dd>{cmt(c.slashed, 4)} CMT</dd>
          </div>
          <div>
            <dt>Missed blocks in a row</dt>
            <dd>{c.missedBlocks}</dd>
          </div>
          <div>
            <dt>Declared in block</dt>
            <dd>{c.declareHeight}</dd>
          </div>
          {c.withdrawMatureTime !== '0' && (
            <div>
              <dt>Withdrawn stake paid out</dt>
              <dd>{date(c.withdrawMatureTime)}</dd>
            </div>
          )}
        </dl>
        <h3>Description</h3>
        <dl class="fields">
          {FIELDS.map(([key, label]) => (
            <div key={key}>
              <dt>{label}</dt>
              <dd>
                {key === 'website' && website !== undefined ? (
                  <a href={website} rel="noopener noreferrer nofollow" target="_blank">
                    {website}
                  </a>
                ) : typeof desc[key] === 'string' && desc[key] !== '' ? (
                  (desc[key] as string)
                ) : (
                  '–'
                )}
              </dd>
            </div>
          ))}
        </dl>
      </Section>
      <CandidateHistory chain={chain} address={c.address} head={head.height} />
    </div>
  );
}

function CandidateHistory({ chain, address, head }: { chain: Chain; address: string; head: bigint }) {
  const bucket = head / 20n;
  const loaded = useLoad(() => history(head, async (h) => chain.candidate(address, h)), [chain, address, bucket], 0);
  const points = (loaded.data ?? []).filter((p): p is { height: bigint; value: CandidateJson } => p.value !== null);
  const chart = useMemo(() => {
    if (points.length === 0) return undefined;
    const options: Omit<Options, 'width' | 'height'> = {
      scales: { x: { time: false } },
      axes: [{ label: 'block' }, { label: 'CMT', size: 80 }],
      series: [{ label: 'block' }, { label: 'total stake (CMT)', stroke: COLORS[0], width: 2 }, { label: 'self-stake (CMT)', stroke: COLORS[2], width: 2 }],
    };
    const data: AlignedData = [points.map((p) => Number(p.height)), points.map((p) => cmtNumber(p.value.totalStake)), points.map((p) => cmtNumber(p.value.selfStake))];
    return { options, data };
  }, [loaded.data]);
  // A slash shows as a rise of the cumulative `slashed` between two samples.
  const slashes = points.slice(1).flatMap((p, i) => {
    const before = BigInt(points[i]!.value.slashed);
    const after = BigInt(p.value.slashed);
    return after > before ? [{ from: points[i]!.height, to: p.height, amount: after - before }] : [];
  });
  return (
    <Section title="History" id="history">
      <ErrorBox message={loaded.error} />
      {chart === undefined ? <Loading what="the stake history" /> : <Chart label="stake over recent blocks" options={chart.options} data={chart.data} testId="candidate-chart" />}
      <p class="hint">Sampled at {points.length} blocks over the node's retained history (its --state-history).</p>
      <h3>Slashing history</h3>
      {slashes.length === 0 ? (
        <p>No slashes in the sampled blocks.</p>
      ) : (
        <ul>
          {slashes.map((s) => (
            <li key={String(s.to)}>
              {cmt(s.amount, 4)} CMT slashed between blocks {s.from.toString()} and {s.to.toString()}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
