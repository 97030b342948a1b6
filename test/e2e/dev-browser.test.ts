/**
 * A dapp page in a real browser (Debian's Chromium, headless, driven by
 * playwright-core) against `cmtd dev`: the page is served from one origin,
 * loads viem from a local file (node_modules/viem bundled into one ES
 * module) and talks to the chain's JSON-RPC on another origin — reads
 * (chain id, block number, a balance) and a transfer that cmtd dev signs
 * for a development account (eth_sendTransaction). The browser's own CORS
 * check is the judge: the same page cannot read the node behind cmtd dev
 * (`cmtd start`, no --rpc-cors).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { ROOT, startDev, type DevChain } from '../support/hardhat.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>cmtd dapp</title></head>
<body><pre id="out">loading</pre>
<script type="module">
import { createPublicClient, createWalletClient, http, parseEther } from './viem.js';
window.readChain = async (rpcUrl) => {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) });
  const [chainId, blockNumber, accounts] = await Promise.all([client.getChainId(), client.getBlockNumber(), client.request({ method: 'eth_accounts' })]);
  const balance = await client.getBalance({ address: accounts[0] });
  return { chainId, blockNumber: blockNumber.toString(), accounts, balance: balance.toString() };
};
window.sendFromDevAccount = async (rpcUrl, to) => {
  const wallet = createWalletClient({ transport: http(rpcUrl, { retryCount: 0 }) });
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }), pollingInterval: 50 });
  const [from] = await wallet.getAddresses();
  const chain = { id: await client.getChainId(), name: 'cmtd dev', nativeCurrency: { name: 'CMT', symbol: 'CMT', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } };
  const hash = await wallet.sendTransaction({ account: from, chain, to, value: parseEther('0.25') });
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 60_000 });
  return { hash, from, status: receipt.status };
};
window.tryRead = async (rpcUrl) => {
  try {
    await window.readChain(rpcUrl);
    return 'read';
  } catch (err) {
    return String(err && err.message);
  }
};
document.getElementById('out').textContent = 'ready';
</script></body></html>`;

describe('a browser page on another origin reads cmtd dev with viem', { timeout: 300_000 }, () => {
  let dev: DevChain;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    // viem from node_modules as one local ES module file.
    const bundle = await build({
      stdin: { contents: "export * from 'viem';", resolveDir: ROOT, loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const viem = bundle.outputFiles[0]!.text;
    site = createServer((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      else if (req.url === '/viem.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(viem);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    dev = await startDev(['--accounts', '2']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  });

  after(async () => {
    await browser?.close();
    await dev?.stop();
    site?.close();
  });

  const openPage = async () => {
    const page = await browser.newPage();
    await page.goto(siteUrl);
    await page.waitForFunction("document.getElementById('out').textContent === 'ready'");
    return page;
  };

  it('reads the chain id, block number and a dev account balance over HTTP from another origin', async () => {
    const page = await openPage();
    const fromPage = (await page.evaluate(`window.readChain(${JSON.stringify(dev.rpcUrl)})`)) as {
      chainId: number;
      blockNumber: string;
      accounts: string[];
      balance: string;
    };
    // The same answers read from Node.js, outside the browser.
    const call = async (method: string, params: unknown[]): Promise<string> => {
      const response = await fetch(dev.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      });
      return ((await response.json()) as { result: string }).result;
    };
    assert.equal(fromPage.chainId, Number(await call('eth_chainId', [])));
    assert.ok(BigInt(fromPage.blockNumber) >= 1n);
    assert.equal(fromPage.accounts.length, 2);
    assert.equal(BigInt(fromPage.balance), BigInt(await call('eth_getBalance', [fromPage.accounts[0], 'latest'])));
    assert.ok(BigInt(fromPage.balance) > 0n);
    assert.notEqual(new URL(siteUrl).port, new URL(dev.rpcUrl).port, 'the page and the JSON-RPC are different origins');
    await page.close();
  });

  it('sends a transfer that cmtd dev signs for a development account, and sees it mined', async () => {
    const page = await openPage();
    const to = '0x000000000000000000000000000000000000beef';
    const sent = (await page.evaluate(`window.sendFromDevAccount(${JSON.stringify(dev.rpcUrl)}, ${JSON.stringify(to)})`)) as { hash: string; from: string; status: string };
    assert.equal(sent.status, 'success');
    // cmtd dev prints the block's transactions once it hears of the block, maybe after the page saw the receipt.
    const printed = new RegExp(`${sent.hash}  ${sent.from.toLowerCase()} → ${to}  gas 21000  ok`);
    for (let i = 0; i < 200 && !printed.test(dev.output()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(dev.output(), printed);
    await page.close();
  });

  it('cannot read a node that allows no origin: the browser refuses the answer', async () => {
    const page = await openPage();
    const nodeUrl = `http://127.0.0.1:${Number(new URL(dev.rpcUrl).port) - 1}`; // the cmtd start behind cmtd dev
    const outcome = (await page.evaluate(`window.tryRead(${JSON.stringify(nodeUrl)})`)) as string;
    assert.notEqual(outcome, 'read');
    assert.match(outcome, /fetch|HTTP request failed/i);
    await page.close();
  });
});
