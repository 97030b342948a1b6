/**
 * `cmtd dev`'s terminal log of mined transactions: for every block with
 * transactions, one line each — hash, sender → recipient (or the contract
 * created), gas used, status and, for a failure, its revert reason. Blocks
 * come from the node's newHeads subscription; empty blocks print nothing.
 */
import { WebSocket } from 'ws';
import { decodeRevertReason } from '../system/revert.js';
import type { NodeRpc } from '../rpc/dev-accounts.js';

interface Receipt {
  transactionHash: string;
  from: string;
  to: string | null;
  contractAddress: string | null;
  gasUsed: string;
  status: string;
}

interface TxResult {
  log: string;
  returnData: string;
}

/** Why a transaction failed: its revert reason, else the node's log of it. */
export function failureReason(result: TxResult | null): string {
  if (result === null) return 'failed';
  const reason = decodeRevertReason(Buffer.from(result.returnData.replace(/^0x/, ''), 'hex'));
  if (reason !== undefined) return `reverted: ${reason}`;
  if (result.returnData.length > 2) return `reverted with data ${result.returnData.slice(0, 74)}${result.returnData.length > 74 ? '…' : ''}`;
  return result.log === '' ? 'failed' : result.log;
}

/** One receipt as a line of the log. */
export function formatMinedTx(r: Receipt, failure: string | undefined): string {
  const target = r.contractAddress !== null ? `contract created ${r.contractAddress}` : (r.to ?? '?');
  const status = BigInt(r.status) === 1n ? 'ok' : (failure ?? 'failed');
  return `  ${r.transactionHash}  ${r.from} → ${target}  gas ${BigInt(r.gasUsed)}  ${status}`;
}

export interface MinedTxLog {
  stop(): void;
}

/** Prints the transactions of every new block the node at `wsUrl` reports, in order. */
export function logMinedTxs(wsUrl: string, node: NodeRpc, write: (text: string) => void): MinedTxLog {
  let stopped = false;
  let ws: WebSocket | undefined;
  let queue = Promise.resolve();
  const printBlock = async (height: bigint): Promise<void> => {
    const receipts = await node.call<Receipt[] | null>('eth_getBlockReceipts', [`0x${height.toString(16)}`]);
    if (receipts === null || receipts.length === 0) return;
    const lines = [`block ${height}: ${receipts.length} transaction${receipts.length === 1 ? '' : 's'}`];
    for (const r of receipts) {
      const failure = BigInt(r.status) === 1n ? undefined : failureReason(await node.call<TxResult | null>('cmt_getTransactionResult', [r.transactionHash]));
      lines.push(formatMinedTx(r, failure));
    }
    write(`${lines.join('\n')}\n`);
  };
  const connect = (): void => {
    if (stopped) return;
    const socket = new WebSocket(wsUrl);
    ws = socket;
    socket.on('open', () => socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] })));
    socket.on('message', (message: Buffer) => {
      let value: { method?: string; params?: { result?: { number?: string } } };
      try {
        value = JSON.parse(message.toString('utf8')) as typeof value;
      } catch {
        return;
      }
      const number = value.method === 'eth_subscription' ? value.params?.result?.number : undefined;
      if (typeof number !== 'string' || !/^0x[0-9a-f]{1,16}$/.test(number)) return;
      const height = BigInt(number);
      queue = queue.then(() => printBlock(height)).catch((err: unknown) => write(`(cannot list the transactions of block ${height}: ${(err as Error).message})\n`));
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      if (!stopped) setTimeout(connect, 1_000).unref();
    });
  };
  connect();
  return {
    stop() {
      stopped = true;
      ws?.terminate();
    },
  };
}
