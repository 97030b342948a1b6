/** Request frames (without length prefix) for the ABCI wire benchmark. */
import { encodeRequest } from '../../src/abci/codec.js';



export function finalizeBlockFrame(txs: Uint8Array[]): Uint8Array {
  const votes = Array.from({ length: 4 }, (_, i) => ({ validator: { address: new Uint8Array(20).fill(i), power: 10n }, blockIdFlag: 'commit' as const }));
  return Buffer.from(
    encodeRequest({
      type: 'finalizeBlock',
      value: {
        txs,
        decidedLastCommit: { round: 0, votes },
        misbehavior: [],
        hash: new Uint8Array(32).fill(1),
        height: 1234n,
        time: { seconds: 1_764_000_000n, nanos: 5 },
        nextValidatorsHash: new Uint8Array(32).fill(2),
        proposerAddress: new Uint8Array(20).fill(3),
      },
    }),
  );
}

export function checkTxFrame(tx: Uint8Array): Uint8Array {
  return Buffer.from(encodeRequest({ type: 'checkTx', value: { tx, type: 'new' } }));
}

