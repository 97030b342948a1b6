/**
 * Deploys the business contracts and writes their addresses to
 * deployments/<network>.json (in CMTD_HARDHAT_OUT if set).
 *
 *   npx hardhat run scripts/deploy.cjs --network cmtdDev
 */
const fs = require('node:fs');
const path = require('node:path');
const { ethers, network } = require('hardhat');

/** Where deployments/<network>.json lives. */
function deploymentsFile() {
  const dir = path.join(process.env.CMTD_HARDHAT_OUT ?? path.resolve(__dirname, '..'), 'deployments');
  return path.join(dir, `${network.name}.json`);
}

async function main() {
  const [deployer, , , assessor] = await ethers.getSigners();
  const plan = [
    // A loyalty-points ERC-20 owned by the deployer (the merchant); the other contracts take any ERC-20 or CMT.
    ['LoyaltyToken', ['Shop Points', 'PTS', deployer.address]],
    ['Escrow', []],
    ['LoanRepaymentPlan', []],
    // A CMT pool (token address(0)): admin the deployer, one assessor, solvency ratio 50 %,
    // premium 2 %, one hour to approve a claim, covers of up to 30 days.
    ['InsurancePlan', [ethers.ZeroAddress, deployer.address, [assessor.address], 5_000, 200, 3_600, 30 * 86_400]],
  ];
  const addresses = {};
  for (const [name, args] of plan) {
    const contract = await ethers.deployContract(name, args, deployer);
    await contract.waitForDeployment();
    addresses[name] = await contract.getAddress();
    console.log(`${name} deployed at ${addresses[name]}`);
  }
  const file = deploymentsFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { chainId } = await ethers.provider.getNetwork();
  fs.writeFileSync(file, `${JSON.stringify({ network: network.name, chainId: Number(chainId), contracts: addresses }, null, 2)}\n`);
  console.log(`addresses written to ${file}`);
}

module.exports = { deploymentsFile };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
