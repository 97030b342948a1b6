/**
 * The chain's modules as the node runs them: accounts and supply now; the
 * staking and governance ledgers plug in here.
 */
import type { ChainModules } from './modules.js';
import { writeBaseGenesis } from './modules.js';

export function createModules(): ChainModules {
  return {
    initGenesis(state, genesis) {
      if (genesis.candidates.length > 0 || genesis.delegations.length > 0) {
        throw new Error('genesis candidates and delegations need the staking ledger');
      }
      writeBaseGenesis(state, genesis);
      return [];
    },
    beginBlock() {},
    endBlock() {
      return [];
    },
    resolveSystem() {
      return undefined;
    },
    query() {
      return undefined;
    },
  };
}
