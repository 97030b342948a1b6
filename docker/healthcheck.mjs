#!/usr/bin/env node
// The image's HEALTHCHECK: healthy (exit 0) when the node's block height is
// above the height this check saw last time and its Ethereum JSON-RPC
// answers; unhealthy (exit 1, with the reason) otherwise. So a node that is
// up but stuck (no peers, halted chain, hung cmtd) turns unhealthy after
// the Dockerfile's --retries checks, and a node catching up stays healthy.
//
// The RPC addresses come from $CMTD_HEALTH_FILE (default
// /tmp/cmtd-health.json), which docker/entrypoint.mjs writes; without it
// (e.g. `cmtd start` run by hand in the image) the defaults of `cmtd start`
// and CometBFT are checked: http://127.0.0.1:26657 and :8545.
import { readFileSync, writeFileSync } from 'node:fs';

const HEALTH_FILE = process.env.CMTD_HEALTH_FILE || '/tmp/cmtd-health.json';
const TIMEOUT_MS = 4_000;

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function unhealthy(reason) {
  process.stdout.write(`unhealthy: ${reason}\n`);
  process.exit(1);
}

const target = readJson(HEALTH_FILE) ?? { cometRpc: 'http://127.0.0.1:26657', ethRpc: 'http://127.0.0.1:8545' };
const heightFile = `${HEALTH_FILE}.height`;

async function main() {
  let height;
  try {
    const res = await fetch(`${target.cometRpc}/status`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await res.json();
    height = Number(body.result.sync_info.latest_block_height);
  } catch (err) {
    unhealthy(`CometBFT RPC ${target.cometRpc} does not answer (${err.message})`);
  }
  try {
    const res = await fetch(target.ethRpc, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const body = await res.json();
    if (typeof body.result !== 'string') throw new Error(JSON.stringify(body.error ?? body));
  } catch (err) {
    unhealthy(`cmtd JSON-RPC ${target.ethRpc} does not answer (${err.message})`);
  }
  const last = Number(readJson(heightFile) ?? 0);
  writeFileSync(heightFile, `${height}\n`);
  if (!(height > last)) unhealthy(`block height ${height} has not advanced since the last check`);
  process.stdout.write(`healthy: height ${height}\n`);
}

await main();
