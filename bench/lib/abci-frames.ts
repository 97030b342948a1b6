/** Request frames (without length prefix) for the ABCI wire benchmark. */
import { BlockIDFlag } from '../../src/abci/gen/tendermint/types/validator_pb.js';
import { CheckTxType } from '../../src/abci/gen/tendermint/abci/types_pb.js';
import { encodeRequest } from '../../test/support/abci-wire.js';

export function finalizeBlockFrame(txs: Uint8Array[]): Uint8Array {
  const votes = Array.from({ length: 4 }, (_, i) => ({ validator: { address: new Uint8Array(20).fill(i), power: 10n }, blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT }));
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
  return Buffer.from(encodeRequest({ type: 'checkTx', value: { tx, type: CheckTxType.NEW } }));
}
