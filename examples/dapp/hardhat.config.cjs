/**
 * A dapp on cmtd: this Hardhat project compiles the business contracts for
 * the chain's EVM version, deploys them (scripts/deploy.cjs) and calls them
 * (scripts/interact.cjs) on `cmtd dev` or a localnet. See README.md here and
 * "Build a dapp" in cmtd's README.
 *
 *   npx hardhat run scripts/deploy.cjs --network cmtdDev
 *   npx hardhat run scripts/interact.cjs --network cmtdDev
 *
 * Environment:
 *   CMTD_RPC_URL        JSON-RPC of `cmtd dev` (default http://127.0.0.1:8545)
 *   CMTD_LOCALNET_RPC   JSON-RPC of a localnet node (default http://127.0.0.1:26609, node 0 of `cmtd localnet start`)
 *   CMTD_HARDHAT_OUT    directory for cache/, artifacts/ and deployments/ (default: this folder)
 */
const fs = require('node:fs');
const path = require('node:path');
const { subtask } = require('hardhat/config');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');
require('@nomicfoundation/hardhat-ethers');

/** The EVM version the chain runs (cmtd: Cancun). Change it here only. */
const EVM_VERSION = 'cancun';
/** The chain's minimum gas price: 2 gwei. A zero-price transaction cannot run contract code. */
const GAS_PRICE = 2_000_000_000;
/** cmtd dev and `cmtd localnet` fund the well-known development accounts of this mnemonic. Never use them for real funds. */
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

// Compile with the `solc` npm package (solc-js) instead of downloading a compiler.
const SOLC_VERSION = require('solc/package.json').version;
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async ({ solcVersion }) => {
  if (solcVersion !== SOLC_VERSION) throw new Error(`only the local solc ${SOLC_VERSION} (npm package solc) is available, not ${solcVersion}`);
  const longVersion = require('solc')
    .version()
    .replace(/\.Emscripten\.clang$/, '');
  return { compilerPath: require.resolve('solc/soljson.js'), isSolcJs: true, version: solcVersion, longVersion };
});

// Inside the cmtd repository (examples/dapp) the sources are cmtd's contracts/, and Hardhat
// wants them under the project root. In your own copy they are ./contracts: copy there
// the contracts you use (with utils/Payouts.sol).
const repoRoot = path.resolve(__dirname, '..', '..');
const inCmtdRepo = fs.existsSync(path.join(repoRoot, 'contracts', 'Escrow.sol'));
const root = inCmtdRepo ? repoRoot : __dirname;
const out = process.env.CMTD_HARDHAT_OUT ?? __dirname;

/** @type {import('hardhat/config').HardhatUserConfig} */
module.exports = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: EVM_VERSION },
  },
  networks: {
    cmtdDev: {
      url: process.env.CMTD_RPC_URL ?? 'http://127.0.0.1:8545',
      chainId: 18,
      gasPrice: GAS_PRICE,
      accounts: { mnemonic: DEV_MNEMONIC, count: 10 },
    },
    localnet: {
      url: process.env.CMTD_LOCALNET_RPC ?? 'http://127.0.0.1:26609',
      chainId: 18,
      gasPrice: GAS_PRICE,
      accounts: { mnemonic: DEV_MNEMONIC, count: 10 },
    },
  },
  paths: {
    root,
    sources: path.join(root, 'contracts'),
    cache: path.join(out, 'cache'),
    artifacts: path.join(out, 'artifacts'),
  },
};
