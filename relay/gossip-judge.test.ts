/** The relay's gossip verdict: the shared rules plus signatures of blocks, proofs and presence. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { encodeChainMessage } from '../shared/chain/chain-message.ts';
import { encodeCanonical } from '../shared/codec/cbor.ts';
import { encodeHalfBlock, type HalfBlock } from '../shared/chain/half-block.ts';
import { encodePresence, presenceSigningBytes, type UnsignedPresence } from '../shared/chain/presence.ts';
import { nextBlock, testAccount } from '../shared/chain/test-signer.ts';
import { appGossipTopic, CHAIN_TOPIC, PRESENCE_TOPIC } from '../shared/gossip/topics.ts';
import { encodeAppMessage } from '../shared/gossip/app-message.ts';
import { blackholeSigningBytes, encodeBlackhole, type BlackholeBlock } from '../shared/finality/blackhole.ts';
import { checkpointHash, checkpointSigningBytes, encodeCheckpointCert, type Checkpoint } from '../shared/finality/checkpoint.ts';
import { GalaxyCore } from '../shared/finality/galaxy-core.ts';
import { nobleVerify, testKey } from '../shared/finality/test-fixtures.ts';
import { BLACKHOLE_TOPIC, checkpointTopic, encodeEnvelope, envelopeSigningBytes, GALAXY_TOPIC, MAX_ENVELOPE_BYTES, roundTopic } from '../shared/finality/wire.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { createRelayGossipJudge } from './gossip-judge.ts';

const now = 1_763_700_000_000;
const alice = testAccount(1);
const bob = testAccount(2);
const b1 = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 10, time: now });
const b2 = nextBlock(alice, b1, { linkPk: bob.pk, amount: 5, time: now });
const fork = nextBlock(alice, undefined, { linkPk: bob.pk, amount: 11, time: now });
/** the same block with one bit of its signature flipped */
const forged = (b: HalfBlock): HalfBlock => ({ ...b, sig: b.sig.map((x, i) => (i === 0 ? x ^ 1 : x)) });
const blocksMessage = (list: HalfBlock[]) => encodeChainMessage({ t: 'blocks', blocks: list.map(encodeHalfBlock), more: false, proofs: [] });

describe('relay gossip judge', () => {
  const judge = createRelayGossipJudge();

  it('accepts correctly signed blocks and rejects a message with one forged block, naming it', async () => {
    assert.equal((await judge(CHAIN_TOPIC, blocksMessage([b1, b2]), now)).verdict, 'accept');
    const j = await judge(CHAIN_TOPIC, blocksMessage([b1, forged(b2)]), now);
    assert.equal(j.verdict, 'reject');
    assert.match(j.reason ?? '', /block 1: the signature does not verify/);
  });

  it('checks both signatures of a fraud proof, standalone or carried by a blocks message', async () => {
    const proof = (a: HalfBlock, b: HalfBlock) => encodeChainMessage({ t: 'fraud', kind: 'double-block', a: encodeHalfBlock(a), b: encodeHalfBlock(b) });
    assert.equal((await judge(CHAIN_TOPIC, proof(b1, fork), now)).verdict, 'accept');
    assert.equal((await judge(CHAIN_TOPIC, proof(b1, forged(fork)), now)).verdict, 'reject');
    const carried = encodeChainMessage({ t: 'blocks', blocks: [encodeHalfBlock(b2)], more: false, proofs: [{ kind: 'double-block', a: encodeHalfBlock(forged(b1)), b: encodeHalfBlock(fork) }] });
    assert.match((await judge(CHAIN_TOPIC, carried, now)).reason ?? '', /proof 0: the signature does not verify/);
  });

  it('checks presence signatures', async () => {
    const secret = new Uint8Array(32).fill(4);
    const p: UnsignedPresence = { pk: ed25519.getPublicKey(secret), peerId: '12D3KooWExamplePeerId', addrs: [], cluster: 0, time: now, ttl: 60_000 };
    const sig = ed25519.sign(presenceSigningBytes(p), secret);
    assert.equal((await judge(PRESENCE_TOPIC, encodePresence({ ...p, sig }), now)).verdict, 'accept');
    const other = encodePresence({ ...p, peerId: '12D3KooWSomeoneElse', sig });
    assert.match((await judge(PRESENCE_TOPIC, other, now)).reason ?? '', /presence record: the signature does not verify/);
  });

  it('presence version 2: capacity and reader key are signed; version 1 is refused', async () => {
    const secret = new Uint8Array(32).fill(5);
    const p: UnsignedPresence = { pk: ed25519.getPublicKey(secret), peerId: '12D3KooWExamplePeerId', addrs: [], cluster: 0, capacity: 3, readerKey: new Uint8Array(32).fill(7), time: now, ttl: 60_000 };
    const sig = ed25519.sign(presenceSigningBytes(p), secret);
    const accepted = await judge(PRESENCE_TOPIC, encodePresence({ ...p, sig }), now);
    assert.equal(accepted.verdict, 'accept');
    assert.equal(accepted.presence?.capacity, 3);
    const swapped = encodePresence({ ...p, readerKey: new Uint8Array(32).fill(8), sig });
    assert.match((await judge(PRESENCE_TOPIC, swapped, now)).reason ?? '', /presence record: the signature does not verify/);
    const inflated = encodePresence({ ...p, capacity: 9, sig });
    assert.equal((await judge(PRESENCE_TOPIC, inflated, now)).verdict, 'reject');
    const v1 = encodeCanonical({ v: 1, pk: p.pk, peerId: p.peerId, addrs: [], cluster: 0, time: now, ttl: 60_000, sig });
    assert.match((await judge(PRESENCE_TOPIC, v1, now)).reason ?? '', /version-2/);
  });

  it('leaves other topics to the shared rules', async () => {
    const app = encodeAppMessage({ topic: 'chat', data: new Uint8Array([1]), text: false, sentAt: now });
    assert.equal((await judge(appGossipTopic('chat'), app, now)).verdict, 'accept');
    assert.equal((await judge(CHAIN_TOPIC, new Uint8Array([1]), now)).verdict, 'reject');
  });
});

describe('relay gossip judge: finality topics', () => {
  const galaxy = testKey(11);
  const outsider = testKey(12);
  const judge = createRelayGossipJudge({ galaxies: [galaxy.pk] });

  /** Block 1 of a one-Galaxy network, signed by that Galaxy. */
  function signedBlock(): BlackholeBlock {
    const core = new GalaxyCore({ network: 'n', galaxies: [galaxy.pk], me: 0, balances: new Map(), verify: nobleVerify, roundTimeoutMs: 0 });
    const out = core.tick(now);
    assert.ok(out.signBlock, 'a one-Galaxy network proposes and decides at once');
    const done = core.signedBlock(out.signBlock.height, galaxy.sign(blackholeSigningBytes(out.signBlock.hash)), now);
    assert.equal(done.blocks.length, 1);
    return done.blocks[0]!.block;
  }

  it('accepts a Blackhole block with a quorum of genesis Galaxy signatures, rejects others', async () => {
    const block = signedBlock();
    assert.equal((await judge(BLACKHOLE_TOPIC, encodeBlackhole(block), now)).verdict, 'accept');
    const forgedSig = { ...block, sigs: [{ signer: 0, sig: outsider.sign(blackholeSigningBytes(new Uint8Array(32))) }] };
    assert.match((await judge(BLACKHOLE_TOPIC, encodeBlackhole(forgedSig), now)).reason ?? '', /no quorum of valid Galaxy signatures/);
    const otherNetwork = createRelayGossipJudge({ galaxies: [outsider.pk] });
    assert.equal((await otherNetwork(BLACKHOLE_TOPIC, encodeBlackhole(block), now)).verdict, 'reject');
    const noGalaxies = createRelayGossipJudge();
    assert.match((await noGalaxies(BLACKHOLE_TOPIC, encodeBlackhole(block), now)).reason ?? '', /no Galaxies/);
    assert.equal((await judge(BLACKHOLE_TOPIC, new Uint8Array([1, 2]), now)).verdict, 'reject');
  });

  it('judges envelopes by shape and topic only (seats depend on the chain the relay does not follow)', async () => {
    const unsigned = { kind: 'galaxy' as const, instance: 1, cluster: 0, from: outsider.pk, items: [{ to: -1, m: { t: 'share' as const, hash: new Uint8Array(32), sig: new Uint8Array(64) } }] };
    const env = encodeEnvelope({ ...unsigned, sig: outsider.sign(envelopeSigningBytes(unsigned)) });
    assert.equal((await judge(GALAXY_TOPIC, env, now)).verdict, 'accept');
    assert.match((await judge(roundTopic(0), env, now)).reason ?? '', /a galaxy envelope on the round topic/);
    assert.equal((await judge(GALAXY_TOPIC, new Uint8Array([0xa0]), now)).verdict, 'reject');
    assert.match((await judge(roundTopic(0), new Uint8Array(MAX_ENVELOPE_BYTES + 1), now)).reason ?? '', /too large/);
    // a round envelope belongs on its own cluster's round topic only
    const round = { ...unsigned, kind: 'round' as const, cluster: 1 };
    const roundEnv = encodeEnvelope({ ...round, sig: outsider.sign(envelopeSigningBytes(round)) });
    assert.equal((await judge(roundTopic(1), roundEnv, now)).verdict, 'accept');
    assert.match((await judge(roundTopic(0), roundEnv, now)).reason ?? '', /cluster 1's envelope on cluster 0's round topic/);
  });

  it('judges checkpoint certificates by shape (facilitator signatures are the Galaxies\' to check)', async () => {
    const bytes = encodeHalfBlock(b1);
    const checkpoint: Checkpoint = { cluster: 0, round: 2, base: new Uint8Array(32), prev: new Uint8Array(32), entries: [sha256(bytes)] };
    const cert = { checkpoint, blocks: [bytes], sigs: [{ signer: 0, sig: outsider.sign(checkpointSigningBytes(checkpointHash(checkpoint))) }] };
    assert.equal((await judge(checkpointTopic(0), encodeCheckpointCert(cert), now)).verdict, 'accept');
    const mismatched = { ...cert, blocks: [encodeHalfBlock(b2)] };
    assert.equal((await judge(checkpointTopic(0), encodeCheckpointCert(mismatched), now)).verdict, 'reject');
    // and on its own cluster's checkpoint topic only
    assert.match((await judge(checkpointTopic(3), encodeCheckpointCert(cert), now)).reason ?? '', /cluster 0's certificate on cluster 3's checkpoint topic/);
  });
});
