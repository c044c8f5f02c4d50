import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inboxName, recordDigest } from './record.ts';
import type { StorageTiming } from './node-context.ts';
import type { ClientReply, StorageEvent, StorageOutput } from './storage-outputs.ts';
import { StorageNode } from './storage-node.ts';
import { testWriter, type TestWriter } from './test-writer.ts';
import { keyIdOf, type MemberId, type SignedRecord, type StorageKey } from './types.ts';
import { encodeStoreMessage, type StoreMessage } from './wire.ts';

const writers = Array.from({ length: 8 }, (_, i) => testWriter(i + 1));
const alice = writers[0]!;
const bob = writers[1]!;
const QUIET: Partial<StorageTiming> = { antiEntropyEveryMs: Infinity };

/** A synchronous test network: sends go through the wire codec; a down Star neither answers nor ticks. */
class Net {
  readonly nodes = new Map<MemberId, StorageNode>();
  readonly down = new Set<MemberId>();
  readonly replies: Array<{ at: MemberId; reply: ClientReply; time: number }> = [];
  readonly events: Array<{ at: MemberId; event: StorageEvent }> = [];
  readonly penalties: Array<{ by: MemberId; peer: MemberId; reason: string }> = [];
  readonly persists: Array<{ at: MemberId; out: Extract<StorageOutput, { kind: 'persist' }> }> = [];
  readonly queue: Array<{ from: MemberId; to: MemberId; msg: StoreMessage }> = [];
  sent = 0;
  now = 0;

  constructor(stars: readonly TestWriter[], timing: Partial<StorageTiming> = QUIET) {
    for (const s of stars) this.nodes.set(s.pkHex, new StorageNode({ me: s.pkHex, timing }));
    this.setMembership([...this.nodes.keys()]);
  }

  node(id: MemberId): StorageNode {
    return this.nodes.get(id)!;
  }

  setMembership(ids: MemberId[]): void {
    for (const [id, n] of this.nodes) if (!this.down.has(id)) this.apply(id, n.membership(ids.map((m) => ({ id: m, capacity: 1 })), this.now));
    this.run();
  }

  apply(at: MemberId, outputs: StorageOutput[]): void {
    for (const o of outputs) {
      if (o.kind === 'send') {
        this.sent++;
        if (!this.down.has(o.to) && this.nodes.has(o.to)) this.queue.push({ from: at, to: o.to, msg: o.msg });
      } else if (o.kind === 'reply') this.replies.push({ at, reply: o.reply, time: this.now });
      else if (o.kind === 'event') this.events.push({ at, event: o.event });
      else if (o.kind === 'penalise') this.penalties.push({ by: at, peer: o.peer, reason: o.reason });
      else this.persists.push({ at, out: o });
    }
  }

  run(): void {
    for (let guard = 0; this.queue.length > 0; guard++) {
      assert.ok(guard < 100_000, 'message storm');
      const { from, to, msg } = this.queue.shift()!;
      if (this.down.has(to)) continue;
      this.apply(to, this.node(to).messageBytes(from, encodeStoreMessage(msg), this.now));
    }
  }

  tick(ms: number, step = 100): void {
    for (const end = this.now + ms; this.now < end; ) {
      this.now = Math.min(end, this.now + step);
      for (const [id, n] of this.nodes) if (!this.down.has(id)) this.apply(id, n.tick(this.now));
      this.run();
    }
  }

  put(at: MemberId, requestId: number, record: SignedRecord): void {
    this.apply(at, this.node(at).clientPut(requestId, record, this.now));
    this.run();
  }

  get(at: MemberId, requestId: number, key: StorageKey): void {
    this.apply(at, this.node(at).clientGet(requestId, key, this.now));
    this.run();
  }

  reply(requestId: number): ClientReply | undefined {
    return this.replies.find((r) => r.reply.requestId === requestId)?.reply;
  }

  holders(keyId: string): MemberId[] {
    return [...this.nodes].filter(([id, n]) => !this.down.has(id) && n.heldKey(keyId) !== undefined).map(([id]) => id).sort();
  }

  digestsAt(id: MemberId, keyId: string): string[] {
    return [...(this.node(id).heldKey(keyId)?.digests ?? [])].sort();
  }
}

const keyOf = (w: TestWriter, name: string): StorageKey => ({ owner: w.pkHex, name });
const value = (n: number): Uint8Array => new Uint8Array(1500).fill(n);

describe('StorageNode', () => {
  it('a put reaches its N replicas and is acknowledged after W of them', () => {
    const net = new Net(writers.slice(0, 6));
    const rec = alice.write('notes/a', value(1), { d1: 1 });
    const key = keyOf(alice, 'notes/a');
    const pref = net.node(alice.pkHex).preferenceList(key);
    assert.equal(pref.length, 3);
    const coordinator = [...net.nodes.keys()].find((id) => !pref.includes(id))!;
    net.put(coordinator, 1, rec);
    assert.deepEqual(net.reply(1), { requestId: 1, ok: true, op: 'put' });
    assert.deepEqual(net.holders(keyIdOf(key)), [...pref].sort(), 'held by exactly its preference list');
    // the adapter persists what the replicas stored
    assert.ok(net.persists.some((p) => p.at === pref[0] && p.out.write.some((w) => w.digest === recordDigest(rec) && w.hint === undefined)));
  });

  it('puts started in one batch reach each replica as one request, and every one is acknowledged', () => {
    const net = new Net(writers.slice(0, 6));
    const at = alice.pkHex;
    const records = Array.from({ length: 12 }, (_, i) => alice.write(`batch/${i}`, value(i), { d1: 1 }));
    const before = net.sent;
    net.apply(at, net.node(at).batch(net.now, () => records.forEach((r, i) => net.node(at).clientPut(100 + i, r, net.now))));
    const putRequests = net.queue.filter((q) => q.from === at && q.msg.t === 'put');
    assert.equal(new Set(putRequests.map((q) => q.to)).size, putRequests.length, 'one put request per replica');
    const remoteCopies = records.reduce((n, r) => n + net.node(at).preferenceList(keyOf(alice, r.name)).filter((m) => m !== at).length, 0);
    assert.equal(putRequests.reduce((n, q) => n + (q.msg.t === 'put' ? q.msg.records.length : 0), 0), remoteCopies, 'every remote copy in them');
    net.run();
    assert.ok(net.sent - before < 2 * records.length, 'fewer messages than one request and one ack per put and replica');
    for (let i = 0; i < records.length; i++) assert.deepEqual(net.reply(100 + i), { requestId: 100 + i, ok: true, op: 'put' });
    for (const r of records) assert.deepEqual(net.holders(keyIdOf(keyOf(alice, r.name))), [...net.node(at).preferenceList(keyOf(alice, r.name))].sort());
  });

  it('holdsVersion: the very version held (own shard or hint), never a copy with other bytes', () => {
    const net = new Net(writers.slice(0, 4));
    const rec = alice.write('held', value(3), { d1: 1 });
    const pref = net.node(alice.pkHex).preferenceList(keyOf(alice, 'held'));
    net.put(pref[0]!, 1, rec);
    const replica = net.node(pref[1]!);
    assert.equal(replica.holdsVersion(rec), true);
    assert.equal(replica.holdsVersion({ ...rec }), true, 'the same bytes in another object');
    assert.equal(replica.holdsVersion({ ...rec, sig: rec.sig.map((x, i) => (i === 0 ? x ^ 1 : x)) }), false, 'another signature');
    assert.equal(replica.holdsVersion(alice.write('held', value(3), { d1: 2 })), false, 'another version');
    const outsider = [...net.nodes.keys()].find((id) => !pref.includes(id))!;
    assert.equal(net.node(outsider).holdsVersion(rec), false);
    net.apply(outsider, net.node(outsider).messageBytes(pref[0]!, encodeStoreMessage({ t: 'put', id: 9, records: [rec], hint: pref[2]! }), net.now));
    assert.equal(net.node(outsider).holdsVersion(rec), true, 'as a hint');
  });

  it('acknowledges after W while one replica is silent, then hands a hinted copy to the next Star on the ring, which hands it back when the member returns', () => {
    const net = new Net(writers.slice(0, 6), { ...QUIET, replicaTimeoutMs: 1_000 });
    const key = keyOf(alice, 'notes/h');
    const rec = alice.write(key.name, value(2), { d1: 1 });
    const pref = net.node(alice.pkHex).preferenceList(key);
    const walk = [...net.nodes.keys()].filter((id) => !pref.includes(id));
    const silent = pref[2]!;
    net.down.add(silent);
    net.put(pref[0]!, 7, rec);
    assert.equal(net.reply(7)?.ok, true, 'W = 2: the coordinator and one replica, before any timeout');
    assert.equal(net.now, 0);
    assert.deepEqual(net.holders(keyIdOf(key)), [pref[0]!, pref[1]!].sort());
    net.tick(1_100);
    const hintHolders = walk.filter((id) => net.node(id).stats().hinted > 0);
    assert.equal(hintHolders.length, 1, 'one fallback holds a hint');
    const holder = hintHolders[0]!;
    assert.ok(net.persists.some((p) => p.at === holder && p.out.write.some((w) => w.hint === silent)), 'persisted as a hint naming the intended member');

    // the member leaves the membership, then comes back
    const all = [...net.nodes.keys()];
    net.setMembership(all.filter((id) => id !== silent));
    net.tick(2_000);
    assert.equal(net.node(holder).stats().hinted, 1, 'the hint is kept while the member is away');
    net.down.delete(silent);
    net.setMembership(all);
    net.tick(2_000);
    assert.ok(net.node(silent).heldKey(keyIdOf(key)), 'handed off');
    assert.equal(net.node(holder).stats().hinted, 0, 'the hinted copy is deleted after the ack');
    assert.ok(net.persists.some((p) => p.at === holder && p.out.remove.some((r) => r.hint === silent && r.digest === recordDigest(rec))));
    assert.equal(net.node(holder).heldKey(keyIdOf(key)), undefined, 'and the holder keeps no copy of a key it is not a replica of');
  });

  it('a get returns concurrent versions as siblings and repairs the replicas that lacked one', () => {
    const net = new Net(writers.slice(0, 5));
    const key = keyOf(alice, 'doc');
    const keyId = keyIdOf(key);
    const v1 = alice.write(key.name, value(1), { phone: 1 });
    const pref = net.node(alice.pkHex).preferenceList(key);
    net.put(pref[1]!, 1, v1);
    // a second device wrote concurrently; only one replica has it so far
    const v2 = alice.write(key.name, value(2), { laptop: 1 });
    net.apply(pref[0]!, net.node(pref[0]!).loaded([{ record: v2 }], net.now));
    net.get(pref[0]!, 2, key);
    const reply = net.reply(2);
    assert.ok(reply?.ok && reply.op === 'get');
    assert.deepEqual(reply.records.map(recordDigest).sort(), [recordDigest(v1), recordDigest(v2)].sort());
    const both = [recordDigest(v1), recordDigest(v2)].sort();
    for (const id of pref) assert.deepEqual(net.digestsAt(id, keyId), both, `read repair reached ${id.slice(0, 6)}`);
    // a write that saw both supersedes both everywhere
    const v3 = alice.write(key.name, value(3), { phone: 2, laptop: 1 });
    net.put(pref[2]!, 3, v3);
    for (const id of pref) assert.deepEqual(net.digestsAt(id, keyId), [recordDigest(v3)]);
    net.get(pref[1]!, 4, key);
    const after = net.reply(4);
    assert.ok(after?.ok && after.op === 'get');
    assert.deepEqual(after.records.map(recordDigest), [recordDigest(v3)]);
  });

  it('an older clock never replaces a newer version, and tombstones are versions', () => {
    const net = new Net(writers.slice(0, 4));
    const key = keyOf(alice, 'counter');
    const keyId = keyIdOf(key);
    const pref = net.node(alice.pkHex).preferenceList(key);
    const newer = alice.write(key.name, value(2), { d1: 2 });
    const older = alice.write(key.name, value(1), { d1: 1 });
    net.put(pref[0]!, 1, newer);
    net.put(pref[1]!, 2, older);
    assert.equal(net.reply(2)?.ok, true, 'acknowledged: the replicas hold something newer');
    for (const id of pref) assert.deepEqual(net.digestsAt(id, keyId), [recordDigest(newer)]);
    const tomb = alice.write(key.name, null, { d1: 3 });
    net.put(pref[0]!, 3, tomb);
    net.put(pref[1]!, 4, newer);
    for (const id of pref) assert.deepEqual(net.digestsAt(id, keyId), [recordDigest(tomb)], 'the delete stands');
    net.get(pref[2]!, 5, key);
    const r = net.reply(5);
    assert.ok(r?.ok && r.op === 'get' && r.records.length === 1 && r.records[0]!.value === null);
  });

  it('a bad message is penalised, never a crash', () => {
    const net = new Net(writers.slice(0, 4));
    const [a, b] = [...net.nodes.keys()] as [MemberId, MemberId];
    const node = net.node(a);
    const check = (outputs: StorageOutput[], pattern: RegExp): void => {
      const p = outputs.find((o) => o.kind === 'penalise');
      assert.ok(p && p.kind === 'penalise' && p.peer === b, 'penalised');
      assert.match(p.reason, pattern);
    };
    check(node.messageBytes(b, Uint8Array.of(0xff, 1, 2), 0), /CBOR/);
    check(node.message(b, { t: 'put', id: 1, records: 'nope' } as unknown as StoreMessage, 0), /malformed/);
    check(node.message(b, { t: 'put', id: 1, records: [{ owner: 1 }], hint: null } as unknown as StoreMessage, 0), /cannot be stored/);
    check(node.message(b, null as unknown as StoreMessage, 0), /malformed/);
    // someone else's namespace: refused whatever the signature
    const forged = bob.signRecord({ ...alice.write('x', value(1), { d1: 1 }), signer: bob.pk });
    const outs = node.message(b, { t: 'put', id: 2, records: [forged], hint: null }, 0);
    check(outs, /owner/);
    assert.ok(outs.some((o) => o.kind === 'send' && o.msg.t === 'put-ack' && !o.msg.ok));
    assert.equal(node.heldKey(keyIdOf(keyOf(alice, 'x'))), undefined);
    // an answer to nothing we asked: dropped quietly (it may be late)
    assert.deepEqual(node.message(b, { t: 'put-ack', id: 999, ok: true, reason: '' }, 0), []);
    // an answer from a Star the request did not go to, or of the wrong kind
    const out = node.clientGet(5, keyOf(alice, 'y'), 0);
    const sends = out.filter((o): o is Extract<StorageOutput, { kind: 'send' }> => o.kind === 'send');
    const first = sends[0]!;
    const other = [...net.nodes.keys()].find((id) => id !== a && id !== first.to)!;
    const wrongPeer = node.message(other, { t: 'records', id: first.msg.id, records: [], more: false }, 0);
    assert.ok(wrongPeer.some((o) => o.kind === 'penalise' && o.peer === other && /another Star/.test(o.reason)));
    const wrongKind = node.message(first.to, { t: 'sync-nodes', id: first.msg.id, level: 0, differing: [] }, 0);
    assert.ok(wrongKind.some((o) => o.kind === 'penalise' && /answered a get request with sync-nodes/.test(o.reason)));
    // a get answered with another key's record
    const second = sends[1]!;
    const foreign = node.message(second.to, { t: 'records', id: second.msg.id, records: [alice.write('z', value(1), { d1: 1 })], more: false }, 0);
    assert.ok(foreign.some((o) => o.kind === 'penalise' && /another key/.test(o.reason)));
  });

  it('alone, or with every peer silent, a client gets NO_PEERS with a message saying what to do', () => {
    const solo = new Net([alice]);
    solo.put(alice.pkHex, 1, alice.write('a', value(1), { d1: 1 }));
    const r = solo.reply(1);
    assert.ok(r && !r.ok);
    assert.equal(r.error.code, 'NO_PEERS');
    assert.match(r.error.message, /Only 1 of the 2 Stars.*retry/);
    assert.ok(solo.node(alice.pkHex).heldKey(keyIdOf(keyOf(alice, 'a'))), 'kept locally for when peers come');
    solo.get(alice.pkHex, 2, keyOf(alice, 'a'));
    const g = solo.reply(2);
    assert.ok(g && !g.ok && g.error.code === 'NO_PEERS');

    const net = new Net(writers.slice(0, 3), { ...QUIET, replicaTimeoutMs: 1_000, clientTimeoutMs: 4_000 });
    for (const id of [...net.nodes.keys()].slice(1)) net.down.add(id);
    const me = [...net.nodes.keys()][0]!;
    net.put(me, 3, alice.write('b', value(1), { d1: 1 }));
    assert.equal(net.reply(3), undefined, 'not before the timeout');
    net.tick(5_000);
    const late = net.replies.find((x) => x.reply.requestId === 3)!;
    assert.ok(!late.reply.ok && late.reply.error.code === 'NO_PEERS');
    assert.ok(late.time >= 1_000 && late.time <= 4_000, `answered at ${late.time}`);
  });

  it('anti-entropy brings a replica that missed a write up to date, and a departure re-replicates', () => {
    const net = new Net(writers.slice(0, 6), { antiEntropyEveryMs: 500, replicaTimeoutMs: 1_000 });
    const keys = Array.from({ length: 30 }, (_, i) => keyOf(alice, `k${i}`));
    const recs = keys.map((k, i) => alice.write(k.name, value(i), { d1: 1 }));
    // each record reaches only the first two members of its list (the third was away)
    for (let i = 0; i < keys.length; i++) {
      const pref = net.node(alice.pkHex).preferenceList(keys[i]!);
      for (const id of pref.slice(0, 2)) net.apply(id, net.node(id).loaded([{ record: recs[i]! }], 0));
    }
    net.tick(8_000);
    for (const k of keys) assert.deepEqual(net.holders(keyIdOf(k)), [...net.node(alice.pkHex).preferenceList(k)].sort(), `${k.name} on its three replicas`);
    // one Star leaves for good
    const gone = [...net.nodes.keys()][3]!;
    net.down.add(gone);
    net.setMembership([...net.nodes.keys()].filter((id) => id !== gone));
    net.tick(10_000);
    for (const k of keys) {
      const pref = net.node(alice.pkHex).preferenceList(k);
      assert.ok(!pref.includes(gone));
      assert.deepEqual(net.holders(keyIdOf(k)), [...pref].sort(), `${k.name} back to three replicas`);
    }
    // a Star joins: keys it now owns move to it, and the Stars it displaced drop their copies
    const joiner = writers[6]!;
    net.nodes.set(joiner.pkHex, new StorageNode({ me: joiner.pkHex, timing: { antiEntropyEveryMs: 500, replicaTimeoutMs: 1_000 } }));
    net.setMembership([...net.nodes.keys()].filter((id) => id !== gone));
    net.tick(10_000);
    let moved = 0;
    for (const k of keys) {
      const pref = net.node(alice.pkHex).preferenceList(k);
      if (pref.includes(joiner.pkHex)) moved++;
      assert.deepEqual(net.holders(keyIdOf(k)), [...pref].sort(), `${k.name} on exactly its new list`);
    }
    assert.ok(moved > 0, 'the joiner took some keys');
  });

  it('delivers inbox records to their owner once it is online, once, and lists them', () => {
    const net = new Net(writers.slice(0, 6), { ...QUIET, maintenanceEveryMs: 500 });
    const name = inboxName(bob.pkHex, 'hello1');
    const mail = bob.write(name, Uint8Array.of(104, 105), { bob: 1 }, { owner: alice.pk });
    const all = [...net.nodes.keys()];
    // alice is offline when bob sends
    net.down.add(alice.pkHex);
    net.setMembership(all.filter((id) => id !== alice.pkHex));
    net.put(bob.pkHex, 1, mail);
    assert.equal(net.reply(1)?.ok, true);
    net.tick(2_000);
    assert.equal(net.events.filter((e) => e.event.type === 'inbox').length, 0);
    net.down.delete(alice.pkHex);
    net.setMembership(all);
    net.tick(3_000);
    const inbox = net.events.filter((e) => e.event.type === 'inbox');
    assert.equal(inbox.length, 1, 'raised once although several replicas deliver');
    assert.equal(inbox[0]!.at, alice.pkHex);
    const ev = inbox[0]!.event;
    assert.ok(ev.type === 'inbox' && recordDigest(ev.records[0]!) === recordDigest(mail));
    net.apply(alice.pkHex, net.node(alice.pkHex).clientInbox(2, net.now));
    net.run();
    assert.deepEqual(net.reply(2), { requestId: 2, ok: true, op: 'list', names: [name], partial: false });
    // the owner deletes it (a tombstone it may sign): no longer listed, never delivered again
    const read = alice.write(name, null, { bob: 1, alice: 1 }, { owner: alice.pk });
    net.put(alice.pkHex, 3, read);
    assert.equal(net.reply(3)?.ok, true);
    net.apply(alice.pkHex, net.node(alice.pkHex).clientInbox(4, net.now));
    net.run();
    assert.deepEqual(net.reply(4), { requestId: 4, ok: true, op: 'list', names: [], partial: false });
  });

  it('audits co-replicas: passed for holders, failed for one that does not answer', () => {
    const net = new Net(writers.slice(0, 5));
    const keys = Array.from({ length: 12 }, (_, i) => keyOf(alice, `a${i}`));
    keys.forEach((k, i) => net.put(alice.pkHex, i + 1, alice.write(k.name, value(i + 1), { d1: 1 })));
    const auditor = [...net.nodes.keys()].find((id) => net.node(id).stats().keys > 0)!;
    net.apply(auditor, net.node(auditor).startAudits(Uint8Array.of(1, 2, 3), net.now, 6));
    net.run();
    const log = net.node(auditor).auditLog;
    const passed = log.holders().reduce((n, h) => n + log.tally(h).passed, 0);
    assert.ok(passed > 0 && log.holders().every((h) => log.tally(h).failed === 0 && log.tally(h).late === 0));
    const silent = log.holders()[0]!;
    net.down.add(silent);
    net.apply(auditor, net.node(auditor).startAudits(Uint8Array.of(9), net.now, 20));
    net.tick(11_000);
    assert.ok(log.tally(silent).failed > 0, 'no answer fails');
    assert.ok(net.events.some((e) => e.at === auditor && e.event.type === 'audit' && e.event.outcome === 'failed'));
  });

  it('bounds client operations and requests per peer', () => {
    const net = new Net(writers.slice(0, 3));
    const me = alice.pkHex;
    const node = new StorageNode({ me, limits: { maxClientOps: 2, maxOutstandingPerPeer: 3 }, timing: QUIET });
    node.membership([...net.nodes.keys()].map((id) => ({ id, capacity: 1 })), 0);
    const replies: ClientReply[] = [];
    let sends = 0;
    for (let i = 0; i < 5; i++) {
      for (const o of node.clientGet(i, keyOf(alice, `b${i}`), 0)) {
        if (o.kind === 'reply') replies.push(o.reply);
        if (o.kind === 'send') sends++;
      }
    }
    assert.equal(replies.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED').length, 3);
    assert.ok(sends <= 2 * 3, 'at most maxOutstandingPerPeer per peer');
    const dup = node.clientGet(0, keyOf(alice, 'c'), 0).find((o) => o.kind === 'reply');
    assert.ok(dup?.kind === 'reply' && !dup.reply.ok && dup.reply.error.code === 'INVALID_ARGUMENT');
  });
});
