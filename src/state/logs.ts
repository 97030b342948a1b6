/** An Ethereum log (event), as emitted by contracts and by the system contracts. */
import type { Address } from '../util/address.js';

export interface EvmLog {
  address: Address;
  /** Up to four 32-byte topics; topics[0] is the event signature hash. */
  topics: Uint8Array[];
  data: Uint8Array;
}
