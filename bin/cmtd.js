#!/usr/bin/env -S node --max-semi-space-size=64
// Launcher: runs the compiled CLI (`npm run build`) when it is up to date, or
// the TypeScript sources through tsx in a development checkout (no build, or
// sources edited since the last one), so a stale build never runs by mistake.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const sources = join(root, 'src');
const useCompiled = existsSync(compiled) && (!existsSync(sources) || statSync(compiled).mtimeMs >= newestSource(sources));
if (useCompiled) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(sources, 'cli', 'main.ts')).href);
}
