/** `cmtd economics`: the income formula of SPEC 5.6, the delegators' calculator. */
import type { Command } from 'commander';
import { outputOption } from './options.js';
import { economics } from '../staking/index.js';
import { parseRatioBp, printJson, printTable } from './format.js';
import { MAX_INFLATION_RATE_BP } from '../state/params.js';

interface Flags {
  stakeRatio: string;
  selfStakeRatio: string;
  compRate: string;
  inflation: string;
  awardShare?: string;
  stakeShare?: string;
  output: string;
}

/** A flag value outside what the formula means: exit status 2 (usage), not 1. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A ratio flag in basis points, within [min, max] bp. */
function ratioFlag(raw: string, flag: string, min: number, max: number, what: string): number {
  let bp: number;
  try {
    bp = parseRatioBp(raw, flag);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (bp < min || bp > max) throw new UsageError(`${flag} must be ${what}, got '${raw}'`);
  return bp;
}

/** The formula's inputs from the flags; every one is range-checked (issue 9.7). */
function projectionInput(flags: Flags): Parameters<typeof economics.incomeProjection>[0] {
  if ((flags.awardShare === undefined) !== (flags.stakeShare === undefined)) {
    throw new UsageError('--award-share and --stake-share go together');
  }
  const stakeBp = ratioFlag(flags.stakeRatio, '--stake-ratio', 1, 10_000, 'above 0 and at most 100%');
  const ssrBp = ratioFlag(flags.selfStakeRatio, '--self-stake-ratio', 1, 10_000, 'above 0 and at most 100%');
  const compBp = ratioFlag(flags.compRate, '--comp-rate', 0, 9_999, 'from 0 to below 100%');
  const inflationBp = ratioFlag(flags.inflation, '--inflation', 0, MAX_INFLATION_RATE_BP, `from 0 to ${MAX_INFLATION_RATE_BP / 100}% (the ceiling of SPEC 3)`);
  const share =
    flags.awardShare === undefined
      ? undefined
      : economics.rational(
          BigInt(ratioFlag(flags.awardShare, '--award-share', 0, 10_000, 'from 0 to 100%')),
          BigInt(ratioFlag(flags.stakeShare!, '--stake-share', 1, 10_000, 'above 0 and at most 100%')),
        );
  return {
    staked: BigInt(stakeBp),
    totalSupply: 10_000n,
    inflationRateBp: inflationBp,
    compRateBp: compBp,
    selfStakeRatioBp: ssrBp,
    ...(share === undefined ? {} : { awardOverStake: share }),
  };
}

export function registerEconomics(program: Command): void {
  program
    .command('economics')
    .description('yearly income per staked CMT for a validator and its delegators (SPEC 5.6 formula)')
    .requiredOption('--stake-ratio <r>', 'S / total supply, e.g. 0.25 or 25%')
    .requiredOption('--self-stake-ratio <r>', "the validator's self-stake / its total stake (SSR), e.g. 10%")
    .requiredOption('--comp-rate <r>', 'compensation rate C the validator keeps from delegators, e.g. 20%')
    .option('--inflation <r>', 'yearly inflation I', '8%')
    .option('--award-share <r>', "R_r: the validator group's share of the award (with --stake-share)")
    .option('--stake-share <r>', "R_s: the validator group's share of the stake (with --award-share)")
    .addOption(outputOption())
    .action((flags: Flags) => {
      const projection = economics.incomeProjection(projectionInput(flags));
      const percent = (r: economics.Rational): string => economics.toDecimal(economics.mul(r, economics.rational(100n)), 2);
      if (flags.output === 'json') {
        printJson({
          validator_income_per_cmt: economics.toDecimal(projection.validator, 6),
          delegator_income_per_cmt: economics.toDecimal(projection.delegator, 6),
        });
        return;
      }
      printTable(
        ['role', 'yearly income per staked CMT', 'per 100 CMT'],
        [
          ['validator (on its self-stake)', `${percent(projection.validator)}%`, percent(projection.validator)],
          ['delegator', `${percent(projection.delegator)}%`, percent(projection.delegator)],
        ],
      );
    });
}
