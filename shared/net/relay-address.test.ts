import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { relayBaseUrl, relayMultiaddr } from './relay-address.ts';

const id = '12D3KooWK1fNqtjEFSmzAgghG515pr9VFJ1y7o1PVEsUQoZhRgSX';

describe('relay address', () => {
  it('derives the WebSocket multiaddr from the page URL', () => {
    assert.equal(relayMultiaddr('http://127.0.0.1:8080', id), `/ip4/127.0.0.1/tcp/8080/ws/p2p/${id}`);
    assert.equal(relayMultiaddr('https://star.example', id), `/dns/star.example/tcp/443/tls/ws/p2p/${id}`);
    assert.equal(relayMultiaddr('http://localhost', id), `/dns/localhost/tcp/80/ws/p2p/${id}`);
    assert.equal(relayMultiaddr('http://[::1]:9000/', id), `/ip6/::1/tcp/9000/ws/p2p/${id}`);
  });

  it('rejects what is not a relay with an actionable error', () => {
    assert.throws(() => relayMultiaddr('not a url', id), { code: 'INVALID_ARGUMENT', message: /http:\/\/127\.0\.0\.1:8080/ });
    assert.throws(() => relayMultiaddr('ftp://x', id), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => relayMultiaddr('http://x', 'not-a-peer-id'), { code: 'RELAY_UNREACHABLE', message: /Starweave relay/ });
  });

  it('takes the origin of a page or script URL', () => {
    assert.equal(relayBaseUrl('http://127.0.0.1:8080/star.js?x=1'), 'http://127.0.0.1:8080');
  });
});
