/**
 * Ethereum JSON shapes of blocks, transactions, receipts and logs, built from
 * the index records (src/index/records.ts). docs/RPC.md lists how each field
 * is filled on this chain.
 */
import { RLP } from '@ethereumjs/rlp';
import { UNLIMITED_BLOCK_GAS_LIMIT } from '../evm/engine.js';
import { logsBloom } from '../index/bloom.js';
import type { LocatedLog } from '../index/reader.js';
import type { BlockRecord, TxRecord } from '../index/records.js';
import type { Address } from '../util/address.js';
import { bigintToBytes } from '../state/accounts.js';
import { decodeTx, type DecodedTx } from '../tx/decode.js';
import { keccak256 } from '../util/crypto.js';
import { data, fixed, quantity, ZERO_HASH } from './hex.js';

/** keccak256(RLP([])): the uncles hash of a block without uncles. */
export const EMPTY_UNCLES_HASH = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';
/** Root of an empty Merkle-Patricia trie: transactionsRoot / receiptsRoot of an empty block. */
export const EMPTY_TRIE_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';
/** Reported as the gas limit of a block when consensus params set none (max_gas = -1): what the EVM's GASLIMIT reports. */
export const UNLIMITED_GAS = UNLIMITED_BLOCK_GAS_LIMIT;
/** Rough size of a block header, added to the transaction bytes for `size`. */
const HEADER_SIZE = 508n;

export interface EthLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed: boolean;
}

export interface EthTransaction {
  blockHash: string | null;
  blockNumber: string | null;
  transactionIndex: string | null;
  hash: string;
  type: string;
  chainId: string;
  nonce: string;
  from: string;
  to: string | null;
  value: string;
  gas: string;
  gasPrice: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  accessList?: Array<{ address: string; storageKeys: string[] }>;
  /** Type 4 (EIP-7702) only. */
  authorizationList?: EthAuthorization[];
  input: string;
  v: string;
  r: string;
  s: string;
  yParity?: string;
}

/** One EIP-7702 authorization, as geth shows it. */
export interface EthAuthorization {
  chainId: string;
  address: string;
  nonce: string;
  yParity: string;
  r: string;
  s: string;
}

export interface EthReceipt {
  transactionHash: string;
  transactionIndex: string;
  blockHash: string;
  blockNumber: string;
  from: string;
  to: string | null;
  cumulativeGasUsed: string;
  gasUsed: string;
  effectiveGasPrice: string;
  contractAddress: string | null;
  logs: EthLog[];
  logsBloom: string;
  type: string;
  status: string;
}

export interface EthBlock {
  number: string;
  hash: string;
  parentHash: string;
  nonce: string;
  mixHash: string;
  sha3Uncles: string;
  logsBloom: string;
  transactionsRoot: string;
  stateRoot: string;
  receiptsRoot: string;
  miner: string;
  difficulty: string;
  totalDifficulty: string;
  extraData: string;
  size: string;
  gasLimit: string;
  gasUsed: string;
  timestamp: string;
  baseFeePerGas: string;
  transactions: string[] | EthTransaction[];
  uncles: string[];
}

export const blockHashHex = (block: BlockRecord): string => fixed(block.hash, 32);

export function formatLog(l: LocatedLog): EthLog {
  return {
    address: l.log.address,
    topics: l.log.topics.map((t) => fixed(t, 32)),
    data: data(l.log.data),
    blockNumber: quantity(l.blockNumber),
    blockHash: fixed(l.blockHash, 32),
    transactionHash: fixed(l.txHash, 32),
    transactionIndex: quantity(l.txIndex),
    logIndex: quantity(l.logIndex),
    removed: false,
  };
}

/** Where a mined transaction sits; absent for a pending one. */
export interface TxLocation {
  block: BlockRecord;
  index: number;
  effectiveGasPrice: bigint;
}

/** A transaction's JSON from its signed bytes. */
export function formatTransaction(tx: DecodedTx, from: Address, at: TxLocation | undefined): EthTransaction {
  const out: EthTransaction = {
    blockHash: at === undefined ? null : blockHashHex(at.block),
    blockNumber: at === undefined ? null : quantity(at.block.height),
    transactionIndex: at === undefined ? null : quantity(at.index),
    hash: fixed(tx.hash, 32),
    type: quantity(tx.type),
    chainId: quantity(tx.chainId),
    nonce: quantity(tx.nonce),
    from,
    to: tx.to,
    value: quantity(tx.value),
    gas: quantity(tx.gasLimit),
    gasPrice: quantity(at?.effectiveGasPrice ?? tx.maxFeePerGas),
    input: data(tx.data),
    v: quantity(tx.type === 0 ? tx.chainId * 2n + 35n + BigInt(tx.recovery) : BigInt(tx.recovery)),
    r: quantity(BigInt(data(tx.r))),
    s: quantity(BigInt(data(tx.s))),
  };
  if (tx.type === 2 || tx.type === 4) {
    out.maxFeePerGas = quantity(tx.maxFeePerGas);
    out.maxPriorityFeePerGas = quantity(tx.maxPriorityFeePerGas);
  }
  if (tx.type !== 0) {
    out.accessList = tx.accessList.map((e) => ({ address: data(e.address), storageKeys: e.storageKeys.map((k) => fixed(k, 32)) }));
    out.yParity = quantity(tx.recovery);
  }
  if (tx.authorizationList !== undefined) {
    out.authorizationList = tx.authorizationList.map((a) => ({
      chainId: quantity(a.chainId),
      address: data(a.address),
      nonce: quantity(a.nonce),
      yParity: quantity(a.yParity),
      r: quantity(a.r.length === 0 ? 0n : BigInt(data(a.r))),
      s: quantity(a.s.length === 0 ? 0n : BigInt(data(a.s))),
    }));
  }
  return out;
}

/** A mined transaction's JSON from its index record. */
export function formatTxRecord(block: BlockRecord, record: TxRecord): EthTransaction {
  const summary = block.txs[record.index]!;
  const tx = decodeTx(record.raw, summary.hash);
  return formatTransaction(tx, record.sender, { block, index: record.index, effectiveGasPrice: record.effectiveGasPrice });
}

export function formatReceipt(block: BlockRecord, record: TxRecord): EthReceipt {
  const summary = block.txs[record.index]!;
  const tx = decodeTx(record.raw, summary.hash);
  const logs = record.logs.map((log, i) =>
    formatLog({ log, blockNumber: block.height, blockHash: block.hash, txHash: summary.hash, txIndex: record.index, logIndex: record.firstLogIndex + i }),
  );
  return {
    transactionHash: fixed(summary.hash, 32),
    transactionIndex: quantity(record.index),
    blockHash: blockHashHex(block),
    blockNumber: quantity(block.height),
    from: record.sender,
    to: tx.to,
    cumulativeGasUsed: quantity(record.cumulativeGasUsed),
    gasUsed: quantity(record.gasUsed),
    effectiveGasPrice: quantity(record.effectiveGasPrice),
    contractAddress: record.contractAddress,
    logs,
    logsBloom: data(logsBloom(record.logs)),
    type: quantity(tx.type),
    status: quantity(record.status),
  };
}

/** A commitment to the block's transactions (not a Merkle-Patricia root: see docs/RPC.md). */
export function transactionsRoot(block: BlockRecord): string {
  if (block.txs.length === 0) return EMPTY_TRIE_ROOT;
  return data(keccak256(RLP.encode(block.txs.map((t) => t.hash))));
}

/** A commitment to the block's receipts summaries (not a Merkle-Patricia root: see docs/RPC.md). */
export function receiptsRoot(block: BlockRecord): string {
  if (block.txs.length === 0) return EMPTY_TRIE_ROOT;
  return data(keccak256(RLP.encode(block.txs.map((t) => [t.hash, bigintToBytes(t.gasUsed), bigintToBytes(t.effectiveGasPrice), bigintToBytes(BigInt(t.logCount))]))));
}

/**
 * A block's JSON. `txs` are the full transactions (eth_getBlockBy* with
 * `true`); without them only the hashes are listed.
 */
export function formatBlock(block: BlockRecord, parentHash: Uint8Array | undefined, txs?: TxRecord[]): EthBlock {
  return {
    number: quantity(block.height),
    hash: blockHashHex(block),
    parentHash: parentHash === undefined ? ZERO_HASH : fixed(parentHash, 32),
    nonce: '0x0000000000000000',
    mixHash: ZERO_HASH,
    sha3Uncles: EMPTY_UNCLES_HASH,
    logsBloom: fixed(block.logsBloom, 256),
    transactionsRoot: transactionsRoot(block),
    stateRoot: fixed(block.stateRoot, 32),
    receiptsRoot: receiptsRoot(block),
    miner: fixed(block.proposer, 20),
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: '0x',
    size: quantity(HEADER_SIZE + block.txBytes),
    gasLimit: quantity(block.gasLimit ?? UNLIMITED_GAS),
    gasUsed: quantity(block.gasUsed),
    timestamp: quantity(block.time),
    baseFeePerGas: quantity(block.baseFee),
    transactions: txs === undefined ? block.txs.map((t) => fixed(t.hash, 32)) : txs.map((t) => formatTxRecord(block, t)),
    uncles: [],
  };
}
