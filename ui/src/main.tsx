/**
 * The staking dashboard: five pages over one node's public JSON-RPC, routed
 * by the URL fragment (#/network, #/candidate/<address>, #/account,
 * #/governance, #/calculator) so the static server needs no routes.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorBox, Loading } from './common.js';
import { AccountPage } from './pages/account.js';
import { CalculatorPage } from './pages/calculator.js';
import { CandidatePage } from './pages/candidate.js';
import { GovernancePage } from './pages/governance.js';
import { NetworkPage } from './pages/network.js';
import { Chain, resolveRpcUrl, type Address } from './rpc.js';
import { connectWallet, injectedWallet } from './wallet.js';

type Route = { page: 'network' } | { page: 'candidate'; address: string } | { page: 'account' } | { page: 'governance' } | { page: 'calculator' };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  switch (parts[0]) {
    case 'candidate':
      return /^0x[0-9a-fA-F]{40}$/.test(parts[1] ?? '') ? { page: 'candidate', address: parts[1]!.toLowerCase() } : { page: 'network' };
    case 'account':
      return { page: 'account' };
    case 'governance':
      return { page: 'governance' };
    case 'calculator':
      return { page: 'calculator' };
    default:
      return { page: 'network' };
  }
}

const NAV: Array<{ page: Route['page']; label: string }> = [
  { page: 'network', label: 'Network' },
  { page: 'account', label: 'My account' },
  { page: 'governance', label: 'Governance' },
  { page: 'calculator', label: 'Income calculator' },
];

function App() {
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  const [chain, setChain] = useState<Chain | undefined>(undefined);
  const [fatal, setFatal] = useState<string | undefined>(undefined);
  const [wallet, setWallet] = useState<Address | undefined>(undefined);
  const [walletError, setWalletError] = useState<string | undefined>(undefined);

  useEffect(() => {
    const onHash = (): void => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    resolveRpcUrl().then(
      (url) => setChain(new Chain(url)),
      (err: Error) => setFatal(err.message),
    );
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    // A wallet that already shared an account (eth_accounts asks nothing of the user), and later account switches.
    const provider = injectedWallet();
    if (provider === undefined) return;
    const onAccounts = (accounts: string[]): void => setWallet(accounts[0]?.toLowerCase() as Address | undefined);
    provider.request({ method: 'eth_accounts' }).then(
      (accounts) => onAccounts(accounts as string[]),
      () => undefined,
    );
    provider.on?.('accountsChanged', onAccounts);
    return () => provider.removeListener?.('accountsChanged', onAccounts);
  }, []);

  // Each page names itself in the tab title; after a page change (not on load, where the
  // keyboard starts at the top) focus moves to the content, for keyboard and screen reader users.
  const firstRoute = useRef(true);
  useEffect(() => {
    document.title = `${NAV.find((n) => n.page === route.page)?.label ?? 'Candidate'} · cmtd staking dashboard`;
    if (firstRoute.current) firstRoute.current = false;
    else document.getElementById('main')?.focus();
  }, [route]);

  const connect = (): void => {
    setWalletError(undefined);
    connectWallet().then(setWallet, (err: Error) => setWalletError(err.message));
  };

  return (
    <div class="app">
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header>
        <h1>cmtd staking</h1>
        <nav aria-label="pages">
          <ul>
            {NAV.map((n) => (
              <li key={n.page}>
                <a href={`#/${n.page}`} aria-current={route.page === n.page ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="wallet">
          {wallet === undefined ? (
            <button type="button" onClick={connect} data-testid="connect">
              Connect wallet
            </button>
          ) : (
            <span title={wallet}>
              {wallet.slice(0, 6)}…{wallet.slice(-4)}
            </span>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBox message={walletError} />
        {fatal !== undefined ? (
          <ErrorBox message={fatal} />
        ) : chain === undefined ? (
          <Loading what="the node's address" />
        ) : route.page === 'network' ? (
          <NetworkPage chain={chain} />
        ) : route.page === 'candidate' ? (
          <CandidatePage key={route.address} chain={chain} address={route.address} />
        ) : route.page === 'account' ? (
          <AccountPage chain={chain} wallet={wallet} onConnect={connect} />
        ) : route.page === 'governance' ? (
          <GovernancePage chain={chain} wallet={wallet} />
        ) : (
          <CalculatorPage chain={chain} />
        )}
      </main>
      <footer>{chain === undefined ? '' : `reading the node JSON-RPC at ${chain.url} (open with ?rpc=<url> for another node)`}</footer>
    </div>
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the static "Loading…" line of index.html
render(<App />, root);
