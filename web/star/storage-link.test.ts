/**
 * StorageLink between real libp2p nodes (WebSockets, noise, yamux on loopback): the stream
 * transport a browser Star uses over WebRTC and the relay, minus the browser. The worker is
 * a stand-in that records the frames it is handed.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { webSockets } from '@libp2p/websockets';
import type { Remote } from 'comlink';
import { createLibp2p } from 'libp2p';
import { MAX_STORE_MESSAGE_BYTES, STORE_PROTOCOL } from '../../shared/storage/wire.ts';
import type { StarCoreApi } from '../../worker/star-core.ts';
import type { PeerFrames } from './frame-batch.ts';
import { StorageLink } from './storage-link.ts';

interface Side {
  node: Libp2p;
  link: StorageLink;
  /** every frame the worker stand-in was handed, per sending peer, in order */
  got: Map<string, Uint8Array[]>;
  calls: number;
  id: string;
}

const base = () => ({
  transports: [webSockets(), circuitRelayTransport()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionGater: { denyDialMultiaddr: async () => false },
});

async function side(listen: string[]): Promise<Side> {
  const node = await createLibp2p({ ...base(), addresses: { listen }, services: { identify: identify() } });
  const s: Side = { node, link: undefined as unknown as StorageLink, got: new Map(), calls: 0, id: node.peerId.toString() };
  const core = {
    storageFrames: async (batch: PeerFrames) => {
      s.calls++;
      for (const { peerId, frames } of batch) s.got.set(peerId, [...(s.got.get(peerId) ?? []), ...frames]);
    },
  } as unknown as Remote<StarCoreApi>;
  s.link = new StorageLink(node, core);
  await s.link.start();
  return s;
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

const frame = (tag: number, size = 16): Uint8Array => new Uint8Array(size).fill(tag);
const tags = (s: Side, from: Side) => (s.got.get(from.id) ?? []).map((f) => f[0]);
const storeStreams = (s: Side, peer: Side) =>
  s.node
    .getConnections(peer.node.peerId)
    .flatMap((c) => c.streams)
    .filter((st) => st.protocol === STORE_PROTOCOL && st.status === 'open');

describe('StorageLink', () => {
  let a: Side;
  let b: Side;
  const debug = console.debug;

  before(async () => {
    console.debug = () => {};
    a = await side(['/ip4/127.0.0.1/tcp/0/ws']);
    b = await side([]);
  });

  after(async () => {
    console.debug = debug;
    a.link.stop();
    b.link.stop();
    await Promise.all([a.node.stop(), b.node.stop()]);
  });

  it('dials a peer through the addresses the worker gives, and hands its frames over in one batch', async () => {
    b.link.send(a.id, a.node.getMultiaddrs().map(String), [frame(1), frame(2), frame(3)]);
    await until('a got 3 frames', () => tags(a, b).length === 3);
    assert.deepEqual(tags(a, b), [1, 2, 3]);
    assert.equal(a.calls, 1);
  });

  it('answers on the stream the peer opened (duplex), without dialling a second one', async () => {
    // b listens nowhere: only the stream b opened can carry this
    a.link.send(b.id, [], [frame(4)]);
    await until('b got frame 4', () => tags(b, a).length === 1);
    assert.deepEqual(tags(b, a), [4]);
    assert.equal(storeStreams(a, b).length, 1);
    assert.equal(storeStreams(b, a).length, 1);
    b.link.send(a.id, [], [frame(5)]);
    await until('a got frame 5', () => tags(a, b).length === 4);
    assert.equal(storeStreams(b, a).length, 1);
  });

  it('carries frames up to the wire limit intact and in order; refuses a bigger one without losing the stream', async () => {
    const big = Array.from({ length: 7 }, (_, i) => frame(10 + i, 1_000_000 + i));
    const warn = console.warn;
    const warned: string[] = [];
    console.warn = (m: string) => void warned.push(m);
    b.link.send(a.id, [], [frame(9, MAX_STORE_MESSAGE_BYTES + 1)]);
    console.warn = warn;
    assert.match(warned[0] ?? '', /not sending a \d+-byte frame/);
    b.link.send(a.id, [], big);
    b.link.send(a.id, [], [frame(20, MAX_STORE_MESSAGE_BYTES)]);
    await until('a got the big frames', () => tags(a, b).length === 4 + 8, 20_000);
    const got = a.got.get(b.id)!.slice(4);
    assert.deepEqual(got.map((f) => [f[0], f.byteLength, f.every((x) => x === f[0])]), [
      ...big.map((f) => [f[0], f.byteLength, true]),
      [20, MAX_STORE_MESSAGE_BYTES, true],
    ]);
    // each frame owns its buffer (the worker takes it over)
    for (const f of got) assert.equal(f.byteLength, f.buffer.byteLength);
    assert.equal(storeStreams(b, a).length, 1);
  });

  it('drops a stream that breaks and dials a new one on the next send', async () => {
    const [broken] = storeStreams(a, b);
    broken!.abort(new Error('test: the stream broke'));
    await until('b forgot the stream', () => (b.link.lanesView()[a.id]?.streams ?? 0) === 0);
    b.link.send(a.id, a.node.getMultiaddrs().map(String), [frame(30)]);
    await until('a got frame 30', () => tags(a, b).at(-1) === 30);
    assert.equal(storeStreams(b, a).length, 1);
    a.link.send(b.id, [], [frame(31)]);
    await until('b got frame 31', () => tags(b, a).at(-1) === 31);
  });

  it('a peer closing its half ends the stream on both sides; the next send opens a new one', async () => {
    const [mine] = storeStreams(a, b);
    await mine!.close();
    await until('both sides forgot the stream', () => (a.link.lanesView()[b.id]?.streams ?? 0) === 0 && (b.link.lanesView()[a.id]?.streams ?? 0) === 0);
    b.link.send(a.id, [], [frame(32)]);
    await until('a got frame 32', () => tags(a, b).at(-1) === 32);
  });

  it('drops the frames for a peer it cannot reach, and goes on with the others', async () => {
    const nowhere = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();
    b.link.send(nowhere, [], [frame(40), frame(41)]);
    assert.equal(b.link.lanesView()[nowhere]?.queued, 2);
    await until('the lane for the unreachable peer is gone', () => !(nowhere in b.link.lanesView()));
    const warn = console.warn;
    console.warn = () => {};
    b.link.send('not a peer id', [], [frame(43)]);
    console.warn = warn;
    assert.ok(!('not a peer id' in b.link.lanesView()));
    b.link.send(a.id, [], [frame(42)]);
    await until('a got frame 42', () => tags(a, b).at(-1) === 42);
  });

  it('stop closes every store stream', async () => {
    const c = await side([]);
    try {
      c.link.send(a.id, a.node.getMultiaddrs().map(String), [frame(50)]);
      await until('a got frame 50 from c', () => tags(a, c).length === 1);
      c.link.stop();
      await until("a's stream with c is gone", () => storeStreams(a, c).length === 0 && !(c.id in a.link.lanesView()));
      c.link.send(a.id, [], [frame(51)]);
      await sleep(50);
      assert.deepEqual(tags(a, c), [50]);
    } finally {
      await c.node.stop();
    }
  });
});

describe('StorageLink through the relay', () => {
  const debug = console.debug;
  let relay: Libp2p;
  let x: Side;
  let y: Side;

  before(async () => {
    console.debug = () => {};
    relay = await createLibp2p({ ...base(), addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] }, services: { identify: identify(), relay: circuitRelayServer() } });
    // y is reachable through its reservation on the relay (and, later, directly)
    y = await side(['/ip4/127.0.0.1/tcp/0/ws', '/p2p-circuit']);
    x = await side([]);
    await y.node.dial(relay.getMultiaddrs()[0]!);
    await until('y holds a reservation', () => y.node.getMultiaddrs().some((m) => m.toString().includes('/p2p-circuit')));
    x.link.relayConnected(relay.peerId.toString(), relay.getMultiaddrs()[0]!.toString());
  });

  after(async () => {
    console.debug = debug;
    x.link.stop();
    y.link.stop();
    await Promise.all([x.node.stop(), y.node.stop(), relay.stop()]);
  });

  it('reaches a Star through its relay reservation alone (a limited connection), both ways', async () => {
    x.link.send(y.id, [], [frame(1)]);
    await until('y got frame 1', () => tags(y, x).length === 1);
    const [stream] = storeStreams(x, y);
    const conn = x.node.getConnections(y.node.peerId).find((c) => c.streams.includes(stream!));
    assert.ok(conn?.limits, 'the stream runs over the relayed connection');
    y.link.send(x.id, [], [frame(2)]);
    await until('x got frame 2', () => tags(x, y).length === 1);
  });

  it('moves to a direct connection once there is one, and the relayed stream closes', async () => {
    const direct = y.node.getMultiaddrs().find((m) => !m.toString().includes('/p2p-circuit'))!;
    await x.node.dial(direct);
    x.link.send(y.id, [], [frame(3)]);
    await until('y got frame 3', () => tags(y, x).at(-1) === 3);
    await until('only the direct stream is left', () => {
      const streams = storeStreams(x, y);
      const conns = x.node.getConnections(y.node.peerId);
      return streams.length === 1 && conns.some((c) => c.limits == null && c.streams.includes(streams[0]!));
    });
    // y writes on the stream x opened over the direct connection
    y.link.send(x.id, [], [frame(4)]);
    await until('x got frame 4', () => tags(x, y).at(-1) === 4);
    assert.equal(storeStreams(y, x).length, 1);
    assert.deepEqual(tags(y, x), [1, 3]);
  });
});
