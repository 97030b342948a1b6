/**
 * The business contracts on a real `cmtd dev` chain through ethers, with
 * periods of seconds instead of time travel (every wait polls the latest
 * block's timestamp against a deadline): a loan repaid in three
 * instalments and closed; a loan in default and its ERC-20 collateral
 * claimed; cover bought, a claim approved by 2 of 2 assessors and paid, an
 * expired cover's premium shared by the depositors; an escrow disputed and
 * resolved by the arbiter, and one whose arbiter missed the deadline. Every
 * balance is checked to the wei: each transaction is legacy-priced at the
 * chain's minimum gas price (2 gwei) and its fee is gasUsed × price (the
 * rest of its gas limit is refunded).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Contract, ContractFactory, JsonRpcProvider, Wallet, id as hashText, type ContractTransactionResponse, type Log, type TransactionReceipt } from 'ethers';
import { devAccounts } from '../../src/localnet/network.js';
import { loadContract } from '../support/contracts.js';
import { startDev, type DevChain } from '../support/hardhat.js';

const CMT = 10n ** 18n;
const GAS_PRICE = 2n * 10n ** 9n;
// A gas limit instead of an estimate: an estimate runs at the latest block's time and a
// time-dependent path (a late fee starting to apply) can need more in the next block.
const TX = { gasPrice: GAS_PRICE, gasLimit: 1_000_000n, type: 0 };
const ZERO = '0x0000000000000000000000000000000000000000';

describe('business contracts on cmtd dev', { timeout: 600_000 }, () => {
  let dev: DevChain;
  let provider: JsonRpcProvider;
  let wallets: Wallet[];

  before(async () => {
    dev = await startDev(['--accounts', '10', '--block-time', '500ms']);
    // No request cache: ethers shares identical requests for 250 ms, so a nonce read right after a
    // quickly mined transaction would come from before it (nonce too low on the next send).
    provider = new JsonRpcProvider(dev.rpcUrl, 18, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 200 });
    // Account 0 operates the validator (its balance takes block awards): it is not used.
    wallets = devAccounts(10)
      .slice(1)
      .map((a) => new Wallet(a.privateKey, provider));
  });
  after(async () => {
    provider?.destroy();
    if (dev !== undefined) assert.equal(await dev.stop(), 0, dev.output());
  });

  async function deploy(name: string, from: Wallet, args: unknown[] = []): Promise<Contract> {
    const artifact = loadContract(name);
    const contract = await new ContractFactory(artifact.abi, artifact.bytecode, from).deploy(...args, { gasPrice: GAS_PRICE, type: 0 });
    const receipt = await contract.deploymentTransaction()!.wait();
    assert.equal(receipt?.status, 1);
    return contract as Contract;
  }

  /** Waits for a transaction's receipt; checks success and the legacy price. */
  async function mined(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
    const receipt = await (await tx).wait(1, 60_000);
    assert.equal(receipt?.status, 1);
    assert.equal(receipt!.gasPrice, GAS_PRICE);
    return receipt!;
  }

  const fee = (r: TransactionReceipt): bigint => r.gasUsed * r.gasPrice;

  /** Balances in CMT (token undefined) or an ERC-20. */
  async function balancesOf(addresses: string[], token?: Contract): Promise<bigint[]> {
    return Promise.all(addresses.map((a) => (token === undefined ? provider.getBalance(a) : (token.getFunction('balanceOf')(a) as Promise<bigint>))));
  }

  /**
   * Sends one transaction from `sender` and checks that each address's
   * balance changed by exactly the amount given (the sender's CMT fee added).
   */
  async function expectChanges(sender: Wallet, changes: Array<[string, bigint]>, send: () => Promise<ContractTransactionResponse>, token?: Contract): Promise<TransactionReceipt> {
    const addresses = changes.map(([a]) => a);
    const before = await balancesOf(addresses, token);
    const receipt = await mined(send());
    const after = await balancesOf(addresses, token);
    changes.forEach(([address, change], i) => {
      const gas = token === undefined && address === sender.address ? fee(receipt) : 0n;
      assert.equal(after[i]! - before[i]!, change - gas, `balance change of ${address}`);
    });
    return receipt;
  }

  /** The named event `contract` emitted in `receipt`, decoded. */
  function event(contract: Contract, receipt: TransactionReceipt, name: string): Record<string, unknown> & unknown[] {
    const target = String(contract.target).toLowerCase();
    const found = receipt.logs
      .filter((log: Log) => log.address.toLowerCase() === target)
      .map((log: Log) => contract.interface.parseLog(log))
      .filter((p) => p !== null && p.name === name);
    assert.equal(found.length, 1, `one ${name} event`);
    return found[0]!.args as unknown as Record<string, unknown> & unknown[];
  }

  async function latestTime(): Promise<bigint> {
    return BigInt((await provider.getBlock('latest'))!.timestamp);
  }

  /** Polls until the latest block is later than `time` (unix seconds). */
  async function waitForBlockTimeAfter(time: bigint, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await latestTime()) <= time) {
      if (Date.now() > deadline) throw new Error(`no block later than ${time} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const call = <T>(contract: Contract, fn: string, ...args: unknown[]): Promise<T> => contract.getFunction(fn)(...args) as Promise<T>;
  const send =
    (contract: Contract, from: Wallet, fn: string, ...args: unknown[]) =>
    (): Promise<ContractTransactionResponse> =>
      (contract.connect(from) as Contract).getFunction(fn)(...args) as Promise<ContractTransactionResponse>;

  it('repays a CMT loan in three instalments on its schedule, then closes it and returns the collateral', async () => {
    const [lender, borrower] = wallets as [Wallet, Wallet];
    const plan = await deploy('LoanRepaymentPlan', lender);
    const points = await deploy('LoyaltyToken', lender, ['Points', 'PTS', lender.address]);
    await mined(send(points, lender, 'mint', borrower.address, 300n, TX)());
    await mined(send(points, borrower, 'approve', plan.target, 300n, TX)());
    const period = 3n;
    const terms = {
      borrower: borrower.address,
      token: ZERO,
      principal: 10n * CMT,
      instalment: 4n * CMT,
      count: 3,
      period,
      gracePeriod: 600n,
      lateFee: 0n,
      collateralToken: points.target,
      collateralAmount: 300n,
    };
    const planAddress = String(plan.target);
    await expectChanges(
      lender,
      [
        [lender.address, -10n * CMT],
        [planAddress, 10n * CMT],
      ],
      send(plan, lender, 'offerLoan', terms, { ...TX, value: 10n * CMT }),
    );
    const accepted = await expectChanges(
      borrower,
      [
        [borrower.address, 10n * CMT],
        [planAddress, -10n * CMT],
      ],
      send(plan, borrower, 'acceptLoan', 1n, TX),
    );
    const start = event(plan, accepted, 'LoanStarted')['start'] as bigint;
    assert.deepEqual(await balancesOf([borrower.address, planAddress], points), [0n, 300n]);

    for (let i = 1n; i <= 3n; i++) {
      await waitForBlockTimeAfter(start + i * period - 1n);
      const position = await call<{ instalmentsDue: bigint; dueNow: bigint }>(plan, 'position', 1n);
      assert.ok(position.instalmentsDue >= i, `instalment ${i} is due`);
      assert.ok(position.dueNow >= 4n * CMT);
      const receipt = await expectChanges(
        borrower,
        [
          [borrower.address, -4n * CMT],
          [lender.address, 4n * CMT],
          [planAddress, 0n],
        ],
        send(plan, borrower, 'repay', 1n, 4n * CMT, { ...TX, value: 4n * CMT }),
      );
      assert.equal(event(plan, receipt, 'Repaid')['totalPaid'], i * 4n * CMT);
      if (i === 3n) assert.equal(event(plan, receipt, 'LoanClosed')['collateralReturned'], 300n);
    }
    assert.equal((await call<{ status: bigint }>(plan, 'loan', 1n)).status, 3n, 'Repaid');
    assert.deepEqual(await balancesOf([borrower.address, planAddress], points), [300n, 0n]);
    assert.equal(await provider.getBalance(planAddress), 0n);
  });

  it('lets the lender claim the ERC-20 collateral of a loan in default after its grace period', async () => {
    const [lender, borrower] = wallets.slice(2) as [Wallet, Wallet];
    const plan = await deploy('LoanRepaymentPlan', lender);
    const points = await deploy('LoyaltyToken', lender, ['Points', 'PTS', lender.address]);
    await mined(send(points, lender, 'mint', borrower.address, 500n, TX)());
    await mined(send(points, borrower, 'approve', plan.target, 500n, TX)());
    const terms = {
      borrower: borrower.address,
      token: ZERO,
      principal: 5n * CMT,
      instalment: 3n * CMT,
      count: 2,
      period: 2n,
      gracePeriod: 2n,
      lateFee: CMT / 2n,
      collateralToken: points.target,
      collateralAmount: 500n,
    };
    const planAddress = String(plan.target);
    await mined(send(plan, lender, 'offerLoan', terms, { ...TX, value: 5n * CMT })());
    const accepted = await expectChanges(
      borrower,
      [
        [borrower.address, 5n * CMT],
        [planAddress, -5n * CMT],
      ],
      send(plan, borrower, 'acceptLoan', 1n, TX),
    );
    const start = event(plan, accepted, 'LoanStarted')['start'] as bigint;
    assert.equal((await call<{ inDefault: boolean }>(plan, 'position', 1n)).inDefault, false);
    // Instalment 1 is due at start + 2 and in default after start + 2 + 2.
    await waitForBlockTimeAfter(start + 4n);
    const position = await call<{ inDefault: boolean; overdue: bigint }>(plan, 'position', 1n);
    assert.equal(position.inDefault, true);
    assert.ok(position.overdue >= 3n * CMT + CMT / 2n, 'the first instalment and its late fee are overdue');
    const receipt = await expectChanges(
      lender,
      [
        [lender.address, 500n],
        [planAddress, -500n],
        [borrower.address, 0n],
      ],
      send(plan, lender, 'claimCollateral', 1n, TX),
      points,
    );
    const defaulted = event(plan, receipt, 'LoanDefaulted');
    assert.equal(defaulted['instalmentsPaid'], 0n);
    assert.equal(defaulted['collateralClaimed'], 500n);
    assert.equal(await provider.getBalance(planAddress), 0n);
    assert.equal((await call<{ status: bigint }>(plan, 'loan', 1n)).status, 4n, 'Defaulted');
  });

  it('sells cover, pays a claim approved by 2 of 2 assessors, and shares an expired premium pro rata', async () => {
    const [admin, assessor1, assessor2, alice, bob, holder] = wallets.slice(3, 9) as [Wallet, Wallet, Wallet, Wallet, Wallet, Wallet];
    // CMT pool, solvency ratio 50 %, premium 2 %, one hour to approve a claim, covers up to one hour.
    const pool = await deploy('InsurancePlan', admin, [ZERO, admin.address, [assessor1.address, assessor2.address], 5_000n, 200n, 3_600n, 3_600n]);
    const poolAddress = String(pool.target);
    await mined(send(pool, admin, 'setApprovalsRequired', 2, TX)());
    await expectChanges(
      alice,
      [
        [alice.address, -6n * CMT],
        [poolAddress, 6n * CMT],
      ],
      send(pool, alice, 'deposit', 6n * CMT, { ...TX, value: 6n * CMT }),
    );
    await expectChanges(
      bob,
      [
        [bob.address, -4n * CMT],
        [poolAddress, 4n * CMT],
      ],
      send(pool, bob, 'deposit', 4n * CMT, { ...TX, value: 4n * CMT }),
    );
    assert.equal(await call(pool, 'capacity'), 5n * CMT);

    // Cover 1: 3 CMT for an hour, premium 0.06 CMT; a claim of 2 CMT, paid on the second approval.
    const premium1 = (6n * CMT) / 100n;
    assert.equal(await call(pool, 'quote', 3n * CMT), premium1);
    await expectChanges(
      holder,
      [
        [holder.address, -premium1],
        [poolAddress, premium1],
      ],
      send(pool, holder, 'buyCover', 3n * CMT, 3_600n, hashText('order-1'), { ...TX, value: premium1 }),
    );
    await mined(send(pool, holder, 'fileClaim', 1n, 2n * CMT, 'parcel lost', TX)());
    const first = await expectChanges(
      assessor1,
      [
        [holder.address, 0n],
        [poolAddress, 0n],
      ],
      send(pool, assessor1, 'approveClaim', 1n, TX),
    );
    assert.equal(event(pool, first, 'ClaimApproved')['approvals'], 1n);
    const paid = await expectChanges(
      assessor2,
      [
        [holder.address, 2n * CMT],
        [poolAddress, -2n * CMT],
      ],
      send(pool, assessor2, 'approveClaim', 1n, TX),
    );
    assert.equal(event(pool, paid, 'ClaimPaid')['amount'], 2n * CMT);

    // Cover 2: 1 CMT for 3 seconds, premium 0.02 CMT, no claim: it expires and the pool earns it.
    const premium2 = (2n * CMT) / 100n;
    const bought = await mined(send(pool, holder, 'buyCover', CMT, 3n, hashText('order-2'), { ...TX, value: premium2 })());
    const end = event(pool, bought, 'CoverBought')['end'] as bigint;
    await waitForBlockTimeAfter(end);
    const expired = await expectChanges(admin, [[poolAddress, 0n]], send(pool, admin, 'expireCover', 2n, TX));
    assert.equal(event(pool, expired, 'CoverExpired')['premiumToPool'], premium2);

    // Pool funds: 10 + 0.06 − 2 + 0.02 = 8.08 CMT for 10 shares: 6/10 to alice, 4/10 to bob.
    assert.equal(await call(pool, 'poolFunds'), (808n * CMT) / 100n);
    await expectChanges(
      alice,
      [
        [alice.address, (4_848n * CMT) / 1_000n],
        [poolAddress, (-4_848n * CMT) / 1_000n],
      ],
      send(pool, alice, 'redeem', 6n * CMT, TX),
    );
    await expectChanges(
      bob,
      [
        [bob.address, (3_232n * CMT) / 1_000n],
        [poolAddress, (-3_232n * CMT) / 1_000n],
      ],
      send(pool, bob, 'redeem', 4n * CMT, TX),
    );
    assert.equal(await provider.getBalance(poolAddress), 0n);
  });

  it('resolves a disputed escrow by the arbiter, and settles one the arbiter left past its deadline', async () => {
    const [buyer, seller, arbiter] = wallets.slice(0, 3) as [Wallet, Wallet, Wallet];
    const escrow = await deploy('Escrow', buyer);
    const escrowAddress = String(escrow.target);
    const terms = async (amount: bigint, disputeWindow: bigint) => ({
      token: ZERO,
      amount,
      seller: seller.address,
      arbiter: arbiter.address,
      shipDeadline: (await latestTime()) + 600n,
      confirmWindow: 600n,
      disputeWindow,
      orderRef: hashText(`order-${amount}`),
    });
    await expectChanges(
      buyer,
      [
        [buyer.address, -5n * CMT],
        [escrowAddress, 5n * CMT],
      ],
      send(escrow, buyer, 'createOrderWith', await terms(5n * CMT, 600n), { ...TX, value: 5n * CMT }),
    );
    await mined(send(escrow, seller, 'markShipped', 1n, 'PARCEL-1', TX)());
    const disputed = await mined(send(escrow, buyer, 'dispute', 1n, 'arrived broken', TX)());
    assert.equal(event(escrow, disputed, 'OrderDisputed')['reason'], 'arrived broken');
    const resolved = await expectChanges(
      arbiter,
      [
        [buyer.address, 2n * CMT],
        [seller.address, 3n * CMT],
        [escrowAddress, -5n * CMT],
        [arbiter.address, 0n],
      ],
      send(escrow, arbiter, 'resolve', 1n, 2n * CMT, TX),
    );
    const r = event(escrow, resolved, 'DisputeResolved');
    assert.deepEqual([r['toBuyer'], r['toSeller']], [2n * CMT, 3n * CMT]);

    // A 3-second dispute window the arbiter lets pass, opened before shipment: the buyer gets the refund.
    await mined(send(escrow, buyer, 'createOrderWith', await terms(CMT, 3n), { ...TX, value: CMT })());
    const opened = await mined(send(escrow, seller, 'dispute', 2n, 'cannot deliver', TX)());
    await waitForBlockTimeAfter(event(escrow, opened, 'OrderDisputed')['disputeDeadline'] as bigint);
    const settled = await expectChanges(
      seller,
      [
        [buyer.address, CMT],
        [escrowAddress, -CMT],
      ],
      send(escrow, seller, 'settleExpiredDispute', 2n, TX),
    );
    assert.deepEqual([event(escrow, settled, 'DisputeExpired')['toBuyer'], event(escrow, settled, 'DisputeExpired')['toSeller']], [CMT, 0n]);
    assert.equal(await provider.getBalance(escrowAddress), 0n);
  });
});
