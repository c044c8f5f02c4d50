import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connection, PeerId } from '@libp2p/interface';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { openConnectionTo, openPeerStream, requestAddrs, type StreamNode } from './peer-stream.ts';

const RELAY = '/ip4/127.0.0.1/tcp/9000/ws/p2p/12D3KooWRelayRelayRelayRelayRelayRelayRelayRelayRelay1';

async function peerId(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
}

/** A connection as far as openPeerStream looks at it: status, limits, and the streams it opened. */
function connection(limited: boolean, opened: string[], status = 'open'): Connection {
  return {
    status,
    limits: limited ? { bytes: 1n << 17n } : undefined,
    newStream: async (protocol: string) => {
      opened.push(protocol);
      return { protocol } as never;
    },
  } as unknown as Connection;
}

/** A node holding `conns`, recording what it is asked to dial (no I/O). */
function nodeWith(conns: Connection[], dialled: unknown[], dialTo: Connection): StreamNode {
  return {
    getConnections: () => conns,
    dial: async (target: unknown) => {
      dialled.push(target);
      return dialTo;
    },
  } as unknown as StreamNode;
}

describe('peer streams for requests', () => {
  it('dials announced addresses and the relay circuit, never WebRTC ones (DirectDialer makes those)', async () => {
    const id = (await peerId()).toString();
    const circuit = `${RELAY}/p2p-circuit/p2p/${id}`;
    const addrs = requestAddrs(id, [circuit, `${RELAY}/p2p-circuit/webrtc/p2p/${id}`, 'not an address'], { peer: 'relay', addr: RELAY });
    assert.deepEqual(
      addrs.map((a) => a.toString()),
      [circuit],
      'the WebRTC address and the one that does not parse are left out; the circuit address once',
    );
    // the relay itself is dialled by what it announced (its id when nothing)
    assert.deepEqual(requestAddrs('relay', [], { peer: 'relay', addr: RELAY }), []);
    // no relay yet: what the peer announced
    assert.deepEqual(requestAddrs(id, [circuit]).map(String), [circuit]);
  });

  it('uses an open connection, direct before relayed, and dials only when none is open', async () => {
    const id = await peerId();
    const opened: string[] = [];
    const relayed = connection(true, opened);
    const direct = connection(false, opened);
    const closing = connection(false, opened, 'closing');
    assert.equal(openConnectionTo(nodeWith([relayed, closing, direct], [], direct), id), direct);
    assert.equal(openConnectionTo(nodeWith([closing, relayed], [], direct), id), relayed, 'a relayed connection is used, not redialled');
    assert.equal(openConnectionTo(nodeWith([closing], [], direct), id), undefined);

    const dialled: unknown[] = [];
    const signal = AbortSignal.timeout(1_000);
    await openPeerStream(nodeWith([relayed], dialled, direct), id, [], '/p/1', { signal });
    assert.deepEqual(dialled, [], 'the relayed connection carries the request');
    const addrs = requestAddrs(id.toString(), [], { peer: 'relay', addr: RELAY });
    const { connection: used } = await openPeerStream(nodeWith([], dialled, direct), id, addrs, '/p/2', { signal });
    assert.equal(used, direct);
    assert.deepEqual(dialled, [addrs], 'nothing open: the circuit address is dialled');
    await openPeerStream(nodeWith([], dialled, direct), id, [], '/p/3', { signal });
    assert.equal(dialled.at(-1), id, 'no address at all: libp2p dials the peer id');
    assert.deepEqual(opened, ['/p/1', '/p/2', '/p/3']);
  });
});
