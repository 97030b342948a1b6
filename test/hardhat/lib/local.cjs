/**
 * Helpers of the unit tests on Hardhat's in-process network: deployment,
 * time travel, revert reasons and balances to the wei (gas included).
 */
const assert = require('node:assert/strict');
const { ethers, network } = require('hardhat');
const { expectRevert, events } = require('./helpers.cjs');

const CMT = 10n ** 18n;
const ZERO = ethers.ZeroAddress;

async function deploy(name, ...args) {
  const contract = await (await ethers.getContractFactory(name)).deploy(...args);
  await contract.waitForDeployment();
  return contract;
}

/** Snapshots the chain; the returned function restores it (use in beforeEach/afterEach). */
async function snapshot() {
  const id = await network.provider.send('evm_snapshot', []);
  return () => network.provider.send('evm_revert', [id]);
}

/** The timestamp of the latest block. */
async function now() {
  return BigInt((await ethers.provider.getBlock('latest')).timestamp);
}

/** The next block gets timestamp `t` (unix seconds). */
async function nextBlockAt(t) {
  await network.provider.send('evm_setNextBlockTimestamp', [Number(t)]);
}

/** Mines an empty block at timestamp `t`. */
async function mineAt(t) {
  await nextBlockAt(t);
  await network.provider.send('evm_mine', []);
}

/** Runs `send` (returning a transaction promise) with the next block at time `t`; returns the receipt. */
async function sendAt(t, send) {
  await nextBlockAt(t);
  return (await send()).wait();
}

/** The Error(string) reason `promise` reverts with. */
async function reason(promise, contract) {
  return (await expectRevert(promise, contract)).reason;
}

/** The custom error name `promise` reverts with. */
async function customError(promise, contract) {
  return (await expectRevert(promise, contract)).name;
}

/** Balances of `accounts` in `token` (ZERO for CMT). */
async function balances(token, accounts) {
  return Promise.all(
    accounts.map(async (a) => {
      const address = typeof a === 'string' ? a : await a.getAddress();
      return token === ZERO ? ethers.provider.getBalance(address) : (await ethers.getContractAt('MockToken', token)).balanceOf(address);
    }),
  );
}

/**
 * Sends a transaction and checks each account's balance change in `token`
 * to the wei: `changes` maps account → expected change, excluding the gas the
 * sender pays in CMT (added here from the receipt).
 */
async function expectChanges(token, sender, changes, send) {
  const accounts = [...changes.keys()];
  const before = await balances(token, accounts);
  const receipt = await (await send()).wait();
  assert.equal(receipt.status, 1);
  const after = await balances(token, accounts);
  const senderAddress = await sender.getAddress();
  accounts.forEach((a, i) => {
    const address = typeof a === 'string' ? a : (a.address ?? a.target);
    const gas = token === ZERO && address === senderAddress ? receipt.fee : 0n;
    assert.equal(after[i] - before[i], changes.get(a) - gas, `balance change of ${address}`);
  });
  return receipt;
}

/** The one `name` event `contract` emitted in `receipt`, decoded. */
function event(contract, receipt, name) {
  const found = events(contract, receipt, name);
  assert.equal(found.length, 1, `one ${name} event`);
  return found[0];
}

module.exports = { CMT, ZERO, deploy, snapshot, now, nextBlockAt, mineAt, sendAt, reason, customError, balances, expectChanges, event };
