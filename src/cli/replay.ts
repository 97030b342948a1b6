/**
 * `cmtd replay`: re-execute a chain from genesis in a fresh state and check
 * every app hash against what the chain recorded (docs/REPLAY.md);
 * `cmtd replay --record FILE` saves a node's chain for offline replay.
 *
 * Exit status: 0 every height matched; 3 a divergence (the first divergent
 * height is reported); 1 replay could not run (bad input, unreachable node).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { stateDir } from '../node/run.js';
import { openSource, recordChain, RpcSource } from '../replay/source.js';
import { createProgress } from '../replay/progress.js';
import { replayChain, type Divergence, type ReplayReport } from '../replay/replay.js';
import { parseTestRule, TEST_RULES } from '../replay/rules.js';
import { printJson } from './format.js';
import { outputOption, parseSenderThreads, senderThreadsOption, type OutputFormat } from './options.js';

/** Exit status of a replay that found a divergence. */
export const DIVERGENCE_EXIT_CODE = 3;

interface ReplayFlags {
  from: string;
  to?: string;
  home?: string;
  record?: string;
  output: OutputFormat;
  senderThreads: string;
  testAlterRule?: string;
}

function height(text: string, flag: string): bigint {
  if (!/^[0-9]+$/.test(text.trim())) throw new Error(`${flag}: expected a block height, got '${text}'`);
  return BigInt(text.trim());
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('re-execute a chain from genesis in a fresh state and check the app hash of every block (or record it with --record)')
    .addOption(new Option('--from <url|file>', 'CometBFT RPC URL (http://host:26657) or a recording made with --record').env('CMTD_REPLAY_FROM').makeOptionMandatory())
    .addOption(new Option('--to <height>', 'last height to replay or record (default: the latest the source has)').env('CMTD_REPLAY_TO'))
    .addOption(
      // Not CMTD_HOME: a node's home must never be taken for replay's fresh state by accident.
      new Option('--home <dir>', 'keep the replayed state in <dir>/data/state.db (must be empty; default: a temporary directory, removed after)').env('CMTD_REPLAY_HOME'),
    )
    .addOption(
      new Option('--record <file>', 'record genesis and blocks of the --from RPC into <file> (JSON lines; gzip if it ends in .gz) instead of replaying').env('CMTD_REPLAY_RECORD'),
    )
    .addOption(outputOption())
    .addOption(senderThreadsOption())
    .addOption(
      // Deliberately without an environment variable: it must never be switched on by a forgotten setting.
      new Option(
        '--test-alter-rule <name@height>',
        `TEST ONLY: change a consensus rule from <height> on, to check that replay reports the divergence (${Object.keys(TEST_RULES).join(', ')})`,
      ),
    )
    .addHelpText(
      'after',
      `\nExit status: 0 every height matched, ${DIVERGENCE_EXIT_CODE} divergence found, 1 error.\n` +
        `Test only: --test-alter-rule NAME@HEIGHT alters a rule in the replaying app (${Object.entries(TEST_RULES)
          .map(([n, d]) => `${n}: ${d}`)
          .join('; ')}).\n` +
        'See docs/REPLAY.md.',
    )
    .action(async (flags: ReplayFlags) => {
      const to = flags.to === undefined ? undefined : height(flags.to, '--to');
      const senderThreads = parseSenderThreads(flags.senderThreads);
      if (flags.record !== undefined) {
        if (!/^https?:\/\//i.test(flags.from)) throw new Error('--record needs --from to be a CometBFT RPC URL');
        if (flags.testAlterRule !== undefined) throw new Error('--test-alter-rule makes no sense with --record');
        await record(flags.from, flags.record, to, flags.output);
        return;
      }
      const testRule = flags.testAlterRule === undefined ? undefined : parseTestRule(flags.testAlterRule);
      if (testRule !== undefined) process.stderr.write(`cmtd replay: TEST ONLY: rule altered (${testRule.name}); the replayed state is not the protocol's\n`);
      const source = await openSource(flags.from);
      const tempHome = flags.home === undefined ? mkdtempSync(join(tmpdir(), 'cmtd-replay-')) : undefined;
      const home = resolve(flags.home ?? tempHome!);
      const progress = createProgress('replay');
      let report: ReplayReport;
      try {
        mkdirSync(join(home, 'data'), { recursive: true });
        report = await replayChain({
          source,
          stateDir: stateDir(home),
          ...(to === undefined ? {} : { to }),
          ...(testRule === undefined ? {} : { testRule }),
          senderThreads,
          onHeight: (h, first, last) => progress.update(h, first, last),
        });
      } finally {
        progress.done();
        await source.close();
        if (tempHome !== undefined) rmSync(tempHome, { recursive: true, force: true });
      }
      if (flags.output === 'json') printJson(reportJson(report, flags.home === undefined ? undefined : home));
      else process.stdout.write(reportText(report, flags.home === undefined ? undefined : home));
      if (report.divergence !== undefined) process.exitCode = DIVERGENCE_EXIT_CODE;
    });
}

async function record(from: string, file: string, to: bigint | undefined, output: OutputFormat): Promise<void> {
  const progress = createProgress('record');
  let result;
  try {
    result = await recordChain(new RpcSource(from), file, { ...(to === undefined ? {} : { to }), onHeight: (h, first, last) => progress.update(h, first, last) });
  } finally {
    progress.done();
  }
  if (output === 'json') printJson({ file, first_height: result.first, last_height: result.last, blocks: result.blocks });
  else process.stdout.write(`recorded heights ${result.first}..${result.last} (${result.blocks} blocks) of ${from} into ${file}\n`);
}

function divergenceAt(d: Divergence, first: bigint): string {
  return d.height === first - 1n ? `genesis (InitChain, before height ${first})` : `height ${d.height}`;
}

export function reportText(r: ReplayReport, home: string | undefined): string {
  const lines: string[] = [];
  const d = r.divergence;
  if (d === undefined) {
    lines.push(`replayed heights ${r.first}..${r.last} of chain ${r.chainId} from ${r.source}: every block matches (${r.matched} heights)`);
    if (r.unverified.length > 0) lines.push(`  app hash not checked at height(s) ${r.unverified.join(', ')}: the source has neither the next header nor block_results.app_hash`);
  } else {
    lines.push(`DIVERGENCE at ${divergenceAt(d, r.first)} of chain ${r.chainId} (replayed from ${r.source})`);
    if (d.appHash !== undefined) {
      lines.push(`  app hash  expected ${d.appHash.expected}  (${d.appHash.from})`);
      lines.push(`            got      ${d.appHash.got}`);
    }
    if (d.txCount !== undefined) lines.push(`  transaction results: expected ${d.txCount.expected}, got ${d.txCount.got}`);
    for (const t of d.txs) lines.push(`  tx ${t.index} (${t.hash}): ${t.field} expected ${t.expected || '(empty)'}, got ${t.got || '(empty)'}`);
    if (d.validatorUpdates !== undefined) {
      lines.push(`  validator updates expected [${d.validatorUpdates.expected.join(', ')}]`);
      lines.push(`                    got      [${d.validatorUpdates.got.join(', ')}]`);
    }
    if (d.appHash === undefined && d.txs.length === 0 && d.txCount === undefined && d.validatorUpdates === undefined) lines.push('  (no detail)');
    lines.push(d.height > r.first ? `heights ${r.first}..${d.height - 1n} matched` : 'no height matched before it');
  }
  if (home !== undefined) lines.push(`replayed state kept in ${stateDir(home)}`);
  return `${lines.join('\n')}\n`;
}

export function reportJson(r: ReplayReport, home: string | undefined): unknown {
  return {
    status: r.divergence === undefined ? 'ok' : 'diverged',
    chain_id: r.chainId,
    source: r.source,
    first_height: r.first,
    last_height: r.last,
    matched: r.matched,
    unverified: r.unverified,
    ...(r.divergence === undefined
      ? {}
      : {
          divergence: {
            height: r.divergence.height,
            genesis: r.divergence.height === r.first - 1n,
            ...(r.divergence.appHash === undefined ? {} : { app_hash: r.divergence.appHash }),
            ...(r.divergence.txCount === undefined ? {} : { tx_count: r.divergence.txCount }),
            txs: r.divergence.txs,
            ...(r.divergence.validatorUpdates === undefined ? {} : { validator_updates: r.divergence.validatorUpdates }),
          },
        }),
    ...(home === undefined ? {} : { state_dir: stateDir(home) }),
  };
}
