/**
 * The staking dashboard (ui/, served by `cmtd start --ui-address`) in real
 * headless Chromium (Debian's, driven by playwright-core) against a real
 * 3-validator localnet with one backup candidate:
 * - the network page lists the validators with the powers CometBFT reports;
 * - a test wallet (an EIP-1193 provider injected into the page, signing
 *   with a development key in this process) delegates from the page, and
 *   the delegation, then its growing awards, appear;
 * - a doomed unstake (more than delegated) is explained before sending and
 *   nothing reaches the wallet;
 * - a validator's vote from the page changes the proposal's tally;
 * - every page renders at desktop and phone widths without console errors,
 *   its charts drawn; screenshots go to tmp/dashboard-screenshots (not committed).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { JsonRpcProvider, Wallet } from 'ethers';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startLocalnet } from '../support/chain.js';
import { systemCall } from '../support/staking.js';
import { freePort, waitFor } from '../../src/node/process.js';
import { uiBuilt } from '../../src/ui/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const CMT = 10n ** 18n;
const SCREENSHOTS = join(process.cwd(), 'tmp', 'dashboard-screenshots');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/**
 * An EIP-1193 provider for the page: accounts are the test key's address,
 * eth_sendTransaction goes to the test process (which signs), everything
 * else to the node's JSON-RPC, as a wallet extension would do.
 */
function providerScript(address: string, rpcUrl: string): string {
  return `(() => {
  const address = ${JSON.stringify(address.toLowerCase())};
  const rpcUrl = ${JSON.stringify(rpcUrl)};
  let id = 0;
  window.ethereum = {
    async request({ method, params }) {
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [address];
      if (method === 'eth_sendTransaction') return window.__testWalletSend(params[0]);
      const response = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }) });
      const body = await response.json();
      if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data });
      return body.result;
    },
    on() {},
    removeListener() {},
  };
})();`;
}

interface TxRequest {
  to: string;
  data?: string;
  value?: string;
  gas?: string;
}

describe('the staking dashboard in Chromium against a localnet', { timeout: 600_000 }, () => {
  let net: Awaited<ReturnType<typeof startLocalnet>>;
  let browser: Browser;
  let uiUrl: string;
  let rpcUrl: string;
  const consoleErrors: string[] = [];
  /** What each test wallet was asked to sign, by address. */
  const sent = new Map<string, TxRequest[]>();

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (scripts/install-chromium.sh, or set CHROMIUM_PATH)`);
    assert.ok(uiBuilt(), 'the dashboard is built (npm run build:ui; the test runner builds it)');
    mkdirSync(SCREENSHOTS, { recursive: true });
    const uiPort = await freePort();
    net = await startLocalnet('dashboard', {
      nodes: 3,
      accounts: 6,
      blockTime: '300ms',
      uiAddress: `127.0.0.1:${uiPort}`,
      appState: ({ accounts, validatorKeys }) => ({
        params: { max_validators: 3, backup_validators: 1, unstake_waiting_period_s: '120', proposal_period_s: '600', foundation_address: accounts[0]!.address },
        accounts: accounts.map((a) => ({ address: a.address, balance: (1_000_000n * CMT).toString() })),
        candidates: [
          ...validatorKeys.map((key, i) => ({
            address: accounts[i]!.address,
            pub_key: key.pubKey,
            max_stake: (100_000n * CMT).toString(),
            self_stake: ((10_000n + 1_000n * BigInt(i)) * CMT).toString(),
            comp_rate_bp: 2000,
            description: { name: `node${i}`, website: 'https://example.org', location: 'localhost' },
          })),
          // A backup whose key no node runs: ranked below the validators, it never signs.
          {
            address: accounts[3]!.address,
            pub_key: randomBytes(32).toString('base64'),
            max_stake: (20_000n * CMT).toString(),
            self_stake: (2_000n * CMT).toString(),
            comp_rate_bp: 1500,
            description: { name: 'backup3' },
          },
        ],
      }),
    });
    uiUrl = `http://127.0.0.1:${uiPort}/`;
    rpcUrl = net.nodes[0]!.ethRpcUrl!;
    await net.waitForHeight(3n);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  });

  after(async () => {
    await browser?.close();
    await net?.cleanup();
  });

  /** A browser context with a test wallet of `privateKey` injected (none: no wallet), at `size`. */
  async function context(privateKey: string | undefined, size = DESKTOP): Promise<BrowserContext> {
    const ctx = await browser.newContext({ viewport: size });
    if (privateKey !== undefined) {
      const signer = new Wallet(privateKey, new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, polling: true, pollingInterval: 200 }));
      const address = signer.address.toLowerCase();
      sent.set(address, []);
      await ctx.exposeFunction('__testWalletSend', async (tx: TxRequest) => {
        sent.get(address)!.push(tx);
        const response = await signer.sendTransaction({
          to: tx.to,
          ...(tx.data === undefined ? {} : { data: tx.data }),
          value: tx.value === undefined ? 0n : BigInt(tx.value),
          ...(tx.gas === undefined ? {} : { gasLimit: BigInt(tx.gas) }),
        });
        return response.hash;
      });
      await ctx.addInitScript({ content: providerScript(address, rpcUrl) });
    }
    return ctx;
  }

  async function open(ctx: BrowserContext, route: string): Promise<Page> {
    const page = await ctx.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${route}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`${route}: ${err.message}`));
    await page.goto(`${uiUrl}#/${route}`);
    return page;
  }

  /** Whether the chart's canvas has pixels drawn on it. */
  async function chartDrawn(page: Page, testId: string): Promise<boolean> {
    await page.waitForSelector(`[data-testid="${testId}"] canvas`, { timeout: 30_000 });
    // Page-side code as text: this file is compiled without the DOM's types.
    return (await page.evaluate(`(() => {
      const canvas = document.querySelector('[data-testid="${testId}"] canvas');
      if (canvas === null || canvas.width === 0 || canvas.height === 0) return false;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let drawn = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
      return drawn > 100;
    })()`)) as boolean;
  }

  it('lists the validators with the voting powers CometBFT reports, and the backup', async () => {
    const ctx = await context(undefined);
    const page = await open(ctx, 'network');
    await page.waitForSelector('[data-testid="validators"] tbody tr');
    const rows = await page.$$eval('[data-testid="validators"] tbody tr', (trs) =>
      trs.map((tr) => ({ address: tr.getAttribute('data-address'), role: tr.children[2]!.textContent, power: tr.querySelector('[data-testid="power"]')!.textContent })),
    );
    // CometBFT's own validator set, mapped to the operators through the nodes' keys.
    const { validators } = await net.nodes[0]!.rpc.validators();
    const operatorOf = new Map(net.nodes.map((n, i) => [n.validatorKey.pubKey, net.accounts[i]!.address]));
    const comet = new Map(validators.map((v) => [operatorOf.get(v.pub_key.value), v.voting_power]));
    assert.equal(comet.size, 3);
    const shown = new Map(rows.filter((r) => r.role === 'validator').map((r) => [r.address, r.power]));
    assert.deepEqual(shown, comet, 'the page shows each validator with the power CometBFT uses');
    assert.deepEqual(
      rows.filter((r) => r.role === 'backup').map((r) => r.address),
      [net.accounts[3]!.address],
    );
    assert.ok(await chartDrawn(page, 'share-chart'), 'the share of stake chart is drawn');
    // Searchable: one candidate by name.
    await page.fill('[data-testid="candidate-search"]', 'backup3');
    await page.waitForFunction(`document.querySelectorAll('[data-testid="candidates"] tbody tr').length === 1`);
    assert.equal(await page.getAttribute('[data-testid="candidates"] tbody tr', 'data-address'), net.accounts[3]!.address);
    await ctx.close();
  });

  it('is usable from the keyboard: Tab reaches the page links, Enter follows them and sorts a column', async () => {
    const ctx = await context(undefined);
    const page = await open(ctx, 'network');
    await page.waitForSelector('[data-testid="candidates"] tbody tr');
    const focused = async (): Promise<string> => String(await page.evaluate('document.activeElement?.textContent?.trim()'));
    let steps = 0;
    while ((await focused()) !== 'Governance' && steps++ < 12) await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Governance', 'Tab reaches the Governance link');
    await page.keyboard.press('Enter');
    await page.waitForFunction(`location.hash === '#/governance'`);
    await page.goto(`${uiUrl}#/network`);
    const sortByStake = '[data-testid="candidates"] th button:has-text("Stake (CMT)")';
    await page.waitForSelector(sortByStake);
    await page.focus(sortByStake);
    const first = (): Promise<string | null> => page.getAttribute('[data-testid="candidates"] tbody tr', 'data-address');
    const order = (): Promise<string | null> => page.getAttribute('[data-testid="candidates"] th:has(button:has-text("Stake (CMT)"))', 'aria-sort');
    await page.keyboard.press('Enter');
    assert.equal(await order(), 'descending');
    assert.equal(await first(), net.accounts[2]!.address, 'the largest stake first');
    await page.keyboard.press('Enter');
    assert.equal(await order(), 'ascending');
    assert.equal(await first(), net.accounts[3]!.address, 'the backup, the smallest stake, first');
    await ctx.close();
  });

  it('delegates from the page through the injected wallet; the delegation and then its growing awards appear', async () => {
    const delegator = net.accounts[5]!;
    const candidate = net.accounts[2]!.address;
    const ctx = await context(delegator.privateKey);
    const page = await open(ctx, 'account');
    await page.waitForSelector(`[data-testid="wallet-address"]:text("${delegator.address}")`);
    await page.waitForSelector('[data-testid="no-delegations"]');
    await page.selectOption('[data-testid="delegate-candidate"]', candidate);
    await page.fill('[data-testid="delegate-amount"]', '1000');
    await page.click('[data-testid="delegate"] button');
    await page.click('[data-testid="delegate-confirm"]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="delegate-done"]', { timeout: 60_000 });
    assert.match((await page.textContent('[data-testid="delegate-done"]'))!, /^Done in block \d+/);
    assert.equal(sent.get(delegator.address)!.length, 1, 'one transaction signed');

    const row = `[data-testid="delegations"] tr[data-candidate="${candidate}"]`;
    await page.waitForSelector(row, { timeout: 30_000 });
    assert.equal((await page.textContent(`${row} [data-testid="principal"]`))!.trim(), '1,000');
    // Awards accrue every block: the earned amount the page shows grows.
    const earned = async (): Promise<bigint> => BigInt((await page.getAttribute(`${row} [data-testid="earned"]`, 'data-wei'))!);
    const first = await earned();
    await waitFor('the earned awards on the page to grow', async () => ((await earned()) > first ? true : undefined), 30_000);
    assert.ok((await earned()) > 0n);
    assert.ok(await chartDrawn(page, 'stake-chart'), 'the stake value chart is drawn');
    await ctx.close();
  });

  it('explains a doomed unstake before sending it, and sends nothing', async () => {
    const delegator = net.accounts[5]!;
    const candidate = net.accounts[2]!.address;
    const ctx = await context(delegator.privateKey);
    const page = await open(ctx, 'account');
    await page.waitForSelector(`[data-testid="delegations"] tr[data-candidate="${candidate}"]`);
    const nonce = async (): Promise<number> => new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true }).getTransactionCount(delegator.address);
    const before = await nonce();
    await page.selectOption('[data-testid="unstake-candidate"]', candidate);
    await page.fill('[data-testid="unstake-amount"]', '5000');
    await page.click('[data-testid="unstake"] button');
    const doomed = await page.waitForSelector('[data-testid="unstake-doomed"]', { timeout: 30_000 });
    const text = (await doomed.textContent())!;
    assert.match(text, /would fail/);
    assert.match(text, /insufficient|exceeds|more than|not enough/i, `the system contract's reason is shown: ${text}`);
    assert.equal(await page.$('[data-testid="unstake-confirm"]'), null, 'no way to send it');
    assert.equal(sent.get(delegator.address)!.length, 0, 'nothing reached the wallet');
    assert.equal(await nonce(), before, 'no transaction was sent');
    await ctx.close();
  });

  it("changes a proposal's tally with a validator's vote from the page", async () => {
    const proposer = new Wallet(net.accounts[0]!.privateKey);
    const proposed = await systemCall(net.nodes[0]!, proposer, 'governance', 'proposeParamChange', ['unstake_waiting_period_s', '130', 'dashboard test'], 0n);
    assert.equal(proposed.code, 0, proposed.log);
    const voter = net.accounts[1]!;
    const ctx = await context(voter.privateKey);
    const page = await open(ctx, 'governance');
    await page.waitForSelector('[data-testid="proposal-1"]');
    assert.equal((await page.textContent('[data-testid="proposal-1"] [data-testid="tally-yes"]'))!.trim(), '0.00%');
    await page.click('[data-testid="vote-1-yes"] button');
    await page.click('[data-testid="vote-1-yes-confirm"]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="vote-1-yes-done"]', { timeout: 60_000 });
    // The node's tally, and the page's once it refreshes.
    const proposal = await new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true }).send('cmt_getProposal', [1]);
    const { yes, total } = proposal.tally as { yes: string; total: string };
    assert.ok(BigInt(yes) > 0n, 'the vote counts');
    assert.deepEqual(proposal.votes, [{ voter: voter.address, yes: true }]);
    const expected = `${((Number((BigInt(yes) * 1_000_000n) / BigInt(total)) / 1_000_000) * 100).toFixed(2)}%`;
    await page.waitForFunction(`document.querySelector('[data-testid="proposal-1"] [data-testid="tally-yes"]')?.textContent?.trim() === ${JSON.stringify(expected)}`, undefined, {
      timeout: 30_000,
    });
    assert.equal(proposal.status, 'open', 'one of three validators is below 2/3');
    await ctx.close();
  });

  it("updates a candidate's description from its account page; the network page shows the new name", async () => {
    const operator = net.accounts[1]!;
    const ctx = await context(operator.privateKey);
    const page = await open(ctx, 'account');
    await page.waitForSelector('[data-testid="candidacy-name"]');
    assert.equal(await page.inputValue('[data-testid="candidacy-name"]'), 'node1', 'the form starts from the declared description');
    await page.fill('[data-testid="candidacy-name"]', 'node1 renamed');
    await page.click('[data-testid="update-candidacy"] button');
    await page.click('[data-testid="update-candidacy-confirm"]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="update-candidacy-done"]', { timeout: 60_000 });
    assert.match((await page.textContent('[data-testid="update-candidacy-done"]'))!, /^Done in block/);
    await page.goto(`${uiUrl}#/network`);
    await page.waitForSelector(`[data-testid="validators"] tr[data-address="${operator.address}"] a:text("node1 renamed")`, { timeout: 30_000 });
    await ctx.close();
  });

  it('renders every page at desktop and phone widths, charts drawn, no console errors; saves screenshots', async () => {
    const routes: Array<{ route: string; ready: string; chart?: string }> = [
      { route: 'network', ready: '[data-testid="validators"] tbody tr', chart: 'share-chart' },
      { route: `candidate/${net.accounts[2]!.address}`, ready: '[data-testid="delegators"]', chart: 'candidate-chart' },
      { route: 'account', ready: '[data-testid="delegations"]', chart: 'stake-chart' },
      { route: 'governance', ready: '[data-testid="proposal-1"]' },
      { route: 'calculator', ready: '[data-testid="calc-delegator"]', chart: 'income-chart' },
    ];
    for (const [label, size] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      const ctx = await context(net.accounts[5]!.privateKey, size);
      for (const { route, ready, chart } of routes) {
        const page = await open(ctx, route);
        await page.waitForSelector(ready, { timeout: 30_000 });
        if (chart !== undefined) assert.ok(await chartDrawn(page, chart), `${route} (${label}): the chart is drawn`);
        // Nothing wider than the screen: wide tables scroll inside their own box.
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        assert.ok(overflow <= 1, `${route} (${label}) is ${overflow}px wider than the screen`);
        const file = join(SCREENSHOTS, `${route.split('/')[0]}-${label}.png`);
        await page.screenshot({ path: file, fullPage: true });
        assert.ok(existsSync(file));
        await page.close();
      }
      await ctx.close();
    }
    // The calculator runs the same formula as `cmtd economics`: 25% staked, SSR 10%, C 20%, I 8% → 89.60% / 25.60% (SPEC 5.6).
    const ctx = await context(undefined);
    const page = await open(ctx, 'calculator');
    await page.waitForSelector('[data-testid="calc-delegator"]');
    for (const [id, value] of [
      ['calc-stake', '2500'],
      ['calc-ssr', '1000'],
      ['calc-comp', '2000'],
      ['calc-inflation', '800'],
    ] as const) {
      // A range input takes no typing: set it as a drag would, with an input event.
      await page.evaluate(`(() => {
        const input = document.querySelector('[data-testid="${id}"]');
        input.value = '${value}';
        input.dispatchEvent(new Event('input', { bubbles: true }));
      })()`);
    }
    assert.equal(await page.textContent('[data-testid="calc-validator"]'), '89.60%');
    assert.equal(await page.textContent('[data-testid="calc-delegator"]'), '25.60%');
    await ctx.close();
    assert.deepEqual(consoleErrors, [], 'no console errors on any page');
  });
});
