/**
 * ABCI listen addresses, in CometBFT's notation:
 *   tcp://host:port   (also host:port; IPv6 as tcp://[::1]:port)
 *   unix:///abs/path  (also unix://rel/path)
 *
 * A unix socket is created with mode 0600: only the user running cmtd (and
 * root) can connect, so only a CometBFT run by that user can drive the app.
 */
import { chmodSync } from 'node:fs';

export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function parseListenAddress(address: string): ListenAddress {
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (path === '') throw new Error(`invalid ABCI address '${address}': empty socket path`);
    return { kind: 'unix', path };
  }
  let rest = address;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest);
  if (scheme) {
    const name = (scheme[1] ?? '').toLowerCase();
    if (name !== 'tcp' && name !== 'grpc') throw new Error(`invalid ABCI address '${address}': unsupported scheme`);
    rest = rest.slice(scheme[0].length);
  }
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw new Error(`invalid ABCI address '${address}'`);
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon < 0) throw new Error(`invalid ABCI address '${address}': expected host:port`);
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
  }
  if (!/^\d+$/.test(portText)) throw new Error(`invalid ABCI address '${address}': bad port`);
  const port = Number(portText);
  if (port > 65535) throw new Error(`invalid ABCI address '${address}': bad port`);
  if (host === '') host = '0.0.0.0';
  return { kind: 'tcp', host, port };
}

export function formatListenAddress(a: ListenAddress): string {
  if (a.kind === 'unix') return `unix://${a.path}`;
  return a.host.includes(':') ? `tcp://[${a.host}]:${a.port}` : `tcp://${a.host}:${a.port}`;
}

/** Owner read/write only: connecting to a unix socket needs write permission on it. */
export function makeSocketPrivate(path: string): void {
  chmodSync(path, 0o600);
}
