/**
 * My account: balance, delegations (principal, earned awards, rate), stake
 * value over time, unstake requests with the time left; delegate, unstake
 * and, for a candidate, update candidacy and set a delegator's rate.
 */
import { useMemo, useState } from 'preact/hooks';
import { getBalance } from 'viem/actions';
import type { AlignedData, Options } from 'uplot';
import { Chart, COLORS } from '../chart.js';
import { Action, ErrorBox, Loading, Section, useLoad } from '../common.js';
import { bp, cmt, cmtNumber, date, description, duration, nameOf, parseCmt } from '../format.js';
import { history, type Address, type CandidateJson, type Chain, type DelegationJson, type UnstakeJson } from '../rpc.js';

interface AccountData {
  height: bigint;
  time: bigint;
  balance: bigint;
  delegations: DelegationJson[];
  unstakes: UnstakeJson[];
  candidates: CandidateJson[];
  /** The account's own candidacy, if it is a candidate. */
  own: CandidateJson | undefined;
}

async function loadAccount(chain: Chain, address: Address): Promise<AccountData> {
  const head = await chain.head();
  const [balance, delegations, unstakes, candidates] = await Promise.all([
    getBalance(chain.client, { address }),
    chain.delegations(address),
    chain.unstakes(address),
    chain.candidates(),
  ]);
  return { ...head, balance, delegations, unstakes, candidates, own: candidates.find((c) => c.address === address) };
}

export function AccountPage({ chain, wallet, onConnect }: { chain: Chain; wallet: Address | undefined; onConnect: () => void }) {
  const [typed, setTyped] = useState('');
  const [viewed, setViewed] = useState<Address | undefined>(undefined);
  const [typedError, setTypedError] = useState<string | undefined>(undefined);
  const address = viewed ?? wallet;
  const lookUp = (e: Event): void => {
    e.preventDefault();
    const text = typed.trim().toLowerCase();
    if (!/^0x[0-9a-f]{40}$/.test(text)) {
      setTypedError(`not an address: '${typed}' (expected 0x and 40 hex digits)`);
      return;
    }
    setTypedError(undefined);
    setViewed(text as Address);
  };
  return (
    <div>
      <Section title="Whose account" id="whose">
        <p>
          {wallet === undefined ? (
            <button type="button" class="primary" onClick={onConnect}>
              Connect wallet
            </button>
          ) : (
            <span>
              Wallet: <code data-testid="wallet-address">{wallet}</code>
            </span>
          )}
        </p>
        <form onSubmit={lookUp} class="inline">
          <label>
            Or look at any address (read-only){' '}
            <input value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} placeholder="0x…" spellcheck={false} data-testid="typed-address" />
          </label>{' '}
          <button type="submit">Show</button>
          {viewed !== undefined && (
            <button type="button" onClick={() => setViewed(undefined)}>
              Back to my wallet
            </button>
          )}
        </form>
        <ErrorBox message={typedError} />
      </Section>
      {address === undefined ? (
        <p>Connect a wallet or type an address.</p>
      ) : (
        <Account key={address} chain={chain} address={address} canSend={viewed === undefined && wallet !== undefined} />
      )}
    </div>
  );
}

function Account({ chain, address, canSend }: { chain: Chain; address: Address; canSend: boolean }) {
  const loaded = useLoad(() => loadAccount(chain, address), [chain, address], 3_000);
  if (loaded.data === undefined) return loaded.error === undefined ? <Loading what="the account" /> : <ErrorBox message={loaded.error} />;
  const d = loaded.data;
  const from = canSend ? address : undefined;
  const names = new Map(d.candidates.map((c) => [c.address, nameOf(c)]));
  const staked = d.delegations.reduce((s, x) => s + BigInt(x.amount), 0n);
  const earned = d.delegations.reduce((s, x) => s + BigInt(x.earned), 0n);
  return (
    <div>
      <ErrorBox message={loaded.error} />
      <Section title="Balance" id="balance">
        <dl class="stats">
          <div>
            <dt>Address</dt>
            <dd>
              <code>{address}</code>
            </dd>
          </div>
          <div>
            <dt>Balance</dt>
            <dd data-testid="balance">{cmt(d.balance)} CMT</dd>
          </div>
          <div>
            <dt>Staked</dt>
            <dd>{cmt(staked)} CMT</dd>
          </div>
          <div>
            <dt>Earned awards</dt>
            <dd>{cmt(earned, 6)} CMT</dd>
          </div>
        </dl>
      </Section>
      <Section title="Delegations" id="delegations">
        {d.delegations.length === 0 ? (
          <p data-testid="no-delegations">No delegations.</p>
        ) : (
          <div class="table-wrap">
            <table data-testid="delegations">
              <thead>
                <tr>
                  <th scope="col">Candidate</th>
                  <th scope="col">Value (CMT)</th>
                  <th scope="col">Principal (CMT)</th>
                  <th scope="col">Earned (CMT)</th>
                  <th scope="col">Comp. rate</th>
                </tr>
              </thead>
              <tbody>
                {d.delegations.map((x) => (
                  <tr key={x.candidate} data-candidate={x.candidate}>
                    <td>
                      <a href={`#/candidate/${x.candidate}`}>{names.get(x.candidate) ?? x.candidate}</a>
                      {x.self ? ' (self-stake)' : ''}
                      {x.withdrawing ? ' (withdrawn candidacy)' : ''}
                    </td>
                    <td class="num">{cmt(x.amount, 6)}</td>
                    <td class="num" data-testid="principal">
                      {cmt(x.principal, 6)}
                    </td>
                    <td class="num" data-testid="earned" data-wei={x.earned}>
                      {cmt(x.earned, 8)}
                    </td>
                    <td class="num">{x.self ? '–' : bp(x.compRateBp)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {d.delegations.length > 0 && <StakeHistory chain={chain} address={address} head={d.height} />}
      </Section>
      <Section title="Unstake requests" id="unstakes">
        {d.unstakes.length === 0 ? (
          <p>No unstake requests waiting.</p>
        ) : (
          <div class="table-wrap">
            <table data-testid="unstakes">
              <thead>
                <tr>
                  <th scope="col">Candidate</th>
                  <th scope="col">Amount (CMT)</th>
                  <th scope="col">Paid out</th>
                  <th scope="col">Time left</th>
                </tr>
              </thead>
              <tbody>
                {d.unstakes.map((u) => (
                  <tr key={`${u.id}-${u.candidate}`}>
                    <td>{names.get(u.candidate) ?? u.candidate}</td>
                    <td class="num">{cmt(u.amount, 6)}</td>
                    <td>{date(u.matureTime)}</td>
                    <td>{duration(Number(BigInt(u.matureTime) - d.time))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <StakingForms chain={chain} from={from} data={d} onDone={loaded.reload} />
      {d.own !== undefined && <CandidateForms chain={chain} from={from} own={d.own} onDone={loaded.reload} />}
    </div>
  );
}

function StakeHistory({ chain, address, head }: { chain: Chain; address: Address; head: bigint }) {
  // Sampled once per 20 blocks of progress: history does not change, only grows.
  const bucket = head / 20n;
  const loaded = useLoad(() => history(head, async (h) => (await chain.delegations(address, h)).reduce((s, x) => s + BigInt(x.amount), 0n)), [chain, address, bucket], 0);
  const chart = useMemo(() => {
    if (loaded.data === undefined || loaded.data.length === 0) return undefined;
    const options: Omit<Options, 'width' | 'height'> = {
      scales: { x: { time: false } },
      axes: [{ label: 'block' }, { label: 'CMT', size: 70 }],
      series: [{ label: 'block' }, { label: 'stake value (CMT)', stroke: COLORS[0], width: 2 }],
    };
    const data: AlignedData = [loaded.data.map((p) => Number(p.height)), loaded.data.map((p) => cmtNumber(p.value))];
    return { options, data };
  }, [loaded.data]);
  return (
    <div>
      <h3>Stake value over time</h3>
      <ErrorBox message={loaded.error} />
      {chart === undefined ? <Loading what="the history" /> : <Chart label="stake value over recent blocks" options={chart.options} data={chart.data} testId="stake-chart" />}
    </div>
  );
}

function StakingForms({ chain, from, data, onDone }: { chain: Chain; from: Address | undefined; data: AccountData; onDone: () => void }) {
  const active = data.candidates.filter((c) => c.state === 'active');
  const [delegateTo, setDelegateTo] = useState('');
  const [delegateAmount, setDelegateAmount] = useState('');
  const [unstakeFrom, setUnstakeFrom] = useState('');
  const [unstakeAmount, setUnstakeAmount] = useState('');
  const pick = (value: string, what: string): Address => {
    if (!/^0x[0-9a-f]{40}$/.test(value)) throw new Error(`choose ${what}`);
    return value as Address;
  };
  return (
    <Section title="Delegate and unstake" id="stake-forms">
      <div class="forms">
        <fieldset>
          <legend>Delegate</legend>
          <label>
            Candidate{' '}
            <select value={delegateTo} onChange={(e) => setDelegateTo((e.target as HTMLSelectElement).value)} data-testid="delegate-candidate">
              <option value="">choose…</option>
              {active.map((c) => (
                <option value={c.address} key={c.address}>
                  {nameOf(c)} ({bp(c.compRateBp)} comp. rate)
                </option>
              ))}
            </select>
          </label>
          <label>
            Amount (CMT) <input inputMode="decimal" value={delegateAmount} onInput={(e) => setDelegateAmount((e.target as HTMLInputElement).value)} data-testid="delegate-amount" />
          </label>
          <Action
            chain={chain}
            from={from}
            label="Check delegation"
            testId="delegate"
            build={() => ({ target: 'staking', functionName: 'delegate', args: [pick(delegateTo, 'a candidate')], value: parseCmt(delegateAmount) })}
            describe={(call) => `delegating ${cmt(call.value ?? 0n)} CMT`}
            onDone={onDone}
          />
        </fieldset>
        <fieldset>
          <legend>Unstake</legend>
          <label>
            From{' '}
            <select value={unstakeFrom} onChange={(e) => setUnstakeFrom((e.target as HTMLSelectElement).value)} data-testid="unstake-candidate">
              <option value="">choose…</option>
              {data.delegations.map((x) => (
                <option value={x.candidate} key={x.candidate}>
                  {nameOf(data.candidates.find((c) => c.address === x.candidate) ?? { address: x.candidate, description: '' })} ({cmt(x.amount, 2)} CMT)
                </option>
              ))}
            </select>
          </label>
          <label>
            Amount (CMT) <input inputMode="decimal" value={unstakeAmount} onInput={(e) => setUnstakeAmount((e.target as HTMLInputElement).value)} data-testid="unstake-amount" />
          </label>
          <Action
            chain={chain}
            from={from}
            label="Check unstake"
            testId="unstake"
            build={() => ({ target: 'staking', functionName: 'unstake', args: [pick(unstakeFrom, 'a delegation'), parseCmt(unstakeAmount)] })}
            describe={(call) => `unstaking ${cmt(call.args[1] as bigint)} CMT (paid out after the waiting period)`}
            onDone={onDone}
          />
        </fieldset>
      </div>
    </Section>
  );
}

function CandidateForms({ chain, from, own, onDone }: { chain: Chain; from: Address | undefined; own: CandidateJson; onDone: () => void }) {
  const declared = description(own.description);
  const [maxStake, setMaxStake] = useState(cmt(own.maxStake, 18).replace(/,/g, ''));
  const [compRate, setCompRate] = useState(String(own.compRateBp / 100));
  const [addStake, setAddStake] = useState('0');
  const [fields, setFields] = useState<Record<string, string>>(
    Object.fromEntries(['name', 'website', 'location', 'email'].map((k) => [k, typeof declared[k] === 'string' ? (declared[k] as string) : ''])),
  );
  const [delegator, setDelegator] = useState('');
  const [rate, setRate] = useState('');
  const rateBp = (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 100) throw new Error(`comp. rate: a percentage from 0 to below 100, got '${text}'`);
    return Math.round(n * 100);
  };
  return (
    <Section title="My candidacy" id="candidacy">
      <div class="forms">
        <fieldset>
          <legend>Update candidacy</legend>
          <label>
            Max stake (CMT) <input inputMode="decimal" value={maxStake} onInput={(e) => setMaxStake((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Comp. rate (%) <input inputMode="decimal" value={compRate} onInput={(e) => setCompRate((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Add self-stake (CMT) <input inputMode="decimal" value={addStake} onInput={(e) => setAddStake((e.target as HTMLInputElement).value)} />
          </label>
          {Object.keys(fields).map((k) => (
            <label key={k}>
              {k} <input value={fields[k]} onInput={(e) => setFields({ ...fields, [k]: (e.target as HTMLInputElement).value })} data-testid={`candidacy-${k}`} />
            </label>
          ))}
          <Action
            chain={chain}
            from={from}
            label="Check update"
            testId="update-candidacy"
            build={() => ({
              target: 'staking',
              functionName: 'updateCandidacy',
              args: [parseCmt(maxStake, 'max stake'), rateBp(compRate), JSON.stringify({ ...declared, ...fields })],
              value: parseCmt(addStake, 'added self-stake'),
            })}
            describe={() => 'updating the candidacy'}
            onDone={onDone}
          />
        </fieldset>
        <fieldset>
          <legend>Set a delegator's comp. rate</legend>
          <label>
            Delegator <input value={delegator} onInput={(e) => setDelegator((e.target as HTMLInputElement).value)} placeholder="0x…" spellcheck={false} />
          </label>
          <label>
            Comp. rate (%) <input inputMode="decimal" value={rate} onInput={(e) => setRate((e.target as HTMLInputElement).value)} />
          </label>
          <Action
            chain={chain}
            from={from}
            label="Check rate"
            testId="set-rate"
            build={() => {
              const who = delegator.trim().toLowerCase();
              if (!/^0x[0-9a-f]{40}$/.test(who)) throw new Error(`delegator: not an address: '${delegator}'`);
              return { target: 'staking', functionName: 'setCompRate', args: [who, rateBp(rate)] };
            }}
            describe={(call) => `setting ${call.args[0] as string}'s rate to ${bp(call.args[1] as number)}`}
            onDone={onDone}
          />
        </fieldset>
      </div>
    </Section>
  );
}
