import { missingV8Flags, NODE_V8_FLAGS } from '../../src/node/v8-flags.js';

/** Node's version and whether it runs with a node's V8 flags (src/node/v8-flags.ts), for a bench's header. */
export function nodeDescription(): string {
  const missing = missingV8Flags();
  return `Node ${process.version}, ${missing.length === 0 ? `V8 flags of a node: ${NODE_V8_FLAGS.join(' ')}` : `WITHOUT a node's V8 flags ${missing.join(' ')}`}`;
}
