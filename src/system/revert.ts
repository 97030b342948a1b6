/**
 * Solidity revert reasons in revert data: the one encoder of `Error(string)`
 * (what a refused system call returns, so wallets and calling contracts read
 * the reason) and the decoder the EVM's failure messages, traces and the CLI
 * use. Revert data is in the receipt, so this encoding is consensus.
 */

const ERROR_SELECTOR = '08c379a0';
const PANIC_SELECTOR = '4e487b71';

/** ABI encoding of `Error(string)` with `message` (UTF-8), the standard Solidity revert reason. */
export function encodeRevertReason(message: string): Uint8Array {
  const text = Buffer.from(message, 'utf8');
  const padded = Math.ceil(text.length / 32) * 32;
  const out = Buffer.alloc(4 + 32 + 32 + padded);
  Buffer.from(ERROR_SELECTOR, 'hex').copy(out, 0);
  out.writeUInt8(0x20, 4 + 31);
  out.writeUInt32BE(text.length, 4 + 32 + 28);
  text.copy(out, 4 + 64);
  return out;
}

/** The Solidity revert reason in revert data: Error(string) text, Panic(uint256) code, or undefined. */
export function decodeRevertReason(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined;
  const selector = Buffer.from(data.subarray(0, 4)).toString('hex');
  const body = Buffer.from(data.subarray(4));
  if (selector === ERROR_SELECTOR && body.length >= 64) {
    const offset = Number(BigInt(`0x${body.subarray(0, 32).toString('hex')}`) & 0xffffffffn);
    if (offset + 32 > body.length) return undefined;
    const length = Number(BigInt(`0x${body.subarray(offset, offset + 32).toString('hex')}`) & 0xffffffffn);
    if (offset + 32 + length > body.length) return undefined;
    return body.subarray(offset + 32, offset + 32 + length).toString('utf8');
  }
  if (selector === PANIC_SELECTOR && body.length >= 32) {
    return `panic 0x${BigInt(`0x${body.subarray(0, 32).toString('hex')}`).toString(16)}`;
  }
  return undefined;
}
