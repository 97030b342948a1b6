/**
 * `cmtd query …`: the node's ABCI query paths (see README "Queries"), as
 * tables for people (amounts in CMT) or, with --output json, the node's JSON
 * answer unchanged (amounts in wei, as decimal strings).
 */
import type { Command } from 'commander';
import { Transaction } from 'ethers';
import { CometRpcError, type TxResultJson } from '../comet/rpc.js';
import type { QueryArgs, QueryJson, QueryName } from '../app/query-routes.js';
import { NodeClient, resolveAddress } from './client.js';
import { opt } from './flags.js';
import { formatCmt, printJson, printTable } from './format.js';
import { formatDuration, formatTimeFromNow, humanizeChainText } from './human.js';
import { reportLines, systemFunction, txReport } from './tx.js';
import { homeOption, nodeOption, outputOption } from './options.js';

interface QueryFlags {
  home: string;
  node: string;
  output: string;
  status?: string;
  height?: string;
}

type Candidate = QueryJson<'candidate'>;
type Proposal = QueryJson<'proposal'>;

const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const cmt = (v: unknown): string => (v === null || v === undefined || v === '' ? '' : formatCmt(BigInt(s(v))));
const pct = (bp: unknown): string => `${Number(bp) / 100}%`;
const time = (seconds: unknown): string => {
  const n = Number(s(seconds));
  return n > 0 ? formatTimeFromNow(n) : '';
};
/** Dust is below 1 CMT: all 18 decimals. */
const dust = (v: unknown): string => `${formatCmt(BigInt(s(v) || '0'), 18)} CMT`;

/** Waiting stake is still at work: what people must know before they count on it. */
const WAITING_NOTE = 'waiting stake still earns awards and can still be slashed until it is paid out';

function descriptionName(description: unknown): string {
  try {
    const parsed = JSON.parse(s(description)) as { name?: unknown };
    return typeof parsed.name === 'string' ? parsed.name : '';
  } catch {
    return '';
  }
}

function candidateNames(candidates: Candidate[]): Map<string, string> {
  return new Map(candidates.map((c) => [s(c.address), descriptionName(c.description)]));
}

/** Whether a candidate's stake earns block awards now: validators and backups do (SPEC 5). */
function earns(c: Candidate): string {
  if (s(c.state) !== 'active') return `no (${s(c.state)})`;
  return c.role === 'validator' || c.role === 'backup' ? `yes (${s(c.role)})` : 'no (not ranked)';
}

interface FoundTx {
  height: string;
  tx: string;
  tx_result: TxResultJson;
}

/** A committed transaction by its Ethereum hash (the app's ethereum_tx.hash event) or its CometBFT hash. */
async function findTx(client: NodeClient, hex: string): Promise<FoundTx | undefined> {
  const search = await client.call((rpc) => rpc.call<{ txs: FoundTx[] }>('tx_search', { query: `ethereum_tx.hash='0x${hex.toLowerCase()}'`, per_page: '1' }));
  if (search.txs.length > 0) return search.txs[0];
  try {
    return await client.call((rpc) => rpc.call<FoundTx>('tx', { hash: Buffer.from(hex, 'hex').toString('base64') }));
  } catch (err) {
    if (err instanceof CometRpcError && /not found/i.test(err.message)) return undefined;
    throw err;
  }
}

function printFields(rows: Array<[string, string]>): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n')}\n`);
}

function parseHeight(height: string): bigint {
  if (!/^[1-9][0-9]*$/.test(height)) throw new Error(`--height is a block height (a whole number from 1), got '${height}'`);
  return BigInt(height);
}

function none(what: string): void {
  process.stdout.write(`${what}\n`);
}

/** Runs one query (src/app/query-routes.ts); JSON output is the node's answer as is. */
async function run<N extends QueryName>(flags: QueryFlags, name: N, args: QueryArgs<N>, text: (value: QueryJson<N>) => void): Promise<void> {
  const value = await new NodeClient(flags.node).readAt(flags.height === undefined ? undefined : parseHeight(flags.height), name, ...args);
  if (flags.output === 'json') printJson(value);
  else text(value);
}

function candidateRows(c: Candidate): Array<[string, string]> {
  return [
    ['address', s(c.address)],
    ['name', descriptionName(c.description)],
    ['state', s(c.state)],
    ['role', `${s(c.role)}${Number(c.rank) > 0 ? ` (rank ${s(c.rank)})` : ''}`],
    ['verified', s(c.verified)],
    ['total stake', `${cmt(c.totalStake)} CMT`],
    ['self-stake', `${cmt(c.selfStake)} CMT`],
    ['unstaking', `${cmt(c.waitingStake)} CMT`],
    ['max stake', `${cmt(c.maxStake)} CMT`],
    ['voting power', `${cmt(c.votingPower)} CMT`],
    ['compensation', pct(c.compRateBp)],
    ['delegations', s(c.delegationCount)],
    ['missed blocks', s(c.missedBlocks)],
    ['awarded', `${cmt(c.awarded)} CMT`],
    ['slashed', `${cmt(c.slashed)} CMT`],
    ['declared at', `height ${s(c.declareHeight)}`],
    ['consensus key', s(c.pubKey)],
    ['consensus address', s(c.consensusAddress)],
    ['description', s(c.description)],
    ...(Number(c.withdrawMatureTime) > 0 ? [['stake paid out at', time(c.withdrawMatureTime)] as [string, string]] : []),
  ];
}

function proposalSubject(p: Proposal): string {
  const param = p.param;
  if (param !== null) return `${param.name} = ${param.value}`;
  const t = p.transfer;
  if (t !== null) return `${cmt(t.amount)} CMT ${t.from} → ${t.to}`;
  return '';
}

function tallyText(p: Proposal): string {
  const t = p.tally;
  const total = BigInt(t.total);
  const share = (x: string): string => (total === 0n ? '0%' : `${Number((BigInt(x) * 10_000n) / total) / 100}%`);
  return `yes ${share(t.yes)}, no ${share(t.no)}`;
}

/** Display forms of params whose raw value is wei or basis points. */
const PARAM_UNITS: Record<string, 'cmt' | 'gwei' | 'bp' | 'seconds'> = {
  supply_cap: 'cmt',
  address_min_stake: 'cmt',
  address_max_stake: 'cmt',
  enterprise_min_stake: 'cmt',
  min_gas_price: 'gwei',
  unstake_waiting_period_s: 'seconds',
  proposal_period_s: 'seconds',
};

function paramText(name: string, value: unknown): string {
  const unit = PARAM_UNITS[name] ?? (name.endsWith('_bp') ? 'bp' : undefined);
  const raw = s(value);
  switch (unit) {
    case 'cmt':
      return `${cmt(raw)} CMT`;
    case 'gwei':
      return `${Number(BigInt(raw)) / 1e9} gwei (${raw} wei)`;
    case 'bp':
      return `${raw} (${pct(raw)})`;
    case 'seconds':
      return `${raw} (${formatDuration(Number(raw))})`;
    default:
      return raw === '' ? '(none)' : raw;
  }
}

function register(parent: Command, usage: string, description: string): Command {
  return parent.command(usage).description(description).addOption(homeOption()).addOption(nodeOption()).addOption(outputOption());
}

export function registerQuery(program: Command): void {
  const query = program.command('query').description("read the chain's state from a node (tables, or --output json for the raw answer)");

  register(query, 'account <address>', 'balance and nonce of an address (or of a key name)')
    .option('--height <n>', 'as of this block height (default: the latest; the node keeps its last --state-history heights)')
    .action((address: string, flags: QueryFlags) => {
      const a = resolveAddress(address, flags.home, 'account');
      return run(flags, 'account', [a], (r) =>
        printFields([
          ['address', s(r.address)],
          ['balance', `${cmt(r.balance)} CMT`],
          ['nonce', s(r.nonce)],
          ...(flags.height === undefined ? [] : ([['height', flags.height]] as Array<[string, string]>)),
        ]),
      );
    });

  register(query, 'candidate <address>', 'one candidate (address or key name)').action((address: string, flags: QueryFlags) =>
    run(flags, 'candidate', [resolveAddress(address, flags.home, 'candidate')], (c) => printFields(candidateRows(c))),
  );

  register(query, 'candidates', 'every candidate, with its rank and stake').action((flags: QueryFlags) =>
    run(flags, 'candidates', [], (list) => {
      if (list.length === 0) return none('no candidates');
      const sorted = [...list].sort((a, b) => (Number(a.rank) || 1e9) - (Number(b.rank) || 1e9));
      printTable(
        ['rank', 'role', 'address', 'name', 'state', 'stake', 'voting power', 'comp', 'verified'],
        sorted.map((c) => [
          Number(c.rank) > 0 ? s(c.rank) : '-',
          s(c.role),
          s(c.address),
          descriptionName(c.description),
          s(c.state),
          cmt(c.totalStake),
          cmt(c.votingPower),
          pct(c.compRateBp),
          c.verified === true ? 'yes' : 'no',
        ]),
      );
    }),
  );

  register(query, 'validators', 'the validators and backup validators, in rank order').action(async (flags: QueryFlags) => {
    const client = new NodeClient(flags.node);
    const list = await client.read('validators');
    if (flags.output === 'json') return printJson(list);
    if (list.length === 0) return none('no validators elected from candidates (the genesis CometBFT validators stand)');
    const names = candidateNames(await client.read('candidates'));
    printTable(
      ['rank', 'role', 'address', 'name', 'stake', 'voting power', 'consensus power', 'verified'],
      list.map((v) => [
        s(v.rank),
        s(v.role),
        s(v.address),
        names.get(s(v.address)) ?? '',
        cmt(v.totalStake),
        cmt(v.votingPower),
        s(v.consensusPower),
        v.verified === true ? 'yes' : 'no',
      ]),
    );
  });

  register(
    query,
    'delegations <address>',
    "an address's stakes: principal, value now, awards earned, candidate, whether it earns, compensation rate, unstaking (address or key name)",
  ).action(async (address: string, flags: QueryFlags) => {
    const delegator = resolveAddress(address, flags.home, 'delegator');
    const client = new NodeClient(flags.node);
    const list = await client.read('delegations', delegator);
    if (flags.output === 'json') return printJson(list);
    if (list.length === 0) return none('no delegations');
    const [candidates, unstakes] = await Promise.all([client.read('candidates'), client.read('unstakes', delegator)]);
    const byAddress = new Map(candidates.map((c) => [s(c.address), c]));
    const waiting = new Map<string, bigint>();
    for (const u of unstakes) if (s(u.id) !== '0') waiting.set(s(u.candidate), (waiting.get(s(u.candidate)) ?? 0n) + BigInt(s(u.amount)));
    printTable(
      ['candidate', 'name', 'earns', 'principal', 'value now', 'earned', 'unstaking', 'comp', 'self', 'withdrawing'],
      list.map((d) => {
        const c = byAddress.get(s(d.candidate));
        return [
          s(d.candidate),
          c === undefined ? '' : descriptionName(c.description),
          c === undefined ? '' : earns(c),
          cmt(d.principal),
          cmt(d.amount),
          cmt(d.earned),
          cmt(waiting.get(s(d.candidate)) ?? 0n),
          pct(d.compRateBp),
          d.self === true ? 'yes' : 'no',
          d.withdrawing === true ? 'yes' : 'no',
        ];
      }),
    );
    process.stdout.write(
      '\nprincipal: what was delegated and not yet unstaked (an unstake takes its share of it). value now: the stake with\n' +
        'its awards, less any slash. earned: value now − principal (negative when slashes outweigh the awards).\n' +
        'comp: the part of the awards the candidate keeps. Amounts in CMT.\n' +
        `${unstakes.length > 0 ? `unstaking: ${WAITING_NOTE} (cmtd query unstakes ${delegator})\n` : ''}`,
    );
  });

  register(query, 'unstakes <address>', "an address's waiting unstake requests (address or key name)").action((address: string, flags: QueryFlags) =>
    run(flags, 'unstakes', [resolveAddress(address, flags.home, 'delegator')], (list) => {
      if (list.length === 0) return none('no unstake requests waiting');
      printTable(
        ['id', 'candidate', 'value now', 'paid out', 'requested at'],
        list.map((u) => [s(u.id) === '0' ? '(withdrawal)' : s(u.id), s(u.candidate), cmt(u.amount), time(u.matureTime), `height ${s(u.height)}`]),
      );
      process.stdout.write(`\n${WAITING_NOTE}\n`);
    }),
  );

  register(query, 'tx <hash>', 'a transaction in a block, by its Ethereum hash (0x…) or CometBFT hash').action(async (hash: string, flags: QueryFlags) => {
    const hex = hash.trim().replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`a transaction hash is 64 hex digits (0x… for the Ethereum hash), got '${hash}'`);
    const client = new NodeClient(flags.node);
    const found = await findTx(client, hex);
    if (found === undefined) throw new Error(`no transaction ${hash} in the node's blocks (it may be pending, or the node indexes no transactions)`);
    const tx = Transaction.from(`0x${Buffer.from(found.tx, 'base64').toString('hex')}`);
    const report = txReport(BigInt(found.height), found.tx_result, tx.gasPrice ?? 0n, systemFunction(tx.to, tx.data));
    const base = {
      hash: tx.hash!,
      from: tx.from?.toLowerCase() ?? '',
      to: tx.to?.toLowerCase() ?? null,
      value: tx.value.toString(),
      nonce: String(tx.nonce),
      gasLimit: tx.gasLimit.toString(),
      gasPrice: (tx.gasPrice ?? 0n).toString(),
    };
    if (flags.output === 'json') return printJson({ ...base, ...report });
    const head = `from ${base.from} to ${base.to ?? '(contract creation)'}, value ${formatCmt(tx.value, 18)} CMT, nonce ${base.nonce}, gas price ${formatCmt(tx.gasPrice ?? 0n, 18)} CMT per gas`;
    process.stdout.write(`${[...reportLines(tx.hash!, report, tx.gasLimit), head].join('\n')}\n`);
  });

  register(query, 'params', 'the chain parameters').action((flags: QueryFlags) =>
    run(flags, 'params', [], (p) =>
      printTable(
        ['param', 'value'],
        Object.entries(p).map(([k, v]) => [k, paramText(k, v)]),
      ),
    ),
  );

  register(query, 'proposals', 'governance proposals')
    .addOption(opt('--status <status>', 'only open, passed, failed or expired ones'))
    .action(async (flags: QueryFlags) => {
      const status = flags.status;
      if (status !== undefined && !['open', 'passed', 'failed', 'expired'].includes(status)) {
        throw new Error(`--status must be open, passed, failed or expired, got '${status}'`);
      }
      const all = await new NodeClient(flags.node).read('proposals');
      const list = status === undefined ? all : all.filter((p) => p.status === status);
      if (flags.output === 'json') return printJson(list);
      if (list.length === 0) return none(status === undefined ? 'no proposals' : `no ${status} proposals`);
      printTable(
        ['id', 'status', 'kind', 'subject', 'proposer', 'tally', 'expires'],
        list.map((p) => [s(p.id), s(p.status), s(p.kind), proposalSubject(p), s(p.proposer), tallyText(p), time(p.expiresAt)]),
      );
    });

  register(query, 'proposal <id>', 'one proposal, with its votes').action((id: string, flags: QueryFlags) => {
    if (!/^[0-9]+$/.test(id)) throw new Error(`a proposal id is a whole number, got '${id}'`);
    return run(flags, 'proposal', [BigInt(id)], (p) => {
      const votes = p.votes;
      printFields([
        ['id', s(p.id)],
        ['status', s(p.status)],
        ['kind', s(p.kind)],
        ['subject', proposalSubject(p)],
        ['reason', s(p.reason)],
        ['proposer', s(p.proposer)],
        ['created', `height ${s(p.createdHeight)}, ${time(p.createdTime)}`],
        ['expires', time(p.expiresAt)],
        ['tally', tallyText(p)],
        ...(p.closedHeight === null ? [] : ([['closed', `height ${s(p.closedHeight)}, ${time(p.closedTime)}`]] as Array<[string, string]>)),
        ...(s(p.outcome) === '' ? [] : ([['outcome', humanizeChainText(s(p.outcome))]] as Array<[string, string]>)),
        ['votes', votes.length === 0 ? 'none' : votes.map((v) => `${v.voter} ${v.yes ? 'yes' : 'no'}`).join(', ')],
      ]);
    });
  });

  register(query, 'supply', 'total supply and where it is').action((flags: QueryFlags) =>
    run(flags, 'supply', [], (r) =>
      printFields([
        ['supply', `${cmt(r.supply)} CMT`],
        ['genesis', `${cmt(r.genesis)} CMT`],
        ['minted', `${cmt(r.minted)} CMT`],
        ['burned', `${cmt(r.burned)} CMT`],
        ['staked', `${cmt(r.staked)} CMT`],
        ['unstaking', `${cmt(r.unstaking)} CMT (part of staked)`],
        ['held by proposals', `${cmt(r.held_by_proposals)} CMT`],
        ['carried dust', dust(r.carried_dust)],
      ]),
    ),
  );

  register(query, 'awards [height]', "a block's awards and slashes (default: the latest block)").action(async (height: string | undefined, flags: QueryFlags) => {
    const client = new NodeClient(flags.node);
    let h = height;
    if (h === undefined) h = String(await client.call((rpc) => rpc.height()));
    else if (!/^[0-9]+$/.test(h)) throw new Error(`a height is a whole number, got '${h}'`);
    return run(flags, 'awards', [BigInt(h)], (a) => {
      printFields([
        ['height', s(a.height)],
        ['minted', `${cmt(a.minted)} CMT`],
        ['fees', `${cmt(a.fees)} CMT`],
        ['dust in / out', `${dust(a.dustIn)} / ${dust(a.dustOut)}`],
        ['absent', a.absent.join(', ') || 'none'],
      ]);
      const awards = a.awards;
      if (awards.length > 0) {
        process.stdout.write('\n');
        printTable(
          ['candidate', 'group', 'voting power', 'to delegators', 'compensation'],
          awards.map((e) => [s(e.candidate), s(e.group), cmt(e.votingPower), formatCmt(BigInt(s(e.delegatorsAward)), 12), formatCmt(BigInt(s(e.compensation)), 12)]),
        );
      }
      const slashes = a.slashes;
      if (slashes.length > 0) {
        process.stdout.write('\n');
        printTable(
          ['slashed', 'amount', 'reason'],
          slashes.map((x) => [s(x.candidate), cmt(x.amount), s(x.reason)]),
        );
      }
    });
  });
}
