/**
 * The rooms of src/ and what each may import (docs/ARCHITECTURE.md, "Rooms").
 * `npm run lint:deps` checks every import, type-only ones included.
 *
 *   top:       cli (nothing imports it), localnet (only cli), node, rpc, ui,
 *              metrics, replay, export, sim, keys, comet
 *   app:       src/app
 *   services:  index, statesync (driven by the app, outside consensus)
 *   modules:   tx → evm, staking, gov, system
 *   state:     src/state
 *   store:     src/store
 *   util:      src/util (imports nothing of ours)
 *   transport: src/abci imports only util; below the app only its message
 *              types (src/abci/types.ts, src/abci/gen/) may be imported.
 */
const TOP = 'cli|localnet|node|rpc|metrics|replay|export|sim|keys|comet|ui';
const ABCI_TYPES = '^src/abci/(types\\.ts$|gen/)';

/** A rule: `from` room(s) may not import `to` room(s). */
function forbid(name, comment, from, to, toPathNot) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^src/(${from})/` },
    to: toPathNot === undefined ? { path: `^src/(${to})/` } : { path: `^src/(${to})/`, pathNot: toPathNot },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only ones included: a cycle means two files are one job split in two, or a room imports upward.',
      severity: 'error',
      from: { path: '^(src|bench|scripts)/' },
      to: { circular: true },
    },
    {
      name: 'browser-ui-apart',
      comment: 'The dashboard (ui/) runs in the browser: of the node it imports the pure income formula (`cmtd economics`), the contract ABIs, and types (erased from the bundle).',
      severity: 'error',
      from: { path: '^ui/' },
      to: { path: '^(src|test|bench|scripts)/', pathNot: '^src/staking/economics\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'node-not-to-browser-ui',
      comment: 'Nothing of the node imports the browser code: src/ui/server.ts serves its build (dist/ui). Unit tests may.',
      severity: 'error',
      from: { path: '^(src|bench|scripts)/' },
      to: { path: '^ui/' },
    },
    {
      name: 'no-src-to-test',
      comment: 'Production code never imports test support (test/support/).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'Production code imports only dependencies, never devDependencies (they are not installed with the package).',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    forbid('util-imports-nothing', 'src/util is the neutral ground every room may use: it imports nothing of ours.', 'util', '(?!util/)[^/]+'),
    forbid('store-below-state', 'The store knows keys and bytes, nothing of what they mean.', 'store', '(?!store/|util/)[^/]+'),
    forbid('state-over-store', 'Typed records over the KV: state imports only the store and util.', 'state', '(?!state/|store/|util/)[^/]+'),
    forbid('abci-transport-only', 'The transport knows nothing of the app or its modules (framing, connections, message types).', 'abci', '(?!abci/|util/)[^/]+'),
    forbid(
      'abci-types-only-below-top',
      'Below the top rooms only the ABCI message types may be imported, never the servers.',
      `(?!${['abci', ...TOP.split('|')].map((r) => `${r}/`).join('|')})[^/]+`,
      'abci',
      ABCI_TYPES,
    ),
    forbid(
      'modules-below-app',
      'Modules (tx, evm, staking, gov, system) never import the app, the services or the rooms above.',
      'tx|evm|staking|gov|system',
      `app|index|statesync|${TOP}`,
    ),
    forbid('ledgers-below-tx', 'Ledgers and the EVM are called by the transaction executor; they never import it.', 'evm|staking|gov|system', 'tx'),
    forbid('ledgers-below-evm', 'The EVM reaches system contracts through src/system, never a ledger directly; ledgers never import the EVM.', 'staking|gov|system', 'evm'),
    forbid('staking-gov-apart', 'The staking and governance ledgers are separate rooms; what they share lives in state/ or system/.', 'staking', 'gov'),
    forbid('gov-staking-apart', 'The staking and governance ledgers are separate rooms; what they share lives in state/ or system/.', 'gov', 'staking'),
    forbid('services-below-app', 'The index and state sync are driven by the app; they never import it or the rooms above.', 'index|statesync', `app|${TOP}`),
    forbid('app-below-top', 'The app never imports the rooms above it (JSON-RPC, CLI, node, metrics, ...): they reach it through its interfaces.', 'app', TOP),
    forbid('cli-is-the-top', 'Nothing imports the command line.', `(?!cli/)[^/]+`, 'cli'),
    forbid('localnet-for-cli-only', "The local network is `cmtd localnet`/`cmtd dev`'s (and the tests'): production rooms never import it.", `(?!cli/|localnet/)[^/]+`, 'localnet'),
    forbid('comet-is-a-client', 'src/comet is a client of CometBFT (RPC, files): it imports nothing of the app.', 'comet', '(?!comet/|util/)[^/]+', ABCI_TYPES),
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
