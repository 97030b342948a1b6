/**
 * Fast signed-transfer generation for benchmarks: legacy EIP-155 transactions
 * signed with the native secp256k1 binding (ethers signs in pure JS, which
 * would dominate a benchmark of 100k transactions).
 */
import { RLP } from '@ethereumjs/rlp';
import { bigintToBytes } from '../../src/state/accounts.js';
import { keccak256, privateKeyToAddress, signHash } from '../../src/util/crypto.js';

export interface BenchAccount {
  privateKey: Uint8Array;
  address: `0x${string}`;
}

export function benchAccounts(count: number, seed = 'bench'): BenchAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const privateKey = keccak256(Buffer.from(`${seed}-${i}`));
    return { privateKey, address: `0x${Buffer.from(privateKeyToAddress(privateKey)).toString('hex')}` };
  });
}

export interface LegacyTxFields {
  to: string;
  value?: bigint;
  data?: Uint8Array;
  nonce: bigint;
  gasLimit?: bigint;
  gasPrice?: bigint;
  chainId?: bigint;
}

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

/** A signed legacy EIP-155 transaction. */
export function signLegacyTx(from: BenchAccount, tx: LegacyTxFields): Uint8Array {
  const chainId = tx.chainId ?? 18n;
  const fields = [
    bigintToBytes(tx.nonce),
    bigintToBytes(tx.gasPrice ?? 2_000_000_000n),
    bigintToBytes(tx.gasLimit ?? 21_000n),
    Buffer.from(tx.to.slice(2), 'hex'),
    bigintToBytes(tx.value ?? 0n),
    tx.data ?? new Uint8Array(0),
  ];
  const hash = keccak256(RLP.encode([...fields, bigintToBytes(chainId), new Uint8Array(0), new Uint8Array(0)]));
  const { r, s, recovery } = signHash(hash, from.privateKey);
  return RLP.encode([...fields, bigintToBytes(chainId * 2n + 35n + BigInt(recovery)), stripZeros(r), stripZeros(s)]);
}

export function signLegacyTransfer(from: BenchAccount, to: string, value: bigint, nonce: bigint, chainId = 18n, gasPrice = 2_000_000_000n): Uint8Array {
  return signLegacyTx(from, { to, value, nonce, chainId, gasPrice });
}
