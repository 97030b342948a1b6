/**
 * The cmtd release: the version in package.json, the one place to change at a
 * release (Info's `version`, `web3_clientVersion`, `cmtd version`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// src/util/version.ts, or dist/src/util/version.js once built.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', import.meta.url.endsWith('.ts') ? '' : '..');

export const CMTD_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
