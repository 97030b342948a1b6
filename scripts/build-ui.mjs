#!/usr/bin/env node
// Builds the staking dashboard (ui/) into dist/ui with esbuild: index.html,
// app.js (Preact, uPlot, viem and the shared income formula in one minified
// ES module) and app.css. `cmtd start|dev|localnet --ui-address` serves it
// (src/ui/server.ts). Run by `npm run build`, the tests and the Docker build.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'ui');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
await build({
  entryPoints: { app: join(ROOT, 'ui', 'src', 'main.tsx') },
  outdir: OUT,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(ROOT, 'ui', 'index.html'), join(OUT, 'index.html'));
process.stdout.write(`built the staking dashboard into ${OUT}\n`);
