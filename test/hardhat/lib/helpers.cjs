/**
 * Shared helpers of the Hardhat tests: signers, revert reasons, events and
 * waiting on the chain's clock (no Hardhat-network time travel on a real chain).
 */
const assert = require('node:assert/strict');
const { ethers, network } = require('hardhat');

/** The funded signers of the `cmtd` network, at least `count` of them. */
async function signers(count) {
  const all = await ethers.getSigners();
  assert.ok(all.length >= count, `the tests need ${count} funded accounts in CMTD_PRIVATE_KEYS, got ${all.length}`);
  return all.slice(0, count);
}

/** Sends a transaction (a contract method call promise) and waits for a successful receipt. */
async function mined(txPromise) {
  const tx = await txPromise;
  const receipt = await tx.wait();
  assert.equal(receipt.status, 1);
  return receipt;
}

/** The named events a contract emitted in a receipt, decoded. */
function events(contract, receipt, name) {
  const out = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== contract.target.toLowerCase()) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed !== null && parsed.name === name) out.push(parsed);
  }
  return out;
}

/** Digs the revert data out of an error as ethers / Hardhat report it. */
function revertData(err) {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (typeof e.data === 'string' && e.data.startsWith('0x')) return e.data;
    if (e.data !== undefined && e.data !== null && typeof e.data.data === 'string') return e.data.data;
    if (e.error !== undefined) e = e.error;
    else if (e.info !== undefined && e.info.error !== undefined) e = e.info.error;
    else e = e.cause;
  }
  return undefined;
}

/**
 * Expects `promise` (a call or a transaction being sent) to be refused
 * because the contract reverts, and returns the decoded revert: Solidity's
 * Error(string) reason or a custom error of `contract`'s interface.
 */
async function expectRevert(promise, contract) {
  let caught;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, 'expected a revert');
  const data = revertData(caught);
  assert.ok(data !== undefined, `the error carries no revert data: ${caught.message}`);
  if (data.startsWith('0x08c379a0')) {
    const [reason] = ethers.AbiCoder.defaultAbiCoder().decode(['string'], `0x${data.slice(10)}`);
    return { reason, name: 'Error', args: [reason] };
  }
  const parsed = contract.interface.parseError(data);
  assert.ok(parsed !== null, `unknown revert data ${data}`);
  return { reason: undefined, name: parsed.name, args: [...parsed.args] };
}

/** The timestamp of the latest block. */
async function latestTime() {
  const block = await ethers.provider.getBlock('latest');
  return BigInt(block.timestamp);
}

/**
 * Waits until the chain's latest block is later than `time` (unix seconds).
 * An idle chain makes no blocks (cmtd dev, like anvil): evm_mine makes one
 * as the clock passes. A `cmtd start` node refuses evm_mine (-32004): its
 * chain makes blocks by itself.
 */
async function waitForBlockTimeAfter(time, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await latestTime()) > time) return;
    if (Date.now() > deadline) throw new Error(`no block later than ${time} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      await network.provider.send('evm_mine', []);
    } catch (err) {
      if (!/served by 'cmtd dev' only/.test(String(err.message))) throw err;
    }
  }
}

/** The ABCI outcome of a transaction (cmtd's own method), for a mined failure. */
function transactionResult(hash) {
  return network.provider.send('cmt_getTransactionResult', [hash]);
}

module.exports = { signers, mined, events, expectRevert, revertData, latestTime, waitForBlockTimeAfter, transactionResult };
