/**
 * Ethereum addresses as every room spells them: the `Address` type and its
 * checks. Neutral ground (src/util): the transport, the modules, the JSON-RPC
 * and the CLI all use them without importing state.
 */

/** A lower-case, 0x-prefixed, 20-byte hex address. */
export type Address = `0x${string}`;

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

export function isAddress(value: string): boolean {
  return ADDRESS_RE.test(value);
}

/** Lower-cases and checks an address; throws a readable error on anything else. */
export function toAddress(value: string): Address {
  if (!ADDRESS_RE.test(value)) throw new Error(`invalid address '${value}': expected 0x followed by 40 hex digits`);
  return value.toLowerCase() as Address;
}

export function addressFromBytes(bytes: Uint8Array): Address {
  if (bytes.length !== 20) throw new Error(`an address has 20 bytes, got ${bytes.length}`);
  return `0x${Buffer.from(bytes).toString('hex')}`;
}
