/**
 * Governance: every proposal with its tally against the thresholds (passed
 * once 3·yes ≥ 2·T, failed once 3·no > T; docs/GOVERNANCE.md), each
 * validator's vote, the time left; a validator votes from here.
 */
import { Action, ErrorBox, Loading, Section, useLoad } from '../common.js';
import { cmt, date, duration, nameOf, percent, ratio, short } from '../format.js';
import type { Address, CandidateJson, Chain, ProposalJson, ValidatorJson } from '../rpc.js';

interface GovData {
  time: bigint;
  proposals: ProposalJson[];
  validators: ValidatorJson[];
  candidates: CandidateJson[];
}

async function loadGov(chain: Chain): Promise<GovData> {
  const [head, proposals, validators, candidates] = await Promise.all([chain.head(), chain.proposals(), chain.validators(), chain.candidates()]);
  return { time: head.time, proposals: [...proposals].reverse(), validators: validators.filter((v) => v.role === 'validator'), candidates };
}

export function GovernancePage({ chain, wallet }: { chain: Chain; wallet: Address | undefined }) {
  const loaded = useLoad(() => loadGov(chain), [chain], 3_000);
  if (loaded.data === undefined) return loaded.error === undefined ? <Loading what="the proposals" /> : <ErrorBox message={loaded.error} />;
  const d = loaded.data;
  const names = new Map(d.candidates.map((c) => [c.address, nameOf(c)]));
  const isValidator = wallet !== undefined && d.validators.some((v) => v.address === wallet);
  return (
    <div>
      <ErrorBox message={loaded.error} />
      <p class="hint">
        A proposal passes once the validators voting yes hold at least 2/3 of the validators' voting power, and fails once those voting no hold more than 1/3. Only validators vote;{' '}
        {wallet === undefined ? 'connect a validator wallet to vote.' : isValidator ? 'your wallet is a validator.' : 'your wallet is not a validator.'}
      </p>
      {d.proposals.length === 0 && <p data-testid="no-proposals">No proposals yet.</p>}
      {d.proposals.map((p) => (
        <ProposalCard key={p.id} proposal={p} data={d} names={names} chain={chain} wallet={isValidator ? wallet : undefined} onDone={loaded.reload} />
      ))}
    </div>
  );
}

function ProposalCard({
  proposal: p,
  data,
  names,
  chain,
  wallet,
  onDone,
}: {
  proposal: ProposalJson;
  data: GovData;
  names: Map<string, string>;
  chain: Chain;
  wallet: Address | undefined;
  onDone: () => void;
}) {
  const votes = new Map(p.votes.map((v) => [v.voter, v.yes]));
  const total = BigInt(p.tally.total);
  const yes = ratio(p.tally.yes, total);
  const no = ratio(p.tally.no, total);
  const open = p.status === 'open';
  const left = Number(BigInt(p.expiresAt) - data.time);
  const what =
    p.param !== null
      ? `set ${p.param.name} to ${p.param.value}`
      : p.transfer !== null
        ? `transfer ${cmt(p.transfer.amount)} CMT from ${short(p.transfer.from)} to ${short(p.transfer.to)}`
        : p.kind;
  return (
    <Section title={`Proposal ${p.id}: ${what}`} id={`proposal-${p.id}`}>
      <div data-testid={`proposal-${p.id}`}>
        <p>
          <strong>{p.status}</strong>
          {open ? ` · ${duration(left)} left (until ${date(p.expiresAt)})` : ` · ${p.outcome}`} · proposed by {names.get(p.proposer) ?? short(p.proposer)} in block{' '}
          {p.createdHeight}
        </p>
        {p.reason !== '' && <p class="reason">“{p.reason}”</p>}
        <div class="tally" role="img" aria-label={`yes ${percent(yes)}, no ${percent(no)} of the voting power; passes at 66.67%, fails above 33.33%`}>
          <div class="bar">
            <span class="yes" style={{ width: `${yes * 100}%` }} />
            <span class="no" style={{ width: `${no * 100}%` }} />
            <span class="mark pass" style={{ left: '66.667%' }} title="2/3: passes" />
            <span class="mark fail" style={{ left: '33.333%' }} title="1/3: fails" />
          </div>
        </div>
        <p data-testid="tally">
          yes <span data-testid="tally-yes">{percent(yes)}</span> ({cmt(p.tally.yes, 0)} CMT) · no <span data-testid="tally-no">{percent(no)}</span> ({cmt(p.tally.no, 0)} CMT) · of{' '}
          {cmt(total, 0)} CMT · passes at 2/3, fails above 1/3
        </p>
        <details open={open}>
          <summary>Votes per validator</summary>
          <ul class="votes">
            {data.validators.map((v) => (
              <li key={v.address}>
                {names.get(v.address) ?? short(v.address)}: {votes.has(v.address) ? (votes.get(v.address) ? 'yes' : 'no') : 'not voted'}
              </li>
            ))}
            {p.votes
              .filter((v) => !data.validators.some((x) => x.address === v.voter))
              .map((v) => (
                <li key={v.voter}>
                  {names.get(v.voter) ?? short(v.voter)} (no longer a validator): {v.yes ? 'yes' : 'no'}
                </li>
              ))}
          </ul>
        </details>
        {open && wallet !== undefined && (
          <div class="forms">
            {[true, false].map((yesVote) => (
              <Action
                key={String(yesVote)}
                chain={chain}
                from={wallet}
                label={`Vote ${yesVote ? 'yes' : 'no'}`}
                testId={`vote-${p.id}-${yesVote ? 'yes' : 'no'}`}
                build={() => ({ target: 'governance', functionName: 'vote', args: [BigInt(p.id), yesVote] })}
                describe={() => `voting ${yesVote ? 'yes' : 'no'} on proposal ${p.id}`}
                onDone={onDone}
              />
            ))}
          </div>
        )}
      </div>
    </Section>
  );
}
