/**
 * contracts/LoanRepaymentPlan.sol on Hardhat's in-process network: offers,
 * acceptance with collateral, the schedule read at chosen times (time
 * travel), late fees, early repayment, closure and default, in CMT and an
 * ERC-20, balances to the wei.
 */
const assert = require('node:assert/strict');
const { ethers, network } = require('hardhat');
const { CMT, ZERO, deploy, snapshot, now, mineAt, sendAt, reason, expectChanges, event } = require('../lib/local.cjs');
const { events } = require('../lib/helpers.cjs');

const DAY = 86_400n;
const PERIOD = 30n * DAY;
const GRACE = 5n * DAY;
const FEE = CMT / 10n;
const Status = { None: 0n, Offered: 1n, Active: 2n, Repaid: 3n, Defaulted: 4n, Cancelled: 5n };

describe('LoanRepaymentPlan (unit)', function () {
  let lender, borrower, other;
  let plan, token, collateral;
  let restore;

  before(async function () {
    [lender, borrower, other] = await ethers.getSigners();
    plan = await deploy('LoanRepaymentPlan');
    token = await deploy('MockToken');
    collateral = await deploy('MockToken');
    for (const who of [lender, borrower, other]) {
      for (const t of [token, collateral]) {
        await (await t.mint(who.address, 1_000n * CMT)).wait();
        await (await t.connect(who).approve(plan.target, ethers.MaxUint256)).wait();
      }
    }
  });
  beforeEach(async function () {
    restore = await snapshot();
  });
  afterEach(async function () {
    await restore();
  });

  /** 10 CMT lent, repaid in 3 × 4 CMT every 30 days, 5 days' grace, 0.1 CMT late fee, 5 collateral tokens. */
  function terms(overrides = {}) {
    return {
      borrower: borrower.address,
      token: ZERO,
      principal: 10n * CMT,
      instalment: 4n * CMT,
      count: 3,
      period: PERIOD,
      gracePeriod: GRACE,
      lateFee: FEE,
      collateralToken: collateral.target,
      collateralAmount: 5n * CMT,
      ...overrides,
    };
  }

  /** Offers and accepts a loan; returns its id and start time. */
  async function activeLoan(overrides = {}) {
    const t = terms(overrides);
    const value = t.token === ZERO ? t.principal : 0n;
    const offered = await (await plan.connect(lender).offerLoan(t, { value })).wait();
    const id = event(plan, offered, 'LoanOffered').args.id;
    const collateralValue = t.collateralToken === ZERO ? t.collateralAmount : 0n;
    const accepted = await (await plan.connect(borrower).acceptLoan(id, { value: collateralValue })).wait();
    return { id, start: event(plan, accepted, 'LoanStarted').args.start };
  }

  const repay = (id, amount, from = borrower, token_ = ZERO) => plan.connect(from).repay(id, amount, { value: token_ === ZERO ? amount : 0n });

  it('funds, starts, is repaid in three instalments on time and closes, returning the collateral', async function () {
    const t = terms();
    const offered = await expectChanges(
      ZERO,
      lender,
      new Map([
        [lender, -10n * CMT],
        [plan.target, 10n * CMT],
      ]),
      () => plan.connect(lender).offerLoan(t, { value: t.principal }),
    );
    const o = event(plan, offered, 'LoanOffered');
    assert.deepEqual([o.args.id, o.args.lender, o.args.borrower, o.args.terms.principal, o.args.terms.count], [1n, lender.address, borrower.address, 10n * CMT, 3n]);
    assert.equal((await plan.loan(1n)).status, Status.Offered);
    assert.equal((await plan.position(1n)).outstanding, 0n, 'nothing is outstanding before acceptance');
    await expectChanges(
      collateral.target,
      borrower,
      new Map([
        [borrower, -5n * CMT],
        [plan.target, 5n * CMT],
      ]),
      () => plan.connect(borrower).acceptLoan(1n),
    );
    const start = (await plan.loan(1n)).start;
    assert.equal(start, await now());
    let p = await plan.position(1n);
    assert.deepEqual(
      [p.status, p.instalmentsDue, p.instalmentsPaid, p.nextDueTime, p.dueNow, p.overdue, p.outstanding, p.feesOwed, p.inDefault],
      [Status.Active, 0n, 0n, start + PERIOD, 0n, 0n, 12n * CMT, 0n, false],
    );
    assert.equal(await plan.outstanding(1n), 12n * CMT);

    for (let i = 1n; i <= 3n; i++) {
      await mineAt(start + i * PERIOD - 1n);
      p = await plan.position(1n);
      assert.equal(p.dueNow, 0n, `instalment ${i} not yet due`);
      // Paid exactly at its due time: due, not late.
      const receipt = await sendAt(start + i * PERIOD, () => repay(1n, 4n * CMT));
      const r = event(plan, receipt, 'Repaid');
      assert.deepEqual([r.args.payer, r.args.amount, r.args.toFees, r.args.totalPaid], [borrower.address, 4n * CMT, 0n, i * 4n * CMT]);
      assert.equal(events(plan, receipt, 'LateFeeCharged').length, 0);
      if (i < 3n) assert.equal((await plan.position(1n)).nextDueTime, start + (i + 1n) * PERIOD);
      else assert.equal(event(plan, receipt, 'LoanClosed').args.collateralReturned, 5n * CMT);
    }
    assert.equal((await plan.loan(1n)).status, Status.Repaid);
    assert.equal(await collateral.balanceOf(plan.target), 0n);
    assert.equal(await ethers.provider.getBalance(plan.target), 0n);
  });

  it('shows what is due and overdue, charges each late instalment one fee, fees paid first', async function () {
    const { id, start } = await activeLoan();
    await mineAt(start + PERIOD);
    let p = await plan.position(id);
    assert.deepEqual([p.instalmentsDue, p.dueNow, p.overdue, p.feesOwed], [1n, 4n * CMT, 0n, 0n]);
    await mineAt(start + 2n * PERIOD + 1n);
    p = await plan.position(id);
    // Two instalments late: 8 CMT + two fees, all overdue.
    assert.deepEqual([p.instalmentsDue, p.dueNow, p.overdue, p.feesOwed, p.outstanding], [2n, 8n * CMT + 2n * FEE, 8n * CMT + 2n * FEE, 2n * FEE, 12n * CMT + 2n * FEE]);
    // A payment smaller than the fees goes to the fees only.
    const small = await expectChanges(
      ZERO,
      borrower,
      new Map([
        [borrower, -FEE],
        [lender, FEE],
      ]),
      () => repay(id, FEE),
    );
    const charged = event(plan, small, 'LateFeeCharged');
    assert.deepEqual([charged.args.instalments, charged.args.fee], [2n, 2n * FEE]);
    assert.deepEqual([...event(plan, small, 'Repaid').args].slice(2), [FEE, FEE, 0n]);
    // The rest of the fees, then the first instalment; the same instalments are not charged again.
    const more = await (await repay(id, FEE + 4n * CMT)).wait();
    assert.equal(events(plan, more, 'LateFeeCharged').length, 0);
    assert.deepEqual([...event(plan, more, 'Repaid').args].slice(2), [FEE + 4n * CMT, FEE, 4n * CMT]);
    p = await plan.position(id);
    assert.deepEqual([p.instalmentsPaid, p.feesOwed, p.overdue, p.outstanding], [1n, 0n, 4n * CMT, 8n * CMT]);
    // Instalment 3 falls late too: one more fee.
    await mineAt(start + 3n * PERIOD + 1n);
    assert.equal((await plan.position(id)).feesOwed, FEE);
    const last = await expectChanges(
      ZERO,
      borrower,
      new Map([
        [borrower, -(8n * CMT + FEE)],
        [lender, 8n * CMT + FEE],
      ]),
      () => repay(id, 8n * CMT + FEE),
    );
    assert.deepEqual([...event(plan, last, 'LateFeeCharged').args].slice(1), [1n, FEE]);
    assert.ok(events(plan, last, 'LoanClosed').length === 1);
    // Past the end of the schedule the due count stops at the instalment count.
    const again = await activeLoan();
    await mineAt(again.start + 10n * PERIOD);
    p = await plan.position(again.id);
    assert.deepEqual([p.instalmentsDue, p.feesOwed], [3n, 3n * FEE]);
  });

  it('takes early repayment: paying ahead, and everything outstanding at once', async function () {
    const { id, start } = await activeLoan({ collateralToken: ZERO, collateralAmount: 2n * CMT });
    // Paid ahead: two instalments in the first period, nothing due or overdue after it.
    await (await repay(id, 8n * CMT)).wait();
    await mineAt(start + PERIOD + 1n);
    let p = await plan.position(id);
    assert.deepEqual([p.instalmentsPaid, p.dueNow, p.overdue, p.feesOwed, p.nextDueTime], [2n, 0n, 0n, 0n, start + 3n * PERIOD]);
    // Paying ahead leaves no late fee for instalments already paid.
    await mineAt(start + 2n * PERIOD + 1n);
    assert.equal((await plan.position(id)).feesOwed, 0n);
    const closing = await expectChanges(
      ZERO,
      other,
      new Map([
        [other, -4n * CMT],
        [lender, 4n * CMT],
        [borrower, 2n * CMT],
        [plan.target, -2n * CMT],
      ]),
      () => repay(id, 4n * CMT, other),
    );
    assert.equal(event(plan, closing, 'Repaid').args.payer, other.address, 'anyone may pay');
    assert.equal(event(plan, closing, 'LoanClosed').args.collateralReturned, 2n * CMT);
    p = await plan.position(id);
    assert.deepEqual([p.status, p.outstanding], [Status.Repaid, 0n]);
  });

  it('repays in the block that starts the loan without a late fee', async function () {
    const t = terms();
    await (await plan.connect(lender).offerLoan(t, { value: t.principal })).wait();
    await network.provider.send('evm_setAutomine', [false]);
    try {
      const accept = await plan.connect(borrower).acceptLoan(1n, { gasLimit: 300_000n });
      const pay = await plan.connect(borrower).repay(1n, 12n * CMT, { value: 12n * CMT, gasLimit: 300_000n });
      await network.provider.send('evm_mine', []);
      const [a, r] = [await accept.wait(), await pay.wait()];
      assert.equal(a.blockNumber, r.blockNumber);
      assert.equal(events(plan, r, 'LateFeeCharged').length, 0);
      assert.equal(event(plan, r, 'LoanClosed').args.collateralReturned, 5n * CMT);
    } finally {
      await network.provider.send('evm_setAutomine', [true]);
    }
  });

  it('lets the lender claim the collateral once an instalment is unpaid past its grace period', async function () {
    const { id, start } = await activeLoan({ collateralToken: ZERO, collateralAmount: 6n * CMT });
    await sendAt(start + PERIOD, () => repay(id, 4n * CMT));
    assert.equal(await reason(plan.connect(lender).claimCollateral(id), plan), 'Loan: not in default');
    // Instalment 2 unpaid: in default one second after its grace period.
    await mineAt(start + 2n * PERIOD + GRACE);
    assert.equal((await plan.position(id)).inDefault, false);
    await mineAt(start + 2n * PERIOD + GRACE + 1n);
    assert.equal((await plan.position(id)).inDefault, true);
    assert.equal(await reason(plan.connect(borrower).claimCollateral(id), plan), 'Loan: only the lender can claim the collateral');
    const receipt = await expectChanges(
      ZERO,
      lender,
      new Map([
        [lender, 6n * CMT],
        [plan.target, -6n * CMT],
        [borrower, 0n],
      ]),
      () => plan.connect(lender).claimCollateral(id),
    );
    const d = event(plan, receipt, 'LoanDefaulted');
    assert.deepEqual([d.args.instalmentsPaid, d.args.collateralClaimed], [1n, 6n * CMT]);
    assert.deepEqual([...event(plan, receipt, 'LateFeeCharged').args].slice(1), [1n, FEE]);
    assert.equal((await plan.loan(id)).status, Status.Defaulted);
    assert.equal(await reason(plan.connect(lender).claimCollateral(id), plan), 'Loan: not active');
    assert.equal(await reason(repay(id, 1n), plan), 'Loan: not active');
  });

  it('lends and is repaid in an ERC-20, and a loan without collateral defaults with nothing to claim', async function () {
    const t = terms({ token: token.target, collateralToken: ZERO, collateralAmount: 0n });
    await expectChanges(
      token.target,
      lender,
      new Map([
        [lender, -10n * CMT],
        [plan.target, 10n * CMT],
      ]),
      () => plan.connect(lender).offerLoan(t),
    );
    await expectChanges(
      token.target,
      borrower,
      new Map([
        [borrower, 10n * CMT],
        [plan.target, -10n * CMT],
      ]),
      () => plan.connect(borrower).acceptLoan(1n),
    );
    await expectChanges(
      token.target,
      borrower,
      new Map([
        [borrower, -4n * CMT],
        [lender, 4n * CMT],
      ]),
      () => repay(1n, 4n * CMT, borrower, token.target),
    );
    assert.equal(await reason(plan.connect(borrower).repay(1n, 1n, { value: 1n }), plan), 'Payouts: CMT sent with a token payment');
    await mineAt((await plan.loan(1n)).start + 2n * PERIOD + GRACE + 1n);
    const receipt = await expectChanges(ZERO, lender, new Map([[plan.target, 0n]]), () => plan.connect(lender).claimCollateral(1n));
    assert.equal(event(plan, receipt, 'LoanDefaulted').args.collateralClaimed, 0n);
  });

  it('lets the lender cancel an offer not yet accepted', async function () {
    const t = terms({ token: token.target });
    await (await plan.connect(lender).offerLoan(t)).wait();
    assert.equal(await reason(plan.connect(borrower).cancelOffer(1n), plan), 'Loan: only the lender can cancel');
    const receipt = await expectChanges(
      token.target,
      lender,
      new Map([
        [lender, 10n * CMT],
        [plan.target, -10n * CMT],
      ]),
      () => plan.connect(lender).cancelOffer(1n),
    );
    assert.equal(event(plan, receipt, 'LoanCancelled').args.id, 1n);
    assert.equal((await plan.loan(1n)).status, Status.Cancelled);
    assert.equal(await reason(plan.connect(lender).cancelOffer(1n), plan), 'Loan: not an open offer');
    assert.equal(await reason(plan.connect(borrower).acceptLoan(1n), plan), 'Loan: not an open offer');
  });

  it('refuses bad offers, acceptances and payments', async function () {
    const offer = (overrides, value = 10n * CMT) => plan.connect(lender).offerLoan(terms(overrides), { value });
    assert.equal(await reason(offer({ borrower: ZERO }), plan), 'Loan: borrower must be another account');
    assert.equal(await reason(offer({ borrower: lender.address }), plan), 'Loan: borrower must be another account');
    assert.equal(await reason(offer({ principal: 0n }, 0n), plan), 'Loan: principal must be positive');
    for (const empty of [{ instalment: 0n }, { count: 0 }, { period: 0n }]) assert.equal(await reason(offer(empty), plan), 'Loan: empty schedule');
    assert.equal(await reason(offer({ instalment: 3n * CMT }), plan), 'Loan: instalments repay less than the principal');
    assert.equal(await reason(offer({ collateralAmount: 0n }), plan), 'Loan: collateral token without an amount');
    assert.equal(await reason(offer({}, 9n * CMT), plan), 'Payouts: CMT sent differs from the amount');
    assert.equal(await plan.loanCount(), 0n);

    await (await offer({ collateralToken: ZERO, collateralAmount: 3n * CMT })).wait();
    assert.equal(await reason(plan.connect(other).acceptLoan(1n, { value: 3n * CMT }), plan), 'Loan: only the borrower can accept');
    assert.equal(await reason(plan.connect(borrower).acceptLoan(1n, { value: 2n * CMT }), plan), 'Payouts: CMT sent differs from the amount');
    assert.equal(await reason(repay(1n, 1n), plan), 'Loan: not active');
    await (await plan.connect(borrower).acceptLoan(1n, { value: 3n * CMT })).wait();
    assert.equal(await reason(repay(1n, 0n), plan), 'Loan: amount must be between 0 and the outstanding balance');
    assert.equal(await reason(repay(1n, 12n * CMT + 1n), plan), 'Loan: amount must be between 0 and the outstanding balance');
    assert.equal(await reason(plan.connect(borrower).repay(1n, 2n, { value: 1n }), plan), 'Payouts: CMT sent differs from the amount');
    assert.equal(await reason(plan.connect(other).claimCollateral(1n), plan), 'Loan: only the lender can claim the collateral');
    assert.equal((await plan.position(99n)).status, Status.None);
  });

  it('refuses every re-entry while it pays out', async function () {
    const party = await deploy('TestParty');
    const i = (fn, args) => plan.interface.encodeFunctionData(fn, args);
    const t = terms({ borrower: borrower.address, collateralToken: ZERO, collateralAmount: 0n });
    await (await party.forward(plan.target, i('offerLoan', [t]), { value: t.principal })).wait();
    await (await plan.connect(borrower).acceptLoan(1n)).wait();
    const calls = [i('offerLoan', [t]), i('cancelOffer', [1n]), i('acceptLoan', [1n]), i('repay', [1n, 1n]), i('claimCollateral', [1n]), i('withdraw', [ZERO])];
    await (await party.armReentry(plan.target, calls)).wait();
    await expectChanges(
      ZERO,
      borrower,
      new Map([
        [borrower, -4n * CMT],
        [party.target, 4n * CMT],
      ]),
      () => repay(1n, 4n * CMT),
    );
    assert.equal(await party.refusedReentries(), BigInt(calls.length));
  });
});
