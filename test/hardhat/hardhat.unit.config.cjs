/**
 * The contracts' unit tests (test/hardhat/unit/) on Hardhat's in-process
 * network, with time travel; the same project as hardhat.config.cjs (local
 * solc, EVM version, output directories) with other tests and network.
 *
 *   npm run test:contracts       # hardhat test
 *   npm run coverage:contracts   # the same tests under solidity-coverage
 */
const path = require('node:path');
const base = require('./hardhat.config.cjs');

module.exports = {
  ...base,
  defaultNetwork: 'hardhat',
  paths: { ...base.paths, tests: path.join(__dirname, 'unit') },
};
