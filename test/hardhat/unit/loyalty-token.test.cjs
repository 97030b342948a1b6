/** contracts/LoyaltyToken.sol on Hardhat's in-process network: minting by the merchant, redeeming. */
const assert = require('node:assert/strict');
const { ethers } = require('hardhat');
const { deploy, customError, event } = require('../lib/local.cjs');

describe('LoyaltyToken (unit)', function () {
  it('mints points for the merchant only, with no decimals, and burns redeemed points', async function () {
    const [merchant, customer] = await ethers.getSigners();
    const points = await deploy('LoyaltyToken', 'Points', 'PTS', merchant.address);
    assert.equal(await points.decimals(), 0n);
    assert.equal(await customError(points.connect(customer).mint(customer.address, 1n), points), 'OwnableUnauthorizedAccount');
    await (await points.mint(customer.address, 100n)).wait();
    const receipt = await (await points.connect(customer).redeem(30n, ethers.id('mug'))).wait();
    const r = event(points, receipt, 'Redeemed');
    assert.deepEqual([r.args.customer, r.args.amount, r.args.rewardRef], [customer.address, 30n, ethers.id('mug')]);
    assert.deepEqual([await points.balanceOf(customer.address), await points.totalSupply()], [70n, 70n]);
  });
});
