/**
 * Real processes: the relay and Galaxy processes as `npm start` runs them, with a Node
 * libp2p peer standing in for a Star (it gossips a signed presence record and, as the
 * round's one facilitator, a checkpoint certificate). One Galaxy: the chain advances, the
 * Star gets on the roster, the faucet's payout becomes final with a proof, and a Galaxy
 * killed with SIGKILL comes back with every block it had. Four Galaxies: they sign the same
 * blocks, and with one killed the other three go on; the killed one catches up.
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
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createLibp2p } from 'libp2p';
import { addressFromPublicKey } from '../../shared/chain/address.ts';
import { parseGenesis } from '../../shared/chain/genesis.ts';
import { ZERO_HASH } from '../../shared/chain/half-block.ts';
import { encodePresence, presenceSigningBytes } from '../../shared/chain/presence.ts';
import { testAccount } from '../../shared/chain/test-signer.ts';
import { decodeCanonical } from '../../shared/codec/cbor.ts';
import { fromHex, toHex } from '../../shared/codec/hex.ts';
import { decodeBlackhole, decodeFinalityProof, finalityProofVerifyItems, verifyFinalityProof } from '../../shared/finality/blackhole.ts';
import { checkpointHash, checkpointSigningBytes, encodeCheckpointCert, type Checkpoint } from '../../shared/finality/checkpoint.ts';
import { selectFacilitators } from '../../shared/finality/facilitators.ts';
import { decodeStoredBlackhole } from '../../shared/finality/galaxy-core.ts';
import { testKey } from '../../shared/finality/test-fixtures.ts';
import { BLACKHOLE_TOPIC, checkpointTopic } from '../../shared/finality/wire.ts';
import { gossipOptions } from '../../shared/gossip/gossip-config.ts';
import { PRESENCE_TOPIC } from '../../shared/gossip/topics.ts';
import { startNetwork, type NetworkProcess } from '../../tests/e2e/support/network-process.ts';

type Peer = Libp2p<{ pubsub: GossipSub; identify: unknown }>;

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Head {
  height: number;
  hash: string;
  roster: number;
  signatures: number;
}
interface BlockJson {
  hash: string;
  header: { height: number };
  body: { roster: string[]; accepted: string[]; checkpoints: Array<{ cluster: number }> };
  sigs: Array<{ signer: number }>;
}

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;
const head = (url: string) => getJson<Head>(`${url}/head`);
const block = (url: string, h: number) => getJson<BlockJson>(`${url}/block/${h}`);

/** A Node libp2p peer on the relay, like a Star: it can gossip and hears Blackhole blocks. */
async function joinRelay(network: NetworkProcess): Promise<{ peer: Peer; blocks: Message[] }> {
  const { peerId } = await getJson<{ peerId: string }>(`${network.relay.url}/relay.json`);
  const peer = (await createLibp2p({
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: async () => false },
    services: { identify: identify(), pubsub: gossipsub(gossipOptions('star')) },
  })) as Peer;
  const blocks: Message[] = [];
  peer.services.pubsub.addEventListener('message', (e) => {
    if (e.detail.topic === BLACKHOLE_TOPIC) blocks.push(e.detail);
  });
  peer.services.pubsub.subscribe(BLACKHOLE_TOPIC);
  await peer.dial(multiaddr(`/ip4/127.0.0.1/tcp/${network.relay.port}/ws/p2p/${peerId}`));
  // the relay routes the finality and presence topics from the start: wait until we know it does
  await until('the relay on the presence and checkpoint topics', () => {
    const relayIn = (topic: string) => peer.services.pubsub.getSubscribers(topic).some((p) => p.toString() === peerId);
    return relayIn(PRESENCE_TOPIC) && relayIn(checkpointTopic(0)) ? true : undefined;
  });
  return { peer, blocks };
}

describe('one Galaxy process with the relay', () => {
  let network: NetworkProcess;
  let peer: Peer;
  let heard: Message[];
  let galaxyUrl: string;
  const star = testKey(21);
  const payee = testAccount(3);
  let payoutId = '';

  const announce = async (): Promise<void> => {
    const p = { pk: star.pk, peerId: peer.peerId.toString(), addrs: [], cluster: 0, time: Date.now(), ttl: 60_000 };
    await peer.services.pubsub.publish(PRESENCE_TOPIC, encodePresence({ ...p, sig: star.sign(presenceSigningBytes(p)) }));
  };

  before(async () => {
    network = await startNetwork({ galaxies: 1, roundTimeoutMs: 2_000 });
    galaxyUrl = network.galaxies[0]!.url;
    ({ peer, blocks: heard } = await joinRelay(network));
  });

  after(async () => {
    await peer?.stop();
    await network?.stop();
  });

  it('advances its head (empty rounds end at the round timeout) and gossips each block to Stars', async () => {
    const first = await head(galaxyUrl);
    await until('two more blocks', async () => ((await head(galaxyUrl)).height >= first.height + 2 ? true : undefined), 15_000);
    const msg = await until('a Blackhole block on gossip', () => heard[0]);
    const decoded = decodeBlackhole(msg.data);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.sigs.length, 1);
    const health = await getJson<{ galaxies: { healthy: number; quorum: number } }>(`${network.relay.url}/health`);
    assert.deepEqual([health.galaxies.healthy, health.galaxies.quorum], [1, 1]);
    assert.deepEqual((await getJson<{ galaxies: string[] }>(`${network.relay.url}/relay.json`)).galaxies, [galaxyUrl]);
  });

  it('puts a Star with fresh, signed presence on the roster', async () => {
    const starHex = toHex(star.pk);
    await until('the Star on the roster', async () => {
      await announce();
      const h = await head(galaxyUrl);
      if (h.roster === 0) return undefined;
      return (await block(galaxyUrl, h.height)).body.roster.includes(starHex) ? true : undefined;
    });
  });

  it("orders the Star's checkpoint certificate (it is the round's one facilitator): the faucet payout is final, with a proof", async () => {
    const res = await fetch(`${network.relay.url}/faucet`, { method: 'POST', body: JSON.stringify({ address: addressFromPublicKey(payee.pk) }) });
    assert.equal(res.status, 200);
    const payout = (await res.json()) as { id: string; block: string };
    payoutId = payout.id;
    const bytes = new Uint8Array(Buffer.from(payout.block, 'base64'));
    assert.equal(toHex(sha256(bytes)), payoutId);
    // a certificate is for the round after the head; if a block overtakes it, build the next one
    await until('the payout in a Blackhole block', async () => {
      await announce();
      const h = await head(galaxyUrl);
      const b = await block(galaxyUrl, h.height);
      const seats = selectFacilitators(fromHex(h.hash)!, b.body.roster.map((x) => fromHex(x)!));
      if (seats.length !== 1 || toHex(seats[0]!) !== toHex(star.pk)) return undefined;
      const checkpoint: Checkpoint = { cluster: 0, round: h.height + 1, base: fromHex(h.hash)!, prev: ZERO_HASH, entries: [sha256(bytes)] };
      const cert = { checkpoint, blocks: [bytes], sigs: [{ signer: 0, sig: star.sign(checkpointSigningBytes(checkpointHash(checkpoint))) }] };
      await peer.services.pubsub.publish(checkpointTopic(0), encodeCheckpointCert(cert));
      const deadline = Date.now() + 2_500;
      while (Date.now() < deadline) {
        if ((await fetch(`${galaxyUrl}/proof/${payoutId}`)).status === 200) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return undefined;
    }, 45_000);

    const proofRes = await fetch(`${galaxyUrl}/proof/${payoutId}`);
    const proof = decodeFinalityProof(new Uint8Array(await proofRes.arrayBuffer()));
    assert.ok(proof.ok);
    const genesis = parseGenesis(await getJson<unknown>(`${network.relay.url}/genesis.json`));
    const verdicts = finalityProofVerifyItems(proof.value, genesis.galaxies).map((i) => ed25519.verify(i.sig, i.message, i.pk));
    assert.equal(verifyFinalityProof(proof.value, genesis.galaxies, verdicts), true);

    // the faucet's account: its payout is final, so its final head is the payout
    const faucetAddress = (await getJson<{ allocations: Array<{ address: string }> }>(`${network.relay.url}/genesis.json`)).allocations[0]!.address;
    const account = await getJson<{ seq: number; head: string; known: boolean }>(`${galaxyUrl}/account/${faucetAddress}`);
    assert.deepEqual([account.known, account.seq, account.head], [true, 1, payoutId]);

    const metrics = await (await fetch(`${galaxyUrl}/metrics`)).text();
    assert.match(metrics, /starweave_galaxy_checkpoints_total\{result="accepted"\} 1/);
    assert.match(metrics, /starweave_galaxy_halfblocks_total\{result="accepted"\} 1/);
  });

  it('serves /blocks for catch-up: every stored entry from a height on', async () => {
    const list = decodeCanonical(new Uint8Array(await (await fetch(`${galaxyUrl}/blocks?from=1&limit=5`)).arrayBuffer()));
    assert.ok(Array.isArray(list) && list.length >= 3);
    assert.deepEqual(
      list.map((b) => {
        const d = decodeStoredBlackhole(b as Uint8Array);
        assert.ok(d.ok);
        return d.value.block.header.height;
      }),
      list.map((_, i) => i + 1),
    );
  });

  it('killed with SIGKILL and restarted, it has every block it had, and goes on', async () => {
    const galaxy = network.galaxies[0]!;
    const before = (await head(galaxyUrl)).height;
    const hashes: string[] = [];
    for (let h = 1; h <= before; h++) hashes.push((await block(galaxyUrl, h)).hash);
    await galaxy.stop('SIGKILL');
    await galaxy.restart();
    assert.ok((await head(galaxyUrl)).height >= before);
    for (let h = 1; h <= before; h++) assert.equal((await block(galaxyUrl, h)).hash, hashes[h - 1], `height ${h}`);
    assert.equal((await fetch(`${galaxyUrl}/proof/${payoutId}`)).status, 200, 'the payout is still final');
    await until('a block after the restart', async () => ((await head(galaxyUrl)).height > before ? true : undefined), 15_000);
  });

  it('dials the relay again when the relay restarts', async () => {
    await network.relay.stop('SIGKILL');
    // the relay's /health is 200 only with its Galaxy up, and the Galaxy's only with the relay joined
    await network.relay.restart();
    const galaxy = await getJson<{ galaxy: { relay: string } }>(`${galaxyUrl}/health`);
    assert.equal(galaxy.galaxy.relay, 'connected');
    assert.match(network.galaxies[0]!.logs(), /relay connection lost; reconnecting/);
    const at = (await head(galaxyUrl)).height;
    await until('a block after the relay came back', async () => ((await head(galaxyUrl)).height > at ? true : undefined), 15_000);
  });
});

describe('four Galaxy processes', () => {
  let network: NetworkProcess;

  before(async () => {
    network = await startNetwork({ galaxies: 4, roundTimeoutMs: 500 });
  });

  after(async () => {
    await network?.stop();
  });

  it('sign the same block at every height, each with a quorum', async () => {
    const urls = network.galaxies.map((g) => g.url);
    await until('height 3 everywhere', async () => ((await Promise.all(urls.map(head))).every((h) => h.height >= 3) ? true : undefined));
    for (let h = 1; h <= 3; h++) {
      const blocks = await Promise.all(urls.map((u) => block(u, h)));
      assert.equal(new Set(blocks.map((b) => b.hash)).size, 1, `height ${h}: ${blocks.map((b) => b.hash).join(' ')}`);
      for (const b of blocks) assert.ok(b.sigs.length >= 3, `height ${h} has ${b.sigs.length} signatures`);
    }
  });

  it('go on with one killed, and the killed one catches up with the same blocks', async () => {
    const [g0, , , g3] = network.galaxies;
    await g3!.stop('SIGKILL');
    const killedAt = (await head(g0!.url)).height;
    await until('three blocks without it', async () => ((await head(g0!.url)).height >= killedAt + 3 ? true : undefined));
    await g3!.restart();
    const target = (await head(g0!.url)).height;
    await until('the restarted Galaxy at the others\' height', async () => ((await head(g3!.url)).height >= target ? true : undefined));
    for (let h = 1; h <= target; h++) assert.equal((await block(g3!.url, h)).hash, (await block(g0!.url, h)).hash, `height ${h}`);
  });
});

describe('two Galaxy processes (f = 0: every message must arrive)', () => {
  let network: NetworkProcess;

  before(async () => {
    network = await startNetwork({ galaxies: 2, roundTimeoutMs: 300 });
  });

  after(async () => {
    await network?.stop();
  });

  it('finalise from the start (messages lost before the gossip mesh forms are sent again), and again after both restart', async () => {
    const urls = network.galaxies.map((g) => g.url);
    const heights = async () => Math.min(...(await Promise.all(urls.map(head))).map((h) => h.height));
    await until('height 3 at both', async () => ((await heights()) >= 3 ? true : undefined));
    for (const g of network.galaxies) await g.stop('SIGKILL');
    for (const g of network.galaxies) await g.restart();
    const at = await heights();
    await until('three more blocks at both', async () => ((await heights()) >= at + 3 ? true : undefined));
    for (let h = 1; h <= at + 3; h++) {
      const [a, b] = await Promise.all(urls.map((u) => block(u, h)));
      assert.equal(a!.hash, b!.hash, `height ${h}`);
    }
  });
});
