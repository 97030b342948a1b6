import { encodeResponseFrame, decodeRequest } from '../src/abci/codec.js';
import { checkTxFrame } from './lib/abci-frames.js';
const ct = checkTxFrame(new Uint8Array(110));
function t(name: string, f: () => void) { for (let i = 0; i < 50000; i++) f(); const c = process.cpuUsage(); for (let i = 0; i < 200000; i++) f(); const u = process.cpuUsage(c); console.log(name, ((u.user + u.system) / 200000 * 1000).toFixed(0), 'ns'); }
t('decode checkTx', () => void decodeRequest(ct));
t('encode checkTx res', () => void encodeResponseFrame({ type: 'checkTx', value: { code: 0, gasWanted: 21000n } }));
t('encode checkTx res w/ log', () => void encodeResponseFrame({ type: 'checkTx', value: { code: 3, codespace: 'cmt', log: 'nonce too low: expected 5, got 3', gasWanted: 21000n } }));
