/**
 * The relay process frees a Star's reservation when the Star leaves: a real relay, and a
 * Node libp2p peer (a stand-in for a Star's node, with the same circuit relay transport)
 * that reserves a slot, then disconnects, then comes back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { webSockets } from '@libp2p/websockets';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { startRelay, type RelayProcess } from '../tests/e2e/support/relay-process.ts';

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function reservationsHeld(relay: RelayProcess): Promise<number> {
  const body = (await (await fetch(`${relay.url}/health`)).json()) as { relay: { reservations: number } };
  return body.relay.reservations;
}

function starLikeNode(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/p2p-circuit'] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: async () => false },
    services: { identify: identify() },
  });
}

const hasCircuitAddr = (node: Libp2p) => node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit'));

describe('relay reservations', () => {
  let relay: RelayProcess;
  let relayAddr: Multiaddr;
  before(async () => {
    relay = await startRelay();
    const { peerId } = (await (await fetch(`${relay.url}/relay.json`)).json()) as { peerId: string };
    relayAddr = multiaddr(`/ip4/127.0.0.1/tcp/${relay.port}/ws/p2p/${peerId}`);
  });
  after(async () => {
    await relay.stop();
  });

  it('frees a Star’s reservation when its connection closes, and grants it again when the Star is back', async () => {
    const star = await starLikeNode();
    try {
      await star.dial(relayAddr);
      await until('the Star to hold a reservation', () => hasCircuitAddr(star));
      assert.equal(await reservationsHeld(relay), 1);

      await star.hangUp(relayAddr);
      await until('the relay to free the reservation', async () => (await reservationsHeld(relay)) === 0);

      await star.dial(relayAddr);
      await until('the Star to reserve again', async () => hasCircuitAddr(star) && (await reservationsHeld(relay)) === 1);
    } finally {
      await star.stop();
    }
    await until('the relay to free it when the Star stops', async () => (await reservationsHeld(relay)) === 0);
  });
});
