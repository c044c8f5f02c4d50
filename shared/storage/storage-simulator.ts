/**
 * SIMULATOR — an in-process network of many Stars, each running the real StorageNode core,
 * for testing the storage shards under churn. It is not a transport: no sockets, no real
 * time, no IndexedDB. Simulated time jumps from one scheduled event to the next and a seeded
 * PRNG decides every latency, loss, churn and workload choice, so a run is a pure function of
 * its options and replays from its seed.
 *
 * What it models:
 * - Network: each message gets a latency drawn from `latency` and is dropped with
 *   probability `loss` (the storage protocol recovers by timeouts, retries and
 *   anti-entropy). Every message goes through the wire codec (encodeStoreMessage, then
 *   StorageNode.messageBytes) unless `wire: false`.
 * - Signatures: records are built and signed with test-writer (real Ed25519), so they pass
 *   decodeRecord; their signatures are not verified again here (the worker adapter does that,
 *   batched) — SIGNATURE-FREE verification, to keep many-Star runs fast.
 * - IndexedDB: each Star's `persist` outputs are applied to its simulated database; a Star
 *   that comes back after leaving starts a fresh StorageNode from that database (`loaded`),
 *   as a reloaded tab would. A Star that leaves for good takes its database with it.
 * - Presence: the membership every Star is given follows the Stars that are up, with a lag:
 *   a departure shows `presenceMs` after it happens (the presence TTL), an arrival shortly
 *   after it. Until then requests to a departed Star time out (sloppy quorum, hints).
 * - Churn: over `durationMs`, a share `churn` of the initial Stars leave, `permanent` of
 *   them for good and the rest for `awayMs`; as many new Stars join.
 * - Workload: the DRIVER puts (`puts`) new versions of `keys` keys owned by `owners`
 *   accounts from random up Stars (mostly successive versions, some concurrent siblings,
 *   some tombstones) and gets (`gets`) from random Stars.
 *
 * Checks, after `settleMs` without churn or workload:
 * - every key is held by exactly its current N preference-list members (own shard), with
 *   the same version set on each, and no hints are left; under-replicated keys are also
 *   counted every 2 s during the churn phase (peak) and at its end, before settling;
 * - then no acknowledged write is lost: for every key, a get with R from a random Star
 *   returns, for every acknowledged version, that version or one that supersedes it (a read
 *   that fails for want of answers is retried, up to 3 times, as a client would).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../codec/hex.ts';
import { seededRng, type Rng } from '../consensus/prng.ts';
import { MinHeap } from '../consensus/simulator.ts';
import type { StorageTiming } from './node-context.ts';
import { Ring } from './ring.ts';
import type { VersionRef, VersionWrite } from './replica-store.ts';
import { digestOf } from './replica-store.ts';
import type { ClientReply, StorageOutput } from './storage-outputs.ts';
import { StorageNode, type LoadedVersion } from './storage-node.ts';
import { testWriter, type TestWriter } from './test-writer.ts';
import { DEFAULT_QUORUM, keyIdOf, type MemberId, type QuorumConfig, type RingMember, type SignedRecord, type StorageKey, type VectorClock } from './types.ts';
import { compareClocks, incrementClock, mergeClocks } from './vector-clock.ts';
import { encodeStoreMessage, type StoreMessage } from './wire.ts';

export interface StorageSimOptions {
  /** Stars at the start */
  stars: number;
  seed: number;
  /** share of the initial Stars that leave during the run; as many new Stars join. Default 1/3 */
  churn?: number;
  /** share of the leavers that never come back. Default 0.5 */
  permanent?: number;
  /** distinct keys written. Default 200 */
  keys?: number;
  /** client puts during the run. Default 2 × keys */
  puts?: number;
  /** client gets during the run. Default keys */
  gets?: number;
  /** accounts that own the keys (test-writer seeds 1…owners, at most 250). Default 16 */
  owners?: number;
  /** per-message latency range, simulated ms. Default [5, 50] */
  latency?: [number, number];
  /** probability a message is dropped. Default 0.01 */
  loss?: number;
  /** the churn and workload phase, simulated ms. Default 60 s */
  durationMs?: number;
  /** how long a Star that leaves for a while stays away. Default [5 s, 20 s] */
  awayMs?: [number, number];
  /** presence lag: a departure shows in the membership this much later. Default 3 s */
  presenceMs?: number;
  /** quiet time before the checks; longer than presenceMs + timing.hintGraceMs, or hints for Stars gone for good are still (rightly) kept. Default 60 s */
  settleMs?: number;
  /** Stars tick this often. Default 200 */
  tickMs?: number;
  /** ring virtual nodes per Star (production: ring.ts DEFAULT_VNODES_PER_UNIT). Default 64: rings rebuild at every membership change */
  vnodes?: number;
  quorum?: QuorumConfig;
  timing?: Partial<StorageTiming>;
  /** every message through the wire codec. Default true */
  wire?: boolean;
  /** debugging: what happens to this key (puts, acks, every Star's writes and deletes of it, churn) */
  trace?: { keyId: string; log(line: string): void };
}

export interface StorageSimResult {
  stars: { initial: number; left: number; returned: number; gone: number; joined: number; final: number; ever: number };
  puts: { issued: number; acked: number; failed: number; unanswered: number };
  gets: { issued: number; ok: number; failed: number };
  /** final reads that failed (NO_PEERS) and were asked again, at most 3 times per key */
  verifyRetries: number;
  /** acknowledged versions that the final read did not return (nor anything superseding them) */
  lostWrites: number;
  lost: Array<{ keyId: string; digest: string }>;
  /** keys with data at all (in some up Star's shard or hints) */
  keys: number;
  /** at the end of the churn phase, before settling */
  underReplicatedBefore: number;
  /** the most keys under-replicated at any sample (every 2 s) during the churn phase */
  underReplicatedPeak: number;
  underReplicatedAfter: number;
  /** held by an up Star outside the key's preference list */
  overReplicatedAfter: number;
  /** replicas of a key whose version sets differ */
  divergentAfter: number;
  hintsAfter: number;
  /** every key on exactly its preference list, versions equal, no hints left */
  converged: boolean;
  messages: number;
  messagesPerStar: number;
  putLatency: { p50: number; p99: number };
  getLatency: { p50: number; p99: number };
  /** anti-entropy exchanges run, keys they repaired, hinted versions handed back, versions re-replicated */
  exchanges: number;
  keysRepaired: number;
  handoffs: number;
  transfers: number;
  penalties: number;
  timeMs: number;
}

/** the simulator's default StorageNode timing: the production shape, scaled to a short run */
export const SIMULATOR_TIMING: Partial<StorageTiming> = {
  replicaTimeoutMs: 1_000,
  clientTimeoutMs: 5_000,
  antiEntropyEveryMs: 1_000,
  maintenanceEveryMs: 500,
  hintGraceMs: 20_000,
};

type Event =
  | { at: number; seq: number; kind: 'deliver'; to: number; incarnation: number; from: MemberId; payload: Uint8Array | StoreMessage }
  | { at: number; seq: number; kind: 'tick' }
  | { at: number; seq: number; kind: 'put'; i: number }
  | { at: number; seq: number; kind: 'get' }
  | { at: number; seq: number; kind: 'leave' }
  | { at: number; seq: number; kind: 'return'; star: number }
  | { at: number; seq: number; kind: 'join' }
  | { at: number; seq: number; kind: 'presence' }
  | { at: number; seq: number; kind: 'sample' };

interface SimStar {
  index: number;
  id: MemberId;
  up: boolean;
  gone: boolean;
  /** bumps each time the Star (re)starts; messages for an older one are lost with it */
  incarnation: number;
  node: StorageNode | undefined;
  /** the simulated IndexedDB: `${hint}|${keyId}|${digest}` → version */
  db: Map<string, LoadedVersion>;
  sent: number;
}

interface PutRecord {
  keyId: string;
  record: SignedRecord;
  digest: string;
  issuedAt: number;
  ackedAt?: number;
  failed?: boolean;
}

type Pending = { kind: 'put'; put: number } | { kind: 'get'; at: number } | { kind: 'verify'; keyId: string; attempt: number };

/** a final read that fails (too few answers, e.g. lost messages) is retried, as a client would */
const VERIFY_ATTEMPTS = 3;

export function simulateStorage(options: StorageSimOptions): StorageSimResult {
  const rng = seededRng(options.seed);
  const quorum = options.quorum ?? DEFAULT_QUORUM;
  const churn = options.churn ?? 1 / 3;
  const permanent = options.permanent ?? 0.5;
  const keyCount = options.keys ?? 200;
  const putCount = options.puts ?? 2 * keyCount;
  const getCount = options.gets ?? keyCount;
  const ownerCount = Math.min(250, options.owners ?? 16);
  const [minLatency, maxLatency] = options.latency ?? [5, 50];
  const loss = options.loss ?? 0.01;
  const durationMs = options.durationMs ?? 60_000;
  const [minAway, maxAway] = options.awayMs ?? [5_000, 20_000];
  const presenceMs = options.presenceMs ?? 3_000;
  const settleMs = options.settleMs ?? 60_000;
  const tickMs = options.tickMs ?? 200;
  const vnodes = options.vnodes ?? 64;
  const timing = { ...SIMULATOR_TIMING, ...options.timing };
  const wire = options.wire ?? true;

  // — the ring, shared by every Star that sees the same membership —
  const rings = new Map<string, Ring>();
  let lastList: readonly RingMember[] | undefined;
  let lastRing: Ring | undefined;
  const ringFactory = (members: readonly RingMember[]): Ring => {
    if (members === lastList) return lastRing!;
    const sig = members.map((m) => `${m.id}:${m.capacity}`).sort().join(',');
    let ring = rings.get(sig);
    if (ring === undefined) {
      ring = new Ring(members, { vnodesPerUnit: vnodes });
      if (rings.size >= 8) rings.delete(rings.keys().next().value!);
      rings.set(sig, ring);
    }
    lastList = members;
    lastRing = ring;
    return ring;
  };

  // — Stars —
  const stars: SimStar[] = [];
  const byId = new Map<MemberId, SimStar>();
  /** who the membership shows: ids in presence */
  const present = new Set<MemberId>();
  const newStar = (): SimStar => {
    const index = stars.length;
    const id = toHex(sha256(new TextEncoder().encode(`storage-sim/${options.seed}/${index}`)));
    const s: SimStar = { index, id, up: false, gone: false, incarnation: 0, node: undefined, db: new Map(), sent: 0 };
    stars.push(s);
    byId.set(id, s);
    return s;
  };
  const members = (extra?: MemberId): RingMember[] => {
    const ids = new Set(present);
    if (extra !== undefined) ids.add(extra);
    return [...ids].map((id) => ({ id, capacity: 1 }));
  };

  // — events —
  const queue = new MinHeap<Event>((a, b) => a.at - b.at || a.seq - b.seq);
  let seq = 0;
  let now = 0;
  type NewEvent = Event extends infer E ? (E extends Event ? Omit<E, 'seq'> : never) : never;
  const schedule = (e: NewEvent): void => queue.push({ ...e, seq: seq++ } as Event);

  // — outputs —
  let messages = 0;
  let penalties = 0;
  const pending = new Map<string, Pending>();
  const replies: Array<{ pending: Pending; reply: ClientReply; at: number }> = [];
  const apply = (s: SimStar, outputs: StorageOutput[]): void => {
    for (const o of outputs) {
      switch (o.kind) {
        case 'persist':
          persist(s, o.write, o.remove);
          break;
        case 'send': {
          messages++;
          s.sent++;
          const to = byId.get(o.to);
          if (to === undefined || rng.next() < loss) break;
          const payload = wire ? encodeStoreMessage(o.msg) : o.msg;
          schedule({ at: now + minLatency + rng.next() * (maxLatency - minLatency), kind: 'deliver', to: to.index, incarnation: to.incarnation, from: s.id, payload });
          break;
        }
        case 'reply': {
          const key = `${s.index}/${s.incarnation}/${o.reply.requestId}`;
          const p = pending.get(key);
          if (p !== undefined) {
            pending.delete(key);
            replies.push({ pending: p, reply: o.reply, at: now });
            onReply(p, o.reply);
          }
          break;
        }
        case 'penalise':
          penalties++;
          break;
        case 'event':
          break;
      }
    }
  };
  const trace = options.trace;
  const note = (line: string): void => trace?.log(`${(now / 1000).toFixed(3)}s ${line}`);
  const persist = (s: SimStar, write: readonly VersionWrite[], remove: readonly VersionRef[]): void => {
    if (trace !== undefined) {
      for (const r of remove) if (r.keyId === trace.keyId) note(`star ${s.index} deletes ${r.digest.slice(0, 8)}${r.hint ? ` (hint for ${byId.get(r.hint)?.index})` : ''}`);
      for (const w of write) if (w.keyId === trace.keyId) note(`star ${s.index} writes ${w.digest.slice(0, 8)}${w.hint ? ` (hint for ${byId.get(w.hint)?.index})` : ''}`);
    }
    for (const r of remove) s.db.delete(`${r.hint ?? ''}|${r.keyId}|${r.digest}`);
    for (const w of write) s.db.set(`${w.hint ?? ''}|${w.keyId}|${w.digest}`, w.hint === undefined ? { record: w.record } : { record: w.record, hint: w.hint });
  };

  const start = (s: SimStar): void => {
    s.up = true;
    s.incarnation++;
    s.node = new StorageNode({ me: s.id, quorum, timing, ringFactory });
    apply(s, s.node.loaded([...s.db.values()], now));
    apply(s, s.node.membership(members(s.id), now));
    schedule({ at: now + 300 + rng.next() * 700, kind: 'presence' });
  };
  const up = (): SimStar[] => stars.filter((s) => s.up);
  const pickUp = (): SimStar | undefined => {
    const list = up();
    return list.length === 0 ? undefined : list[rng.int(0, list.length - 1)];
  };
  const updatePresence = (): void => {
    const want = new Set(up().map((s) => s.id));
    // a Star that left shows as gone only once its presence expired (left for presenceMs)
    for (const id of present) if (!want.has(id) && (leftAt.get(id) ?? 0) + presenceMs > now) want.add(id);
    const same = want.size === present.size && [...want].every((id) => present.has(id));
    if (same) return;
    present.clear();
    for (const id of want) present.add(id);
    const list = members();
    for (const s of up()) apply(s, s.node!.membership(present.has(s.id) ? list : members(s.id), now));
  };
  const leftAt = new Map<MemberId, number>();

  // — the driver's workload —
  const writers: TestWriter[] = Array.from({ length: ownerCount }, (_, i) => testWriter(i + 1));
  const keys: StorageKey[] = Array.from({ length: keyCount }, (_, k) => ({ owner: writers[k % ownerCount]!.pkHex, name: `sim/${k}` }));
  const issued = new Map<string, { merged: VectorClock; lastBase: VectorClock }>();
  const puts: PutRecord[] = [];
  const putLatency: number[] = [];
  const getLatency: number[] = [];
  let requestSeq = 0;
  let getsIssued = 0;
  let getsOk = 0;
  let getsFailed = 0;
  let verifyRetries = 0;
  const verifyReplies = new Map<string, ClientReply>();

  const makeRecord = (k: number): SignedRecord => {
    const key = keys[k]!;
    const keyId = keyIdOf(key);
    const writer = writers[k % ownerCount]!;
    const state = issued.get(keyId) ?? { merged: {}, lastBase: {} };
    let clock: VectorClock;
    let base: VectorClock;
    if (Object.keys(state.merged).length > 0 && rng.next() < 0.15) {
      base = state.lastBase; // a second device that had not seen the last write: a sibling
      clock = incrementClock(base, `alt${rng.int(0, 3)}`);
    } else {
      base = state.merged;
      clock = incrementClock(base, `dev${rng.int(0, 2)}`);
    }
    issued.set(keyId, { merged: mergeClocks(state.merged, clock), lastBase: base });
    const value = rng.next() < 0.05 ? null : randomBytes(rng, rng.int(0, 3_000));
    return writer.write(key.name, value, clock, { time: Math.floor(now) });
  };

  const onReply = (p: Pending, reply: ClientReply): void => {
    if (p.kind === 'put') {
      const put = puts[p.put]!;
      if (put.keyId === trace?.keyId) note(`put ${put.digest.slice(0, 8)} ${reply.ok ? 'acknowledged' : 'failed'}`);
      if (reply.ok) {
        put.ackedAt = now;
        putLatency.push(now - put.issuedAt);
      } else put.failed = true;
    } else if (p.kind === 'get') {
      if (reply.ok) {
        getsOk++;
        getLatency.push(now - p.at);
      } else getsFailed++;
    } else {
      if (p.keyId === trace?.keyId) note(`final read: ${reply.ok ? (reply.op === 'get' ? reply.records.map((r) => digestOf(r).slice(0, 8)).join(',') || 'nothing' : reply.op) : reply.error.message}`);
      verifyReplies.set(p.keyId, reply);
      if (!reply.ok && p.attempt < VERIFY_ATTEMPTS) {
        verifyRetries++;
        verifyKey(p.keyId, p.attempt + 1);
      }
    }
  };

  const clientOp = (s: SimStar, p: Pending, run: (requestId: number) => StorageOutput[]): void => {
    const requestId = ++requestSeq;
    pending.set(`${s.index}/${s.incarnation}/${requestId}`, p);
    apply(s, run(requestId));
  };

  // — the schedule —
  for (let i = 0; i < options.stars; i++) {
    const s = newStar();
    s.up = true;
    s.incarnation = 1;
    present.add(s.id);
  }
  const initial = members();
  for (const s of stars) {
    s.node = new StorageNode({ me: s.id, quorum, timing, ringFactory });
    apply(s, s.node.membership(initial, now));
  }
  const leaves = Math.round(churn * options.stars);
  const churnAt = (): number => durationMs * (0.05 + 0.95 * rng.next());
  for (let i = 0; i < leaves; i++) schedule({ at: churnAt(), kind: 'leave' });
  for (let i = 0; i < leaves; i++) schedule({ at: churnAt(), kind: 'join' });
  let permanentLeft = 0;
  const permanentLeaves = Math.round(permanent * leaves);
  const putTimes = Array.from({ length: putCount }, () => rng.next() * durationMs).sort((a, b) => a - b);
  putTimes.forEach((at, i) => schedule({ at, kind: 'put', i }));
  for (let i = 0; i < getCount; i++) schedule({ at: durationMs * (0.05 + 0.95 * rng.next()), kind: 'get' });
  schedule({ at: tickMs, kind: 'tick' });
  for (let at = 2_000; at < durationMs; at += 2_000) schedule({ at, kind: 'sample' });
  let underPeak = 0;

  let left = 0;
  let returned = 0;
  let joined = 0;
  let underBefore = -1;
  const end = durationMs + settleMs;
  const verifyAt = end;
  let verifying = false;
  let settled: ReturnType<typeof replication> | undefined;
  const hardStop = end + 4 * (timing.clientTimeoutMs ?? 5_000) + 10_000;

  while (queue.size > 0) {
    const e = queue.pop()!;
    if (e.at > hardStop) break;
    now = e.at;
    if (underBefore < 0 && now >= durationMs) underBefore = replication().under;
    if (!verifying && now >= verifyAt) {
      verifying = true;
      settled = replication(); // before the final reads, whose read repair would hide what anti-entropy left undone
      startVerify();
    }
    switch (e.kind) {
      case 'deliver': {
        const s = stars[e.to]!;
        if (!s.up || s.incarnation !== e.incarnation) break;
        apply(s, e.payload instanceof Uint8Array ? s.node!.messageBytes(e.from, e.payload, now) : s.node!.message(e.from, e.payload, now));
        break;
      }
      case 'tick': {
        for (const s of stars) if (s.up) apply(s, s.node!.tick(now));
        if (!verifying || pending.size > 0) schedule({ at: now + tickMs, kind: 'tick' });
        break;
      }
      case 'put': {
        const s = pickUp();
        if (s === undefined) break;
        const k = rng.int(0, keyCount - 1);
        const record = makeRecord(k);
        puts.push({ keyId: keyIdOf(keys[k]!), record, digest: digestOf(record), issuedAt: now });
        if (keyIdOf(keys[k]!) === trace?.keyId) note(`put ${digestOf(record).slice(0, 8)} ${JSON.stringify(record.clock)} from star ${s.index}, list ${s.node!.preferenceList(keys[k]!).map((m) => byId.get(m)?.index).join(',')}`);
        const index = puts.length - 1;
        clientOp(s, { kind: 'put', put: index }, (id) => s.node!.clientPut(id, record, now));
        break;
      }
      case 'get': {
        const s = pickUp();
        if (s === undefined) break;
        getsIssued++;
        const key = keys[rng.int(0, keyCount - 1)]!;
        clientOp(s, { kind: 'get', at: now }, (id) => s.node!.clientGet(id, key, now));
        break;
      }
      case 'leave': {
        const list = up();
        if (list.length <= quorum.n + 1) break;
        const s = list[rng.int(0, list.length - 1)]!;
        s.up = false;
        s.node = undefined;
        left++;
        if (trace !== undefined) note(`star ${s.index} leaves${permanentLeft < permanentLeaves ? ' for good' : ''}`);
        leftAt.set(s.id, now);
        for (const key of [...pending.keys()]) if (key.startsWith(`${s.index}/`)) pending.delete(key); // its clients went with it
        schedule({ at: now + presenceMs, kind: 'presence' });
        if (permanentLeft < permanentLeaves) {
          permanentLeft++;
          s.gone = true;
          s.db.clear();
        } else {
          schedule({ at: Math.min(now + minAway + rng.next() * (maxAway - minAway), durationMs), kind: 'return', star: s.index });
        }
        break;
      }
      case 'return': {
        const s = stars[e.star]!;
        if (s.up || s.gone) break;
        returned++;
        note(`star ${s.index} returns`);
        start(s);
        break;
      }
      case 'join': {
        joined++;
        start(newStar());
        note(`star ${stars.length - 1} joins`);
        break;
      }
      case 'presence':
        updatePresence();
        break;
      case 'sample':
        underPeak = Math.max(underPeak, replication().under);
        break;
    }
  }

  function startVerify(): void {
    // one get per key that ever had an acknowledged write, from a random up Star
    for (const keyId of new Set(puts.filter((p) => p.ackedAt !== undefined).map((p) => p.keyId))) verifyKey(keyId, 1);
  }

  function verifyKey(keyId: string, attempt: number): void {
    const s = pickUp()!;
    const key = keys.find((k) => keyIdOf(k) === keyId)!;
    if (keyId === trace?.keyId) note(`final read from star ${s.index}, list ${s.node!.preferenceList(key).map((m) => byId.get(m)?.index).join(',')}`);
    clientOp(s, { kind: 'verify', keyId, attempt }, (id) => s.node!.clientGet(id, key, now));
  }

  // — checks —
  const lost: StorageSimResult['lost'] = [];
  for (const put of puts) {
    if (put.ackedAt === undefined) continue;
    const reply = verifyReplies.get(put.keyId);
    const records = reply?.ok && reply.op === 'get' ? reply.records : [];
    const kept = records.some((r) => digestOf(r) === put.digest || compareClocks(r.clock, put.record.clock) === 'after');
    if (!kept) lost.push({ keyId: put.keyId, digest: put.digest });
  }
  const after = settled ?? replication();

  const stats = up().map((s) => s.node!.stats());
  const sum = (f: (x: (typeof stats)[number]) => number): number => stats.reduce((n, x) => n + f(x), 0);
  return {
    stars: { initial: options.stars, left, returned, gone: permanentLeft, joined, final: up().length, ever: stars.length },
    puts: {
      issued: puts.length,
      acked: puts.filter((p) => p.ackedAt !== undefined).length,
      failed: puts.filter((p) => p.failed).length,
      unanswered: puts.filter((p) => p.ackedAt === undefined && !p.failed).length,
    },
    gets: { issued: getsIssued, ok: getsOk, failed: getsFailed },
    verifyRetries,
    lostWrites: lost.length,
    lost,
    keys: after.keys,
    underReplicatedBefore: Math.max(0, underBefore),
    underReplicatedPeak: Math.max(underPeak, underBefore),
    underReplicatedAfter: after.under,
    overReplicatedAfter: after.over,
    divergentAfter: after.divergent,
    hintsAfter: after.hints,
    converged: after.under === 0 && after.over === 0 && after.divergent === 0 && after.hints === 0,
    messages,
    messagesPerStar: Math.round(messages / stars.length),
    putLatency: { p50: percentile(putLatency, 50), p99: percentile(putLatency, 99) },
    getLatency: { p50: percentile(getLatency, 50), p99: percentile(getLatency, 99) },
    exchanges: sum((x) => x.exchanges),
    keysRepaired: sum((x) => x.keysRepaired),
    handoffs: sum((x) => x.handoffs),
    transfers: sum((x) => x.transfers),
    penalties,
    timeMs: Math.round(now),
  };

  /** keys off their preference list, against the membership of the Stars that are up now */
  function replication(): { keys: number; under: number; over: number; divergent: number; hints: number } {
    const live = up();
    const ring = ringFactory(live.map((s) => ({ id: s.id, capacity: 1 })));
    const holders = new Map<string, { key: StorageKey; by: Map<MemberId, string> }>();
    let hints = 0;
    for (const s of live) {
      hints += s.node!.stats().hinted;
      for (const k of s.node!.held()) {
        let h = holders.get(k.keyId);
        if (h === undefined) holders.set(k.keyId, (h = { key: k.key, by: new Map() }));
        h.by.set(s.id, k.versionsHash);
      }
    }
    let under = 0;
    let over = 0;
    let divergent = 0;
    const want = Math.min(quorum.n, live.length);
    for (const { key, by } of holders.values()) {
      const pref = ring.preferenceList(key, quorum.n);
      if (pref.filter((m) => by.has(m)).length < want) under++;
      if ([...by.keys()].some((m) => !pref.includes(m))) over++;
      if (new Set(by.values()).size > 1) divergent++;
    }
    return { keys: holders.size, under, over, divergent, hints };
  }
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng.next() * 256);
  return out;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);
}
