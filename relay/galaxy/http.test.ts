/**
 * One Galaxy in process, without a network: the driver over the real core, a real store and
 * a real signing key, fed gossip bytes through its topic handlers (a Star's presence, then a
 * checkpoint certificate from that Star as the round's one facilitator), and the HTTP API
 * answering from it. Then the store is reopened and the core rebuilt: nothing final is lost.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { addressFromPublicKey } from '../../shared/chain/address.ts';
import { encodeHalfBlock, ZERO_HASH } from '../../shared/chain/half-block.ts';
import { encodePresence, presenceSigningBytes, type UnsignedPresence } from '../../shared/chain/presence.ts';
import { nextBlock, testAccount } from '../../shared/chain/test-signer.ts';
import { decodeCanonical, encodeCanonical } from '../../shared/codec/cbor.ts';
import { toHex } from '../../shared/codec/hex.ts';
import { generatePkcs8, signerFromPkcs8, type Signer } from '../../shared/crypto/signer.ts';
import { blackholeHash, decodeBlackhole, decodeFinalityProof, finalityProofVerifyItems, verifyFinalityProof } from '../../shared/finality/blackhole.ts';
import { checkpointHash, checkpointSigningBytes, encodeCheckpointCert, MAX_CERT_BYTES, type Checkpoint } from '../../shared/finality/checkpoint.ts';
import { selectFacilitators } from '../../shared/finality/facilitators.ts';
import { decodeStoredBlackhole, GalaxyCore } from '../../shared/finality/galaxy-core.ts';
import { testKey } from '../../shared/finality/test-fixtures.ts';
import { BLACKHOLE_TOPIC, checkpointTopic, GALAXY_TOPIC, encodeEnvelope, envelopeSigningBytes } from '../../shared/finality/wire.ts';
import { PRESENCE_TOPIC } from '../../shared/gossip/topics.ts';
import { createLogger } from '../log.ts';
import { decodeStoredRows, GalaxyDriver, nobleVerify } from './driver.ts';
import { createGalaxyHttpServer } from './http.ts';
import { createGalaxyMetrics } from './metrics.ts';
import type { TopicHandler } from './node.ts';
import { GalaxyStore } from './store.ts';

const T0 = 1_763_700_000_000;
const star = testKey(1);
const payer = testAccount(1);
const payee = testAccount(2);
const balances = new Map([[toHex(payer.pk), 1_000]]);

function presence(time: number, sign = star.sign): Uint8Array {
  const p: UnsignedPresence = { pk: star.pk, peerId: '12D3KooWExamplePeerIdOfTheStar', addrs: [], cluster: 0, time, ttl: 60_000 };
  return encodePresence({ ...p, sig: sign(presenceSigningBytes(p)) });
}

describe('Galaxy driver and HTTP API (one Galaxy, in process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'galaxy-http-'));
  const dbPath = join(dir, 'galaxy.sqlite');
  let signer: Signer;
  let store: GalaxyStore;
  let core: GalaxyCore;
  let driver: GalaxyDriver;
  let handlers: Record<string, TopicHandler>;
  let server: Server;
  let base: string;
  let now = T0;
  const published: Array<{ topic: string; data: Uint8Array }> = [];
  const metrics = createGalaxyMetrics();
  const payment = nextBlock(payer, undefined, { linkPk: payee.pk, amount: 10, time: T0 });
  const paymentBytes = encodeHalfBlock(payment);
  const paymentHash = toHex(sha256(paymentBytes));

  before(async () => {
    signer = await signerFromPkcs8(await generatePkcs8());
    store = await GalaxyStore.open(dbPath);
    core = new GalaxyCore({ network: 'test-net', galaxies: [signer.pk], me: 0, balances, verify: nobleVerify, roundTimeoutMs: 3_600_000, emptyRosterMs: 0 });
    driver = new GalaxyDriver({
      core,
      signer,
      galaxies: [signer.pk],
      me: 0,
      store,
      publish: async (topic, data) => void published.push({ topic, data }),
      log: createLogger('silent'),
      metrics,
      peers: [],
      now: () => now,
      onFatal: (err) => assert.fail(err),
    });
    handlers = driver.handlers();
    server = createGalaxyHttpServer({ view: driver.view(), log: createLogger('silent'), metrics, health: () => ({ ok: true, detail: { galaxy: { height: core.height } } }), checkpointPosts: { points: 50, windowS: 60 } });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  after(async () => {
    await driver?.stop();
    server?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('judges presence: a signed record is taken, a forged one rejected, garbage rejected', async () => {
    assert.equal(await handlers[PRESENCE_TOPIC]!(presence(now, testKey(9).sign), now), 'reject');
    assert.equal(await handlers[PRESENCE_TOPIC]!(new Uint8Array([1, 2, 3]), now), 'reject');
    assert.equal(await handlers[PRESENCE_TOPIC]!(presence(now), now), 'accept');
  });

  it('makes block 1 with the Star on its roster, stored before it is published', async () => {
    now += 10;
    await driver.tick();
    assert.equal(core.height, 1);
    const block = core.block(1)!.block;
    assert.deepEqual(block.body.roster.map(toHex), [toHex(star.pk)]);
    assert.ok(store.get(1), 'stored');
    const gossiped = published.filter((p) => p.topic === BLACKHOLE_TOPIC);
    assert.equal(gossiped.length, 1);
    const decoded = decodeBlackhole(gossiped[0]!.data);
    assert.ok(decoded.ok);
    assert.equal(toHex(blackholeHash(decoded.value.header)), toHex(blackholeHash(block.header)));
    assert.equal(decoded.value.sigs.length, 1);
  });

  it("orders the round's checkpoint into block 2: the payment is final", async () => {
    const head = core.block(1)!.block;
    const headHash = blackholeHash(head.header);
    const seats = selectFacilitators(headHash, head.body.roster);
    assert.deepEqual(seats.map(toHex), [toHex(star.pk)]);
    const checkpoint: Checkpoint = { cluster: 0, round: 2, base: headHash, prev: ZERO_HASH, entries: [sha256(paymentBytes)] };
    const cert = { checkpoint, blocks: [paymentBytes], sigs: [{ signer: 0, sig: star.sign(checkpointSigningBytes(checkpointHash(checkpoint))) }] };
    assert.equal(await handlers[checkpointTopic(0)]!(new Uint8Array([0xa0]), now), 'reject');
    // a Star following the head asks for block 2 before it exists: the request is held
    const held = fetch(`${base}/blocks?from=2&wait=20000`);
    while (!(await fetch(`${base}/metrics`).then((r) => r.text())).includes('starweave_galaxy_head_waiters 1')) await new Promise((r) => setTimeout(r, 10));
    now += 50;
    assert.equal(await handlers[checkpointTopic(0)]!(encodeCheckpointCert(cert), now), 'accept');
    await driver.idle();
    assert.equal(core.height, 2);
    assert.deepEqual(core.block(2)!.block.body.accepted.map(toHex), [paymentHash]);
    // …and answered with it once it is stored
    const answer = await held;
    assert.equal(answer.headers.get('x-starweave-head'), '2');
    const list = decodeCanonical(new Uint8Array(await answer.arrayBuffer())) as Uint8Array[];
    assert.deepEqual(list.map((b) => { const d = decodeStoredBlackhole(b); assert.ok(d.ok); return d.value.block.header.height; }), [2]);
    assert.match(await fetch(`${base}/metrics`).then((r) => r.text()), /starweave_galaxy_head_waiters 0/);
  });

  it('judges Galaxy envelopes: garbage rejected, a key that holds no seat ignored (the relay could not know)', async () => {
    assert.equal(await handlers[GALAXY_TOPIC]!(new Uint8Array([1]), now), 'reject');
    const stranger = testKey(5);
    const unsigned = { kind: 'galaxy' as const, instance: 3, cluster: 0, from: stranger.pk, items: [{ to: -1, m: { t: 'share' as const, hash: new Uint8Array(32), sig: new Uint8Array(64) } }] };
    const env = encodeEnvelope({ ...unsigned, sig: stranger.sign(envelopeSigningBytes(unsigned)) });
    assert.equal(await handlers[GALAXY_TOPIC]!(env, now), 'ignore');
  });

  it('serves head, blocks (JSON and CBOR), and 404/400 with messages', async () => {
    const head = (await (await fetch(`${base}/head`)).json()) as { height: number; hash: string; accepted: number };
    assert.equal(head.height, 2);
    assert.equal(head.hash, toHex(blackholeHash(core.head.header)));
    assert.equal(head.accepted, 1);
    const res = await fetch(`${base}/block/2`);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const json = (await res.json()) as { hash: string; body: { accepted: string[] }; header: { height: number } };
    assert.deepEqual([json.header.height, json.body.accepted, json.hash], [2, [paymentHash], head.hash]);
    const cbor = await fetch(`${base}/block/2?format=cbor`);
    assert.equal(cbor.headers.get('content-type'), 'application/cbor');
    const decoded = decodeBlackhole(new Uint8Array(await cbor.arrayBuffer()));
    assert.ok(decoded.ok && toHex(blackholeHash(decoded.value.header)) === head.hash);
    const genesis = (await (await fetch(`${base}/block/0`)).json()) as { header: { height: number } };
    assert.equal(genesis.header.height, 0);
    const missing = await fetch(`${base}/block/99`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { message: string }).message, /head is at 2/);
    assert.equal((await fetch(`${base}/block/two`)).status, 400);
    assert.equal((await fetch(`${base}/block/2?format=xml`)).status, 400);
    assert.equal((await fetch(`${base}/nowhere`)).status, 404);
    assert.equal((await fetch(`${base}/head`, { method: 'POST' })).status, 405);
    const preflight = await fetch(`${base}/head`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
  });

  it('serves /blocks as a CBOR array of stored entries, and checks its parameters', async () => {
    const res = await fetch(`${base}/blocks?from=1&limit=10`);
    assert.equal(res.status, 200);
    const list = decodeCanonical(new Uint8Array(await res.arrayBuffer()));
    assert.ok(Array.isArray(list));
    const heights = list.map((b) => {
      const d = decodeStoredBlackhole(b as Uint8Array);
      assert.ok(d.ok);
      return d.value.block.header.height;
    });
    assert.deepEqual(heights, [1, 2]);
    const second = decodeStoredBlackhole(list[1] as Uint8Array);
    assert.ok(second.ok && second.value.certs.length === 1, 'an entry carries the certs it applied');
    const limited = decodeCanonical(new Uint8Array(await (await fetch(`${base}/blocks?from=0&limit=1`)).arrayBuffer()));
    assert.equal((limited as unknown[]).length, 1);
    const past = decodeCanonical(new Uint8Array(await (await fetch(`${base}/blocks?from=50`)).arrayBuffer()));
    assert.deepEqual(past, []);
    assert.equal((await fetch(`${base}/blocks?from=1&limit=0`)).status, 400);
    assert.equal((await fetch(`${base}/blocks?from=-1`)).status, 400);
    // a wait that ends before a block comes is answered like any request past the head
    const waited = await fetch(`${base}/blocks?from=50&wait=10`);
    assert.equal(waited.status, 200);
    assert.deepEqual(decodeCanonical(new Uint8Array(await waited.arrayBuffer())), []);
    const tooLong = await fetch(`${base}/blocks?from=50&wait=25001`);
    assert.equal(tooLong.status, 400);
    assert.match(((await tooLong.json()) as { message: string }).message, /wait must be .* 0 to 25000/);
  });

  it('serves final account state, and 400 for a bad address', async () => {
    const paid = (await (await fetch(`${base}/account/${addressFromPublicKey(payer.pk)}`)).json()) as { seq: number; balance: number; head: string; known: boolean };
    assert.deepEqual([paid.known, paid.seq, paid.balance, paid.head], [true, 1, 990, paymentHash]);
    const stranger = (await (await fetch(`${base}/account/${addressFromPublicKey(testKey(7).pk)}`)).json()) as { known: boolean; balance: number };
    assert.deepEqual([stranger.known, stranger.balance], [false, 0]);
    const bad = await fetch(`${base}/account/sw1notanaddress`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'INVALID_ADDRESS');
  });

  it('serves a finality proof anyone can check (CBOR, or JSON), 404 for a hash that is not final, 400 for bad hex', async () => {
    const res = await fetch(`${base}/proof/${paymentHash}`);
    assert.equal(res.status, 200);
    const proof = decodeFinalityProof(new Uint8Array(await res.arrayBuffer()));
    assert.ok(proof.ok);
    const verdicts = finalityProofVerifyItems(proof.value, [signer.pk]).map(nobleVerify);
    assert.equal(verifyFinalityProof(proof.value, [signer.pk], verdicts), true);
    const json = (await (await fetch(`${base}/proof/${paymentHash}`, { headers: { accept: 'application/json' } })).json()) as { leaf: string; header: { height: number } };
    assert.deepEqual([json.leaf, json.header.height], [paymentHash, 2]);
    const unknown = await fetch(`${base}/proof/${'00'.repeat(32)}`);
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { message: string }).message, /not final/);
    assert.equal((await fetch(`${base}/proof/xyz`)).status, 400);
  });

  it('counts blocks, checkpoints and half-blocks in /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /starweave_galaxy_height 2/);
    assert.match(text, /starweave_galaxy_checkpoints_total\{result="accepted"\} 1/);
    assert.match(text, /starweave_galaxy_halfblocks_total\{result="accepted"\} 1/);
    assert.match(text, /starweave_galaxy_finality_seconds_count\{stage="cert"\} 1/);
    assert.match(text, /starweave_galaxy_finality_seconds_count\{stage="round"\} 2/);
  });

  it('takes a certificate posted over HTTP: 202 and the next block; 400, 422 and 413 for bad ones; 429 once the address has spent its allowance', async () => {
    const head = core.block(2)!.block;
    const headHash = blackholeHash(head.header);
    assert.deepEqual(selectFacilitators(headHash, head.body.roster).map(toHex), [toHex(star.pk)]);
    const checkpoint: Checkpoint = { cluster: 0, round: 3, base: headHash, prev: checkpointHash(head.body.checkpoints[0]!), entries: [] };
    const signed = (sign: (m: Uint8Array) => Uint8Array) => encodeCheckpointCert({ checkpoint, blocks: [], sigs: [{ signer: 0, sig: sign(checkpointSigningBytes(checkpointHash(checkpoint))) }] });
    const post = (body: Uint8Array) => fetch(`${base}/checkpoint`, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/cbor' } });
    const preflight = await fetch(`${base}/checkpoint`, { method: 'OPTIONS' });
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal((await fetch(`${base}/checkpoint`)).status, 405);

    // each bad certificate costs 1 + 20 of the address's 50 requests
    const garbage = await post(new Uint8Array([1, 2, 3]));
    assert.deepEqual([garbage.status, ((await garbage.json()) as { code: string }).code], [400, 'MALFORMED']);
    const forged = await post(signed(testKey(9).sign));
    assert.deepEqual([forged.status, ((await forged.json()) as { code: string }).code], [422, 'REFUSED']);
    assert.equal(core.height, 2);

    const taken = await post(signed(star.sign));
    assert.equal(taken.status, 202);
    await driver.idle();
    assert.equal(core.height, 3);
    assert.equal(core.block(3)!.block.body.checkpoints.length, 1);

    const oversized = await post(new Uint8Array(MAX_CERT_BYTES + 1));
    assert.equal(oversized.status, 413);
    // 44 of 50 spent: one more bad certificate passes the allowance, and the next request waits
    assert.equal((await post(new Uint8Array([1]))).status, 400);
    const limited = await post(signed(star.sign));
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.match(((await limited.json()) as { message: string }).message, /gossip still carries them/);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /starweave_galaxy_http_requests_total\{route="\/checkpoint",status="202"\} 1/);
  });

  it('after a restart, the stored chain rebuilds the same blocks and state', async () => {
    const hashes = [1, 2, 3].map((h) => toHex(blackholeHash(core.block(h)!.block.header)));
    await driver.stop();
    store.close();
    const reopened = await GalaxyStore.open(dbPath);
    try {
      const again = new GalaxyCore({ network: 'test-net', galaxies: [signer.pk], me: 0, balances, verify: nobleVerify }, decodeStoredRows(reopened.all(), dbPath));
      assert.equal(again.height, 3);
      assert.deepEqual([1, 2, 3].map((h) => toHex(blackholeHash(again.block(h)!.block.header))), hashes);
      assert.equal(again.account(payer.pk)?.balance, 990);
      assert.ok(again.proof(paymentHash));
    } finally {
      reopened.close();
    }
    store = await GalaxyStore.open(join(dir, 'unused.sqlite'));
  });
});
