import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Localnet, defaultAppState } from '/work/wt/devchain/src/localnet/network.ts';
import { setTomlValue } from '/work/wt/devchain/src/localnet/cometbft.ts';
const dir = '/tmp/devchain/net' + Date.now();
const net = await Localnet.create({ dir, nodes: 1, accounts: 3, blockTime: '0s', chainId: 'exp', appState: (ctx) => { const st = defaultAppState(ctx, 10n**24n) as any; st.params.inflation_rate_bp = 0; return st; } });
const node = net.nodes[0]!;
const p = join(node.home, 'config', 'config.toml');
let t = readFileSync(p, 'utf8');
t = setTomlValue(t, 'consensus', 'create_empty_blocks', false);
t = setTomlValue(t, 'consensus', 'skip_timeout_commit', true);
writeFileSync(p, t);
await net.start();
for (let i = 0; i < 12; i++) {
  await new Promise((r) => setTimeout(r, 500));
  const s = await node.rpc.status();
  console.log(i, s.sync_info.latest_block_height, s.sync_info.latest_app_hash);
}
await net.stop();
