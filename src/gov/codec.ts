/**
 * Canonical state encoding of governance (RLP), keys under `g/`:
 *
 *   g/state           RLP [nextId, heldTotal, [openId, ...]]   open ids ascending
 *   g/p/<16 hex id>   RLP proposal record (below)
 *
 * A proposal record:
 *   [id, kind, status, proposer, reason, createdHeight, createdTime, expiresAt,
 *    closedHeight, closedTime, outcome, [yes, no, total],
 *    [[voter, yes(1)/no(0)], ...], payload]
 * payload is [name, value] for a param change and [from, to, amount] for a
 * transfer fund. Integers are minimal big-endian bytes (0 = empty), strings
 * UTF-8, addresses 20 raw bytes.
 */
import { RLP } from '@ethereumjs/rlp';
import { bigintToBytes, bytesToBigint } from '../state/accounts.js';
import { addressFromBytes, type Address } from '../util/address.js';
import { ProposalKind, ProposalStatus, type Proposal, type Vote } from './types.js';

export const STATE_KEY = 'g/state';

export function proposalKey(id: bigint): string {
  if (id < 0n || id >= 2n ** 64n) throw new Error(`proposal id out of range: ${id}`);
  return `g/p/${id.toString(16).padStart(16, '0')}`;
}

export interface GovState {
  /** The id the next proposal gets (ids start at 1). */
  nextId: bigint;
  /** Σ amounts held by open transfer-fund proposals. */
  held: bigint;
  /** Ids of open proposals, ascending. */
  open: bigint[];
}

type Nested = Uint8Array | Nested[];

const utf8 = new TextEncoder();
// ignoreBOM: a leading U+FEFF is part of the text, not a marker to drop.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function addrBytes(address: Address): Uint8Array {
  return Buffer.from(address.slice(2), 'hex');
}

function bytes(x: Nested | undefined, what: string): Uint8Array {
  if (!(x instanceof Uint8Array)) throw new Error(`corrupt governance record: ${what} is not a byte string`);
  return x;
}

function list(x: Nested | undefined, what: string): Nested[] {
  if (!Array.isArray(x)) throw new Error(`corrupt governance record: ${what} is not a list`);
  return x;
}

function int(x: Nested | undefined, what: string): bigint {
  return bytesToBigint(bytes(x, what));
}

function smallInt(x: Nested | undefined, what: string): number {
  const v = int(x, what);
  if (v > 255n) throw new Error(`corrupt governance record: ${what} out of range`);
  return Number(v);
}

export function encodeGovState(state: GovState): Uint8Array {
  return RLP.encode([bigintToBytes(state.nextId), bigintToBytes(state.held), state.open.map((id) => bigintToBytes(id))]);
}

export function decodeGovState(raw: Uint8Array | undefined): GovState {
  if (raw === undefined) return { nextId: 1n, held: 0n, open: [] };
  const f = list(RLP.decode(raw) as Nested, 'state');
  if (f.length !== 3) throw new Error('corrupt governance record: state');
  return {
    nextId: int(f[0], 'nextId'),
    held: int(f[1], 'held'),
    open: list(f[2], 'open').map((x) => int(x, 'open id')),
  };
}

export function encodeProposal(p: Proposal): Uint8Array {
  let payload: Nested;
  if (p.kind === ProposalKind.ParamChange) {
    if (p.param === null) throw new Error('param change proposal without payload');
    payload = [utf8.encode(p.param.name), utf8.encode(p.param.value)];
  } else {
    if (p.transfer === null) throw new Error('transfer fund proposal without payload');
    payload = [addrBytes(p.transfer.from), addrBytes(p.transfer.to), bigintToBytes(p.transfer.amount)];
  }
  const fields: Nested = [
    bigintToBytes(p.id),
    bigintToBytes(BigInt(p.kind)),
    bigintToBytes(BigInt(p.status)),
    addrBytes(p.proposer),
    utf8.encode(p.reason),
    bigintToBytes(p.createdHeight),
    bigintToBytes(p.createdTime),
    bigintToBytes(p.expiresAt),
    bigintToBytes(p.closedHeight),
    bigintToBytes(p.closedTime),
    utf8.encode(p.outcome),
    [bigintToBytes(p.finalTally.yes), bigintToBytes(p.finalTally.no), bigintToBytes(p.finalTally.total)],
    p.votes.map((v) => [addrBytes(v.voter), bigintToBytes(v.yes ? 1n : 0n)]),
    payload,
  ];
  return RLP.encode(fields);
}

function text(x: Nested | undefined, what: string): string {
  return utf8Decoder.decode(bytes(x, what));
}

export function decodeProposal(raw: Uint8Array): Proposal {
  const f = list(RLP.decode(raw) as Nested, 'proposal');
  if (f.length !== 14) throw new Error('corrupt governance record: proposal');
  const kind = smallInt(f[1], 'kind');
  const status = smallInt(f[2], 'status');
  if (kind !== ProposalKind.ParamChange && kind !== ProposalKind.TransferFund) {
    throw new Error('corrupt governance record: kind');
  }
  if (status > ProposalStatus.Expired) throw new Error('corrupt governance record: status');
  const tally = list(f[11], 'tally');
  if (tally.length !== 3) throw new Error('corrupt governance record: tally');
  const votes: Vote[] = list(f[12], 'votes').map((entry) => {
    const v = list(entry, 'vote');
    if (v.length !== 2) throw new Error('corrupt governance record: vote');
    return { voter: addressFromBytes(bytes(v[0], 'voter')), yes: int(v[1], 'vote') === 1n };
  });
  const payload = list(f[13], 'payload');
  const base = {
    id: int(f[0], 'id'),
    kind: kind as ProposalKind,
    status: status as ProposalStatus,
    proposer: addressFromBytes(bytes(f[3], 'proposer')),
    reason: text(f[4], 'reason'),
    createdHeight: int(f[5], 'createdHeight'),
    createdTime: int(f[6], 'createdTime'),
    expiresAt: int(f[7], 'expiresAt'),
    closedHeight: int(f[8], 'closedHeight'),
    closedTime: int(f[9], 'closedTime'),
    outcome: text(f[10], 'outcome'),
    finalTally: { yes: int(tally[0], 'yes'), no: int(tally[1], 'no'), total: int(tally[2], 'total') },
    votes,
  };
  if (kind === ProposalKind.ParamChange) {
    if (payload.length !== 2) throw new Error('corrupt governance record: param payload');
    return { ...base, param: { name: text(payload[0], 'name'), value: text(payload[1], 'value') }, transfer: null };
  }
  if (payload.length !== 3) throw new Error('corrupt governance record: transfer payload');
  return {
    ...base,
    param: null,
    transfer: {
      from: addressFromBytes(bytes(payload[0], 'from')),
      to: addressFromBytes(bytes(payload[1], 'to')),
      amount: int(payload[2], 'amount'),
    },
  };
}
