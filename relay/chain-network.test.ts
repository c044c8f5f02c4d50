/**
 * The relay's chain protocols seen from a libp2p peer (a Node stand-in for a Star): the
 * faucet's payout arrives on the chain topic, chain-sync answers with the faucet's history,
 * and a forged block is rejected by the relay's validator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { gossipsub, type GossipSub, type Message } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { webSockets } from '@libp2p/websockets';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { addressFromPublicKey, publicKeyFromAddress } from '../shared/chain/address.ts';
import { decodeChainMessage, encodeChainMessage, GOSSIP_LIMITS, MAX_STREAM_BYTES, STREAM_LIMITS, SYNC_PROTOCOL } from '../shared/chain/chain-message.ts';
import { decodeHalfBlock, encodeHalfBlock } from '../shared/chain/half-block.ts';
import { nextBlock, testAccount } from '../shared/chain/test-signer.ts';
import { gossipOptions } from '../shared/gossip/gossip-config.ts';
import { CHAIN_TOPIC } from '../shared/gossip/topics.ts';
import { exchange } from '../shared/net/lp-exchange.ts';
import { startRelay, type RelayProcess } from '../tests/e2e/support/relay-process.ts';

type Peer = Libp2p<{ pubsub: GossipSub; identify: unknown }>;

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function rejectedCount(relay: RelayProcess): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  return Number(/starweave_relay_gossip_messages_total\{verdict="reject"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe('relay chain protocols over libp2p', () => {
  let relay: RelayProcess;
  let peer: Peer;
  let relayAddr: ReturnType<typeof multiaddr>;
  const received: Message[] = [];

  before(async () => {
    relay = await startRelay();
    const { peerId } = (await (await fetch(`${relay.url}/relay.json`)).json()) as { peerId: string };
    relayAddr = multiaddr(`/ip4/127.0.0.1/tcp/${relay.port}/ws/p2p/${peerId}`);
    peer = (await createLibp2p({
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialMultiaddr: async () => false },
      services: { identify: identify(), pubsub: gossipsub(gossipOptions('star')) },
    })) as Peer;
    peer.services.pubsub.addEventListener('message', (e) => received.push(e.detail));
    peer.services.pubsub.subscribe(CHAIN_TOPIC);
    await peer.dial(relayAddr);
    // the relay is in the chain topic from the start; wait until both sides know it
    await until('the relay on the chain topic', () => (peer.services.pubsub.getSubscribers(CHAIN_TOPIC).some((p) => p.toString() === peerId) ? true : undefined));
    await new Promise((r) => setTimeout(r, 1_500));
  });

  after(async () => {
    await peer?.stop();
    await relay?.stop();
  });

  it('gossips a faucet payout on the chain topic', async () => {
    const address = addressFromPublicKey(testAccount(1).pk);
    const res = await fetch(`${relay.url}/faucet`, { method: 'POST', body: JSON.stringify({ address }) });
    assert.equal(res.status, 200);
    const paid = (await res.json()) as { block: string };
    const msg = await until('the payout on gossip', () => received.find((m) => m.topic === CHAIN_TOPIC));
    const decoded = decodeChainMessage(msg.data, GOSSIP_LIMITS);
    assert.ok(decoded.ok && decoded.value.t === 'blocks');
    assert.deepEqual(decoded.value.blocks, [new Uint8Array(Buffer.from(paid.block, 'base64'))]);
  });

  it('answers chain-sync with the faucet blocks the asker lacks', async () => {
    await fetch(`${relay.url}/faucet`, { method: 'POST', body: JSON.stringify({ address: addressFromPublicKey(testAccount(2).pk) }) });
    const genesis = (await (await fetch(`${relay.url}/genesis.json`)).json()) as { allocations: Array<{ address: string }> };
    const faucetPk = publicKeyFromAddress(genesis.allocations[0]!.address);
    const sync = async (heads: Array<[Uint8Array, number]>) => {
      const stream = await peer.dialProtocol(relayAddr, SYNC_PROTOCOL);
      const answer = decodeChainMessage(await exchange(stream, encodeChainMessage({ t: 'sync', heads }), MAX_STREAM_BYTES), STREAM_LIMITS);
      assert.ok(answer.ok && answer.value.t === 'blocks');
      return answer.value.blocks.map((b) => {
        const d = decodeHalfBlock(b);
        assert.ok(d.ok);
        return d.value.seq;
      });
    };
    assert.deepEqual(await sync([]), [1, 2]);
    assert.deepEqual(await sync([[faucetPk, 1]]), [2]);
    const garbage = await peer.dialProtocol(relayAddr, SYNC_PROTOCOL);
    const empty = decodeChainMessage(await exchange(garbage, new Uint8Array([1, 2, 3]), MAX_STREAM_BYTES), STREAM_LIMITS);
    assert.ok(empty.ok && empty.value.t === 'blocks' && empty.value.blocks.length === 0, 'a malformed request gets an empty answer');
  });

  it('rejects a block with a forged signature (counted in the gossip metric)', async () => {
    const before = await rejectedCount(relay);
    const alice = testAccount(7);
    const block = nextBlock(alice, undefined, { linkPk: testAccount(8).pk, amount: 5, time: Date.now() });
    const forged = { ...block, sig: block.sig.map((x, i) => (i === 0 ? x ^ 1 : x)) };
    await peer.services.pubsub.publish(CHAIN_TOPIC, encodeChainMessage({ t: 'blocks', blocks: [encodeHalfBlock(forged)], more: false, proofs: [] }));
    await until('a reject verdict', async () => ((await rejectedCount(relay)) > before ? true : undefined));
  });
});
