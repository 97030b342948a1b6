#!/usr/bin/env node
// Launcher: runs the compiled CLI (npm run build), or the TypeScript sources
// through tsx in a development checkout that has not been built.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { register } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');
if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  register('tsx/esm', pathToFileURL(`${root}/`));
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
