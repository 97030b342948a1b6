/** Stable ABCI query result codes (codespace `cmtd`). */
export enum QueryCode {
  Ok = 0,
  UnknownPath = 1,
  BadRequest = 2,
  NotFound = 3,
  HeightUnavailable = 4,
}

/** Thrown by a query: becomes a non-zero ABCI query code with this message. */
export class QueryError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}
