/**
 * Where a Star finds its relay: the HTTP(S) URL the page or `/star.js` was loaded from is
 * also the relay's WebSocket endpoint (one port for everything), so the libp2p multiaddr
 * follows from the URL and the relay's peer id (served at `/relay.json`).
 */
import { StarError } from '../errors.ts';

export function relayMultiaddr(relayUrl: string, peerId: string): string {
  let url: URL;
  try {
    url = new URL(relayUrl);
  } catch {
    throw new StarError('INVALID_ARGUMENT', `relay "${relayUrl}" is not a URL: pass the http(s) address the relay serves, e.g. http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StarError('INVALID_ARGUMENT', `relay "${relayUrl}" must be an http:// or https:// address`);
  }
  if (!/^[1-9A-HJ-NP-Za-km-z]{46,60}$/.test(peerId)) {
    throw new StarError('RELAY_UNREACHABLE', `the server at ${url.origin} did not give a valid relay peer id: is it a Starweave relay?`);
  }
  const secure = url.protocol === 'https:';
  const port = url.port !== '' ? url.port : secure ? '443' : '80';
  const host = url.hostname;
  let hostPart: string;
  if (host.startsWith('[')) hostPart = `/ip6/${host.slice(1, -1)}`;
  else if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) hostPart = `/ip4/${host}`;
  else hostPart = `/dns/${host}`;
  return `${hostPart}/tcp/${port}/${secure ? 'tls/ws' : 'ws'}/p2p/${peerId}`;
}

/** The relay's base URL, without trailing path, from a page or script URL. */
export function relayBaseUrl(fromUrl: string): string {
  return new URL(fromUrl).origin;
}
