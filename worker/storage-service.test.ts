/**
 * The worker's storage adapter end to end in Node, without a browser: three StorageServices
 * (real StorageNode cores, real Ed25519 and X25519, an in-memory store standing in for
 * IndexedDB) joined by one presence table and frames handed straight from one service's
 * storeSend to another's frames().
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { InboxMessage, StorageStats } from '../shared/api.ts';
import { addressFromPublicKey } from '../shared/chain/address.ts';
import { PresenceTable } from '../shared/chain/presence.ts';
import { toHex } from '../shared/codec/hex.ts';
import type { Signer } from '../shared/crypto/signer.ts';
import { StarError } from '../shared/errors.ts';
import { decodeRecord, encodeRecord, signRecord } from '../shared/storage/record.ts';
import type { LoadedVersion } from '../shared/storage/storage-node.ts';
import type { SignedRecord } from '../shared/storage/types.ts';
import { encodeStoreMessage } from '../shared/storage/wire.ts';
import { StorageService } from './storage-service.ts';
import { newStorageIdentity, type PersistBatch, type StorageIdentity, type StorageStore } from './storage-store.ts';

function signerOf(seed: number): Signer {
  const secret = new Uint8Array(32).fill(seed);
  return { pk: ed25519.getPublicKey(secret), sign: async (m) => ed25519.sign(m, secret) };
}

/** What IndexedDB would keep, in Maps; `fail` makes the next commits throw (a full disk). */
class MemoryStore implements StorageStore {
  readonly versions = new Map<string, { record: Uint8Array; hint?: string }>();
  readonly delivered_ = new Map<string, number>();
  readonly readerKeys_ = new Map<string, Uint8Array>();
  /** every record ever written, as bytes (to replay an old one) */
  readonly log: Uint8Array[] = [];
  fail?: () => Error | undefined;
  commits = 0;
  #identity?: StorageIdentity;

  async load(): Promise<LoadedVersion[]> {
    return [...this.versions.values()].map((v) => {
      const d = decodeRecord(v.record);
      assert.ok(d.ok);
      return v.hint === undefined ? { record: d.value } : { record: d.value, hint: v.hint };
    });
  }
  async commit(batches: readonly PersistBatch[]): Promise<void> {
    const err = this.fail?.();
    if (err) throw err;
    this.commits++;
    for (const b of batches) {
      for (const r of b.remove) this.versions.delete(`${r.hint ?? ''}|${r.digest}`);
      for (const w of b.write) {
        const record = encodeRecord(w.record);
        this.log.push(record);
        this.versions.set(`${w.hint ?? ''}|${w.digest}`, w.hint === undefined ? { record } : { record, hint: w.hint });
      }
    }
  }
  async identity(): Promise<StorageIdentity> {
    this.#identity ??= await newStorageIdentity();
    return this.#identity;
  }
  async readerKeys(): Promise<Map<string, Uint8Array>> {
    return new Map(this.readerKeys_);
  }
  async rememberReaderKeys(entries: ReadonlyArray<readonly [string, Uint8Array]>): Promise<void> {
    for (const [k, v] of entries) this.readerKeys_.set(k, v);
  }
  async delivered(keys: readonly string[]): Promise<boolean[]> {
    return keys.map((k) => this.delivered_.has(k));
  }
  async markDelivered(keys: readonly string[], now: number): Promise<void> {
    for (const k of keys) this.delivered_.set(k, now);
  }
  async pruneDelivered(before: number): Promise<void> {
    for (const [k, at] of this.delivered_) if (at < before) this.delivered_.delete(k);
  }
}

interface TestStar {
  seed: number;
  peerId: string;
  signer: Signer;
  address: string;
  store: MemoryStore;
  service: StorageService;
  messages: InboxMessage[];
  stats: StorageStats[];
}

class TestNet {
  readonly presence = new PresenceTable();
  readonly stars = new Map<string, TestStar>();
  now = 1_763_700_000_000;
  inFlight = 0;

  async add(seed: number, store = new MemoryStore()): Promise<TestStar> {
    const signer = signerOf(seed);
    const peerId = `12D3KooWpeer${seed}`;
    const star = { seed, peerId, signer, address: addressFromPublicKey(signer.pk), store, messages: [], stats: [] } as unknown as TestStar;
    const service = await StorageService.open({
      signer,
      store,
      presence: this.presence,
      clock: () => this.now,
      tickMs: false,
      quota: { persist: async () => true, estimate: async () => ({ usage: 1, quota: 100, persisted: true }) },
      out: {
        storeSend: (to, _addrs, frames) => this.deliver(peerId, to, frames),
        message: (m) => star.messages.push(m),
        storage: (s) => star.stats.push(s),
      },
    });
    await service.ready;
    star.service = service;
    this.stars.set(peerId, star);
    // its signed presence, as ChainService.judgePresence would have taken it (signature not needed here)
    this.presence.offer({ pk: signer.pk, peerId, addrs: [], cluster: 0, capacity: 1, readerKey: service.readerKey, time: this.now, ttl: 600_000, sig: new Uint8Array(64) });
    await this.tick(0);
    return star;
  }

  /** the main thread's part: frames from one peer's stream to another's worker, later */
  deliver(from: string, to: string, frames: Uint8Array[]): void {
    this.inFlight++;
    setImmediate(() => {
      const target = this.stars.get(to);
      const done = target ? target.service.frames([{ peerId: from, frames }], this.now) : Promise.resolve();
      void done.finally(() => this.inFlight--);
    });
  }

  /** time moves on; every Star ticks (membership, timeouts, maintenance) */
  async tick(ms: number): Promise<void> {
    this.now += ms;
    await Promise.all([...this.stars.values()].map((s) => s.service.tick(this.now)));
    await this.settle();
  }

  /** until no frames are in flight for a few turns of the event loop */
  async settle(): Promise<void> {
    for (let idle = 0, i = 0; idle < 5 && i < 10_000; i++) {
      await new Promise((r) => setTimeout(r, 1));
      idle = this.inFlight === 0 ? idle + 1 : 0;
    }
  }

  /** ticks until `check` holds */
  async until(what: string, check: () => boolean, stepMs = 500, steps = 40): Promise<void> {
    for (let i = 0; i < steps; i++) {
      if (check()) return;
      await this.tick(stepMs);
    }
    assert.fail(`${what}: not reached`);
  }

  close(): void {
    for (const s of this.stars.values()) s.service.close();
  }
}

function decoded(bytes: Uint8Array): SignedRecord {
  const d = decodeRecord(bytes);
  assert.ok(d.ok);
  return d.value;
}

/** the versions of one key a Star holds in its own shard */
function held(star: TestStar, ownerHex: string, name: string): SignedRecord[] {
  return star.service.heldVersions(ownerHex, name).map(decoded);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof StarError ? err.code : `not a StarError: ${String(err)}`;
  }
}

const nets: TestNet[] = [];
async function network(n: number): Promise<{ net: TestNet; stars: TestStar[] }> {
  const net = new TestNet();
  nets.push(net);
  const stars: TestStar[] = [];
  for (let i = 1; i <= n; i++) stars.push(await net.add(i));
  await net.tick(0);
  return { net, stars };
}
after(() => nets.forEach((n) => n.close()));

describe('StorageService', () => {
  it('put then get: a string is read back as a string and bytes as bytes, from any Star', async () => {
    const { net, stars } = await network(3);
    const [a, b, c] = stars as [TestStar, TestStar, TestStar];
    assert.deepEqual(a.service.ringMembers(), [a, b, c].map((s) => toHex(s.signer.pk)).sort());
    await a.service.put('notes/1', 'hello ✓', {}, net.now);
    await a.service.put('blob', new Uint8Array([0, 1, 2, 255]), {}, net.now);
    const got = await b.service.get('notes/1', a.address, net.now);
    assert.deepEqual(got, { key: 'notes/1', owner: a.address, versions: [{ value: 'hello ✓', writer: a.address, writtenAt: net.now, private: false }] });
    const blob = await c.service.get('blob', a.address, net.now);
    assert.ok(blob.versions[0]!.value instanceof Uint8Array);
    assert.deepEqual(blob.versions[0]!.value, new Uint8Array([0, 1, 2, 255]));
    assert.deepEqual((await a.service.get('nothing', undefined, net.now)).versions, []);
    // written before the acks: every replica's store holds it (N = 3 of 3 Stars)
    await net.settle();
    for (const s of stars) assert.deepEqual(s.service.heldNames(toHex(a.signer.pk)), ['blob', 'notes/1']);
    await new Promise((r) => setTimeout(r, 600)); // events are throttled to two a second
    assert.ok(a.stats.length > 0, "a 'storage' event reports what is held");
    const stats = await b.service.stats();
    assert.deepEqual([stats.keys, stats.versions, stats.owners, stats.hinted], [2, 2, 1, 0]);
    assert.deepEqual(stats.quota, { usage: 1, quota: 100, persisted: true });
  });

  it('a second put supersedes the first (read-modify-write clock), delete hides it, list names what is live', async () => {
    const { net, stars } = await network(3);
    const [a, b] = stars as [TestStar, TestStar];
    await a.service.put('doc', 'v1', {}, net.now);
    await a.service.put('doc', 'v2', {}, net.now + 1);
    await a.service.put('other', 'x', {}, net.now);
    assert.deepEqual((await b.service.get('doc', a.address, net.now)).versions.map((v) => v.value), ['v2']);
    assert.deepEqual(await b.service.list('', a.address, net.now), ['doc', 'other']);
    await a.service.delete('doc', net.now + 2);
    assert.deepEqual((await b.service.get('doc', a.address, net.now)).versions, []);
    assert.deepEqual(await a.service.list('', undefined, net.now), ['other']);
    assert.equal(await codeOf(a.service.put('inbox/x', 'no', {}, net.now)), 'INVALID_ARGUMENT');
    assert.equal(await codeOf(a.service.get('doc', 'sw1typo', net.now)), 'INVALID_ADDRESS');
    assert.equal(await codeOf(a.service.put('big', new Uint8Array(70_000), {}, net.now)), 'MESSAGE_TOO_LARGE');
  });

  it('a private value opens for its readers only; storage Stars hold ciphertext; an unknown reader is refused', async () => {
    const { net, stars } = await network(3);
    const [a, b, c] = stars as [TestStar, TestStar, TestStar];
    await a.service.put('letter', 'for bob only', { readers: [b.address] }, net.now);
    const forBob = await b.service.get('letter', a.address, net.now);
    assert.deepEqual(forBob.versions.map((v) => [v.value, v.private, v.writer]), [['for bob only', true, a.address]]);
    assert.equal((await a.service.get('letter', undefined, net.now)).versions[0]!.value, 'for bob only', 'the writer is always a reader');
    assert.equal(await codeOf(c.service.get('letter', a.address, net.now)), 'NOT_A_READER');
    await net.settle();
    const plain = Buffer.from('for bob only');
    for (const s of stars) {
      const raw = s.service.heldVersions(toHex(a.signer.pk), 'letter');
      assert.equal(raw.length, 1);
      assert.equal(Buffer.from(raw[0]!).includes(plain), false, 'ciphertext only');
    }
    const stranger = addressFromPublicKey(signerOf(77).pk);
    await assert.rejects(a.service.put('x', 'y', { readers: [stranger] }, net.now), (err: StarError) => err.code === 'INVALID_ARGUMENT' && /must be online once/.test(err.message));
  });

  it('send: the message reaches the recipient once, sealed for it, then leaves its inbox; a reload does not raise it again', async () => {
    const { net, stars } = await network(3);
    const [a, b, c] = stars as [TestStar, TestStar, TestStar];
    const { id } = await a.service.send(b.address, 'see you later', net.now);
    assert.match(id, /^[0-9a-f]{32}$/);
    await net.until('the message is delivered', () => b.messages.length > 0);
    const name = `inbox/${toHex(a.signer.pk)}/${id}`;
    await net.until('the message is deleted on every replica', () => stars.every((s) => held(s, toHex(b.signer.pk), name).every((r) => r.value === null)));
    for (let i = 0; i < 6; i++) await net.tick(1_000);
    assert.deepEqual(b.messages.map((m) => [m.id, m.from, m.data]), [[id, a.address, 'see you later']], 'raised exactly once');
    assert.deepEqual(await b.service.list('inbox/', undefined, net.now), []);
    assert.equal(c.messages.length + a.messages.length, 0);
    // the inbox record was sealed for b: c, a storage Star of it, saw only ciphertext
    const inboxRecord = a.store.log.map(decoded).find((r) => r.name === name && r.value !== null);
    assert.ok(inboxRecord);
    assert.equal(inboxRecord.sealed, true);
    assert.equal(Buffer.from(encodeRecord(inboxRecord)).includes(Buffer.from('see you later')), false);

    // b reloads on its store; the same inbox record is delivered to it again (a holder that kept it): no second event
    b.service.close();
    const again = await StorageService.open({ signer: b.signer, store: b.store, presence: net.presence, clock: () => net.now, tickMs: false, out: { storeSend: (to, _a, f) => net.deliver(b.peerId, to, f), message: (m) => b.messages.push(m), storage: () => undefined } });
    await again.ready;
    b.service = again;
    net.deliver(a.peerId, b.peerId, [encodeStoreMessage({ t: 'inbox', id: 9_999, records: [inboxRecord] })]);
    await net.settle();
    for (let i = 0; i < 4; i++) await net.tick(1_000);
    assert.equal(b.messages.length, 1, 'delivered ids are kept: a reload does not repeat a message');
  });

  it('a full disk: the put fails with QUOTA_EXCEEDED, nothing is acknowledged for it, and the storage event reports the quota', async () => {
    const { net, stars } = await network(3);
    const [a, b] = stars as [TestStar, TestStar];
    await a.service.put('before', 'fits', {}, net.now);
    await net.settle();
    a.stats.length = 0;
    a.store.fail = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    await assert.rejects(a.service.put('after', 'does not fit', {}, net.now), (err: StarError) => err.code === 'QUOTA_EXCEEDED' && /Free space/.test(err.message));
    await net.settle();
    for (const s of stars.slice(1)) assert.deepEqual(s.service.heldNames(toHex(a.signer.pk)), ['before'], 'its replicas were never asked to store it');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(a.stats.length > 0, "the 'storage' event fires at once");
    assert.deepEqual(a.stats.at(-1)!.quota, { usage: 1, quota: 100, persisted: true });
    // a replica whose disk is full sends no ack either; the write still reaches W through the others
    a.store.fail = undefined;
    b.store.fail = () => new DOMException('full', 'QuotaExceededError');
    await a.service.put('later', 'ok', {}, net.now);
    await net.settle();
    assert.deepEqual(b.service.heldNames(toHex(a.signer.pk)).includes('later'), true, 'in memory at b (its disk refused it)');
    assert.equal([...b.store.versions.values()].some((v) => decoded(v.record).name === 'later'), false, 'not on b’s disk');
  });

  it('drops a message with a badly signed record, and frames from a peer without presence (even well signed)', async () => {
    const { net, stars } = await network(3);
    const [a, b] = stars as [TestStar, TestStar];
    await a.service.put('real', 'yes', {}, net.now);
    const real = a.store.log.map(decoded).find((r) => r.name === 'real');
    assert.ok(real);
    const forged: SignedRecord = { ...real, name: 'forged', sig: real.sig.map((x, i) => (i === 0 ? x ^ 1 : x)) };
    net.deliver(a.peerId, b.peerId, [encodeStoreMessage({ t: 'put', id: 1, records: [forged], hint: null })]);
    const { sig: _, ...unsigned } = real;
    const valid = await signRecord(a.signer, { ...unsigned, name: 'from-nobody' });
    net.deliver('12D3KooWnobody', b.peerId, [encodeStoreMessage({ t: 'put', id: 2, records: [valid], hint: null })]);
    await net.settle();
    assert.deepEqual(b.service.heldNames(toHex(a.signer.pk)), ['real']);
  });
});
