/**
 * The chain's modules as the node runs them: accounts and supply, the DPoS
 * staking ledger (system contract 0x…1000) and governance (0x…1001), and the
 * ABCI query paths they answer.
 */
import { GovernanceContract, GovernanceLedger } from '../gov/index.js';
import { StakingContract, StakingLedger } from '../staking/index.js';
import { readSupply, totalSupply } from '../state/supply.js';
import { isAddress, toAddress, type Address } from '../state/accounts.js';
import { loadParams, paramsToJson } from '../state/params.js';
import type { KVReader } from '../store/kv.js';
import { GOVERNANCE_ADDRESS, STAKING_ADDRESS } from '../system/types.js';
import { QueryCode } from './query-codes.js';
import { QueryError, writeBaseGenesis, type ChainModules } from './modules.js';

function addressParam(raw: string): Address {
  if (!isAddress(raw)) throw new QueryError(QueryCode.BadRequest, `'${raw}' is not an address: expected 0x and 40 hex digits`);
  return toAddress(raw);
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new QueryError(QueryCode.NotFound, `${what} not found`);
  return value;
}

/**
 * The ledgers over a read-only view: queries construct them over committed
 * state and only call their read methods.
 */
function readOnly(state: KVReader): { staking: StakingLedger; gov: GovernanceLedger } {
  const kv = { get: (key: string) => state.get(key), set: refuse, delete: refuse };
  const staking = new StakingLedger(kv);
  return { staking, gov: new GovernanceLedger(kv, staking) };
}

function refuse(): never {
  throw new Error('a query tried to write state');
}

const ROUTES: Array<[RegExp, (state: KVReader, match: RegExpExecArray) => unknown]> = [
  [/^\/candidates$/, (s) => readOnly(s).staking.candidates()],
  [/^\/candidate\/([^/]+)$/, (s, m) => found(readOnly(s).staking.candidate(addressParam(m[1]!)), `candidate ${m[1]}`)],
  [/^\/validators$/, (s) => readOnly(s).staking.validators()],
  [/^\/delegations\/([^/]+)$/, (s, m) => readOnly(s).staking.delegations(addressParam(m[1]!))],
  [/^\/unstakes\/([^/]+)$/, (s, m) => readOnly(s).staking.unstakes(addressParam(m[1]!))],
  [/^\/params$/, (s) => paramsToJson(loadParams(s))],
  [/^\/chain_id$/, (s) => ({ chain_id: found(readOnly(s).staking.chainId(), 'chain id') })],
  [/^\/proposals$/, (s) => readOnly(s).gov.proposals()],
  [
    /^\/proposal\/([^/]+)$/,
    (s, m) => {
      if (!/^[0-9]+$/.test(m[1]!)) throw new QueryError(QueryCode.BadRequest, `'${m[1]}' is not a proposal id`);
      return found(readOnly(s).gov.proposal(BigInt(m[1]!)), `proposal ${m[1]}`);
    },
  ],
  [
    /^\/supply$/,
    (s) => {
      const supply = readSupply(s);
      const { staking, gov } = readOnly(s);
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
  ],
  [
    /^\/awards\/([^/]+)$/,
    (s, m) => {
      if (!/^[0-9]+$/.test(m[1]!)) throw new QueryError(QueryCode.BadRequest, `'${m[1]}' is not a height`);
      return found(readOnly(s).staking.awards(BigInt(m[1]!)), `awards of height ${m[1]} (only recent heights are kept, and a block that minted, collected, paid and slashed nothing has none)`);
    },
  ],
];

export function createModules(): ChainModules {
  return {
    initGenesis(state, genesis, cometValidators, chainId) {
      writeBaseGenesis(state, genesis);
      const staking = new StakingLedger(state);
      // A state restarted from an export keeps the chain id it was born with (its
      // exact records carry it), so the export's state root stays exact.
      if (staking.chainId() === undefined) staking.setChainId(chainId);
      return staking.initGenesis(
        { candidates: genesis.candidates, delegations: genesis.delegations, enterpriseAccounts: genesis.enterpriseAccounts },
        cometValidators,
      );
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
      if (address === STAKING_ADDRESS) return new StakingContract(kv);
      if (address === GOVERNANCE_ADDRESS) return GovernanceContract.over(kv, new StakingLedger(kv));
      return undefined;
    },
    query(state, path) {
      for (const [pattern, answer] of ROUTES) {
        const match = pattern.exec(path);
        if (match !== null) return answer(state, match);
      }
      return undefined;
    },
  };
}
