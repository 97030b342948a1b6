/**
 * Replay's translation of CometBFT RPC JSON into ABCI requests: exact times,
 * the last commit paired with the signing validator set (absent signatures
 * carry no address), evidence as misbehavior, validator update keys.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finalizeBlockRequest, misbehavior, parseTime, updateKey, type RawBlock, type RawValidator } from '../../src/replay/cometbft-json.js';

const A = 'AA'.repeat(20);
const B = 'BB'.repeat(20);
const validators: RawValidator[] = [
  { address: A, pub_key: { type: 'tendermint/PubKeyEd25519', value: 'x' }, voting_power: '30' },
  { address: B, pub_key: { type: 'tendermint/PubKeyEd25519', value: 'y' }, voting_power: '20' },
];

function block(evidence: RawBlock['block']['evidence']['evidence'] = []): RawBlock {
  return {
    block_id: { hash: '11'.repeat(32) },
    block: {
      header: {
        chain_id: 'c',
        height: '7',
        time: '2026-11-21T20:22:36.145446898Z',
        validators_hash: '',
        next_validators_hash: '22'.repeat(32),
        app_hash: '',
        proposer_address: A,
      },
      data: { txs: [Buffer.from('tx').toString('base64')] },
      evidence: { evidence },
      last_commit: {
        height: '6',
        round: 1,
        signatures: [
          { block_id_flag: 2, validator_address: A, timestamp: '2026-11-21T20:22:36Z', signature: 'c2ln' },
          { block_id_flag: 1, validator_address: '', timestamp: '0001-01-01T00:00:00Z', signature: null },
        ],
      },
    },
  };
}

describe('replay: CometBFT JSON to ABCI', () => {
  it('parses RFC 3339 times exactly', () => {
    assert.deepEqual(parseTime('2026-11-21T20:22:36.145446898Z'), { seconds: 1795292556n, nanos: 145446898 });
    assert.deepEqual(parseTime('1970-01-01T01:00:00.5+01:00'), { seconds: 0n, nanos: 500000000 });
    assert.throws(() => parseTime('yesterday'), /RFC 3339/);
  });

  it('builds FinalizeBlock with the last commit of the set at height - 1', () => {
    const req = finalizeBlockRequest(block(), validators);
    assert.equal(req.height, 7n);
    assert.equal(req.time.seconds, 1795292556n);
    assert.deepEqual(req.txs, [new Uint8Array(Buffer.from('tx'))]);
    assert.equal(req.decidedLastCommit.round, 1);
    assert.deepEqual(
      req.decidedLastCommit.votes.map((v) => [Buffer.from(v.validator.address).toString('hex').toUpperCase(), v.validator.power, v.blockIdFlag]),
      [
        [A, 30n, 'commit'],
        [B, 20n, 'absent'],
      ],
    );
    assert.equal(Buffer.from(req.proposerAddress).toString('hex').toUpperCase(), A);
    // The first block has no last commit.
    assert.deepEqual(finalizeBlockRequest(block(), undefined).decidedLastCommit, { round: 0, votes: [] });
    // A signature by another validator than the set's is an input error, not a silent mismatch.
    assert.throws(() => finalizeBlockRequest(block(), [...validators].reverse()), /is by/);
  });

  it('turns evidence into misbehavior as CometBFT does', () => {
    const ev = misbehavior(
      block([
        {
          type: 'tendermint/DuplicateVoteEvidence',
          value: { vote_a: { height: '5', validator_address: B }, vote_b: {}, TotalVotingPower: '50', ValidatorPower: '20', Timestamp: '2026-11-21T20:22:30Z' },
        },
        {
          type: 'tendermint/LightClientAttackEvidence',
          value: { ConflictingBlock: {}, CommonHeight: '4', ByzantineValidators: validators, TotalVotingPower: '50', Timestamp: '2026-11-21T20:22:20Z' },
        },
      ]),
    );
    assert.deepEqual(
      ev.map((m) => [m.type, Buffer.from(m.validator.address).toString('hex').toUpperCase(), m.validator.power, m.height, m.totalVotingPower]),
      [
        ['duplicate_vote', B, 20n, 5n, 50n],
        ['light_client_attack', A, 30n, 4n, 50n],
        ['light_client_attack', B, 20n, 4n, 50n],
      ],
    );
  });

  it('finds the ed25519 key of a block_results validator update', () => {
    assert.equal(updateKey({ Sum: { type: 'tendermint.crypto.PublicKey_Ed25519', value: { ed25519: 'k1' } } }), 'k1');
    assert.equal(updateKey({ type: 'tendermint/PubKeyEd25519', value: 'k2' }), 'k2');
    assert.equal(updateKey(null), undefined);
  });
});
