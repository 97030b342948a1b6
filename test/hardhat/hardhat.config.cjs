/**
 * Hardhat project over the repository's contracts (contracts/ and its subfolders), with a
 * network `cmtd`: a cmtd node's Ethereum JSON-RPC gateway.
 *
 *   CMTD_RPC_URL=http://127.0.0.1:8545 CMTD_PRIVATE_KEYS=0x…,0x… \
 *   HARDHAT_DISABLE_TELEMETRY_PROMPT=true CI=true \
 *     npx hardhat test --network cmtd --config test/hardhat/hardhat.config.cjs
 *
 * The unit tests (test/hardhat/unit/) run on Hardhat's in-process network
 * through hardhat.unit.config.cjs, which extends this one.
 *
 * Environment:
 *   CMTD_RPC_URL        the gateway (default http://127.0.0.1:8545)
 *   CMTD_PRIVATE_KEYS   comma-separated funded private keys (the tests need 5); unset: the node's
 *                       own accounts (eth_accounts: `cmtd dev`'s development accounts, no key here)
 *   CMTD_HARDHAT_OUT    directory for Hardhat's cache and artifacts (default: cache/ and artifacts/ here)
 *   CMTD_HARDHAT_REPORT write Mocha's JSON report to this file instead of the spec output
 *
 * Nothing is downloaded: the compiler is the `solc` npm package of this
 * repository (solc-js), the same one test/support/contracts.ts uses, with the same
 * settings (optimizer 200 runs, EVM version cancun).
 */
const path = require('node:path');
const { subtask } = require('hardhat/config');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');
require('@nomicfoundation/hardhat-ethers');
require('solidity-coverage');

const ROOT = path.resolve(__dirname, '..', '..');
/** The chain's EVM version (SPEC 9: Cancun), for compiling and for the in-process network. */
const EVM_VERSION = 'cancun';
const SOLC_VERSION = require('solc/package.json').version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async ({ solcVersion }) => {
  if (solcVersion !== SOLC_VERSION) {
    throw new Error(`only the local solc ${SOLC_VERSION} (node_modules/solc) is available, not ${solcVersion}`);
  }
  // "0.8.37+commit.f401782d.Emscripten.clang" → "0.8.37+commit.f401782d"
  const longVersion = require('solc')
    .version()
    .replace(/\.Emscripten\.clang$/, '');
  return { compilerPath: require.resolve('solc/soljson.js'), isSolcJs: true, version: solcVersion, longVersion };
});

const keys = (process.env.CMTD_PRIVATE_KEYS ?? '')
  .split(',')
  .map((k) => k.trim())
  .filter((k) => k !== '');
const out = process.env.CMTD_HARDHAT_OUT;
const report = process.env.CMTD_HARDHAT_REPORT;

/** @type {import('hardhat/config').HardhatUserConfig} */
module.exports = {
  defaultNetwork: 'cmtd',
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: EVM_VERSION },
  },
  networks: {
    // In-process network of the unit tests: the chain's fork, its chain id, 2 gwei gas.
    hardhat: { hardfork: EVM_VERSION, chainId: 18, initialBaseFeePerGas: 2_000_000_000 },
    cmtd: {
      url: process.env.CMTD_RPC_URL ?? 'http://127.0.0.1:8545',
      chainId: 18,
      accounts: keys.length > 0 ? keys : 'remote',
      timeout: 60_000,
    },
  },
  paths: {
    root: ROOT,
    sources: path.join(ROOT, 'contracts'),
    tests: path.join(__dirname, 'test'),
    cache: out === undefined ? path.join(__dirname, 'cache') : path.join(out, 'cache'),
    artifacts: out === undefined ? path.join(__dirname, 'artifacts') : path.join(out, 'artifacts'),
  },
  mocha: {
    timeout: 120_000,
    ...(report === undefined ? {} : { reporter: 'json', reporterOptions: { output: report } }),
  },
};
