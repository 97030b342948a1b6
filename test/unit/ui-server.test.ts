/**
 * The staking dashboard's static server (src/ui/server.ts): only the built
 * files, only GET and HEAD, no way out of the build directory, security
 * headers on every answer; /config.json tells the page where the JSON-RPC is;
 * the dashboard's origins are added to the JSON-RPC's CORS list.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUiServer, uiOrigins, withUiOrigins, type UiServer } from '../../src/ui/server.js';

/** A raw HTTP request (fetch would normalise '..' out of the path). */
function raw(port: number, method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the dashboard server', () => {
  let dir: string;
  let server: UiServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmtd-ui-'));
    const build = join(dir, 'build');
    mkdirSync(join(build, 'assets'), { recursive: true });
    writeFileSync(join(build, 'index.html'), '<!doctype html><title>dashboard</title>');
    writeFileSync(join(build, 'app.js'), 'console.log(1)');
    writeFileSync(join(build, 'assets', 'logo.svg'), '<svg/>');
    writeFileSync(join(dir, 'secret.txt'), 'not for the web');
    symlinkSync(join(dir, 'secret.txt'), join(build, 'link.txt'));
    server = await startUiServer({ host: '127.0.0.1', port: 0, config: { rpcUrl: 'http://127.0.0.1:8545' }, dir: build });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the built files with their types and the security headers', async () => {
    const index = await raw(server.port, 'GET', '/');
    assert.equal(index.status, 200);
    assert.match(index.body, /<title>dashboard<\/title>/);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(String(index.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.match(String(index.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.equal(index.headers['x-frame-options'], 'DENY');
    assert.equal(index.headers['referrer-policy'], 'no-referrer');
    assert.equal((await raw(server.port, 'GET', '/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await raw(server.port, 'GET', '/assets/logo.svg?v=1')).body, '<svg/>', 'a nested file; the query is ignored');
    const head = await raw(server.port, 'HEAD', '/app.js');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], String('console.log(1)'.length));
  });

  it('tells the page where the JSON-RPC is', async () => {
    const config = await raw(server.port, 'GET', '/config.json');
    assert.equal(config.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(config.body), { rpcUrl: 'http://127.0.0.1:8545' });
  });

  it('answers only GET and HEAD, and nothing outside the built files', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const answer = await raw(server.port, method, '/');
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.allow, 'GET, HEAD');
    }
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/secret.txt',
      '/assets',
      '/assets/',
      '//etc/passwd',
      '/index.html/',
    ]) {
      const answer = await raw(server.port, 'GET', path);
      assert.equal(answer.status, 404, path);
      assert.doesNotMatch(answer.body, /not for the web/);
    }
    // A symbolic link inside the build is not followed out of it.
    assert.equal((await raw(server.port, 'GET', '/link.txt')).status, 404);
  });

  it('refuses to start without a build, naming the command that makes one', async () => {
    await assert.rejects(startUiServer({ host: '127.0.0.1', port: 0, config: { rpcUrl: 'http://x' }, dir: join(dir, 'nothing') }), /npm run build:ui/);
  });

  it("adds the dashboard's origins to the JSON-RPC's CORS list", () => {
    assert.deepEqual(uiOrigins('127.0.0.1', 8540), ['http://127.0.0.1:8540', 'http://localhost:8540']);
    assert.deepEqual(uiOrigins('192.168.1.5', 80), ['http://192.168.1.5:80']);
    assert.equal(withUiOrigins(undefined, ['http://127.0.0.1:8540']), 'http://127.0.0.1:8540');
    assert.equal(withUiOrigins('*', ['http://127.0.0.1:8540']), '*');
    assert.equal(withUiOrigins('https://app.example, http://127.0.0.1:8540', ['http://127.0.0.1:8540']), 'https://app.example,http://127.0.0.1:8540');
  });
});
