/**
 * contracts/LoyaltyToken.sol (OpenZeppelin ERC-20) on a cmtd chain, deployed
 * and driven with Hardhat's ethers plugin over the node's JSON-RPC gateway.
 */
const assert = require('node:assert/strict');
const { ethers } = require('hardhat');
const { signers, mined, events, expectRevert } = require('../lib/helpers.cjs');

describe('LoyaltyToken', function () {
  let merchant, alice, bob;
  let token;

  before(async function () {
    const all = await signers(5);
    [merchant, alice, bob] = [all[3], all[4], all[0]];
  });

  it('deploys the loyalty token with the merchant as owner', async function () {
    const factory = await ethers.getContractFactory('LoyaltyToken', merchant);
    token = await factory.deploy('Coffee Points', 'BEAN', merchant.address);
    await token.waitForDeployment();
    const receipt = await token.deploymentTransaction().wait();
    assert.equal(receipt.status, 1);
    assert.equal(await token.name(), 'Coffee Points');
    assert.equal(await token.symbol(), 'BEAN');
    assert.equal(await token.decimals(), 0n);
    assert.equal(await token.owner(), merchant.address);
    assert.equal(await token.totalSupply(), 0n);
    const [ownership] = events(token, receipt, 'OwnershipTransferred');
    assert.equal(ownership.args.newOwner, merchant.address);
  });

  it('mints points to customers with Transfer events', async function () {
    const receipt = await mined(token.mint(alice.address, 500n));
    const [transfer] = events(token, receipt, 'Transfer');
    assert.equal(transfer.args.from, ethers.ZeroAddress);
    assert.equal(transfer.args.to, alice.address);
    assert.equal(transfer.args.value, 500n);
    await mined(token.mint(bob.address, 20n));
    assert.equal(await token.balanceOf(alice.address), 500n);
    assert.equal(await token.totalSupply(), 520n);
    // The Transfer logs are found again through eth_getLogs.
    const logs = await token.queryFilter(token.filters.Transfer(null, alice.address), receipt.blockNumber, receipt.blockNumber);
    assert.equal(logs.length, 1);
    assert.equal(logs[0].transactionHash, receipt.hash);
  });

  it('transfers points between customers and through an allowance', async function () {
    await mined(token.connect(alice).transfer(bob.address, 120n));
    assert.equal(await token.balanceOf(alice.address), 380n);
    assert.equal(await token.balanceOf(bob.address), 140n);
    const approved = await mined(token.connect(bob).approve(alice.address, 40n));
    assert.equal(events(token, approved, 'Approval')[0].args.value, 40n);
    await mined(token.connect(alice).transferFrom(bob.address, alice.address, 40n));
    assert.equal(await token.allowance(bob.address, alice.address), 0n);
    assert.equal(await token.balanceOf(alice.address), 420n);
  });

  it('redeems points with a Redeemed event', async function () {
    const rewardRef = ethers.id('free coffee');
    const receipt = await mined(token.connect(alice).redeem(100n, rewardRef));
    const [redeemed] = events(token, receipt, 'Redeemed');
    assert.equal(redeemed.args.customer, alice.address);
    assert.equal(redeemed.args.amount, 100n);
    assert.equal(redeemed.args.rewardRef, rewardRef);
    const [burn] = events(token, receipt, 'Transfer');
    assert.equal(burn.args.to, ethers.ZeroAddress);
    assert.equal(await token.balanceOf(alice.address), 320n);
    assert.equal(await token.totalSupply(), 420n);
  });

  it('reverts with the custom errors of OpenZeppelin', async function () {
    const notOwner = await expectRevert(token.connect(alice).mint(alice.address, 1n), token);
    assert.equal(notOwner.name, 'OwnableUnauthorizedAccount');
    assert.equal(notOwner.args[0], alice.address);
    const tooMuch = await expectRevert(token.connect(alice).transfer(bob.address, 10_000n), token);
    assert.equal(tooMuch.name, 'ERC20InsufficientBalance');
    assert.deepEqual(tooMuch.args, [alice.address, 320n, 10_000n]);
    const redeemTooMuch = await expectRevert(token.connect(bob).redeem.staticCall(1_000n, ethers.ZeroHash), token);
    assert.equal(redeemTooMuch.name, 'ERC20InsufficientBalance');
    assert.equal(await token.totalSupply(), 420n, 'nothing changed');
  });
});
