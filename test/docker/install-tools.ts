/**
 * `make docker-tools`: installs the Docker CLI (docker.io) and the Compose v2
 * plugin where missing, without starting a daemon. .ci/run runs it before
 * `make test`, so that test/unit/docker-compose.test.ts checks
 * docker-compose.yml with `docker compose config` instead of skipping it.
 */
import { ensureComposePlugin, ensurePackages, run } from './engine.js';

const log = (line: string): void => console.log(`[docker-tools] ${line}`);
await ensurePackages(log);
await ensureComposePlugin(log);
log((await run('docker', ['compose', 'version'])).trim());
