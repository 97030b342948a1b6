/**
 * TEST ONLY: consensus rules `cmtd replay --test-alter-rule NAME@HEIGHT` can
 * change on purpose, to prove that replay reports a changed rule at exactly
 * the height it first changes the state (docs/REPLAY.md). Only the replay
 * command can install one (through `AppOptions.testRuleOverride`); a node
 * never does.
 */
import type { TestRuleOverride } from '../app/app.js';
import { AccountReader, Accounts } from '../state/accounts.js';
import { Supply } from '../state/supply.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../system/types.js';

export const TEST_RULES: Readonly<Record<string, string>> = {
  'transfer-fee-plus-one': 'from HEIGHT on, every successful plain CMT transfer (no data, to an account without code) pays 1 wei more fee',
};

/** Parses `NAME@HEIGHT` into the override the replaying app runs. */
export function parseTestRule(spec: string): TestRuleOverride & { fromHeight: bigint } {
  const m = /^([a-z0-9-]+)@([0-9]+)$/.exec(spec.trim());
  if (m === null) throw new Error(`--test-alter-rule: expected NAME@HEIGHT, got '${spec}'`);
  const [, name, heightText] = m;
  const fromHeight = BigInt(heightText!);
  if (name !== 'transfer-fee-plus-one') {
    throw new Error(
      `--test-alter-rule: unknown rule '${name}'; known: ${Object.entries(TEST_RULES)
        .map(([n, d]) => `${n} (${d})`)
        .join('; ')}`,
    );
  }
  return {
    name: spec,
    fromHeight,
    afterTx(state, tx, height) {
      if (height < fromHeight || tx.to === null || tx.data.length > 0) return;
      if (tx.to === STAKING_ADDRESS || tx.to === GOVERNANCE_ADDRESS || new AccountReader(state).get(tx.to).codeHash.length > 0) return;
      const accounts = new Accounts(state);
      if (accounts.balance(tx.sender) < 1n) return;
      accounts.debit(tx.sender, 1n);
      new Supply(state).addFees(1n);
    },
  };
}
