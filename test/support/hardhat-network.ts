/**
 * Hardhat's own in-process network (EDR), the one `hardhat node` serves,
 * for differential tests: the same hard fork as cmtd's EVM, chain id 18,
 * optionally forking a JSON-RPC URL at a block.
 */
import { createRequire } from 'node:module';
import { forkRules } from '../../src/evm/hardfork.js';
import { DEFAULT_EVM_HARDFORK } from '../../src/state/params.js';

export interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

interface ProviderModule {
  createHardhatNetworkProvider(config: Record<string, unknown>, logger: Record<string, unknown>): Promise<Eip1193>;
}

/** cmtd's default fork, as Hardhat names it. */
const CMTD_FORK = forkRules(DEFAULT_EVM_HARDFORK).hardfork;

export async function hardhatNetwork(o: { accounts?: Array<{ privateKey: string; balance: bigint }>; fork?: { url: string; blockNumber: bigint } } = {}): Promise<Eip1193> {
  const require = createRequire(import.meta.url);
  const { createHardhatNetworkProvider } = require('hardhat/internal/hardhat-network/provider/provider') as ProviderModule;
  return createHardhatNetworkProvider(
    {
      hardfork: CMTD_FORK,
      chainId: 18,
      networkId: 18,
      blockGasLimit: 30_000_000,
      minGasPrice: 0n,
      automine: true,
      intervalMining: 0,
      mempoolOrder: 'priority',
      // A forked chain's history runs on cmtd's hard fork from block 0.
      chains: new Map([[18, { hardforkHistory: new Map([[CMTD_FORK, 0]]) }]]),
      genesisAccounts: (o.accounts ?? []).map((a) => ({ privateKey: a.privateKey, balance: a.balance.toString() })),
      allowUnlimitedContractSize: false,
      throwOnTransactionFailures: false,
      throwOnCallFailures: false,
      allowBlocksWithSameTimestamp: false,
      enableTransientStorage: true,
      enableRip7212: false,
      initialBaseFeePerGas: 1_000_000_000,
      ...(o.fork === undefined ? {} : { forkConfig: { jsonRpcUrl: o.fork.url, blockNumber: Number(o.fork.blockNumber) } }),
    },
    { enabled: false, printLineFn: () => {}, replaceLastLineFn: () => {} },
  );
}
