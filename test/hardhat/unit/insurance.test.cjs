/**
 * contracts/InsurancePlan.sol on Hardhat's in-process network: deposits and
 * shares, the solvency rule, cover sold against premiums, claims approved by
 * m of n assessors within the window (time travel), expiry sharing premiums
 * with depositors pro rata, roles; CMT and ERC-20 pools, balances to the wei.
 */
const assert = require('node:assert/strict');
const { ethers } = require('hardhat');
const { CMT, ZERO, deploy, snapshot, now, mineAt, reason, customError, expectChanges, event } = require('../lib/local.cjs');
const { events } = require('../lib/helpers.cjs');

const DAY = 86_400n;
const Status = { None: 0n, Active: 1n, Claimed: 2n, Paid: 3n, Expired: 4n };

describe('InsurancePlan (unit)', function () {
  let admin, a1, a2, a3, alice, bob, holder;
  let pool, token, tokenPool;
  let restore;

  before(async function () {
    [admin, a1, a2, a3, alice, bob, holder] = await ethers.getSigners();
    // CMT pool: 50 % solvency ratio, 2 % premium, 2 days to approve a claim, covers up to 30 days.
    pool = await deploy('InsurancePlan', ZERO, admin.address, [a1.address, a2.address, a3.address], 5_000n, 200n, 2n * DAY, 30n * DAY);
    token = await deploy('MockToken');
    tokenPool = await deploy('InsurancePlan', token.target, admin.address, [a1.address], 10_000n, 100n, DAY, 10n * DAY);
    for (const who of [alice, bob, holder]) {
      await (await token.mint(who.address, 1_000n * CMT)).wait();
      await (await token.connect(who).approve(tokenPool.target, ethers.MaxUint256)).wait();
    }
  });
  beforeEach(async function () {
    restore = await snapshot();
  });
  afterEach(async function () {
    await restore();
  });

  const deposit = (who, amount) => pool.connect(who).deposit(amount, { value: amount });
  const buy = (amount, period = 10n * DAY, who = holder) => pool.connect(who).buyCover(amount, period, ethers.id('order-1'), { value: (amount * 200n + 9_999n) / 10_000n });

  it('sets its parameters and refuses bad ones', async function () {
    assert.deepEqual(
      [await pool.token(), await pool.solvencyRatioBps(), await pool.premiumBps(), await pool.claimWindow(), await pool.maxCoverPeriod(), await pool.approvalsRequired()],
      [ZERO, 5_000n, 200n, 2n * DAY, 30n * DAY, 1n],
    );
    assert.equal(await pool.hasRole(await pool.DEFAULT_ADMIN_ROLE(), admin.address), true);
    assert.equal(await pool.getRoleMemberCount(await pool.ASSESSOR_ROLE()), 3n);
    const factory = await ethers.getContractFactory('InsurancePlan');
    const make = (ratio, assessors, premium, window, period) => factory.deploy(ZERO, admin.address, assessors, ratio, premium, window, period);
    const one = [a1.address];
    for (const ratio of [0n, 10_001n]) assert.equal(await reason(make(ratio, one, 1n, 1n, 1n), pool), 'Insurance: solvency ratio must be 1 to 10000 bps');
    assert.equal(await reason(make(1n, [], 1n, 1n, 1n), pool), 'Insurance: at least one assessor');
    for (const [w, p] of [
      [0n, 1n],
      [1n, 0n],
    ])
      assert.equal(await reason(make(1n, one, 1n, w, p), pool), 'Insurance: windows must be positive');
    for (const premium of [0n, 10_001n]) assert.equal(await reason(make(1n, one, premium, 1n, 1n), pool), 'Insurance: premium must be 1 to 10000 bps');
  });

  it('issues shares for deposits and pays them back; the solvency rule limits cover and withdrawals', async function () {
    const d = await expectChanges(
      ZERO,
      alice,
      new Map([
        [alice, -6n * CMT],
        [pool.target, 6n * CMT],
      ]),
      () => deposit(alice, 6n * CMT),
    );
    assert.deepEqual([...event(pool, d, 'Deposited').args], [alice.address, 6n * CMT, 6n * CMT]);
    await (await deposit(bob, 4n * CMT)).wait();
    assert.deepEqual([await pool.poolFunds(), await pool.totalShares(), await pool.sharesOf(bob.address)], [10n * CMT, 10n * CMT, 4n * CMT]);
    // 50 % of 10 CMT: 5 CMT of cover can be sold.
    assert.equal(await pool.capacity(), 5n * CMT);
    assert.equal(await reason(buy(5n * CMT + 1n), pool), "Insurance: cover exceeds the pool's capacity");
    const bought = await expectChanges(
      ZERO,
      holder,
      new Map([
        [holder, -CMT / 10n],
        [pool.target, CMT / 10n],
      ]),
      () => buy(5n * CMT),
    );
    const c = event(pool, bought, 'CoverBought');
    const t = await now();
    assert.deepEqual(
      [c.args.id, c.args.holder, c.args.amount, c.args.premium, c.args.start, c.args.end, c.args.ref],
      [1n, holder.address, 5n * CMT, CMT / 10n, t, t + 10n * DAY, ethers.id('order-1')],
    );
    assert.deepEqual([await pool.activeCover(), await pool.heldPremiums(), await pool.capacity()], [5n * CMT, CMT / 10n, 0n]);
    // Any withdrawal now breaks the rule: 5 CMT of cover needs 10 CMT of funds.
    assert.equal(await reason(pool.connect(alice).redeem(1n), pool), 'Insurance: withdrawal would break the solvency rule');
    // More funds, more capacity: a withdrawal that keeps the rule passes.
    await (await deposit(alice, 2n * CMT)).wait();
    const r = await expectChanges(
      ZERO,
      alice,
      new Map([
        [alice, 2n * CMT],
        [pool.target, -2n * CMT],
      ]),
      () => pool.connect(alice).redeem(2n * CMT),
    );
    assert.deepEqual([...event(pool, r, 'Redeemed').args], [alice.address, 2n * CMT, 2n * CMT]);
    for (const shares of [0n, 6n * CMT + 1n]) assert.equal(await reason(pool.connect(alice).redeem(shares), pool), "Insurance: shares must be between 0 and the caller's");
    assert.equal(await reason(pool.connect(alice).deposit(0n), pool), 'Insurance: amount must be positive');
    assert.equal(await reason(pool.connect(alice).deposit(2n, { value: 1n }), pool), 'Payouts: CMT sent differs from the amount');
  });

  it('sells cover for a period only, at the quoted premium', async function () {
    await (await deposit(alice, 10n * CMT)).wait();
    assert.equal(await pool.quote(101n), 3n, 'the premium is rounded up');
    assert.equal(await reason(buy(0n), pool), 'Insurance: amount must be positive');
    for (const period of [0n, 30n * DAY + 1n]) assert.equal(await reason(buy(CMT, period), pool), 'Insurance: period must be between 0 and maxCoverPeriod');
    assert.equal(await reason(pool.connect(holder).buyCover(CMT, DAY, ethers.ZeroHash, { value: 1n }), pool), 'Payouts: CMT sent differs from the amount');
    await (await buy(CMT, 30n * DAY)).wait();
    assert.equal(await pool.coverCount(), 1n);
  });

  it('pays a claim approved by m of n assessors within the window; depositors bear it pro rata', async function () {
    await (await deposit(alice, 6n * CMT)).wait();
    await (await deposit(bob, 4n * CMT)).wait();
    await (await pool.connect(admin).setApprovalsRequired(2)).wait();
    await (await buy(5n * CMT)).wait();
    assert.equal(await reason(pool.connect(alice).fileClaim(1n, CMT, 'x'), pool), 'Insurance: only the holder can claim');
    for (const amount of [0n, 5n * CMT + 1n])
      assert.equal(await reason(pool.connect(holder).fileClaim(1n, amount, 'x'), pool), 'Insurance: claim must be between 0 and the cover amount');
    assert.equal(await reason(pool.connect(a1).approveClaim(1n), pool), 'Insurance: no pending claim');
    const filed = await (await pool.connect(holder).fileClaim(1n, 3n * CMT, 'parcel lost')).wait();
    const f = event(pool, filed, 'ClaimFiled');
    assert.deepEqual([f.args.amount, f.args.deadline, f.args.evidence], [3n * CMT, (await now()) + 2n * DAY, 'parcel lost']);
    assert.equal(await reason(pool.connect(holder).fileClaim(1n, CMT, 'again'), pool), 'Insurance: cover is not active');
    assert.equal(await customError(pool.connect(alice).approveClaim(1n), pool), 'AccessControlUnauthorizedAccount');
    const first = await expectChanges(
      ZERO,
      a1,
      new Map([
        [holder, 0n],
        [pool.target, 0n],
      ]),
      () => pool.connect(a1).approveClaim(1n),
    );
    assert.deepEqual([...event(pool, first, 'ClaimApproved').args], [1n, a1.address, 1n]);
    assert.equal(events(pool, first, 'ClaimPaid').length, 0, 'one approval of two pays nothing');
    assert.equal(await reason(pool.connect(a1).approveClaim(1n), pool), 'Insurance: already approved');
    const paid = await expectChanges(
      ZERO,
      a2,
      new Map([
        [holder, 3n * CMT],
        [pool.target, -3n * CMT],
      ]),
      () => pool.connect(a2).approveClaim(1n),
    );
    assert.deepEqual([...event(pool, paid, 'ClaimPaid').args], [1n, holder.address, 3n * CMT]);
    assert.equal((await pool.covers(1n)).status, Status.Paid);
    // The pool earned the premium (0.1) and paid 3: 7.1 CMT for 10 shares.
    assert.deepEqual([await pool.poolFunds(), await pool.activeCover(), await pool.heldPremiums()], [(71n * CMT) / 10n, 0n, 0n]);
    assert.equal(await pool.previewRedeem(6n * CMT), (426n * CMT) / 100n);
    await expectChanges(ZERO, bob, new Map([[bob, (284n * CMT) / 100n]]), () => pool.connect(bob).redeem(4n * CMT));
    assert.equal(await reason(pool.connect(a3).approveClaim(1n), pool), 'Insurance: no pending claim');
  });

  it('refuses approvals after the window and from the holder; a lapsed claim expires with its cover', async function () {
    await (await deposit(alice, 10n * CMT)).wait();
    await (await buy(2n * CMT, 10n * DAY)).wait();
    await (await pool.connect(holder).fileClaim(1n, CMT, 'late')).wait();
    const { end, claimDeadline, premium } = await pool.covers(1n);
    await (await pool.connect(admin).grantRole(await pool.ASSESSOR_ROLE(), holder.address)).wait();
    assert.equal(await reason(pool.connect(holder).approveClaim(1n), pool), 'Insurance: an assessor cannot approve a claim of their own');
    await mineAt(claimDeadline + 1n);
    assert.equal(await reason(pool.connect(a1).approveClaim(1n), pool), 'Insurance: claim window has passed');
    assert.equal(await reason(pool.expireCover(1n), pool), 'Insurance: cover has not ended');
    await mineAt(end + 1n);
    const expired = await expectChanges(ZERO, bob, new Map([[pool.target, 0n]]), () => pool.connect(bob).expireCover(1n));
    assert.equal(event(pool, expired, 'ClaimLapsed').args.id, 1n);
    assert.equal(event(pool, expired, 'CoverExpired').args.premiumToPool, premium);
    assert.equal(await pool.poolFunds(), 10n * CMT + premium);
    assert.equal(await reason(pool.expireCover(1n), pool), 'Insurance: cover is not running');
  });

  it('keeps a claim filed at the end of the cover open for its window', async function () {
    await (await deposit(alice, 10n * CMT)).wait();
    await (await buy(CMT, DAY)).wait();
    const { end } = await pool.covers(1n);
    await mineAt(end - 1n);
    await (await pool.connect(holder).fileClaim(1n, CMT, 'x')).wait();
    await mineAt(end + 1n);
    assert.equal(await reason(pool.connect(holder).fileClaim(1n, CMT, 'x'), pool), 'Insurance: cover is not active');
    assert.equal(await reason(pool.expireCover(1n), pool), 'Insurance: claim still open');
    await expectChanges(ZERO, a3, new Map([[holder, CMT]]), () => pool.connect(a3).approveClaim(1n));
    // A second cover: no claim filed before the end.
    await (await buy(CMT, DAY)).wait();
    await mineAt((await pool.covers(2n)).end + 1n);
    assert.equal(await reason(pool.connect(holder).fileClaim(2n, CMT, 'x'), pool), 'Insurance: cover has ended');
  });

  it("shares an expired cover's premium among the depositors pro rata (ERC-20 pool)", async function () {
    await expectChanges(
      token.target,
      alice,
      new Map([
        [alice, -600n],
        [tokenPool.target, 600n],
      ]),
      () => tokenPool.connect(alice).deposit(600n),
    );
    await (await tokenPool.connect(bob).deposit(400n)).wait();
    assert.equal(await reason(tokenPool.connect(bob).deposit(1n, { value: 1n }), tokenPool), 'Payouts: CMT sent with a token payment');
    const bought = await expectChanges(
      token.target,
      holder,
      new Map([
        [holder, -10n],
        [tokenPool.target, 10n],
      ]),
      () => tokenPool.connect(holder).buyCover(1_000n, DAY, ethers.ZeroHash),
    );
    assert.equal(event(tokenPool, bought, 'CoverBought').args.premium, 10n);
    await mineAt((await tokenPool.covers(1n)).end + 1n);
    const expired = await (await tokenPool.connect(bob).expireCover(1n)).wait();
    assert.equal(events(tokenPool, expired, 'ClaimLapsed').length, 0);
    assert.equal(event(tokenPool, expired, 'CoverExpired').args.premiumToPool, 10n);
    await expectChanges(
      token.target,
      alice,
      new Map([
        [alice, 606n],
        [tokenPool.target, -606n],
      ]),
      () => tokenPool.connect(alice).redeem(600n),
    );
    await expectChanges(
      token.target,
      bob,
      new Map([
        [bob, 404n],
        [tokenPool.target, -404n],
      ]),
      () => tokenPool.connect(bob).redeem(400n),
    );
    assert.deepEqual([await tokenPool.poolFunds(), await tokenPool.totalShares()], [0n, 0n]);
    // A later deposit into the emptied pool starts over at one share per unit.
    await (await tokenPool.connect(alice).deposit(5n)).wait();
    assert.equal(await tokenPool.sharesOf(alice.address), 5n);
  });

  it('prices deposits at the share value; a pool that lost to claims keeps its premiums', async function () {
    await (await tokenPool.connect(alice).deposit(1_000n)).wait();
    await (await tokenPool.connect(holder).buyCover(1_000n, DAY, ethers.ZeroHash)).wait();
    await mineAt((await tokenPool.covers(1n)).end + 1n);
    await (await tokenPool.expireCover(1n)).wait();
    // 1,010 units for 1,000 shares: a deposit of 1 buys no share, 101 buy 100.
    assert.equal(await reason(tokenPool.connect(bob).deposit(1n), tokenPool), 'Insurance: amount buys no share');
    await (await tokenPool.connect(bob).deposit(101n)).wait();
    assert.equal(await tokenPool.sharesOf(bob.address), 100n);
    // A claim of the whole pool (ratio 100 %) leaves only its premium.
    await (await tokenPool.connect(holder).buyCover(1_111n, DAY, ethers.ZeroHash)).wait();
    await (await tokenPool.connect(holder).fileClaim(2n, 1_111n, 'x')).wait();
    await expectChanges(
      token.target,
      a1,
      new Map([
        [holder, 1_111n],
        [tokenPool.target, -1_111n],
      ]),
      () => tokenPool.connect(a1).approveClaim(2n),
    );
    assert.deepEqual([await tokenPool.poolFunds(), await tokenPool.totalShares()], [12n, 1_100n]);
    await expectChanges(token.target, bob, new Map([[bob, 1n]]), () => tokenPool.connect(bob).redeem(100n));
  });

  it('lets the admin set the premium and m; assessors leave only while m can still be reached', async function () {
    assert.equal(await customError(pool.connect(alice).setPremium(100n), pool), 'AccessControlUnauthorizedAccount');
    assert.equal(event(pool, await (await pool.setPremium(300n)).wait(), 'PremiumChanged').args.premiumBps, 300n);
    for (const m of [0, 4]) assert.equal(await reason(pool.setApprovalsRequired(m), pool), 'Insurance: approvals must be 1 to the number of assessors');
    assert.equal(await customError(pool.connect(alice).setApprovalsRequired(1), pool), 'AccessControlUnauthorizedAccount');
    assert.equal(event(pool, await (await pool.setApprovalsRequired(3)).wait(), 'ApprovalsRequiredChanged').args.approvalsRequired, 3n);
    const ASSESSOR = await pool.ASSESSOR_ROLE();
    assert.equal(await reason(pool.revokeRole(ASSESSOR, a3.address), pool), 'Insurance: fewer assessors than approvals required');
    await (await pool.setApprovalsRequired(2)).wait();
    await (await pool.connect(a3).renounceRole(ASSESSOR, a3.address)).wait();
    assert.equal(await pool.getRoleMemberCount(ASSESSOR), 2n);
    // Other roles are not limited.
    const ADMIN = await pool.DEFAULT_ADMIN_ROLE();
    await (await pool.grantRole(ADMIN, alice.address)).wait();
    await (await pool.revokeRole(ADMIN, alice.address)).wait();
    assert.equal(await pool.hasRole(ADMIN, alice.address), false);
  });

  it('refuses every re-entry while it pays out', async function () {
    const party = await deploy('TestParty');
    const i = (fn, args) => pool.interface.encodeFunctionData(fn, args);
    await (await party.forward(pool.target, i('deposit', [2n * CMT]), { value: 2n * CMT })).wait();
    const calls = [i('deposit', [1n]), i('redeem', [1n]), i('buyCover', [1n, 1n, ethers.ZeroHash]), i('approveClaim', [1n]), i('withdraw', [ZERO])];
    await (await party.armReentry(pool.target, calls)).wait();
    await expectChanges(
      ZERO,
      alice,
      new Map([
        [party.target, 2n * CMT],
        [pool.target, -2n * CMT],
      ]),
      () => party.connect(alice).forward(pool.target, i('redeem', [2n * CMT])),
    );
    assert.equal(await party.refusedReentries(), BigInt(calls.length));
  });
});
