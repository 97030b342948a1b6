/**
 * The chain's modules as the node runs them: accounts and supply, the DPoS
 * staking ledger (system contract 0x…1000) and governance (0x…1001), and
 * their typed read API (query-routes.ts maps the ABCI query paths onto it).
 */
import { GovernanceContract, GovernanceLedger, GovQueries } from '../gov/index.js';
import { StakingContract, StakingLedger, StakingQueries } from '../staking/index.js';
import { readSupply, totalSupply } from '../state/supply.js';
import { AccountReader } from '../state/accounts.js';
import { loadParams } from '../state/params.js';
import type { KVReader } from '../store/kv.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../system/types.js';
import { writeBaseGenesis, type ChainModules, type ChainReads } from './modules.js';

/** The typed read API over a state that is only read (committed state at a version). */
export function chainReads(state: KVReader): ChainReads {
  const staking = new StakingQueries(state);
  const gov = new GovQueries(state, staking);
  return {
    staking,
    gov,
    account(address) {
      const record = new AccountReader(state).get(address);
      return { address, balance: record.balance, nonce: record.nonce };
    },
    params: () => loadParams(state),
    supply() {
      const supply = readSupply(state);
      const totals = staking.stakingTotals();
      return {
        supply: totalSupply(supply),
        genesis: supply.genesis,
        minted: supply.minted,
        burned: supply.burned,
        carried_dust: supply.dust,
        staked: totals.bonded,
        unstaking: totals.waiting,
        held_by_proposals: gov.heldTotal(),
      };
    },
  };
}

export function createModules(): ChainModules {
  return {
    initGenesis(state, genesis, cometValidators, chainId) {
      writeBaseGenesis(state, genesis);
      const staking = new StakingLedger(state);
      // A state restarted from an export keeps the chain id it was born with (its
      // exact records carry it), so the export's state root stays exact.
      if (staking.chainId() === undefined) staking.setChainId(chainId);
      return staking.initGenesis({ candidates: genesis.candidates, delegations: genesis.delegations, enterpriseAccounts: genesis.enterpriseAccounts }, cometValidators);
    },
    beginBlock(state, block, votes, evidence) {
      new StakingLedger(state).beginBlock(block, votes, evidence);
    },
    endBlock(state, block) {
      const staking = new StakingLedger(state);
      const updates = staking.endBlock(block);
      // After staking, so tallies weigh votes with this block's new powers.
      new GovernanceLedger(state, staking).endBlock(block);
      return updates;
    },
    resolveSystem(address, kv) {
      if (address === STAKING_ADDRESS) return StakingContract.over(kv);
      if (address === GOVERNANCE_ADDRESS) return GovernanceContract.over(kv, new StakingLedger(kv));
      return undefined;
    },
    reads: chainReads,
  };
}
