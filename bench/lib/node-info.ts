import { loadedMalloc } from '../../src/node/malloc.js';
import { missingV8Flags, NODE_V8_FLAGS } from '../../src/node/v8-flags.js';

/**
 * Node's version, whether it runs with a node's V8 flags (src/node/v8-flags.ts)
 * and which malloc (src/node/malloc.ts), for a bench's header.
 */
export function nodeDescription(): string {
  const missing = missingV8Flags();
  const flags = missing.length === 0 ? `V8 flags of a node: ${NODE_V8_FLAGS.join(' ')}` : `WITHOUT a node's V8 flags ${missing.join(' ')}`;
  const malloc = loadedMalloc();
  return `Node ${process.version}, ${flags}${malloc === undefined ? '' : `, malloc: ${malloc === 'jemalloc' ? 'jemalloc (a node’s)' : 'the C library’s (a node preloads jemalloc when installed)'}`}`;
}
