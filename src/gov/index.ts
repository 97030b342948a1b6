/** On-chain governance (SPEC section 8). See docs/GOVERNANCE.md. */
export { GovernanceLedger, decide, type Decision, type PowerTable, type ProposeResult } from './ledger.js';
export { GovernanceContract, GOVERNANCE_GAS } from './contract.js';
export { GOVERNANCE_ABI, governanceInterface } from './abi.js';
export { GovEvents } from './events.js';
export { STATE_KEY as GOV_STATE_KEY, proposalKey } from './codec.js';
export * from './types.js';
export { GovQueries, tallyAt } from './queries.js';
