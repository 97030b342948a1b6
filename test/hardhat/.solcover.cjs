/**
 * solidity-coverage settings for `npm run coverage:contracts`: reports
 * (json-summary, text) go to <CMTD_HARDHAT_OUT or test/hardhat>/coverage;
 * test doubles and interfaces are not measured.
 */
const path = require('node:path');

module.exports = {
  istanbulFolder: path.join(process.env.CMTD_HARDHAT_OUT ?? __dirname, 'coverage'),
  istanbulReporter: ['json-summary', 'text'],
  skipFiles: ['mocks', 'IStaking.sol', 'IGovernance.sol'],
  // Instrumented code without the optimizer runs out of stack in the larger functions.
  configureYulOptimizer: true,
};
