/** The staking ledger's public surface. */
export * from './types.js';
export { StakingLedger, checkDescription, MAX_DESCRIPTION_BYTES, type OpContext, type StakingDeps } from './ledger.js';
export { StakingQueries, type StakingReadDeps, type ValidatorPower } from './queries.js';
export { StakingContract, STAKING_GAS, STAKING_INTERFACE } from './contract.js';
export { StakingEvents } from './events.js';
export { STAKING_ABI } from './abi.js';
export { genesisStake, canonicalJson } from './genesis.js';
export * as economics from './economics.js';
export { cometAddress, MAX_TOTAL_VOTING_POWER } from './power.js';
export { candidacyMessage, signCandidacy, verifyCandidacySignature, parsePrivValidatorKey } from './pop.js';
export { SELF_POOL, SHARE_SCALE, AWARD_HISTORY } from './store.js';
