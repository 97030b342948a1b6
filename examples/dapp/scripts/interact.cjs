/**
 * Calls the contracts that scripts/deploy.cjs deployed, as a shop would:
 * an escrowed order (paid, shipped, confirmed), a loan (offered, accepted,
 * repaid early), an insurance pool (funded, cover sold) and loyalty points.
 * Prints each step and, last, one line "dapp summary: {...}" (JSON).
 *
 *   npx hardhat run scripts/interact.cjs --network cmtdDev
 */
const fs = require('node:fs');
const { ethers } = require('hardhat');
const { deploymentsFile } = require('./deploy.cjs');

const CMT = ethers.parseEther('1');

/**
 * Calls `fn` of `contract` as `signer` with a 20 % gas margin, and returns
 * the named event from the receipt. Gas estimates run at the latest block's
 * time; a path that depends on the time (a late fee starting to apply) can
 * need more in the next block. Unused gas is refunded.
 */
async function sendFor(contract, signer, fn, args, eventName, overrides = {}) {
  const method = contract.connect(signer).getFunction(fn);
  const gasLimit = ((await method.estimateGas(...args, overrides)) * 12n) / 10n;
  const receipt = await (await method(...args, { ...overrides, gasLimit })).wait();
  if (receipt.status !== 1) throw new Error(`${eventName}: transaction failed`);
  for (const log of receipt.logs) {
    const parsed = log.address === contract.target ? contract.interface.parseLog(log) : null;
    if (parsed?.name === eventName) return parsed.args;
  }
  throw new Error(`no ${eventName} event`);
}

async function main() {
  const file = deploymentsFile();
  if (!fs.existsSync(file)) throw new Error(`${file} not found: run scripts/deploy.cjs first`);
  const { contracts: at } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const [merchant, seller, buyer, , depositor] = await ethers.getSigners();
  const points = await ethers.getContractAt('LoyaltyToken', at.LoyaltyToken);
  const escrow = await ethers.getContractAt('Escrow', at.Escrow);
  const loans = await ethers.getContractAt('LoanRepaymentPlan', at.LoanRepaymentPlan);
  const pool = await ethers.getContractAt('InsurancePlan', at.InsurancePlan);
  const now = BigInt((await ethers.provider.getBlock('latest')).timestamp);

  // Escrow: the buyer pays 1 CMT into escrow, the seller ships, the buyer confirms: the seller is paid.
  const order = await sendFor(
    escrow,
    buyer,
    'createOrderWith',
    [
      {
        token: ethers.ZeroAddress,
        amount: CMT,
        seller: seller.address,
        arbiter: merchant.address,
        shipDeadline: now + 3_600n,
        confirmWindow: 3_600n,
        disputeWindow: 86_400n,
        orderRef: ethers.id('order-42'),
      },
    ],
    'OrderCreated',
    { value: CMT },
  );
  await sendFor(escrow, seller, 'markShipped', [order.id, 'PARCEL-42'], 'OrderShipped');
  await sendFor(escrow, buyer, 'confirmReceived', [order.id], 'OrderCompleted');
  const orderStatus = (await escrow.orders(order.id)).status;
  console.log(`escrow order ${order.id}: completed (status ${orderStatus})`);

  // Loan: the seller lends the buyer 5 CMT, repaid as 2 × 3 CMT monthly; the buyer repays early.
  const offer = await sendFor(
    loans,
    seller,
    'offerLoan',
    [
      {
        borrower: buyer.address,
        token: ethers.ZeroAddress,
        principal: 5n * CMT,
        instalment: 3n * CMT,
        count: 2,
        period: 30n * 86_400n,
        gracePeriod: 7n * 86_400n,
        lateFee: CMT / 10n,
        collateralToken: ethers.ZeroAddress,
        collateralAmount: 0n,
      },
    ],
    'LoanOffered',
    { value: 5n * CMT },
  );
  await sendFor(loans, buyer, 'acceptLoan', [offer.id], 'LoanStarted');
  const position = await loans.position(offer.id);
  console.log(`loan ${offer.id}: next instalment due at ${position.nextDueTime}, outstanding ${ethers.formatEther(position.outstanding)} CMT`);
  await sendFor(loans, buyer, 'repay', [offer.id, position.outstanding], 'LoanClosed', { value: position.outstanding });
  const loanStatus = (await loans.loan(offer.id)).status;
  console.log(`loan ${offer.id}: repaid early and closed (status ${loanStatus})`);

  // Insurance: a depositor funds the pool; the buyer covers a 2 CMT shipment for a week.
  await sendFor(pool, depositor, 'deposit', [10n * CMT], 'Deposited', { value: 10n * CMT });
  const premium = await pool.quote(2n * CMT);
  const cover = await sendFor(pool, buyer, 'buyCover', [2n * CMT, 7n * 86_400n, ethers.id('shipment-42')], 'CoverBought', { value: premium });
  console.log(`cover ${cover.id}: 2 CMT until ${cover.end} for a premium of ${ethers.formatEther(premium)} CMT; capacity left ${ethers.formatEther(await pool.capacity())} CMT`);

  // Loyalty points for the purchase.
  await sendFor(points, merchant, 'mint', [buyer.address, 100n], 'Transfer');
  const pointsBalance = await points.balanceOf(buyer.address);
  console.log(`buyer holds ${pointsBalance} points`);

  const summary = {
    orderId: order.id.toString(),
    orderStatus: orderStatus.toString(),
    loanId: offer.id.toString(),
    loanStatus: loanStatus.toString(),
    coverId: cover.id.toString(),
    premium: premium.toString(),
    points: pointsBalance.toString(),
  };
  console.log(`dapp summary: ${JSON.stringify(summary)}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
