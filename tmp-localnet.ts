import { startLocalnet } from './test/support/chain.js';
const net = await startLocalnet('scratch', { nodes: Number(process.env.NODES ?? 1), accounts: 6, blockTime: '200ms' });
console.log(JSON.stringify({ dir: net.dir, urls: net.nodes.map((n) => n.ethRpcUrl), comet: net.nodes.map((n) => n.rpcPort), keys: net.accounts.map((a) => a.privateKey) }));
process.on('SIGTERM', () => { void net.cleanup().then(() => process.exit(0)); });
setInterval(() => {}, 1 << 30);
