/**
 * CMT supply bookkeeping (SPEC 5.1, 5.3): genesis supply, minted, burned, the
 * fees collected in the current block and the award dust carried between
 * blocks. One record, key `s/supply`, RLP of five integers.
 */
import type { KV, KVReader } from '../store/kv.js';
import { bigintToBytes, bytesToBigint } from './accounts.js';
import { STATE_PREFIXES } from './keys.js';
import { decodeFlatList, encodeFlatList } from '../util/rlp-flat.js';

export interface SupplyRecord {
  genesis: bigint;
  minted: bigint;
  burned: bigint;
  /** Fees paid by this block's transactions, not yet awarded. Zero between blocks. */
  feePool: bigint;
  /** Award remainder carried to the next block (SPEC 5.3 `D`). */
  dust: bigint;
}

/** The supply and where it is (SPEC 5.3), as the `/supply` query answers it. */
export interface SupplyInfo {
  supply: bigint;
  genesis: bigint;
  minted: bigint;
  burned: bigint;
  carried_dust: bigint;
  staked: bigint;
  unstaking: bigint;
  held_by_proposals: bigint;
}

const SUPPLY_KEY = `${STATE_PREFIXES.supply}supply`;

export function readSupply(kv: KVReader): SupplyRecord {
  const raw = kv.get(SUPPLY_KEY);
  if (raw === undefined) return { genesis: 0n, minted: 0n, burned: 0n, feePool: 0n, dust: 0n };
  const f = decodeFlatList(raw) as Uint8Array[];
  if (!Array.isArray(f) || f.length !== 5) throw new Error('corrupt supply record');
  return {
    genesis: bytesToBigint(f[0]!),
    minted: bytesToBigint(f[1]!),
    burned: bytesToBigint(f[2]!),
    feePool: bytesToBigint(f[3]!),
    dust: bytesToBigint(f[4]!),
  };
}

export function writeSupply(kv: KV, s: SupplyRecord): void {
  kv.set(SUPPLY_KEY, encodeFlatList([s.genesis, s.minted, s.burned, s.feePool, s.dust].map((v) => bigintToBytes(v))));
}

/** Total supply: genesis + minted − burned. */
export function totalSupply(s: SupplyRecord): bigint {
  return s.genesis + s.minted - s.burned;
}

export class Supply {
  constructor(private readonly kv: KV) {}

  read(): SupplyRecord {
    return readSupply(this.kv);
  }

  private update(change: (s: SupplyRecord) => void): void {
    const s = readSupply(this.kv);
    change(s);
    writeSupply(this.kv, s);
  }

  setGenesis(amount: bigint): void {
    this.update((s) => {
      s.genesis = amount;
    });
  }

  mint(amount: bigint): void {
    if (amount < 0n) throw new Error('negative mint');
    this.update((s) => {
      s.minted += amount;
    });
  }

  burn(amount: bigint): void {
    if (amount < 0n) throw new Error('negative burn');
    this.update((s) => {
      s.burned += amount;
    });
  }

  addFees(amount: bigint): void {
    if (amount < 0n) throw new Error('negative fee');
    if (amount === 0n) return;
    this.update((s) => {
      s.feePool += amount;
    });
  }

  /** Empties the fee pool and returns what it held. */
  takeFees(): bigint {
    const s = readSupply(this.kv);
    const fees = s.feePool;
    if (fees !== 0n) {
      s.feePool = 0n;
      writeSupply(this.kv, s);
    }
    return fees;
  }

  setDust(amount: bigint): void {
    if (amount < 0n) throw new Error('negative dust');
    this.update((s) => {
      s.dust = amount;
    });
  }
}
