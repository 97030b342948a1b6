/** Stable ABCI query result codes (codespace `cmtd`). */
export enum QueryCode {
  Ok = 0,
  UnknownPath = 1,
  BadRequest = 2,
  NotFound = 3,
  HeightUnavailable = 4,
}
