// npm-shrinkwrap.json for the packed package (npm pack / npm publish): npm
// ignores a dependency's package-lock.json but honours its shrinkwrap, so an
// install of the tarball gets exactly the locked versions of everything,
// consensus dependencies included (docs/EVM.md "Pinned dependencies").
// prepack writes it from package-lock.json; postpack (--remove) deletes it.
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';

const SHRINKWRAP = 'npm-shrinkwrap.json';
if (process.argv.includes('--remove')) {
  rmSync(SHRINKWRAP, { force: true });
} else {
  if (!existsSync('package-lock.json')) throw new Error('package-lock.json is missing: run npm install first');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  const root = lock.packages?.[''] ?? {};
  // A lockfile out of step with package.json would ship other versions than the pins.
  for (const [name, spec] of Object.entries(pkg.dependencies ?? {})) {
    if (root.dependencies?.[name] !== spec)
      throw new Error(`package-lock.json is stale for ${name} (${root.dependencies?.[name]} vs ${spec}): run npm install --package-lock-only`);
  }
  copyFileSync('package-lock.json', SHRINKWRAP);
}
