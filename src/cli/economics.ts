/** `cmtd economics`: the income formula of SPEC 5.6, the delegators' calculator. */
import { Command } from 'commander';
import { outputOption } from './options.js';
import { economics } from '../staking/index.js';
import { parseRatioBp, printJson, printTable } from './format.js';

interface Flags {
  stakeRatio: string;
  selfStakeRatio: string;
  compRate: string;
  inflation: string;
  awardShare?: string;
  stakeShare?: string;
  output: string;
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
      if ((flags.awardShare === undefined) !== (flags.stakeShare === undefined)) {
        throw new Error('--award-share and --stake-share go together');
      }
      const stakeBp = parseRatioBp(flags.stakeRatio, '--stake-ratio');
      const ssrBp = parseRatioBp(flags.selfStakeRatio, '--self-stake-ratio');
      if (stakeBp === 0) throw new Error('--stake-ratio must be above 0');
      if (ssrBp === 0) throw new Error('--self-stake-ratio must be above 0');
      const awardOverStake =
        flags.awardShare === undefined
          ? undefined
          : economics.rational(BigInt(parseRatioBp(flags.awardShare, '--award-share')), BigInt(parseRatioBp(flags.stakeShare!, '--stake-share') || 1));
      const projection = economics.incomeProjection({
        staked: BigInt(stakeBp),
        totalSupply: 10_000n,
        inflationRateBp: parseRatioBp(flags.inflation, '--inflation'),
        compRateBp: parseRatioBp(flags.compRate, '--comp-rate'),
        selfStakeRatioBp: ssrBp,
        ...(awardOverStake === undefined ? {} : { awardOverStake }),
      });
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
