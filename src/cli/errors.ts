/**
 * Exit codes of `cmtd`: 1 for an error or a transaction that failed in its
 * block, 2 for a transaction refused before it was signed (its simulation
 * failed: nothing was sent, no fee was charged).
 */
export const EXIT_REFUSED = 2;

/** An error that ends the command with its own exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
