/**
 * BLOCKHASH window on Hardhat's in-process node (EDR), for
 * test/unit/evm-blockhash.test.ts. Run with cwd test/hardhat and
 * HARDHAT_NETWORK=hardhat; argv[2] is JSON { bytecode, selector } of the
 * probe and of its `record(uint256 from, uint256 to)`, called as
 * `record(h - 258, h + 1)` in block h. Mines 299 blocks, deploys the probe,
 * sends one transaction and prints JSON: h, the hash each BLOCKHASH(n)
 * returned and the node's own block hash of n.
 */
const hre = require('hardhat');

async function main() {
  const { bytecode, selector } = JSON.parse(process.argv[2]);
  const p = hre.network.provider;
  const [from] = await p.request({ method: 'eth_accounts' });
  await p.request({ method: 'hardhat_mine', params: ['0x12b'] });
  const deployHash = await p.request({ method: 'eth_sendTransaction', params: [{ from, data: bytecode, gas: '0x2dc6c0' }] });
  const deployed = await p.request({ method: 'eth_getTransactionReceipt', params: [deployHash] });
  const latest = BigInt(await p.request({ method: 'eth_blockNumber' }));
  const h = latest + 1n;
  const word = (v) => v.toString(16).padStart(64, '0');
  const data = `${selector}${word(h - 258n)}${word(h + 1n)}`;
  const txHash = await p.request({ method: 'eth_sendTransaction', params: [{ from, to: deployed.contractAddress, data, gas: '0x2dc6c0' }] });
  const receipt = await p.request({ method: 'eth_getTransactionReceipt', params: [txHash] });
  if (BigInt(receipt.blockNumber) !== h) throw new Error(`record ran in block ${receipt.blockNumber}, expected ${h}`);
  const seen = {};
  for (const log of receipt.logs) seen[BigInt(log.topics[1]).toString()] = log.data;
  const blocks = {};
  for (let n = h - 258n; n <= h + 1n; n++) {
    const block = await p.request({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] });
    blocks[n.toString()] = block === null ? null : block.hash;
  }
  console.log(JSON.stringify({ h: h.toString(), seen, blocks }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
